//! What a use case refuses, or why it failed: the use cases' one error type,
//! turned into an HTTP answer only by `crate::http::error`.

use folio_shared::FieldError;

use crate::ports::StoreError;
use crate::repo::RepoError;
use crate::support::random::NoEntropy;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UseCaseError {
    #[error("not found")]
    NotFound,
    /// A change that collides with what is stored.
    #[error("{0}")]
    Conflict(String),
    /// The item changed since it was read: nothing was written.
    #[error("the item changed since it was read")]
    Changed,
    #[error("{0}")]
    Invalid(FieldError),
    /// An input refused as a whole (not one field's fault).
    #[error("{0}")]
    Refused(String),
    /// Too much from one client: try again after `retry_after_secs`.
    #[error("{message}")]
    Throttled {
        message: String,
        retry_after_secs: u64,
    },
    /// A stored row or value that cannot be read or written as it should; for the logs.
    #[error("{0}")]
    Corrupt(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    NoEntropy(#[from] NoEntropy),
    #[error(transparent)]
    Media(#[from] crate::ports::media::MediaError),
}

impl From<RepoError> for UseCaseError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::Conflict(message) => UseCaseError::Conflict(message),
            RepoError::Changed => UseCaseError::Changed,
            RepoError::Corrupt(message) => UseCaseError::Corrupt(message),
            RepoError::Store(store) => UseCaseError::Store(store),
        }
    }
}

impl From<FieldError> for UseCaseError {
    fn from(e: FieldError) -> Self {
        UseCaseError::Invalid(e)
    }
}
