use serde::{Deserialize, Serialize};

use crate::domain::{Content, ContentKind, Fields, HttpUrl, ListQuery, Meta};
use crate::error::FieldError;

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

impl Content for Project {
    const KIND: ContentKind = ContentKind::Project;
    const WRITABLE: &'static [&'static str] = &[
        "name",
        "description",
        "longDescription",
        "tech",
        "company",
        "featured",
        "githubUrl",
        "liveUrl",
        "imageUrl",
    ];

    fn create(f: &Fields, meta: Meta) -> Result<Self, FieldError> {
        Ok(Self {
            meta,
            name: f.required_text("name", 1, 200)?,
            description: f.required_text("description", 1, 500)?,
            long_description: f.required_text("longDescription", 1, super::MARKDOWN_MAX_CHARS)?,
            tech: f.required_string_list("tech")?,
            company: f.required_text("company", 1, 200)?,
            featured: f.boolean("featured")?.unwrap_or(false),
            github_url: f.nullable_url("githubUrl")?.flatten(),
            live_url: f.nullable_url("liveUrl")?.flatten(),
            image_url: f.nullable_url("imageUrl")?.flatten(),
        })
    }

    fn update(&mut self, f: &Fields) -> Result<(), FieldError> {
        let name = f.text("name", 1, 200)?;
        let description = f.text("description", 1, 500)?;
        let long_description = f.text("longDescription", 1, super::MARKDOWN_MAX_CHARS)?;
        let tech = f.string_list("tech")?;
        let company = f.text("company", 1, 200)?;
        let featured = f.boolean("featured")?;
        let github_url = f.nullable_url("githubUrl")?;
        let live_url = f.nullable_url("liveUrl")?;
        let image_url = f.nullable_url("imageUrl")?;
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

    fn matches(&self, q: &ListQuery) -> bool {
        q.featured.is_none_or(|f| self.featured == f)
    }

    fn sort_key(&self) -> String {
        self.meta.created_at.as_str().to_string()
    }
}
