//! The route table: every operation of the API once, with who may call it and
//! whether a shared cache may keep its answer. The edge reads it to decide what a
//! request needs; the origin builds its router and dispatch from it.

use http::Method;

use crate::domain::ContentKind;
use crate::domain::query::{
    AUDIENCE_FILTER, BLOG_LIST, CERTIFICATION_LIST, DAYS, MONTHS, PERIOD_DAYS, PERIOD_OFFSET,
    PROJECT_LIST, QueryParam, SEARCH, TOP_LIMIT,
};
use crate::error::ApiError;

/// The tracking scripts, each at its own path, whose bytes never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackerVersion {
    /// Sends and forgets (`mode: "no-cors"`).
    One,
    /// Reads the answer, and resends a failed beacon to the other Region's origin.
    Two,
    /// As `Two`, and sends an item's view once its visit is answered, so the
    /// view counts under the visit's profile (what a filter narrows).
    Three,
    /// As `Three`, and sends the visit's answered token (`visit`) back with the
    /// view and the engagement, so their origin need not read the visit.
    Four,
}

/// Which operation a request names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteId {
    Login,
    Refresh,
    Logout,
    ChangePassword,
    Me,
    List(ContentKind),
    Create(ContentKind),
    Get(ContentKind),
    Update(ContentKind),
    Delete(ContentKind),
    Publish(ContentKind),
    Unpublish(ContentKind),
    /// Publication at a set time (`publishAt`); until then owner-only.
    Schedule(ContentKind),
    /// A link that lets whoever holds it read one item, drafts included.
    CreatePreview(ContentKind),
    /// The item's live preview links (never their tokens), for the owner.
    ListPreviews(ContentKind),
    /// Ends one of the item's links, named by its id from `ListPreviews`.
    RevokePreviewLink(ContentKind),
    /// The item's earlier versions, newest first (who replaced each, when, and
    /// which fields changed).
    ListRevisions(ContentKind),
    /// One earlier version of the item, whole.
    GetRevision(ContentKind),
    /// Makes an earlier version the item's content again (itself a new version).
    RestoreRevision(ContentKind),
    /// Deleted items the owner can still restore.
    ListTrash,
    /// Brings a deleted item back.
    RestoreDeleted,
    GetPreview,
    RevokePreview,
    GetBlogPostBySlug,
    ListBlogCategories,
    /// Published posts, newest first, as a feed readers subscribe to.
    BlogFeed(FeedFormat),
    /// The frontend page of every published item, for search engines.
    Sitemap,
    /// Published items matching words, ranked, with snippets.
    Search,
    /// A signed URL to upload one image to.
    CreateUpload,
    /// The owner's redirects (old address → new), which the frontend applies.
    ListRedirects,
    PutRedirect,
    DeleteRedirect,
    /// The latest rebuild-hook deliveries, for the owner.
    WebhookDeliveries,
    /// Markdown rendered as readers get it, for the console's preview.
    RenderMarkdown,
    TrackVisit,
    VisitorCount,
    DailyVisitorTrends,
    MonthlyVisitorTrends,
    /// Where visits came from and on what (sources, campaigns, countries, devices …),
    /// what they read, compared with the period before.
    VisitorAudience,
    /// Visitors seen in the last five minutes.
    LiveVisitors,
    /// A read-only link to the audience, for someone without an account.
    CreateAudienceShare,
    ListAudienceShares,
    RevokeAudienceShare,
    /// The audience through a share link's token.
    SharedAudience,
    TrackView,
    /// A view's one engagement beacon: time on page and how far it was scrolled.
    TrackEngagement,
    /// The tracking script a site includes with one `<script>` tag.
    TrackerScript(TrackerVersion),
    ContentViews,
    ContentTypeViews,
    TopContent,
    TotalViews,
    Health,
    OpenApi,
    /// `/`: where a person who opens the API's address is pointed (the console,
    /// the API document).
    SiteRoot,
    /// A preview link opened by a person: the item as a readable page.
    PreviewPage,
    /// The owner's console page (`/admin/`); `/admin` redirects to it.
    ConsolePage,
    ConsoleRedirect,
    /// One of the console's content-hashed assets.
    ConsoleAsset,
}

/// The syndication formats the blog feed is offered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedFormat {
    /// RFC 4287.
    Atom,
    /// RSS 2.0 (rssboard.org/rss-specification).
    Rss,
    /// JSON Feed 1.1 (jsonfeed.org/version/1.1).
    Json,
}

impl FeedFormat {
    /// The registered media type of the format.
    pub fn media_type(self) -> &'static str {
        match self {
            FeedFormat::Atom => "application/atom+xml",
            FeedFormat::Rss => "application/rss+xml",
            FeedFormat::Json => "application/feed+json",
        }
    }
}

/// The sitemap's media type (sitemaps.org: an XML document).
pub const SITEMAP_MEDIA_TYPE: &str = "application/xml";

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone; a token, if sent, must still be valid.
    Public,
    /// Anyone; the owner's valid token reveals drafts.
    PublicOwnerSeesMore,
    /// Anyone; counts the caller (never cached).
    Tracking,
    /// Any signed-in user with a valid token.
    Authenticated,
    /// Only a valid token carrying the owner group.
    Owner,
}

/// Whether a shared cache (CloudFront, the edge, `folio serve`) may keep the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// Public answers may be kept for `s_maxage` seconds (owner answers never are).
    Shared {
        s_maxage: u32,
    },
    Never,
    /// Content-addressed files (the name carries a hash of the bytes): kept by
    /// browsers and shared caches for as long as they like.
    Immutable,
}

#[derive(Debug)]
pub struct Route {
    pub method: Method,
    /// matchit syntax, e.g. `/v1/blog/posts/{id}`.
    pub path: &'static str,
    pub id: RouteId,
    pub access: Access,
    pub caching: Caching,
    pub operation_id: &'static str,
    /// The query parameters the operation reads: its handler parses them through
    /// these definitions and the API document lists exactly these.
    pub query: &'static [QueryParam],
}

impl Route {
    /// Whether the operation is an owner's change: made in the home Region only.
    pub fn is_owner_change(&self) -> bool {
        self.access == Access::Owner && !matches!(self.method, Method::GET | Method::HEAD)
    }
}

/// Content lists and items: long-lived, purged by invalidation on every public change.
const CONTENT: Caching = Caching::Shared { s_maxage: 300 };
/// Counters change on every visit: a short shared lifetime bounds staleness.
const COUNTER: Caching = Caching::Shared { s_maxage: 10 };

macro_rules! route {
    ($method:ident $path:literal => $id:expr, $access:ident, $caching:expr, $op:literal) => {
        route!($method $path => $id, $access, $caching, $op, query = &[])
    };
    ($method:ident $path:literal => $id:expr, $access:ident, $caching:expr, $op:literal, query = $query:expr) => {
        Route {
            method: Method::$method,
            path: $path,
            id: $id,
            access: Access::$access,
            caching: $caching,
            operation_id: $op,
            query: $query,
        }
    };
}

use Caching::Never;
use ContentKind::{Blog, Certification, Project};
use RouteId::*;

pub static ROUTES: &[Route] = &[
    route!(POST "/v1/auth/login" => Login, Public, Never, "login"),
    route!(POST "/v1/auth/refresh" => Refresh, Public, Never, "refreshSession"),
    route!(POST "/v1/auth/logout" => Logout, Authenticated, Never, "logout"),
    route!(POST "/v1/auth/password" => ChangePassword, Owner, Never, "changePassword"),
    route!(GET "/v1/auth/me" => Me, Authenticated, Never, "getCurrentUser"),
    route!(GET "/v1/blog/posts" => List(Blog), PublicOwnerSeesMore, CONTENT, "listBlogPosts", query = BLOG_LIST),
    route!(POST "/v1/blog/posts" => Create(Blog), Owner, Never, "createBlogPost"),
    route!(GET "/v1/blog/posts/{postId}" => Get(Blog), PublicOwnerSeesMore, CONTENT, "getBlogPost"),
    route!(PUT "/v1/blog/posts/{postId}" => Update(Blog), Owner, Never, "updateBlogPost"),
    route!(DELETE "/v1/blog/posts/{postId}" => Delete(Blog), Owner, Never, "deleteBlogPost"),
    route!(POST "/v1/blog/posts/{postId}/publish" => Publish(Blog), Owner, Never, "publishBlogPost"),
    route!(POST "/v1/blog/posts/{postId}/unpublish" => Unpublish(Blog), Owner, Never, "unpublishBlogPost"),
    route!(POST "/v1/blog/posts/{postId}/schedule" => Schedule(Blog), Owner, Never, "scheduleBlogPost"),
    route!(POST "/v1/blog/posts/{postId}/preview" => CreatePreview(Blog), Owner, Never, "createBlogPostPreview"),
    route!(GET "/v1/blog/posts/{postId}/previews" => ListPreviews(Blog), Owner, Never, "listBlogPostPreviews"),
    route!(DELETE "/v1/blog/posts/{postId}/previews/{linkId}" => RevokePreviewLink(Blog), Owner, Never, "revokeBlogPostPreviewLink"),
    route!(GET "/v1/blog/posts/{postId}/revisions" => ListRevisions(Blog), Owner, Never, "listBlogPostRevisions"),
    route!(GET "/v1/blog/posts/{postId}/revisions/{version}" => GetRevision(Blog), Owner, Never, "getBlogPostRevision"),
    route!(POST "/v1/blog/posts/{postId}/revisions/{version}/restore" => RestoreRevision(Blog), Owner, Never, "restoreBlogPostRevision"),
    route!(GET "/v1/blog/posts/by-slug/{slug}" => GetBlogPostBySlug, PublicOwnerSeesMore, CONTENT, "getBlogPostBySlug"),
    route!(GET "/v1/blog/categories" => ListBlogCategories, Public, CONTENT, "listBlogCategories"),
    route!(GET "/v1/blog/feed.atom" => BlogFeed(FeedFormat::Atom), Public, CONTENT, "getBlogFeedAtom"),
    route!(GET "/v1/blog/feed.rss" => BlogFeed(FeedFormat::Rss), Public, CONTENT, "getBlogFeedRss"),
    route!(GET "/v1/blog/feed.json" => BlogFeed(FeedFormat::Json), Public, CONTENT, "getBlogFeedJson"),
    route!(GET "/v1/sitemap.xml" => Sitemap, Public, CONTENT, "getSitemap"),
    route!(GET "/v1/search" => Search, PublicOwnerSeesMore, CONTENT, "search", query = SEARCH),
    route!(GET "/v1/projects" => List(Project), PublicOwnerSeesMore, CONTENT, "listProjects", query = PROJECT_LIST),
    route!(POST "/v1/projects" => Create(Project), Owner, Never, "createProject"),
    route!(GET "/v1/projects/{projectId}" => Get(Project), PublicOwnerSeesMore, CONTENT, "getProject"),
    route!(PUT "/v1/projects/{projectId}" => Update(Project), Owner, Never, "updateProject"),
    route!(DELETE "/v1/projects/{projectId}" => Delete(Project), Owner, Never, "deleteProject"),
    route!(POST "/v1/projects/{projectId}/publish" => Publish(Project), Owner, Never, "publishProject"),
    route!(POST "/v1/projects/{projectId}/unpublish" => Unpublish(Project), Owner, Never, "unpublishProject"),
    route!(POST "/v1/projects/{projectId}/schedule" => Schedule(Project), Owner, Never, "scheduleProject"),
    route!(POST "/v1/projects/{projectId}/preview" => CreatePreview(Project), Owner, Never, "createProjectPreview"),
    route!(GET "/v1/projects/{projectId}/previews" => ListPreviews(Project), Owner, Never, "listProjectPreviews"),
    route!(DELETE "/v1/projects/{projectId}/previews/{linkId}" => RevokePreviewLink(Project), Owner, Never, "revokeProjectPreviewLink"),
    route!(GET "/v1/projects/{projectId}/revisions" => ListRevisions(Project), Owner, Never, "listProjectRevisions"),
    route!(GET "/v1/projects/{projectId}/revisions/{version}" => GetRevision(Project), Owner, Never, "getProjectRevision"),
    route!(POST "/v1/projects/{projectId}/revisions/{version}/restore" => RestoreRevision(Project), Owner, Never, "restoreProjectRevision"),
    route!(GET "/v1/certifications" => List(Certification), PublicOwnerSeesMore, CONTENT, "listCertifications", query = CERTIFICATION_LIST),
    route!(POST "/v1/certifications" => Create(Certification), Owner, Never, "createCertification"),
    route!(GET "/v1/certifications/{certificationId}" => Get(Certification), PublicOwnerSeesMore, CONTENT, "getCertification"),
    route!(PUT "/v1/certifications/{certificationId}" => Update(Certification), Owner, Never, "updateCertification"),
    route!(DELETE "/v1/certifications/{certificationId}" => Delete(Certification), Owner, Never, "deleteCertification"),
    route!(POST "/v1/certifications/{certificationId}/publish" => Publish(Certification), Owner, Never, "publishCertification"),
    route!(POST "/v1/certifications/{certificationId}/unpublish" => Unpublish(Certification), Owner, Never, "unpublishCertification"),
    route!(POST "/v1/certifications/{certificationId}/schedule" => Schedule(Certification), Owner, Never, "scheduleCertification"),
    route!(POST "/v1/certifications/{certificationId}/preview" => CreatePreview(Certification), Owner, Never, "createCertificationPreview"),
    route!(GET "/v1/certifications/{certificationId}/previews" => ListPreviews(Certification), Owner, Never, "listCertificationPreviews"),
    route!(DELETE "/v1/certifications/{certificationId}/previews/{linkId}" => RevokePreviewLink(Certification), Owner, Never, "revokeCertificationPreviewLink"),
    route!(GET "/v1/certifications/{certificationId}/revisions" => ListRevisions(Certification), Owner, Never, "listCertificationRevisions"),
    route!(GET "/v1/certifications/{certificationId}/revisions/{version}" => GetRevision(Certification), Owner, Never, "getCertificationRevision"),
    route!(POST "/v1/certifications/{certificationId}/revisions/{version}/restore" => RestoreRevision(Certification), Owner, Never, "restoreCertificationRevision"),
    // The token is the credential: never cached, never logged (`loggable_path`).
    route!(GET "/v1/preview/{previewToken}" => GetPreview, Public, Never, "getPreview"),
    route!(DELETE "/v1/preview/{previewToken}" => RevokePreview, Owner, Never, "revokePreview"),
    route!(GET "/v1/trash" => ListTrash, Owner, Never, "listTrash"),
    route!(POST "/v1/trash/{contentType}/{contentId}/restore" => RestoreDeleted, Owner, Never, "restoreDeleted"),
    route!(POST "/v1/media/uploads" => CreateUpload, Owner, Never, "createImageUpload"),
    route!(GET "/v1/redirects" => ListRedirects, Public, CONTENT, "listRedirects"),
    route!(PUT "/v1/redirects" => PutRedirect, Owner, Never, "putRedirect"),
    route!(DELETE "/v1/redirects/{redirectId}" => DeleteRedirect, Owner, Never, "deleteRedirect"),
    route!(GET "/v1/webhooks/deliveries" => WebhookDeliveries, Owner, Never, "listWebhookDeliveries"),
    route!(POST "/v1/render" => RenderMarkdown, Owner, Never, "renderMarkdown"),
    route!(POST "/v1/visitors/track" => TrackVisit, Tracking, Never, "trackVisit"),
    route!(GET "/v1/visitors/count" => VisitorCount, Public, COUNTER, "getVisitorCount"),
    route!(GET "/v1/visitors/trends/daily" => DailyVisitorTrends, Owner, Never, "getDailyVisitorTrends", query = &[DAYS]),
    route!(GET "/v1/visitors/trends/monthly" => MonthlyVisitorTrends, Owner, Never, "getMonthlyVisitorTrends", query = &[MONTHS]),
    route!(GET "/v1/visitors/audience" => VisitorAudience, Owner, Never, "getVisitorAudience", query = &[PERIOD_DAYS, PERIOD_OFFSET, AUDIENCE_FILTER]),
    route!(GET "/v1/visitors/live" => LiveVisitors, Owner, Never, "getLiveVisitors"),
    route!(POST "/v1/visitors/shares" => CreateAudienceShare, Owner, Never, "createAudienceShare"),
    route!(GET "/v1/visitors/shares" => ListAudienceShares, Owner, Never, "listAudienceShares"),
    route!(DELETE "/v1/visitors/shares/{linkId}" => RevokeAudienceShare, Owner, Never, "revokeAudienceShare"),
    // The token is the credential: never cached, never logged (`loggable_path`).
    route!(GET "/v1/shared/{shareToken}/audience" => SharedAudience, Public, Never, "getSharedAudience", query = &[PERIOD_DAYS, PERIOD_OFFSET, AUDIENCE_FILTER]),
    route!(POST "/v1/analytics/track" => TrackView, Tracking, Never, "trackContentView"),
    route!(POST "/v1/analytics/engagement" => TrackEngagement, Tracking, Never, "trackEngagement"),
    // A new version of the script gets a new path; this one's bytes never change
    // (held by a test), so browsers and CloudFront keep it for a year.
    route!(GET "/v1/tracker/1.js" => TrackerScript(TrackerVersion::One), Public, Caching::Immutable, "getTrackerScript"),
    route!(GET "/v1/tracker/2.js" => TrackerScript(TrackerVersion::Two), Public, Caching::Immutable, "getTrackerScript2"),
    route!(GET "/v1/tracker/3.js" => TrackerScript(TrackerVersion::Three), Public, Caching::Immutable, "getTrackerScript3"),
    route!(GET "/v1/tracker/4.js" => TrackerScript(TrackerVersion::Four), Public, Caching::Immutable, "getTrackerScript4"),
    route!(GET "/v1/analytics/views/{contentType}/{contentId}" => ContentViews, Public, COUNTER, "getContentViewCount"),
    route!(GET "/v1/analytics/views/{contentType}" => ContentTypeViews, Owner, Never, "getAllViewStats"),
    route!(GET "/v1/analytics/top-content" => TopContent, Owner, Never, "getTopContent", query = &[TOP_LIMIT]),
    route!(GET "/v1/analytics/total-views" => TotalViews, Owner, Never, "getTotalViews"),
    route!(GET "/v1/health" => Health, Public, Never, "getHealth"),
    route!(GET "/v1/openapi.json" => OpenApi, Public, CONTENT, "getOpenApiDocument"),
];

/// The owner's console (and `/`, which points a person to it): web pages, not part
/// of the API (nor of its document). The
/// page itself is never cached by a shared cache (it is the same for everyone, but a
/// deploy must reach the owner at once); its assets are named by their hash.
pub static CONSOLE_ROUTES: &[Route] = &[
    route!(GET "/" => SiteRoot, Public, Never, "siteRoot"),
    // The token is the credential: never cached, never logged (`loggable_path`).
    route!(GET "/preview/{previewToken}" => PreviewPage, Public, Never, "previewPage"),
    route!(GET "/admin" => ConsoleRedirect, Public, Never, "consoleRedirect"),
    route!(GET "/admin/" => ConsolePage, Public, Never, "consolePage"),
    route!(GET "/admin/assets/{file}" => ConsoleAsset, Public, Caching::Immutable, "consoleAsset"),
];

/// Every route the edge and the origin answer: the API, then the console.
pub fn all_routes() -> impl Iterator<Item = &'static Route> {
    ROUTES.iter().chain(CONSOLE_ROUTES)
}

/// Where preview links live: the segment after it is a bearer token.
pub const PREVIEW_PREFIX: &str = "/v1/preview/";
/// Where the same link opens as a page for a person.
pub const PREVIEW_PAGE_PREFIX: &str = "/preview/";

/// The request path as logs may show it: a preview link's token replaced by its
/// parameter name (whoever reads the logs must not be able to open drafts).
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    for prefix in [PREVIEW_PREFIX, PREVIEW_PAGE_PREFIX] {
        if path.starts_with(prefix) {
            return format!("{prefix}{{previewToken}}").into();
        }
    }
    if let Some(rest) = path.strip_prefix(SHARED_PREFIX) {
        let after = rest.split_once('/').map_or("", |(_, after)| after);
        return format!("{SHARED_PREFIX}{{shareToken}}/{after}").into();
    }
    path.into()
}

/// Where a share link's token is: `/v1/shared/{shareToken}/…`.
pub const SHARED_PREFIX: &str = "/v1/shared/";

/// A request matched to its route, with the path parameters it carried.
#[derive(Debug)]
pub struct Matched<'a> {
    pub route: &'static Route,
    pub params: Vec<(&'static str, &'a str)>,
}

impl Matched<'_> {
    /// The first path parameter (the item id of item routes).
    pub fn first_param(&self) -> Option<&str> {
        self.params.first().map(|(_, v)| *v)
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
    }
}

/// The route table compiled into a matchit router: one entry per path, holding
/// every method that path accepts (so a wrong method can answer 405 with `Allow`).
pub struct RouteTable {
    router: matchit::Router<Vec<&'static Route>>,
}

impl RouteTable {
    pub fn new() -> Self {
        let mut by_path: Vec<(&'static str, Vec<&'static Route>)> = Vec::new();
        for route in all_routes() {
            match by_path.iter_mut().find(|(p, _)| *p == route.path) {
                Some((_, routes)) => routes.push(route),
                None => by_path.push((route.path, vec![route])),
            }
        }
        let mut router = matchit::Router::new();
        for (path, routes) in by_path {
            // The table is static and covered by tests: a conflict is a programming error.
            if let Err(e) = router.insert(path, routes) {
                panic!("route table conflict at {path}: {e}");
            }
        }
        Self { router }
    }

    /// Finds the operation for a method and path: 404 for an unknown path, 405 (with
    /// the allowed methods) for a known path and another method. `HEAD` is the `GET`
    /// of the same path (RFC 9110 §9.3.2), answered without a body: uptime monitors
    /// send it.
    pub fn resolve<'p>(&self, method: &Method, path: &'p str) -> Result<Matched<'p>, ApiError> {
        let found = self.router.at(path).map_err(|_| ApiError::NotFound)?;
        let wanted = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        let route = found
            .value
            .iter()
            .find(|r| r.method == wanted)
            .ok_or_else(|| {
                let mut allow: Vec<Method> = found.value.iter().map(|r| r.method.clone()).collect();
                if allow.contains(&Method::GET) {
                    allow.push(Method::HEAD);
                }
                ApiError::MethodNotAllowed { allow }
            })?;
        let params = found
            .params
            .iter()
            .map(|(k, v)| (static_param_name(route.path, k), v))
            .collect();
        Ok(Matched { route, params })
    }
}

impl Default for RouteTable {
    fn default() -> Self {
        Self::new()
    }
}

/// A path parameter as the client meant it: `%XX` escapes decoded (a slug in any
/// script arrives percent-encoded UTF-8). `None` when the escapes are not valid
/// UTF-8 or not escapes at all: such a parameter names nothing.
pub fn decode_param(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Maps a parameter name borrowed from the router to the `'static` name in the route path.
fn static_param_name(path: &'static str, name: &str) -> &'static str {
    path.split(['{', '}'])
        .skip(1)
        .step_by(2)
        .find(|p| *p == name)
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_covers_the_34_reference_operations_plus_folio_extras() {
        let ops: std::collections::HashSet<_> = ROUTES.iter().map(|r| r.operation_id).collect();
        assert_eq!(ops.len(), ROUTES.len(), "duplicate operation ids");
        let extras = [
            "refreshSession",
            "changePassword",
            "getBlogPostBySlug",
            "getHealth",
            "getOpenApiDocument",
            "getBlogFeedAtom",
            "getBlogFeedRss",
            "getBlogFeedJson",
            "getSitemap",
            "scheduleBlogPost",
            "scheduleProject",
            "scheduleCertification",
            "createBlogPostPreview",
            "createProjectPreview",
            "createCertificationPreview",
            "listBlogPostPreviews",
            "listProjectPreviews",
            "listCertificationPreviews",
            "revokeBlogPostPreviewLink",
            "revokeProjectPreviewLink",
            "revokeCertificationPreviewLink",
            "getPreview",
            "revokePreview",
            "listWebhookDeliveries",
            "createImageUpload",
            "renderMarkdown",
            "listRedirects",
            "putRedirect",
            "deleteRedirect",
            "getLiveVisitors",
            "trackEngagement",
            "getTrackerScript",
            "getTrackerScript2",
            "getTrackerScript3",
            "getTrackerScript4",
            "listBlogPostRevisions",
            "listProjectRevisions",
            "listCertificationRevisions",
            "getBlogPostRevision",
            "getProjectRevision",
            "getCertificationRevision",
            "restoreBlogPostRevision",
            "restoreProjectRevision",
            "restoreCertificationRevision",
            "listTrash",
            "restoreDeleted",
            "search",
            "getVisitorAudience",
            "createAudienceShare",
            "listAudienceShares",
            "revokeAudienceShare",
            "getSharedAudience",
        ];
        assert_eq!(ROUTES.len() - extras.len(), 34);
    }

    #[test]
    fn resolves_params_static_segments_and_methods() {
        let table = RouteTable::new();
        let m = table.resolve(&Method::GET, "/v1/blog/posts/abc").unwrap();
        assert_eq!(m.route.id, RouteId::Get(ContentKind::Blog));
        assert_eq!(m.param("postId"), Some("abc"));
        let m = table
            .resolve(&Method::GET, "/v1/blog/posts/by-slug/hello")
            .unwrap();
        assert_eq!(m.route.id, RouteId::GetBlogPostBySlug);
        assert_eq!(m.param("slug"), Some("hello"));
        let m = table
            .resolve(&Method::GET, "/v1/analytics/views/blog/7")
            .unwrap();
        assert_eq!(
            (m.param("contentType"), m.param("contentId")),
            (Some("blog"), Some("7"))
        );
    }

    #[test]
    fn unknown_paths_are_404_and_wrong_methods_405_with_allow() {
        let table = RouteTable::new();
        assert_eq!(
            table.resolve(&Method::GET, "/v1/nope").unwrap_err(),
            ApiError::NotFound
        );
        match table
            .resolve(&Method::PATCH, "/v1/projects/p1")
            .unwrap_err()
        {
            ApiError::MethodNotAllowed { allow } => {
                assert_eq!(
                    allow,
                    vec![Method::GET, Method::PUT, Method::DELETE, Method::HEAD]
                )
            }
            other => panic!("expected 405, got {other:?}"),
        }
    }

    #[test]
    fn parameters_are_percent_decoded_or_name_nothing() {
        assert_eq!(decode_param("hello-world").as_deref(), Some("hello-world"));
        assert_eq!(decode_param("%E6%97%A5%E6%9C%AC").as_deref(), Some("日本"));
        assert_eq!(decode_param("%E6%97"), None, "cut UTF-8");
        assert_eq!(decode_param("%zz"), None);
        assert_eq!(decode_param("%4"), None);
    }

    #[test]
    fn share_tokens_never_reach_a_log() {
        let token = "3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let shared: Vec<&Route> = all_routes()
            .filter(|r| r.path.contains("{shareToken}"))
            .collect();
        assert_eq!(shared.len(), 1);
        for route in shared {
            assert!(route.path.starts_with(SHARED_PREFIX), "{}", route.path);
            assert_eq!(route.caching, Caching::Never);
        }
        let path = format!("{SHARED_PREFIX}{token}/audience");
        assert_eq!(loggable_path(&path), "/v1/shared/{shareToken}/audience");
        assert!(!loggable_path(&format!("{SHARED_PREFIX}{token}")).contains(token));
    }

    #[test]
    fn preview_tokens_never_reach_a_log() {
        let preview: Vec<&Route> = all_routes()
            .filter(|r| {
                matches!(
                    r.id,
                    RouteId::GetPreview | RouteId::RevokePreview | RouteId::PreviewPage
                )
            })
            .collect();
        assert_eq!(preview.len(), 3);
        for route in preview {
            assert!(
                route.path.starts_with(PREVIEW_PREFIX)
                    || route.path.starts_with(PREVIEW_PAGE_PREFIX),
                "{}",
                route.path
            );
            assert_eq!(route.caching, Caching::Never);
        }
        let page = loggable_path("/preview/3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(page, "/preview/{previewToken}");
        let token = "3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let path = format!("/v1/preview/{token}");
        let logged = loggable_path(&path);
        assert!(!logged.contains(token), "{logged}");
        assert_eq!(loggable_path("/v1/blog/posts"), "/v1/blog/posts");
    }

    #[test]
    fn head_is_the_get_of_the_same_path() {
        let table = RouteTable::new();
        let head = table.resolve(&Method::HEAD, "/v1/health").unwrap();
        assert_eq!(head.route.id, RouteId::Health);
        let item = table.resolve(&Method::HEAD, "/v1/projects/p1").unwrap();
        assert_eq!(item.route.id, RouteId::Get(ContentKind::Project));
        assert!(matches!(
            table.resolve(&Method::HEAD, "/v1/auth/login"),
            Err(ApiError::MethodNotAllowed { .. })
        ));
    }

    /// The viewer function and the cache policy keep exactly the parameters some
    /// route reads: one fewer and the origin never sees it, one more and the cache
    /// key splits for nothing.
    #[test]
    fn the_cache_key_whitelist_is_the_parameters_the_routes_read() {
        let read: std::collections::BTreeSet<&str> = all_routes()
            .flat_map(|r| r.query.iter().map(|p| p.name))
            .collect();
        let whitelisted: std::collections::BTreeSet<&str> = crate::policy::CACHE_KEY_QUERY_STRINGS
            .iter()
            .copied()
            .collect();
        assert_eq!(read, whitelisted);
        // "Query strings per cache policy: 10" (CloudFront Developer Guide, Quotas).
        assert!(whitelisted.len() <= 10, "{whitelisted:?}");
    }

    #[test]
    fn console_paths_resolve_beside_the_api() {
        let table = RouteTable::new();
        let page = table.resolve(&Method::GET, "/admin/").unwrap();
        assert_eq!(page.route.id, RouteId::ConsolePage);
        let asset = table
            .resolve(&Method::GET, "/admin/assets/app.0123abcd.js")
            .unwrap();
        assert_eq!(asset.route.id, RouteId::ConsoleAsset);
        assert_eq!(asset.param("file"), Some("app.0123abcd.js"));
        assert_eq!(
            table.resolve(&Method::GET, "/admin").unwrap().route.id,
            RouteId::ConsoleRedirect
        );
        assert!(matches!(
            table.resolve(&Method::POST, "/admin/"),
            Err(ApiError::MethodNotAllowed { .. })
        ));
    }

    #[test]
    fn writes_and_owner_routes_are_never_cached() {
        for r in all_routes() {
            if r.method != Method::GET
                || r.access == Access::Owner
                || r.access == Access::Authenticated
            {
                assert_eq!(r.caching, Caching::Never, "{} {}", r.method, r.path);
            }
        }
    }
}
