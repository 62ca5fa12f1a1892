//! Domain operations over the store port, written once for every adapter.

pub mod content;

use folio_shared::ApiError;

use crate::ports::StoreError;
use crate::ports::store::Limit;

/// The one mapping from store failures to API errors. Condition failures are
/// handled where they mean something; reaching here they are a lost race.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::ConditionFailed { .. } => {
                ApiError::Conflict("The item changed concurrently; retry the request".into())
            }
            StoreError::Unavailable(message) => {
                tracing::warn!(error = %message, "store unavailable");
                ApiError::Unavailable {
                    message: "The data store is temporarily unavailable".into(),
                    retry_after_secs: 2,
                }
            }
            StoreError::Conflict(message) => {
                tracing::warn!(error = %message, "transaction kept conflicting");
                ApiError::Unavailable {
                    message: "The data store is busy with concurrent writes; retry shortly".into(),
                    retry_after_secs: 1,
                }
            }
            StoreError::Limit(Limit::ItemSize { size, max }) => {
                ApiError::ItemTooLarge { size, limit: max }
            }
            StoreError::Limit(limit) => ApiError::BadRequest(limit.to_string()),
            StoreError::Failed(message) => ApiError::Internal(message),
        }
    }
}
