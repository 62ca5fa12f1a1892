//! The command line's one error type: a command's own refusal, worded for the
//! person at the terminal, or the typed error of the layer that stopped it.
//! `main` prints it as one line.

use folio_edge::package::PackageError;
use folio_origin::adapters::aws::dynamo::ConnectError;
use folio_origin::ports::{IdentityError, StoreError};
use folio_origin::repo::RepoError;
use folio_origin::support::private_files::FileError;
use folio_origin::usecases::error::UseCaseError;
use folio_origin::wiring::error::{ConfigError, StartError};
use folio_shared::jwt::JwksError;

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The command's own refusal: what is wrong and what to do.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Package(#[from] PackageError),
    #[error(transparent)]
    Jwks(#[from] JwksError),
    #[error(transparent)]
    DynamoDb(#[from] ConnectError),
    #[error(transparent)]
    UseCase(#[from] UseCaseError),
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl From<String> for CommandError {
    fn from(message: String) -> Self {
        CommandError::Refused(message)
    }
}

impl From<&str> for CommandError {
    fn from(message: &str) -> Self {
        CommandError::Refused(message.to_string())
    }
}
