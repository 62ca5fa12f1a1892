use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::FieldError;
use crate::domain::content::PUBLISH_AT;
use crate::domain::query::{self, Facet, distinct};
use crate::domain::rules::{FieldKind, FieldRule};
use crate::domain::{Content, ContentKind, Fields, HttpUrl, Meta, Status};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlogPost {
    #[serde(flatten)]
    pub meta: Meta,
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    pub content: String,
    pub category: String,
    pub read_time: String,
    /// `YYYY-MM-DD` once published, `""` while a draft.
    pub published_at: String,
    pub tags: Vec<String>,
    /// The post's cover image (an uploaded image's URL, or any http(s) URL).
    #[serde(default)]
    pub cover_image: Option<HttpUrl>,
}

/// `"N min read"` at 200 words a minute, at least one minute.
pub fn read_time(text: &str) -> String {
    let words = text.split_whitespace().count();
    format!("{} min read", words.div_ceil(200).max(1))
}

/// The ASCII spelling of a lower-case Latin letter with a diacritic (Latin-1 and
/// Latin Extended-A), or `None` for any other character.
fn latin_ascii(c: char) -> Option<&'static str> {
    Some(match c {
        'à'..='å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ð' | 'ď' | 'đ' => "d",
        'è'..='ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì'..='ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' | 'ĸ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' | 'ŋ' => "n",
        'ò'..='ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ß' => "ss",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ſ' => "s",
        'ţ' | 'ť' | 'ŧ' => "t",
        'þ' => "th",
        'ù'..='ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// Longest slug, in characters.
const MAX_SLUG_CHARS: usize = 80;

/// A URL-friendly slug in any language: lower case, Latin letters with diacritics
/// spelled in ASCII (`Héllo` → `hello`), letters and digits of other scripts kept
/// as they are (a URL carries them percent-encoded), everything else a single
/// dash between words. Never empty: a title with nothing to keep gives `post`.
pub fn slugify(title: &str) -> String {
    let mut slug = String::with_capacity(title.len());
    let mut chars = 0;
    for c in title.chars().flat_map(char::to_lowercase) {
        if chars >= MAX_SLUG_CHARS {
            break;
        }
        // Combining marks (as in `i̇`, the lower case of `İ`) belong to their letter.
        if ('\u{300}'..='\u{36f}').contains(&c) {
            continue;
        }
        if let Some(ascii) = latin_ascii(c) {
            slug.push_str(ascii);
            chars += ascii.len();
        } else if c.is_alphanumeric() {
            slug.push(c);
            chars += 1;
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
            chars += 1;
        }
    }
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() {
        "post".to_string()
    } else {
        slug
    }
}

/// The rendered form of `content`, beside it in every answer.
pub const CONTENT_HTML: &str = "contentHtml";
/// The cover image's size and smaller copies, beside it when they are known.
pub const COVER_IMAGE_SOURCES: &str = "coverImageSources";

const TITLE: FieldRule = FieldRule::required("title", FieldKind::Text { max: 200 });
const EXCERPT: FieldRule = FieldRule::required("excerpt", FieldKind::Text { max: 500 });
const CONTENT: FieldRule = FieldRule::required("content", FieldKind::Markdown);
const CATEGORY: FieldRule = FieldRule::required("category", FieldKind::Text { max: 100 });
const TAGS: FieldRule = FieldRule::required("tags", FieldKind::List);
/// The owner may date a post (an old post keeps its real date); publishing fills
/// in today only when no date is set.
const PUBLISHED_AT: FieldRule = FieldRule::optional("publishedAt", FieldKind::DateOrEmpty);
const COVER_IMAGE: FieldRule = FieldRule::optional("coverImage", FieldKind::Url);

fn date_text(date: Option<NaiveDate>) -> String {
    date.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

impl Content for BlogPost {
    const KIND: ContentKind = ContentKind::Blog;
    const FIELDS: &'static [FieldRule] = &[
        TITLE,
        EXCERPT,
        CONTENT,
        CATEGORY,
        TAGS,
        PUBLISHED_AT,
        COVER_IMAGE,
    ];
    const READ_ONLY: &'static [&'static str] = &[
        "id",
        "status",
        "createdAt",
        "updatedAt",
        PUBLISH_AT,
        "slug",
        "readTime",
        CONTENT_HTML,
        COVER_IMAGE_SOURCES,
    ];

    fn create(f: &Fields, meta: Meta) -> Result<Self, FieldError> {
        let title = f.required_text_field(&TITLE)?;
        let content = f.required_text_field(&CONTENT)?;
        Ok(Self {
            meta,
            slug: slugify(&title),
            excerpt: f.required_text_field(&EXCERPT)?,
            category: f.required_text_field(&CATEGORY)?,
            tags: f.required_list_field(&TAGS)?,
            read_time: read_time(&content),
            published_at: date_text(f.date_or_empty(PUBLISHED_AT.name)?.flatten()),
            cover_image: f.nullable_url(COVER_IMAGE.name)?.flatten(),
            title,
            content,
        })
    }

    fn update(&mut self, f: &Fields) -> Result<(), FieldError> {
        // Read everything first so a failure leaves the post untouched.
        let title = f.text_field(&TITLE)?;
        let excerpt = f.text_field(&EXCERPT)?;
        let content = f.text_field(&CONTENT)?;
        let category = f.text_field(&CATEGORY)?;
        let tags = f.list_field(&TAGS)?;
        let published_at = f.date_or_empty(PUBLISHED_AT.name)?;
        let cover_image = f.nullable_url(COVER_IMAGE.name)?;
        if let Some(v) = title {
            self.title = v;
        }
        if let Some(v) = excerpt {
            self.excerpt = v;
        }
        if let Some(v) = content {
            self.read_time = read_time(&v);
            self.content = v;
        }
        if let Some(v) = category {
            self.category = v;
        }
        if let Some(v) = tags {
            self.tags = v;
        }
        if let Some(v) = published_at {
            self.published_at = date_text(v);
        }
        if let Some(v) = cover_image {
            self.cover_image = v;
        }
        Ok(())
    }

    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn meta_mut(&mut self) -> &mut Meta {
        &mut self.meta
    }

    fn set_status(&mut self, status: Status, today: NaiveDate) {
        self.meta.status = status;
        // The first publication dates the post, unless the owner dated it; the date
        // stays through unpublishing (a post republished keeps its date).
        if status == Status::Published && self.published_at.is_empty() {
            self.published_at = date_text(Some(today));
        }
    }

    fn facets(&self) -> Vec<Facet> {
        let category = Facet::new(query::CATEGORY, &self.category);
        let tags = self.tags.iter().map(|t| Facet::new(query::TAG, t));
        distinct(std::iter::once(category).chain(tags).collect())
    }

    fn sort_key(&self) -> String {
        format!("{}#{}", self.published_at, self.meta.created_at.as_str())
    }

    fn markdown(&self) -> Option<(&'static str, &str)> {
        Some((CONTENT_HTML, &self.content))
    }

    fn image(&self) -> Option<(&'static str, &str)> {
        self.cover_image
            .as_ref()
            .map(|url| (COVER_IMAGE_SOURCES, url.as_str()))
    }

    fn slug(&self) -> Option<&str> {
        Some(&self.slug)
    }

    /// Slugs follow the title while the post is a draft, and freeze once it has
    /// been published so that shared links keep working.
    fn slug_source(&self) -> Option<&str> {
        (self.meta.status != Status::Published).then_some(self.title.as_str())
    }

    fn set_slug(&mut self, slug: String) {
        self.slug = slug;
    }

    fn slug_may_be_linked(&self) -> bool {
        self.meta.status == Status::Published || !self.published_at.is_empty()
    }

    fn listed_category(&self) -> Option<&str> {
        (self.status() == Status::Published).then_some(self.category.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_time_rounds_up_and_is_at_least_one_minute() {
        assert_eq!(read_time(""), "1 min read");
        assert_eq!(read_time(&"w ".repeat(200)), "1 min read");
        assert_eq!(read_time(&"w ".repeat(201)), "2 min read");
    }

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(
            slugify("Building Scalable APIs with FastAPI!"),
            "building-scalable-apis-with-fastapi"
        );
        assert_eq!(slugify("  --Rust & Lambda@Edge--  "), "rust-lambda-edge");
    }

    #[test]
    fn slugs_spell_latin_in_ascii_and_keep_other_scripts() {
        assert_eq!(slugify("Héllo Wörld! 日本"), "hello-world-日本");
        assert_eq!(
            slugify("Straße, Æsir, Łódź, İstanbul"),
            "strasse-aesir-lodz-istanbul"
        );
        assert_eq!(slugify("Привет, мир"), "привет-мир");
        assert_eq!(slugify("日本語"), "日本語");
        assert_eq!(slugify("!!! ???"), "post", "never empty");
        assert_eq!(slugify(&"é".repeat(200)).len(), 80, "at most 80 characters");
    }

    #[test]
    fn failed_update_leaves_the_post_unchanged() {
        let body = br#"{"title":"T","excerpt":"E","content":"C","category":"X","tags":["a"]}"#;
        let mut post = BlogPost::create(
            &Fields::parse(body, &BlogPost::writable()).unwrap(),
            Meta::new_draft(),
        )
        .unwrap();
        let before = post.clone();
        let bad = Fields::parse(br#"{"title":"New","tags":null}"#, &BlogPost::writable()).unwrap();
        assert!(post.update(&bad).is_err());
        assert_eq!(post, before);
    }
}
