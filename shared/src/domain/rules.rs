//! The rules of every writable field, once. Validation of create and update bodies
//! (`Fields`) and the request schemas of the API document are both derived from
//! these tables, so what the server refuses is exactly what the document says.

use serde_json::{Value, json};

use crate::domain::MARKDOWN_MAX_CHARS;

/// At most this many items in a list field (`tags`, `tech`) ...
pub const MAX_LIST_ITEMS: usize = 50;
/// ... each of at most this many characters.
pub const MAX_LIST_ITEM_CHARS: usize = 50;
/// The longest URL a URL field accepts.
pub const MAX_URL_CHARS: usize = 2048;

/// The characters Rust's `str::trim` removes (Unicode `White_Space`), as a regular
/// expression class both ECMAScript and Python read the same way. A required text
/// must contain a character outside it: whitespace alone is blank.
pub const WHITESPACE_CLASS: &str =
    "\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/// The keyword of a text's schema that says it is not blank: `not` whitespace alone
/// (`^[<class>]*$`). The same rule as a `pattern` of one character outside the class,
/// said this way because tools that fold a field's length into its pattern read that
/// one as "only such characters, 1 to maxLength of them": Schemathesis did, a narrower
/// rule, and for a 200,000-character field a quantifier its regex engine took a second
/// to refuse, once per body schema, holding Python's GIL (BENCHMARKS.md, "A build
/// cache no other clone can break").
pub fn not_blank() -> Value {
    json!({ "pattern": format!("^[{WHITESPACE_CLASS}]*$") })
}

/// `pattern` of a URL field: an absolute http(s) URL of printable ASCII without the
/// characters RFC 3986 never allows (space, `"<>\^`{|}`).
pub const URL_PATTERN: &str = "^[Hh][Tt][Tt][Pp][Ss]?://[!#-;=?-\\[\\]_a-z~]+$";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A string, not blank, of at most `max` characters as sent (stored trimmed).
    Text { max: usize },
    /// Markdown: a text of at most `MARKDOWN_MAX_CHARS`.
    Markdown,
    /// 1 to `MAX_LIST_ITEMS` texts of at most `MAX_LIST_ITEM_CHARS` (duplicates dropped).
    List,
    /// `true` or `false`; `false` when a create omits it.
    Bool,
    /// An absolute http(s) URL, `null`, or `""` (both clear it).
    Url,
    /// A calendar date `YYYY-MM-DD`.
    Date,
    /// A calendar date, or `""` for none.
    DateOrEmpty,
    /// One of these strings.
    OneOf(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldRule {
    pub name: &'static str,
    pub kind: FieldKind,
    /// Whether a create must carry it (an update may always leave it out).
    pub required: bool,
}

impl FieldRule {
    pub const fn required(name: &'static str, kind: FieldKind) -> Self {
        Self {
            name,
            kind,
            required: true,
        }
    }

    pub const fn optional(name: &'static str, kind: FieldKind) -> Self {
        Self {
            name,
            kind,
            required: false,
        }
    }

    /// The longest text this field accepts, in characters.
    pub fn max_chars(&self) -> usize {
        match self.kind {
            FieldKind::Text { max } => max,
            FieldKind::Markdown => MARKDOWN_MAX_CHARS,
            FieldKind::List => MAX_LIST_ITEM_CHARS,
            FieldKind::Url => MAX_URL_CHARS,
            FieldKind::Date | FieldKind::DateOrEmpty => 10,
            FieldKind::Bool | FieldKind::OneOf(_) => 0,
        }
    }

    /// The field's JSON Schema in the API document.
    pub fn schema(&self) -> Value {
        let text = |max: usize| json!({ "type": "string", "minLength": 1, "maxLength": max, "not": not_blank() });
        match self.kind {
            FieldKind::Text { max } => text(max),
            FieldKind::Markdown => {
                let mut s = text(MARKDOWN_MAX_CHARS);
                s["description"] = json!(
                    "Markdown. The stored item is also limited to 400 KB (DynamoDB's item size): a body within maxLength whose characters take many bytes is refused with 413."
                );
                s
            }
            FieldKind::List => json!({ "type": "array", "minItems": 1, "maxItems": MAX_LIST_ITEMS,
                "description": "Duplicates are dropped; each item is stored trimmed",
                "items": text(MAX_LIST_ITEM_CHARS) }),
            FieldKind::Bool => json!({ "type": "boolean", "default": false }),
            FieldKind::Url => json!({ "type": "string", "nullable": true,
                "description": "An absolute http(s) URL; null or an empty string clears it",
                "anyOf": [
                    { "format": "uri", "maxLength": MAX_URL_CHARS, "pattern": URL_PATTERN },
                    { "maxLength": 0 }
                ] }),
            FieldKind::Date => json!({ "type": "string", "format": "date" }),
            FieldKind::DateOrEmpty => json!({ "type": "string",
                "anyOf": [ { "format": "date" }, { "maxLength": 0 } ] }),
            FieldKind::OneOf(values) => json!({ "type": "string", "enum": values }),
        }
    }
}

/// The create schema of a kind: every field, the required ones required, nothing else.
pub fn create_schema(rules: &[FieldRule]) -> Value {
    let mut schema = update_schema(rules);
    schema["required"] = rules
        .iter()
        .filter(|r| r.required)
        .map(|r| json!(r.name))
        .collect();
    schema.as_object_mut().map(|o| o.remove("minProperties"));
    schema
}

/// The update schema: the same fields, none required, at least one present.
pub fn update_schema(rules: &[FieldRule]) -> Value {
    let properties: serde_json::Map<String, Value> = rules
        .iter()
        .map(|r| (r.name.to_string(), r.schema()))
        .collect();
    json!({ "type": "object", "additionalProperties": false, "minProperties": 1,
            "properties": properties })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_class(c: char) -> bool {
        let class = WHITESPACE_CLASS
            .replace("\\t", "\t")
            .replace("\\n", "\n")
            .replace("\\x0b", "\u{b}")
            .replace("\\x0c", "\u{c}")
            .replace("\\r", "\r")
            .replace("\\x85", "\u{85}")
            .replace("\\xa0", "\u{a0}")
            .replace("\\u1680", "\u{1680}")
            .replace("\\u2000-\\u200a", "")
            .replace("\\u2028", "\u{2028}")
            .replace("\\u2029", "\u{2029}")
            .replace("\\u202f", "\u{202f}")
            .replace("\\u205f", "\u{205f}")
            .replace("\\u3000", "\u{3000}");
        class.contains(c) || ('\u{2000}'..='\u{200a}').contains(&c)
    }

    /// The document's notion of blank is exactly the server's (`trim`).
    #[test]
    fn the_whitespace_class_is_what_trim_removes() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(in_class(c), c.is_whitespace(), "U+{:04X}", c as u32);
        }
    }

    /// A text's schema refuses whitespace alone, and only that: `not` an anchored
    /// run of the class, never a pattern a tool could fold the length into.
    #[test]
    fn a_text_schema_says_blank_is_refused_by_not_whitespace_alone() {
        let schema = FieldRule::required("title", FieldKind::Text { max: 200 }).schema();
        assert!(schema.get("pattern").is_none());
        assert_eq!(schema["not"]["pattern"], format!("^[{WHITESPACE_CLASS}]*$"));
        assert_eq!(schema["not"].as_object().map(|o| o.len()), Some(1));
    }

    #[test]
    fn schemas_carry_the_limits_of_the_rules() {
        let rules = [
            FieldRule::required("title", FieldKind::Text { max: 200 }),
            FieldRule::required("tags", FieldKind::List),
            FieldRule::optional("url", FieldKind::Url),
        ];
        let create = create_schema(&rules);
        assert_eq!(create["required"], json!(["title", "tags"]));
        assert_eq!(create["properties"]["title"]["maxLength"], 200);
        assert_eq!(create["properties"]["tags"]["maxItems"], 50);
        assert_eq!(create["properties"]["tags"]["items"]["maxLength"], 50);
        assert!(create.get("minProperties").is_none());
        let update = update_schema(&rules);
        assert_eq!(update["minProperties"], 1);
        assert!(update.get("required").is_none());
    }
}
