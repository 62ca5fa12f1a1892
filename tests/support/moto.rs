//! moto in server mode, started per test on a free port of 127.0.0.1 from the
//! project's venv (`./scripts/test` installs it) through `scripts/moto_server.py`,
//! which makes each request atomic as DynamoDB's are. A missing moto fails the
//! test: the AWS adapters are never silently skipped.
//!
//! Each server is forked by one zygote per test process (`moto_server.py
//! --zygote`), which imported moto and loaded its services once: a server answers
//! in about 30 ms instead of a second of Python start-up per test.

use folio_shared::settings::Env;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_dynamodb::config::Credentials;

pub const REGION: &str = "us-east-1";

pub struct Moto {
    pub endpoint: String,
    /// The forked server's process id; 0 once stopped.
    pid: u32,
}

/// The zygote and its command pipe. It lives as long as the test process: when
/// the process ends, the zygote reads end of input and kills what it started.
struct Zygote {
    commands: ChildStdin,
    answers: BufReader<ChildStdout>,
    _process: Child,
}

impl Zygote {
    fn shared() -> &'static Mutex<Zygote> {
        static ZYGOTE: OnceLock<Mutex<Zygote>> = OnceLock::new();
        ZYGOTE.get_or_init(|| {
            let (python, script) = moto_command();
            let mut process = Command::new(python)
                .arg(script)
                .arg("--zygote")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("the moto zygote starts");
            let commands = process.stdin.take().expect("zygote stdin");
            let answers = BufReader::new(process.stdout.take().expect("zygote stdout"));
            Mutex::new(Zygote {
                commands,
                answers,
                _process: process,
            })
        })
    }

    /// Sends one command, returns its one-line answer.
    fn ask(command: &str) -> String {
        let mut zygote = Self::shared().lock().unwrap_or_else(|e| e.into_inner());
        writeln!(zygote.commands, "{command}").expect("the moto zygote reads commands");
        let mut answer = String::new();
        zygote
            .answers
            .read_line(&mut answer)
            .expect("the moto zygote answers");
        assert!(!answer.is_empty(), "the moto zygote exited; see its stderr");
        answer.trim().to_string()
    }
}

/// The repository root (tests of the root package and of workspace members).
fn repo_root() -> PathBuf {
    let here = folio_testkit::package_dir();
    if here.join("scripts/moto_server.py").exists() {
        here
    } else {
        here.join("..")
    }
}

/// `(venv python, launcher script)`.
fn moto_command() -> (PathBuf, PathBuf) {
    let root = repo_root();
    let python = root.join(".venv/bin/python");
    let has_moto = root.join(".venv/bin/moto_server").exists();
    assert!(
        python.exists() && has_moto,
        "moto is not installed in .venv: run ./scripts/test (it installs moto[server]) \
         or `python3 -m venv .venv && .venv/bin/pip install -r scripts/requirements-test.txt`"
    );
    (python, root.join("scripts/moto_server.py"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Moto {
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    /// Starts moto on `port` and waits until it answers.
    pub fn start_on(port: u16) -> Self {
        let pid: u32 = Zygote::ask(&format!("start {port}"))
            .parse()
            .expect("the zygote answers the server's pid");
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto did not start on {endpoint}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { endpoint, pid }
    }

    pub fn port(&self) -> u16 {
        self.endpoint
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port")
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Kills the server (what "moto stopped mid-run" means), and returns once it
    /// is gone.
    pub fn stop(&mut self) {
        if self.pid != 0 {
            Zygote::ask(&format!("stop {}", self.pid));
            self.pid = 0;
        }
    }

    /// The SDK configuration of the origin (same retry and timeouts), pointed at moto.
    pub async fn sdk(&self) -> SdkConfig {
        folio_origin::wiring::aws::sdk_loader(REGION, &Env::default())
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new("test", "test", None, None, "moto"))
            .load()
            .await
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A table, a user pool with its app client and owner group, and the owner, created
/// on a moto server: what a deployment gets from the template.
pub struct AwsFixture {
    pub settings: folio_origin::wiring::aws::AwsSettings,
    pub sdk: SdkConfig,
}

impl AwsFixture {
    pub async fn create(moto: &Moto, owner_email: &str, owner_password: &str) -> Self {
        use folio::dynamo_admin::create_table;
        use folio_origin::adapters::aws::cognito::{CognitoIdentity, create_pool};
        use folio_origin::adapters::aws::dynamo::DynamoStore;
        let sdk = moto.sdk().await;
        let table = format!("folio-{}", uuid_suffix());
        // Under scripts/dynamodb_local_suite, DynamoDB is Amazon's DynamoDB Local
        // (AWS_ENDPOINT_URL_DYNAMODB) and the rest moto.
        let dynamodb_endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").ok();
        let mut dynamodb = aws_sdk_dynamodb::config::Builder::from(&sdk);
        if let Some(endpoint) = &dynamodb_endpoint {
            dynamodb = dynamodb.endpoint_url(endpoint);
        }
        let admin = aws_sdk_dynamodb::Client::from_conf(dynamodb.build());
        create_table(&admin, &table).await.expect("table created");
        let endpoint = folio_origin::adapters::aws::dynamo::DynamoEndpoint {
            url: dynamodb_endpoint.clone(),
            ca_bundle: None,
        };
        let store = DynamoStore::connect(&sdk, &endpoint, &table).expect("store connected");
        // As `folio table create` does: a new table is marked indexed for lists.
        folio_origin::repo::content::migrate_all(
            &store,
            REGION,
            folio_origin::repo::content::Walk::UnlessMarked,
            |_, _| {},
        )
        .await
        .expect("new table marked indexed");
        let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
        // moto answers slowly while a whole suite and DynamoDB Local share two
        // cores: a timed-out creation is tried again (a stray pool is harmless).
        let mut attempt = 0;
        let (pool, client) = loop {
            match create_pool(&cognito, &table).await {
                Ok(created) => break created,
                Err(folio_origin::ports::IdentityError::Unavailable { .. }) if attempt < 3 => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
                Err(e) => panic!("pool created: {e:?}"),
            }
        };
        let jwks = format!("{}/{pool}/.well-known/jwks.json", moto.endpoint);
        let mut env = Env::from_pairs(&[
            ("AWS_REGION", REGION),
            ("TABLE_NAME", &table),
            ("USER_POOL_ID", &pool),
            ("USER_POOL_CLIENT_ID", &client),
            ("JWKS_URL", &jwks),
        ]);
        if let Some(endpoint) = &dynamodb_endpoint {
            env = env.with(&folio_shared::settings::AWS_ENDPOINT_URL_DYNAMODB, endpoint);
        }
        let settings = folio_origin::wiring::aws::AwsSettings::from_env(&env).expect("settings");
        // Prove the table is where the adapters will look for it.
        folio::dynamo_admin::client(&settings, &sdk)
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .unwrap_or_else(|e| panic!("the table is not where the settings point: {e:?}"));
        let identity = CognitoIdentity::new(cognito, settings.cognito_config());
        let email = folio_shared::domain::Email::parse("email", owner_email).expect("email");
        identity
            .ensure_owner(&email, owner_password)
            .await
            .expect("owner created");
        Self { settings, sdk }
    }

    /// Every item of the table, as text (a full Scan through the SDK, paged).
    pub async fn table_text(&self) -> String {
        let client = folio::dynamo_admin::client(&self.settings, &self.sdk);
        let mut out = String::new();
        let mut start = None;
        loop {
            let page = client
                .scan()
                .table_name(&self.settings.table_name)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("table scanned");
            for item in page.items() {
                out.push_str(&format!("{item:?}\n"));
            }
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                return out;
            }
        }
    }

    /// A confirmed user with a permanent password who is in no group.
    pub async fn add_user(&self, email: &str, password: &str) {
        let cognito = aws_sdk_cognitoidentityprovider::Client::new(&self.sdk);
        cognito
            .admin_create_user()
            .user_pool_id(&self.settings.user_pool_id)
            .username(email)
            .send()
            .await
            .expect("user created");
        cognito
            .admin_set_user_password()
            .user_pool_id(&self.settings.user_pool_id)
            .username(email)
            .password(password)
            .permanent(true)
            .send()
            .await
            .expect("password set");
    }
}

pub fn uuid_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}-{nanos}", NEXT.fetch_add(1, Ordering::Relaxed))
}
