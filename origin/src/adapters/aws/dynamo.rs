//! The production store: a DynamoDB (global) table with the single-table layout of
//! `crate::ports::keys`. Every read is a GetItem, a BatchGetItem or a Query, every write a
//! conditional TransactWriteItems, so the port's guarantees hold exactly as on the
//! embedded store. The calls go out through `http` in the shapes of `wire`;
//! `admin` creates the table with the SDK.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::SdkConfig;
use folio_shared::domain::unix_now;
use serde::Serialize;

use crate::ports::store::{
    Attributes, Condition, Index, Item, Key, Limit, Query, SortKeyRange, Store, StoreError,
    TALLY_PREFIX, Write, check_query, check_transaction, limits,
};

pub mod answers;
pub mod http;
pub mod sigv4;
pub mod wire;

use crate::adapters::aws::call_policy::CallPolicy;
use http::{CallError, DynamoHttp, Operation};
pub use http::{ConnectError, DynamoEndpoint};
use wire::{KeyAttrs, Placeholders, Value};

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

    /// A row's head, as `Item::project` keeps it: `Attributes::WithoutData`.
    pub const HEAD: &[&str] = &[PK, SK, GSI1SK, STATUS, UPDATED_AT, VERSION, EXPIRES_AT];
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
    http: DynamoHttp,
    table: String,
    in_flight: tokio::sync::Semaphore,
    query_answers: answers::QueryAnswers,
}

/// DynamoDB's public endpoint in `region` ("Amazon DynamoDB endpoints and
/// quotas", AWS General Reference); the China Regions are under `amazonaws.com.cn`.
pub fn regional_endpoint(region: &str) -> String {
    let domain = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://dynamodb.{region}.{domain}")
}

/// Maps a failed call: what `CallError::is_transient` would try again (no answer,
/// a 5xx, throttling) is `Unavailable` (retry later), the rest `Failed`, each in
/// one line that names the fix where there is one.
fn call_error(operation: Operation, error: CallError) -> StoreError {
    let operation = operation.name();
    let transient = error.is_transient();
    let note = match &error {
        CallError::Service { request_id, .. } => request_id_note(request_id.as_deref()),
        _ => String::new(),
    };
    match error {
        CallError::Transport(cause) => StoreError::Unavailable(format!("{operation}: {cause}")),
        CallError::Malformed(cause) => StoreError::Failed(format!("{operation}: {cause}")),
        // The table is missing (a wrong TABLE_NAME, a deleted stack): the service
        // cannot work, but it is not a bug of the request.
        CallError::Service { code, message, .. } if code == "ResourceNotFoundException" => {
            StoreError::Unavailable(format!(
                "{operation}: the table does not exist or is not active ({message}); check TABLE_NAME and the table's Region{note}"
            ))
        }
        CallError::Service { code, message, .. } if transient => {
            StoreError::Unavailable(format!("{operation}: {code}: {message}{note}"))
        }
        CallError::Service { code, message, .. } => StoreError::Failed(format!(
            "{operation}: {code}: {message}{note}{}",
            crate::adapters::aws::error::fix_for(&code)
        )),
    }
}

/// The partition of a Region folio's client has no endpoints for: it knows the
/// `aws` and `aws-cn` partitions ("Amazon DynamoDB endpoints and quotas", AWS
/// General Reference), not GovCloud or the isolated ones.
fn unsupported_partition(region: &str) -> Option<&'static str> {
    const OTHERS: &[(&str, &str)] = &[
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
    ];
    OTHERS
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map(|(_, partition)| *partition)
}

/// `" (request id …)"`: the id AWS Support asks for, kept in errors and logs.
fn request_id_note(request_id: Option<&str>) -> String {
    request_id.map_or_else(String::new, |id| format!(" (request id {id})"))
}

/// The attempts of a batch request (BatchGetItem, BatchWriteItem) that DynamoDB
/// may answer only in part: what it left unprocessed is sent again after a pause
/// that doubles ("BatchGetItem", "BatchWriteItem", DynamoDB API Reference), at
/// most 7 attempts and never past the operation's deadline (`CallPolicy`), so a
/// read waits no longer than any other call.
pub struct Unprocessed {
    what_is_left: &'static str,
    attempts: u32,
    pause: Duration,
    deadline: std::time::Instant,
}

impl Unprocessed {
    const ATTEMPTS: u32 = 7;

    pub fn new(what_is_left: &'static str, policy: &CallPolicy) -> Self {
        Self {
            what_is_left,
            attempts: 1,
            pause: Duration::from_millis(20),
            deadline: std::time::Instant::now() + policy.operation_timeout,
        }
    }

    /// Waits before the next attempt, or fails when the last one left some or
    /// the next would start past the deadline.
    pub async fn pause(&mut self) -> Result<(), StoreError> {
        let past_deadline = std::time::Instant::now() + self.pause >= self.deadline;
        if self.attempts >= Self::ATTEMPTS || past_deadline {
            return Err(StoreError::Unavailable(format!(
                "{} unprocessed after {} attempts",
                self.what_is_left, self.attempts
            )));
        }
        self.attempts += 1;
        tokio::time::sleep(self.pause).await;
        self.pause *= 2;
        Ok(())
    }
}

/// A condition expression with its placeholders.
struct Expression {
    text: String,
    placeholders: Placeholders,
}

/// Translates a port condition; `None` when unconditional. Rows past their
/// `ExpiresAt` count as absent, as TTL deletes them only eventually.
fn condition_expression(condition: &Condition, now: i64) -> Option<Expression> {
    let mut names = BTreeMap::from([
        ("#pk".to_string(), attr::PK.to_string()),
        ("#exp".to_string(), attr::EXPIRES_AT.to_string()),
    ]);
    let mut values = BTreeMap::from([(":now".to_string(), Value::n(now))]);
    let alive = "(attribute_exists(#pk) AND (attribute_not_exists(#exp) OR #exp > :now))";
    let text = match condition {
        Condition::None => return None,
        Condition::NotExists => "(attribute_not_exists(#pk) OR #exp <= :now)".to_string(),
        Condition::Exists => alive.to_string(),
        Condition::VersionIs(version) => {
            names.insert("#ver".into(), attr::VERSION.into());
            values.insert(":ver".into(), Value::n(version));
            format!("{alive} AND #ver = :ver")
        }
        Condition::StatusIs(status) => {
            names.insert("#st".into(), attr::STATUS.into());
            values.insert(":st".into(), Value::s(status));
            format!("{alive} AND #st = :st")
        }
    };
    Some(Expression {
        text,
        placeholders: Placeholders {
            expression_attribute_names: names,
            expression_attribute_values: values,
        },
    })
}

/// An Update of `key` by `expression` with its placeholders.
fn update<'a>(
    table: &'a str,
    key: &'a Key,
    expression: String,
    names: BTreeMap<String, String>,
    values: BTreeMap<String, Value>,
) -> wire::Update<'a> {
    wire::Update {
        table_name: table,
        key: KeyAttrs(key),
        update_expression: expression,
        condition_expression: None,
        placeholders: Placeholders {
            expression_attribute_names: names,
            expression_attribute_values: values,
        },
    }
}

/// `Write::Increment` as an Update.
fn increment<'a>(
    table: &'a str,
    key: &'a Key,
    entity_type: &str,
    by: i64,
    label: Option<&str>,
) -> wire::Update<'a> {
    let mut names = BTreeMap::from([
        ("#et".to_string(), attr::ENTITY_TYPE.to_string()),
        ("#count".to_string(), attr::COUNT.to_string()),
    ]);
    let mut values = BTreeMap::from([
        (":et".to_string(), Value::s(entity_type)),
        (":by".to_string(), Value::n(by)),
    ]);
    let update_expression = match label {
        Some(label) => {
            names.insert("#data".into(), attr::DATA.into());
            values.insert(":label".into(), Value::s(label));
            "SET #et = :et, #data = :label ADD #count :by".to_string()
        }
        None => "SET #et = :et ADD #count :by".to_string(),
    };
    update(table, key, update_expression, names, values)
}

/// `Write::Tally` as an Update. ADD creates a missing number attribute at 0
/// first, so one UpdateItem adds to every tally, existing or not.
fn tally<'a>(
    table: &'a str,
    key: &'a Key,
    entity_type: &str,
    by: &[(String, i64)],
    listed_at: Option<&Key>,
) -> wire::Update<'a> {
    let mut names = BTreeMap::from([("#et".to_string(), attr::ENTITY_TYPE.to_string())]);
    let mut values = BTreeMap::from([(":et".to_string(), Value::s(entity_type))]);
    let mut expression = String::with_capacity(64 + 16 * by.len());
    expression.push_str("SET #et = :et");
    if let Some(at) = listed_at {
        names.insert("#gpk".into(), attr::GSI1PK.into());
        names.insert("#gsk".into(), attr::GSI1SK.into());
        values.insert(":gpk".into(), Value::s(&at.pk));
        values.insert(":gsk".into(), Value::s(&at.sk));
        expression.push_str(", #gpk = :gpk, #gsk = :gsk");
    }
    // `ADD #t0 :t0, #t1 :t1, …`, written out: through `format!`, three times a
    // tally, a new visitor's dozen tallies were 4 % of its instructions.
    for (i, (name, count)) in by.iter().enumerate() {
        expression.push_str(if i == 0 { " ADD " } else { ", " });
        let name_placeholder = push_placeholder(&mut expression, "#t", i);
        expression.push(' ');
        let value_placeholder = push_placeholder(&mut expression, ":t", i);
        names.insert(name_placeholder, [TALLY_PREFIX, name].concat());
        values.insert(value_placeholder, Value::n(count));
    }
    update(table, key, expression, names, values)
}

/// `Write::Untally` as an Update: REMOVE each tally, on the condition that each
/// is 0 or absent.
fn untally<'a>(table: &'a str, key: &'a Key, names: &[String]) -> wire::Update<'a> {
    let mut attribute_names = BTreeMap::new();
    let mut removes = Vec::with_capacity(names.len());
    let mut conditions = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        attribute_names.insert(format!("#t{i}"), format!("{TALLY_PREFIX}{name}"));
        removes.push(format!("#t{i}"));
        conditions.push(format!("(attribute_not_exists(#t{i}) OR #t{i} = :zero)"));
    }
    let values = BTreeMap::from([(":zero".to_string(), Value::n(0))]);
    let mut update = update(
        table,
        key,
        format!("REMOVE {}", removes.join(", ")),
        attribute_names,
        values,
    );
    update.condition_expression = Some(conditions.join(" AND "));
    update
}

/// A condition split as the protocol writes it: the expression, its placeholders.
fn split(expression: Option<Expression>) -> (Option<String>, Option<Placeholders>) {
    match expression {
        Some(e) => (Some(e.text), Some(e.placeholders)),
        None => (None, None),
    }
}

/// The `ReturnValuesOnConditionCheckFailure` of `write`: `ALL_OLD` for a write
/// whose refusal answers the row that holds its key, so the cancellation reason
/// carries it ("TransactWriteItems", DynamoDB API Reference).
fn returning(write: &Write) -> Option<&'static str> {
    write.answers_holder().then_some("ALL_OLD")
}

/// A Put of the whole item on `expression`; `returning` is its
/// `ReturnValuesOnConditionCheckFailure`.
fn put<'a>(
    table: &'a str,
    item: &'a Item,
    expression: Option<Expression>,
    returning: Option<&'static str>,
) -> wire::Put<'a> {
    let (condition_expression, placeholders) = split(expression);
    wire::Put {
        table_name: table,
        item: wire::ItemAttrs(item),
        condition_expression,
        placeholders,
        return_values_on_condition_check_failure: returning,
    }
}

/// The condition of a Delete or a ConditionCheck, split as the protocol writes
/// it; `returning` is its `ReturnValuesOnConditionCheckFailure`.
fn conditional<'a>(
    table: &'a str,
    key: &'a Key,
    expression: Option<Expression>,
    returning: Option<&'static str>,
) -> wire::Conditional<'a> {
    let (condition_expression, placeholders) = split(expression);
    wire::Conditional {
        table_name: table,
        key: KeyAttrs(key),
        condition_expression,
        placeholders,
        return_values_on_condition_check_failure: returning,
    }
}

impl DynamoStore {
    pub fn new(http: DynamoHttp, table: impl Into<String>) -> Self {
        Self {
            http,
            table: table.into(),
            in_flight: tokio::sync::Semaphore::new(MAX_IN_FLIGHT),
            query_answers: answers::QueryAnswers::default(),
        }
    }

    /// The store of `table`, reached at `endpoint.url` when one is set (moto,
    /// DynamoDB Local, `AWS_ENDPOINT_URL_DYNAMODB`), else at the SDK configuration's
    /// endpoint (`AWS_ENDPOINT_URL`), else at the Region's; signed with the SDK
    /// configuration's credentials.
    pub fn connect(
        sdk: &SdkConfig,
        endpoint: &DynamoEndpoint,
        table: impl Into<String>,
    ) -> Result<Self, ConnectError> {
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .ok_or(ConnectError::NoRegion)?;
        // What folio's own client does not do, refused rather than ignored.
        if sdk.use_fips() == Some(true) {
            return Err(ConnectError::Unsupported {
                setting: "AWS_USE_FIPS_ENDPOINT",
                what: "FIPS endpoints".into(),
            });
        }
        if sdk.use_dual_stack() == Some(true) {
            return Err(ConnectError::Unsupported {
                setting: "AWS_USE_DUALSTACK_ENDPOINT",
                what: "dual-stack endpoints".into(),
            });
        }
        if endpoint.url.is_none()
            && sdk.endpoint_url().is_none()
            && let Some(partition) = unsupported_partition(&region)
        {
            return Err(ConnectError::Unsupported {
                setting: "AWS_REGION",
                what: format!("the {partition} partition (Region {region})"),
            });
        }
        let url = endpoint
            .url
            .as_deref()
            .or(sdk.endpoint_url())
            .map_or_else(|| regional_endpoint(&region), String::from);
        let credentials = sdk
            .credentials_provider()
            .ok_or(ConnectError::NoCredentials)?;
        let http = DynamoHttp::new(
            &url,
            endpoint.ca_bundle.as_deref(),
            &region,
            credentials,
            CallPolicy::AWS,
        )?;
        Ok(Self::new(http, table))
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

    /// One call under a slot, its failure mapped to the port's.
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        operation: Operation,
        request: &impl Serialize,
    ) -> Result<T, StoreError> {
        self.send(operation, request)
            .await?
            .map_err(|e| call_error(operation, e))
    }

    /// One call under a slot. The outer error is folio's own, before anything is
    /// sent; the inner one is the call's, unmapped, for callers that read more of
    /// it than `call_error` does (a transaction's cancellation reasons).
    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        operation: Operation,
        request: &impl Serialize,
    ) -> Result<Result<T, CallError>, StoreError> {
        Ok(self
            .send_bytes(operation, request)
            .await?
            .and_then(|bytes| http::parse(&bytes)))
    }

    /// `send`, the answer left unread.
    async fn send_bytes(
        &self,
        operation: Operation,
        request: &impl Serialize,
    ) -> Result<Result<bytes::Bytes, CallError>, StoreError> {
        let body = serde_json::to_vec(request)
            .map_err(|e| StoreError::Failed(format!("{}: {e}", operation.name())))?;
        let _slot = self.slot().await?;
        Ok(self.http.call_bytes(operation, body).await)
    }

    /// A Query's answer, read once per distinct answer (`answers`).
    async fn query_page(
        &self,
        request: &wire::Query<'_>,
    ) -> Result<Arc<answers::Answer>, StoreError> {
        self.send_bytes(Operation::Query, request)
            .await?
            .and_then(|bytes| self.query_answers.read(bytes))
            .map_err(|e| call_error(Operation::Query, e))
    }

    fn transact_item<'a>(&'a self, write: &'a Write, now: i64) -> wire::TransactItem<'a> {
        let table = self.table.as_str();
        match write {
            Write::Put { item, condition } => wire::TransactItem::Put(put(
                table,
                item,
                condition_expression(condition, now),
                None,
            )),
            Write::Claim { item } => wire::TransactItem::Put(put(
                table,
                item,
                condition_expression(&Condition::NotExists, now),
                returning(write),
            )),
            Write::Delete { key, condition } => wire::TransactItem::Delete(conditional(
                table,
                key,
                condition_expression(condition, now),
                None,
            )),
            Write::Increment {
                key,
                entity_type,
                by,
                label,
            } => wire::TransactItem::Update(increment(
                table,
                key,
                entity_type,
                *by,
                label.as_deref(),
            )),
            Write::Tally {
                key,
                entity_type,
                by,
                listed_at,
            } => wire::TransactItem::Update(tally(table, key, entity_type, by, listed_at.as_ref())),
            Write::Untally { key, names } => wire::TransactItem::Update(untally(table, key, names)),
            Write::Check { key, condition } => {
                let expression = condition_expression(condition, now).unwrap_or(Expression {
                    text: "attribute_exists(#pk) OR attribute_not_exists(#pk)".into(),
                    placeholders: Placeholders {
                        expression_attribute_names: BTreeMap::from([(
                            "#pk".into(),
                            attr::PK.into(),
                        )]),
                        expression_attribute_values: BTreeMap::new(),
                    },
                });
                wire::TransactItem::ConditionCheck(conditional(table, key, Some(expression), None))
            }
            Write::Absent { key } => wire::TransactItem::ConditionCheck(conditional(
                table,
                key,
                condition_expression(&Condition::NotExists, now),
                returning(write),
            )),
        }
    }
}

/// What a cancelled transaction means: a condition of ours failed (the index of the
/// first such write), or a concurrent transaction got in the way (retry).
#[derive(Debug, PartialEq)]
enum Cancelled {
    /// The write's index, and the item that failed its condition if the write
    /// asked for it.
    Condition(usize, Option<Box<Item>>),
    Conflict,
    Other(String),
}

/// Whether DynamoDB refused an update that would grow an item past 400 KB: a
/// `ValidationException` ("Item size to update has exceeded the maximum allowed
/// size", as moto answers) or a cancelled transaction whose reason says so.
fn grew_too_large(error: &CallError) -> bool {
    matches!(error, CallError::Service { code, message, .. }
        if matches!(code.as_str(), "ValidationException" | "TransactionCanceledException")
            && message.contains("Item size"))
}

/// Reads a `TransactionCanceledException`: one reason per action, in order
/// ("TransactWriteItems", DynamoDB API Reference: CancellationReasons).
fn cancellation(error: &CallError) -> Option<Cancelled> {
    let CallError::Service {
        code,
        message,
        cancellation_reasons,
        ..
    } = error
    else {
        return None;
    };
    if code != "TransactionCanceledException" {
        return None;
    }
    if let Some(index) = cancellation_reasons
        .iter()
        .position(|r| r.code.as_deref() == Some("ConditionalCheckFailed"))
    {
        let holder = cancellation_reasons[index]
            .item
            .as_deref()
            .and_then(|item| serde_json::from_str::<wire::WireItem>(item).ok())
            .map(|item| Box::new(item.0));
        return Some(Cancelled::Condition(index, holder));
    }
    if cancellation_reasons.iter().any(|r| {
        matches!(
            r.code.as_deref(),
            Some("TransactionConflict" | "ThrottlingError")
        )
    }) {
        return Some(Cancelled::Conflict);
    }
    Some(Cancelled::Other(if message.is_empty() {
        "transaction cancelled".into()
    } else {
        message.clone()
    }))
}

/// The `ProjectionExpression` of a read returning `attributes`, its names added to
/// `names`. A name holding `:` (a tally's) must be a placeholder, so every name is
/// one; the projection saves transfer only, since DynamoDB bills the item's whole
/// size ("Using projection expressions in DynamoDB", Amazon DynamoDB Developer
/// Guide: <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ProjectionExpressions.html>).
fn projection(attributes: Attributes, names: &mut BTreeMap<String, String>) -> Option<String> {
    let Attributes::WithoutData { tallies } = attributes else {
        return None;
    };
    // Written out, not through `format!`: a read's projection was 3 % of a post
    // by slug's instructions (BENCHMARKS.md, issue 33).
    let mut expression = String::with_capacity(5 * (attr::HEAD.len() + tallies.len()));
    let all = attr::HEAD
        .iter()
        .map(|name| (*name).to_string())
        .chain(tallies.iter().map(|name| [TALLY_PREFIX, name].concat()));
    for (i, name) in all.enumerate() {
        if i > 0 {
            expression.push_str(", ");
        }
        names.insert(push_placeholder(&mut expression, "#a", i), name);
    }
    Some(expression)
}

/// The placeholder `prefix` and `n` in decimal (`#t12`), written after what `out`
/// holds, and returned.
fn push_placeholder(out: &mut String, prefix: &str, n: usize) -> String {
    fn push_decimal(out: &mut String, n: usize) {
        if n >= 10 {
            push_decimal(out, n / 10);
        }
        out.push(char::from(b'0' + (n % 10) as u8));
    }
    let start = out.len();
    out.push_str(prefix);
    push_decimal(out, n);
    out[start..].to_string()
}

/// A `ClientRequestToken`: 32 hex digits from the OS's generator (1 to 36
/// characters allowed).
fn request_token() -> Result<String, StoreError> {
    let bytes = crate::support::random::bytes::<16>()
        .map_err(|_| StoreError::Failed("no entropy for a transaction token".into()))?;
    Ok(folio_shared::digest::hex(&bytes))
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.get_with(key, Attributes::All).await
    }

    async fn get_with(
        &self,
        key: &Key,
        attributes: Attributes,
    ) -> Result<Option<Item>, StoreError> {
        let mut names = BTreeMap::new();
        let projection = projection(attributes, &mut names);
        let output: wire::GetItemOutput = self
            .call(
                Operation::GetItem,
                &wire::GetItem {
                    table_name: &self.table,
                    key: KeyAttrs(key),
                    consistent_read: true,
                    projection_expression: projection.as_deref(),
                    expression_attribute_names: names,
                },
            )
            .await?;
        Ok(output
            .item
            .map(|row| row.0)
            .filter(|item| !item.is_expired(unix_now())))
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
            let request = wire::KeysAndAttributes {
                keys: chunk.iter().map(|key| KeyAttrs(key)).collect(),
                consistent_read: true,
            };
            let mut output: wire::BatchGetItemOutput = self
                .call(
                    Operation::BatchGetItem,
                    &wire::RequestItems(&self.table, &request),
                )
                .await?;
            let mut retry = Unprocessed::new("BatchGetItem left keys", &CallPolicy::AWS);
            loop {
                for row in output.responses.remove(&self.table).into_iter().flatten() {
                    if !row.0.is_expired(now) {
                        found.insert(row.0.key(), row.0);
                    }
                }
                let rest = output.unprocessed_keys.remove(&self.table);
                let any_left = rest.as_ref().is_some_and(|rest| {
                    rest.get("Keys")
                        .and_then(|keys| keys.as_array())
                        .is_some_and(|keys| !keys.is_empty())
                });
                match rest {
                    Some(rest) if any_left => {
                        retry.pause().await?;
                        output = self
                            .call(
                                Operation::BatchGetItem,
                                &wire::RequestItems(&self.table, &rest),
                            )
                            .await?;
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
        let mut names = BTreeMap::from([("#pk".to_string(), pk_name.to_string())]);
        let mut values = BTreeMap::from([(":pk".to_string(), Value::s(&query.pk))]);
        let condition = match &query.range {
            SortKeyRange::All => "#pk = :pk",
            SortKeyRange::BeginsWith(prefix) => {
                names.insert("#sk".into(), sk_name.into());
                values.insert(":prefix".into(), Value::s(prefix));
                "#pk = :pk AND begins_with(#sk, :prefix)"
            }
            SortKeyRange::Between(low, high) => {
                names.insert("#sk".into(), sk_name.into());
                values.insert(":low".into(), Value::s(low));
                values.insert(":high".into(), Value::s(high));
                "#pk = :pk AND #sk BETWEEN :low AND :high"
            }
        };
        let projection = projection(query.attributes, &mut names);
        let placeholders = Placeholders {
            expression_attribute_names: names,
            expression_attribute_values: values,
        };
        let now = unix_now();
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let answer = self
                .query_page(&wire::Query {
                    table_name: &self.table,
                    index_name: index,
                    // GSIs are eventually consistent only; the table is read
                    // consistently.
                    consistent_read: index.is_none(),
                    key_condition_expression: condition,
                    projection_expression: projection.as_deref(),
                    placeholders: &placeholders,
                    scan_index_forward: !query.descending,
                    limit: query.limit.map(|l| l.saturating_sub(items.len())),
                    exclusive_start_key: start.take(),
                })
                .await?;
            for row in &answer.output.items {
                if !row.0.is_expired(now) && query.limit.is_none_or(|l| items.len() < l) {
                    items.push(row.0.clone());
                }
            }
            match &answer.output.last_evaluated_key {
                Some(_) if query.limit.is_some_and(|l| items.len() >= l) => break,
                Some(last) if last.as_object().is_some_and(|key| !key.is_empty()) => {
                    start = Some(last.clone());
                }
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
        let request = wire::TransactWriteItems {
            transact_items: writes.iter().map(|w| self.transact_item(w, now)).collect(),
            client_request_token: request_token()?,
        };
        let error = match self
            .send::<wire::Ignored>(Operation::TransactWriteItems, &request)
            .await?
        {
            Ok(_) => return Ok(()),
            Err(error) => error,
        };
        if grew_too_large(&error) {
            return Err(StoreError::Limit(Limit::UpdatedItemSize {
                max: limits::MAX_ITEM_BYTES,
            }));
        }
        match cancellation(&error) {
            Some(Cancelled::Condition(index, holder)) => {
                Err(StoreError::ConditionFailed { index, holder })
            }
            // Retried by `resilience::RetryConflicts`, the same for every adapter.
            Some(Cancelled::Conflict) => Err(StoreError::Conflict(
                "a concurrent transaction touched the same items".into(),
            )),
            Some(Cancelled::Other(message)) => Err(StoreError::Failed(message)),
            None => Err(call_error(Operation::TransactWriteItems, error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cancelled(reasons: &[Option<&str>]) -> CallError {
        CallError::Service {
            status: 400,
            code: "TransactionCanceledException".into(),
            message: "Transaction cancelled".into(),
            cancellation_reasons: reasons
                .iter()
                .map(|r| http::CancellationReason {
                    code: r.map(String::from),
                    item: None,
                })
                .collect(),
            request_id: None,
        }
    }

    #[test]
    fn a_projected_read_returns_what_item_project_keeps() {
        // Every attribute a row is written with, as DynamoDB would keep of it
        // under the projection: the same row as the embedded store's `project`.
        let row = Item {
            pk: "BLOG#a".into(),
            sk: "META".into(),
            gsi1pk: Some("LIST".into()),
            gsi1sk: Some("2026".into()),
            entity_type: "Post".into(),
            status: Some("published".into()),
            created_at: Some("c".into()),
            updated_at: Some("u".into()),
            data: Some("{}".into()),
            version: 3,
            count: 2,
            expires_at: Some(9),
            tallies: BTreeMap::from([("all".into(), 4), ("tag:x".into(), 1)]),
            layout: 1,
        };
        let attributes = Attributes::WithoutData { tallies: &["all"] };
        let mut names = BTreeMap::new();
        let expression = projection(attributes, &mut names).unwrap();
        let kept: Vec<&String> = expression.split(", ").map(|p| &names[p]).collect();
        let written = serde_json::to_value(wire::ItemAttrs(&row)).unwrap();
        let projected: serde_json::Map<String, serde_json::Value> = written
            .as_object()
            .unwrap()
            .iter()
            .filter(|(name, _)| kept.contains(name))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        let read: wire::WireItem =
            serde_json::from_value(serde_json::Value::Object(projected)).unwrap();
        assert_eq!(read.0, row.clone().project(attributes));
        assert_eq!(projection(Attributes::All, &mut names), None);
        // Past ten names, each placeholder is still its own: `#a10` after `#a9`.
        const MANY: &[&str] = &["a", "b", "c", "d", "e", "f"];
        let mut names = BTreeMap::new();
        let expression = projection(Attributes::WithoutData { tallies: MANY }, &mut names).unwrap();
        let placeholders: Vec<&str> = expression.split(", ").collect();
        assert_eq!(placeholders.len(), attr::HEAD.len() + MANY.len());
        assert_eq!(placeholders[10], "#a10");
        assert_eq!(names["#a12"], format!("{TALLY_PREFIX}f"));
        assert_eq!(names.len(), placeholders.len());
    }

    #[test]
    fn a_tally_update_adds_each_tally_under_its_own_placeholders() {
        let key = Key::new("AUD#2026-12-06#eu-west-1", "META");
        let at = Key::new("LIST", "2026-12-06");
        let by: Vec<(String, i64)> = (0..12).map(|i| (format!("dim:{i}"), i + 1)).collect();
        let update = tally("t", &key, "Audience", &by, Some(&at));
        let adds: Vec<String> = (0..12).map(|i| format!("#t{i} :t{i}")).collect();
        assert_eq!(
            update.update_expression,
            format!(
                "SET #et = :et, #gpk = :gpk, #gsk = :gsk ADD {}",
                adds.join(", ")
            )
        );
        let names = &update.placeholders.expression_attribute_names;
        let values = &update.placeholders.expression_attribute_values;
        for (i, (name, count)) in by.iter().enumerate() {
            assert_eq!(names[&format!("#t{i}")], format!("{TALLY_PREFIX}{name}"));
            assert_eq!(values[&format!(":t{i}")], Value::n(count));
        }
        assert_eq!((names.len(), values.len()), (12 + 3, 12 + 3));
        // No tally: the SET alone.
        let update = tally("t", &key, "Audience", &[], None);
        assert_eq!(update.update_expression, "SET #et = :et");
    }

    #[test]
    fn a_cancelled_transaction_names_the_first_failed_condition_or_a_conflict() {
        assert_eq!(
            cancellation(&cancelled(&[Some("None"), Some("ConditionalCheckFailed")])),
            Some(Cancelled::Condition(1, None))
        );
        assert_eq!(
            cancellation(&cancelled(&[Some("TransactionConflict"), None])),
            Some(Cancelled::Conflict)
        );
        assert_eq!(
            cancellation(&cancelled(&[Some("ValidationError")])),
            Some(Cancelled::Other("Transaction cancelled".into()))
        );
        assert_eq!(cancellation(&CallError::Transport("x".into())), None);
    }

    /// A claim and an absence check ask DynamoDB for the item that fails their
    /// condition, and a cancellation carrying it answers that item, as the
    /// store's row.
    #[test]
    fn a_failed_claim_answers_the_row_that_holds_its_key() {
        let held = Item {
            pk: "VISIT#2026-12-07".into(),
            sk: "k".into(),
            entity_type: "VisitMarker".into(),
            data: Some("ab3de".into()),
            expires_at: Some(1_800_000_000),
            ..Item::default()
        };
        let store = DynamoStore::connect(
            &sdk("us-east-1", false, false),
            &DynamoEndpoint::default(),
            "t",
        )
        .unwrap();
        let store_item =
            |write: &Write| serde_json::to_value(store.transact_item(write, 0)).unwrap();
        let claim = store_item(&Write::Claim { item: held.clone() });
        assert_eq!(
            claim["Put"]["ReturnValuesOnConditionCheckFailure"],
            "ALL_OLD"
        );
        let put = store_item(&Write::Put {
            item: held.clone(),
            condition: Condition::NotExists,
        });
        assert_eq!(
            claim["Put"]["ConditionExpression"],
            put["Put"]["ConditionExpression"]
        );
        assert!(
            put["Put"]
                .get("ReturnValuesOnConditionCheckFailure")
                .is_none()
        );
        // An absence check is a ConditionCheck on the claim's condition, asking
        // for the holder too; a plain check does not.
        let absent = store_item(&Write::Absent { key: held.key() });
        assert_eq!(
            absent["ConditionCheck"]["ReturnValuesOnConditionCheckFailure"],
            "ALL_OLD"
        );
        assert_eq!(
            absent["ConditionCheck"]["ConditionExpression"],
            put["Put"]["ConditionExpression"]
        );
        let check = store_item(&Write::Check {
            key: held.key(),
            condition: Condition::Exists,
        });
        assert!(
            check["ConditionCheck"]
                .get("ReturnValuesOnConditionCheckFailure")
                .is_none()
        );

        let mut error = cancelled(&[Some("ConditionalCheckFailed"), Some("None")]);
        if let CallError::Service {
            cancellation_reasons,
            ..
        } = &mut error
        {
            cancellation_reasons[0].item =
                Some(serde_json::to_string(&wire::ItemAttrs(&held)).unwrap());
        }
        assert_eq!(
            cancellation(&error),
            Some(Cancelled::Condition(0, Some(Box::new(held))))
        );
    }

    fn service(status: u16, code: &str) -> CallError {
        CallError::Service {
            status,
            code: code.into(),
            message: "m".into(),
            cancellation_reasons: Vec::new(),
            request_id: Some("REQ-7".into()),
        }
    }

    /// An SDK configuration of `region`, with FIPS and dual-stack as given.
    fn sdk(region: &str, fips: bool, dual_stack: bool) -> aws_config::SdkConfig {
        let credentials =
            aws_credential_types::Credentials::new("AK", "secret", None, None, "test");
        aws_config::SdkConfig::builder()
            .region(aws_config::Region::new(region.to_string()))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
            )
            .use_fips(fips)
            .use_dual_stack(dual_stack)
            .build()
    }

    /// What folio's own client cannot do is refused at start, naming the setting,
    /// instead of being ignored (a FIPS-only account would otherwise send its
    /// data to a non-FIPS endpoint).
    #[test]
    fn fips_dual_stack_and_other_partitions_are_refused_at_start_by_name() {
        let endpoint = DynamoEndpoint::default();
        let refused = |config: aws_config::SdkConfig| {
            DynamoStore::connect(&config, &endpoint, "t")
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let fips = refused(sdk("us-east-1", true, false));
        assert!(fips.starts_with("setting AWS_USE_FIPS_ENDPOINT:"), "{fips}");
        let dual = refused(sdk("us-east-1", false, true));
        assert!(
            dual.starts_with("setting AWS_USE_DUALSTACK_ENDPOINT:"),
            "{dual}"
        );
        let gov = refused(sdk("us-gov-west-1", false, false));
        assert!(
            gov.starts_with("setting AWS_REGION:") && gov.contains("aws-us-gov"),
            "{gov}"
        );
        for region in ["us-east-1", "eu-west-1", "cn-north-1"] {
            assert!(
                DynamoStore::connect(&sdk(region, false, false), &endpoint, "t").is_ok(),
                "{region}"
            );
        }
        // An endpoint named by hand is the user's to choose.
        let named = DynamoEndpoint {
            url: Some("http://127.0.0.1:8000".into()),
            ca_bundle: None,
        };
        assert!(DynamoStore::connect(&sdk("us-gov-west-1", false, false), &named, "t").is_ok());
    }

    #[test]
    fn store_errors_carry_dynamodbs_request_id() {
        let failed = call_error(Operation::Query, service(400, "ValidationException"));
        assert!(
            failed.to_string().contains("(request id REQ-7)"),
            "{failed}"
        );
        let busy = call_error(Operation::Query, service(500, "InternalServerError"));
        assert!(busy.to_string().contains("(request id REQ-7)"), "{busy}");
    }

    #[tokio::test]
    async fn unprocessed_batches_give_up_at_the_operations_deadline() {
        let policy = CallPolicy {
            operation_timeout: Duration::from_millis(50),
            ..CallPolicy::AWS
        };
        let mut retry = Unprocessed::new("keys", &policy);
        let started = std::time::Instant::now();
        let mut paused = 0;
        while retry.pause().await.is_ok() {
            paused += 1;
        }
        // 20 ms, then 40 ms would pass the 50 ms deadline: one pause, not six.
        assert_eq!(paused, 1);
        assert!(started.elapsed() < Duration::from_millis(50));
    }

    #[test]
    fn what_is_tried_again_answers_unavailable_once_the_attempts_run_out() {
        let retried = aws_runtime::retries::classifiers::THROTTLING_ERRORS
            .iter()
            .map(|code| service(400, code))
            .chain([
                service(500, "InternalServerError"),
                service(502, "HTTP 502"),
            ])
            .chain([CallError::Transport("reset".into())]);
        for error in retried {
            assert!(error.is_transient(), "{error:?}");
            assert!(
                matches!(
                    call_error(Operation::Query, error.clone()),
                    StoreError::Unavailable(_)
                ),
                "{error:?}"
            );
        }
        for code in ["ValidationException", "AccessDeniedException"] {
            let error = service(400, code);
            assert!(!error.is_transient());
            assert!(matches!(
                call_error(Operation::Query, error),
                StoreError::Failed(_)
            ));
        }
        // Not tried again, yet the service cannot work: a 503, not a 500.
        assert!(matches!(
            call_error(Operation::Query, service(400, "ResourceNotFoundException")),
            StoreError::Unavailable(m) if m.contains("check TABLE_NAME")
        ));
        assert!(matches!(
            call_error(Operation::Query, service(400, "AccessDeniedException")),
            StoreError::Failed(m) if m.contains("grant it in IAM")
        ));
    }

    #[test]
    fn every_transaction_carries_a_fresh_idempotency_token_within_dynamodbs_limit() {
        let (a, b) = (request_token().unwrap(), request_token().unwrap());
        assert_ne!(a, b);
        assert!((1..=36).contains(&a.len()));
    }

    #[test]
    fn the_regional_endpoint_follows_the_partition() {
        assert_eq!(
            regional_endpoint("eu-west-1"),
            "https://dynamodb.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            regional_endpoint("cn-north-1"),
            "https://dynamodb.cn-north-1.amazonaws.com.cn"
        );
    }
}
