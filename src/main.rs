use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use folio::serve::{self, ServeConfig};
use folio_origin::local::{Local, LocalConfig};
use folio_shared::domain::Email;

#[derive(Parser)]
#[command(
    name = "folio",
    version,
    about = "Edge-first backend for personal portfolio sites"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run edge, cache and origin locally over the embedded store.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "FOLIO_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Directory holding the store and the local issuer's key.
        #[arg(long, env = "FOLIO_DATA_DIR", default_value = "folio-data")]
        data_dir: PathBuf,
        /// Browser origins allowed to call the API (comma-separated; * for any).
        #[arg(
            long,
            env = "FOLIO_ALLOWED_ORIGINS",
            default_value = "*",
            value_delimiter = ','
        )]
        allow_origin: Vec<String>,
        /// Load sample content when the store has none.
        #[arg(long)]
        seed: bool,
    },
    /// Print folio's OpenAPI document (JSON) to stdout.
    Openapi,
    /// Load sample content into a data directory (while no server uses it).
    Seed {
        #[arg(long, env = "FOLIO_DATA_DIR", default_value = "folio-data")]
        data_dir: PathBuf,
    },
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FOLIO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
}

fn owner_email() -> Result<Email, String> {
    let raw = std::env::var("FOLIO_OWNER_EMAIL").unwrap_or_else(|_| "owner@folio.local".into());
    Email::parse("FOLIO_OWNER_EMAIL", &raw).map_err(|e| format!("FOLIO_OWNER_EMAIL: {}", e.issue))
}

async fn serve_command(config: ServeConfig, seed: bool) -> Result<(), String> {
    let email = owner_email()?;
    let password = std::env::var("FOLIO_OWNER_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let server = serve::start(config.clone()).await?;
    let owner = server
        .local
        .issuer
        .ensure_owner(&email, password.as_deref())
        .await
        .map_err(|e| format!("cannot create the owner: {e}"))?;
    if seed {
        let empty = folio_origin::repo::content::ids(
            server.local.app.store.as_ref(),
            folio_shared::domain::ContentKind::Blog,
        )
        .await
        .map_err(|e| e.to_string())?
        .is_empty();
        if empty {
            let n = folio::seed::seed(&server.local.app)
                .await
                .map_err(|e| e.to_string())?;
            println!("Loaded {n} sample items.");
        }
    }
    let url = &server.base_url;
    println!(
        "folio is serving {url}  (data in {})",
        config.data_dir.display()
    );
    match (&owner.generated_password, owner.created) {
        (Some(generated), _) => println!(
            "Created the owner {} with password {generated}\n  (shown once; set FOLIO_OWNER_PASSWORD before the first start to choose it)",
            owner.email
        ),
        (None, true) => println!(
            "Created the owner {} with the password from FOLIO_OWNER_PASSWORD",
            owner.email
        ),
        (None, false) => println!("Owner: {}", owner.email),
    }
    println!(
        "Sign in:  curl -s -X POST {url}/v1/auth/login -H 'Content-Type: application/json' -d '{{\"email\":\"{}\",\"password\":\"…\"}}'",
        owner.email
    );
    println!("API spec: {url}/v1/openapi.json\nPress Ctrl-C to stop.");
    shutdown_signal().await;
    println!("Shutting down…");
    server.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn seed_command(data_dir: PathBuf) -> Result<(), String> {
    let config = LocalConfig {
        data_dir: data_dir.clone(),
        issuer: "folio-seed".into(),
        token_ttl_secs: 3600,
    };
    let local = tokio::task::spawn_blocking(move || Local::open(&config))
        .await
        .map_err(|e| e.to_string())??;
    let n = folio::seed::seed(&local.app)
        .await
        .map_err(|e| e.to_string())?;
    println!("Loaded {n} sample items into {}.", data_dir.display());
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    init_logging();
    let result = match Cli::parse().command {
        Command::Serve {
            addr,
            data_dir,
            allow_origin,
            seed,
        } => {
            serve_command(
                ServeConfig {
                    addr,
                    data_dir,
                    allowed_origins: allow_origin,
                    token_ttl_secs: 3600,
                },
                seed,
            )
            .await
        }
        Command::Seed { data_dir } => seed_command(data_dir).await,
        Command::Openapi => serde_json::to_string_pretty(&folio_origin::openapi::document())
            .map(|doc| println!("{doc}"))
            .map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("folio: {message}");
            ExitCode::FAILURE
        }
    }
}
