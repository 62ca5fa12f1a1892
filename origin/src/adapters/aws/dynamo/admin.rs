//! Creating the table: a command a person runs once (`folio table create`, the
//! test suites), not a request path, so it goes through aws-sdk-dynamodb.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};

use super::{KeySpec, table_definition};
use crate::adapters::aws::error::explain;
use crate::ports::store::StoreError;

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
