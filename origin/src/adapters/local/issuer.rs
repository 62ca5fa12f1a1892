//! The local identity provider: a stand-in for a Cognito user pool that signs
//! RS256 ID tokens shaped like Cognito's and serves its JWKS, so the edge and the
//! origin verify local tokens with the very verifier they use in production.
//!
//! The signing key is generated on first start and kept in the data directory.
//! Users, refresh tokens and their revocation live in the store.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use folio_shared::domain::{Email, PASSWORD_POLICY};
use folio_shared::jwt::install_crypto_provider;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse,
    RSAKeyParameters, RSAKeyType,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::{digest, pbkdf2};
use serde::{Deserialize, Serialize};

use crate::ports::identity::{IdentityError, IdentityProvider, Session};
use crate::ports::keys::{self, entity};
use crate::ports::store::{Condition, Item, Store, StoreError, Write};
use crate::support::private_files::FileError;
use crate::support::random::{self, NoEntropy};

const KEY_FILE: &str = "issuer-key.der";
const PBKDF2_ITERATIONS: u32 = 100_000;
const REFRESH_TOKEN_DAYS: i64 = 30;

#[derive(Debug, Clone)]
pub struct IssuerConfig {
    /// `iss` of every token, e.g. `http://127.0.0.1:8080/local-issuer`.
    pub issuer: String,
    pub client_id: String,
    pub owner_group: String,
    pub token_ttl_secs: u64,
}

/// A user of the local pool, stored as the `Data` of a `USER#<email>` row.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserRecord {
    sub: String,
    email: String,
    name: String,
    groups: Vec<String>,
    password_hash: String,
    /// Bumped by sign-out: refresh tokens of older generations are dead.
    generation: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RefreshRecord {
    email: String,
    generation: u64,
    /// Spent: exchanged once for a new token. Presented again, it means a copy is
    /// in someone else's hands, and the user's sessions end (reuse detection).
    #[serde(default)]
    rotated: bool,
}

#[derive(Serialize)]
struct IdClaims<'a> {
    sub: &'a str,
    iss: &'a str,
    aud: &'a str,
    token_use: &'static str,
    email: &'a str,
    email_verified: bool,
    name: &'a str,
    #[serde(rename = "cognito:username")]
    username: &'a str,
    #[serde(rename = "cognito:groups")]
    groups: &'a [String],
    auth_time: i64,
    iat: i64,
    exp: i64,
    jti: String,
}

/// What `ensure_owner` did, for the start-up message.
#[derive(Debug, Clone)]
pub struct OwnerSetup {
    pub email: String,
    /// Set when the owner was created now with a generated password.
    pub generated_password: Option<String>,
    pub created: bool,
    /// What was asked for and not done, with how to do it.
    pub notes: Vec<String>,
}

/// A random password the policy accepts.
pub fn generated_password() -> Result<String, NoEntropy> {
    // 96 random bits, and one character of each class the policy asks for.
    Ok(format!(
        "{}-Aa1",
        URL_SAFE_NO_PAD.encode(random::bytes::<12>()?)
    ))
}

pub struct LocalIssuer {
    store: Arc<dyn Store>,
    config: IssuerConfig,
    signing_key: EncodingKey,
    kid: String,
    jwks: JwkSet,
}

fn hash_password(password: &str) -> Result<String, NoEntropy> {
    let salt = random::bytes::<16>()?;
    let mut out = [0u8; 32];
    let iterations =
        std::num::NonZeroU32::new(PBKDF2_ITERATIONS).unwrap_or(std::num::NonZeroU32::MIN);
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        &salt,
        password.as_bytes(),
        &mut out,
    );
    Ok(format!(
        "pbkdf2-sha256${PBKDF2_ITERATIONS}${}${}",
        STANDARD.encode(salt),
        STANDARD.encode(out)
    ))
}

fn password_matches(stored: &str, password: &str) -> bool {
    let parts: Vec<&str> = stored.split('$').collect();
    let [_, iterations, salt, hash] = parts.as_slice() else {
        return false;
    };
    let (Some(iterations), Ok(salt), Ok(hash)) = (
        iterations.parse().ok().and_then(std::num::NonZeroU32::new),
        STANDARD.decode(salt),
        STANDARD.decode(hash),
    ) else {
        return false;
    };
    pbkdf2::verify(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        &salt,
        password.as_bytes(),
        &hash,
    )
    .is_ok()
}

/// A hash no password matches, with the real iteration count: what an unknown
/// email's attempt is checked against.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password(&URL_SAFE_NO_PAD.encode(random::bytes::<32>().unwrap_or([7; 32])))
            .unwrap_or_default()
    })
}

fn sha256_b64(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, text.as_bytes()))
}

/// Why the issuer's signing key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not an RSA key: {reason}")]
    NotRsa { path: String, reason: String },
    #[error("cannot generate the issuer key: {0}")]
    Generate(String),
}

/// Loads the RSA key from `dir`, or generates and saves one (mode 0600).
fn load_or_create_key(dir: &Path) -> Result<Vec<u8>, KeyError> {
    use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
    let path = dir.join(KEY_FILE);
    let shown = || path.display().to_string();
    if path.exists() {
        crate::support::private_files::ensure_file(&path)?;
        let der = std::fs::read(&path).map_err(|source| KeyError::Read {
            path: shown(),
            source,
        })?;
        rsa::RsaPrivateKey::from_pkcs1_der(&der).map_err(|e| KeyError::NotRsa {
            path: shown(),
            reason: e.to_string(),
        })?;
        return Ok(der);
    }
    let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048)
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    let der = key
        .to_pkcs1_der()
        .map_err(|e| KeyError::Generate(e.to_string()))?
        .as_bytes()
        .to_vec();
    crate::support::private_files::write_new(&path, &der)?;
    Ok(der)
}

impl LocalIssuer {
    pub fn open(
        data_dir: &Path,
        store: Arc<dyn Store>,
        config: IssuerConfig,
    ) -> Result<Self, KeyError> {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        use rsa::traits::PublicKeyParts;
        install_crypto_provider();
        let der = load_or_create_key(data_dir)?;
        let private = rsa::RsaPrivateKey::from_pkcs1_der(&der).map_err(|e| KeyError::NotRsa {
            path: data_dir.join(KEY_FILE).display().to_string(),
            reason: e.to_string(),
        })?;
        let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
        let kid = sha256_b64(&n)[..16].to_string();
        let jwk = Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(KeyAlgorithm::RS256),
                key_id: Some(kid.clone()),
                ..CommonParameters::default()
            },
            algorithm: AlgorithmParameters::RSA(RSAKeyParameters {
                key_type: RSAKeyType::RSA,
                n,
                e,
            }),
        };
        Ok(Self {
            store,
            config,
            signing_key: EncodingKey::from_rsa_der(&der),
            kid,
            jwks: JwkSet { keys: vec![jwk] },
        })
    }

    pub fn jwks(&self) -> &JwkSet {
        &self.jwks
    }

    pub fn config(&self) -> &IssuerConfig {
        &self.config
    }

    /// The signing key, DER (PKCS#1). For tests that forge tokens.
    pub fn signing_key(&self) -> &EncodingKey {
        &self.signing_key
    }

    pub fn key_id(&self) -> &str {
        &self.kid
    }

    async fn load_user(&self, email: &str) -> Result<Option<(UserRecord, u64)>, IdentityError> {
        let Some(row) = self.store.get(&keys::user(email)).await? else {
            return Ok(None);
        };
        let record = serde_json::from_str(row.data.as_deref().unwrap_or(""))
            .map_err(|e| IdentityError::Failed(format!("corrupt user row: {e}")))?;
        Ok(Some((record, row.version)))
    }

    fn user_row(record: &UserRecord, version: u64) -> Result<Item, IdentityError> {
        let key = keys::user(&record.email);
        Ok(Item {
            pk: key.pk,
            sk: key.sk,
            entity_type: entity::USER.into(),
            data: Some(
                serde_json::to_string(record).map_err(|e| IdentityError::Failed(e.to_string()))?,
            ),
            version,
            ..Item::default()
        })
    }

    /// Adds a user; `Conflict` if the e-mail is taken.
    pub async fn add_user(
        &self,
        email: &Email,
        password: &str,
        name: &str,
        groups: Vec<String>,
    ) -> Result<(), IdentityError> {
        let record = UserRecord {
            sub: uuid::Uuid::now_v7().to_string(),
            email: email.as_str().to_string(),
            name: name.to_string(),
            groups,
            password_hash: hash_password(password)?,
            generation: 0,
        };
        let put = Write::Put {
            item: Self::user_row(&record, 1)?,
            condition: Condition::NotExists,
        };
        match self.store.transact(vec![put]).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed { .. }) => Err(IdentityError::Conflict(format!(
                "User {} already exists",
                email.as_str()
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// The owner's email, as recorded when the owner was created.
    pub async fn owner_email(&self) -> Result<Option<String>, IdentityError> {
        Ok(self
            .store
            .get(&keys::owner_pointer())
            .await?
            .and_then(|row| row.data))
    }

    fn pointer_write(email: &str) -> Write {
        let key = keys::owner_pointer();
        Write::Put {
            item: Item {
                pk: key.pk,
                sk: key.sk,
                entity_type: entity::USER.into(),
                data: Some(email.to_string()),
                ..Item::default()
            },
            condition: Condition::None,
        }
    }

    /// Creates the owner on first start (one owner at a time). With no password
    /// given, one is generated and returned so it can be shown once. What is asked
    /// for and not done on an existing owner (another email, a new password) is
    /// reported in `notes`, with the command that does it.
    pub async fn ensure_owner(
        &self,
        email: &Email,
        password: Option<&str>,
    ) -> Result<OwnerSetup, IdentityError> {
        let mut notes = Vec::new();
        if password.is_some() {
            notes.push(
                "FOLIO_OWNER_PASSWORD is not applied to an existing owner: change the password with `folio owner reset-password --data-dir DIR` or POST /v1/auth/password".to_string(),
            );
        }
        let existing = match self.owner_email().await? {
            Some(owner) => Some(owner),
            // A store from before the owner was recorded: adopt the user if it exists.
            None if self.load_user(email.as_str()).await?.is_some() => {
                self.store
                    .transact(vec![Self::pointer_write(email.as_str())])
                    .await?;
                Some(email.as_str().to_string())
            }
            None => None,
        };
        if let Some(owner) = existing {
            if owner != email.as_str() {
                notes.push(format!(
                    "The owner is {owner}; FOLIO_OWNER_EMAIL={email} is not applied (one owner at a time): change it with `folio owner set-email {email} --data-dir DIR`",
                    email = email.as_str()
                ));
            }
            return Ok(OwnerSetup {
                email: owner,
                generated_password: None,
                created: false,
                notes,
            });
        }
        let generated = match password {
            Some(given) => {
                PASSWORD_POLICY.check("FOLIO_OWNER_PASSWORD", given)?;
                None
            }
            None => Some(generated_password()?),
        };
        let password = password.or(generated.as_deref()).unwrap_or_default();
        let name = email
            .as_str()
            .split('@')
            .next()
            .unwrap_or("Owner")
            .to_string();
        self.add_user(
            email,
            password,
            &name,
            vec![self.config.owner_group.clone()],
        )
        .await?;
        self.store
            .transact(vec![Self::pointer_write(email.as_str())])
            .await?;
        Ok(OwnerSetup {
            email: email.as_str().into(),
            generated_password: generated,
            created: true,
            notes: Vec::new(),
        })
    }

    /// The user whose password this is; the one `WRONG_CREDENTIALS` answer for a
    /// wrong password and for an unknown email alike. Both cost the same PBKDF2 work
    /// (an unknown email is checked against a hash of nothing), so timing does not
    /// tell which accounts exist; the work runs off the async workers.
    async fn checked_user(
        &self,
        email: &Email,
        password: &str,
    ) -> Result<UserRecord, IdentityError> {
        let user = self.load_user(email.as_str()).await?;
        let stored = user.as_ref().map_or_else(
            || dummy_hash().to_string(),
            |(u, _)| u.password_hash.clone(),
        );
        let attempt = password.to_string();
        let matches = tokio::task::spawn_blocking(move || password_matches(&stored, &attempt))
            .await
            .map_err(|e| IdentityError::Failed(format!("password check failed: {e}")))?;
        match user {
            Some((user, _)) if matches => Ok(user),
            _ => Err(IdentityError::WrongCredentials),
        }
    }

    /// Sets a user's password (the policy's), revoking their refresh tokens.
    pub async fn set_password(&self, email: &str, new: &str) -> Result<(), IdentityError> {
        PASSWORD_POLICY.check("password", new)?;
        let new = new.to_string();
        let hash = tokio::task::spawn_blocking(move || hash_password(&new))
            .await
            .map_err(|e| IdentityError::Failed(format!("password hashing failed: {e}")))??;
        let found = self
            .update_user(email, |user| {
                user.password_hash = hash.clone();
                user.generation += 1;
            })
            .await?;
        if found {
            Ok(())
        } else {
            Err(IdentityError::UnknownUser)
        }
    }

    /// Changes a user's row with `change`, retrying on a concurrent change of the
    /// row (two rounds always suffice unless someone changes it in a loop).
    /// Returns whether the user exists.
    async fn update_user(
        &self,
        email: &str,
        change: impl Fn(&mut UserRecord),
    ) -> Result<bool, IdentityError> {
        for _ in 0..5 {
            let Some((mut user, version)) = self.load_user(email).await? else {
                return Ok(false);
            };
            change(&mut user);
            let put = Write::Put {
                item: Self::user_row(&user, version + 1)?,
                condition: Condition::VersionIs(version),
            };
            match self.store.transact(vec![put]).await {
                Ok(()) => return Ok(true),
                Err(StoreError::ConditionFailed { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(IdentityError::Conflict(
            "The account changed concurrently; retry".into(),
        ))
    }

    /// Moves the owner to another email (the same user: `sub`, groups, password);
    /// refresh tokens of the old email stop working.
    pub async fn set_owner_email(&self, new: &Email) -> Result<String, IdentityError> {
        let old = self
            .owner_email()
            .await?
            .ok_or_else(|| IdentityError::Refused("This store has no owner yet".into()))?;
        let (mut user, version) = self
            .load_user(&old)
            .await?
            .ok_or_else(|| IdentityError::Failed(format!("the owner {old} has no user row")))?;
        if old == new.as_str() {
            return Ok(old);
        }
        user.email = new.as_str().to_string();
        user.generation += 1;
        let writes = vec![
            Write::Put {
                item: Self::user_row(&user, 1)?,
                condition: Condition::NotExists,
            },
            Write::Delete {
                key: keys::user(&old),
                condition: Condition::VersionIs(version),
            },
            Self::pointer_write(new.as_str()),
        ];
        match self.store.transact(writes).await {
            Ok(()) => Ok(old),
            Err(StoreError::ConditionFailed { index: 0, .. }) => Err(IdentityError::Conflict(
                format!("A user {} exists already", new.as_str()),
            )),
            Err(StoreError::ConditionFailed { .. }) => Err(IdentityError::Conflict(
                "The owner changed meanwhile; retry".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    fn id_token(&self, user: &UserRecord) -> Result<String, IdentityError> {
        let now = chrono::Utc::now().timestamp();
        let claims = IdClaims {
            sub: &user.sub,
            iss: &self.config.issuer,
            aud: &self.config.client_id,
            token_use: "id",
            email: &user.email,
            email_verified: true,
            name: &user.name,
            username: &user.email,
            groups: &user.groups,
            auth_time: now,
            iat: now,
            exp: now + self.config.token_ttl_secs as i64,
            jti: uuid::Uuid::now_v7().to_string(),
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.signing_key)
            .map_err(|e| IdentityError::Failed(format!("cannot sign token: {e}")))
    }

    /// A new refresh token's value and row.
    fn refresh_row(&self, user: &UserRecord) -> Result<(String, Item), IdentityError> {
        let token = random::token()?;
        let key = keys::refresh_token(&sha256_b64(&token));
        let record = RefreshRecord {
            email: user.email.clone(),
            generation: user.generation,
            rotated: false,
        };
        let row = Item {
            pk: key.pk,
            sk: key.sk,
            entity_type: entity::REFRESH_TOKEN.into(),
            data: Some(
                serde_json::to_string(&record).map_err(|e| IdentityError::Failed(e.to_string()))?,
            ),
            expires_at: Some(chrono::Utc::now().timestamp() + REFRESH_TOKEN_DAYS * 86_400),
            ..Item::default()
        };
        Ok((token, row))
    }

    async fn new_refresh_token(&self, user: &UserRecord) -> Result<String, IdentityError> {
        let (token, row) = self.refresh_row(user)?;
        self.store
            .transact(vec![Write::Put {
                item: row,
                condition: Condition::NotExists,
            }])
            .await?;
        Ok(token)
    }
}

#[async_trait]
impl IdentityProvider for LocalIssuer {
    async fn sign_in(&self, email: &Email, password: &str) -> Result<Session, IdentityError> {
        let user = self.checked_user(email, password).await?;
        Ok(Session {
            id_token: self.id_token(&user)?,
            refresh_token: self.new_refresh_token(&user).await?,
            expires_in: self.config.token_ttl_secs,
        })
    }

    /// Rotates: the presented token is spent and a new one comes with the session.
    /// A spent token presented again ends every session of the user (the OAuth
    /// 2.0 Security BCP's refresh token rotation with reuse detection, RFC 9700
    /// §4.14.2), so a stolen copy works at most until its owner refreshes.
    async fn refresh(&self, refresh_token: &str) -> Result<Session, IdentityError> {
        let refused =
            || IdentityError::RefreshRefused("Refresh token is invalid or revoked".into());
        let key = keys::refresh_token(&sha256_b64(refresh_token));
        let row = self.store.get(&key).await?.ok_or_else(refused)?;
        let mut record: RefreshRecord =
            serde_json::from_str(row.data.as_deref().unwrap_or("")).map_err(|_| refused())?;
        let (user, _) = self.load_user(&record.email).await?.ok_or_else(refused)?;
        if user.generation != record.generation {
            return Err(refused());
        }
        if record.rotated {
            self.sign_out(&record.email).await?;
            return Err(IdentityError::RefreshRefused(
                "Refresh token was already used: every session is signed out".into(),
            ));
        }
        record.rotated = true;
        let spent = Item {
            data: Some(
                serde_json::to_string(&record).map_err(|e| IdentityError::Failed(e.to_string()))?,
            ),
            version: row.version + 1,
            ..row.clone()
        };
        let (next, next_row) = self.refresh_row(&user)?;
        match self
            .store
            .transact(vec![
                Write::Put {
                    item: spent,
                    condition: Condition::VersionIs(row.version),
                },
                Write::Put {
                    item: next_row,
                    condition: Condition::NotExists,
                },
            ])
            .await
        {
            Ok(()) => {}
            // Spent by a refresh at the same moment (two tabs): this one is refused.
            Err(StoreError::ConditionFailed { .. }) => return Err(refused()),
            Err(e) => return Err(e.into()),
        }
        Ok(Session {
            id_token: self.id_token(&user)?,
            refresh_token: next,
            expires_in: self.config.token_ttl_secs,
        })
    }

    async fn change_password(
        &self,
        email: &Email,
        current: &str,
        new: &str,
    ) -> Result<(), IdentityError> {
        self.checked_user(email, current).await?;
        self.set_password(email.as_str(), new).await
    }

    async fn sign_out(&self, username: &str) -> Result<(), IdentityError> {
        // Refresh tokens of older generations are dead.
        self.update_user(username, |user| user.generation += 1)
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hashes_verify_only_the_right_password() {
        let stored = hash_password("correct horse").unwrap();
        assert!(password_matches(&stored, "correct horse"));
        assert!(!password_matches(&stored, "correct horse "));
        assert!(!password_matches("garbage", "x"));
    }
}
