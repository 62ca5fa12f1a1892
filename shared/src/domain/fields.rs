//! Reading a JSON request body field by field, so that every rule (required,
//! non-null, length, type, no unknown fields) is written once and every failure
//! names its field.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use crate::domain::FieldError;
use crate::domain::rules::{FieldRule, MAX_LIST_ITEM_CHARS, MAX_LIST_ITEMS};
use crate::domain::types::HttpUrl;

/// The longest password or token accepted, in characters.
pub const MAX_SECRET_CHARS: usize = 4096;

#[derive(Clone)]
pub struct Fields {
    map: Map<String, Value>,
}

/// A body that is not a JSON object of the accepted fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("Request body is required")]
    Missing,
    #[error("Request body is not valid JSON: {0}")]
    NotJson(String),
    #[error("Request body must be a JSON object")]
    NotObject,
    /// A field that is not accepted (unknown to this operation).
    #[error(transparent)]
    Field(#[from] FieldError),
}

impl Fields {
    /// Parses a JSON object and refuses any key not in `allowed`.
    pub fn parse(body: &[u8], allowed: &[&str]) -> Result<Self, BodyError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(BodyError::Missing);
        }
        let value: Value =
            serde_json::from_slice(body).map_err(|e| BodyError::NotJson(e.to_string()))?;
        let Value::Object(map) = value else {
            return Err(BodyError::NotObject);
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(FieldError::new(unknown.as_str(), "unknown field").into());
        }
        Ok(Self { map })
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// `None` when absent; explicit `null` is refused (these fields are not nullable).
    fn present(&self, name: &str) -> Result<Option<&Value>, FieldError> {
        match self.map.get(name) {
            None => Ok(None),
            Some(Value::Null) => Err(FieldError::new(name, "must not be null")),
            Some(v) => Ok(Some(v)),
        }
    }

    fn required<T>(name: &str, value: Option<T>) -> Result<T, FieldError> {
        value.ok_or_else(|| FieldError::new(name, "is required"))
    }

    /// A string of at most `max` characters as sent (`max` 0 = unbounded), stored
    /// trimmed, with at least `min` characters left after trimming (the document's
    /// `maxLength` counts what is sent; its `pattern` says "not blank").
    pub fn text(&self, name: &str, min: usize, max: usize) -> Result<Option<String>, FieldError> {
        let Some(value) = self.present(name)? else {
            return Ok(None);
        };
        let Value::String(s) = value else {
            return Err(FieldError::new(name, "must be a string"));
        };
        if max > 0 && s.chars().count() > max {
            return Err(FieldError::new(
                name,
                format!("must be at most {max} characters"),
            ));
        }
        let s = s.trim();
        if s.chars().count() < min {
            return Err(FieldError::new(name, "must not be empty"));
        }
        Ok(Some(s.to_string()))
    }

    /// A text or Markdown field by its rule.
    pub fn text_field(&self, rule: &FieldRule) -> Result<Option<String>, FieldError> {
        self.text(rule.name, 1, rule.max_chars())
    }

    pub fn required_text_field(&self, rule: &FieldRule) -> Result<String, FieldError> {
        Self::required(rule.name, self.text_field(rule)?)
    }

    /// A secret (password, token): taken exactly as sent, never trimmed, at most 4 KB.
    pub fn required_secret(&self, name: &str) -> Result<String, FieldError> {
        match self.present(name)? {
            None => Err(FieldError::new(name, "is required")),
            Some(Value::String(s)) if s.is_empty() => {
                Err(FieldError::new(name, "must not be empty"))
            }
            Some(Value::String(s)) if s.chars().count() > MAX_SECRET_CHARS => {
                Err(FieldError::new(name, "is too long"))
            }
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(FieldError::new(name, "must be a string")),
        }
    }

    pub fn required_text(&self, name: &str, min: usize, max: usize) -> Result<String, FieldError> {
        Self::required(name, self.text(name, min, max)?)
    }

    /// A list of 1..=`MAX_LIST_ITEMS` strings, each of at most `MAX_LIST_ITEM_CHARS`
    /// as sent and not blank, stored trimmed and deduplicated in order.
    pub fn string_list(&self, name: &str) -> Result<Option<Vec<String>>, FieldError> {
        let Some(value) = self.present(name)? else {
            return Ok(None);
        };
        let Value::Array(items) = value else {
            return Err(FieldError::new(name, "must be an array of strings"));
        };
        if items.is_empty() {
            return Err(FieldError::new(name, "must contain at least one item"));
        }
        if items.len() > MAX_LIST_ITEMS {
            return Err(FieldError::new(
                name,
                format!("must contain at most {MAX_LIST_ITEMS} items"),
            ));
        }
        let mut out: Vec<String> = Vec::with_capacity(items.len());
        for item in items {
            let Value::String(s) = item else {
                return Err(FieldError::new(name, "must be an array of strings"));
            };
            if s.chars().count() > MAX_LIST_ITEM_CHARS || s.trim().is_empty() {
                return Err(FieldError::new(
                    name,
                    format!("items must be 1-{MAX_LIST_ITEM_CHARS} characters and not blank"),
                ));
            }
            let s = s.trim();
            if !out.iter().any(|o| o == s) {
                out.push(s.to_string());
            }
        }
        Ok(Some(out))
    }

    pub fn list_field(&self, rule: &FieldRule) -> Result<Option<Vec<String>>, FieldError> {
        self.string_list(rule.name)
    }

    pub fn required_list_field(&self, rule: &FieldRule) -> Result<Vec<String>, FieldError> {
        Self::required(rule.name, self.string_list(rule.name)?)
    }

    /// A whole number from 0 to `max`, required (`what` says what it counts).
    pub fn required_whole(&self, name: &str, max: u64, what: &str) -> Result<u64, FieldError> {
        self.present(name)?
            .and_then(Value::as_u64)
            .filter(|n| *n <= max)
            .ok_or_else(|| FieldError::new(name, format!("is required: {what}, 0 to {max}")))
    }

    pub fn boolean(&self, name: &str) -> Result<Option<bool>, FieldError> {
        match self.present(name)? {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(FieldError::new(name, "must be true or false")),
        }
    }

    /// A nullable URL: `None` when absent, `Some(None)` for explicit null or an
    /// empty string (clear it). Taken exactly as sent: no trimming.
    pub fn nullable_url(&self, name: &str) -> Result<Option<Option<HttpUrl>>, FieldError> {
        match self.map.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) if s.is_empty() => Ok(Some(None)),
            Some(Value::String(s)) => Ok(Some(Some(HttpUrl::parse(name, s)?))),
            Some(_) => Err(FieldError::new(name, "must be a URL string or null")),
        }
    }

    /// A calendar date `YYYY-MM-DD`.
    pub fn date(&self, name: &str) -> Result<Option<NaiveDate>, FieldError> {
        let Some(s) = self.text(name, 1, 10)? else {
            return Ok(None);
        };
        // RFC 3339's full-date exactly (the document's `format: date`): four-digit
        // year from 0001, no sign, no shorter fields; chrono alone accepts more.
        let shaped = s.len() == 10
            && s.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            })
            && !s.starts_with("0000");
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .ok()
            .filter(|_| shaped)
            .map(Some)
            .ok_or_else(|| FieldError::new(name, "must be a date YYYY-MM-DD"))
    }

    /// A date, or `""` for none: `None` when absent, `Some(None)` for `""`.
    pub fn date_or_empty(&self, name: &str) -> Result<Option<Option<NaiveDate>>, FieldError> {
        match self.map.get(name) {
            Some(Value::String(s)) if s.is_empty() => Ok(Some(None)),
            _ => Ok(self.date(name)?.map(Some)),
        }
    }

    /// Removes a field (a read-only one, once it has been checked) and returns it.
    pub fn take(&mut self, name: &str) -> Option<Value> {
        self.map.remove(name)
    }

    pub fn required_date(&self, name: &str) -> Result<NaiveDate, FieldError> {
        Self::required(name, self.date(name)?)
    }

    /// One of a fixed set of strings.
    pub fn one_of<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
        allowed: &str,
    ) -> Result<Option<T>, FieldError> {
        let Some(value) = self.present(name)? else {
            return Ok(None);
        };
        value
            .as_str()
            .and_then(&parse)
            .map(Some)
            .ok_or_else(|| FieldError::new(name, format!("must be one of {allowed}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(json: &str) -> Result<Fields, BodyError> {
        Fields::parse(json.as_bytes(), &["title", "tags", "url", "flag", "day"])
    }

    fn field_of(err: BodyError) -> String {
        match err {
            BodyError::Field(e) => e.field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn unknown_fields_are_refused_by_name() {
        assert_eq!(
            field_of(fields(r#"{"title":"a","bogus":1}"#).err().unwrap()),
            "bogus"
        );
    }

    #[test]
    fn explicit_null_for_a_non_nullable_field_is_refused() {
        let f = fields(r#"{"title":null}"#).unwrap();
        assert_eq!(f.text("title", 1, 10).unwrap_err().field, "title");
    }

    #[test]
    fn non_objects_and_bad_json_are_bad_requests() {
        assert!(matches!(fields("[1]"), Err(BodyError::NotObject)));
        assert!(matches!(fields("{"), Err(BodyError::NotJson(_))));
        assert!(matches!(fields(""), Err(BodyError::Missing)));
    }

    #[test]
    fn text_is_bounded_as_sent_and_stored_trimmed() {
        let f = fields(r#"{"title":"  hi  "}"#).unwrap();
        assert_eq!(f.text("title", 1, 6).unwrap().as_deref(), Some("hi"));
        // maxLength counts what was sent, as the document's schema does.
        assert!(f.text("title", 1, 5).is_err());
        assert!(
            fields(r#"{"title":"   "}"#)
                .unwrap()
                .text("title", 1, 0)
                .is_err()
        );
        assert!(
            fields(r#"{"title":5}"#)
                .unwrap()
                .text("title", 1, 0)
                .is_err()
        );
    }

    #[test]
    fn lists_urls_and_dates_are_typed() {
        let f = fields(r#"{"tags":["a","a","b"],"url":null,"day":"2024-02-30"}"#).unwrap();
        assert_eq!(f.string_list("tags").unwrap().unwrap(), vec!["a", "b"]);
        assert_eq!(f.nullable_url("url").unwrap(), Some(None));
        assert!(f.date("day").is_err());
        assert!(
            fields(r#"{"tags":[]}"#)
                .unwrap()
                .string_list("tags")
                .is_err()
        );
        assert!(
            fields(r#"{"url":"nope"}"#)
                .unwrap()
                .nullable_url("url")
                .is_err()
        );
        assert!(
            fields(r#"{"flag":"yes"}"#)
                .unwrap()
                .boolean("flag")
                .is_err()
        );
    }
}
