//! The production store: a DynamoDB (global) table with the single-table layout of
//! `crate::keys`. Every read is a GetItem or a Query, every write a conditional
//! TransactWriteItems, so the port's guarantees hold exactly as on the embedded store.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, KeysAndAttributes, Projection, ProjectionType, Put, PutRequest,
    ScalarAttributeType, TimeToLiveSpecification, TransactWriteItem, Update, WriteRequest,
};
use folio_shared::domain::unix_now;
use serde::Serialize;

use crate::adapters::aws_error::explain;
use crate::ports::store::{
    Condition, Index, Item, Key, Query, SortKeyRange, Store, StoreError, TALLY_PREFIX, Write,
    check_query, check_transaction,
};

/// Attribute names of the table, the one place they are spelled.
pub mod attr {
    pub const PK: &str = "PK";
    pub const SK: &str = "SK";
    pub const GSI1PK: &str = "GSI1PK";
    pub const GSI1SK: &str = "GSI1SK";
    pub const ENTITY_TYPE: &str = "EntityType";
    pub const STATUS: &str = "Status";
    pub const CREATED_AT: &str = "CreatedAt";
    pub const UPDATED_AT: &str = "UpdatedAt";
    pub const DATA: &str = "Data";
    pub const VERSION: &str = "Version";
    pub const COUNT: &str = "Count";
    pub const EXPIRES_AT: &str = "ExpiresAt";
    pub const LAYOUT: &str = "Layout";
}

pub const GSI1: &str = "GSI1";

/// The table's definition, in CloudFormation's shape: what `folio table create`
/// creates, what `folio table definition` prints and what `template.yaml` declares
/// (tests/template_test.py holds the template to it).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct TableDefinition {
    pub billing_mode: &'static str,
    pub attribute_definitions: Vec<AttributeDefinitionSpec>,
    pub key_schema: Vec<KeySpec>,
    pub global_secondary_indexes: Vec<IndexSpec>,
    pub time_to_live_specification: TtlSpec,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinitionSpec {
    pub attribute_name: &'static str,
    pub attribute_type: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct KeySpec {
    pub attribute_name: &'static str,
    pub key_type: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct IndexSpec {
    pub index_name: &'static str,
    pub key_schema: Vec<KeySpec>,
    pub projection: ProjectionSpec,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectionSpec {
    pub projection_type: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct TtlSpec {
    pub attribute_name: &'static str,
    pub enabled: bool,
}

pub fn table_definition() -> TableDefinition {
    let string = |attribute_name| AttributeDefinitionSpec {
        attribute_name,
        attribute_type: "S",
    };
    let keys = |hash, range| {
        vec![
            KeySpec {
                attribute_name: hash,
                key_type: "HASH",
            },
            KeySpec {
                attribute_name: range,
                key_type: "RANGE",
            },
        ]
    };
    TableDefinition {
        billing_mode: "PAY_PER_REQUEST",
        attribute_definitions: vec![
            string(attr::PK),
            string(attr::SK),
            string(attr::GSI1PK),
            string(attr::GSI1SK),
        ],
        key_schema: keys(attr::PK, attr::SK),
        global_secondary_indexes: vec![IndexSpec {
            index_name: GSI1,
            key_schema: keys(attr::GSI1PK, attr::GSI1SK),
            projection: ProjectionSpec {
                projection_type: "ALL",
            },
        }],
        time_to_live_specification: TtlSpec {
            attribute_name: attr::EXPIRES_AT,
            enabled: true,
        },
    }
}

/// Requests in flight to DynamoDB at once from one process. A Lambda instance
/// handles one event at a time and never gets near it; `folio serve --aws` under a
/// burst queues here instead of opening hundreds of connections.
const MAX_IN_FLIGHT: usize = 32;

pub struct DynamoStore {
    client: Client,
    table: String,
    in_flight: tokio::sync::Semaphore,
}

type Attrs = HashMap<String, AttributeValue>;

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// Maps any SDK failure: unreachable, timed out or throttled is `Unavailable`
/// (retry later), the rest `Failed`.
fn sdk_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    operation: &str,
    error: SdkError<E>,
) -> StoreError {
    match &error {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(explain(operation, &error))
        }
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("Unknown");
            let message = service.err().message().unwrap_or("");
            let text = format!("{operation}: {code}: {message}");
            match code {
                // The table is missing (a wrong TABLE_NAME, a deleted stack): the
                // service cannot work, but it is not a bug of the request.
                "ResourceNotFoundException" => StoreError::Unavailable(format!(
                    "{operation}: the table does not exist or is not active ({message}); check TABLE_NAME and the table's Region"
                )),
                "ProvisionedThroughputExceededException"
                | "RequestLimitExceeded"
                | "ThrottlingException"
                | "InternalServerError"
                | "ServiceUnavailable"
                | "TransactionInProgressException" => StoreError::Unavailable(text),
                _ => StoreError::Failed(explain(operation, &error)),
            }
        }
        _ => StoreError::Failed(explain(operation, &error)),
    }
}

fn to_attrs(item: &Item) -> Attrs {
    let mut attrs = Attrs::new();
    attrs.insert(attr::PK.into(), s(&item.pk));
    attrs.insert(attr::SK.into(), s(&item.sk));
    attrs.insert(attr::ENTITY_TYPE.into(), s(&item.entity_type));
    attrs.insert(attr::VERSION.into(), n(item.version));
    attrs.insert(attr::COUNT.into(), n(item.count));
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
            attrs.insert(name.into(), s(value));
        }
    }
    if let Some(expires_at) = item.expires_at {
        attrs.insert(attr::EXPIRES_AT.into(), n(expires_at));
    }
    if item.layout > 0 {
        attrs.insert(attr::LAYOUT.into(), n(item.layout));
    }
    for (name, count) in &item.tallies {
        attrs.insert(format!("{TALLY_PREFIX}{name}"), n(count));
    }
    attrs
}

/// Moves a string attribute out: a row's `data` is a whole item, not copied.
fn text(attrs: &mut Attrs, name: &str) -> Option<String> {
    match attrs.remove(name)? {
        AttributeValue::S(value) => Some(value),
        _ => None,
    }
}

fn number<T: std::str::FromStr>(attrs: &Attrs, name: &str) -> Result<Option<T>, StoreError> {
    match attrs.get(name) {
        None => Ok(None),
        Some(value) => value
            .as_n()
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Some)
            .ok_or_else(|| StoreError::Failed(format!("attribute {name} is not a number"))),
    }
}

fn from_attrs(mut attrs: Attrs) -> Result<Item, StoreError> {
    let mut required = |name: &str| {
        text(&mut attrs, name).ok_or_else(|| StoreError::Failed(format!("row without {name}")))
    };
    let (pk, sk) = (required(attr::PK)?, required(attr::SK)?);
    Ok(Item {
        pk,
        sk,
        gsi1pk: text(&mut attrs, attr::GSI1PK),
        gsi1sk: text(&mut attrs, attr::GSI1SK),
        entity_type: text(&mut attrs, attr::ENTITY_TYPE).unwrap_or_default(),
        status: text(&mut attrs, attr::STATUS),
        created_at: text(&mut attrs, attr::CREATED_AT),
        updated_at: text(&mut attrs, attr::UPDATED_AT),
        data: text(&mut attrs, attr::DATA),
        version: number(&attrs, attr::VERSION)?.unwrap_or(0),
        count: number(&attrs, attr::COUNT)?.unwrap_or(0),
        expires_at: number(&attrs, attr::EXPIRES_AT)?,
        layout: number(&attrs, attr::LAYOUT)?.unwrap_or(0),
        tallies: attrs
            .keys()
            .filter_map(|name| name.strip_prefix(TALLY_PREFIX).map(|t| (name, t)))
            .map(|(name, tally)| Ok((tally.to_string(), number(&attrs, name)?.unwrap_or(0))))
            .collect::<Result<_, StoreError>>()?,
    })
}

/// The attempts of a batch request (BatchGetItem, BatchWriteItem) that DynamoDB
/// may answer only in part: what it left unprocessed is sent again after a pause
/// that doubles, 7 attempts in all ("BatchGetItem", "BatchWriteItem", DynamoDB API
/// Reference).
struct Unprocessed {
    what_is_left: &'static str,
    attempts: u32,
    pause: Duration,
}

impl Unprocessed {
    const ATTEMPTS: u32 = 7;

    fn new(what_is_left: &'static str) -> Self {
        Self {
            what_is_left,
            attempts: 1,
            pause: Duration::from_millis(20),
        }
    }

    /// Waits before the next attempt, or fails when the last one left some.
    async fn pause(&mut self) -> Result<(), StoreError> {
        if self.attempts >= Self::ATTEMPTS {
            return Err(StoreError::Unavailable(format!(
                "{} unprocessed after {} attempts",
                self.what_is_left,
                Self::ATTEMPTS
            )));
        }
        self.attempts += 1;
        tokio::time::sleep(self.pause).await;
        self.pause *= 2;
        Ok(())
    }
}

fn key_attrs(key: &Key) -> Attrs {
    HashMap::from([(attr::PK.into(), s(&key.pk)), (attr::SK.into(), s(&key.sk))])
}

/// A condition expression with its names and values; `None` when unconditional.
struct Expression {
    text: String,
    names: HashMap<String, String>,
    values: Attrs,
}

/// Translates a port condition. Rows past their `ExpiresAt` count as absent, as
/// TTL deletes them only eventually.
fn condition_expression(condition: &Condition, now: i64) -> Option<Expression> {
    let mut names = HashMap::from([
        ("#pk".to_string(), attr::PK.to_string()),
        ("#exp".to_string(), attr::EXPIRES_AT.to_string()),
    ]);
    let mut values = HashMap::from([(":now".to_string(), n(now))]);
    let alive = "(attribute_exists(#pk) AND (attribute_not_exists(#exp) OR #exp > :now))";
    let text = match condition {
        Condition::None => return None,
        Condition::NotExists => "(attribute_not_exists(#pk) OR #exp <= :now)".to_string(),
        Condition::Exists => alive.to_string(),
        Condition::VersionIs(version) => {
            names.insert("#ver".into(), attr::VERSION.into());
            values.insert(":ver".into(), n(version));
            format!("{alive} AND #ver = :ver")
        }
        Condition::StatusIs(status) => {
            names.insert("#st".into(), attr::STATUS.into());
            values.insert(":st".into(), s(status));
            format!("{alive} AND #st = :st")
        }
    };
    Some(Expression {
        text,
        names,
        values,
    })
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            in_flight: tokio::sync::Semaphore::new(MAX_IN_FLIGHT),
        }
    }

    /// Waits for a slot under `MAX_IN_FLIGHT`.
    async fn slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, StoreError> {
        self.in_flight
            .acquire()
            .await
            .map_err(|e| StoreError::Failed(e.to_string()))
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Writes rows as they are, 25 to a BatchWriteItem, without conditions and
    /// outside any transaction: a bulk load into a table that nothing else writes
    /// meanwhile. The catalogue bench seeds moto with it (moto copies every table
    /// on each TransactWriteItems, so 10,000 posts written one transaction each
    /// would take hours). Unprocessed items are sent again after a pause
    /// ("BatchWriteItem", DynamoDB API Reference).
    pub async fn load_rows(&self, rows: &[Item]) -> Result<(), StoreError> {
        const BATCH: usize = 25;
        for chunk in rows.chunks(BATCH) {
            let mut pending: Vec<WriteRequest> = chunk
                .iter()
                .map(|row| {
                    let put = PutRequest::builder()
                        .set_item(Some(to_attrs(row)))
                        .build()
                        .map_err(|e| StoreError::Failed(e.to_string()))?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<_, StoreError>>()?;
            let mut retry = Unprocessed::new("BatchWriteItem left items");
            loop {
                let output = {
                    let _slot = self.slot().await?;
                    self.client
                        .batch_write_item()
                        .request_items(&self.table, pending)
                        .send()
                        .await
                        .map_err(|e| sdk_error("BatchWriteItem", e))?
                };
                match output
                    .unprocessed_items
                    .and_then(|mut tables| tables.remove(&self.table))
                {
                    Some(rest) if !rest.is_empty() => {
                        retry.pause().await?;
                        pending = rest;
                    }
                    _ => break,
                }
            }
        }
        Ok(())
    }

    /// Creates the table of `table_definition()` with TTL on, and waits until it is
    /// active. An existing table is left as it is.
    pub async fn create_table(&self) -> Result<bool, StoreError> {
        let definition = table_definition();
        let key_schema = |keys: &[KeySpec]| -> Result<Vec<KeySchemaElement>, StoreError> {
            keys.iter()
                .map(|key| {
                    KeySchemaElement::builder()
                        .attribute_name(key.attribute_name)
                        .key_type(KeyType::from(key.key_type))
                        .build()
                        .map_err(|e| StoreError::Failed(e.to_string()))
                })
                .collect()
        };
        let mut request = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::from(definition.billing_mode))
            .set_key_schema(Some(key_schema(&definition.key_schema)?));
        for attribute in &definition.attribute_definitions {
            request = request.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(attribute.attribute_name)
                    .attribute_type(ScalarAttributeType::from(attribute.attribute_type))
                    .build()
                    .map_err(|e| StoreError::Failed(e.to_string()))?,
            );
        }
        for index in &definition.global_secondary_indexes {
            request = request.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index.index_name)
                    .set_key_schema(Some(key_schema(&index.key_schema)?))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::from(index.projection.projection_type))
                            .build(),
                    )
                    .build()
                    .map_err(|e| StoreError::Failed(e.to_string()))?,
            );
        }
        match request.send().await {
            Ok(_) => {}
            Err(SdkError::ServiceError(e)) if e.err().code() == Some("ResourceInUseException") => {
                return Ok(false);
            }
            Err(e) => return Err(sdk_error("CreateTable", e)),
        }
        for _ in 0..120 {
            let described = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(|e| sdk_error("DescribeTable", e))?;
            let active = described
                .table()
                .and_then(|t| t.table_status())
                .is_some_and(|status| status.as_str() == "ACTIVE");
            if active {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(definition.time_to_live_specification.enabled)
                    .attribute_name(definition.time_to_live_specification.attribute_name)
                    .build()
                    .map_err(|e| StoreError::Failed(e.to_string()))?,
            )
            .send()
            .await
            .map_err(|e| sdk_error("UpdateTimeToLive", e))?;
        Ok(true)
    }

    fn transact_item(&self, write: &Write, now: i64) -> Result<TransactWriteItem, StoreError> {
        let built = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Failed(e.to_string());
        let item = match write {
            Write::Put { item, condition } => {
                let mut put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(to_attrs(item)));
                if let Some(expr) = condition_expression(condition, now) {
                    put = put
                        .condition_expression(expr.text)
                        .set_expression_attribute_names(Some(expr.names))
                        .set_expression_attribute_values(Some(expr.values));
                }
                TransactWriteItem::builder()
                    .put(put.build().map_err(built)?)
                    .build()
            }
            Write::Delete { key, condition } => {
                let mut delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attrs(key)));
                if let Some(expr) = condition_expression(condition, now) {
                    delete = delete
                        .condition_expression(expr.text)
                        .set_expression_attribute_names(Some(expr.names))
                        .set_expression_attribute_values(Some(expr.values));
                }
                TransactWriteItem::builder()
                    .delete(delete.build().map_err(built)?)
                    .build()
            }
            Write::Increment {
                key,
                entity_type,
                by,
                label,
            } => {
                let mut update = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attrs(key)))
                    .expression_attribute_names("#et", attr::ENTITY_TYPE)
                    .expression_attribute_names("#count", attr::COUNT)
                    .expression_attribute_values(":et", s(entity_type))
                    .expression_attribute_values(":by", n(by));
                update = match label {
                    Some(label) => update
                        .update_expression("SET #et = :et, #data = :label ADD #count :by")
                        .expression_attribute_names("#data", attr::DATA)
                        .expression_attribute_values(":label", s(label)),
                    None => update.update_expression("SET #et = :et ADD #count :by"),
                };
                let update = update.build().map_err(built)?;
                TransactWriteItem::builder().update(update).build()
            }
            Write::Tally {
                key,
                entity_type,
                by,
                listed_at,
            } => {
                // ADD creates a missing number attribute at 0 first, so one
                // UpdateItem adds to every tally, existing or not.
                let mut update = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attrs(key)))
                    .expression_attribute_names("#et", attr::ENTITY_TYPE)
                    .expression_attribute_values(":et", s(entity_type));
                let mut adds = Vec::with_capacity(by.len());
                for (i, (name, count)) in by.iter().enumerate() {
                    update = update
                        .expression_attribute_names(
                            format!("#t{i}"),
                            format!("{TALLY_PREFIX}{name}"),
                        )
                        .expression_attribute_values(format!(":t{i}"), n(count));
                    adds.push(format!("#t{i} :t{i}"));
                }
                let mut set = "SET #et = :et".to_string();
                if let Some(at) = listed_at {
                    update = update
                        .expression_attribute_names("#gpk", attr::GSI1PK)
                        .expression_attribute_names("#gsk", attr::GSI1SK)
                        .expression_attribute_values(":gpk", s(&at.pk))
                        .expression_attribute_values(":gsk", s(&at.sk));
                    set.push_str(", #gpk = :gpk, #gsk = :gsk");
                }
                let expression = if adds.is_empty() {
                    set
                } else {
                    format!("{set} ADD {}", adds.join(", "))
                };
                let update = update
                    .update_expression(expression)
                    .build()
                    .map_err(built)?;
                TransactWriteItem::builder().update(update).build()
            }
            Write::Check { key, condition } => {
                let expr = condition_expression(condition, now).unwrap_or(Expression {
                    text: "attribute_exists(#pk) OR attribute_not_exists(#pk)".into(),
                    names: HashMap::from([("#pk".into(), attr::PK.into())]),
                    values: Attrs::new(),
                });
                let mut check = ConditionCheck::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attrs(key)))
                    .condition_expression(expr.text)
                    .set_expression_attribute_names(Some(expr.names));
                if !expr.values.is_empty() {
                    check = check.set_expression_attribute_values(Some(expr.values));
                }
                TransactWriteItem::builder()
                    .condition_check(check.build().map_err(built)?)
                    .build()
            }
        };
        Ok(item)
    }
}

/// What a cancelled transaction means: a condition of ours failed (the index of the
/// first such write), or a concurrent transaction got in the way (retry).
enum Cancelled {
    Condition(usize),
    Conflict,
    Other(String),
}

fn cancellation(error: &TransactWriteItemsError) -> Option<Cancelled> {
    let TransactWriteItemsError::TransactionCanceledException(cancelled) = error else {
        return None;
    };
    let reasons = cancelled.cancellation_reasons();
    if let Some(index) = reasons
        .iter()
        .position(|r| r.code() == Some("ConditionalCheckFailed"))
    {
        return Some(Cancelled::Condition(index));
    }
    if reasons
        .iter()
        .any(|r| matches!(r.code(), Some("TransactionConflict" | "ThrottlingError")))
    {
        return Some(Cancelled::Conflict);
    }
    Some(Cancelled::Other(
        cancelled
            .message()
            .unwrap_or("transaction cancelled")
            .into(),
    ))
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let _slot = self.slot().await?;
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("GetItem", e))?;
        match output.item {
            None => Ok(None),
            Some(attrs) => {
                let item = from_attrs(attrs)?;
                Ok((!item.is_expired(unix_now())).then_some(item))
            }
        }
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        // BatchGetItem takes at most 100 distinct keys and may answer only some
        // of them (UnprocessedKeys), which are asked again after a pause
        // ("BatchGetItem", DynamoDB API Reference).
        const BATCH: usize = 100;
        let now = unix_now();
        let mut found: HashMap<Key, Item> = HashMap::with_capacity(keys.len());
        let mut distinct: Vec<&Key> = Vec::with_capacity(keys.len());
        for key in keys {
            if !distinct.contains(&key) {
                distinct.push(key);
            }
        }
        for chunk in distinct.chunks(BATCH) {
            let mut pending = KeysAndAttributes::builder()
                .set_keys(Some(chunk.iter().map(|key| key_attrs(key)).collect()))
                .consistent_read(true)
                .build()
                .map_err(|e| StoreError::Failed(e.to_string()))?;
            let mut retry = Unprocessed::new("BatchGetItem left keys");
            loop {
                let mut output = {
                    let _slot = self.slot().await?;
                    self.client
                        .batch_get_item()
                        .request_items(&self.table, pending.clone())
                        .send()
                        .await
                        .map_err(|e| sdk_error("BatchGetItem", e))?
                };
                for attrs in output
                    .responses
                    .as_mut()
                    .and_then(|tables| tables.remove(&self.table))
                    .into_iter()
                    .flatten()
                {
                    let item = from_attrs(attrs)?;
                    if !item.is_expired(now) {
                        found.insert(item.key(), item);
                    }
                }
                match output
                    .unprocessed_keys()
                    .and_then(|tables| tables.get(&self.table))
                {
                    Some(rest) if !rest.keys().is_empty() => {
                        retry.pause().await?;
                        pending = rest.clone();
                    }
                    _ => break,
                }
            }
        }
        Ok(keys.iter().map(|key| found.get(key).cloned()).collect())
    }

    async fn query(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
        // Refused here, as DynamoDB would refuse it.
        check_query(query).map_err(StoreError::Limit)?;
        let (pk_name, sk_name, index) = match query.index {
            Index::Table => (attr::PK, attr::SK, None),
            Index::Gsi1 => (attr::GSI1PK, attr::GSI1SK, Some(GSI1)),
        };
        let mut values = HashMap::from([(":pk".to_string(), s(&query.pk))]);
        let mut names = HashMap::from([("#pk".to_string(), pk_name.to_string())]);
        let condition = match &query.range {
            SortKeyRange::All => "#pk = :pk".to_string(),
            SortKeyRange::BeginsWith(prefix) => {
                names.insert("#sk".into(), sk_name.into());
                values.insert(":prefix".into(), s(prefix));
                "#pk = :pk AND begins_with(#sk, :prefix)".to_string()
            }
            SortKeyRange::Between(low, high) => {
                names.insert("#sk".into(), sk_name.into());
                values.insert(":low".into(), s(low));
                values.insert(":high".into(), s(high));
                "#pk = :pk AND #sk BETWEEN :low AND :high".to_string()
            }
        };
        let now = unix_now();
        let mut items = Vec::new();
        let mut start: Option<Attrs> = None;
        loop {
            let _slot = self.slot().await?;
            let mut output = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(String::from))
                // GSIs are eventually consistent only; the table is read consistently.
                .consistent_read(index.is_none())
                .key_condition_expression(&condition)
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(!query.descending)
                .set_limit(
                    query
                        .limit
                        .map(|l| i32::try_from(l.saturating_sub(items.len())).unwrap_or(i32::MAX)),
                )
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_error("Query", e))?;
            for attrs in output.items.take().into_iter().flatten() {
                let item = from_attrs(attrs)?;
                if !item.is_expired(now) && query.limit.is_none_or(|l| items.len() < l) {
                    items.push(item);
                }
            }
            match output.last_evaluated_key {
                Some(_) if query.limit.is_some_and(|l| items.len() >= l) => break,
                Some(last) if !last.is_empty() => start = Some(last),
                _ => break,
            }
        }
        Ok(items)
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        if writes.is_empty() {
            return Ok(());
        }
        // Refused here, as DynamoDB would refuse it (a ValidationException, a 500
        // to the caller had it been sent).
        check_transaction(&writes).map_err(StoreError::Limit)?;
        let now = unix_now();
        let items = writes
            .iter()
            .map(|w| self.transact_item(w, now))
            .collect::<Result<Vec<_>, _>>()?;
        let result = {
            let _slot = self.slot().await?;
            self.client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await
        };
        let error = match result {
            Ok(_) => return Ok(()),
            Err(error) => error,
        };
        match error.as_service_error().and_then(cancellation) {
            Some(Cancelled::Condition(index)) => Err(StoreError::ConditionFailed { index }),
            // Retried by `resilience::RetryConflicts`, the same for every adapter.
            Some(Cancelled::Conflict) => Err(StoreError::Conflict(
                "a concurrent transaction touched the same items".into(),
            )),
            Some(Cancelled::Other(message)) => Err(StoreError::Failed(message)),
            None => Err(sdk_error("TransactWriteItems", error)),
        }
    }
}
