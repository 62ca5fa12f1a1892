//! The blog's feeds (Atom, RSS 2.0, JSON Feed) and the sitemap: public reads,
//! cached like content and purged with it, linking to the owner's frontend.

use chrono::{DateTime, NaiveDate, Utc};
use folio_shared::domain::{
    BlogPost, Certification, Content, ContentKind, Project, Status, Timestamp,
};
use folio_shared::routes::{FeedFormat, ROUTES, RouteId, SITEMAP_MEDIA_TYPE};
use folio_shared::{ApiError, ApiResponse};
use http::{StatusCode, header};
use serde_json::json;

use bytes::Bytes;

use crate::ports::Key;
use crate::repo::content as repo;
use crate::support::markup::xml;
use crate::usecases::app::App;
use crate::usecases::site::Site;

/// Entries in a feed: the newest posts (feed readers poll; the archive is the site's).
pub const FEED_ENTRIES: usize = 20;
/// URLs in one sitemap file (sitemaps.org protocol).
pub const SITEMAP_MAX_URLS: usize = 50_000;

/// The path of a feed, as the route table names it.
fn feed_path(format: FeedFormat) -> &'static str {
    ROUTES
        .iter()
        .find(|r| r.id == RouteId::BlogFeed(format))
        .map_or("", |r| r.path)
}

fn site(app: &App) -> Result<&Site, ApiError> {
    app.site.as_ref().ok_or_else(|| {
        tracing::info!("feeds and the sitemap need SITE_URL");
        ApiError::NotFound
    })
}

fn respond(media_type: &str, body: Bytes) -> ApiResponse {
    let mut response = ApiResponse::empty(StatusCode::OK).header(
        header::CONTENT_TYPE,
        &format!("{media_type}; charset=utf-8"),
    );
    response.body = body;
    response
}

/// When a post was published: the owner's date at midnight UTC, else its creation.
fn published(post: &BlogPost) -> DateTime<Utc> {
    NaiveDate::parse_from_str(&post.published_at, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .unwrap_or_else(|| post.meta.created_at.to_utc().unwrap_or_default())
}

fn updated(post: &BlogPost) -> DateTime<Utc> {
    post.meta.updated_at.to_utc().unwrap_or_default()
}

/// The post's category first, then its tags, each once.
fn terms(post: &BlogPost) -> Vec<&str> {
    let mut terms: Vec<&str> = vec![post.category.as_str()];
    for tag in &post.tags {
        if !terms.contains(&tag.as_str()) {
            terms.push(tag);
        }
    }
    terms
}

struct Entry {
    url: String,
    html: String,
    post: BlogPost,
}

pub async fn feed(app: &App, format: FeedFormat) -> Result<ApiResponse, ApiError> {
    let site = site(app)?;
    // Which posts, at which versions, the feed is made of: kept, it is sent as
    // it was; else those posts are read in one batch.
    let newest = repo::newest_listed(
        app.store.as_ref(),
        ContentKind::Blog,
        Status::Published,
        FEED_ENTRIES,
    )
    .await?;
    let name = feed_path(format);
    if let Some(body) = app.documents.get(name, &newest) {
        return Ok(respond(format.media_type(), body));
    }
    let keys: Vec<Key> = newest.iter().map(|listed| listed.key.clone()).collect();
    let posts: Vec<BlogPost> = repo::get_many::<BlogPost>(app.store.as_ref(), &keys)
        .await?
        .into_iter()
        .flatten()
        .map(|stored| stored.item)
        // Unpublished or deleted since its list row was read.
        .filter(|post| post.status() == Status::Published)
        .collect();
    let markdowns: Vec<&str> = posts.iter().map(|post| post.content.as_str()).collect();
    let rendered = app.renderer.render_many_html(&markdowns).await;
    let entries: Vec<Entry> = posts
        .into_iter()
        .zip(rendered)
        .map(|(post, html)| Entry {
            url: site.item_url(ContentKind::Blog, post.id().as_str(), Some(&post.slug)),
            html,
            post,
        })
        .collect();
    // The feed changed when its newest-changed entry did; an empty feed, never.
    let feed_updated = entries
        .iter()
        .map(|e| updated(&e.post))
        .max()
        .unwrap_or_default();
    let self_url = site.api(feed_path(format));
    let body = match format {
        FeedFormat::Atom => atom(site, &entries, feed_updated, self_url.as_deref()),
        FeedFormat::Rss => rss(site, &entries, feed_updated, self_url.as_deref()),
        FeedFormat::Json => json_feed(site, &entries, self_url.as_deref()),
    };
    // Kept and sent as one shared buffer.
    let body = Bytes::from(body);
    app.documents.keep(name, newest, body.clone());
    Ok(respond(format.media_type(), body))
}

fn atom(
    site: &Site,
    entries: &[Entry],
    updated_at: DateTime<Utc>,
    self_url: Option<&str>,
) -> String {
    let home = xml(&site.home());
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<id>{home}</id>\n<title>{title}</title>\n<updated>{updated}</updated>\n<link rel=\"alternate\" type=\"text/html\" href=\"{home}\"/>\n",
        title = xml(&site.title),
        updated = Timestamp::from_utc(updated_at).as_str(),
    );
    if let Some(url) = self_url {
        out.push_str(&format!(
            "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
            xml(url)
        ));
    }
    out.push_str(&format!(
        "<author><name>{}</name><uri>{home}</uri></author>\n<generator>folio</generator>\n",
        xml(&site.title)
    ));
    for entry in entries {
        let post = &entry.post;
        let url = xml(&entry.url);
        out.push_str(&format!(
            "<entry>\n<id>{url}</id>\n<title>{title}</title>\n<link rel=\"alternate\" type=\"text/html\" href=\"{url}\"/>\n<published>{published}</published>\n<updated>{updated}</updated>\n<summary>{summary}</summary>\n<content type=\"html\">{content}</content>\n",
            title = xml(&post.title),
            published = Timestamp::from_utc(published(post)).as_str(),
            updated = Timestamp::from_utc(updated(post)).as_str(),
            summary = xml(&post.excerpt),
            content = xml(&entry.html),
        ));
        for term in terms(post) {
            out.push_str(&format!("<category term=\"{}\"/>\n", xml(term)));
        }
        out.push_str("</entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

fn rss(
    site: &Site,
    entries: &[Entry],
    updated_at: DateTime<Utc>,
    self_url: Option<&str>,
) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n<channel>\n<title>{title}</title>\n<link>{home}</link>\n<description>{description}</description>\n<lastBuildDate>{built}</lastBuildDate>\n<generator>folio</generator>\n",
        title = xml(&site.title),
        home = xml(&site.home()),
        description = xml(&format!("The latest posts from {}", site.title)),
        built = updated_at.to_rfc2822(),
    );
    if let Some(url) = self_url {
        out.push_str(&format!(
            "<atom:link href=\"{}\" rel=\"self\" type=\"application/rss+xml\"/>\n",
            xml(url)
        ));
    }
    for entry in entries {
        let post = &entry.post;
        let url = xml(&entry.url);
        out.push_str(&format!(
            "<item>\n<title>{title}</title>\n<link>{url}</link>\n<guid isPermaLink=\"true\">{url}</guid>\n<pubDate>{date}</pubDate>\n<description>{summary}</description>\n<content:encoded>{content}</content:encoded>\n",
            title = xml(&post.title),
            date = published(post).to_rfc2822(),
            summary = xml(&post.excerpt),
            content = xml(&entry.html),
        ));
        for term in terms(post) {
            out.push_str(&format!("<category>{}</category>\n", xml(term)));
        }
        out.push_str("</item>\n");
    }
    out.push_str("</channel>\n</rss>\n");
    out
}

fn json_feed(site: &Site, entries: &[Entry], self_url: Option<&str>) -> String {
    let items: Vec<_> = entries
        .iter()
        .map(|entry| {
            let post = &entry.post;
            json!({
                "id": entry.url,
                "url": entry.url,
                "title": post.title,
                "content_html": &*entry.html,
                "summary": post.excerpt,
                "date_published": Timestamp::from_utc(published(post)),
                "date_modified": Timestamp::from_utc(updated(post)),
                "tags": terms(post),
            })
        })
        .collect();
    let mut feed = json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": site.title,
        "home_page_url": site.home(),
        "description": format!("The latest posts from {}", site.title),
        "authors": [{ "name": site.title, "url": site.home() }],
        "items": items,
    });
    if let Some(url) = self_url {
        feed["feed_url"] = json!(url);
    }
    serde_json::to_string_pretty(&feed).unwrap_or_default()
}

/// One `<url>` of the sitemap.
fn url_entry(out: &mut String, loc: &str, lastmod: Option<&str>) {
    out.push_str(&format!("<url><loc>{}</loc>", xml(loc)));
    if let Some(lastmod) = lastmod {
        out.push_str(&format!("<lastmod>{}</lastmod>", xml(lastmod)));
    }
    out.push_str("</url>\n");
}

/// The frontend page and last change of every published item of a kind, newest first: from
/// the catalogue entries (a hundred bytes or so each), or, in a store `folio
/// migrate` has not given them yet, from the items themselves.
async fn pages_of<T: Content>(app: &App, site: &Site) -> Result<Vec<(String, String)>, ApiError> {
    if let Some(entries) = repo::catalogue(app.store.as_ref(), T::KIND).await? {
        return Ok(entries
            .into_iter()
            .filter(|entry| entry.status == Status::Published)
            .map(|entry| {
                (
                    site.item_url(T::KIND, &entry.id, entry.slug.as_deref()),
                    entry.updated_at,
                )
            })
            .collect());
    }
    Ok(repo::list::<T>(app.store.as_ref(), &[Status::Published])
        .await?
        .iter()
        .map(|item| {
            (
                site.item_url(T::KIND, item.id().as_str(), item.slug()),
                item.meta().updated_at.as_str().to_string(),
            )
        })
        .collect())
}

pub async fn sitemap(app: &App) -> Result<ApiResponse, ApiError> {
    let site = site(app)?;
    let mut urls = pages_of::<BlogPost>(app, site).await?;
    urls.extend(pages_of::<Project>(app, site).await?);
    urls.extend(pages_of::<Certification>(app, site).await?);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let newest = urls.iter().map(|(_, t)| t.as_str()).max();
    url_entry(&mut out, &site.home(), newest);
    for (loc, lastmod) in urls.iter().take(SITEMAP_MAX_URLS - 1) {
        url_entry(&mut out, loc, Some(lastmod));
    }
    out.push_str("</urlset>\n");
    Ok(respond(SITEMAP_MEDIA_TYPE, out.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_escapes_markup_and_drops_what_xml_cannot_carry() {
        assert_eq!(
            xml("a<b>&\"'\u{1}\u{8}\tz"),
            "a&lt;b&gt;&amp;&quot;&apos;\tz"
        );
    }
}
