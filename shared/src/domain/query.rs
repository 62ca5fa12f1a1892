//! Query parameters: each defined once ([`QueryParam`]), with its bounds and
//! default. The route table says which a route reads; the handlers parse through
//! these definitions, the API document describes them, and the cache-key whitelist
//! is held equal to their names by a test.

use serde_json::{Value, json};

use crate::domain::FieldError;
use crate::domain::types::CertType;
use crate::domain::types::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// An integer in `min..=max`, `default` when absent.
    Int {
        min: usize,
        max: usize,
        default: usize,
    },
    /// One of these strings, `default` when absent.
    OneOf {
        values: &'static [&'static str],
        default: Option<&'static str>,
    },
    /// `true` or `false`.
    Bool,
    /// Any text; blank is the same as absent.
    Text,
    /// A JSON object of some of `keys`, each to a text of 1 to `max_chars`
    /// characters (in the document: a parameter with `content`, serialised as
    /// JSON, OpenAPI 3.0 "Parameter Object").
    JsonObject {
        keys: &'static [&'static str],
        max_chars: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryParam {
    pub name: &'static str,
    pub kind: ParamKind,
    pub description: &'static str,
}

impl QueryParam {
    const fn integer(
        name: &'static str,
        (min, max, default): (usize, usize, usize),
        description: &'static str,
    ) -> Self {
        Self {
            name,
            kind: ParamKind::Int { min, max, default },
            description,
        }
    }

    /// The parameter's JSON Schema in the API document.
    pub fn schema(&self) -> Value {
        match self.kind {
            ParamKind::Int { min, max, default } => {
                json!({ "type": "integer", "minimum": min, "maximum": max, "default": default })
            }
            ParamKind::OneOf { values, default } => {
                let mut s = json!({ "type": "string", "enum": values });
                if let Some(d) = default {
                    s["default"] = json!(d);
                }
                s
            }
            ParamKind::Bool => json!({ "type": "boolean" }),
            ParamKind::Text => json!({ "type": "string" }),
            ParamKind::JsonObject { keys, max_chars } => {
                let value = json!({ "type": "string", "minLength": 1, "maxLength": max_chars });
                let properties: serde_json::Map<String, Value> = keys
                    .iter()
                    .map(|k| (k.to_string(), value.clone()))
                    .collect();
                json!({ "type": "object", "additionalProperties": false, "properties": properties })
            }
        }
    }

    /// The parameter as the document's `parameters` entry.
    pub fn document(&self) -> Value {
        match self.kind {
            ParamKind::JsonObject { .. } => {
                json!({ "name": self.name, "in": "query", "required": false,
                        "description": self.description,
                        "content": { "application/json": { "schema": self.schema() } } })
            }
            _ => json!({ "name": self.name, "in": "query", "required": false,
                         "description": self.description, "schema": self.schema() }),
        }
    }

    /// An integer parameter's value (its default when absent).
    pub fn int(&self, query: &[(String, String)]) -> Result<usize, FieldError> {
        match self.kind {
            ParamKind::Int { min, max, default } => {
                bounded_int(query, self.name, default, min, max)
            }
            _ => Err(FieldError::new(self.name, "is not an integer parameter")),
        }
    }
}

pub const STATUS: QueryParam = QueryParam {
    name: "status",
    kind: ParamKind::OneOf {
        values: &["published", "draft", "scheduled", "all"],
        default: Some("published"),
    },
    description: "Filter by status; draft, scheduled and all need the owner's token",
};
pub const CATEGORY: QueryParam = QueryParam {
    name: "category",
    kind: ParamKind::Text,
    description: "Filter by category (A-Z and a-z match each other)",
};
pub const TAG: QueryParam = QueryParam {
    name: "tag",
    kind: ParamKind::Text,
    description: "Filter by tag (A-Z and a-z match each other)",
};
pub const FEATURED: QueryParam = QueryParam {
    name: "featured",
    kind: ParamKind::Bool,
    description: "Only featured (true) or only not featured (false)",
};
pub const CERT_TYPE: QueryParam = QueryParam {
    name: "type",
    kind: ParamKind::OneOf {
        values: &["certification", "course"],
        default: None,
    },
    description: "Filter by type",
};
pub const LIMIT: QueryParam =
    QueryParam::integer("limit", (1, 100, 20), "Maximum number of items to return");
pub const OFFSET: QueryParam =
    QueryParam::integer("offset", (0, 1_000_000, 0), "Number of items to skip");
pub const DAYS: QueryParam = QueryParam::integer("days", (1, 90, 30), "Number of days");
/// The audience's period: one day to a year (a leap year's 366 days).
pub const PERIOD_DAYS: QueryParam = QueryParam::integer(
    "days",
    (1, 366, 30),
    "Number of days, the period's last day included (compared with as many days before them)",
);
/// Where the audience's period ends: with [`PERIOD_DAYS`], any range of the
/// last two years (the console's custom range). The name is the lists' `offset`,
/// so the cache key's query names (CloudFront allows 10) stay as they are.
pub const PERIOD_OFFSET: QueryParam = QueryParam::integer(
    "offset",
    (0, 730, 0),
    "Days before today the period ends (0: it ends today)",
);
/// Narrows the audience's tables. Named `q` so that the cache key's query names
/// (CloudFront allows 10, all taken) stay as they are.
pub const AUDIENCE_FILTER: QueryParam = QueryParam {
    name: "q",
    kind: ParamKind::JsonObject {
        keys: &[
            "sources",
            "utmSources",
            "utmMediums",
            "utmCampaigns",
            "countries",
            "devices",
            "browsers",
            "operatingSystems",
            "landingPages",
        ],
        max_chars: 100,
    },
    description: "Only the visits that had these values: a JSON object of one value per table, e.g. {\"sources\":\"LinkedIn\",\"devices\":\"Mobile\"}. Narrows every table and the visitors; views, reads and the content table stay those of every visitor",
};
pub const MONTHS: QueryParam = QueryParam::integer("months", (1, 12, 6), "Number of months");
pub const TOP_LIMIT: QueryParam = QueryParam::integer("limit", (1, 20, 5), "Items per type");

pub const SEARCH_QUERY: QueryParam = QueryParam {
    name: "q",
    kind: ParamKind::Text,
    description: "What to look for: words of the titles, excerpts, tags, categories and bodies of the items of the status asked for (every word required; words of four letters or more also match as prefixes and with one typo)",
};
pub const SEARCH_LIMIT: QueryParam =
    QueryParam::integer("limit", (1, 50, 10), "Maximum number of results to return");

/// The parameters each list reads.
pub const BLOG_LIST: &[QueryParam] = &[STATUS, CATEGORY, TAG, LIMIT, OFFSET];
pub const PROJECT_LIST: &[QueryParam] = &[STATUS, FEATURED, LIMIT, OFFSET];
pub const CERTIFICATION_LIST: &[QueryParam] = &[STATUS, CERT_TYPE, FEATURED, LIMIT, OFFSET];
pub const SEARCH: &[QueryParam] = &[SEARCH_QUERY, STATUS, SEARCH_LIMIT];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Published,
    Draft,
    Scheduled,
    All,
}

impl StatusFilter {
    /// The `status` parameter (published when absent).
    pub fn parse(query: &[(String, String)]) -> Result<Self, FieldError> {
        match param(query, STATUS.name) {
            None | Some("published") => Ok(StatusFilter::Published),
            Some("draft") => Ok(StatusFilter::Draft),
            Some("scheduled") => Ok(StatusFilter::Scheduled),
            Some("all") => Ok(StatusFilter::All),
            Some(_) => Err(FieldError::new(
                STATUS.name,
                "must be one of published, draft, scheduled, all",
            )),
        }
    }

    pub fn statuses(self) -> &'static [Status] {
        match self {
            StatusFilter::Published => &[Status::Published],
            StatusFilter::Draft => &[Status::Draft],
            StatusFilter::Scheduled => &[Status::Scheduled],
            StatusFilter::All => &[Status::Published, Status::Scheduled, Status::Draft],
        }
    }
}

/// One value of a list filter an item carries, as the store indexes it: the
/// filter's parameter name and its value with A-Z folded to a-z (filters match
/// ASCII case-insensitively). A published post tagged `Rust` carries
/// `tag=rust`; `?tag=RUST` asks for the same facet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Facet {
    pub name: &'static str,
    pub value: String,
}

impl Facet {
    pub fn new(param: QueryParam, value: &str) -> Self {
        Self {
            name: param.name,
            value: value.to_ascii_lowercase(),
        }
    }

    /// Whether an item may carry several values of this filter (tags), so that its
    /// index rows cannot carry the value for other filters to check.
    pub fn is_multi_valued(&self) -> bool {
        self.name == TAG.name
    }
}

impl std::fmt::Display for Facet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.name, self.value)
    }
}

/// A boolean filter's value as the query spells it.
pub fn bool_text(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// An item's facets, each once (`Rust` and `rust` are one tag), in order.
pub fn distinct(mut facets: Vec<Facet>) -> Vec<Facet> {
    facets.sort();
    facets.dedup();
    facets
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
    /// The facets an item must carry to be listed (none: every item).
    pub fn facets(&self) -> Vec<Facet> {
        let mut out = Vec::new();
        if let Some(c) = &self.category {
            out.push(Facet::new(CATEGORY, c));
        }
        if let Some(t) = &self.tag {
            out.push(Facet::new(TAG, t));
        }
        if let Some(f) = self.featured {
            out.push(Facet::new(FEATURED, bool_text(f)));
        }
        if let Some(t) = self.cert_type {
            out.push(Facet::new(CERT_TYPE, t.as_str()));
        }
        out
    }

    pub fn parse(query: &[(String, String)]) -> Result<Self, FieldError> {
        let status = StatusFilter::parse(query)?;
        let featured = match param(query, FEATURED.name) {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err(FieldError::new(FEATURED.name, "must be true or false")),
        };
        let cert_type = match param(query, CERT_TYPE.name) {
            None => None,
            Some(t) => Some(CertType::parse(t).ok_or_else(|| {
                FieldError::new(CERT_TYPE.name, "must be one of certification, course")
            })?),
        };
        let text = |p: QueryParam| {
            param(query, p.name)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Ok(Self {
            status,
            category: text(CATEGORY),
            tag: text(TAG),
            featured,
            cert_type,
            limit: LIMIT.int(query)?,
            offset: OFFSET.int(query)?,
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
