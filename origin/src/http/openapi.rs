//! folio's OpenAPI 3.0 document, served at `GET /v1/openapi.json`.
//!
//! Paths and operations come from the route table, so every route is described and
//! nothing described is missing; this module adds parameters, bodies and schemas.
//! It is a superset of the reference API: same paths, methods, fields and codes,
//! plus folio's additions (refresh, slug lookup, health, this document).

use folio_shared::domain::rules::{create_schema, update_schema};
use folio_shared::domain::{
    BlogPost, CONTENT_HTML, COVER_IMAGE_SOURCES, Certification, Content, ContentKind,
    IMAGE_SOURCES, ItemId, LONG_DESCRIPTION_HTML, MARKDOWN_MAX_CHARS, MAX_SECRET_CHARS,
    PASSWORD_POLICY, PUBLISH_AT, Project, Status,
};
use folio_shared::routes::{
    Access, FeedFormat, ROUTES, Route, RouteId, SITEMAP_MEDIA_TYPE, TrackerVersion,
};

use crate::http::handlers::feeds::FEED_ENTRIES;
use crate::http::handlers::media as media_handler;
use crate::http::handlers::preview::{DEFAULT_PREVIEW_HOURS, EXPIRES_IN_HOURS, MAX_PREVIEW_HOURS};
use crate::http::handlers::render as render_handler;
use crate::http::request::BEACON_MEDIA_TYPES;
use crate::ports::media::{IMAGE_TYPES, MAX_IMAGE_BYTES, SMALLER_WIDTHS, UPLOAD_SECS};
use crate::repo::history::{KEEP_DAYS, KEEP_NEWEST, TRASH_DAYS};
use crate::support::images::{MAX_PIXELS, MAX_SIDE};
use crate::usecases::readership;
use crate::usecases::redirects::{MAX_PATH_CHARS, MAX_REDIRECTS, path_pattern};
use crate::usecases::search::MAX_QUERY_CHARS;
use crate::usecases::tracking::VisitToken;
use crate::usecases::webhooks::{Change, MAX_ATTEMPTS, RECENT};
use folio_shared::domain::rules::{MAX_URL_CHARS, URL_PATTERN, not_blank};
use serde_json::{Map, Value, json};

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn content_schema(kind: ContentKind) -> &'static str {
    match kind {
        ContentKind::Blog => "BlogPost",
        ContentKind::Project => "Project",
        ContentKind::Certification => "Certification",
    }
}

fn ok(description: &str, body: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": body } } })
}

fn error_ref(code: u16) -> Value {
    let name = match code {
        400 => "BadRequestError",
        401 => "UnauthorizedError",
        403 => "ForbiddenError",
        404 => "NotFoundError",
        412 => "PreconditionFailedError",
        413 => "PayloadTooLargeError",
        429 => "TooManyRequestsError",
        415 => "UnsupportedMediaTypeError",
        _ => "Error",
    };
    json!({ "$ref": format!("#/components/responses/{name}") })
}

fn body(schema_value: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema_value } } })
}

/// A visit's token (`tracking::VisitToken`), in a visit's answer or sent back.
fn visit_token_schema(description: &str) -> Value {
    json!({ "type": "string", "maxLength": VisitToken::MAX_CHARS, "pattern": VisitToken::PATTERN,
            "description": description })
}

/// What a view's or an engagement's `visit` is.
const VISIT_TOKEN_SENT: &str = "The `visit` this visitor's visit answered today (tracker 4.js): the origin then counts the view under the visit's profile without reading the visit. One that does not verify (another visitor's, another day's, altered) is not trusted, and the visit is read as without it";

/// A tracking body: JSON, labelled `application/json` or `text/plain` (what
/// `navigator.sendBeacon` sends without a CORS preflight).
fn beacon_body(schema_value: Value, required: bool) -> Value {
    let content: Map<String, Value> = BEACON_MEDIA_TYPES
        .iter()
        .map(|m| ((*m).to_string(), json!({ "schema": schema_value })))
        .collect();
    json!({ "required": required, "content": content })
}

fn list_schema(field: &str, item: &str) -> Value {
    json!({ "type": "object", "required": [field, "total", "limit", "offset"], "properties": {
        field: { "type": "array", "items": schema(item) },
        "total": { "type": "integer" }, "limit": { "type": "integer" }, "offset": { "type": "integer" } } })
}

fn content_type_param() -> Value {
    json!({ "name": "contentType", "in": "path", "required": true,
            "schema": { "type": "string", "enum": ["blog", "project", "certification"] } })
}

fn path_params(path: &str) -> Vec<Value> {
    path.split(['{', '}'])
        .skip(1)
        .step_by(2)
        .filter(|name| *name != "contentType")
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect()
}

/// Parameters, request body and responses of one operation.
fn describe(route: &Route) -> (Vec<Value>, Option<Value>, Vec<(u16, Value)>) {
    use RouteId::*;
    let mut params = path_params(route.path);
    params.extend(route.query.iter().map(|p| p.document()));
    let mut request = None;
    let responses: Vec<(u16, Value)> = match route.id {
        Login => {
            request = Some(body(schema("LoginRequest")));
            vec![
                (200, ok("Signed in", schema("AuthSession"))),
                (400, error_ref(400)),
                (401, error_ref(401)),
                (429, error_ref(429)),
            ]
        }
        Refresh => {
            request = Some(body(schema("RefreshRequest")));
            vec![
                (200, ok("New ID token", schema("AuthSession"))),
                (400, error_ref(400)),
                (401, error_ref(401)),
            ]
        }
        ChangePassword => {
            request = Some(body(schema("ChangePasswordRequest")));
            vec![
                (
                    200,
                    ok(
                        "Password changed; every session of the owner is signed out (as by logout)",
                        json!({ "type": "object", "properties": { "message": { "type": "string" } } }),
                    ),
                ),
                (400, error_ref(400)),
                (401, error_ref(401)),
                (403, error_ref(403)),
                (415, error_ref(415)),
                (429, error_ref(429)),
            ]
        }
        Logout => vec![
            (
                200,
                ok(
                    "Signed out everywhere: the user's refresh tokens are revoked, and every ID token of the user issued up to now is refused from now on (on every device) until it would have expired. A sign-in in the same second as the sign-out waits for the next second.",
                    json!({ "type": "object", "properties": { "message": { "type": "string" } } }),
                ),
            ),
            (401, error_ref(401)),
        ],
        Me => vec![
            (200, ok("The signed-in user", schema("User"))),
            (401, error_ref(401)),
        ],
        List(kind) => {
            let field = kind.list_field();
            vec![
                (
                    200,
                    ok(
                        "The matching items",
                        list_schema(field, content_schema(kind)),
                    ),
                ),
                (400, error_ref(400)),
                (401, error_ref(401)),
                (403, error_ref(403)),
            ]
        }
        Create(kind) => {
            request = Some(body(schema(&format!("{}Create", content_schema(kind)))));
            vec![
                (201, ok("Created as a draft", schema(content_schema(kind)))),
                (400, error_ref(400)),
                (401, error_ref(401)),
                (403, error_ref(403)),
                (413, error_ref(413)),
                (415, error_ref(415)),
            ]
        }
        Get(kind) => vec![
            (200, ok("The item", schema(content_schema(kind)))),
            (
                304,
                json!({ "description": "Not modified (If-None-Match)" }),
            ),
            (404, error_ref(404)),
        ],
        Update(kind) => {
            params.push(json!({ "name": "If-Match", "in": "header", "required": false, "schema": { "type": "string" }, "description": "ETag of the version being replaced" }));
            request = Some(body(schema(&format!("{}Update", content_schema(kind)))));
            vec![
                (200, ok("Updated", schema(content_schema(kind)))),
                (400, error_ref(400)),
                (401, error_ref(401)),
                (403, error_ref(403)),
                (404, error_ref(404)),
                // Without If-Match a save racing others applies itself to the
                // newest; this is when they kept landing.
                (409, concurrent_change()),
                (412, error_ref(412)),
                (413, error_ref(413)),
                (415, error_ref(415)),
            ]
        }
        Delete(_) => vec![
            (204, json!({ "description": "Deleted" })),
            (401, error_ref(401)),
            (403, error_ref(403)),
            (404, error_ref(404)),
        ],
        Publish(kind) | Unpublish(kind) => vec![
            (
                200,
                ok("The item in its new status", schema(content_schema(kind))),
            ),
            (401, error_ref(401)),
            (403, error_ref(403)),
            (404, error_ref(404)),
            (409, concurrent_change()),
        ],
        Schedule(kind) => {
            request = Some(body(schema("ScheduleRequest")));
            vec![
                (
                    200,
                    ok(
                        &format!(
                            "The {kind}, now scheduled: owner-only until publishAt, then published (with the same cache invalidation as a manual publish) by the scheduler within a minute in production, within a second under folio serve. Publish or unpublish cancels the schedule."
                        ),
                        schema(content_schema(kind)),
                    ),
                ),
                (400, error_ref(400)),
                (401, error_ref(401)),
                (403, error_ref(403)),
                (404, error_ref(404)),
                (
                    409,
                    error_response(
                        "Already published: unpublish it to schedule it; or the item kept changing while this request ran: read it again and retry",
                    ),
                ),
            ]
        }
        CreatePreview(kind) => {
            request = Some(body(schema("PreviewRequest")));
            vec![
                (
                    201,
                    ok(
                        &format!(
                            "A preview link to this {kind}: GET its path to read the item in any status until it expires or is revoked. The token is shown only now; only its hash is stored."
                        ),
                        schema("PreviewLink"),
                    ),
                ),
                (400, error_ref(400)),
                (401, error_ref(401)),
                (403, error_ref(403)),
                (404, error_ref(404)),
            ]
        }
        CreateUpload => {
            request = Some(body(schema("UploadRequest")));
            vec![
                (
                    201,
                    ok(
                        &format!(
                            "Where to PUT the image (with exactly these headers, within {} minutes) and the URL readers will fetch it from; put that URL in a post's coverImage, a project's imageUrl or Markdown",
                            UPLOAD_SECS / 60
                        ),
                        schema("Upload"),
                    ),
                ),
                (400, error_ref(400)),
                (401, error_ref(401)),
                (403, error_ref(403)),
                (
                    404,
                    error_response("Uploads are not configured (MEDIA_BUCKET and MEDIA_URL)"),
                ),
            ]
        }
        RenderMarkdown => {
            request = Some(body(schema("RenderRequest")));
            vec![
                (
                    200,
                    ok(
                        "The HTML readers get for this Markdown (a post's contentHtml, a project's longDescriptionHtml): rendered and sanitised by the same code, for a preview that is what will be published",
                        schema("RenderedMarkdown"),
                    ),
                ),
                (400, error_ref(400)),
                (401, error_ref(401)),
                (403, error_ref(403)),
                (413, error_ref(413)),
                (415, error_ref(415)),
            ]
        }
        WebhookDeliveries => vec![
            (
                200,
                ok(
                    &format!(
                        "The configured hook URLs and the latest {RECENT} deliveries, newest first: every publish, unpublish, update of published content and delete, POSTed to each URL with an X-Folio-Signature (t=<unix seconds>,v1=<hex HMAC-SHA-256 of \"<t>.<body>\">), retried with exponential backoff up to {MAX_ATTEMPTS} attempts"
                    ),
                    schema("WebhookDeliveries"),
                ),
            ),
            (401, error_ref(401)),
            (403, error_ref(403)),
        ],
        ListPreviews(kind) => vec![
            (
                200,
                ok(
                    &format!(
                        "This {kind}'s live preview links, newest first (at most 100): their ids, never their tokens"
                    ),
                    schema("PreviewLinks"),
                ),
            ),
            (401, error_ref(401)),
            (403, error_ref(403)),
            (404, error_ref(404)),
        ],
        RevokePreviewLink(kind) => vec![
            (
                204,
                json!({ "description": format!("Revoked: the {kind}'s link with this id opens nothing now") }),
            ),
            (401, error_ref(401)),
            (403, error_ref(403)),
            (404, error_ref(404)),
        ],
        ListRevisions(kind) => vec![
            (
                200,
                ok(
                    &format!(
                        "This {kind}'s earlier versions, newest first: every save keeps the version it replaced (the newest {KEEP_NEWEST}, and all from the last {KEEP_DAYS} days, are kept), a deletion keeps the last"
                    ),
                    schema("Revisions"),
                ),
            ),
            (401, error_ref(401)),
            (403, error_ref(403)),
            (404, error_ref(404)),
        ],
        GetRevision(kind) => {
            version_param(&mut params);
            vec![
                (
                    200,
                    ok(
                        &format!("One earlier version of this {kind}, whole"),
                        json!({ "type": "object", "required": ["revision", "item"], "properties": {
                            "revision": schema("Revision"), "item": schema(content_schema(kind)) } }),
                    ),
                ),
                (401, error_ref(401)),
                (403, error_ref(403)),
                (404, error_ref(404)),
            ]
        }
        RestoreRevision(kind) => {
            version_param(&mut params);
            vec![
                (
                    200,
                    ok(
                        &format!(
                            "The {kind} with this version's content again: a new save (the version it replaces is kept, so the restore can be undone). Its status, publication date, schedule and slug stay as they are"
                        ),
                        schema(content_schema(kind)),
                    ),
                ),
                (401, error_ref(401)),
                (403, error_ref(403)),
                (404, error_ref(404)),
                (
                    409,
                    error_response("The item changed while it was restored: try again"),
                ),
            ]
        }
        ListTrash => vec![
            (
                200,
                ok(
                    &format!(
                        "Items deleted in the last {TRASH_DAYS} days, the latest first: each can be restored"
                    ),
                    json!({ "type": "object", "required": ["items"], "properties": {
                        "items": { "type": "array", "items": schema("Trashed") } } }),
                ),
            ),
            (401, error_ref(401)),
            (403, error_ref(403)),
        ],
        RestoreDeleted => {
            params.insert(0, content_type_param());
            vec![
                (
                    200,
                    ok(
                        "The item back as it was deleted (a slug another item took meanwhile gets the next free one)",
                        json!({ "oneOf": [schema("BlogPost"), schema("Project"), schema("Certification")] }),
                    ),
                ),
                (400, error_ref(400)),
                (401, error_ref(401)),
                (403, error_ref(403)),
                (404, error_ref(404)),
                (409, error_response("Restored (or recreated) meanwhile")),
            ]
        }
        GetPreview => vec![
            (
                200,
                ok(
                    "The item the link was made for, drafts included; never cached, marked noindex",
                    schema("Preview"),
                ),
            ),
            (404, error_ref(404)),
        ],
        ListRedirects => vec![(
            200,
            ok(
                "The owner's redirects, by from: old addresses of the site and where each leads now, one hop each. The frontend applies them (a 301 from `from` to `to`)",
                schema("Redirects"),
            ),
        )],
        PutRedirect => {
            request = Some(body(schema("RedirectRequest")));
            vec![
                (
                    200,
                    ok(
                        "The redirect as stored: a `to` that itself redirects is followed, and redirects that led to `from` now lead to `to`; a loop is refused",
                        schema("Redirect"),
                    ),
                ),
                (400, error_ref(400)),
                (401, error_ref(401)),
                (403, error_ref(403)),
                (
                    409,
                    error_response(
                        "A loop (to leads back to from), or more than the site may keep",
                    ),
                ),
                (415, error_ref(415)),
            ]
        }
        DeleteRedirect => vec![
            (204, json!({ "description": "Deleted" })),
            (401, error_ref(401)),
            (403, error_ref(403)),
            (404, error_ref(404)),
        ],
        CreateAudienceShare => vec![
            (
                201,
                ok(
                    "A new read-only link to the audience: `token` is shown this once (only its hash is kept); `pagePath` opens it in the console, `path` is its API. It lives until revoked",
                    json!({ "type": "object", "required": ["token", "id", "createdAt", "path", "pagePath"], "properties": {
                        "token": { "type": "string" }, "id": { "type": "string" },
                        "createdAt": { "type": "string", "format": "date-time" },
                        "path": { "type": "string" }, "pagePath": { "type": "string" } } }),
                ),
            ),
            (401, error_ref(401)),
            (403, error_ref(403)),
            (
                409,
                error_response("As many links as the owner may keep: revoke one first"),
            ),
        ],
        ListAudienceShares => vec![
            (
                200,
                ok(
                    "The live share links, newest first, by id (never their tokens)",
                    json!({ "type": "object", "required": ["links"], "properties": {
                        "links": { "type": "array", "items": { "type": "object", "required": ["id", "createdAt"], "properties": {
                            "id": { "type": "string" }, "createdAt": { "type": "string", "format": "date-time" } } } } } }),
                ),
            ),
            (401, error_ref(401)),
            (403, error_ref(403)),
        ],
        RevokeAudienceShare => vec![
            (
                204,
                json!({ "description": "Revoked: the link no longer opens anything" }),
            ),
            (401, error_ref(401)),
            (403, error_ref(403)),
            (404, error_ref(404)),
        ],
        SharedAudience => vec![
            (
                200,
                ok(
                    "The owner's audience through a live share link, the same answer as getVisitorAudience; what they read lists only published items. Never cached, marked noindex",
                    schema("VisitorAudience"),
                ),
            ),
            (400, error_ref(400)),
            (404, error_ref(404)),
        ],
        RevokePreview => vec![
            (
                204,
                json!({ "description": "Revoked: the link no longer opens anything" }),
            ),
            (401, error_ref(401)),
            (403, error_ref(403)),
            (404, error_ref(404)),
        ],
        GetBlogPostBySlug => vec![
            (200, ok("The post", schema("BlogPost"))),
            (
                301,
                json!({
                    "description": "An earlier slug of a published post (its title changed while it was unpublished): Location is the post's current by-slug address",
                    "headers": { "Location": { "schema": { "type": "string" } } },
                    "content": { "application/json": { "schema": {
                        "type": "object", "required": ["message", "slug"],
                        "properties": { "message": { "type": "string" }, "slug": { "type": "string" } },
                    } } },
                }),
            ),
            (404, error_ref(404)),
        ],
        ListBlogCategories => vec![(
            200,
            ok(
                "Categories of published posts",
                json!({ "type": "object", "properties": { "categories": { "type": "array", "items": { "type": "string" } } } }),
            ),
        )],
        BlogFeed(format) => {
            let schema = match format {
                FeedFormat::Json => json_feed_schema(),
                FeedFormat::Atom | FeedFormat::Rss => json!({ "type": "string" }),
            };
            let spec = match format {
                FeedFormat::Atom => "Atom (RFC 4287)",
                FeedFormat::Rss => "RSS 2.0",
                FeedFormat::Json => "JSON Feed 1.1",
            };
            vec![
                (
                    200,
                    document_of(
                        &format!(
                            "The newest {FEED_ENTRIES} published posts, newest first, as {spec}; links go to the owner's frontend (SITE_URL)"
                        ),
                        format.media_type(),
                        schema,
                    ),
                ),
                (404, no_site()),
            ]
        }
        Sitemap => vec![
            (
                200,
                document_of(
                    "The frontend page of every published post, project and certification, and the home page (sitemaps.org protocol 0.9)",
                    SITEMAP_MEDIA_TYPE,
                    json!({ "type": "string" }),
                ),
            ),
            (404, no_site()),
        ],
        Search => {
            if let Some(q) = params.iter_mut().find(|p| p["name"] == "q") {
                q["required"] = json!(true);
                q["schema"] = json!({ "type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS, "not": not_blank() });
            }
            vec![
                (
                    200,
                    ok(
                        "Posts, projects and certifications matching every word, best first (a title counts above a body), each with a snippet: the item's text escaped, the matching words in <mark>. Published items for anyone; with status draft, scheduled or all, the owner's items of that status, each with its status",
                        search_schema(),
                    ),
                ),
                (400, error_ref(400)),
                (401, error_ref(401)),
                (403, error_ref(403)),
            ]
        }
        TrackVisit => {
            request = Some(beacon_body(schema("TrackVisitRequest"), false));
            vec![
                (
                    200,
                    ok(
                        "Visit tracked",
                        json!({ "type": "object", "required": ["count", "tracked"], "properties": { "count": { "type": "integer", "description": "Visitors counted, every Region's: a sum read at most a second ago, plus the visits this instance counted since (this one included)" }, "tracked": { "type": "boolean" }, "visit": visit_token_schema("This visit's token, when this instance counted the visit or knows its profile: tracker 4.js sends it back with the page's view and engagement, so their origin need not read the visit for its profile (docs/TRACKING.md). Good for this visitor (address and User-Agent) and this UTC day only") } }),
                    ),
                ),
                (400, error_ref(400)),
                (415, error_ref(415)),
                (429, error_ref(429)),
            ]
        }
        VisitorAudience => vec![
            (
                200,
                ok(
                    "Where the visits of `days` days (UTC) ending `offset` days before today (0: today included) came from and on what, summed over every Region: one table per dimension, most visitors first. A visit is counted in each table once, on the first tracked request of its visitor's day. Values past 100 new ones a day are counted as `(other)`",
                    schema("VisitorAudience"),
                ),
            ),
            (400, error_ref(400)),
            (401, error_ref(401)),
            (403, error_ref(403)),
        ],
        VisitorCount => vec![(
            200,
            ok(
                "Total visitors",
                json!({ "type": "object", "required": ["count"], "properties": { "count": { "type": "integer" } } }),
            ),
        )],
        DailyVisitorTrends => {
            vec![
                (
                    200,
                    ok(
                        "Visitors per day, oldest first",
                        json!({ "type": "object", "properties": { "trends": { "type": "array", "items": schema("DailyVisitors") } } }),
                    ),
                ),
                (400, error_ref(400)),
                (401, error_ref(401)),
                (403, error_ref(403)),
            ]
        }
        MonthlyVisitorTrends => {
            vec![
                (
                    200,
                    ok(
                        "Visitors per month, oldest first",
                        json!({ "type": "object", "properties": { "trends": { "type": "array", "items": schema("MonthlyVisitors") } } }),
                    ),
                ),
                (400, error_ref(400)),
                (401, error_ref(401)),
                (403, error_ref(403)),
            ]
        }
        LiveVisitors => vec![
            (
                200,
                ok(
                    "Distinct visitors whose visit was tracked in the last five minutes (by whole minutes, the current one included), in every Region",
                    json!({ "type": "object", "required": ["visitors", "windowSeconds"], "properties": {
                        "visitors": { "type": "integer", "minimum": 0 }, "windowSeconds": { "type": "integer" } } }),
                ),
            ),
            (401, error_ref(401)),
            (403, error_ref(403)),
        ],
        TrackEngagement => {
            request = Some(beacon_body(schema("TrackEngagementRequest"), true));
            vec![
                (
                    200,
                    ok(
                        "Beacon received: `tracked` when it was this visitor's first for the item today (later ones are not counted), `read` when the view counts as a read",
                        json!({ "type": "object", "required": ["tracked", "read"], "properties": {
                            "tracked": { "type": "boolean" }, "read": { "type": "boolean" } } }),
                    ),
                ),
                (400, error_ref(400)),
                (404, error_ref(404)),
                (415, error_ref(415)),
                (429, error_ref(429)),
            ]
        }
        TrackerScript(version) => vec![(
            200,
            document_of(
                match version {
                    TrackerVersion::One => {
                        "The first tracking script: one `<script src=\".../v1/tracker/1.js\" data-content-type=\"blog\" data-content-id=\"...\" async>` on the owner's site tracks the visit, the item's view and its engagement, and never reads an answer (docs/TRACKING.md). Its bytes never change at this path: cached for a year"
                    }
                    TrackerVersion::Two => {
                        "The second tracking script: as `3.js`, but sends the item's view at once, beside the visit, so a view on the landing page may reach the origin before its visit and not be narrowed by a filter (docs/TRACKING.md). Its bytes never change at this path: cached for a year"
                    }
                    TrackerVersion::Three => {
                        "The third tracking script: as `4.js`, but sends no `visit` token back, so the origin of a view reads the visit for its profile unless it counted the visit itself (docs/TRACKING.md). Its bytes never change at this path: cached for a year"
                    }
                    TrackerVersion::Four => {
                        "The tracking script: one `<script src=\".../v1/tracker/4.js\" data-content-type=\"blog\" data-content-id=\"...\" async>` on the owner's site tracks the visit, then the item's view (once the visit is answered, so the view counts under the visit's source and campaign) and its engagement, each with the token the visit answered, and sends a beacon the home Region failed once more to the other Region's origin (docs/TRACKING.md). Its bytes never change at this path: cached for a year"
                    }
                },
                "text/javascript",
                json!({ "type": "string" }),
            ),
        )],
        TrackView => {
            request = Some(beacon_body(schema("TrackViewRequest"), true));
            vec![
                (
                    200,
                    ok(
                        "View tracked",
                        json!({ "type": "object", "required": ["views", "tracked"], "properties": { "views": { "type": "integer", "description": "The item's views, every Region's: a sum read at most a second ago, plus the views this instance counted since (this one included)" }, "tracked": { "type": "boolean" } } }),
                    ),
                ),
                (400, error_ref(400)),
                (404, error_ref(404)),
                (415, error_ref(415)),
                (429, error_ref(429)),
            ]
        }
        ContentViews => {
            params.insert(0, content_type_param());
            vec![
                (
                    200,
                    ok(
                        "Views of one item",
                        json!({ "type": "object", "required": ["contentId", "contentType", "views"], "properties": { "contentId": { "type": "string" }, "contentType": { "type": "string" }, "views": { "type": "integer" } } }),
                    ),
                ),
                (400, error_ref(400)),
                (404, error_ref(404)),
                (429, error_ref(429)),
            ]
        }
        ContentTypeViews => {
            params.insert(0, content_type_param());
            vec![
                (
                    200,
                    ok(
                        "Views per item",
                        json!({ "type": "object", "required": ["contentType", "stats"], "properties": { "contentType": { "type": "string" }, "stats": { "type": "object", "additionalProperties": { "type": "integer" } } } }),
                    ),
                ),
                (400, error_ref(400)),
                (401, error_ref(401)),
                (403, error_ref(403)),
            ]
        }
        TopContent => {
            let list = json!({ "type": "array", "items": schema("ContentViewStat") });
            vec![
                (
                    200,
                    ok(
                        "Most viewed items per type",
                        json!({ "type": "object", "required": ["blogs", "projects", "certifications"], "properties": { "blogs": list, "projects": list, "certifications": list } }),
                    ),
                ),
                (400, error_ref(400)),
                (401, error_ref(401)),
                (403, error_ref(403)),
            ]
        }
        TotalViews => vec![
            (
                200,
                ok(
                    "Views of all content",
                    json!({ "type": "object", "required": ["totalViews"], "properties": { "totalViews": { "type": "integer" } } }),
                ),
            ),
            (401, error_ref(401)),
            (403, error_ref(403)),
        ],
        Health => vec![
            (
                200,
                ok(
                    "The service and its store answer",
                    json!({ "type": "object", "required": ["status"], "properties": { "status": { "type": "string" }, "version": { "type": "string" } } }),
                ),
            ),
            (
                503,
                json!({ "$ref": "#/components/responses/UnavailableError" }),
            ),
        ],
        OpenApi => vec![(200, ok("This document", json!({ "type": "object" })))],
        // The console is a web page beside the API, not in `ROUTES`: never described.
        SiteRoot | PreviewPage | ConsolePage | ConsoleRedirect | ConsoleAsset => Vec::new(),
    };
    (params, request, responses)
}

fn operation(route: &Route) -> Value {
    let (params, request, responses) = describe(route);
    let mut op = json!({ "operationId": route.operation_id, "responses": {} });
    for (code, response) in responses {
        op["responses"][code.to_string()] = response;
    }
    if matches!(route.access, Access::Owner | Access::Authenticated) {
        op["security"] = json!([{ "bearerAuth": [] }]);
    }
    if !params.is_empty() {
        op["parameters"] = Value::Array(params);
    }
    if let Some(request) = request {
        // A body that is not `application/json` (or no body at all) is a 415.
        op["responses"]["415"] = error_ref(415);
        op["requestBody"] = request;
    }
    op
}

/// A write that lost a race with another (the owner elsewhere, or the scheduler).
fn concurrent_change() -> Value {
    error_response(
        "The item kept changing while this request ran (other writes, or the scheduler publishing it), each time it was read again: read it again and retry",
    )
}

/// A document in a media type other than JSON.
fn document_of(description: &str, media_type: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { media_type: { "schema": schema } } })
}

/// Feeds and the sitemap exist only once the owner's frontend is configured.
fn no_site() -> Value {
    error_response("No frontend is configured: set SITE_URL")
}

/// The parts of JSON Feed 1.1 (jsonfeed.org/version/1.1) folio writes.
fn json_feed_schema() -> Value {
    json!({ "type": "object", "required": ["version", "title", "items"], "properties": {
        "version": { "type": "string", "enum": ["https://jsonfeed.org/version/1.1"] },
        "title": { "type": "string" }, "home_page_url": { "type": "string", "format": "uri" },
        "feed_url": { "type": "string", "format": "uri" }, "description": { "type": "string" },
        "authors": { "type": "array", "items": { "type": "object", "properties": {
            "name": { "type": "string" }, "url": { "type": "string", "format": "uri" } } } },
        "items": { "type": "array", "maxItems": FEED_ENTRIES, "items": { "type": "object", "required": ["id"], "properties": {
            "id": { "type": "string" }, "url": { "type": "string", "format": "uri" }, "title": { "type": "string" },
            "content_html": { "type": "string" }, "summary": { "type": "string" },
            "date_published": { "type": "string", "format": "date-time" },
            "date_modified": { "type": "string", "format": "date-time" },
            "tags": { "type": "array", "items": { "type": "string" } } } } } } })
}

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema("Error") } } })
}

fn nullable_uri() -> Value {
    json!({ "type": "string", "format": "uri", "nullable": true })
}

/// An update schema: the kind's writable fields, and the read-only fields of its
/// `GET` answer (so that answer may be sent back), marked `readOnly`.
fn update_accepting_read_only<T: Content>(item: &Value) -> Value {
    let mut schema = update_schema(T::FIELDS);
    for name in T::READ_ONLY {
        let mut property = item["properties"][*name].clone();
        property["readOnly"] = json!(true);
        property["description"] =
            json!("Read-only: accepted when equal to the stored value, refused by name otherwise");
        schema["properties"][*name] = property;
    }
    schema
}

/// The size and smaller copies of an image field (`ports::media::Sources`).
fn image_sources(source: &str) -> Value {
    json!({ "type": "object", "readOnly": true,
        "required": ["width", "height", "srcset", "candidates"],
        "description": format!("Present when `{source}` is an image uploaded with its width and height declared: its size, for the img's width and height, and its smaller WebP copies (at {SMALLER_WIDTHS:?} px, those narrower than the image) with the image itself, as a srcset and as a list"),
        "properties": {
            "width": { "type": "integer", "minimum": 1 },
            "height": { "type": "integer", "minimum": 1 },
            "srcset": { "type": "string" },
            "candidates": { "type": "array", "minItems": 1, "items": { "type": "object", "required": ["url", "width"], "properties": {
                "url": { "type": "string" }, "width": { "type": "integer", "minimum": 1 } } } } } })
}

/// An HTML field derived from a Markdown one.
fn rendered_html(source: &str) -> Value {
    json!({ "type": "string", "readOnly": true,
            "description": format!("`{source}` rendered to HTML (CommonMark with GFM tables, strikethrough and autolinks) and sanitised against an allow-list: no scripts, event attributes, styles or non-http(s)/mailto links") })
}

fn meta_properties(extra: Value) -> Value {
    let mut props = json!({
        "id": { "type": "string" },
        "status": { "type": "string", "enum": Status::ALL.map(Status::as_str) },
        "createdAt": { "type": "string", "format": "date-time" },
        "updatedAt": { "type": "string", "format": "date-time" },
        PUBLISH_AT: { "type": "string", "format": "date-time", "readOnly": true,
            "description": "While scheduled: when the item is published" },
    });
    if let (Some(p), Value::Object(e)) = (props.as_object_mut(), extra) {
        p.extend(e);
    }
    props
}

/// The redirects' schemas (apart: one `json!` of every schema would pass the
/// macro's recursion limit).
fn redirect_schemas() -> Value {
    json!({
        "Redirect": { "type": "object", "required": ["id", "from", "to", "createdAt"], "properties": {
            "id": { "type": "string", "pattern": "^[0-9a-f]{16}$", "description": "Names the redirect to delete it" },
            "from": { "type": "string", "maxLength": MAX_PATH_CHARS, "description": "A path of the site, starting with /" },
            "to": { "type": "string", "description": "A path of the site, or an absolute http(s) URL" },
            "createdAt": { "type": "string", "format": "date-time" } } },
        "Redirects": { "type": "object", "required": ["redirects"], "properties": {
            "redirects": { "type": "array", "maxItems": MAX_REDIRECTS, "items": schema("Redirect") } } },
        "RedirectRequest": { "type": "object", "required": ["from", "to"], "additionalProperties": false, "properties": {
            "from": { "type": "string", "minLength": 1, "maxLength": MAX_PATH_CHARS, "pattern": path_pattern(),
                "description": "A path of the site: / then ASCII without spaces, quotes, <, >, \\, ^, `, {, |, } or #" },
            "to": { "type": "string", "description": "A path of the site like from, or an absolute http(s) URL",
                "anyOf": [
                    { "minLength": 1, "maxLength": MAX_PATH_CHARS, "pattern": path_pattern() },
                    { "format": "uri", "maxLength": MAX_URL_CHARS, "pattern": URL_PATTERN },
                ] } } },
    })
}

fn search_schema() -> Value {
    json!({ "type": "object", "required": ["query", "total", "results"], "properties": {
        "query": { "type": "string", "description": "The words searched for, as read" },
        "total": { "type": "integer", "description": "How many items match" },
        "results": { "type": "array", "items": { "type": "object",
            "required": ["contentType", "id", "title", "snippet", "score"], "properties": {
            "contentType": { "type": "string", "enum": ["blog", "project", "certification"] },
            "id": { "type": "string" },
            "status": { "type": "string", "enum": ["published", "scheduled", "draft"], "description": "The item's status: in the owner's answers (status draft, scheduled or all) only" },
            "slug": { "type": "string", "description": "A post's slug" },
            "title": { "type": "string" },
            "snippet": { "type": "string", "description": "Escaped text around the first match; only <mark> and </mark> are markup" },
            "score": { "type": "number" } } } } } })
}

/// A revision's number in the path: a positive integer.
fn version_param(params: &mut [Value]) {
    if let Some(param) = params.iter_mut().find(|p| p["name"] == "version") {
        param["schema"] = json!({ "type": "integer", "minimum": 1 });
    }
}

/// The history's schemas.
fn audience_schemas() -> Value {
    json!({
        "TrackVisitRequest": { "type": "object", "additionalProperties": false,
            "description": "Optional: what the page knows about the visit. Sent by folio's tracking script; a client that sends no body is counted as before",
            "properties": {
            "referrer": { "type": "string", "maxLength": MAX_URL_CHARS, "description": "document.referrer: its site becomes the visit's source (a few well-known sites grouped), its path the referring page; never its query" },
            "url": { "type": "string", "maxLength": MAX_URL_CHARS, "description": "The landing page's URL: its path, and its utm_source (or ref, source), utm_medium and utm_campaign" } } },
        "AudienceValue": { "type": "object", "required": ["value", "visitors"], "properties": {
            "value": { "type": "string" }, "visitors": { "type": "integer", "minimum": 1 } } },
        "TrackEngagementRequest": { "type": "object", "required": ["contentId", "contentType", "seconds", "scrolled"], "additionalProperties": false,
            "description": "Sent once per view, when the page is first hidden. The view is a read when the page was visible 30 seconds or more, or scrolled 75 % or more",
            "properties": {
            "contentId": { "type": "string", "minLength": 1, "maxLength": ItemId::MAX_LEN, "pattern": ItemId::PATTERN },
            "contentType": { "type": "string", "enum": ["blog", "project", "certification"] },
            "visit": visit_token_schema(VISIT_TOKEN_SENT),
            "seconds": { "type": "integer", "minimum": 0, "maximum": readership::MAX_SECONDS, "description": "Seconds the page was visible" },
            "scrolled": { "type": "integer", "minimum": 0, "maximum": 100, "description": "How far down the page the reader got: the bottom of the furthest view as a percentage of the page's height" } } },
        "PeriodTotals": { "type": "object", "required": ["visitors", "views", "reads", "medianSeconds"], "properties": {
            "visitors": { "type": "integer", "minimum": 0 }, "views": { "type": "integer", "minimum": 0 },
            "reads": { "type": "integer", "minimum": 0 },
            "medianSeconds": { "type": "integer", "nullable": true, "description": "Median time on page over the engagement beacons (null without any, and with `q`: time on page is not broken down)" } } },
        "VisitorAudience": { "type": "object", "required": ["from", "to", "totals", "previous", "content", "filtered", "sources", "referrers", "utmSources", "utmMediums", "utmCampaigns", "countries", "devices", "browsers", "operatingSystems", "landingPages"], "properties": {
            "from": { "type": "string", "format": "date" }, "to": { "type": "string", "format": "date" },
            "totals": schema("PeriodTotals"),
            "previous": { "type": "object", "required": ["from", "to", "totals"], "description": "The as many days before `from`", "properties": {
                "from": { "type": "string", "format": "date" }, "to": { "type": "string", "format": "date" },
                "totals": schema("PeriodTotals") } },
            "content": { "type": "array", "description": "The period's most viewed items (at most 50); with `q`, the views and reads of the visits that had every value (a view counts under its visitor's visit of the day, when one was counted before it)", "items": { "type": "object",
                "required": ["contentType", "contentId", "views", "reads", "medianSeconds"], "properties": {
                "contentType": { "type": "string", "enum": ["blog", "project", "certification"] }, "contentId": { "type": "string" },
                "views": { "type": "integer", "minimum": 0 }, "reads": { "type": "integer", "minimum": 0 },
                "medianSeconds": { "type": "integer", "nullable": true } } } },
            "filtered": { "type": "array", "items": schema("AudienceValue"), "description": "Visits left out of every number, by why: `Bot` (crawlers, headless browsers, HTTP libraries) or `Referrer spam`; each visitor once a day" },
            "sources": { "type": "array", "items": schema("AudienceValue"), "description": "A referring site (grouped: Twitter/X, LinkedIn, Google …), else the campaign's utm_source, else \"Direct / None\"" },
            "referrers": { "type": "array", "items": { "type": "object", "required": ["source", "page", "visitors"], "properties": {
                "source": { "type": "string" }, "page": { "type": "string" }, "visitors": { "type": "integer", "minimum": 1 } } } },
            "utmSources": { "type": "array", "items": schema("AudienceValue") },
            "utmMediums": { "type": "array", "items": schema("AudienceValue") },
            "utmCampaigns": { "type": "array", "items": schema("AudienceValue") },
            "countries": { "type": "array", "items": schema("AudienceValue"), "description": "ISO 3166-1 alpha-2, from CloudFront-Viewer-Country" },
            "devices": { "type": "array", "items": schema("AudienceValue"), "description": "Desktop, Mobile or Tablet, from the User-Agent (never stored)" },
            "browsers": { "type": "array", "items": schema("AudienceValue") },
            "operatingSystems": { "type": "array", "items": schema("AudienceValue") },
            "landingPages": { "type": "array", "items": schema("AudienceValue") },
            "filter": { "type": "object", "additionalProperties": { "type": "string" }, "description": "With `q`: the values every table and `totals.visitors` were narrowed to" },
            "notBrokenDown": { "type": "integer", "minimum": 0, "description": format!("With `q`: visits of the period in the full tables that no narrowed table can break down (past {} distinct combinations of values in a day per origin instance, or counted before this version)", crate::usecases::audience::PROFILES_PER_DAY) } } }
    })
}

fn revision_schemas() -> Value {
    json!({
        "Revision": { "type": "object", "required": ["version", "savedAt", "replacedAt", "replacedBy", "changed", "deleted", "title"], "properties": {
            "version": { "type": "integer", "minimum": 1, "description": "The item's version this revision holds" },
            "savedAt": { "type": "string", "format": "date-time", "description": "When this version was saved" },
            "replacedAt": { "type": "string", "format": "date-time", "description": "When the save (or deletion) that replaced it happened" },
            "replacedBy": { "type": "string", "description": "Who replaced it: the owner's email, `scheduler` or `import`" },
            "changed": { "type": "array", "items": { "type": "string" }, "description": "The fields the replacing save changed" },
            "deleted": { "type": "boolean", "description": "The item was deleted while this version was current" },
            "title": { "type": "string" } } },
        "Revisions": { "type": "object", "required": ["revisions"], "properties": {
            "revisions": { "type": "array", "items": schema("Revision") } } },
        "Trashed": { "type": "object", "required": ["contentType", "id", "version", "title", "deletedAt", "deletedBy", "restorableUntil"], "properties": {
            "contentType": { "type": "string", "enum": ["blog", "project", "certification"] },
            "id": { "type": "string" },
            "version": { "type": "integer", "description": "The revision holding the item as it was deleted" },
            "title": { "type": "string" },
            "deletedAt": { "type": "string", "format": "date-time" },
            "deletedBy": { "type": "string" },
            "restorableUntil": { "type": "string", "format": "date-time" } } },
    })
}

fn schemas() -> Value {
    let blog_item = json!({ "type": "object",
            "required": ["id", "slug", "title", "excerpt", "content", CONTENT_HTML, "category", "readTime", "publishedAt", "tags", "status", "createdAt", "updatedAt"],
            "properties": meta_properties(json!({ "slug": { "type": "string" }, "title": { "type": "string" },
                "excerpt": { "type": "string" }, "content": { "type": "string" },
                CONTENT_HTML: rendered_html("content"), "category": { "type": "string" },
                "readTime": { "type": "string", "example": "5 min read" },
                "publishedAt": { "type": "string", "description": "YYYY-MM-DD: the owner's date, else the day of the first publication; empty until then" },
                "tags": { "type": "array", "items": { "type": "string" } },
                "coverImage": nullable_uri(), COVER_IMAGE_SOURCES: image_sources("coverImage") })) });
    let project_item = json!({ "type": "object",
            "required": ["id", "name", "description", "longDescription", LONG_DESCRIPTION_HTML, "tech", "company", "featured", "status", "createdAt", "updatedAt"],
            "properties": meta_properties(json!({ "name": { "type": "string" }, "description": { "type": "string" },
                "longDescription": { "type": "string" },
                LONG_DESCRIPTION_HTML: rendered_html("longDescription"), "tech": { "type": "array", "items": { "type": "string" } },
                "company": { "type": "string" }, "featured": { "type": "boolean" },
                "githubUrl": nullable_uri(), "liveUrl": nullable_uri(), "imageUrl": nullable_uri(), IMAGE_SOURCES: image_sources("imageUrl") })) });
    let cert_item = json!({ "type": "object",
            "required": ["id", "name", "issuer", "icon", "type", "featured", "description", "dateEarned", "status", "createdAt", "updatedAt"],
            "properties": meta_properties(json!({ "name": { "type": "string" }, "issuer": { "type": "string" },
                "icon": { "type": "string" }, "type": { "type": "string", "enum": ["certification", "course"] },
                "featured": { "type": "boolean" }, "description": { "type": "string" }, "credentialUrl": nullable_uri(),
                "dateEarned": { "type": "string", "format": "date" } })) });
    let secret = |description: &str| {
        json!({ "type": "string", "format": "password", "minLength": 1,
                "maxLength": MAX_SECRET_CHARS, "description": description })
    };
    json!({
        "User": { "type": "object", "required": ["id", "email", "name", "role"], "properties": {
            "id": { "type": "string" }, "email": { "type": "string", "format": "email" },
            "name": { "type": "string" }, "role": { "type": "string", "enum": ["owner", "public"] } } },
        "LoginRequest": { "type": "object", "required": ["email", "password"], "additionalProperties": false, "properties": {
            "email": { "type": "string", "format": "email", "maxLength": 254 }, "password": secret("The password, exactly as set") } },
        "ChangePasswordRequest": { "type": "object", "required": ["currentPassword", "newPassword"], "additionalProperties": false, "properties": {
            "currentPassword": secret("The password now"),
            "newPassword": { "type": "string", "format": "password",
                "minLength": PASSWORD_POLICY.min_length, "maxLength": folio_shared::domain::password::MAX_PASSWORD_CHARS,
                "pattern": PASSWORD_POLICY.pattern(),
                "description": "At least 12 characters with a lower-case letter, an upper-case letter and a digit (the user pool's policy)" } } },
        "ScheduleRequest": { "type": "object", "required": [PUBLISH_AT], "additionalProperties": false, "properties": {
            PUBLISH_AT: { "type": "string", "format": "date-time",
                "description": "When to publish: an RFC 3339 date-time (any offset; kept in UTC to the second). A time already past is due: the next tick publishes it." } } },
        "UploadRequest": { "type": "object", "required": [media_handler::CONTENT_TYPE, media_handler::SIZE], "additionalProperties": false,
            // Width and height come together, or neither.
            "anyOf": [
                { "required": [media_handler::WIDTH, media_handler::HEIGHT] },
                { "not": { "anyOf": [{ "required": [media_handler::WIDTH] }, { "required": [media_handler::HEIGHT] }] } }
            ],
            "properties": {
            media_handler::CONTENT_TYPE: { "type": "string", "enum": IMAGE_TYPES.iter().map(|(t, _)| *t).collect::<Vec<_>>() },
            media_handler::SIZE: { "type": "integer", "minimum": 1, "maximum": MAX_IMAGE_BYTES, "description": "The file's exact size in bytes" },
            media_handler::WIDTH: { "type": "integer", "minimum": 1, "maximum": MAX_SIDE,
                "description": format!("The image's width in pixels as shown (EXIF orientation applied), with height ({} megapixels at most). Declared, the image's URL carries its size: pages get width, height and a srcset of its smaller WebP copies (made after the upload for PNG, JPEG and WebP); an upload that is not the size declared gets no copies", MAX_PIXELS / 1_000_000) },
            media_handler::HEIGHT: { "type": "integer", "minimum": 1, "maximum": MAX_SIDE,
                "description": "The image's height in pixels as shown, with width" } } },
        "Upload": { "type": "object", "required": ["uploadUrl", "method", "headers", "url", "key", "expiresAt"], "properties": {
            "uploadUrl": { "type": "string", "format": "uri" },
            "method": { "type": "string", "enum": ["PUT"] },
            "headers": { "type": "object", "additionalProperties": { "type": "string" } },
            "url": { "type": "string", "format": "uri" },
            "key": { "type": "string" },
            "expiresAt": { "type": "string", "format": "date-time" } } },
        "RenderRequest": { "type": "object", "required": [render_handler::MARKDOWN], "additionalProperties": false, "properties": {
            render_handler::MARKDOWN: { "type": "string", "maxLength": MARKDOWN_MAX_CHARS, "description": "Markdown, as a post's content or a project's longDescription" } } },
        "RenderedMarkdown": { "type": "object", "required": [render_handler::HTML], "properties": {
            render_handler::HTML: { "type": "string" } } },
        "WebhookDeliveries": { "type": "object", "required": ["urls", "deliveries"], "properties": {
            "urls": { "type": "array", "items": { "type": "string" } },
            "deliveries": { "type": "array", "maxItems": RECENT, "items": { "type": "object",
                "required": ["id", "url", "event", "state", "attempts", "createdAt", "nextAttemptAt"], "properties": {
                "id": { "type": "string" }, "url": { "type": "string" },
                "event": { "type": "object", "required": ["id", "type", "occurredAt", "contentType", "contentId"], "properties": {
                    "id": { "type": "string" },
                    "type": { "type": "string", "enum": Change::ALL.map(Change::event_type) },
                    "occurredAt": { "type": "string", "format": "date-time" },
                    "contentType": { "type": "string", "enum": ["blog", "project", "certification"] },
                    "contentId": { "type": "string" }, "slug": { "type": "string" } } },
                "state": { "type": "string", "enum": ["pending", "delivered", "failed"] },
                "attempts": { "type": "integer" }, "lastStatus": { "type": "integer" }, "lastError": { "type": "string" },
                "createdAt": { "type": "string", "format": "date-time" },
                "nextAttemptAt": { "type": "string", "format": "date-time" },
                "finishedAt": { "type": "string", "format": "date-time" } } } } } },
        "PreviewRequest": { "type": "object", "additionalProperties": false, "properties": {
            EXPIRES_IN_HOURS: { "type": "integer", "minimum": 1, "maximum": MAX_PREVIEW_HOURS, "default": DEFAULT_PREVIEW_HOURS,
                "description": "How long the link works" } } },
        "PreviewLinks": { "type": "object", "required": ["links"], "properties": {
            "links": { "type": "array", "items": { "type": "object", "required": ["id", "createdAt", "expiresAt"], "properties": {
                "id": { "type": "string", "pattern": "^[0-9a-f]{16}$", "description": "Names the link to revoke it; not its token" },
                "createdAt": { "type": "string", "format": "date-time" },
                "expiresAt": { "type": "string", "format": "date-time" } } } } } },
        "PreviewLink": { "type": "object", "required": ["token", "path", "expiresAt", "contentType", "contentId", "id"], "properties": {
            "id": { "type": "string", "pattern": "^[0-9a-f]{16}$", "description": "Names the link in the item's list of links" },
            "token": { "type": "string", "description": "The link's secret: 256 random bits" },
            "path": { "type": "string", "description": "GET this path of the API to read the item (JSON)" },
            "pagePath": { "type": "string", "description": "The same link as a page a person opens in a browser" },
            "expiresAt": { "type": "string", "format": "date-time" },
            "contentType": { "type": "string", "enum": ["blog", "project", "certification"] },
            "contentId": { "type": "string" } } },
        "Preview": { "type": "object", "required": ["contentType", "expiresAt", "item"], "properties": {
            "contentType": { "type": "string", "enum": ["blog", "project", "certification"] },
            "expiresAt": { "type": "string", "format": "date-time" },
            "item": { "anyOf": [schema("BlogPost"), schema("Project"), schema("Certification")] } } },
        "RefreshRequest": { "type": "object", "required": ["refreshToken"], "additionalProperties": false, "properties": {
            "refreshToken": { "type": "string", "minLength": 1, "maxLength": MAX_SECRET_CHARS } } },
        "AuthSession": { "type": "object", "required": ["user", "token", "refreshToken", "expiresIn"], "properties": {
            "user": schema("User"), "token": { "type": "string", "description": "ID token (JWT, RS256)" },
            "refreshToken": { "type": "string" }, "expiresIn": { "type": "integer", "description": "Seconds until the token expires" } } },
        "BlogPost": blog_item.clone(),
        "BlogPostUpdate": update_accepting_read_only::<BlogPost>(&blog_item),
        "BlogPostCreate": create_schema(BlogPost::FIELDS),
        "Project": project_item.clone(),
        "ProjectUpdate": update_accepting_read_only::<Project>(&project_item),
        "ProjectCreate": create_schema(Project::FIELDS),
        "Certification": cert_item.clone(),
        "CertificationUpdate": update_accepting_read_only::<Certification>(&cert_item),
        "CertificationCreate": create_schema(Certification::FIELDS),
        "TrackViewRequest": { "type": "object", "required": ["contentId", "contentType"], "additionalProperties": false, "properties": {
            "contentId": { "type": "string", "minLength": 1, "maxLength": ItemId::MAX_LEN, "pattern": ItemId::PATTERN },
            "contentType": { "type": "string", "enum": ["blog", "project", "certification"] },
            "visit": visit_token_schema(VISIT_TOKEN_SENT) } },
        "DailyVisitors": { "type": "object", "required": ["date", "visitors"], "properties": {
            "date": { "type": "string", "description": "MMM DD" }, "day": { "type": "string", "format": "date" },
            "visitors": { "type": "integer", "minimum": 0 } } },
        "MonthlyVisitors": { "type": "object", "required": ["month", "visitors"], "properties": {
            "month": { "type": "string", "description": "Month abbreviation" }, "yearMonth": { "type": "string" },
            "visitors": { "type": "integer", "minimum": 0 } } },
        "ContentViewStat": { "type": "object", "required": ["contentId", "views"], "properties": {
            "contentId": { "type": "string" }, "views": { "type": "integer", "minimum": 0 } } },
        "Error": { "type": "object", "required": ["error", "message", "statusCode"], "properties": {
            "error": { "type": "string" }, "message": { "type": "string" }, "statusCode": { "type": "integer" },
            "details": { "type": "object", "nullable": true } } },
    })
}

pub fn document() -> Value {
    let mut all_schemas = schemas();
    for more in [redirect_schemas(), revision_schemas(), audience_schemas()] {
        if let (Some(all), Value::Object(more)) = (all_schemas.as_object_mut(), more) {
            all.extend(more);
        }
    }
    let mut paths = Map::new();
    for route in ROUTES {
        let path = route.path.strip_prefix("/v1").unwrap_or(route.path);
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[route.method.as_str().to_lowercase()] = operation(route);
    }
    json!({
        "openapi": "3.0.3",
        "info": { "title": "folio API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Edge-first backend for a personal portfolio: posts, projects, certifications, visitor and view counts." },
        "servers": [{ "url": "/v1" }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearerAuth": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" } },
            "schemas": all_schemas,
            "responses": {
                "BadRequestError": error_response("Invalid input; details names the field"),
                "UnauthorizedError": error_response("Token missing, invalid, expired or revoked"),
                "ForbiddenError": error_response("Signed in, but not the owner"),
                "NotFoundError": error_response("No such resource (drafts are not found by the public)"),
                "PreconditionFailedError": error_response("If-Match does not match the current ETag"),
                "UnsupportedMediaTypeError": error_response("The body is not application/json"),
                "TooManyRequestsError": { "description": "Too many requests: failed sign-ins from this account or address, or new visitors and views from this network; retry after Retry-After seconds",
                    "headers": { "Retry-After": { "schema": { "type": "integer" } } },
                    "content": { "application/json": { "schema": schema("Error") } } },
                "PayloadTooLargeError": error_response("The body is over 1 MB, or the item it makes is over the store's 400 KB per item"),
                "UnavailableError": error_response("Try again after Retry-After seconds"),
                "Error": error_response("Error"),
            }
        }
    })
}
