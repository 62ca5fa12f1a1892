//! The table's administration, off the request path, through aws-sdk-dynamodb:
//! creating it (`folio table create`, `folio aws-init`, the test suites) and bulk
//! loads. The origin Lambda links no DynamoDB SDK: its own client sends the
//! request path's four calls only (`folio_origin::adapters::aws::dynamo`).

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};

use folio_origin::adapters::aws::call_policy::CallPolicy;
use folio_origin::adapters::aws::dynamo::{KeySpec, Unprocessed, table_definition, wire};
use folio_origin::adapters::aws::error::explain;
use folio_origin::ports::store::{Item, StoreError};
use folio_origin::wiring::aws::AwsSettings;

fn sdk_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    operation: &str,
    error: SdkError<E>,
) -> StoreError {
    match &error {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(explain(operation, &error))
        }
        _ => StoreError::Failed(explain(operation, &error)),
    }
}

fn built(error: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Failed(error.to_string())
}

/// Creates `table` as `table_definition()` describes it, with TTL on, and waits
/// until it is active. An existing table is left as it is (`Ok(false)`).
pub async fn create_table(client: &Client, table: &str) -> Result<bool, StoreError> {
    let definition = table_definition();
    let key_schema = |keys: &[KeySpec]| -> Result<Vec<KeySchemaElement>, StoreError> {
        keys.iter()
            .map(|key| {
                KeySchemaElement::builder()
                    .attribute_name(key.attribute_name)
                    .key_type(KeyType::from(key.key_type))
                    .build()
                    .map_err(built)
            })
            .collect()
    };
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::from(definition.billing_mode))
        .set_key_schema(Some(key_schema(&definition.key_schema)?));
    for attribute in &definition.attribute_definitions {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attribute.attribute_name)
                .attribute_type(ScalarAttributeType::from(attribute.attribute_type))
                .build()
                .map_err(built)?,
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
                .map_err(built)?,
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
        let described = client
            .describe_table()
            .table_name(table)
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
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(definition.time_to_live_specification.enabled)
                .attribute_name(definition.time_to_live_specification.attribute_name)
                .build()
                .map_err(built)?,
        )
        .send()
        .await
        .map_err(|e| sdk_error("UpdateTimeToLive", e))?;
    Ok(true)
}

/// A row in the SDK's shape, read from the one place rows are spelled
/// (`wire::ItemAttrs`): folio writes strings and numbers only.
fn sdk_item(
    item: &Item,
) -> Result<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>, StoreError>
{
    use aws_sdk_dynamodb::types::AttributeValue;
    let json = serde_json::to_value(wire::ItemAttrs(item))
        .map_err(|e| StoreError::Failed(format!("row {}: {e}", item.pk)))?;
    let serde_json::Value::Object(attributes) = json else {
        return Err(StoreError::Failed(format!("row {} is not a map", item.pk)));
    };
    attributes
        .into_iter()
        .map(|(name, value)| {
            let typed = match (value.get("S"), value.get("N")) {
                (Some(serde_json::Value::String(s)), _) => AttributeValue::S(s.clone()),
                (_, Some(serde_json::Value::String(n))) => AttributeValue::N(n.clone()),
                _ => {
                    return Err(StoreError::Failed(format!(
                        "row {}: attribute {name} is neither a string nor a number",
                        item.pk
                    )));
                }
            };
            Ok((name, typed))
        })
        .collect()
}

/// Writes rows as they are, 25 to a BatchWriteItem, without conditions and
/// outside any transaction: a bulk load into a table that nothing else writes
/// meanwhile. The catalogue bench seeds moto with it (moto copies every table on
/// each TransactWriteItems, so 10,000 posts written one transaction each would
/// take hours). Unprocessed items are sent again after a pause ("BatchWriteItem",
/// DynamoDB API Reference).
pub async fn load_rows(client: &Client, table: &str, rows: &[Item]) -> Result<(), StoreError> {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    const BATCH: usize = 25;
    for chunk in rows.chunks(BATCH) {
        let requests = chunk
            .iter()
            .map(|row| {
                let put = PutRequest::builder()
                    .set_item(Some(sdk_item(row)?))
                    .build()
                    .map_err(built)?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut pending = std::collections::HashMap::from([(table.to_string(), requests)]);
        let mut retry = Unprocessed::new("BatchWriteItem left items", &CallPolicy::AWS);
        loop {
            let output = client
                .batch_write_item()
                .set_request_items(Some(pending))
                .send()
                .await
                .map_err(|e| sdk_error("BatchWriteItem", e))?;
            match output.unprocessed_items {
                Some(rest) if rest.values().any(|r| !r.is_empty()) => {
                    retry.pause().await?;
                    pending = rest;
                }
                _ => break,
            }
        }
    }
    Ok(())
}

/// An SDK client of the table's endpoint (`AWS_ENDPOINT_URL_DYNAMODB` when set):
/// for creating the table, bulk loads, and tests that look at rows as DynamoDB
/// holds them.
pub fn client(settings: &AwsSettings, sdk: &aws_config::SdkConfig) -> Client {
    let mut config = aws_sdk_dynamodb::config::Builder::from(sdk);
    if let Some(endpoint) = &settings.dynamodb.url {
        config = config.endpoint_url(endpoint);
    }
    Client::from_conf(config.build())
}
