//! Who is calling: the caller the edge handed on, verified again here.

use std::sync::Arc;

use folio_shared::ApiError;
use folio_shared::jwt::{Identity, JwtRejection};
use folio_shared::policy::CALLER_TOKEN_HEADER;
use folio_shared::routes::Access;

use crate::http::request::Request;
use crate::ports::keys;
use crate::repo::history::Author;
use crate::usecases::app::App;

/// Who is calling: nobody, or the holder of a verified, unrevoked token.
pub type Caller = Option<Arc<Identity>>;

/// How the history names the caller: their email, else their user name, else
/// the token's subject.
pub fn author(caller: &Caller) -> Author {
    let name = caller.as_ref().map_or("anonymous", |c| {
        c.email
            .as_deref()
            .or(c.username.as_deref())
            .unwrap_or(&c.subject)
    });
    Author::new(name)
}

pub fn is_owner(caller: &Caller) -> bool {
    caller.as_ref().is_some_and(|c| c.is_owner)
}

/// The refusal of what only the owner may ask on a route anyone may call: 401
/// without a token, 403 with someone else's.
pub fn owner_only(caller: &Caller, why: &str) -> ApiError {
    match caller {
        None => ApiError::Unauthorized(why.into()),
        Some(_) => ApiError::Forbidden(why.into()),
    }
}

/// Verifies the caller's token, if any, and enforces the route's access class.
///
/// The token arrives in the edge's hand-off header, never in `Authorization`:
/// Origin Access Control puts its SigV4 signature there (and the Function URL
/// may drop it), so `Authorization` carries nothing the origin reads. The edge
/// strips viewers' copies of the hand-off header and sets it only from a token
/// it verified; the origin verifies it again, and checks revocation.
pub async fn authenticate(
    app: &App,
    request: &Request,
    access: Access,
) -> Result<Caller, ApiError> {
    let caller = match request.header(CALLER_TOKEN_HEADER) {
        None => None,
        Some(token) => {
            let identity = app.tokens.verify(token).await.map_err(|rejection| {
                tracing::info!(reason = rejection.reason(), "token rejected");
                ApiError::from(rejection)
            })?;
            if let Some(jti) = &identity.token_id
                && app.store.get(&keys::revoked_token(jti)).await?.is_some()
            {
                return Err(JwtRejection::Revoked.into());
            }
            // Signed out everywhere: every token issued in or before that second.
            if let Some(row) = app.store.get(&keys::signed_out(&identity.subject)).await?
                && identity.issued_at <= row.count
            {
                tracing::info!(reason = "signed_out", "token rejected");
                return Err(JwtRejection::Revoked.into());
            }
            Some(identity)
        }
    };
    match access {
        Access::Owner | Access::Authenticated if caller.is_none() => Err(ApiError::Unauthorized(
            "Authentication token is missing".into(),
        )),
        Access::Owner if !is_owner(&caller) => {
            Err(ApiError::Forbidden("Only the owner may do this".into()))
        }
        _ => Ok(caller),
    }
}
