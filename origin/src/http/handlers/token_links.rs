//! What preview links and share links have in common: a random token that is the
//! credential, stored only as its SHA-256; listed for the owner under a GSI1
//! partition by creation time and a link id (the first hex digits of the hash,
//! never the token); revoked by deleting the row.

use folio_shared::digest::sha256_hex;
use folio_shared::domain::Timestamp;
use folio_shared::{ApiError, ApiResponse};
use http::StatusCode;

use crate::ports::store::{Condition, Item, Key, StoreError, Write};
use crate::support::random;
use crate::usecases::app::App;

/// How many hex digits of a token's hash name its link to the owner.
pub const LINK_ID_CHARS: usize = 16;

/// A new link's token, the id the owner sees, and its row (to be put, with
/// whatever else the kind of link keeps).
pub struct NewLink {
    pub token: String,
    pub id: String,
    pub created: Timestamp,
    pub row: Item,
}

/// A new token, its row under `key_of(hash)`, listed under `listed_in`.
pub fn new_link(
    key_of: impl FnOnce(&str) -> Key,
    entity_type: &str,
    listed_in: String,
) -> Result<NewLink, ApiError> {
    let token = random::token()?;
    let hash = sha256_hex(token.as_bytes());
    let key = key_of(&hash);
    let id = hash[..LINK_ID_CHARS].to_string();
    let created = Timestamp::now();
    let row = Item {
        pk: key.pk,
        sk: key.sk,
        entity_type: entity_type.into(),
        // Listed newest first, by the link's id.
        gsi1pk: Some(listed_in),
        gsi1sk: Some(format!("{}#{id}", created.as_str())),
        created_at: Some(created.as_str().to_string()),
        ..Item::default()
    };
    Ok(NewLink {
        token,
        id,
        created,
        row,
    })
}

/// The link id of a listed row: the hash digits after its creation time.
pub fn link_id(row: &Item) -> Option<&str> {
    row.gsi1sk.as_deref()?.rsplit_once('#').map(|(_, id)| id)
}

/// Whether `text` could be a link id: checked before any store read.
pub fn is_link_id(text: &str) -> bool {
    text.len() == LINK_ID_CHARS
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Revokes a link: its row deleted.
pub async fn delete(app: &App, row: &Item) -> Result<ApiResponse, ApiError> {
    match app
        .store
        .transact(vec![Write::Delete {
            key: row.key(),
            condition: Condition::Exists,
        }])
        .await
    {
        Ok(()) => Ok(ApiResponse::empty(StatusCode::NO_CONTENT)),
        // Revoked (or expired) by someone else in the meantime: gone either way.
        Err(StoreError::ConditionFailed { .. }) => Err(ApiError::NotFound),
        Err(e) => Err(e.into()),
    }
}
