//! The JSON shapes of the DynamoDB calls folio makes ("Actions", DynamoDB API
//! Reference: GetItem, BatchGetItem, Query, TransactWriteItems, BatchWriteItem),
//! written straight from and read straight into the port's `Item`: a row's
//! Markdown is copied once from the answer into the `Item`, never through a tree
//! of attribute values.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::attr;
use crate::ports::store::{Item, Key, TALLY_PREFIX};

/// One attribute value, as the protocol tags it: `{"S": "…"}` or `{"N": "…"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Value {
    S(String),
    N(String),
}

impl Value {
    pub fn s(text: impl Into<String>) -> Self {
        Value::S(text.into())
    }

    pub fn n(number: impl ToString) -> Self {
        Value::N(number.to_string())
    }
}

/// `{"S": "…"}` without copying the text.
struct S<'a>(&'a str);

impl Serialize for S<'_> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("S", self.0)?;
        map.end()
    }
}

/// `{"N": "…"}`.
struct N(i128);

impl Serialize for N {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("N", &self.0.to_string())?;
        map.end()
    }
}

/// A key as the protocol writes it: `{"PK": {"S": …}, "SK": {"S": …}}`.
pub struct KeyAttrs<'a>(pub &'a Key);

impl Serialize for KeyAttrs<'_> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(attr::PK, &S(&self.0.pk))?;
        map.serialize_entry(attr::SK, &S(&self.0.sk))?;
        map.end()
    }
}

/// A whole row, every attribute of `Item` under the names of `attr`.
pub struct ItemAttrs<'a>(pub &'a Item);

impl Serialize for ItemAttrs<'_> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let item = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(attr::PK, &S(&item.pk))?;
        map.serialize_entry(attr::SK, &S(&item.sk))?;
        map.serialize_entry(attr::ENTITY_TYPE, &S(&item.entity_type))?;
        map.serialize_entry(attr::VERSION, &N(item.version.into()))?;
        map.serialize_entry(attr::COUNT, &N(item.count.into()))?;
        let optional = [
            (attr::GSI1PK, &item.gsi1pk),
            (attr::GSI1SK, &item.gsi1sk),
            (attr::STATUS, &item.status),
            (attr::CREATED_AT, &item.created_at),
            (attr::UPDATED_AT, &item.updated_at),
            (attr::DATA, &item.data),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                map.serialize_entry(name, &S(value))?;
            }
        }
        if let Some(expires_at) = item.expires_at {
            map.serialize_entry(attr::EXPIRES_AT, &N(expires_at.into()))?;
        }
        if item.layout > 0 {
            map.serialize_entry(attr::LAYOUT, &N(item.layout.into()))?;
        }
        for (name, count) in &item.tallies {
            map.serialize_entry(&format!("{TALLY_PREFIX}{name}"), &N((*count).into()))?;
        }
        map.end()
    }
}

/// A condition or update expression with its placeholders. DynamoDB refuses an
/// empty `ExpressionAttributeValues`, so an empty one is left out.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Placeholders {
    pub expression_attribute_names: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub expression_attribute_values: BTreeMap<String, Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetItem<'a> {
    pub table_name: &'a str,
    pub key: KeyAttrs<'a>,
    pub consistent_read: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection_expression: Option<&'a str>,
    /// Absent without a projection: DynamoDB refuses an empty map.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub expression_attribute_names: BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Query<'a> {
    pub table_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_name: Option<&'a str>,
    pub consistent_read: bool,
    pub key_condition_expression: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection_expression: Option<&'a str>,
    #[serde(flatten)]
    pub placeholders: &'a Placeholders,
    pub scan_index_forward: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclusive_start_key: Option<serde_json::Value>,
}

/// `{"RequestItems": {<table>: …}}`, of BatchGetItem.
pub struct RequestItems<'a, T>(pub &'a str, pub T);

impl<T: Serialize> Serialize for RequestItems<'_, T> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let mut outer = serializer.serialize_map(Some(1))?;
        outer.serialize_entry("RequestItems", &HashMap::from([(self.0, &self.1)]))?;
        outer.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeysAndAttributes<'a> {
    pub keys: Vec<KeyAttrs<'a>>,
    pub consistent_read: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactWriteItems<'a> {
    pub transact_items: Vec<TransactItem<'a>>,
    /// Makes the call idempotent for ten minutes, so an attempt sent again after
    /// a lost answer is not applied twice ("TransactWriteItems", DynamoDB API
    /// Reference: ClientRequestToken). The SDK fills it in the same way.
    pub client_request_token: String,
}

#[derive(Serialize)]
pub enum TransactItem<'a> {
    Put(Put<'a>),
    Update(Update<'a>),
    Delete(Conditional<'a>),
    ConditionCheck(Conditional<'a>),
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Put<'a> {
    pub table_name: &'a str,
    pub item: ItemAttrs<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_expression: Option<String>,
    #[serde(flatten)]
    pub placeholders: Option<Placeholders>,
    /// `ALL_OLD`: a failed condition answers the item that failed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values_on_condition_check_failure: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Update<'a> {
    pub table_name: &'a str,
    pub key: KeyAttrs<'a>,
    pub update_expression: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_expression: Option<String>,
    #[serde(flatten)]
    pub placeholders: Placeholders,
}

/// A Delete or a ConditionCheck: a key and, maybe, a condition.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Conditional<'a> {
    pub table_name: &'a str,
    pub key: KeyAttrs<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_expression: Option<String>,
    #[serde(flatten)]
    pub placeholders: Option<Placeholders>,
    /// `ALL_OLD`: a failed condition answers the item that failed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values_on_condition_check_failure: Option<&'static str>,
}

/// A row read from an answer.
#[derive(Debug)]
pub struct WireItem(pub Item);

#[derive(Deserialize)]
pub struct GetItemOutput {
    #[serde(rename = "Item")]
    pub item: Option<WireItem>,
}

#[derive(Deserialize)]
pub struct QueryOutput {
    #[serde(rename = "Items", default)]
    pub items: Vec<WireItem>,
    /// Sent back as the next page's `ExclusiveStartKey`, as it came.
    #[serde(rename = "LastEvaluatedKey")]
    pub last_evaluated_key: Option<serde_json::Value>,
}

#[derive(Deserialize)]
pub struct BatchGetItemOutput {
    #[serde(rename = "Responses", default)]
    pub responses: HashMap<String, Vec<WireItem>>,
    /// Per table, `{"Keys": […], "ConsistentRead": …}` to ask again, as it came.
    #[serde(rename = "UnprocessedKeys", default)]
    pub unprocessed_keys: HashMap<String, serde_json::Value>,
}

/// An answer whose content folio does not read (TransactWriteItems).
#[derive(Deserialize)]
pub struct Ignored {}

/// An attribute's value as read: strings and numbers; other types (which folio
/// never writes) are read as neither.
#[derive(Deserialize)]
struct ReadValue {
    #[serde(rename = "S")]
    s: Option<String>,
    #[serde(rename = "N")]
    n: Option<String>,
}

/// Attribute names, matched without allocating for the fixed ones.
enum Field {
    Pk,
    Sk,
    Gsi1Pk,
    Gsi1Sk,
    EntityType,
    Status,
    CreatedAt,
    UpdatedAt,
    Data,
    Version,
    Count,
    ExpiresAt,
    Layout,
    Tally(String),
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an attribute name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Field, E> {
                Ok(match name {
                    attr::PK => Field::Pk,
                    attr::SK => Field::Sk,
                    attr::GSI1PK => Field::Gsi1Pk,
                    attr::GSI1SK => Field::Gsi1Sk,
                    attr::ENTITY_TYPE => Field::EntityType,
                    attr::STATUS => Field::Status,
                    attr::CREATED_AT => Field::CreatedAt,
                    attr::UPDATED_AT => Field::UpdatedAt,
                    attr::DATA => Field::Data,
                    attr::VERSION => Field::Version,
                    attr::COUNT => Field::Count,
                    attr::EXPIRES_AT => Field::ExpiresAt,
                    attr::LAYOUT => Field::Layout,
                    other => match other.strip_prefix(TALLY_PREFIX) {
                        Some(tally) => Field::Tally(tally.to_string()),
                        None => Field::Other,
                    },
                })
            }
        }
        deserializer.deserialize_str(FieldVisitor)
    }
}

impl<'de> Deserialize<'de> for WireItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemVisitor;
        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = WireItem;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a DynamoDB item")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WireItem, A::Error> {
                fn number<T: std::str::FromStr, E: de::Error>(
                    name: &str,
                    value: ReadValue,
                ) -> Result<T, E> {
                    value
                        .n
                        .and_then(|n| n.parse().ok())
                        .ok_or_else(|| E::custom(format!("attribute {name} is not a number")))
                }
                let (mut pk, mut sk) = (None, None);
                let mut item = Item::default();
                while let Some(field) = map.next_key::<Field>()? {
                    let value: ReadValue = map.next_value()?;
                    match field {
                        Field::Pk => pk = value.s,
                        Field::Sk => sk = value.s,
                        Field::Gsi1Pk => item.gsi1pk = value.s,
                        Field::Gsi1Sk => item.gsi1sk = value.s,
                        Field::EntityType => item.entity_type = value.s.unwrap_or_default(),
                        Field::Status => item.status = value.s,
                        Field::CreatedAt => item.created_at = value.s,
                        Field::UpdatedAt => item.updated_at = value.s,
                        Field::Data => item.data = value.s,
                        Field::Version => item.version = number(attr::VERSION, value)?,
                        Field::Count => item.count = number(attr::COUNT, value)?,
                        Field::ExpiresAt => {
                            item.expires_at = Some(number(attr::EXPIRES_AT, value)?);
                        }
                        Field::Layout => item.layout = number(attr::LAYOUT, value)?,
                        Field::Tally(name) => {
                            let count = number(&name, value)?;
                            item.tallies.insert(name, count);
                        }
                        Field::Other => {}
                    }
                }
                item.pk = pk.ok_or_else(|| de::Error::custom("a row without PK"))?;
                item.sk = sk.ok_or_else(|| de::Error::custom("a row without SK"))?;
                Ok(WireItem(item))
            }
        }
        deserializer.deserialize_map(ItemVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Item {
        Item {
            pk: "CONTENT#blog".into(),
            sk: "POST#a\"b".into(),
            gsi1pk: Some("LIST#blog#published".into()),
            gsi1sk: Some("2026-01-01".into()),
            entity_type: "Post".into(),
            status: Some("published".into()),
            created_at: Some("2026-01-01T00:00:00Z".into()),
            updated_at: None,
            data: Some("{\"title\":\"ü \\n\"}".into()),
            version: 7,
            count: -3,
            expires_at: Some(1_900_000_000),
            tallies: BTreeMap::from([("all".into(), 12), ("tag:rust".into(), 2)]),
            layout: 2,
        }
    }

    #[test]
    fn a_row_written_in_the_protocol_reads_back_the_same() {
        let written = serde_json::to_string(&ItemAttrs(&row())).unwrap();
        let read: WireItem = serde_json::from_str(&written).unwrap();
        assert_eq!(read.0, row());
    }

    #[test]
    fn rows_are_written_with_the_protocols_type_tags() {
        let written: serde_json::Value = serde_json::to_value(ItemAttrs(&row())).unwrap();
        assert_eq!(written["PK"], serde_json::json!({"S": "CONTENT#blog"}));
        assert_eq!(written["Version"], serde_json::json!({"N": "7"}));
        assert_eq!(written["T:tag:rust"], serde_json::json!({"N": "2"}));
        assert!(written.get("UpdatedAt").is_none());
    }

    #[test]
    fn attributes_of_other_types_are_skipped_and_a_row_needs_its_key() {
        let read: WireItem = serde_json::from_str(
            r#"{"PK":{"S":"p"},"SK":{"S":"s"},"Flag":{"BOOL":true},"List":{"L":[{"S":"x"}]}}"#,
        )
        .unwrap();
        assert_eq!((read.0.pk.as_str(), read.0.sk.as_str()), ("p", "s"));
        assert!(serde_json::from_str::<WireItem>(r#"{"PK":{"S":"p"}}"#).is_err());
        assert!(
            serde_json::from_str::<WireItem>(
                r#"{"PK":{"S":"p"},"SK":{"S":"s"},"Version":{"S":"x"}}"#
            )
            .is_err()
        );
    }

    #[test]
    fn an_empty_set_of_values_is_left_out() {
        let placeholders = Placeholders {
            expression_attribute_names: BTreeMap::from([("#pk".into(), "PK".into())]),
            expression_attribute_values: BTreeMap::new(),
        };
        let written = serde_json::to_value(Conditional {
            table_name: "t",
            key: KeyAttrs(&Key::new("p", "s")),
            condition_expression: Some("attribute_exists(#pk)".into()),
            placeholders: Some(placeholders),
            return_values_on_condition_check_failure: None,
        })
        .unwrap();
        assert!(written.get("ExpressionAttributeValues").is_none());
        assert!(written.get("ReturnValuesOnConditionCheckFailure").is_none());
        assert_eq!(written["ExpressionAttributeNames"]["#pk"], "PK");
    }
}
