//! AWS mode: the origin wired to DynamoDB, Cognito and CloudFront. Used by the
//! origin Lambda (a missing setting stops the start, naming it) and by
//! `folio serve --aws`.
//!
//! Its settings are defined in `folio_shared::settings` and read once, by
//! [`AwsSettings::from_env`].
//!
//! `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` point a client elsewhere
//! (moto, DynamoDB Local): the SDK reads them for Cognito, CloudFront and S3, and
//! folio's own DynamoDB client reads `AWS_ENDPOINT_URL_DYNAMODB`, then
//! `AWS_ENDPOINT_URL` (`DynamoEndpoint`); `AWS_CA_BUNDLE` names extra CA roots.

use std::sync::Arc;

use async_trait::async_trait;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, Region, SdkConfig};
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use folio_shared::jwt::jwks_http::HttpJwks;
use folio_shared::jwt::{
    Verifier, VerifierConfig, cognito_issuer, cognito_jwks_url, cognito_pool_region,
};
use folio_shared::settings::{
    AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3, AWS_REGION, AWS_SECRET_ACCESS_KEY,
    DISTRIBUTION_ID, Env, HOME_REGION, JWKS_URL, MEDIA_BUCKET, MEDIA_URL, OWNER_GROUP, RUST_LOG,
    Setting, TABLE_NAME, USER_POOL_CLIENT_ID, USER_POOL_CLIENT_SECRET, USER_POOL_ID,
};
use jsonwebtoken::jwk::JwkSet;

use crate::adapters::aws::call_policy::CallPolicy;
use crate::adapters::aws::cloudfront::CloudFrontInvalidator;
use crate::adapters::aws::cognito::{CognitoConfig, CognitoIdentity};
use crate::adapters::aws::dynamo::{ConnectError, DynamoEndpoint, DynamoStore};
use crate::adapters::aws::s3::{AwsCredentials, CredentialSource, S3Media};
use crate::adapters::resilience::{FaultPlan, wrap_identity, wrap_store};
use crate::ports::media::MediaError;
use crate::ports::{Invalidator, Store};
use crate::usecases::app::App;
use crate::usecases::site::Site;
use crate::usecases::webhooks::{WebhookSettings, Webhooks};
pub use crate::wiring::error::ConfigError;
use crate::wiring::error::StartError;

/// The settings the AWS adapters cannot start without.
pub const REQUIRED: &[&Setting] = &[
    &AWS_REGION,
    &TABLE_NAME,
    &USER_POOL_ID,
    &USER_POOL_CLIENT_ID,
];

/// CloudFront's API is global and signs in us-east-1.
const CLOUDFRONT_REGION: &str = "us-east-1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    pub table_name: String,
    pub user_pool_id: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub owner_group: String,
    pub distribution_id: Option<String>,
    pub region: String,
    /// `HOME_REGION`: unset, this Region is the home.
    pub home_region: Option<String>,
    pub jwks_url: String,
    /// `AWS_ENDPOINT_URL_DYNAMODB` and `AWS_CA_BUNDLE`, for the store's own calls.
    pub dynamodb: DynamoEndpoint,
    /// The owner's frontend, for feeds and the sitemap.
    pub site: Option<Site>,
    /// Rebuild hooks to notify of public changes.
    pub webhooks: Option<WebhookSettings>,
    /// The bucket images are uploaded to, and where `/media/…` is served.
    pub media: Option<MediaSettings>,
}

/// `MEDIA_BUCKET` and `MEDIA_URL` (`crate::adapters::aws::s3`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSettings {
    pub bucket: String,
    pub public_base: String,
    /// `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`: S3 elsewhere (moto), path-style.
    pub endpoint: Option<String>,
}

impl MediaSettings {
    /// Uploads need both `MEDIA_BUCKET` and `MEDIA_URL`; MEDIA_URL is empty until
    /// the distribution exists (the first deploy), and uploads stay off until then.
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        let optional = |setting| env.get(setting).map(String::from);
        let (Some(bucket), Some(public_base)) = (optional(&MEDIA_BUCKET), optional(&MEDIA_URL))
        else {
            return Ok(None);
        };
        url::Url::parse(&public_base).map_err(|_| ConfigError::Invalid {
            name: MEDIA_URL.name,
            reason: format!("{public_base:?} is not an absolute URL"),
        })?;
        Ok(Some(Self {
            bucket,
            public_base: public_base.trim_end_matches('/').to_string(),
            endpoint: Self::endpoint(env),
        }))
    }

    /// `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`: S3 elsewhere (moto).
    fn endpoint(env: &Env) -> Option<String> {
        env.get(&AWS_ENDPOINT_URL_S3)
            .or_else(|| env.get(&AWS_ENDPOINT_URL))
            .map(String::from)
    }

    /// The bucket, signing with the SDK's credentials (the Lambda's role, or the
    /// command's profile).
    pub fn s3(
        &self,
        region: &str,
        credentials: aws_credential_types::provider::SharedCredentialsProvider,
    ) -> Result<S3Media, StartError> {
        let endpoint = self
            .endpoint
            .as_deref()
            .map(url::Url::parse)
            .transpose()
            .map_err(|e| StartError::MediaEndpoint(e.to_string()))?;
        Ok(S3Media {
            bucket: self.bucket.clone(),
            region: region.to_string(),
            endpoint,
            public_base: self.public_base.clone(),
            credentials: Box::new(SdkCredentials(credentials)),
        })
    }
}

/// The media function's settings: its Region and the bucket
/// (`src/bin/media.rs`), and the log filter. It needs no `MEDIA_URL`: it writes
/// copies beside uploads and never links to them.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaFunctionSettings {
    pub region: String,
    pub media: MediaSettings,
    pub log_filter: tracing_subscriber::filter::Targets,
}

impl MediaFunctionSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let missing: Vec<&'static str> = [&AWS_REGION, &MEDIA_BUCKET]
            .into_iter()
            .filter(|setting| env.get(setting).is_none())
            .map(|setting| setting.name)
            .collect();
        if !missing.is_empty() {
            return Err(ConfigError::Missing(missing));
        }
        Ok(Self {
            region: env.get(&AWS_REGION).unwrap_or_default().to_string(),
            media: MediaSettings {
                bucket: env.get(&MEDIA_BUCKET).unwrap_or_default().to_string(),
                public_base: env.get(&MEDIA_URL).unwrap_or_default().to_string(),
                endpoint: MediaSettings::endpoint(env),
            },
            log_filter: log_filter(env)?,
        })
    }
}

/// The Lambdas' log filter, `RUST_LOG`: `target=level` directives
/// (`info`, `folio_origin=debug,warn`). `Targets`, not `EnvFilter`, whose span
/// and field filters bring a regex engine into the shipped binary.
pub fn log_filter(env: &Env) -> Result<tracing_subscriber::filter::Targets, ConfigError> {
    let value = env.get(&RUST_LOG).unwrap_or(RUST_LOG.default);
    value.parse().map_err(|e| ConfigError::Invalid {
        name: RUST_LOG.name,
        reason: format!(
            "{value:?}: {e}: use target=level directives, like info or folio_origin=debug,warn"
        ),
    })
}

/// The SDK's credentials (the Lambda's role), for signing upload URLs.
struct SdkCredentials(aws_credential_types::provider::SharedCredentialsProvider);

#[async_trait]
impl CredentialSource for SdkCredentials {
    async fn credentials(&self) -> Result<AwsCredentials, MediaError> {
        use aws_credential_types::provider::ProvideCredentials;
        let c = self
            .0
            .provide_credentials()
            .await
            .map_err(|e| MediaError::NoCredentials(e.to_string()))?;
        Ok(AwsCredentials {
            access_key_id: c.access_key_id().to_string(),
            secret_access_key: c.secret_access_key().to_string(),
            session_token: c.session_token().map(String::from),
        })
    }
}

impl AwsSettings {
    /// The settings in `env` (the process's environment, read once at start-up).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        // Every missing setting is named at once, not one per attempt.
        let missing: Vec<&'static str> = REQUIRED
            .iter()
            .filter(|setting| env.get(setting).is_none())
            .map(|setting| setting.name)
            .collect();
        if !missing.is_empty() {
            return Err(ConfigError::Missing(missing));
        }
        let required = |setting: &Setting| env.get(setting).unwrap_or_default().to_string();
        let optional = |setting: &Setting| env.get(setting).map(String::from);
        let region = required(&AWS_REGION);
        let user_pool_id = required(&USER_POOL_ID);
        if !user_pool_id.contains('_') {
            return Err(ConfigError::Invalid {
                name: USER_POOL_ID.name,
                reason: format!("{user_pool_id:?} is not a pool id like us-east-1_AbCdEf123"),
            });
        }
        let site = Site::from_env(env)?;
        let webhooks = WebhookSettings::from_env(env)?;
        let media = MediaSettings::from_env(env)?;
        let jwks_url = optional(&JWKS_URL).unwrap_or_else(|| cognito_jwks_url(&user_pool_id));
        Ok(Self {
            table_name: required(&TABLE_NAME),
            client_id: required(&USER_POOL_CLIENT_ID),
            client_secret: optional(&USER_POOL_CLIENT_SECRET),
            owner_group: optional(&OWNER_GROUP).unwrap_or_else(|| OWNER_GROUP.default.into()),
            distribution_id: optional(&DISTRIBUTION_ID),
            dynamodb: DynamoEndpoint::from_env(env),
            user_pool_id,
            region,
            home_region: optional(&HOME_REGION),
            jwks_url,
            site,
            webhooks,
            media,
        })
    }

    /// The Region of the user pool, from its id (`eu-west-1_AbC` → `eu-west-1`): the
    /// Cognito client talks to it, wherever this origin runs.
    pub fn pool_region(&self) -> &str {
        cognito_pool_region(&self.user_pool_id)
    }

    /// `iss` of the pool's tokens. Cognito (and moto) always use the AWS URL.
    pub fn issuer(&self) -> String {
        cognito_issuer(&self.user_pool_id)
    }

    pub fn cognito_config(&self) -> CognitoConfig {
        CognitoConfig {
            user_pool_id: self.user_pool_id.clone(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            owner_group: self.owner_group.clone(),
        }
    }

    /// The store: the table, reached at its own endpoint when one is set, signed
    /// with the shared SDK configuration's credentials.
    pub fn dynamodb_store(&self, sdk: &SdkConfig) -> Result<DynamoStore, ConnectError> {
        DynamoStore::connect(sdk, &self.dynamodb, &self.table_name)
    }

    pub fn verifier_config(&self) -> VerifierConfig {
        VerifierConfig::new(&self.issuer(), &self.client_id, &self.owner_group)
    }
}

/// The SDK configuration every client shares: the retry mode and timeouts of
/// `CallPolicy::AWS`, which folio's own DynamoDB calls follow too. Credentials,
/// endpoints and the rest come from the environment as usual.
///
/// Lambda hands a function its execution role's keys in `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`
/// (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime>).
/// When they are there, they are what the default chain would pick first, so
/// they are read directly: building the chain also builds providers a Lambda
/// never asks (profile, SSO, web identity with an STS client of its own, ECS,
/// IMDS). Without them (a laptop with a profile, SSO), the default chain.
pub fn sdk_loader(region: &str, env: &Env) -> ConfigLoader {
    const POLICY: CallPolicy = CallPolicy::AWS;
    let loader = aws_config::defaults(BehaviorVersion::latest());
    let has = |setting: &Setting| env.get(setting).is_some();
    let loader = if has(&AWS_ACCESS_KEY_ID) && has(&AWS_SECRET_ACCESS_KEY) {
        loader.credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        )
    } else {
        loader
    };
    loader
        .http_client(SharedHttpClient::new(RootsOnFirstCall(sdk_https_client())))
        .region(Region::new(region.to_string()))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(POLICY.max_attempts)
                .with_initial_backoff(POLICY.initial_backoff),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(POLICY.connect_timeout)
                .operation_attempt_timeout(POLICY.attempt_timeout)
                .operation_timeout(POLICY.operation_timeout)
                .build(),
        )
}

/// The SDK's default HTTPS client, built as `aws-smithy-runtime` 1.16.2 builds it
/// (`default_https_client`: rustls on aws-lc, the proxy the environment names).
/// A test pins the versions this copies, so an update of the SDK fails until the
/// copy is compared again.
fn sdk_https_client() -> SharedHttpClient {
    use aws_smithy_http_client::{Builder, ConnectorBuilder, proxy::ProxyConfig, tls};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// An HTTP client that reads the trusted roots on its first call, not while the
/// SDK clients are built at start-up. The default client builds a connector, and
/// so reads and decodes the CA bundle (about 1.5 ms, BENCHMARKS.md), in
/// `validate_base_client_config`; here that is the trait's no-op. Cognito and
/// CloudFront are called by sign-in and publishing only, so a cold start that
/// answers a public read never reads the bundle.
#[derive(Debug)]
struct RootsOnFirstCall(SharedHttpClient);

impl HttpClient for RootsOnFirstCall {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// Sends a change to several invalidators (the local cache of `folio serve` and
/// CloudFront, say).
pub struct Fanout(pub Vec<Arc<dyn Invalidator>>);

#[async_trait]
impl Invalidator for Fanout {
    async fn invalidate(&self, paths: Vec<String>) {
        for target in &self.0 {
            target.invalidate(paths.clone()).await;
        }
    }
}

/// Everything AWS mode is made of; clients are built once and reused.
pub struct Aws {
    pub app: Arc<App>,
    pub verifier: Arc<Verifier>,
    pub store: Arc<DynamoStore>,
    pub identity: Arc<CognitoIdentity>,
}

impl Aws {
    /// Wires the adapters. `also_invalidate` receives every invalidation besides
    /// CloudFront (the local cache of `folio serve`).
    pub async fn connect(
        settings: &AwsSettings,
        sdk: &SdkConfig,
        also_invalidate: Vec<Arc<dyn Invalidator>>,
    ) -> Result<Self, StartError> {
        Self::connect_with(settings, sdk, also_invalidate, None).await
    }

    /// `connect`, with failures injected into the store and identity ports (tests).
    pub async fn connect_with(
        settings: &AwsSettings,
        sdk: &SdkConfig,
        also_invalidate: Vec<Arc<dyn Invalidator>>,
        faults: Option<FaultPlan>,
    ) -> Result<Self, StartError> {
        let store = Arc::new(settings.dynamodb_store(sdk)?);
        // Every client talks to the Region of the resource it calls: the table's
        // replica here, the pool where it lives, CloudFront's global endpoint.
        let cognito = aws_sdk_cognitoidentityprovider::config::Builder::from(sdk)
            .region(Region::new(settings.pool_region().to_string()))
            .build();
        let identity = Arc::new(CognitoIdentity::new(
            aws_sdk_cognitoidentityprovider::Client::from_conf(cognito),
            settings.cognito_config(),
        ));
        let mut invalidators = also_invalidate;
        if let Some(distribution) = &settings.distribution_id {
            let cloudfront = aws_sdk_cloudfront::config::Builder::from(sdk)
                .region(Region::new(CLOUDFRONT_REGION))
                .build();
            invalidators.push(Arc::new(CloudFrontInvalidator::new(
                aws_sdk_cloudfront::Client::from_conf(cloudfront),
                distribution,
            )));
        }
        let jwks = Arc::new(HttpJwks::new(&settings.jwks_url)?);
        let config = settings.verifier_config();
        // No JWKS fetch at start-up: most requests are public reads that need no key,
        // and a cold start should not wait on Cognito. The first token fetches the
        // keys (its kid is unknown: single flight, rate-limited, last keys kept).
        let initial = JwkSet { keys: Vec::new() };
        let verifier = Arc::new(Verifier::new(config, &initial, jwks));
        let app = Arc::new(
            App::new(
                wrap_store(Arc::clone(&store) as Arc<dyn Store>, faults.clone()),
                wrap_identity(identity.clone(), faults),
                Arc::new(Fanout(invalidators)),
                Arc::clone(&verifier),
                &settings.region,
            )
            .with_home_region(settings.home_region.as_deref())
            .with_site(settings.site.clone())
            .with_webhooks(settings.webhooks.clone().map(Webhooks::new).transpose()?),
        );
        if let (Some(media), Some(credentials)) = (&settings.media, sdk.credentials_provider()) {
            app.set_media(Arc::new(media.s3(&settings.region, credentials.clone())?));
            // The tick's daily sweep of unlinked uploads (usecases::images).
            let objects =
                crate::adapters::aws::s3::S3Objects::new(media.s3(&settings.region, credentials)?)
                    .map_err(|e| StartError::MediaClient(e.to_string()))?;
            app.set_media_objects(Arc::new(objects));
        }
        Ok(Self {
            app,
            verifier,
            store,
            identity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sdk_https_client` copies the SDK's private `default_https_client`: a new
    /// version of the crates it comes from may build its client otherwise (a TLS
    /// provider, a proxy rule), and this copy would not follow. So this fails on
    /// any other locked version until someone compares the copy with the new
    /// `aws-smithy-runtime/src/client/http.rs` and updates the versions here.
    #[test]
    fn the_copied_default_https_client_is_of_the_locked_sdk_versions() {
        let lock = include_str!("../../../Cargo.lock");
        for (name, copied) in [
            ("aws-smithy-runtime", "1.16.2"),
            ("aws-smithy-http-client", "1.5.2"),
        ] {
            let locked = lock
                .split("[[package]]")
                .find(|p| p.contains(&format!("name = \"{name}\"\n")))
                .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = ")))
                .map(|v| v.trim_matches('"'));
            assert_eq!(
                locked,
                Some(copied),
                "{name} is no longer {copied}: compare sdk_https_client with its default_https_client, then update this test"
            );
        }
    }

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs)
    }

    const FULL: &[(&str, &str)] = &[
        ("AWS_REGION", "eu-west-1"),
        ("TABLE_NAME", "folio"),
        ("USER_POOL_ID", "us-east-1_Abc123"),
        ("USER_POOL_CLIENT_ID", "client"),
    ];

    #[test]
    fn settings_name_the_missing_variable() {
        for missing in REQUIRED {
            let pairs: Vec<_> = FULL
                .iter()
                .copied()
                .filter(|(k, _)| *k != missing.name)
                .collect();
            assert_eq!(
                AwsSettings::from_env(&env(&pairs)),
                Err(ConfigError::Missing(vec![missing.name]))
            );
        }
    }

    #[test]
    fn every_missing_setting_is_named_in_one_message() {
        let error = AwsSettings::from_env(&env(&[("AWS_REGION", "eu-west-1")])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "missing settings TABLE_NAME, USER_POOL_ID, USER_POOL_CLIENT_ID: set them in the environment"
        );
    }

    #[test]
    fn the_cognito_client_uses_the_pool_region_not_the_function_region() {
        let settings = AwsSettings::from_env(&env(FULL)).unwrap();
        assert_eq!(settings.region, "eu-west-1");
        assert_eq!(settings.pool_region(), "us-east-1");
    }

    #[test]
    fn issuer_and_jwks_follow_the_pool_region_not_the_function_region() {
        let settings = AwsSettings::from_env(&env(FULL)).unwrap();
        assert_eq!(
            settings.issuer(),
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc123"
        );
        assert_eq!(settings.owner_group, "owner");
        assert_eq!(settings.distribution_id, None);
        assert_eq!(
            settings.jwks_url,
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc123/.well-known/jwks.json"
        );
    }
}
