//! Sign-in, refresh, sign-out and the current user.

use folio_shared::domain::{Email, PASSWORD_POLICY};
use folio_shared::jwt::Identity;
use folio_shared::response::PRIVATE_NO_STORE;
use folio_shared::{ApiError, ApiResponse};
use http::StatusCode;
use serde::Serialize;
use serde_json::json;

use crate::http::caller::Caller;
use crate::http::request::Request;
use crate::ports::keys::{self, entity};
use crate::ports::store::{Condition, Item, Write};
use crate::ports::{IdentityError, Session};
use crate::usecases::app::App;

#[derive(Serialize)]
struct User<'a> {
    id: &'a str,
    email: &'a str,
    name: &'a str,
    role: &'static str,
}

fn user_of(identity: &Identity) -> User<'_> {
    let email = identity.email.as_deref().unwrap_or("");
    User {
        id: &identity.subject,
        email,
        name: identity.name.as_deref().unwrap_or(email),
        role: if identity.is_owner { "owner" } else { "public" },
    }
}

fn signed_in(identity: &Identity, session: &Session) -> ApiResponse {
    let body = json!({
        "user": user_of(identity),
        "token": session.id_token,
        "refreshToken": session.refresh_token,
        "expiresIn": session.expires_in,
    });
    ApiResponse::json(StatusCode::OK, &body).cache_control(PRIVATE_NO_STORE)
}

/// The identity of a token the identity provider just issued.
async fn identity_of(app: &App, session: &Session) -> Result<Identity, ApiError> {
    app.verifier
        .verify(&session.id_token)
        .await
        .map_err(|rejection| {
            ApiError::Internal(format!(
                "identity provider issued a token we refuse: {}",
                rejection.reason()
            ))
        })
}

pub async fn login(app: &App, request: &Request) -> Result<ApiResponse, ApiError> {
    let fields = request.json_fields(&["email", "password"])?;
    let email = Email::parse("email", &fields.required_text("email", 1, 254)?)?;
    let password = fields.required_secret("password")?;
    let address = &request.client_address;
    app.login_throttle.check(email.as_str(), address)?;
    let session = match app.identity.sign_in(&email, &password).await {
        Ok(session) => {
            app.login_throttle.succeeded(email.as_str(), address);
            session
        }
        Err(error @ IdentityError::WrongCredentials) => {
            app.login_throttle.failed(email.as_str(), address);
            return Err(error.into());
        }
        Err(error) => return Err(error.into()),
    };
    let mut identity = identity_of(app, &session).await?;
    let mut session = session;
    // Tokens carry `iat` in whole seconds, and sign-out refuses every token issued
    // in or before its second: a sign-in in that same second waits for the next
    // one and signs in again, so its token is not born refused.
    if let Some(row) = app.store.get(&keys::signed_out(&identity.subject)).await?
        && identity.issued_at <= row.count
    {
        let wait = (row.count + 1 - chrono::Utc::now().timestamp()).clamp(0, 1) as u64;
        tokio::time::sleep(std::time::Duration::from_millis(wait * 1000 + 50)).await;
        session = app.identity.sign_in(&email, &password).await?;
        identity = identity_of(app, &session).await?;
    }
    Ok(signed_in(&identity, &session))
}

pub async fn refresh(app: &App, request: &Request) -> Result<ApiResponse, ApiError> {
    let fields = request.json_fields(&["refreshToken"])?;
    let token = fields.required_secret("refreshToken")?;
    let session = app.identity.refresh(&token).await?;
    let identity = identity_of(app, &session).await?;
    Ok(signed_in(&identity, &session))
}

/// Signs out everywhere: revokes the user's refresh tokens (in the identity
/// provider), refuses the presented token, and refuses every token of the user
/// issued before this second, on every device, until it would have expired.
pub async fn logout(app: &App, caller: &Caller) -> Result<ApiResponse, ApiError> {
    let identity = caller
        .as_ref()
        .ok_or_else(|| ApiError::Unauthorized("Not signed in".into()))?;
    let username = identity
        .username
        .as_deref()
        .or(identity.email.as_deref())
        .unwrap_or(&identity.subject);
    app.identity.sign_out(username).await?;
    refuse_tokens_issued_until_now(app, identity).await?;
    let body = json!({ "message": "Successfully logged out" });
    Ok(ApiResponse::json(StatusCode::OK, &body).cache_control(PRIVATE_NO_STORE))
}

/// The owner changes their password: the current one is checked (and counted by
/// the sign-in limit), the new one must meet the policy, and every session ends.
pub async fn change_password(
    app: &App,
    request: &Request,
    caller: &Caller,
) -> Result<ApiResponse, ApiError> {
    let identity = caller
        .as_ref()
        .ok_or_else(|| ApiError::Unauthorized("Not signed in".into()))?;
    let fields = request.json_fields(&["currentPassword", "newPassword"])?;
    let current = fields.required_secret("currentPassword")?;
    let new = fields.required_secret("newPassword")?;
    PASSWORD_POLICY.check("newPassword", &new)?;
    let raw = identity.email.as_deref().unwrap_or_default();
    let email = Email::parse("email", raw)?;
    let address = &request.client_address;
    app.login_throttle.check(email.as_str(), address)?;
    match app.identity.change_password(&email, &current, &new).await {
        Ok(()) => app.login_throttle.succeeded(email.as_str(), address),
        Err(IdentityError::WrongCredentials) => {
            app.login_throttle.failed(email.as_str(), address);
            // 403, not 400: the request is well-formed, the caller lacks the secret
            // (and not 401: the session itself is still valid).
            return Err(ApiError::Forbidden("The current password is wrong".into()));
        }
        Err(error) => return Err(error.into()),
    }
    refuse_tokens_issued_until_now(app, identity).await?;
    let body = json!({ "message": "Password changed; every session is signed out: sign in again" });
    Ok(ApiResponse::json(StatusCode::OK, &body).cache_control(PRIVATE_NO_STORE))
}

/// Every token of the user issued up to this second is refused from now on, and
/// the presented one by its id too.
async fn refuse_tokens_issued_until_now(app: &App, identity: &Identity) -> Result<(), ApiError> {
    let now = chrono::Utc::now().timestamp();
    let everywhere = keys::signed_out(&identity.subject);
    let mut writes = vec![Write::Put {
        item: Item {
            pk: everywhere.pk,
            sk: everywhere.sk,
            entity_type: entity::REVOKED_TOKEN.into(),
            count: now,
            // No ID token outlives a day (Cognito's maximum); then the row may go.
            expires_at: Some(now + MAX_TOKEN_LIFETIME_SECS),
            ..Item::default()
        },
        condition: Condition::None,
    }];
    if identity.is_owner {
        // The owner's shared preview links end with the sessions (`preview::find`).
        let since = keys::previews_valid_since();
        writes.push(Write::Put {
            item: Item {
                pk: since.pk,
                sk: since.sk,
                entity_type: entity::PREVIEW.into(),
                count: now,
                ..Item::default()
            },
            condition: Condition::None,
        });
    }
    if let Some(jti) = &identity.token_id {
        let key = keys::revoked_token(jti);
        writes.push(Write::Put {
            item: Item {
                pk: key.pk,
                sk: key.sk,
                entity_type: entity::REVOKED_TOKEN.into(),
                expires_at: Some(identity.expires_at),
                ..Item::default()
            },
            condition: Condition::None,
        });
    }
    app.store.transact(writes).await?;
    Ok(())
}

/// The longest an ID token can live (Cognito allows up to one day).
const MAX_TOKEN_LIFETIME_SECS: i64 = 86_400;

pub fn me(caller: &Caller) -> Result<ApiResponse, ApiError> {
    let identity = caller
        .as_ref()
        .ok_or_else(|| ApiError::Unauthorized("Not signed in".into()))?;
    Ok(ApiResponse::json(StatusCode::OK, &user_of(identity)))
}
