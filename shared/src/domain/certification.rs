use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::FieldError;
use crate::domain::query::{self, Facet, bool_text};
use crate::domain::rules::{FieldKind, FieldRule};
use crate::domain::{CertType, Content, ContentKind, Fields, HttpUrl, Meta};

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

const NAME: FieldRule = FieldRule::required("name", FieldKind::Text { max: 200 });
const ISSUER: FieldRule = FieldRule::required("issuer", FieldKind::Text { max: 200 });
const ICON: FieldRule = FieldRule::required("icon", FieldKind::Text { max: 10 });
const TYPE: FieldRule = FieldRule::required("type", FieldKind::OneOf(&["certification", "course"]));
const FEATURED: FieldRule = FieldRule::optional("featured", FieldKind::Bool);
const DESCRIPTION: FieldRule = FieldRule::required("description", FieldKind::Text { max: 2000 });
const CREDENTIAL_URL: FieldRule = FieldRule::optional("credentialUrl", FieldKind::Url);
const DATE_EARNED: FieldRule = FieldRule::required("dateEarned", FieldKind::Date);

impl Content for Certification {
    const KIND: ContentKind = ContentKind::Certification;
    const FIELDS: &'static [FieldRule] = &[
        NAME,
        ISSUER,
        ICON,
        TYPE,
        FEATURED,
        DESCRIPTION,
        CREDENTIAL_URL,
        DATE_EARNED,
    ];

    fn create(f: &Fields, meta: Meta) -> Result<Self, FieldError> {
        Ok(Self {
            meta,
            name: f.required_text_field(&NAME)?,
            issuer: f.required_text_field(&ISSUER)?,
            icon: f.required_text_field(&ICON)?,
            cert_type: f
                .one_of(TYPE.name, CertType::parse, TYPES)?
                .ok_or_else(|| FieldError::new(TYPE.name, "is required"))?,
            featured: f.boolean(FEATURED.name)?.unwrap_or(false),
            description: f.required_text_field(&DESCRIPTION)?,
            credential_url: f.nullable_url(CREDENTIAL_URL.name)?.flatten(),
            date_earned: f.required_date(DATE_EARNED.name)?,
        })
    }

    fn update(&mut self, f: &Fields) -> Result<(), FieldError> {
        let name = f.text_field(&NAME)?;
        let issuer = f.text_field(&ISSUER)?;
        let icon = f.text_field(&ICON)?;
        let cert_type = f.one_of(TYPE.name, CertType::parse, TYPES)?;
        let featured = f.boolean(FEATURED.name)?;
        let description = f.text_field(&DESCRIPTION)?;
        let credential_url = f.nullable_url(CREDENTIAL_URL.name)?;
        let date_earned = f.date(DATE_EARNED.name)?;
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

    fn facets(&self) -> Vec<Facet> {
        vec![
            Facet::new(query::FEATURED, bool_text(self.featured)),
            Facet::new(query::CERT_TYPE, self.cert_type.as_str()),
        ]
    }

    fn sort_key(&self) -> String {
        format!("{}#{}", self.date_earned, self.meta.created_at.as_str())
    }
}
