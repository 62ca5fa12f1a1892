//! List query parameters, validated once for every collection.

use crate::domain::certification::CertType;
use crate::domain::types::Status;
use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Published,
    Draft,
    All,
}

impl StatusFilter {
    pub fn statuses(self) -> &'static [Status] {
        match self {
            StatusFilter::Published => &[Status::Published],
            StatusFilter::Draft => &[Status::Draft],
            StatusFilter::All => &[Status::Published, Status::Draft],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub status: StatusFilter,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub featured: Option<bool>,
    pub cert_type: Option<CertType>,
    pub limit: usize,
    pub offset: usize,
}

fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// An integer query parameter within `min..=max`, `default` when absent.
pub fn bounded_int(
    query: &[(String, String)],
    name: &str,
    default: usize,
    min: usize,
    max: usize,
) -> Result<usize, FieldError> {
    match param(query, name) {
        None => Ok(default),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                FieldError::new(name, format!("must be an integer from {min} to {max}"))
            }),
    }
}

impl ListQuery {
    pub fn parse(query: &[(String, String)]) -> Result<Self, FieldError> {
        let status = match param(query, "status") {
            None | Some("published") => StatusFilter::Published,
            Some("draft") => StatusFilter::Draft,
            Some("all") => StatusFilter::All,
            Some(_) => {
                return Err(FieldError::new(
                    "status",
                    "must be one of published, draft, all",
                ));
            }
        };
        let featured = match param(query, "featured") {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err(FieldError::new("featured", "must be true or false")),
        };
        let cert_type =
            match param(query, "type") {
                None => None,
                Some(t) => Some(CertType::parse(t).ok_or_else(|| {
                    FieldError::new("type", "must be one of certification, course")
                })?),
            };
        let text = |name: &str| {
            param(query, name)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Ok(Self {
            status,
            category: text("category"),
            tag: text("tag"),
            featured,
            cert_type,
            limit: bounded_int(query, "limit", 20, 1, 100)?,
            offset: bounded_int(query, "offset", 0, 0, 1_000_000)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_match_the_reference() {
        let parsed = ListQuery::parse(&[]).unwrap();
        assert_eq!(
            (parsed.limit, parsed.offset, parsed.status),
            (20, 0, StatusFilter::Published)
        );
    }

    #[test]
    fn out_of_range_values_name_their_parameter() {
        assert_eq!(
            ListQuery::parse(&q(&[("limit", "0")])).unwrap_err().field,
            "limit"
        );
        assert_eq!(
            ListQuery::parse(&q(&[("limit", "101")])).unwrap_err().field,
            "limit"
        );
        assert_eq!(
            ListQuery::parse(&q(&[("offset", "-1")])).unwrap_err().field,
            "offset"
        );
        assert_eq!(
            ListQuery::parse(&q(&[("status", "DRAFT")]))
                .unwrap_err()
                .field,
            "status"
        );
        assert_eq!(
            ListQuery::parse(&q(&[("featured", "1")]))
                .unwrap_err()
                .field,
            "featured"
        );
        assert_eq!(
            ListQuery::parse(&q(&[("type", "x")])).unwrap_err().field,
            "type"
        );
    }
}
