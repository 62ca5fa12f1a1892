//! Every setting folio reads from its environment, each defined once: its name,
//! who reads it, its default and its meaning. The binaries read their settings
//! only through [`Env`], which knows only these names; the README's table is
//! [`markdown_table`] (a test holds the two equal), `folio settings` prints it,
//! and the template tests read `folio settings --json`.
//!
//! Parsing into typed settings happens once per binary at start-up (the origin's
//! `folio_origin::wiring::OriginSettings`, the command line's `clap` arguments);
//! an error is one line that names the setting and the fix.

use std::collections::BTreeMap;

/// Who reads a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Reader {
    /// The origin Lambda and `folio serve --aws`; `template.yaml` sets it.
    Template,
    /// The origin Lambda and `folio serve --aws`, set by hand when needed.
    Aws,
    /// Lambda's runtime sets it (or the AWS SDK reads it); folio reads it too.
    Platform,
    /// The origin Lambda only.
    Lambda,
    /// Both the origin Lambda and `folio serve`; `template.yaml` sets it.
    Everywhere,
    /// The `folio` command (`folio serve` and the one-shot commands).
    Cli,
}

impl Reader {
    fn label(self) -> &'static str {
        match self {
            Reader::Template => "origin (template sets it)",
            Reader::Aws => "origin, `serve --aws`",
            Reader::Platform => "origin (Lambda sets it)",
            Reader::Lambda => "origin Lambda",
            Reader::Everywhere => "origin, `folio serve` (template sets it)",
            Reader::Cli => "`folio`",
        }
    }
}

/// One setting.
#[derive(Debug, PartialEq, Eq, serde::Serialize)]
pub struct Setting {
    pub name: &'static str,
    #[serde(rename = "readBy")]
    pub read_by: Reader,
    /// The value that applies when it is unset or blank, as the code uses it
    /// ("" where there is none; the meaning says what happens then).
    pub default: &'static str,
    pub meaning: &'static str,
}

impl Setting {
    /// Whether `template.yaml` must set it on the origin function.
    pub fn set_by_template(&self) -> bool {
        matches!(self.read_by, Reader::Template | Reader::Everywhere)
    }
}

macro_rules! settings {
    ($($id:ident = $name:literal, $reader:ident, $default:literal, $meaning:literal;)+) => {
        $(pub const $id: Setting = Setting {
            name: $name,
            read_by: Reader::$reader,
            default: $default,
            meaning: $meaning,
        };)+
        /// Every setting, in the README's order.
        pub const ALL: &[&Setting] = &[$(&$id),+];
    };
}

settings! {
    TABLE_NAME = "TABLE_NAME", Template, "",
        "the DynamoDB table (required)";
    USER_POOL_ID = "USER_POOL_ID", Template, "",
        "the Cognito user pool, like `us-east-1_AbCdEf123` (required)";
    USER_POOL_CLIENT_ID = "USER_POOL_CLIENT_ID", Template, "",
        "its app client (required)";
    AWS_REGION = "AWS_REGION", Platform, "",
        "Region of the SDK clients and of this origin's counter rows (required)";
    HOME_REGION = "HOME_REGION", Template, "",
        "the Region whose origin takes the owner's changes and runs the scheduler, hooks and invalidations (default: `AWS_REGION`, a site in one Region); another Region's origin serves reads and counts visits, and answers an owner's change 503";
    FOLIO_ADAPTERS = "FOLIO_ADAPTERS", Lambda, "aws",
        "`aws`, the only value: the origin Lambda runs on AWS and refuses `local` (the embedded store is `folio serve`'s), so a missing `TABLE_NAME` never boots an empty store";
    RUST_LOG = "RUST_LOG", Lambda, "info",
        "the Lambdas' log filter, `target=level` directives such as `info` or `folio_origin=debug,warn` (JSON lines, one span per request)";
    OWNER_GROUP = "OWNER_GROUP", Template, "owner",
        "the Cognito group of the owner";
    FOLIO_METRICS = "FOLIO_METRICS", Template, "off",
        "`on` writes CloudWatch custom metrics as EMF log lines (each metric and dimension set costs about $0.30 a month, the edge's in every Region it runs in); `off` writes none. `folio package edge` bakes it into the edge";
    DISTRIBUTION_ID = "DISTRIBUTION_ID", Template, "",
        "the CloudFront distribution to invalidate on publish (none: no invalidation)";
    USER_POOL_CLIENT_SECRET = "USER_POOL_CLIENT_SECRET", Aws, "",
        "the app client's secret, when it has one (SECRET_HASH is sent)";
    JWKS_URL = "JWKS_URL", Aws, "",
        "where the pool's signing keys are fetched (default: the pool's; moto serves its own)";
    SITE_URL = "SITE_URL", Everywhere, "",
        "your frontend, which feeds and the sitemap link to, like `https://jane.dev` (none: no feeds or sitemap; `folio serve`: itself)";
    SITE_TITLE = "SITE_TITLE", Everywhere, "",
        "the feeds' title (default: the site's host name)";
    SITE_POST_PATH = "SITE_POST_PATH", Everywhere, "/blog/{slug}",
        "a post's page on the frontend (`{slug}` or `{id}`)";
    SITE_PROJECT_PATH = "SITE_PROJECT_PATH", Everywhere, "/projects/{id}",
        "a project's page on the frontend";
    SITE_CERTIFICATION_PATH = "SITE_CERTIFICATION_PATH", Everywhere, "/certifications/{id}",
        "a certification's page on the frontend";
    API_URL = "API_URL", Everywhere, "",
        "the API's public address, for the feeds' self links";
    WEBHOOK_URLS = "WEBHOOK_URLS", Everywhere, "",
        "rebuild hooks told of every public change (up to 5, comma-separated; none: no hooks)";
    WEBHOOK_SECRET = "WEBHOOK_SECRET", Everywhere, "",
        "the key hooks are signed with (at least 32 characters; `openssl rand -hex 32`)";
    MEDIA_BUCKET = "MEDIA_BUCKET", Template, "",
        "the S3 bucket images are uploaded to (none: no uploads)";
    MEDIA_URL = "MEDIA_URL", Template, "",
        "the public address `/media/…` is served at (the distribution's)";
    AWS_ENDPOINT_URL = "AWS_ENDPOINT_URL", Aws, "",
        "every AWS client elsewhere (moto); S3 path-style there";
    AWS_ENDPOINT_URL_DYNAMODB = "AWS_ENDPOINT_URL_DYNAMODB", Aws, "",
        "DynamoDB elsewhere than the other services (DynamoDB Local; default: `AWS_ENDPOINT_URL`)";
    AWS_ENDPOINT_URL_S3 = "AWS_ENDPOINT_URL_S3", Aws, "",
        "S3 elsewhere than the other services (default: `AWS_ENDPOINT_URL`)";
    AWS_CA_BUNDLE = "AWS_CA_BUNDLE", Aws, "",
        "a PEM file of the certificate authorities the store's own DynamoDB calls trust instead of Mozilla's roots, compiled in (a proxy that inspects TLS); a file without a certificate stops the start";
    SSL_CERT_FILE = "SSL_CERT_FILE", Platform, "",
        "where the SDK (Cognito, CloudFront) reads trusted roots, on its first call; the origin Lambda points it at the system bundle when unset (reading every file of the certificate directory was most of a cold start)";
    SSL_CERT_DIR = "SSL_CERT_DIR", Platform, "",
        "a directory of roots for the SDK; set, the origin leaves `SSL_CERT_FILE` alone";
    AWS_ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID", Platform, "",
        "with `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, the execution role's keys: used directly, without building the rest of the SDK's credential chain";
    AWS_SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY", Platform, "",
        "see `AWS_ACCESS_KEY_ID`";
    FOLIO_ADDR = "FOLIO_ADDR", Cli, "127.0.0.1:8080",
        "`folio serve --addr`: `host:port`, or a port alone for 127.0.0.1";
    FOLIO_DATA_DIR = "FOLIO_DATA_DIR", Cli, "folio-data",
        "`--data-dir`: the embedded store (`folio.redb`) and the local issuer's key";
    FOLIO_ALLOWED_ORIGINS = "FOLIO_ALLOWED_ORIGINS", Cli, "*",
        "`--allow-origin`: browser origins for CORS (comma-separated)";
    FOLIO_OWNER_EMAIL = "FOLIO_OWNER_EMAIL", Cli, "owner@folio.local",
        "the owner `folio serve` creates on first start (and `folio owner create`)";
    FOLIO_OWNER_PASSWORD = "FOLIO_OWNER_PASSWORD", Cli, "",
        "that owner's password (none: one is generated and printed once)";
    FOLIO_LOG = "FOLIO_LOG", Cli, "warn",
        "log filter (`info`: one line per request with its id; one-shot commands default to `off`)";
    CARGO = "CARGO", Cli, "cargo",
        "`folio package`: the cargo that builds the zips' binaries (cargo sets it under `cargo run`)";
    CARGO_TARGET_DIR = "CARGO_TARGET_DIR", Cli, "target",
        "`folio package`: where cargo builds the zips' binaries";
}

/// Names `folio serve` read before they became one: `FOLIO_SITE_URL` is now
/// `SITE_URL`, as on the Lambda. Still read, with a warning, until the next major
/// version.
pub const RENAMED: &[(&str, &Setting)] = &[
    ("FOLIO_SITE_URL", &SITE_URL),
    ("FOLIO_SITE_TITLE", &SITE_TITLE),
    ("FOLIO_SITE_POST_PATH", &SITE_POST_PATH),
    ("FOLIO_SITE_PROJECT_PATH", &SITE_PROJECT_PATH),
    ("FOLIO_SITE_CERTIFICATION_PATH", &SITE_CERTIFICATION_PATH),
    ("FOLIO_API_URL", &API_URL),
    ("FOLIO_WEBHOOK_URLS", &WEBHOOK_URLS),
    ("FOLIO_WEBHOOK_SECRET", &WEBHOOK_SECRET),
];

/// A snapshot of the settings in an environment, taken once. Empty (or blank)
/// values are unset.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Env {
    values: BTreeMap<&'static str, String>,
    warnings: Vec<String>,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names only: values include secrets.
        f.debug_list().entries(self.values.keys()).finish()
    }
}

impl Env {
    /// The process's environment, read once.
    pub fn from_process() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The settings `lookup` gives (tests pass pairs).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let mut env = Self::default();
        for setting in ALL {
            if let Some(value) = lookup(setting.name) {
                env = env.with(setting, value);
            }
        }
        for (old, setting) in RENAMED {
            let Some(value) = lookup(old).filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            if env.get(setting).is_some() {
                env.warnings.push(format!(
                    "{old} is ignored: {} is set (the setting's one name)",
                    setting.name
                ));
            } else {
                env.warnings.push(format!(
                    "{old} is now {}: rename it (the old name stops working in the next major version)",
                    setting.name
                ));
                env = env.with(setting, value);
            }
        }
        env
    }

    /// From `(name, value)` pairs; a name that is not a setting is left out.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self::from_lookup(|name| {
            pairs
                .iter()
                .rev()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    }

    /// The same environment with `setting` set to `value`.
    pub fn with(mut self, setting: &Setting, value: impl Into<String>) -> Self {
        let value = value.into();
        if value.trim().is_empty() {
            self.values.remove(setting.name);
        } else {
            self.values.insert(setting.name, value);
        }
        self
    }

    /// The value, trimmed; `None` when unset or blank.
    pub fn get(&self, setting: &Setting) -> Option<&str> {
        self.values.get(setting.name).map(|v| v.trim())
    }

    /// What the reader should hear about (old names still in use).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

/// The README's settings table.
/// `FOLIO_METRICS`'s value as a switch, read the same by the origin and by
/// `folio package edge` (which bakes it into the edge); `None` for anything else.
pub fn metrics_on(value: &str) -> Option<bool> {
    match value {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}

pub fn markdown_table() -> String {
    let mut out = String::from("| setting | read by | default | meaning |\n|---|---|---|---|\n");
    for s in ALL {
        let default = if s.default.is_empty() {
            String::new()
        } else {
            format!("`{}`", s.default)
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            s.name,
            s.read_by.label(),
            default,
            s.meaning
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_has_one_name() {
        let mut names: Vec<&str> = ALL.iter().map(|s| s.name).collect();
        names.extend(RENAMED.iter().map(|(old, _)| *old));
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a name defined twice");
    }

    #[test]
    fn blank_values_are_unset_and_values_are_trimmed() {
        let env = Env::from_pairs(&[("SITE_URL", "  "), ("TABLE_NAME", " folio ")]);
        assert_eq!(env.get(&SITE_URL), None);
        assert_eq!(env.get(&TABLE_NAME), Some("folio"));
    }

    #[test]
    fn an_old_name_still_works_and_is_named_in_a_warning() {
        let env = Env::from_pairs(&[("FOLIO_SITE_URL", "https://jane.dev")]);
        assert_eq!(env.get(&SITE_URL), Some("https://jane.dev"));
        assert!(env.warnings()[0].contains("FOLIO_SITE_URL is now SITE_URL"));
        let both = Env::from_pairs(&[
            ("FOLIO_SITE_URL", "https://old.dev"),
            ("SITE_URL", "https://jane.dev"),
        ]);
        assert_eq!(both.get(&SITE_URL), Some("https://jane.dev"));
        assert!(both.warnings()[0].contains("FOLIO_SITE_URL is ignored"));
    }

    #[test]
    fn the_debug_form_shows_no_value() {
        let env = Env::from_pairs(&[("WEBHOOK_SECRET", "s3cret-s3cret-s3cret-s3cret-s3cret")]);
        assert!(!format!("{env:?}").contains("s3cret"));
    }

    /// Every read of the environment goes through `Env`, so no binary reads a
    /// setting the catalogue (and the README) does not name.
    #[test]
    fn no_source_file_reads_the_environment_past_the_catalogue() {
        fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("shared/src/settings.rs")
                {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for needle in ["env::var", "var_os(", "from_default_env", "try_from_env("] {
                        if text.contains(needle) {
                            found.push(format!("{}: {needle}", path.display()));
                        }
                    }
                    // `env!` and `option_env!` bake the builder's environment into
                    // the binary: only cargo's own build facts may be read so.
                    for (at, _) in text.match_indices("env!(") {
                        if !text[at + "env!(".len()..].starts_with("\"CARGO_") {
                            found.push(format!("{}: a setting read at build time", path.display()));
                        }
                    }
                }
            }
        }
        // Read when the test runs (cargo sets it), not baked in: see
        // folio_testkit::package_dir.
        let root = std::path::PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo test"),
        )
        .join("..");
        let mut found = Vec::new();
        for dir in ["src", "origin/src", "edge/src", "shared/src"] {
            walk(&root.join(dir), &mut found);
        }
        assert!(
            found.is_empty(),
            "read settings through folio_shared::settings::Env: {found:?}"
        );
    }

    #[test]
    fn the_readme_table_is_the_catalogue() {
        let readme = include_str!("../../README.md");
        let table = markdown_table();
        assert!(
            readme.contains(&table),
            "README.md's settings table differs from shared/src/settings.rs; paste this (or run `folio settings`):\n{table}"
        );
    }
}
