//! Local mode: the origin wired to the embedded store, the local issuer and the
//! local cache purge. Used by `folio serve` and the tests; never by the origin
//! Lambda, which refuses `FOLIO_ADAPTERS=local` (a missing AWS setting is an
//! error, never a silent fall back to an empty local store).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use folio_shared::jwt::{JwksSource, Verifier, VerifierConfig};
use jsonwebtoken::jwk::JwkSet;

use crate::adapters::local::embedded::EmbeddedStore;
use crate::adapters::local::issuer::{IssuerConfig, LocalIssuer};
use crate::adapters::local::purge::LocalPurge;
use crate::adapters::resilience::{FaultPlan, wrap_identity, wrap_store};
use crate::ports::Store;
use crate::usecases::app::App;
use crate::usecases::site::Site;
use crate::usecases::webhooks::{WebhookSettings, Webhooks};
use crate::wiring::error::StartError;

pub const STORE_FILE: &str = "folio.redb";
pub const LOCAL_CLIENT_ID: &str = "folio-local";
pub const OWNER_GROUP: &str = "owner";
pub const LOCAL_REGION: &str = "local";

#[derive(Debug, Clone)]
pub struct LocalConfig {
    pub data_dir: PathBuf,
    /// `iss` of local tokens; `folio serve` uses its own base URL.
    pub issuer: String,
    pub token_ttl_secs: u64,
    /// Failures to inject into the store and identity ports (tests only).
    pub faults: Option<FaultPlan>,
    /// The owner's frontend, for feeds and the sitemap.
    pub site: Option<Site>,
    /// Rebuild hooks to notify of public changes.
    pub webhooks: Option<WebhookSettings>,
}

impl LocalConfig {
    /// A store and issuer in `data_dir` and nothing more (no site, hooks or faults),
    /// tokens valid for an hour: what one-shot commands, tests and benches open.
    pub fn plain(data_dir: impl Into<PathBuf>, issuer: impl Into<String>) -> Self {
        Self {
            data_dir: data_dir.into(),
            issuer: issuer.into(),
            token_ttl_secs: 3600,
            faults: None,
            site: None,
            webhooks: None,
        }
    }
}

/// Everything local mode is made of; `app` is what requests go through.
pub struct Local {
    pub app: Arc<App>,
    /// The embedded store without the faults and retries the app's calls go
    /// through: what [`Local::regional_app`] wraps again for another Region.
    embedded: Arc<dyn Store>,
    site: Option<Site>,
    webhooks: Option<WebhookSettings>,
    pub issuer: Arc<LocalIssuer>,
    pub purge: Arc<LocalPurge>,
    pub verifier: Arc<Verifier>,
}

/// The local issuer's keys, handed to the verifier without HTTP.
struct IssuerKeys(Arc<LocalIssuer>);

#[async_trait]
impl JwksSource for IssuerKeys {
    async fn fetch(&self) -> Result<JwkSet, folio_shared::jwt::JwksError> {
        Ok(self.0.jwks().clone())
    }
}

pub fn verifier_config(issuer: &str) -> VerifierConfig {
    VerifierConfig::new(issuer, LOCAL_CLIENT_ID, OWNER_GROUP)
}

impl Local {
    pub fn open(config: &LocalConfig) -> Result<Self, StartError> {
        let dir: &Path = &config.data_dir;
        // Password hashes, visitor salts and the signing key live here: private
        // from creation.
        crate::support::private_files::ensure_dir(dir)?;
        crate::support::private_files::ensure_file(&dir.join(STORE_FILE))?;
        let embedded: Arc<dyn Store> = Arc::new(EmbeddedStore::open(&dir.join(STORE_FILE))?);
        let store = wrap_store(Arc::clone(&embedded), config.faults.clone());
        let issuer = Arc::new(LocalIssuer::open(
            dir,
            Arc::clone(&store),
            IssuerConfig {
                issuer: config.issuer.clone(),
                client_id: LOCAL_CLIENT_ID.into(),
                owner_group: OWNER_GROUP.into(),
                token_ttl_secs: config.token_ttl_secs,
            },
        )?);
        let verifier = Arc::new(Verifier::new(
            verifier_config(&config.issuer),
            issuer.jwks(),
            Arc::new(IssuerKeys(Arc::clone(&issuer))),
        ));
        let purge = Arc::new(LocalPurge::new());
        let app = Arc::new(
            App::new(
                store,
                wrap_identity(issuer.clone(), config.faults.clone()),
                purge.clone(),
                Arc::clone(&verifier),
                LOCAL_REGION,
            )
            .with_site(config.site.clone())
            .with_webhooks(config.webhooks.clone().map(Webhooks::new).transpose()?),
        );
        Ok(Self {
            app,
            embedded,
            site: config.site.clone(),
            webhooks: config.webhooks.clone(),
            issuer,
            purge,
            verifier,
        })
    }

    /// An origin in `region` over the same store, as one table's replicas in two
    /// Regions are (`folio serve --regions`): its own counter rows, its own faults
    /// (an outage of that Region's store endpoint), the same issuer and purge.
    pub fn regional_app(
        &self,
        region: &str,
        home: &str,
        faults: Option<FaultPlan>,
    ) -> Result<Arc<App>, StartError> {
        Ok(Arc::new(
            App::new(
                wrap_store(Arc::clone(&self.embedded), faults.clone()),
                wrap_identity(self.issuer.clone(), faults),
                self.purge.clone(),
                Arc::clone(&self.verifier),
                region,
            )
            .with_home_region(Some(home))
            .with_site(self.site.clone())
            .with_webhooks(self.webhooks.clone().map(Webhooks::new).transpose()?),
        ))
    }
}
