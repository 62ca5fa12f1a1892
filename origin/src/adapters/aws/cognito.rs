//! The production identity provider: a Cognito user pool app client with
//! USER_PASSWORD_AUTH and refresh tokens. Sign-out revokes every refresh token of
//! the user (AdminUserGlobalSignOut); the presented ID token is deny-listed by the
//! logout handler, as Cognito cannot make a signed token fail.

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};

use crate::adapters::aws::error::explain;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFlowType, AuthenticationResultType, ChallengeNameType,
    ExplicitAuthFlowsType, FeatureType, MessageActionType, RefreshTokenRotationType,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use folio_shared::domain::Email;
use ring::hmac;

use crate::ports::identity::{IdentityError, IdentityProvider, Session};

#[derive(Debug, Clone)]
pub struct CognitoConfig {
    pub user_pool_id: String,
    pub client_id: String,
    /// Set when the app client has a secret: every auth call then carries SECRET_HASH.
    pub client_secret: Option<String>,
    pub owner_group: String,
}

pub struct CognitoIdentity {
    client: Client,
    config: CognitoConfig,
}

/// Refresh tokens handed out by a client with a secret carry the username, which
/// SECRET_HASH needs on refresh: `<base64url(username)>.<cognito refresh token>`.
/// Without a secret, clients get Cognito's refresh token unchanged.
const WRAPPED_PREFIX: &str = "folio1.";

/// One mapping from Cognito failures to the port's errors: nothing here is a
/// failure of ours unless Cognito itself answers something unusable.
fn cognito_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    operation: &str,
    error: SdkError<E>,
) -> IdentityError {
    match &error {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("Unknown");
            match code {
                "NotAuthorizedException" | "UserNotFoundException" => {
                    IdentityError::WrongCredentials
                }
                "UserNotConfirmedException" => IdentityError::NotAllowed(
                    "This account is not confirmed yet; confirm it, then sign in".into(),
                ),
                "PasswordResetRequiredException" => IdentityError::NotAllowed(
                    "A password reset is required before signing in".into(),
                ),
                "TooManyRequestsException"
                | "LimitExceededException"
                | "TooManyFailedAttemptsException" => IdentityError::Throttled {
                    message: "Too many sign-in attempts; wait and try again".into(),
                    retry_after_secs: 30,
                },
                "InternalErrorException" => IdentityError::Unavailable {
                    detail: format!("{operation}: {code}"),
                },
                _ => IdentityError::Failed(explain(operation, &error)),
            }
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            IdentityError::Unavailable {
                detail: explain(operation, &error),
            }
        }
        _ => IdentityError::Failed(explain(operation, &error)),
    }
}

/// `Base64(HMAC-SHA256(client secret, username + client id))`.
pub fn secret_hash(client_secret: &str, username: &str, client_id: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, client_secret.as_bytes());
    let tag = hmac::sign(&key, format!("{username}{client_id}").as_bytes());
    STANDARD.encode(tag.as_ref())
}

impl CognitoIdentity {
    pub fn new(client: Client, config: CognitoConfig) -> Self {
        Self { client, config }
    }

    fn secret_hash_for(&self, username: &str) -> Option<String> {
        self.config
            .client_secret
            .as_deref()
            .map(|secret| secret_hash(secret, username, &self.config.client_id))
    }

    fn session(
        &self,
        result: Option<&AuthenticationResultType>,
        refresh_token: Option<String>,
    ) -> Result<Session, IdentityError> {
        let result = result.ok_or_else(|| {
            IdentityError::Failed("Cognito answered without authentication result".into())
        })?;
        let id_token = result
            .id_token()
            .ok_or_else(|| IdentityError::Failed("Cognito answered without an ID token".into()))?;
        let refresh_token = refresh_token
            .or_else(|| result.refresh_token().map(String::from))
            .ok_or_else(|| {
                IdentityError::Failed("Cognito answered without refresh token".into())
            })?;
        Ok(Session {
            id_token: id_token.to_string(),
            refresh_token,
            expires_in: u64::try_from(result.expires_in()).unwrap_or(0),
        })
    }

    /// The refresh token a client gets (see `WRAPPED_PREFIX`).
    fn wrap_refresh_token(&self, username: &str, token: &str) -> String {
        if self.config.client_secret.is_some() {
            format!(
                "{WRAPPED_PREFIX}{}.{token}",
                URL_SAFE_NO_PAD.encode(username)
            )
        } else {
            token.to_string()
        }
    }

    /// Creates (or updates) the owner: a confirmed user with a permanent password in
    /// the owner group, creating the group when missing. Used by `folio owner create`.
    pub async fn ensure_owner(&self, email: &Email, password: &str) -> Result<(), IdentityError> {
        let pool = &self.config.user_pool_id;
        let group = &self.config.owner_group;
        match self
            .client
            .create_group()
            .user_pool_id(pool)
            .group_name(group)
            .description("The owner of this folio site")
            .send()
            .await
        {
            Ok(_) => {}
            Err(SdkError::ServiceError(e)) if e.err().code() == Some("GroupExistsException") => {}
            Err(e) => return Err(cognito_error("CreateGroup", e)),
        }
        let attribute = |name: &str, value: &str| {
            AttributeType::builder()
                .name(name)
                .value(value)
                .build()
                .map_err(|e| IdentityError::Failed(e.to_string()))
        };
        match self
            .client
            .admin_create_user()
            .user_pool_id(pool)
            .username(email.as_str())
            .user_attributes(attribute("email", email.as_str())?)
            .user_attributes(attribute("email_verified", "true")?)
            .message_action(MessageActionType::Suppress)
            .send()
            .await
        {
            Ok(_) => {}
            Err(SdkError::ServiceError(e)) if e.err().code() == Some("UsernameExistsException") => {
            }
            Err(e) => return Err(cognito_error("AdminCreateUser", e)),
        }
        self.client
            .admin_set_user_password()
            .user_pool_id(pool)
            .username(email.as_str())
            .password(password)
            .permanent(true)
            .send()
            .await
            .map_err(|e| match e.as_service_error().and_then(|s| s.code()) {
                Some("InvalidPasswordException") => IdentityError::Refused(
                    "The password does not meet the user pool's password policy".into(),
                ),
                _ => cognito_error("AdminSetUserPassword", e),
            })?;
        self.client
            .admin_add_user_to_group()
            .user_pool_id(pool)
            .username(email.as_str())
            .group_name(group)
            .send()
            .await
            .map_err(|e| cognito_error("AdminAddUserToGroup", e))?;
        Ok(())
    }
}

/// Creates a user pool and an app client the way `template.yaml` configures them
/// (USER_PASSWORD_AUTH + refresh, token revocation on). For work against moto and
/// for tests; deployments get theirs from the template. Returns `(pool id, client id)`.
/// Refresh token rotation as template.yaml declares it: a refresh returns a new
/// refresh token and the old one stops working at once ("RefreshTokenRotationType",
/// Amazon Cognito User Pools API Reference).
fn rotation() -> Result<RefreshTokenRotationType, IdentityError> {
    RefreshTokenRotationType::builder()
        .feature(FeatureType::Enabled)
        .retry_grace_period_seconds(0)
        .build()
        .map_err(|e| IdentityError::Failed(e.to_string()))
}

pub async fn create_pool(client: &Client, name: &str) -> Result<(String, String), IdentityError> {
    let pool = client
        .create_user_pool()
        .pool_name(name)
        .send()
        .await
        .map_err(|e| cognito_error("CreateUserPool", e))?;
    let pool_id = pool
        .user_pool()
        .and_then(|p| p.id())
        .ok_or_else(|| IdentityError::Failed("CreateUserPool returned no id".into()))?
        .to_string();
    let app = client
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name(format!("{name}-web"))
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .enable_token_revocation(true)
        .refresh_token_rotation(rotation()?)
        .read_attributes("email")
        .read_attributes("email_verified")
        .read_attributes("name")
        .send()
        .await
        .map_err(|e| cognito_error("CreateUserPoolClient", e))?;
    let client_id = app
        .user_pool_client()
        .and_then(|c| c.client_id())
        .ok_or_else(|| IdentityError::Failed("CreateUserPoolClient returned no id".into()))?
        .to_string();
    Ok((pool_id, client_id))
}

#[async_trait]
impl IdentityProvider for CognitoIdentity {
    async fn sign_in(&self, email: &Email, password: &str) -> Result<Session, IdentityError> {
        let username = email.as_str();
        let mut request = self
            .client
            .initiate_auth()
            .client_id(&self.config.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", password);
        if let Some(hash) = self.secret_hash_for(username) {
            request = request.auth_parameters("SECRET_HASH", hash);
        }
        let output = request
            .send()
            .await
            .map_err(|e| cognito_error("InitiateAuth", e))?;
        if let Some(challenge) = output.challenge_name() {
            return Err(match challenge {
                ChallengeNameType::NewPasswordRequired => IdentityError::NotAllowed(
                    "A new password is required for this account; set a permanent one \
                     (for the owner: `folio owner create`) and sign in again"
                        .into(),
                ),
                other => IdentityError::NotAllowed(format!(
                    "Sign-in needs the {} challenge, which this API does not support",
                    other.as_str()
                )),
            });
        }
        let result = output.authentication_result();
        let refresh = result
            .and_then(|r| r.refresh_token())
            .map(|token| self.wrap_refresh_token(username, token));
        self.session(result, refresh)
    }

    async fn refresh(&self, refresh_token: &str) -> Result<Session, IdentityError> {
        let (username, cognito_token) = match refresh_token.strip_prefix(WRAPPED_PREFIX) {
            Some(wrapped) => {
                let (encoded, token) = wrapped
                    .split_once('.')
                    .ok_or_else(|| IdentityError::RefreshRefused("Invalid refresh token".into()))?;
                let username = URL_SAFE_NO_PAD
                    .decode(encoded)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .ok_or_else(|| IdentityError::RefreshRefused("Invalid refresh token".into()))?;
                (Some(username), token)
            }
            None => (None, refresh_token),
        };
        // GetTokensFromRefreshToken, not InitiateAuth: with rotation on (template.yaml)
        // it is the only way to refresh, and it returns the next refresh token; with
        // rotation off it returns none, and the client keeps the one it has.
        let output = self
            .client
            .get_tokens_from_refresh_token()
            .client_id(&self.config.client_id)
            .refresh_token(cognito_token)
            .set_client_secret(self.config.client_secret.clone())
            .send()
            .await
            .map_err(|e| {
                let reused = e
                    .as_service_error()
                    .is_some_and(|s| s.is_refresh_token_reuse_exception());
                match cognito_error("GetTokensFromRefreshToken", e) {
                    _ if reused => IdentityError::RefreshRefused(
                        "Refresh token was already used: sign in again".into(),
                    ),
                    IdentityError::WrongCredentials => IdentityError::RefreshRefused(
                        "The refresh token is invalid or revoked".into(),
                    ),
                    other => other,
                }
            })?;
        let result = output.authentication_result();
        let next = match (result.and_then(|r| r.refresh_token()), username.as_deref()) {
            (Some(rotated), Some(username)) => self.wrap_refresh_token(username, rotated),
            (Some(rotated), None) => rotated.to_string(),
            (None, _) => refresh_token.to_string(),
        };
        self.session(result, Some(next))
    }

    async fn sign_out(&self, username: &str) -> Result<(), IdentityError> {
        self.client
            .admin_user_global_sign_out()
            .user_pool_id(&self.config.user_pool_id)
            .username(username)
            .send()
            .await
            .map_err(|e| cognito_error("AdminUserGlobalSignOut", e))?;
        Ok(())
    }

    /// Cognito's own ChangePassword wants the access token, which clients do not
    /// send: the current password is checked by signing in with it, then the new
    /// one is set by the admin API (`cognito-idp:AdminSetUserPassword`, granted on
    /// this pool only in template.yaml) and the user's refresh tokens are revoked.
    async fn change_password(
        &self,
        email: &Email,
        current: &str,
        new: &str,
    ) -> Result<(), IdentityError> {
        self.sign_in(email, current).await?;
        self.client
            .admin_set_user_password()
            .user_pool_id(&self.config.user_pool_id)
            .username(email.as_str())
            .password(new)
            .permanent(true)
            .send()
            .await
            .map_err(|e| match e.as_service_error().and_then(|s| s.code()) {
                Some("InvalidPasswordException") => {
                    IdentityError::Invalid(folio_shared::FieldError::new(
                        "newPassword",
                        "does not meet the user pool's password policy",
                    ))
                }
                _ => cognito_error("AdminSetUserPassword", e),
            })?;
        self.sign_out(email.as_str()).await
    }
}
