use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use folio::aws_cli;
use folio::error::CommandError;
use folio::serve::{self, Backend, ServeConfig};
use folio::{env, parse_addr};
use folio_origin::wiring::local::{Local, LocalConfig};
use folio_shared::domain::Email;
use folio_shared::settings::{self, FOLIO_LOG, FOLIO_OWNER_EMAIL, FOLIO_OWNER_PASSWORD};

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
    #[command(after_help = "Environment:\n  \
        FOLIO_OWNER_EMAIL     the owner created on first start (default owner@folio.local)\n  \
        FOLIO_OWNER_PASSWORD  that owner's password (none: one is generated and printed once)\n  \
        FOLIO_LOG             log filter, e.g. info (default warn)\n  \
        SITE_URL              your frontend, which feeds and the sitemap link to (default: this server)\n  \
        SITE_TITLE, SITE_POST_PATH (default /blog/{slug}), SITE_PROJECT_PATH,\n  \
        SITE_CERTIFICATION_PATH, API_URL: the rest of the frontend's settings\n  \
        WEBHOOK_URLS, WEBHOOK_SECRET: rebuild hooks told of every public change\n  \
        Every setting: folio settings\n  \
        With --aws: TABLE_NAME, USER_POOL_ID, USER_POOL_CLIENT_ID, AWS_REGION (required),\n  \
        USER_POOL_CLIENT_SECRET, OWNER_GROUP, DISTRIBUTION_ID, JWKS_URL, AWS_ENDPOINT_URL")]
    Serve {
        /// Address to listen on: host:port, or a port alone for 127.0.0.1:PORT.
        #[arg(long, env = settings::FOLIO_ADDR.name, default_value = settings::FOLIO_ADDR.default, value_parser = parse_addr)]
        addr: SocketAddr,
        /// Directory holding the store and the local issuer's key.
        #[arg(long, env = settings::FOLIO_DATA_DIR.name, default_value = settings::FOLIO_DATA_DIR.default)]
        data_dir: PathBuf,
        /// Browser origins allowed to call the API (comma-separated; * for any).
        #[arg(
            long,
            env = settings::FOLIO_ALLOWED_ORIGINS.name,
            default_value = settings::FOLIO_ALLOWED_ORIGINS.default,
            value_delimiter = ','
        )]
        allow_origin: Vec<String>,
        /// Load sample content when the store has none.
        #[arg(long)]
        seed: bool,
        /// Run the origin on DynamoDB, Cognito and CloudFront, configured like the
        /// origin Lambda (TABLE_NAME, USER_POOL_ID, USER_POOL_CLIENT_ID, AWS_REGION,
        /// …; AWS_ENDPOINT_URL points it at moto).
        #[arg(long)]
        aws: bool,
        /// Two origins over the one store, as a global table's replicas in two
        /// Regions: HOME,OTHER (like eu-west-1,us-east-1). Reads fail over to
        /// OTHER as CloudFront's origin group does; changes go HOME only. Take a
        /// Region down and back with `PUT /_standin/regions/{region}` (docs/DEPLOY.md).
        #[arg(long, value_parser = folio::serve::TwoRegions::parse)]
        regions: Option<folio::serve::TwoRegions>,
    },
    /// The DynamoDB table: create it, or print the definition template.yaml uses.
    Table {
        #[command(subcommand)]
        command: TableCommand,
    },
    /// The owner in the Cognito user pool (AWS settings as for `serve --aws`).
    Owner {
        #[command(subcommand)]
        command: OwnerCommand,
    },
    /// For work against moto (or a first deploy without the template): create a
    /// table, a user pool with its app client and owner group, and the owner, then
    /// print the settings `serve --aws` needs.
    AwsInit {
        #[arg(long, env = settings::AWS_REGION.name, default_value = "us-east-1")]
        region: String,
        #[arg(long, env = settings::TABLE_NAME.name, default_value = "folio")]
        table: String,
    },
    /// Check a running folio (a fresh deploy, or `folio serve`) end to end: health,
    /// a public list, owner sign-in, a draft created, published, read publicly with
    /// ETag/304, a tracked visit, unpublished and deleted. The owner's credentials
    /// come from FOLIO_OWNER_EMAIL and FOLIO_OWNER_PASSWORD. Exits non-zero naming
    /// the failing step.
    Smoke {
        /// The API's base URL, e.g. https://d111111abcdef8.cloudfront.net
        base_url: String,
    },
    /// Print folio's OpenAPI document (JSON) to stdout.
    Openapi,
    /// Print every setting folio reads from the environment: who reads it, its
    /// default and its meaning (the README's table).
    Settings {
        /// JSON instead of a Markdown table.
        #[arg(long)]
        json: bool,
    },
    /// Print the CloudFront policies (cache key, origin request headers, CORS,
    /// security headers, error caching) that template.yaml must declare and the
    /// CloudFront stand-in of `folio serve` applies (JSON).
    CloudfrontPolicies,
    /// Build the deployable zips into dist/: origin.zip and media.zip
    /// (provided.al2023) and edge.zip (Lambda@Edge, python3.12, configuration and
    /// JWKS baked in).
    Package {
        /// What to build.
        #[arg(value_enum, default_value = "all")]
        what: PackageWhat,
        #[command(flatten)]
        edge: EdgePackageArgs,
        /// Build with `cargo zigbuild` against glibc 2.17, for hosts whose toolchain
        /// links a newer glibc than Lambda's 2.34 (pip install cargo-zigbuild ziglang).
        #[arg(long, conflicts_with_all = ["origin_binary", "media_binary", "edge_binary"])]
        zigbuild: bool,
        /// Package this origin `bootstrap` (built elsewhere) instead of building it.
        #[arg(long)]
        origin_binary: Option<PathBuf>,
        /// Package this media function binary (built elsewhere) instead of building it.
        #[arg(long)]
        media_binary: Option<PathBuf>,
        /// Package this edge binary (built elsewhere) instead of building it.
        #[arg(long)]
        edge_binary: Option<PathBuf>,
        /// Where the zips go.
        #[arg(long, default_value = folio::package::DIST)]
        dist: PathBuf,
    },
    /// Write everything of a store (content with ids, slugs, statuses and dates; view
    /// and visitor counts; daily visitor rows) to a file in folio's portable format
    /// (JSON Lines). The same content always gives the same bytes.
    Export {
        /// The embedded store of this data directory: one snapshot, read beside a
        /// running `folio serve` if there is one.
        #[arg(long, conflicts_with = "aws", required_unless_present = "aws")]
        data_dir: Option<PathBuf>,
        /// The DynamoDB table (TABLE_NAME, AWS_REGION; AWS_ENDPOINT_URL for moto).
        #[arg(long)]
        aws: bool,
        /// The file to write (replaced whole, never left half-written).
        #[arg(long)]
        out: PathBuf,
    },
    /// Read a file written by `folio export` (or a directory of Markdown files with
    /// front matter, as Hugo, Jekyll and Astro write them) into a store. Idempotent:
    /// ids, slugs and dates are kept, counts are set (never added twice), and
    /// importing again changes nothing. Invalid records are named and skipped.
    Import {
        /// The embedded store of this data directory (created if missing; no
        /// `folio serve` may be using it).
        #[arg(long, conflicts_with = "aws", required_unless_present = "aws")]
        data_dir: Option<PathBuf>,
        /// The DynamoDB table (TABLE_NAME, AWS_REGION; AWS_ENDPOINT_URL for moto).
        #[arg(long)]
        aws: bool,
        /// Say what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Markdown posts without a category get this one (the API requires one).
        #[arg(long, default_value = "Uncategorized")]
        default_category: String,
        /// Markdown posts without tags get this one (the API requires one).
        #[arg(long, default_value = "untagged")]
        default_tag: String,
        /// A file from `folio export`, or a directory of Markdown files.
        file: PathBuf,
    },
    /// Give the items an older folio wrote their list index rows and their place in
    /// the list tallies, and every item a catalogue entry that matches it (removing
    /// those of deleted items), then mark the store indexed, so lists, the sitemap and the statistics read only what they
    /// return. Safe while the service runs and safe to run again; on a global
    /// table, run it in one Region. `folio serve` does it for its store on every
    /// start.
    Migrate {
        /// The embedded store of this data directory (no `folio serve` may be using it).
        #[arg(long, conflicts_with = "aws", required_unless_present = "aws")]
        data_dir: Option<PathBuf>,
        /// The DynamoDB table (TABLE_NAME, AWS_REGION; AWS_ENDPOINT_URL for moto).
        #[arg(long)]
        aws: bool,
    },
    /// Copy the embedded store of a data directory into a new file: one consistent
    /// snapshot, taken while `folio serve` runs or not.
    Backup {
        #[arg(long, env = settings::FOLIO_DATA_DIR.name, default_value = settings::FOLIO_DATA_DIR.default)]
        data_dir: PathBuf,
        /// A new file (private, 0600: it holds password hashes).
        #[arg(long)]
        out: PathBuf,
    },
    /// Put a backup (from `folio backup`) in place of a data directory's store. Stop
    /// `folio serve` first; the backup is checked before anything is replaced.
    Restore {
        #[arg(long, env = settings::FOLIO_DATA_DIR.name, default_value = settings::FOLIO_DATA_DIR.default)]
        data_dir: PathBuf,
        /// A file written by `folio backup`.
        backup: PathBuf,
    },
    /// Load sample content into a data directory (while no server uses it).
    Seed {
        #[arg(long, env = settings::FOLIO_DATA_DIR.name, default_value = settings::FOLIO_DATA_DIR.default)]
        data_dir: PathBuf,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum PackageWhat {
    All,
    Origin,
    Media,
    Edge,
}

/// What the edge zip bakes in (Lambda@Edge has no environment variables).
#[derive(clap::Args)]
struct EdgePackageArgs {
    /// The Cognito user pool whose tokens the edge accepts.
    #[arg(long, env = settings::USER_POOL_ID.name)]
    user_pool_id: Option<String>,
    /// Its app client id.
    #[arg(long, env = settings::USER_POOL_CLIENT_ID.name)]
    client_id: Option<String>,
    #[arg(long, env = settings::OWNER_GROUP.name, default_value = settings::OWNER_GROUP.default)]
    owner_group: String,
    /// Browser origins allowed to call the API (comma-separated; * for any).
    #[arg(long, env = settings::FOLIO_ALLOWED_ORIGINS.name, value_delimiter = ',')]
    allow_origin: Vec<String>,
    /// exec: the handler execs the binary (default); pipe: the binary stays a child.
    #[arg(long, default_value = "exec")]
    mode: String,
    /// JWKS snapshot to bake in (default: fetched from the pool now).
    #[arg(long)]
    jwks_file: Option<PathBuf>,
    /// JWKS URL override for refetches (default: the pool's).
    #[arg(long, env = settings::JWKS_URL.name)]
    jwks_url: Option<String>,
    /// on: the edge writes CloudWatch custom metrics (they cost money); off by default.
    #[arg(long, env = settings::FOLIO_METRICS.name, default_value = settings::FOLIO_METRICS.default)]
    metrics: String,
}

impl EdgePackageArgs {
    fn settings(&self) -> Result<folio_edge::config::EdgeSettings, CommandError> {
        use folio_edge::config::RunMode;
        let required = |value: &Option<String>, name: &str| {
            value.clone().filter(|v| !v.is_empty()).ok_or_else(|| {
                format!(
                    "missing setting {name} (or --{}) for the edge package",
                    name.to_lowercase().replace('_', "-")
                )
            })
        };
        let mode = match self.mode.as_str() {
            "exec" => RunMode::Exec,
            "pipe" => RunMode::Pipe,
            other => {
                return Err(CommandError::Refused(format!(
                    "--mode must be exec or pipe, not {other:?}"
                )));
            }
        };
        let metrics = settings::metrics_on(&self.metrics).ok_or_else(|| {
            CommandError::Refused(format!(
                "--metrics (FOLIO_METRICS) must be off or on, not {:?}",
                self.metrics
            ))
        })?;
        Ok(folio_edge::config::EdgeSettings {
            user_pool_id: required(&self.user_pool_id, "USER_POOL_ID")?,
            client_id: required(&self.client_id, "USER_POOL_CLIENT_ID")?,
            owner_group: self.owner_group.clone(),
            allowed_origins: self.allow_origin.clone(),
            jwks_url: self.jwks_url.clone(),
            issuer: None,
            mode,
            metrics,
        })
    }
}

#[derive(Subcommand)]
enum TableCommand {
    /// Create the table named by TABLE_NAME (with its GSI and TTL) in AWS_REGION and
    /// wait for it. Needs AWS credentials (AWS_PROFILE, or AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY); AWS_ENDPOINT_URL points it at moto.
    Create,
    /// Print the table definition (JSON) that `create` uses and the template declares.
    Definition,
}

#[derive(Subcommand)]
enum OwnerCommand {
    /// Cognito: create the owner (FOLIO_OWNER_EMAIL, FOLIO_OWNER_PASSWORD) in the
    /// user pool, confirmed, in the owner group. Re-running resets the password.
    /// Needs TABLE_NAME, USER_POOL_ID, USER_POOL_CLIENT_ID, AWS_REGION and AWS
    /// credentials.
    Create,
    /// Local store: set the owner's password to FOLIO_OWNER_PASSWORD (or a
    /// generated one, printed once) and sign every session out. Run it while no
    /// `folio serve` uses the directory.
    ResetPassword {
        #[arg(long, env = settings::FOLIO_DATA_DIR.name, default_value = settings::FOLIO_DATA_DIR.default)]
        data_dir: PathBuf,
    },
    /// Local store: move the owner to another email (same account, same password).
    SetEmail {
        email: String,
        #[arg(long, env = settings::FOLIO_DATA_DIR.name, default_value = settings::FOLIO_DATA_DIR.default)]
        data_dir: PathBuf,
    },
    /// Print the password policy (JSON) the local issuer enforces and the user pool
    /// in template.yaml declares.
    PasswordPolicy,
}

/// `FOLIO_LOG` if set; else warnings for the server, and nothing but errors for
/// one-shot commands, whose failure is the one line they print.
fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(env().get(&FOLIO_LOG).unwrap_or(default))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
}

fn owner_email() -> Result<Email, CommandError> {
    let raw = env()
        .get(&FOLIO_OWNER_EMAIL)
        .unwrap_or(FOLIO_OWNER_EMAIL.default);
    Email::parse(FOLIO_OWNER_EMAIL.name, raw).map_err(|e| {
        CommandError::Refused(format!("setting FOLIO_OWNER_EMAIL is invalid: {}", e.issue))
    })
}

fn owner_password() -> Option<String> {
    env().get(&FOLIO_OWNER_PASSWORD).map(String::from)
}

async fn serve_command(mut config: ServeConfig, seed: bool) -> Result<(), CommandError> {
    let email = owner_email()?;
    config.owner = Some((email.clone(), owner_password()));
    let server = serve::start(config.clone()).await?;
    let url = &server.base_url;
    let owner_email = match &server.owner {
        Some(owner) => {
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
            for note in &owner.notes {
                println!("Note: {note}");
            }
            owner.email.clone()
        }
        None => {
            println!("folio is serving {url}  (origin on AWS adapters)");
            println!("Owner: as created with `folio owner create`");
            email.as_str().to_string()
        }
    };
    if seed {
        let seeded = folio::seed::seed_if_empty(&server.app)
            .await
            .map_err(|e| e.to_string())?;
        println!("{seeded}");
    }
    // Commands that work as pasted, one after the other: the password is the one
    // printed above, or the environment variable it was given in; after a restart
    // without it, a placeholder and how to reset a lost one.
    let generated = server
        .owner
        .as_ref()
        .and_then(|o| o.generated_password.clone());
    let password = match (generated, owner_password()) {
        (Some(generated), _) => generated,
        (None, Some(_)) => "$FOLIO_OWNER_PASSWORD".to_string(),
        (None, None) => "YOUR-PASSWORD".to_string(),
    };
    println!("Owner's console: {url}/admin/  (sign in as {owner_email})");
    println!(
        "Or sign in from a shell (keeps the token in $TOKEN):\n  TOKEN=$(curl -s -X POST {url}/v1/auth/login -H 'Content-Type: application/json' \\\n    -d \"{{\\\"email\\\":\\\"{owner_email}\\\",\\\"password\\\":\\\"{password}\\\"}}\" | sed -n 's/.*\"token\":\"\\([^\"]*\\)\".*/\\1/p')\n  curl -s {url}/v1/auth/me -H \"Authorization: Bearer $TOKEN\""
    );
    if password == "YOUR-PASSWORD" && server.owner.is_some() {
        println!(
            "  (YOUR-PASSWORD: the owner's password; lost it? stop folio, then `folio owner reset-password --data-dir {}`)",
            config.data_dir.display()
        );
    }
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

struct PackageOptions {
    zigbuild: bool,
    origin_binary: Option<PathBuf>,
    media_binary: Option<PathBuf>,
    edge_binary: Option<PathBuf>,
    dist: PathBuf,
}

impl PackageOptions {
    fn build(&self, prebuilt: &Option<PathBuf>) -> folio::package::Build {
        use folio::package::Build;
        match (prebuilt, self.zigbuild) {
            (Some(path), _) => Build::Prebuilt(path.clone()),
            (None, true) => Build::Zigbuild,
            (None, false) => Build::Cargo,
        }
    }
}

async fn package_command(
    what: PackageWhat,
    edge: &EdgePackageArgs,
    options: &PackageOptions,
) -> Result<(), CommandError> {
    let mut origin = options.build(&options.origin_binary);
    let mut media = options.build(&options.media_binary);
    let mut edge_build = options.build(&options.edge_binary);
    if matches!(what, PackageWhat::All) {
        // The edge's settings are checked before minutes of building.
        edge.settings()?;
        (origin, media, edge_build) = folio::package::build_all(&origin, &media, &edge_build)?;
    }
    if matches!(what, PackageWhat::All | PackageWhat::Origin) {
        folio::package::origin(&origin, &options.dist)?;
    }
    if matches!(what, PackageWhat::All | PackageWhat::Media) {
        folio::package::media(&media, &options.dist)?;
    }
    if matches!(what, PackageWhat::All | PackageWhat::Edge) {
        let settings = edge.settings()?;
        folio::package::edge(
            &settings,
            edge.jwks_file.as_deref(),
            &edge_build,
            &options.dist,
        )
        .await?;
    }
    Ok(())
}

/// The local store of `data_dir`, opened for a one-shot command.
async fn open_local(data_dir: PathBuf) -> Result<Local, CommandError> {
    let config = LocalConfig::plain(data_dir, "folio-cli");
    let local = tokio::task::spawn_blocking(move || Local::open(&config))
        .await
        .map_err(|e| e.to_string())??;
    Ok(local)
}

async fn owner_reset_password(data_dir: PathBuf) -> Result<(), CommandError> {
    let local = open_local(data_dir).await?;
    let owner = local
        .issuer
        .owner_email()
        .await
        .map_err(|e| e.to_string())?
        .ok_or("this data directory has no owner yet: `folio serve` creates it")?;
    let (password, shown) = match owner_password() {
        Some(password) => (password, None),
        None => {
            let generated = folio_origin::adapters::local::issuer::generated_password()
                .map_err(|e| e.to_string())?;
            (generated.clone(), Some(generated))
        }
    };
    local
        .issuer
        .set_password(&owner, &password)
        .await
        .map_err(|e| CommandError::Refused(format!("cannot set the password: {e}")))?;
    match shown {
        Some(p) => println!("The password of {owner} is now {p}  (shown once)."),
        None => println!("The password of {owner} is now the one in FOLIO_OWNER_PASSWORD."),
    }
    println!("Refresh tokens are revoked; sign in again.");
    Ok(())
}

async fn owner_set_email(email: &str, data_dir: PathBuf) -> Result<(), CommandError> {
    let email = Email::parse("email", email)
        .map_err(|e| CommandError::Refused(format!("{email:?}: {}", e.issue)))?;
    let local = open_local(data_dir).await?;
    let old = local
        .issuer
        .set_owner_email(&email)
        .await
        .map_err(|e| CommandError::Refused(format!("cannot change the owner's email: {e}")))?;
    println!(
        "The owner is now {} (was {old}); the password is unchanged. Set FOLIO_OWNER_EMAIL={} for `folio serve`.",
        email.as_str(),
        email.as_str()
    );
    Ok(())
}

fn target(data_dir: Option<PathBuf>, aws: bool) -> folio::portable::Target {
    match (data_dir, aws) {
        (Some(dir), false) => folio::portable::Target::DataDir(dir),
        _ => folio::portable::Target::Aws,
    }
}

async fn seed_command(data_dir: PathBuf) -> Result<(), CommandError> {
    let config = LocalConfig::plain(data_dir.clone(), "folio-seed");
    let local = tokio::task::spawn_blocking(move || Local::open(&config))
        .await
        .map_err(|e| e.to_string())??;
    let seeded = folio::seed::seed_if_empty(&local.app)
        .await
        .map_err(|e| e.to_string())?;
    println!("{seeded} ({})", data_dir.display());
    Ok(())
}

/// `folio serve`'s feature settings, read as the Lambda reads them: the frontend
/// (feeds, sitemap) and the rebuild hooks.
fn serve_features() -> Result<
    (
        Option<folio_origin::usecases::site::Site>,
        Option<folio_origin::usecases::webhooks::WebhookSettings>,
    ),
    String,
> {
    let site = folio_origin::usecases::site::Site::from_env(env()).map_err(|e| e.to_string())?;
    let hooks = folio_origin::usecases::webhooks::WebhookSettings::from_env(env())
        .map_err(|e| e.to_string())?;
    Ok((site, hooks))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    for warning in env().warnings() {
        eprintln!("folio: {warning}");
    }
    init_logging(match cli.command {
        Command::Serve { .. } => FOLIO_LOG.default,
        _ => "off",
    });
    let result = match cli.command {
        Command::Serve {
            addr,
            data_dir,
            allow_origin,
            seed,
            aws,
            regions,
        } => {
            let (site, webhooks) = match serve_features() {
                Ok(features) => features,
                Err(message) => {
                    eprintln!("folio: {message}");
                    return ExitCode::FAILURE;
                }
            };
            let backend = if aws {
                aws_cli::backend().await
            } else {
                Ok(Backend::Embedded)
            };
            match backend {
                Ok(backend) => {
                    serve_command(
                        ServeConfig {
                            addr,
                            data_dir,
                            allowed_origins: allow_origin,
                            token_ttl_secs: 3600,
                            backend,
                            standin: Default::default(),
                            faults: None,
                            owner: None,
                            site,
                            webhooks,
                            regions,
                        },
                        seed,
                    )
                    .await
                }
                Err(e) => Err(e),
            }
        }
        Command::Package {
            what,
            edge,
            zigbuild,
            origin_binary,
            media_binary,
            edge_binary,
            dist,
        } => {
            let options = PackageOptions {
                zigbuild,
                origin_binary,
                media_binary,
                edge_binary,
                dist,
            };
            package_command(what, &edge, &options).await
        }
        Command::Table {
            command: TableCommand::Create,
        } => aws_cli::create_table().await,
        Command::Table {
            command: TableCommand::Definition,
        } => aws_cli::print_table_definition(),
        Command::Owner {
            command: OwnerCommand::Create,
        } => match (owner_email(), owner_password()) {
            (Ok(email), Some(password)) => aws_cli::create_owner(&email, &password).await,
            (Err(e), _) => Err(e),
            (_, None) => Err("missing setting FOLIO_OWNER_PASSWORD: the owner's password".into()),
        },
        Command::Owner {
            command: OwnerCommand::ResetPassword { data_dir },
        } => owner_reset_password(data_dir).await,
        Command::Owner {
            command: OwnerCommand::SetEmail { email, data_dir },
        } => owner_set_email(&email, data_dir).await,
        Command::Owner {
            command: OwnerCommand::PasswordPolicy,
        } => serde_json::to_string_pretty(&folio_shared::domain::PASSWORD_POLICY.document())
            .map_err(|e| CommandError::Refused(e.to_string()))
            .and_then(|doc| folio::print_document(&doc)),
        Command::AwsInit { region, table } => match (owner_email(), owner_password()) {
            (Ok(email), Some(password)) => aws_cli::init(&region, &table, &email, &password).await,
            (Err(e), _) => Err(e),
            (_, None) => Err("missing setting FOLIO_OWNER_PASSWORD: the owner's password".into()),
        },
        Command::Seed { data_dir } => seed_command(data_dir).await,
        Command::Backup { data_dir, out } => folio::portable::backup(&data_dir, &out),
        Command::Restore { data_dir, backup } => folio::portable::restore(&data_dir, &backup),
        Command::Export { data_dir, aws, out } => {
            folio::portable::export(target(data_dir, aws), &out).await
        }
        Command::Migrate { data_dir, aws } => folio::portable::migrate(target(data_dir, aws)).await,
        Command::Import {
            data_dir,
            aws,
            dry_run,
            default_category,
            default_tag,
            file,
        } => {
            let defaults = folio::markdown_import::Defaults {
                category: default_category,
                tag: default_tag,
            };
            folio::portable::import(target(data_dir, aws), &file, dry_run, &defaults).await
        }
        Command::Smoke { base_url } => match (owner_email(), owner_password()) {
            (Ok(email), Some(password)) => {
                let credentials = folio::smoke::Credentials {
                    email: email.as_str().to_string(),
                    password,
                };
                folio::smoke::run(&base_url, &credentials).await
            }
            (Err(e), _) => Err(e),
            (_, None) => Err(
                "missing setting FOLIO_OWNER_PASSWORD: the owner's password, for the sign-in step"
                    .into(),
            ),
        },
        Command::CloudfrontPolicies => {
            serde_json::to_string_pretty(&folio_shared::policy::document())
                .map_err(|e| CommandError::Refused(e.to_string()))
                .and_then(|doc| folio::print_document(&doc))
        }
        Command::Settings { json: false } => folio::print_document(&settings::markdown_table()),
        Command::Settings { json: true } => serde_json::to_string_pretty(settings::ALL)
            .map_err(|e| CommandError::Refused(e.to_string()))
            .and_then(|doc| folio::print_document(&doc)),
        Command::Openapi => serde_json::to_string_pretty(&folio_origin::http::openapi::document())
            .map_err(|e| CommandError::Refused(e.to_string()))
            .and_then(|doc| folio::print_document(&doc)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("folio: {message}");
            ExitCode::FAILURE
        }
    }
}
