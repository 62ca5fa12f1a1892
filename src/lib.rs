//! The `folio` command: `folio serve` runs the whole pipeline locally through the
//! CloudFront stand-in (`standin`); `folio seed` loads sample content.

pub mod aws_cli;
pub mod dynamo_admin;
pub mod error;
pub mod import_images;
pub mod markdown_import;
pub mod package;
pub mod portable;
pub mod progress;
pub mod seed;
pub mod serve;
pub mod smoke;
pub mod standin;
pub mod template_tags;
pub mod untrusted_files;

/// The settings in the process's environment (`folio_shared::settings`), read on
/// first use and never again: every command reads them from here.
/// `127.0.0.1:8080`, `[::1]:8080`, or `8080` alone (on 127.0.0.1).
pub fn parse_addr(value: &str) -> Result<std::net::SocketAddr, error::CommandError> {
    if let Ok(port) = value.parse::<u16>() {
        return Ok(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    }
    value.parse().map_err(|_| {
        error::CommandError::Refused(format!(
            "{value:?} is not an address: use host:port (127.0.0.1:8080) or a port (8080)"
        ))
    })
}

pub fn env() -> &'static folio_shared::settings::Env {
    static ENV: std::sync::OnceLock<folio_shared::settings::Env> = std::sync::OnceLock::new();
    ENV.get_or_init(folio_shared::settings::Env::from_process)
}

/// Writes a document to stdout. A closed pipe (`folio openapi | head`) ends the
/// output quietly instead of panicking as `println!` does.
pub fn print_document(text: &str) -> Result<(), error::CommandError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.to_string().into()),
        _ => Ok(()),
    }
}
