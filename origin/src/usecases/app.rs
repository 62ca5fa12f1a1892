//! The origin's state: its ports, its caches and its settings, built once at
//! start (`crate::wiring`) and shared by every request and every tick. It knows
//! no router: the HTTP pipeline (`crate::http`) and the use cases take it.

use std::sync::Arc;

use folio_shared::jwt::Verifier;

use crate::ports::media::{MediaObjects, MediaStore};
use crate::ports::{IdentityProvider, Invalidator, Store};
use crate::usecases::login_throttle::LoginThrottle;
use crate::usecases::render::Renderer;
use crate::usecases::site::Site;
use crate::usecases::tracking::Tracker;
use crate::usecases::verified_tokens::VerifiedTokens;
use crate::usecases::webhooks::Webhooks;

pub struct App {
    pub store: Arc<dyn Store>,
    pub identity: Arc<dyn IdentityProvider>,
    pub invalidator: Arc<dyn Invalidator>,
    pub verifier: Arc<Verifier>,
    /// The verifier behind a cache of tokens it already accepted.
    pub tokens: VerifiedTokens,
    pub tracker: Tracker,
    pub login_throttle: LoginThrottle,
    /// Rendered HTML of the Markdown fields readers get beside them.
    pub renderer: Renderer,
    /// The owner's frontend, which feeds and the sitemap link to (none: no feeds).
    pub site: Option<Site>,
    /// Rebuild hooks to notify of public changes (none: no hooks).
    pub webhooks: Option<Webhooks>,
    /// Where uploaded images go (unset: no uploads). Set once at start-up, by
    /// whoever knows the storage (the AWS wiring, or `folio serve`).
    media: std::sync::OnceLock<Arc<dyn MediaStore>>,
    /// The uploaded images themselves, for the tick's sweep of those no item
    /// links to (unset: no sweep).
    media_objects: std::sync::OnceLock<Arc<dyn MediaObjects>>,
    /// The UTC day this process last swept unlinked uploads (`media_sweep::sweep_daily`).
    pub media_swept_on: std::sync::Mutex<Option<chrono::NaiveDate>>,
    /// Which post a slug last led to: a by-slug read then costs one read, not
    /// two (`repo::content::get_by_slug_cached` checks the post still has it).
    pub slugs: crate::repo::content::SlugCache,
    /// Search's indexes (the readers' and the owner's), each with the change count it is at.
    pub search: crate::usecases::search::SearchIndexes,
    /// Items as readers get them, by version: what lists and reads send.
    pub representations: crate::usecases::representations::Representations,
    /// The feeds as last sent, with the posts and versions they were made of.
    pub documents: crate::usecases::representations::Documents,
    pub pages: crate::usecases::representations::Pages,
    /// This origin's Region and the site's home Region.
    pub regions: Regions,
}

/// Where this origin runs, and the home Region: the one whose origin takes the
/// owner's changes (conditional writes hold within one Region of a global table)
/// and runs the scheduler, the rebuild hooks and the invalidations. Another
/// Region's origin serves reads and counts visits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regions {
    pub this: String,
    pub home: String,
}

impl Regions {
    /// A site in one Region: this origin is its home.
    pub fn single(region: &str) -> Self {
        Self {
            this: region.to_string(),
            home: region.to_string(),
        }
    }

    pub fn is_home(&self) -> bool {
        self.this == self.home
    }
}

impl App {
    pub fn new(
        store: Arc<dyn Store>,
        identity: Arc<dyn IdentityProvider>,
        invalidator: Arc<dyn Invalidator>,
        verifier: Arc<Verifier>,
        region: &str,
    ) -> Self {
        Self {
            store,
            identity,
            invalidator,
            tokens: VerifiedTokens::new(Arc::clone(&verifier)),
            verifier,
            tracker: Tracker::new(region),
            login_throttle: LoginThrottle::default(),
            renderer: Renderer::default(),
            site: None,
            webhooks: None,
            media: std::sync::OnceLock::new(),
            media_objects: std::sync::OnceLock::new(),
            media_swept_on: std::sync::Mutex::new(None),
            slugs: crate::repo::content::SlugCache::default(),
            search: crate::usecases::search::SearchIndexes::default(),
            representations: Default::default(),
            documents: Default::default(),
            pages: Default::default(),
            regions: Regions::single(region),
        }
    }

    /// The same app, in a site whose home is `home` (unset: this Region).
    pub fn with_home_region(mut self, home: Option<&str>) -> Self {
        if let Some(home) = home.filter(|h| !h.is_empty()) {
            self.regions.home = home.to_string();
        }
        self
    }

    /// Stores uploaded images in `media`, unless storage was set already.
    pub fn set_media(&self, media: Arc<dyn MediaStore>) {
        self.renderer.set_media_base(media.public_base());
        let _ = self.media.set(media);
    }

    pub fn media(&self) -> Option<&Arc<dyn MediaStore>> {
        self.media.get()
    }

    /// Sweeps unlinked uploads from `objects` (the same storage as `set_media`'s).
    pub fn set_media_objects(&self, objects: Arc<dyn MediaObjects>) {
        let _ = self.media_objects.set(objects);
    }

    pub fn media_objects(&self) -> Option<&Arc<dyn MediaObjects>> {
        self.media_objects.get()
    }

    /// The same app, notifying `hooks` of public changes.
    pub fn with_webhooks(mut self, hooks: Option<Webhooks>) -> Self {
        self.webhooks = hooks;
        self
    }

    /// The same app, linking feeds and the sitemap to `site`.
    pub fn with_site(mut self, site: Option<Site>) -> Self {
        self.site = site;
        self
    }
}
