//! The identity port: signing in and out against a user pool.

use async_trait::async_trait;
use folio_shared::FieldError;
use folio_shared::domain::Email;

use crate::ports::store::StoreError;
use crate::support::random::NoEntropy;

/// The one answer to a wrong password and to an unknown user alike, so sign-in does
/// not reveal which accounts exist.
pub const WRONG_CREDENTIALS: &str = "Invalid email or password";

/// What an identity provider refuses, or why it failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IdentityError {
    /// A wrong password or an unknown user: one answer for both.
    #[error("{}", WRONG_CREDENTIALS)]
    WrongCredentials,
    /// A refresh token that is malformed, unknown, expired or revoked.
    #[error("{0}")]
    RefreshRefused(String),
    /// The account may not sign in as it is (not confirmed, a reset or a challenge
    /// pending).
    #[error("{0}")]
    NotAllowed(String),
    /// A value the provider refuses, by field (a password against the policy).
    #[error("{0}")]
    Invalid(FieldError),
    /// A request the provider refuses as a whole.
    #[error("{0}")]
    Refused(String),
    /// A change that collides with another account or a concurrent change.
    #[error("{0}")]
    Conflict(String),
    #[error("no such user")]
    UnknownUser,
    /// Too many attempts: try again after `retry_after_secs`.
    #[error("{message}")]
    Throttled {
        message: String,
        retry_after_secs: u64,
    },
    /// The provider cannot be reached or is failing; `detail` is for the logs.
    #[error("the identity provider is unavailable: {detail}")]
    Unavailable { detail: String },
    /// The local issuer's store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else (an answer that cannot be used, a bug); for the logs.
    #[error("{0}")]
    Failed(String),
}

impl From<FieldError> for IdentityError {
    fn from(e: FieldError) -> Self {
        IdentityError::Invalid(e)
    }
}

impl From<NoEntropy> for IdentityError {
    fn from(e: NoEntropy) -> Self {
        IdentityError::Failed(e.to_string())
    }
}

/// Tokens handed to a client after sign-in or refresh.
#[derive(Debug, Clone)]
pub struct Session {
    /// The ID token (what clients send as `Authorization: Bearer`).
    pub id_token: String,
    pub refresh_token: String,
    /// Lifetime of the ID token, in seconds.
    pub expires_in: u64,
}

#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// A wrong e-mail or password is `WrongCredentials`, one answer for both.
    async fn sign_in(&self, email: &Email, password: &str) -> Result<Session, IdentityError>;
    /// A new ID token for a refresh token that has not been revoked.
    async fn refresh(&self, refresh_token: &str) -> Result<Session, IdentityError>;
    /// Revokes every refresh token of the user (`username` or `sub` from the token).
    async fn sign_out(&self, username: &str) -> Result<(), IdentityError>;
    /// Replaces the password after checking the current one (a wrong one is
    /// `WrongCredentials`), and revokes the user's refresh tokens.
    async fn change_password(
        &self,
        email: &Email,
        current: &str,
        new: &str,
    ) -> Result<(), IdentityError>;
}
