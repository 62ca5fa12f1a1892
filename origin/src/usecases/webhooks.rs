//! Rebuild hooks: every change readers can see (publish, unpublish, an update of
//! published content, a delete) is POSTed, signed, to each configured URL, the
//! way static-site hosts are told to rebuild.
//!
//! Their settings, `WEBHOOK_URLS` and `WEBHOOK_SECRET`, are defined in
//! `folio_shared::settings`.
//!
//! Never failing or delaying the owner's write: a change writes one delivery row
//! per URL *in the same transaction* as the content (an outbox), and the tick
//! (`scheduler`) sends what is due: within half a second under `folio serve`,
//! within a minute in production. A delivery is claimed with a conditional write
//! (a lease), so two ticks never send it twice at once; a failure (no answer, or
//! not 2xx) is retried with exponential backoff, up to `MAX_ATTEMPTS`. A tick that
//! dies mid-send leaves the lease to expire and the delivery is sent again: the
//! receiver sees each change once, or (after such a crash) again with the same
//! `X-Folio-Delivery` id to deduplicate by.
//!
//! Each request carries `X-Folio-Signature: t=<unix seconds>,v1=<hex>`, the
//! HMAC-SHA-256 of `<t>.<body>` under the secret (the timestamp bounds replays).

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use folio_shared::digest::hex;
use folio_shared::domain::{Content, ContentKind, Status, Timestamp};
use folio_shared::settings::{Env, WEBHOOK_SECRET, WEBHOOK_URLS};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::{Deserialize, Serialize};

use crate::ports::keys::{self, entity};
use crate::ports::store::{Condition, Item, Query, Store, StoreError, Write};
use crate::support::random;
use crate::usecases::error::UseCaseError;

/// At most this many hook URLs.
pub const MAX_URLS: usize = 5;
/// The shortest secret accepted.
pub const MIN_SECRET_CHARS: usize = 32;
/// Attempts before a delivery is given up as failed.
pub const MAX_ATTEMPTS: u32 = 6;
/// The wait after the first failure; it doubles with each further one.
pub const FIRST_RETRY: Duration = Duration::from_secs(2);
/// How long a tick holds a delivery while sending it.
const LEASE: Duration = Duration::from_secs(60);
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(4);
/// How long one tick spends sending, every delivery's whole exchange included (a
/// delivery gets what is left of it, at most `REQUEST_TIMEOUT`): a tick stays well
/// inside the origin Lambda's 10 s timeout; the rest waits for the next tick.
pub const SEND_BUDGET: Duration = Duration::from_secs(5);
/// Less than this left of the budget: the next delivery waits for the next tick.
const MIN_SEND: Duration = Duration::from_millis(500);
/// How much of a receiver's answer is read (to reuse the connection); the rest is
/// dropped with the connection. A hostile receiver's endless body costs nothing.
pub const MAX_ANSWER_BYTES: usize = 16 * 1024;
/// Deliveries sent per tick: a backlog drains over the next ticks.
const BATCH: usize = 10;
/// How long a finished delivery stays visible to the owner.
const KEEP_DAYS: i64 = 30;
/// Deliveries the owner sees.
pub const RECENT: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("setting {name} is invalid: {reason}")]
pub struct WebhookError {
    pub name: &'static str,
    pub reason: String,
}

/// Why a delivery got no status: recorded on the delivery, shown to the owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("TLS set-up for webhooks failed: {0}")]
    Tls(String),
    #[error("{0}")]
    Request(String),
    #[error("no answer within {0} s")]
    NoAnswer(u64),
    #[error("request failed: {0}")]
    Failed(String),
}

type HttpClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The hooks as configured: where to send, and the key to sign with.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    urls: Vec<String>,
    secret: String,
}

impl std::fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("WebhookSettings")
            .field("urls", &self.urls)
            .finish_non_exhaustive()
    }
}

fn invalid(name: &'static str, reason: impl Into<String>) -> WebhookError {
    WebhookError {
        name,
        reason: reason.into(),
    }
}

impl WebhookSettings {
    /// The hooks the settings describe; `None` when no URL is set.
    pub fn from_env(env: &Env) -> Result<Option<Self>, WebhookError> {
        let urls: Vec<String> = env
            .get(&WEBHOOK_URLS)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(String::from)
            .collect();
        if urls.is_empty() {
            return Ok(None);
        }
        let secret = env.get(&WEBHOOK_SECRET).unwrap_or_default().to_string();
        Self::new(urls, secret).map(Some)
    }

    pub fn new(urls: Vec<String>, secret: String) -> Result<Self, WebhookError> {
        if urls.len() > MAX_URLS {
            return Err(invalid(
                WEBHOOK_URLS.name,
                format!("{} URLs; at most {MAX_URLS}", urls.len()),
            ));
        }
        for url in &urls {
            let parsed = url::Url::parse(url).map_err(|_| {
                invalid(WEBHOOK_URLS.name, format!("{url:?} is not an absolute URL"))
            })?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                return Err(invalid(
                    WEBHOOK_URLS.name,
                    format!("{url:?} must be an http(s) URL"),
                ));
            }
        }
        if secret.chars().count() < MIN_SECRET_CHARS {
            return Err(invalid(
                WEBHOOK_SECRET.name,
                format!(
                    "must be at least {MIN_SECRET_CHARS} characters (e.g. `openssl rand -hex 32`)"
                ),
            ));
        }
        Ok(Self { urls, secret })
    }

    pub fn urls(&self) -> &[String] {
        &self.urls
    }
}

/// The configured hooks and the client that calls them.
pub struct Webhooks {
    settings: WebhookSettings,
    client: HttpClient,
}

impl Webhooks {
    pub fn urls(&self) -> &[String] {
        &self.settings.urls
    }

    pub fn new(settings: WebhookSettings) -> Result<Self, SendError> {
        // A full TLS provider (ECDSA and the NIST curves included): hook receivers
        // present whatever certificates their hosts chose.
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| SendError::Tls(e.to_string()))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            settings,
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA-256 of "<t>.<body>">`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let mut context = ring::hmac::Context::with_key(&key);
    context.update(timestamp.to_string().as_bytes());
    context.update(b".");
    context.update(body);
    format!("t={timestamp},v1={}", hex(context.sign().as_ref()))
}

/// What readers can see changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Published,
    Updated,
    Unpublished,
    Deleted,
}

impl Change {
    pub const ALL: [Change; 4] = [
        Change::Published,
        Change::Updated,
        Change::Unpublished,
        Change::Deleted,
    ];

    /// The change from `before` to `after` (`None`: deleted), if readers see it.
    pub fn between<T: Content>(before: &T, after: Option<&T>) -> Option<Self> {
        let was = before.status() == Status::Published;
        let is = after.is_some_and(|a| a.status() == Status::Published);
        match (was, is, after.is_some()) {
            (false, true, _) => Some(Change::Published),
            (true, true, _) => Some(Change::Updated),
            (true, false, true) => Some(Change::Unpublished),
            (true, false, false) => Some(Change::Deleted),
            (false, false, _) => None,
        }
    }

    pub fn event_type(self) -> &'static str {
        match self {
            Change::Published => "content.published",
            Change::Updated => "content.updated",
            Change::Unpublished => "content.unpublished",
            Change::Deleted => "content.deleted",
        }
    }
}

/// The JSON a hook receives.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub occurred_at: String,
    pub content_type: ContentKind,
    pub content_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Pending,
    Delivered,
    Failed,
}

/// One event on its way to one URL: the outbox row's data.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub id: String,
    pub url: String,
    pub event: Event,
    pub state: State,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub created_at: String,
    pub next_attempt_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
}

impl Delivery {
    /// A new delivery of `event` to `url`, due at `now`.
    fn pending(id: String, url: String, event: Event, now: &str) -> Self {
        Self {
            id,
            url,
            event,
            state: State::Pending,
            attempts: 0,
            last_status: None,
            last_error: None,
            created_at: now.to_string(),
            next_attempt_at: now.to_string(),
            finished_at: None,
        }
    }
}

fn stamp(time: DateTime<Utc>) -> String {
    Timestamp::from_utc(time).as_str().to_string()
}

fn row(delivery: &Delivery, version: u64) -> Result<Item, UseCaseError> {
    let key = keys::webhook_delivery(&delivery.id);
    let (index, order) = match delivery.state {
        State::Pending => (keys::WEBHOOKS_PENDING, &delivery.next_attempt_at),
        State::Delivered | State::Failed => (
            keys::WEBHOOKS_DONE,
            delivery
                .finished_at
                .as_ref()
                .unwrap_or(&delivery.created_at),
        ),
    };
    let expires = DateTime::parse_from_rfc3339(&delivery.created_at)
        .map(|t| t.timestamp())
        .unwrap_or_default()
        + KEEP_DAYS * 86_400;
    Ok(Item {
        pk: key.pk,
        sk: key.sk,
        gsi1pk: Some(index.into()),
        gsi1sk: Some(format!("{order}#{}", delivery.id)),
        entity_type: entity::WEBHOOK_DELIVERY.into(),
        data: Some(
            serde_json::to_string(delivery).map_err(|e| UseCaseError::Corrupt(e.to_string()))?,
        ),
        version,
        expires_at: Some(expires),
        ..Item::default()
    })
}

fn from_row(item: &Item) -> Result<Delivery, UseCaseError> {
    serde_json::from_str(item.data.as_deref().unwrap_or("null"))
        .map_err(|e| UseCaseError::Corrupt(format!("corrupt webhook delivery {}: {e}", item.pk)))
}

/// The outbox rows of a change: one delivery per URL, to be written in the same
/// transaction as the change itself. Empty without hooks or without a change.
pub fn outbox<T: Content>(
    hooks: Option<&Webhooks>,
    change: Option<Change>,
    item: &T,
) -> Result<Vec<Write>, UseCaseError> {
    let (Some(hooks), Some(change)) = (hooks, change) else {
        return Ok(Vec::new());
    };
    let now = stamp(Utc::now());
    let event = Event {
        id: random::token()?,
        event_type: change.event_type().into(),
        occurred_at: now.clone(),
        content_type: T::KIND,
        content_id: item.id().to_string(),
        slug: item.slug().map(String::from),
    };
    hooks
        .settings
        .urls
        .iter()
        .map(|url| {
            let delivery = Delivery::pending(random::token()?, url.clone(), event.clone(), &now);
            Ok(Write::Put {
                item: row(&delivery, 1)?,
                condition: Condition::NotExists,
            })
        })
        .collect()
}

/// One POST, its whole exchange within `limit`; the status, or why there was none.
async fn send(hooks: &Webhooks, delivery: &Delivery, limit: Duration) -> Result<u16, SendError> {
    let body =
        serde_json::to_vec(&delivery.event).map_err(|e| SendError::Request(e.to_string()))?;
    let request = http::Request::post(&delivery.url)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::USER_AGENT, "folio-webhooks/1")
        .header("x-folio-event", &delivery.event.event_type)
        .header("x-folio-delivery", &delivery.id)
        .header(
            "x-folio-signature",
            signature(&hooks.settings.secret, Utc::now().timestamp(), &body),
        )
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| SendError::Request(e.to_string()))?;
    let deadline = tokio::time::Instant::now() + limit;
    let response = tokio::time::timeout_at(deadline, hooks.client.request(request))
        .await
        .map_err(|_| SendError::NoAnswer(limit.as_secs().max(1)))?
        .map_err(|e| SendError::Failed(e.to_string()))?;
    let status = response.status().as_u16();
    // Read a little of the body so the connection can be reused; past
    // `MAX_ANSWER_BYTES` or the deadline, the body is dropped with its connection.
    let mut answer = response.into_body();
    let drain = async {
        let mut read = 0usize;
        while read <= MAX_ANSWER_BYTES {
            match answer.frame().await {
                Some(Ok(frame)) => read += frame.data_ref().map_or(0, Bytes::len),
                _ => break,
            }
        }
    };
    let _ = tokio::time::timeout_at(deadline, drain).await;
    Ok(status)
}

/// Sends every delivery due at `now`, within `SEND_BUDGET`; returns how many
/// were attempted.
pub async fn deliver_due(
    store: &dyn Store,
    hooks: Option<&Webhooks>,
    now: DateTime<Utc>,
) -> Result<usize, UseCaseError> {
    deliver_due_within(store, hooks, now, SEND_BUDGET).await
}

/// `deliver_due` with another budget (tests).
pub async fn deliver_due_within(
    store: &dyn Store,
    hooks: Option<&Webhooks>,
    now: DateTime<Utc>,
    budget: Duration,
) -> Result<usize, UseCaseError> {
    let Some(hooks) = hooks else {
        return Ok(0);
    };
    let due = keys::due_by(keys::WEBHOOKS_PENDING, &stamp(now), BATCH);
    let mut attempted = 0;
    let started = std::time::Instant::now();
    for candidate in store.query(&due).await? {
        let left = budget.saturating_sub(started.elapsed());
        if left < MIN_SEND.min(budget) {
            break;
        }
        // The index may lag: read the row itself, then claim it.
        let Some(current) = store.get(&candidate.key()).await? else {
            continue;
        };
        let mut delivery = from_row(&current)?;
        let due_now = delivery.state == State::Pending
            && DateTime::parse_from_rfc3339(&delivery.next_attempt_at)
                .is_ok_and(|t| t.with_timezone(&Utc) <= now);
        if !due_now {
            continue;
        }
        // The claim records the attempt before it is made: a tick that dies while
        // sending (the Lambda's timeout) leaves it counted, with the reason, and
        // the lease brings it back after `LEASE`.
        let out_of_attempts = delivery.attempts >= MAX_ATTEMPTS;
        if out_of_attempts {
            delivery.state = State::Failed;
            delivery.finished_at = Some(stamp(now));
        } else {
            delivery.attempts += 1;
            delivery.last_error = Some("the attempt did not finish (the tick ended)".into());
            delivery.next_attempt_at = stamp(now + LEASE);
        }
        let claim = Write::Put {
            item: row(&delivery, current.version + 1)?,
            condition: Condition::VersionIs(current.version),
        };
        match store.transact(vec![claim]).await {
            Ok(()) => {}
            // Another tick claimed it first.
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
        if out_of_attempts {
            continue;
        }
        attempted += 1;
        let outcome = send(hooks, &delivery, left.min(REQUEST_TIMEOUT)).await;
        let finished = Utc::now();
        match outcome {
            Ok(status) if (200..300).contains(&status) => {
                delivery.state = State::Delivered;
                delivery.last_status = Some(status);
                delivery.last_error = None;
                delivery.finished_at = Some(stamp(finished));
            }
            failure => {
                match failure {
                    Ok(status) => {
                        delivery.last_status = Some(status);
                        delivery.last_error = Some(format!("answered {status}"));
                    }
                    Err(reason) => delivery.last_error = Some(reason.to_string()),
                }
                if delivery.attempts >= MAX_ATTEMPTS {
                    delivery.state = State::Failed;
                    delivery.finished_at = Some(stamp(finished));
                } else {
                    let wait = FIRST_RETRY * 2u32.pow(delivery.attempts - 1);
                    delivery.next_attempt_at = stamp(finished + wait);
                }
            }
        }
        tracing::info!(
            delivery = %delivery.id,
            event = %delivery.event.event_type,
            state = ?delivery.state,
            attempts = delivery.attempts,
            "webhook delivery"
        );
        store
            .transact(vec![Write::Put {
                item: row(&delivery, current.version + 2)?,
                condition: Condition::VersionIs(current.version + 1),
            }])
            .await?;
    }
    Ok(attempted)
}

/// The newest deliveries, pending or finished, newest first.
pub async fn recent(store: &dyn Store) -> Result<Vec<Delivery>, UseCaseError> {
    let mut out = Vec::new();
    for index in [keys::WEBHOOKS_PENDING, keys::WEBHOOKS_DONE] {
        for item in store.query(&Query::gsi1(index).first(RECENT)).await? {
            out.push(from_row(&item)?);
        }
    }
    out.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| b.id.cmp(&a.id))
    });
    out.truncate(RECENT);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // RFC 4231 test case 2's key and data, laid out as "<t>.<body>".
        let sig = signature("Jefe", 1, b"what do ya want for nothing?");
        assert!(sig.starts_with("t=1,v1="), "{sig}");
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"Jefe");
        let expected = ring::hmac::sign(&key, b"1.what do ya want for nothing?");
        assert_eq!(&sig[7..], hex(expected.as_ref()));
        assert_ne!(signature("Jefe", 2, b"x"), signature("Jefe", 1, b"x"));
    }

    #[test]
    fn settings_are_checked_and_named() {
        let lookup = |pairs: Vec<(&'static str, String)>| {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            Env::from_pairs(&pairs)
        };
        assert!(
            WebhookSettings::from_env(&lookup(vec![]))
                .unwrap()
                .is_none()
        );
        let secret = "s".repeat(MIN_SECRET_CHARS);
        let ok = WebhookSettings::from_env(&lookup(vec![
            (
                WEBHOOK_URLS.name,
                "https://a.example/hook, http://127.0.0.1:9/x".into(),
            ),
            ("WEBHOOK_SECRET", secret.clone()),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(ok.urls().len(), 2);
        assert!(
            !format!("{ok:?}").contains(&secret),
            "Debug never shows the secret"
        );
        for (urls, secret, name) in [
            ("https://a.example", "short".to_string(), "WEBHOOK_SECRET"),
            ("ftp://a.example", secret.clone(), "WEBHOOK_URLS"),
            ("not a url", secret.clone(), "WEBHOOK_URLS"),
            (
                "https://1.example,https://2.example,https://3.example,https://4.example,https://5.example,https://6.example",
                secret.clone(),
                WEBHOOK_URLS.name,
            ),
        ] {
            let error = WebhookSettings::from_env(&lookup(vec![
                (WEBHOOK_URLS.name, urls.into()),
                ("WEBHOOK_SECRET", secret),
            ]))
            .unwrap_err();
            assert_eq!(error.name, name, "{urls}");
        }
    }

    mod hostile_receivers {
        use super::super::*;
        use crate::adapters::local::embedded::EmbeddedStore;
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio::net::TcpListener;

        const SECRET: &str = "a-test-secret-of-at-least-32-characters";

        fn store() -> (tempfile::TempDir, EmbeddedStore) {
            let dir = tempfile::tempdir().unwrap();
            let store = EmbeddedStore::open(&dir.path().join("s.redb")).unwrap();
            (dir, store)
        }

        async fn due(store: &EmbeddedStore, url: &str, count: usize) -> Vec<String> {
            let now = stamp(Utc::now() - chrono::Duration::seconds(1));
            let mut ids = Vec::new();
            for i in 0..count {
                let event = Event {
                    id: format!("e{i}"),
                    event_type: "content.published".into(),
                    occurred_at: now.clone(),
                    content_type: ContentKind::Blog,
                    content_id: format!("c{i}"),
                    slug: None,
                };
                let delivery = Delivery::pending(format!("d{i}"), url.into(), event, &now);
                let put = Write::Put {
                    item: row(&delivery, 1).unwrap(),
                    condition: Condition::NotExists,
                };
                store.transact(vec![put]).await.unwrap();
                ids.push(delivery.id);
            }
            ids
        }

        async fn delivery(store: &EmbeddedStore, id: &str) -> Delivery {
            from_row(
                &store
                    .get(&keys::webhook_delivery(id))
                    .await
                    .unwrap()
                    .unwrap(),
            )
            .unwrap()
        }

        fn hooks(url: &str) -> Webhooks {
            Webhooks::new(WebhookSettings::new(vec![url.into()], SECRET.into()).unwrap()).unwrap()
        }

        /// A receiver that reads requests and never answers; counts connections.
        async fn silent() -> (String, Arc<AtomicUsize>) {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/hook", listener.local_addr().unwrap());
            let seen = Arc::new(AtomicUsize::new(0));
            let counter = Arc::clone(&seen);
            tokio::spawn(async move {
                while let Ok((mut socket, _)) = listener.accept().await {
                    counter.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(async move {
                        let mut buf = [0u8; 4096];
                        while socket.read(&mut buf).await.is_ok_and(|n| n > 0) {}
                    });
                }
            });
            (url, seen)
        }

        #[tokio::test]
        async fn a_tick_with_silent_receivers_ends_within_its_budget() {
            let (_dir, store) = store();
            let (url, _) = silent().await;
            let ids = due(&store, &url, 3).await;
            let budget = Duration::from_millis(800);
            let started = std::time::Instant::now();
            deliver_due_within(&store, Some(&hooks(&url)), Utc::now(), budget)
                .await
                .unwrap();
            // Before, the first delivery alone waited REQUEST_TIMEOUT (4 s), whatever
            // was left of the budget; the margin here is for a loaded machine.
            assert!(
                started.elapsed() < budget + Duration::from_millis(1500),
                "{:?}",
                started.elapsed()
            );
            let first = delivery(&store, &ids[0]).await;
            assert_eq!(first.attempts, 1);
            assert!(first.last_error.unwrap().contains("no answer"));
        }

        #[tokio::test]
        async fn an_attempt_is_recorded_before_it_is_sent() {
            let (_dir, store) = store();
            let (url, seen) = silent().await;
            let ids = due(&store, &url, 1).await;
            let store = Arc::new(store);
            let tick = {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let hooks = hooks(&url);
                    deliver_due(store.as_ref(), Some(&hooks), Utc::now()).await
                })
            };
            while seen.load(Ordering::SeqCst) == 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            // The Lambda's timeout ends the tick mid-send.
            tick.abort();
            let recorded = delivery(&store, &ids[0]).await;
            assert_eq!(recorded.attempts, 1);
            assert_eq!(recorded.state, State::Pending);
            assert!(recorded.last_error.unwrap().contains("did not finish"));
        }

        #[tokio::test]
        async fn an_endless_answer_is_read_no_further_than_the_cap() {
            let (_dir, store) = store();
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/hook", listener.local_addr().unwrap());
            let written = Arc::new(AtomicUsize::new(0));
            let counter = Arc::clone(&written);
            let receiver = tokio::spawn(async move {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-length: 1073741824\r\n\r\n";
                socket.write_all(head.as_bytes()).await.unwrap();
                let chunk = vec![b'x'; 64 * 1024];
                while counter.load(Ordering::SeqCst) < 1 << 30 {
                    if socket.write_all(&chunk).await.is_err() {
                        break;
                    }
                    counter.fetch_add(chunk.len(), Ordering::SeqCst);
                }
            });
            let ids = due(&store, &url, 1).await;
            deliver_due(&store, Some(&hooks(&url)), Utc::now())
                .await
                .unwrap();
            let done = delivery(&store, &ids[0]).await;
            assert_eq!(
                (done.state, done.last_status),
                (State::Delivered, Some(200))
            );
            receiver.await.unwrap();
            // What the receiver got into the socket buffers before the connection
            // closed: a few MB at most, not the gigabyte it offered.
            let written = written.load(Ordering::SeqCst);
            assert!(written < 64 << 20, "{written} bytes were taken");
        }
    }
}
