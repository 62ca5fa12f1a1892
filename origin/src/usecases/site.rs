//! The owner's frontend: where readers read what the API serves. Feeds and the
//! sitemap link there, never to the API.
//!
//! | setting                   | meaning                                                 |
//! |---------------------------|---------------------------------------------------------|
//! | `SITE_URL`                | the frontend's address, e.g. `https://jane.dev` (none: no feeds or sitemap) |
//! | `SITE_TITLE`              | the feeds' title (default: the site's host name)        |
//! | `SITE_POST_PATH`          | a post's page, default `/blog/{slug}` (`{slug}` or `{id}`) |
//! | `SITE_PROJECT_PATH`       | a project's page, default `/projects/{id}`              |
//! | `SITE_CERTIFICATION_PATH` | a certification's page, default `/certifications/{id}`  |
//! | `API_URL`                 | the API's public address, for the feeds' self links (optional) |
//!
//! The Lambda reads these names; `folio serve` reads them with a `FOLIO_` prefix.

use folio_shared::domain::ContentKind;
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("setting {name} is invalid: {reason}")]
pub struct SiteError {
    pub name: &'static str,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// Without a trailing slash.
    url: String,
    pub title: String,
    post_path: String,
    project_path: String,
    certification_path: String,
    /// The API's public address, without a trailing slash.
    api_url: Option<String>,
}

const DEFAULT_POST_PATH: &str = "/blog/{slug}";
const DEFAULT_PROJECT_PATH: &str = "/projects/{id}";
const DEFAULT_CERTIFICATION_PATH: &str = "/certifications/{id}";

/// An absolute http(s) address without query or fragment, trailing slash removed.
fn base_url(name: &'static str, value: &str) -> Result<String, SiteError> {
    let invalid = |reason: &str| SiteError {
        name,
        reason: format!("{value:?} {reason}"),
    };
    let url =
        Url::parse(value).map_err(|_| invalid("is not an absolute URL like https://jane.dev"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid("must be an http(s) URL like https://jane.dev"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must have no query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn path_pattern(
    name: &'static str,
    value: &str,
    placeholders: &[&str],
) -> Result<String, SiteError> {
    let ok = value.starts_with('/')
        && placeholders.iter().any(|p| value.contains(p))
        && !value.contains(char::is_whitespace);
    if ok {
        Ok(value.to_string())
    } else {
        Err(SiteError {
            name,
            reason: format!(
                "{value:?} must be a path starting with / that contains {}",
                placeholders.join(" or ")
            ),
        })
    }
}

impl Site {
    /// Reads the settings through `lookup`; `None` when `SITE_URL` is not set.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, SiteError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let Some(url) = get("SITE_URL") else {
            return Ok(None);
        };
        let url = base_url("SITE_URL", url.trim())?;
        let host = Url::parse(&url)
            .ok()
            .and_then(|u| u.host_str().map(String::from))
            .unwrap_or_default();
        let pattern = |name: &'static str, default: &str, placeholders: &[&str]| {
            path_pattern(
                name,
                get(name).as_deref().unwrap_or(default).trim(),
                placeholders,
            )
        };
        Ok(Some(Self {
            title: get("SITE_TITLE")
                .map(|t| t.trim().to_string())
                .unwrap_or(host),
            post_path: pattern("SITE_POST_PATH", DEFAULT_POST_PATH, &["{slug}", "{id}"])?,
            project_path: pattern("SITE_PROJECT_PATH", DEFAULT_PROJECT_PATH, &["{id}"])?,
            certification_path: pattern(
                "SITE_CERTIFICATION_PATH",
                DEFAULT_CERTIFICATION_PATH,
                &["{id}"],
            )?,
            api_url: get("API_URL")
                .map(|v| base_url("API_URL", v.trim()))
                .transpose()?,
            url,
        }))
    }

    /// A site at `url` with every other setting at its default.
    pub fn at(url: &str) -> Result<Self, SiteError> {
        Self::from_lookup(|name| (name == "SITE_URL").then(|| url.to_string()))?.ok_or(SiteError {
            name: "SITE_URL",
            reason: "is empty".into(),
        })
    }

    /// The same site, with the API's public address (for self links).
    pub fn with_api_url(mut self, api_url: &str) -> Self {
        if self.api_url.is_none() {
            self.api_url = base_url("API_URL", api_url).ok();
        }
        self
    }

    /// The frontend's home page (with its trailing slash).
    pub fn home(&self) -> String {
        format!("{}/", self.url)
    }

    /// The frontend page of one item. Slugs in other scripts are percent-encoded
    /// UTF-8, as URLs in feeds and sitemaps must be.
    pub fn item_url(&self, kind: ContentKind, id: &str, slug: Option<&str>) -> String {
        let pattern = match kind {
            ContentKind::Blog => &self.post_path,
            ContentKind::Project => &self.project_path,
            ContentKind::Certification => &self.certification_path,
        };
        let path = pattern
            .replace("{slug}", slug.unwrap_or(id))
            .replace("{id}", id);
        let joined = format!("{}{path}", self.url);
        // Parsing percent-encodes what a URL may not carry raw.
        Url::parse(&joined).map(String::from).unwrap_or(joined)
    }

    /// The API's public address of `path`, when it is known.
    pub fn api(&self, path: &str) -> Option<String> {
        self.api_url.as_ref().map(|base| format!("{base}{path}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn no_site_url_means_no_site() {
        assert_eq!(Site::from_lookup(lookup(&[])), Ok(None));
        assert_eq!(Site::from_lookup(lookup(&[("SITE_URL", " ")])), Ok(None));
    }

    #[test]
    fn item_urls_follow_the_patterns_and_encode_other_scripts() {
        let site = Site::from_lookup(lookup(&[
            ("SITE_URL", "https://jane.dev/"),
            ("SITE_POST_PATH", "/posts/{slug}/"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(site.title, "jane.dev");
        assert_eq!(site.home(), "https://jane.dev/");
        assert_eq!(
            site.item_url(ContentKind::Blog, "p1", Some("hello-日本")),
            "https://jane.dev/posts/hello-%E6%97%A5%E6%9C%AC/"
        );
        assert_eq!(
            site.item_url(ContentKind::Project, "p2", None),
            "https://jane.dev/projects/p2"
        );
        assert_eq!(site.api("/v1/blog/feed.atom"), None);
        let site = site.with_api_url("https://api.jane.dev/");
        assert_eq!(
            site.api("/v1/blog/feed.atom").as_deref(),
            Some("https://api.jane.dev/v1/blog/feed.atom")
        );
    }

    #[test]
    fn bad_settings_are_named() {
        for (pairs, name) in [
            (vec![("SITE_URL", "jane.dev")], "SITE_URL"),
            (vec![("SITE_URL", "ftp://jane.dev")], "SITE_URL"),
            (vec![("SITE_URL", "https://jane.dev/?a=1")], "SITE_URL"),
            (
                vec![
                    ("SITE_URL", "https://jane.dev"),
                    ("SITE_POST_PATH", "/blog/"),
                ],
                "SITE_POST_PATH",
            ),
            (
                vec![
                    ("SITE_URL", "https://jane.dev"),
                    ("SITE_PROJECT_PATH", "p/{id}"),
                ],
                "SITE_PROJECT_PATH",
            ),
            (
                vec![("SITE_URL", "https://jane.dev"), ("API_URL", "nope")],
                "API_URL",
            ),
        ] {
            let error = Site::from_lookup(lookup(&pairs)).unwrap_err();
            assert_eq!(error.name, name, "{pairs:?}");
        }
    }
}
