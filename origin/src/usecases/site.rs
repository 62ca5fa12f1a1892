//! The owner's frontend: where readers read what the API serves. Feeds and the
//! sitemap link there, never to the API.
//!
//! Its settings (`SITE_URL`, `SITE_TITLE`, `SITE_*_PATH`, `API_URL`) are defined in
//! `folio_shared::settings`.

use folio_shared::domain::ContentKind;
use folio_shared::settings::{
    API_URL, Env, SITE_CERTIFICATION_PATH, SITE_POST_PATH, SITE_PROJECT_PATH, SITE_TITLE, SITE_URL,
    Setting,
};
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
    /// The site the settings describe; `None` when `SITE_URL` is not set.
    pub fn from_env(env: &Env) -> Result<Option<Self>, SiteError> {
        let Some(url) = env.get(&SITE_URL) else {
            return Ok(None);
        };
        let url = base_url(SITE_URL.name, url)?;
        let host = Url::parse(&url)
            .ok()
            .and_then(|u| u.host_str().map(String::from))
            .unwrap_or_default();
        let pattern = |setting: &Setting, default: &str, placeholders: &[&str]| {
            path_pattern(
                setting.name,
                env.get(setting).unwrap_or(default),
                placeholders,
            )
        };
        Ok(Some(Self {
            title: env.get(&SITE_TITLE).map(String::from).unwrap_or(host),
            post_path: pattern(&SITE_POST_PATH, SITE_POST_PATH.default, &["{slug}", "{id}"])?,
            project_path: pattern(&SITE_PROJECT_PATH, SITE_PROJECT_PATH.default, &["{id}"])?,
            certification_path: pattern(
                &SITE_CERTIFICATION_PATH,
                SITE_CERTIFICATION_PATH.default,
                &["{id}"],
            )?,
            api_url: env
                .get(&API_URL)
                .map(|v| base_url(API_URL.name, v))
                .transpose()?,
            url,
        }))
    }

    /// A site at `url` with every other setting at its default.
    pub fn at(url: &str) -> Result<Self, SiteError> {
        Self::from_env(&Env::default().with(&SITE_URL, url))?.ok_or(SiteError {
            name: SITE_URL.name,
            reason: "is empty".into(),
        })
    }

    /// The same site, with the API's public address (for self links).
    pub fn with_api_url(mut self, api_url: &str) -> Self {
        if self.api_url.is_none() {
            self.api_url = base_url(API_URL.name, api_url).ok();
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

    fn lookup(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs)
    }

    #[test]
    fn no_site_url_means_no_site() {
        assert_eq!(Site::from_env(&lookup(&[])), Ok(None));
        assert_eq!(Site::from_env(&lookup(&[("SITE_URL", " ")])), Ok(None));
    }

    #[test]
    fn item_urls_follow_the_patterns_and_encode_other_scripts() {
        let site = Site::from_env(&lookup(&[
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
            let error = Site::from_env(&lookup(&pairs)).unwrap_err();
            assert_eq!(error.name, name, "{pairs:?}");
        }
    }
}
