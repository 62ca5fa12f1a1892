//! The `folio` command: `folio serve` runs the whole pipeline locally through the
//! CloudFront stand-in (`standin`); `folio seed` loads sample content.

pub mod aws_cli;
pub mod dynamo_admin;
pub mod error;
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
