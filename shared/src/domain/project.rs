use serde::{Deserialize, Serialize};

use crate::domain::FieldError;
use crate::domain::content::PUBLISH_AT;
use crate::domain::query::{self, Facet, bool_text};
use crate::domain::rules::{FieldKind, FieldRule};
use crate::domain::{Content, ContentKind, Fields, HttpUrl, Meta};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    #[serde(flatten)]
    pub meta: Meta,
    pub name: String,
    pub description: String,
    pub long_description: String,
    pub tech: Vec<String>,
    pub company: String,
    pub featured: bool,
    pub github_url: Option<HttpUrl>,
    pub live_url: Option<HttpUrl>,
    pub image_url: Option<HttpUrl>,
}

const NAME: FieldRule = FieldRule::required("name", FieldKind::Text { max: 200 });
const DESCRIPTION: FieldRule = FieldRule::required("description", FieldKind::Text { max: 500 });
const LONG_DESCRIPTION: FieldRule = FieldRule::required("longDescription", FieldKind::Markdown);
const TECH: FieldRule = FieldRule::required("tech", FieldKind::List);
const COMPANY: FieldRule = FieldRule::required("company", FieldKind::Text { max: 200 });
const FEATURED: FieldRule = FieldRule::optional("featured", FieldKind::Bool);
const GITHUB_URL: FieldRule = FieldRule::optional("githubUrl", FieldKind::Url);
const LIVE_URL: FieldRule = FieldRule::optional("liveUrl", FieldKind::Url);
const IMAGE_URL: FieldRule = FieldRule::optional("imageUrl", FieldKind::Url);

/// The rendered form of `longDescription`, beside it in every answer.
pub const LONG_DESCRIPTION_HTML: &str = "longDescriptionHtml";
/// The image's size and smaller copies, beside it when they are known.
pub const IMAGE_SOURCES: &str = "imageSources";

impl Content for Project {
    const KIND: ContentKind = ContentKind::Project;
    const READ_ONLY: &'static [&'static str] = &[
        "id",
        "status",
        "createdAt",
        "updatedAt",
        PUBLISH_AT,
        LONG_DESCRIPTION_HTML,
        IMAGE_SOURCES,
    ];
    const FIELDS: &'static [FieldRule] = &[
        NAME,
        DESCRIPTION,
        LONG_DESCRIPTION,
        TECH,
        COMPANY,
        FEATURED,
        GITHUB_URL,
        LIVE_URL,
        IMAGE_URL,
    ];

    fn markdown(&self) -> Option<(&'static str, &str)> {
        Some((LONG_DESCRIPTION_HTML, &self.long_description))
    }

    fn image(&self) -> Option<(&'static str, &str)> {
        self.image_url
            .as_ref()
            .map(|url| (IMAGE_SOURCES, url.as_str()))
    }

    fn create(f: &Fields, meta: Meta) -> Result<Self, FieldError> {
        Ok(Self {
            meta,
            name: f.required_text_field(&NAME)?,
            description: f.required_text_field(&DESCRIPTION)?,
            long_description: f.required_text_field(&LONG_DESCRIPTION)?,
            tech: f.required_list_field(&TECH)?,
            company: f.required_text_field(&COMPANY)?,
            featured: f.boolean(FEATURED.name)?.unwrap_or(false),
            github_url: f.nullable_url(GITHUB_URL.name)?.flatten(),
            live_url: f.nullable_url(LIVE_URL.name)?.flatten(),
            image_url: f.nullable_url(IMAGE_URL.name)?.flatten(),
        })
    }

    fn update(&mut self, f: &Fields) -> Result<(), FieldError> {
        let name = f.text_field(&NAME)?;
        let description = f.text_field(&DESCRIPTION)?;
        let long_description = f.text_field(&LONG_DESCRIPTION)?;
        let tech = f.list_field(&TECH)?;
        let company = f.text_field(&COMPANY)?;
        let featured = f.boolean(FEATURED.name)?;
        let github_url = f.nullable_url(GITHUB_URL.name)?;
        let live_url = f.nullable_url(LIVE_URL.name)?;
        let image_url = f.nullable_url(IMAGE_URL.name)?;
        if let Some(v) = name {
            self.name = v;
        }
        if let Some(v) = description {
            self.description = v;
        }
        if let Some(v) = long_description {
            self.long_description = v;
        }
        if let Some(v) = tech {
            self.tech = v;
        }
        if let Some(v) = company {
            self.company = v;
        }
        if let Some(v) = featured {
            self.featured = v;
        }
        if let Some(v) = github_url {
            self.github_url = v;
        }
        if let Some(v) = live_url {
            self.live_url = v;
        }
        if let Some(v) = image_url {
            self.image_url = v;
        }
        Ok(())
    }

    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn meta_mut(&mut self) -> &mut Meta {
        &mut self.meta
    }

    fn facets(&self) -> Vec<Facet> {
        vec![Facet::new(query::FEATURED, bool_text(self.featured))]
    }

    fn sort_key(&self) -> String {
        self.meta.created_at.as_str().to_string()
    }
}
