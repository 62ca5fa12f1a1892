//! The identity port: signing in and out against a user pool.

use async_trait::async_trait;
use folio_shared::{ApiError, domain::Email};

/// The one answer to a wrong password and to an unknown user alike, so sign-in does
/// not reveal which accounts exist.
pub const WRONG_CREDENTIALS: &str = "Invalid email or password";

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
    /// Wrong e-mail or password is `Unauthorized` with one message for both.
    async fn sign_in(&self, email: &Email, password: &str) -> Result<Session, ApiError>;
    /// A new ID token for a refresh token that has not been revoked.
    async fn refresh(&self, refresh_token: &str) -> Result<Session, ApiError>;
    /// Revokes every refresh token of the user (`username` or `sub` from the token).
    async fn sign_out(&self, username: &str) -> Result<(), ApiError>;
    /// Replaces the password after checking the current one (a wrong one is
    /// `Unauthorized`), and revokes the user's refresh tokens.
    async fn change_password(
        &self,
        email: &Email,
        current: &str,
        new: &str,
    ) -> Result<(), ApiError>;
}
