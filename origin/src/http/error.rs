//! The one place the origin's errors become HTTP answers: every layer below has
//! typed errors of its own, turned into `ApiError` here (and logged here, once,
//! where the cause is for the operator and not for the client).

use folio_shared::ApiError;

use crate::ports::IdentityError;
use crate::ports::StoreError;
use crate::ports::media::MediaError;
use crate::ports::store::Limit;
use crate::repo::RepoError;
use crate::support::random::NoEntropy;
use crate::usecases::error::UseCaseError;

/// The store's failures. Condition failures are handled where they mean
/// something; reaching here they are a lost race.
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

/// The identity provider's refusals and failures.
impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::WrongCredentials => ApiError::Unauthorized(e.to_string()),
            IdentityError::RefreshRefused(message) => ApiError::Unauthorized(message),
            IdentityError::NotAllowed(message) => ApiError::Forbidden(message),
            IdentityError::Invalid(field) => ApiError::Validation(field),
            IdentityError::Refused(message) => ApiError::BadRequest(message),
            IdentityError::Conflict(message) => ApiError::Conflict(message),
            IdentityError::UnknownUser => ApiError::NotFound,
            IdentityError::Throttled {
                message,
                retry_after_secs,
            } => ApiError::TooManyRequests {
                message,
                retry_after_secs,
            },
            IdentityError::Unavailable { detail } => {
                tracing::warn!(error = %detail, "identity provider unavailable");
                ApiError::Unavailable {
                    message: "The identity provider is temporarily unavailable".into(),
                    retry_after_secs: 2,
                }
            }
            IdentityError::Store(store) => store.into(),
            IdentityError::Failed(message) => ApiError::Internal(message),
        }
    }
}

impl From<MediaError> for ApiError {
    fn from(e: MediaError) -> Self {
        match e {
            MediaError::NoCredentials(_) => ApiError::Unavailable {
                message: e.to_string(),
                retry_after_secs: 1,
            },
            MediaError::NoEntropy(e) => e.into(),
            MediaError::Storage(_) => ApiError::Unavailable {
                message: e.to_string(),
                retry_after_secs: 1,
            },
        }
    }
}

impl From<NoEntropy> for ApiError {
    fn from(e: NoEntropy) -> Self {
        ApiError::Internal(e.to_string())
    }
}

/// A repository's refusal means what it means to a use case: one mapping serves both.
impl From<RepoError> for ApiError {
    fn from(e: RepoError) -> Self {
        UseCaseError::from(e).into()
    }
}

impl From<UseCaseError> for ApiError {
    fn from(e: UseCaseError) -> Self {
        match e {
            UseCaseError::NotFound => ApiError::NotFound,
            UseCaseError::Conflict(message) => ApiError::Conflict(message),
            UseCaseError::Changed => ApiError::PreconditionFailed,
            UseCaseError::Invalid(field) => ApiError::Validation(field),
            UseCaseError::Refused(message) => ApiError::BadRequest(message),
            UseCaseError::Throttled {
                message,
                retry_after_secs,
            } => ApiError::TooManyRequests {
                message,
                retry_after_secs,
            },
            UseCaseError::Corrupt(message) => ApiError::Internal(message),
            UseCaseError::Store(store) => store.into(),
            UseCaseError::NoEntropy(e) => e.into(),
            UseCaseError::Media(e) => e.into(),
        }
    }
}
