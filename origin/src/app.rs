//! The origin application: resolves a request against the route table,
//! authenticates it, runs its handler and applies the caching rules, in one place.

use std::sync::Arc;

use folio_shared::jwt::{Identity, JwtRejection, Verifier};
use folio_shared::policy::CALLER_TOKEN_HEADER;
use folio_shared::response::PRIVATE_NO_STORE;
use folio_shared::routes::{Access, Caching, RouteTable, loggable_path};
use folio_shared::{ApiError, ApiResponse};
use http::{Method, StatusCode, header};
use tracing::Instrument;

use crate::handlers;
use crate::keys;
use crate::login_throttle::LoginThrottle;
use crate::media::MediaStore;
use crate::ports::{IdentityProvider, Invalidator, Store};
use crate::render::Renderer;
use crate::repo::tracking::Tracker;
use crate::request::{Request, etag, etag_matches};
use crate::site::Site;
use crate::verified_tokens::VerifiedTokens;
use crate::webhooks::Webhooks;

/// Largest request body the origin accepts (CloudFront passes at most 1 MB to the edge).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

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
    routes: RouteTable,
}

/// Who is calling: nobody, or the holder of a verified, unrevoked token.
pub type Caller = Option<Arc<Identity>>;

pub fn is_owner(caller: &Caller) -> bool {
    caller.as_ref().is_some_and(|c| c.is_owner)
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
            routes: RouteTable::new(),
        }
    }

    /// Stores uploaded images in `media`, unless storage was set already.
    pub fn set_media(&self, media: Arc<dyn MediaStore>) {
        let _ = self.media.set(media);
    }

    pub fn media(&self) -> Option<&Arc<dyn MediaStore>> {
        self.media.get()
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

    pub async fn handle(&self, request: Request) -> ApiResponse {
        let span = tracing::info_span!(
            "request",
            request_id = %request.request_id,
            method = %request.method,
            path = %loggable_path(&request.path),
            status = tracing::field::Empty,
        );
        async {
            let mut response = match self.dispatch(&request).await {
                Ok(response) => response,
                Err(error) => {
                    if let ApiError::Internal(cause) = &error {
                        tracing::error!(%cause, "request failed");
                    }
                    error.to_response()
                }
            };
            if let Ok(id) = request.request_id.parse() {
                response.headers.insert("x-request-id", id);
            }
            if request.method == Method::HEAD {
                response.body.clear();
            }
            tracing::Span::current().record("status", response.status);
            tracing::info!("handled");
            response
        }
        .instrument(span)
        .await
    }

    async fn dispatch(&self, request: &Request) -> Result<ApiResponse, ApiError> {
        if request.body.len() > MAX_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge {
                limit: MAX_BODY_BYTES,
            });
        }
        let matched = self.routes.resolve(&request.method, &request.path)?;
        let route = matched.route;
        let caller = self.authenticate(request, route.access).await?;
        let response = handlers::handle(self, route.id, &matched, request, &caller).await?;
        Ok(self.apply_caching(request, route.caching, &caller, response))
    }

    /// Verifies the caller's token, if any, and enforces the route's access class.
    ///
    /// The token arrives in the edge's hand-off header, never in `Authorization`:
    /// Origin Access Control puts its SigV4 signature there (and the Function URL
    /// may drop it), so `Authorization` carries nothing the origin reads. The edge
    /// strips viewers' copies of the hand-off header and sets it only from a token
    /// it verified; the origin verifies it again, and checks revocation.
    async fn authenticate(&self, request: &Request, access: Access) -> Result<Caller, ApiError> {
        let caller = match request.header(CALLER_TOKEN_HEADER) {
            None => None,
            Some(token) => {
                let identity = self.tokens.verify(token).await.map_err(|rejection| {
                    tracing::info!(reason = rejection.reason(), "token rejected");
                    ApiError::from(rejection)
                })?;
                if let Some(jti) = &identity.token_id
                    && self.store.get(&keys::revoked_token(jti)).await?.is_some()
                {
                    return Err(JwtRejection::Revoked.into());
                }
                // Signed out everywhere: every token issued in or before that second.
                if let Some(row) = self.store.get(&keys::signed_out(&identity.subject)).await?
                    && identity.issued_at <= row.count
                {
                    tracing::info!(reason = "signed_out", "token rejected");
                    return Err(JwtRejection::Revoked.into());
                }
                Some(identity)
            }
        };
        match access {
            Access::Owner | Access::Authenticated if caller.is_none() => Err(
                ApiError::Unauthorized("Authentication token is missing".into()),
            ),
            Access::Owner if !is_owner(&caller) => {
                Err(ApiError::Forbidden("Only the owner may do this".into()))
            }
            _ => Ok(caller),
        }
    }

    /// ETag, `If-None-Match` and `Cache-Control` for successful answers.
    fn apply_caching(
        &self,
        request: &Request,
        caching: Caching,
        caller: &Caller,
        mut response: ApiResponse,
    ) -> ApiResponse {
        let read = request.method == Method::GET || request.method == Method::HEAD;
        if !read || response.status != 200 {
            if !response.headers.contains_key(header::CACHE_CONTROL) {
                response = response.no_store();
            }
            return response;
        }
        let tag = etag(&response.body);
        response = response.header(header::ETAG, &tag);
        response = match caching {
            // Answers that depend on the caller never go into a shared cache.
            _ if caller.is_some() => response.cache_control(PRIVATE_NO_STORE),
            Caching::Shared { s_maxage } => response.cache_control(&format!(
                "public, max-age=0, s-maxage={s_maxage}, stale-while-revalidate=60, stale-if-error=86400"
            )),
            Caching::Never => response.cache_control(PRIVATE_NO_STORE),
            Caching::Immutable => response
                .cache_control("public, max-age=31536000, s-maxage=31536000, immutable"),
        };
        if request
            .header(header::IF_NONE_MATCH)
            .is_some_and(|v| etag_matches(v, &tag))
        {
            response.status = StatusCode::NOT_MODIFIED.as_u16();
            response.body.clear();
            response.headers.remove(header::CONTENT_TYPE);
        }
        response
    }
}
