use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::{Content, ContentKind, Fields, HttpUrl, ListQuery, Meta};
use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CertType {
    Certification,
    Course,
}

impl CertType {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "certification" => Some(CertType::Certification),
            "course" => Some(CertType::Course),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Certification {
    #[serde(flatten)]
    pub meta: Meta,
    pub name: String,
    pub issuer: String,
    pub icon: String,
    #[serde(rename = "type")]
    pub cert_type: CertType,
    pub featured: bool,
    pub description: String,
    pub credential_url: Option<HttpUrl>,
    pub date_earned: NaiveDate,
}

const TYPES: &str = "certification, course";

impl Content for Certification {
    const KIND: ContentKind = ContentKind::Certification;
    const WRITABLE: &'static [&'static str] = &[
        "name",
        "issuer",
        "icon",
        "type",
        "featured",
        "description",
        "credentialUrl",
        "dateEarned",
    ];

    fn create(f: &Fields, meta: Meta) -> Result<Self, FieldError> {
        Ok(Self {
            meta,
            name: f.required_text("name", 1, 200)?,
            issuer: f.required_text("issuer", 1, 200)?,
            icon: f.required_text("icon", 1, 10)?,
            cert_type: f
                .one_of("type", CertType::parse, TYPES)?
                .ok_or_else(|| FieldError::new("type", "is required"))?,
            featured: f.boolean("featured")?.unwrap_or(false),
            description: f.required_text("description", 1, 2000)?,
            credential_url: f.nullable_url("credentialUrl")?.flatten(),
            date_earned: f.required_date("dateEarned")?,
        })
    }

    fn update(&mut self, f: &Fields) -> Result<(), FieldError> {
        let name = f.text("name", 1, 200)?;
        let issuer = f.text("issuer", 1, 200)?;
        let icon = f.text("icon", 1, 10)?;
        let cert_type = f.one_of("type", CertType::parse, TYPES)?;
        let featured = f.boolean("featured")?;
        let description = f.text("description", 1, 2000)?;
        let credential_url = f.nullable_url("credentialUrl")?;
        let date_earned = f.date("dateEarned")?;
        if let Some(v) = name {
            self.name = v;
        }
        if let Some(v) = issuer {
            self.issuer = v;
        }
        if let Some(v) = icon {
            self.icon = v;
        }
        if let Some(v) = cert_type {
            self.cert_type = v;
        }
        if let Some(v) = featured {
            self.featured = v;
        }
        if let Some(v) = description {
            self.description = v;
        }
        if let Some(v) = credential_url {
            self.credential_url = v;
        }
        if let Some(v) = date_earned {
            self.date_earned = v;
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
            && q.cert_type.is_none_or(|t| self.cert_type == t)
    }

    fn sort_key(&self) -> String {
        format!("{}#{}", self.date_earned, self.meta.created_at.as_str())
    }
}
