//! Cookieless, deduplicated visit and view counting (DESIGN §4).
//!
//! The visitor key is HMAC-SHA-256 over the client address and User-Agent, keyed by
//! a random salt of the UTC day. Salts live two days and are then deleted, so no
//! stored key can be traced back to an address. The dedup marker and the counter
//! increments commit in one transaction: concurrent duplicates count once.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Datelike, Duration, NaiveDate};
use folio_shared::domain::{ContentKind, ItemId, Status};
use ring::hmac;

use crate::ports::keys::{self, entity};
use crate::ports::store::{Condition, Item, Query, SortKeyRange, Store, StoreError, Write};
use crate::usecases::audience::{self, Admitted, Dimension, Filter, Table, VisitContext};
use crate::usecases::error::UseCaseError;
use crate::usecases::readership::{self, Engagement, Readership};
use crate::usecases::tracking_limit::{Kind, TrackingLimiter, network_of};

/// Substrings of User-Agents that are not people: crawlers, previewers, HTTP libraries.
const BOT_MARKERS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "facebookexternalhit",
    "headlesschrome",
    "lighthouse",
    "preview",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "go-http-client",
    "okhttp",
    "java/",
    "libwww",
    "httpclient",
    "axios/",
    "node-fetch",
    // `folio smoke`, which checks a live site without adding to its numbers.
    "folio-smoke/",
];

pub fn is_bot(user_agent: &str) -> bool {
    let ua = user_agent.to_ascii_lowercase();
    ua.trim().is_empty() || BOT_MARKERS.iter().any(|m| ua.contains(m))
}

/// Seconds since the epoch at the start of `day` (UTC).
fn start_of(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp())
        .unwrap_or(0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Counted,
    Duplicate,
    /// A bot's or referrer spam's: left out of the numbers.
    Filtered,
}

/// What a visit's track did, and the token of its profile when this process
/// knows it (it counted the visit, or remembers its profile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    pub outcome: Outcome,
    pub visit: Option<VisitToken>,
}

/// A visit's profile id, vouched for by the day's salt. A visit's answer gives
/// it to the tracker (`4.js`), which sends it with that page's view and
/// engagement, so an instance that did not count the visit finds the profile
/// its views count under without reading the visit's marker (a GetItem per
/// view). It holds the profile id (five characters of a hash, or none for a
/// visit counted without one) and a MAC over that id and the visitor key: it
/// names no one, holds for one visitor (address and User-Agent) and one day,
/// and one that does not verify is only not trusted (the marker is read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitToken(String);

/// The bytes of a visit token's MAC (96 bits: forging one is guessing them).
const VISIT_MAC_BYTES: usize = 12;
/// Those bytes in unpadded base64.
const VISIT_MAC_CHARS: usize = 16;

/// Text that is not a visit token's shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "must be the `visit` a visit's answer gave: a profile id of {} characters or none, a dot, and {VISIT_MAC_CHARS} characters of a code",
    audience::PROFILE_ID_CHARS
)]
pub struct NotAVisitToken;

impl VisitToken {
    /// The longest a token is.
    pub const MAX_CHARS: usize = audience::PROFILE_ID_CHARS + 1 + VISIT_MAC_CHARS;
    /// The shape `parse` takes, for the API's document (a test holds them equal).
    pub const PATTERN: &str = "^([A-Za-z0-9_-]{5})?\\.[A-Za-z0-9_-]{16}$";

    /// A token's shape, as a client sends it back; whether it verifies is for
    /// the view to find.
    pub fn parse(text: &str) -> Result<Self, NotAVisitToken> {
        let (profile, mac) = text.split_once('.').ok_or(NotAVisitToken)?;
        let shaped = (profile.is_empty() || audience::is_profile_id(profile))
            && mac.len() == VISIT_MAC_CHARS
            && folio_shared::domain::is_url_safe(mac);
        shaped.then(|| Self(text.to_string())).ok_or(NotAVisitToken)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The profile id the token names (`None`: a visit counted without one).
    fn profile_id(&self) -> Option<&str> {
        self.0
            .split_once('.')
            .map(|(id, _)| id)
            .filter(|id| !id.is_empty())
    }

    fn mint(salt: &hmac::Key, visitor: &str, profile_id: Option<&str>) -> Self {
        let profile = profile_id.unwrap_or("");
        Self(format!(
            "{profile}.{}",
            URL_SAFE_NO_PAD.encode(visit_mac(salt, visitor, profile))
        ))
    }

    /// The profile id this token vouches for as `visitor`'s today
    /// (`Some(None)`: a visit counted without one), or `None` if it does not.
    fn profile_of(&self, salt: &hmac::Key, visitor: &str) -> Option<Option<String>> {
        let (profile, mac) = self.0.split_once('.')?;
        let sent = URL_SAFE_NO_PAD.decode(mac).ok()?;
        let expected = visit_mac(salt, visitor, profile);
        // Compared in constant time: how far a guess matched must not show.
        let differ = sent.len() != expected.len()
            || sent
                .iter()
                .zip(expected)
                .fold(0u8, |differ, (a, b)| differ | (a ^ b))
                != 0;
        (!differ).then(|| (!profile.is_empty()).then(|| profile.to_string()))
    }
}

/// A visit token's MAC: the day's salt over the visitor key and the profile id.
/// Its input starts with words no address starts with, so it is never a
/// visitor key's (`Tracker::visitor_key`).
fn visit_mac(salt: &hmac::Key, visitor: &str, profile: &str) -> [u8; VISIT_MAC_BYTES] {
    let mut ctx = hmac::Context::with_key(salt);
    ctx.update(b"visit profile\n");
    ctx.update(visitor.as_bytes());
    ctx.update(b"\n");
    ctx.update(profile.as_bytes());
    let mut mac = [0; VISIT_MAC_BYTES];
    mac.copy_from_slice(&ctx.sign().as_ref()[..VISIT_MAC_BYTES]);
    mac
}

/// How a live minute is written in its rows' keys (UTC).
const LIVE_MINUTE: &str = "%Y-%m-%dT%H:%M";
/// A visitor is live for this long after a tracked visit.
pub const LIVE_SECS: i64 = 300;
/// How much of the visitor key a live row keeps: enough to tell a site's
/// current visitors apart, too little to match against anything else.
const LIVE_VISITOR_CHARS: usize = 8;

/// Whether a visitor marked live at `marked` (minutes since the epoch) is
/// still counted live at `minute`.
fn still_live(marked: i64, minute: i64) -> bool {
    minute - marked < LIVE_SECS / 60
}

/// A visitor marked live: the minute (since the epoch), and the write.
struct Live {
    minute: i64,
    write: Write,
}

/// How far back a new day's salt deletes old salts explicitly.
const SALT_CLEANUP_DAYS: i64 = 31;

/// How many of today's markers a process remembers having seen written: about
/// 150 bytes each, so at most ≈ 3 MiB.
const SEEN_MARKERS: usize = 20_000;

pub struct Tracker {
    region: String,
    /// What one network may add to the counters (429 past it).
    pub limiter: TrackingLimiter,
    /// Today's salt, cached: one store read per process per day.
    salt: Mutex<Option<(NaiveDate, hmac::Key)>>,
    /// Markers this process knows exist: it wrote them, or its write found them.
    /// A marker is never deleted before its day is over (its key holds the day;
    /// TTL removes it the day after), so a visitor or view found here is a
    /// duplicate without a transaction: a repeat costs one store call, not two.
    seen: Mutex<Seen>,
    /// The audience values this process added today (their cap).
    admitted: Mutex<Admitted>,
    /// The visitors this process marked live, and the minute it did (minutes
    /// since the epoch): a visitor is marked again only once that mark runs out.
    live: Mutex<HashMap<String, i64>>,
    /// The counts the last tracks answered with (`recent_sum`).
    recent: Mutex<RecentSums>,
    /// Whether the last views whose visit's profile this process did not know
    /// found a visit counted: how the next one learns it.
    visits_found: VisitsFound,
}

/// What the last [`VisitsFound::OF`] views whose visit's profile this process
/// did not know found: one bit each, newest lowest, set where a visit had been
/// counted (by another process: this one remembers its own).
#[derive(Default)]
struct VisitsFound(AtomicU32);

impl VisitsFound {
    const OF: u32 = 16;

    fn record(&self, found: bool) {
        // One load and one store: two views at once may lose one's bit, which
        // only ages the estimate by one view.
        let bits = self.0.load(Ordering::Relaxed);
        let mask = (1 << Self::OF) - 1;
        self.0
            .store(((bits << 1) | u32::from(found)) & mask, Ordering::Relaxed);
    }

    /// Whether more than half of them found one.
    fn mostly(&self) -> bool {
        self.0.load(Ordering::Relaxed).count_ones() > Self::OF / 2
    }
}

/// How long a sum a track answers with is reused: a store round trip saved on
/// every track but one a second under load. Another instance's counts show up
/// within it; another Region's after that Region's write has replicated, which
/// is asynchronous and has no stated bound ("ReplicationLatency",
/// <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_monitoring.html>).
const RECENT_SUM_SECS: u64 = 1;
/// How many recent sums a process keeps (the visitors' and one per item viewed).
const RECENT_SUMS: usize = 1_000;

/// Sums a track answered with lately, each with when it was read, plus what this
/// process counted since.
#[derive(Default)]
struct RecentSums(HashMap<String, (Instant, i64)>);

/// The markers of one day a process saw exist (forgotten all at once when full:
/// a visitor forgotten costs one transaction more, never a count).
#[derive(Default)]
struct Seen {
    day: Option<NaiveDate>,
    markers: HashSet<crate::ports::Key>,
    /// Today's visitors' profile ids (`audience::profile_id`): what their views
    /// and reads are kept under. `None` for a visit counted without one, or a
    /// visitor whose marker was not there when a view looked it up.
    profiles: HashMap<String, Option<String>>,
    /// The tokens this process answered today's visitors with: a repeat visit
    /// answers the same one without computing it again.
    tokens: HashMap<String, VisitToken>,
}

impl Tracker {
    pub fn new(region: impl Into<String>) -> Self {
        Self {
            region: region.into(),
            limiter: TrackingLimiter::default(),
            salt: Mutex::new(None),
            seen: Mutex::new(Seen::default()),
            admitted: Mutex::new(Admitted::default()),
            live: Mutex::new(HashMap::new()),
            recent: Mutex::new(RecentSums::default()),
            visits_found: VisitsFound::default(),
        }
    }

    /// The number of visitors a track answers with: the sum over Regions read
    /// at most [`RECENT_SUM_SECS`] ago, plus the visits this process counted since.
    pub async fn recent_visitor_count(&self, store: &dyn Store) -> Result<i64, UseCaseError> {
        self.recent_sum(VISITORS_SUM, visitor_count(store)).await
    }

    /// An item's views as a view's track answers them, as [`Self::recent_visitor_count`].
    pub async fn recent_views_of(
        &self,
        store: &dyn Store,
        kind: ContentKind,
        id: &ItemId,
    ) -> Result<i64, UseCaseError> {
        self.recent_sum(&views_sum(kind, id), views_of(store, kind, id))
            .await
    }

    async fn recent_sum(
        &self,
        name: &str,
        read: impl std::future::Future<Output = Result<i64, UseCaseError>>,
    ) -> Result<i64, UseCaseError> {
        if let Ok(recent) = self.recent.lock()
            && let Some((read_at, sum)) = recent.0.get(name)
            && read_at.elapsed().as_secs() < RECENT_SUM_SECS
        {
            return Ok(*sum);
        }
        let sum = read.await?;
        if let Ok(mut recent) = self.recent.lock() {
            if recent.0.len() >= RECENT_SUMS {
                recent.0.clear();
            }
            recent.0.insert(name.to_string(), (Instant::now(), sum));
        }
        Ok(sum)
    }

    /// Adds one this process just counted to a sum it keeps.
    fn counted_one(&self, name: &str) {
        if let Ok(mut recent) = self.recent.lock()
            && let Some((_, sum)) = recent.0.get_mut(name)
        {
            *sum += 1;
        }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// Whether this process saw `marker` exist today.
    fn seen(&self, day: NaiveDate, marker: &crate::ports::Key) -> bool {
        self.seen
            .lock()
            .is_ok_and(|seen| seen.day == Some(day) && seen.markers.contains(marker))
    }

    fn saw(&self, day: NaiveDate, marker: crate::ports::Key) {
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        Self::roll(&mut seen, day);
        seen.markers.insert(marker);
    }

    /// Forgets a day before `day`, or everything when full.
    fn roll(seen: &mut Seen, day: NaiveDate) {
        if seen.day != Some(day)
            || seen.markers.len() >= SEEN_MARKERS
            || seen.profiles.len() >= SEEN_MARKERS
            || seen.tokens.len() >= SEEN_MARKERS
        {
            seen.markers.clear();
            seen.profiles.clear();
            seen.tokens.clear();
            seen.day = Some(day);
        }
    }

    fn remember_profile(&self, day: NaiveDate, visitor: &str, profile_id: Option<String>) {
        if let Ok(mut seen) = self.seen.lock() {
            Self::roll(&mut seen, day);
            seen.profiles.insert(visitor.to_string(), profile_id);
        }
    }

    /// What this process knows of `visitor`'s profile today (`Seen::profiles`).
    fn remembered_profile(&self, day: NaiveDate, visitor: &str) -> Option<Option<String>> {
        let seen = self.seen.lock().ok()?;
        if seen.day != Some(day) {
            return None;
        }
        seen.profiles.get(visitor).cloned()
    }

    /// What this process knows of the profile of `visitor`'s visit today without
    /// reading the store: remembered if this process counted or looked it up,
    /// else vouched for by the visit's token (`VisitToken`). `Some(None)`: no
    /// visit counted today, as far as this process knows; `None`: only the
    /// visit's marker can say.
    async fn known_profile(
        &self,
        store: &dyn Store,
        day: NaiveDate,
        visitor: &str,
        token: Option<&VisitToken>,
    ) -> Option<Option<String>> {
        let remembered = self.remembered_profile(day, visitor);
        if let Some(Some(profile_id)) = remembered {
            return Some(Some(profile_id));
        }
        // A token outranks a `None` remembered from a marker not yet there.
        if let Some(token) = token
            && let Ok(salt) = self.salt_for(store, day).await
            && let Some(vouched) = token.profile_of(&salt, visitor)
        {
            self.remember_profile(day, visitor, vouched.clone());
            return Some(vouched);
        }
        remembered
    }

    async fn salt_for(&self, store: &dyn Store, day: NaiveDate) -> Result<hmac::Key, UseCaseError> {
        if let Some((d, key)) = self.salt.lock().map_err(|_| poisoned())?.as_ref()
            && *d == day
        {
            return Ok(key.clone());
        }
        let bytes = match store.get(&keys::salt(day)).await? {
            Some(row) => decode_salt(&row)?,
            None => self.create_salt(store, day).await?,
        };
        let key = hmac::Key::new(hmac::HMAC_SHA256, &bytes);
        *self.salt.lock().map_err(|_| poisoned())? = Some((day, key.clone()));
        Ok(key)
    }

    /// Creates the day's salt, deleting salts two or more days old in the same write.
    /// If another instance created it first, theirs is used.
    async fn create_salt(
        &self,
        store: &dyn Store,
        day: NaiveDate,
    ) -> Result<Vec<u8>, UseCaseError> {
        let salt = crate::support::random::bytes::<32>()?;
        let key = keys::salt(day);
        let row = Item {
            pk: key.pk,
            sk: key.sk,
            entity_type: entity::SALT.into(),
            data: Some(URL_SAFE_NO_PAD.encode(salt)),
            expires_at: Some(start_of(day + Duration::days(2))),
            ..Item::default()
        };
        let mut writes = vec![Write::Put {
            item: row,
            condition: Condition::NotExists,
        }];
        // Salts two or more days old go in the same write, back a month, so days
        // the service was down leave none behind (their rows have also expired:
        // the embedded store sweeps them, DynamoDB's TTL deletes them later).
        for age in 2..=SALT_CLEANUP_DAYS {
            let old = keys::salt(day - Duration::days(age));
            writes.push(Write::Delete {
                key: old,
                condition: Condition::None,
            });
        }
        match store.transact(writes).await {
            Ok(()) => Ok(salt.to_vec()),
            Err(StoreError::ConditionFailed { index: 0, .. }) => {
                let row = store.get(&keys::salt(day)).await?.ok_or_else(|| {
                    UseCaseError::Corrupt("salt vanished after a concurrent create".into())
                })?;
                decode_salt(&row)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The visitor key of a client today; the address never leaves this function.
    async fn visitor_key(
        &self,
        store: &dyn Store,
        day: NaiveDate,
        client_address: &str,
        user_agent: &str,
    ) -> Result<String, UseCaseError> {
        let salt = self.salt_for(store, day).await?;
        let mut ctx = hmac::Context::with_key(&salt);
        // An IPv6 client is one visitor across its /64, which it can rotate through.
        ctx.update(network_of(client_address).as_bytes());
        ctx.update(b"\n");
        ctx.update(user_agent.as_bytes());
        Ok(URL_SAFE_NO_PAD.encode(&ctx.sign().as_ref()[..20]))
    }

    /// Counts a visit once per visitor and day; a counted visit also adds where it
    /// came from and on what (`audience`) to the day's aggregate row. A bot or a
    /// referrer-spam visit is counted once a day too, as filtered, and nowhere else.
    /// Every visit of a person, repeat or new, marks the visitor live this minute.
    pub async fn track_visit(
        &self,
        store: &dyn Store,
        day: NaiveDate,
        client_address: &str,
        user_agent: &str,
        visit: &VisitContext,
    ) -> Result<Tracked, UseCaseError> {
        let filter = if is_bot(user_agent) {
            Some(Filter::Bot)
        } else if audience::is_referrer_spam(visit) {
            Some(Filter::ReferrerSpam)
        } else {
            None
        };
        let visitor = self
            .visitor_key(store, day, client_address, user_agent)
            .await?;
        let marker = keys::visit_marker(day, &visitor);
        let outcome_not_counted = if filter.is_some() {
            Outcome::Filtered
        } else {
            Outcome::Duplicate
        };
        // A visit not counted now answers the token of the profile this
        // process remembers for it, if any.
        let known = &visitor;
        let not_counted = move |outcome: Outcome| async move {
            let visit = match (filter, self.remembered_profile(day, known)) {
                (None, Some(Some(profile_id))) => {
                    self.token(store, day, known, Some(&profile_id)).await
                }
                _ => None,
            };
            Ok::<_, UseCaseError>(Tracked { outcome, visit })
        };
        if self.seen(day, &marker) {
            if filter.is_none() {
                self.mark_live(store, &visitor, None, None).await;
            }
            return not_counted(outcome_not_counted).await;
        }
        let network = network_of(client_address);
        // Past the limit, a visitor whose marker exists is not counted again.
        if self
            .limit(store, &network, Kind::Visit, &marker)
            .await?
            .is_some()
        {
            self.saw(day, marker);
            return not_counted(outcome_not_counted).await;
        }
        let audience_row = |tallies: Vec<(String, i64)>| Write::Tally {
            key: keys::audience_on(day, &self.region),
            entity_type: entity::AUDIENCE.into(),
            by: tallies,
            listed_at: None,
        };
        // A counted visit's marker holds its profile id, for its views, and the
        // minute the visitor was last marked live (`Live`), for its repeats.
        // Claimed: a visit counted before answers its marker, and so both.
        let marker_claim = |profile_id: Option<&String>, live: Option<&Live>| Write::Claim {
            item: Item {
                data: profile_id.cloned(),
                count: live.map_or(0, |live| live.minute),
                ..marker_row(marker.clone(), entity::VISIT_MARKER, day)
            },
        };
        if let Some(filter) = filter {
            let tallies = self
                .admitted
                .lock()
                .map_err(|_| poisoned())?
                .tallies(day, vec![(Dimension::Filtered, filter.label().into())])
                .values;
            // A full audience row leaves the filtered visit uncounted: nothing is lost.
            match commit_once(store, vec![marker_claim(None, None), audience_row(tallies)]).await {
                Ok(_) | Err(UseCaseError::Store(StoreError::Limit(_))) => {}
                Err(e) => return Err(e),
            }
            self.limiter.counted(&network, Kind::Visit);
            self.saw(day, marker);
            return Ok(Tracked {
                outcome: Outcome::Filtered,
                visit: None,
            });
        }
        let live = self.live_write(&visitor);
        let tallies = self
            .admitted
            .lock()
            .map_err(|_| poisoned())?
            .tallies(day, audience::derive(visit, user_agent));
        let profile_id = tallies.profile.as_deref().and_then(audience::profile_id);
        let counted = |profile_id: Option<&String>| {
            let mut writes = vec![
                marker_claim(profile_id, live.as_ref()),
                counter(keys::visits_on(day, &self.region)),
                counter(keys::total(keys::VISITS, &self.region)),
            ];
            writes.extend(live.as_ref().map(|live| live.write.clone()));
            writes
        };
        let mut writes = counted(profile_id.as_ref());
        writes.push(audience_row(tallies.values));
        if let Some(profile) = tallies.profile {
            writes.push(Write::Tally {
                key: keys::audience_profiles_on(
                    day,
                    &self.region,
                    audience::profile_shard(&profile),
                ),
                entity_type: entity::AUDIENCE_PROFILES.into(),
                by: vec![(profile, 1)],
                listed_at: None,
            });
        }
        let mut held = None;
        let (outcome, profile_id) = match store.transact(writes).await {
            Ok(()) => (Outcome::Counted, profile_id),
            // Counted before, by another process (or before this one restarted):
            // its marker says the visit's profile, which its token then vouches
            // for, and when the visitor was last marked live.
            Err(StoreError::ConditionFailed { index: 0, holder }) => {
                if let Some(marker) = &holder {
                    self.remember_profile(day, &visitor, marker_profile(marker));
                }
                held = holder.map(|marker| *marker);
                (Outcome::Duplicate, None)
            }
            // The day's row is full (400 KB, every origin's values together): the
            // visit still counts, without its audience.
            Err(StoreError::Limit(limit)) => {
                tracing::warn!(%limit, "the audience row of the day is full");
                (commit_once(store, counted(None)).await?, None)
            }
            Err(error) => return Err(error.into()),
        };
        self.saw(day, marker);
        if outcome != Outcome::Counted {
            self.mark_live(store, &visitor, live, held).await;
            return not_counted(outcome).await;
        }
        self.limiter.counted(&network, Kind::Visit);
        self.counted_one(VISITORS_SUM);
        let visit = self
            .token(store, day, &visitor, profile_id.as_deref())
            .await;
        self.remember_profile(day, &visitor, profile_id);
        Ok(Tracked { outcome, visit })
    }

    /// `visitor`'s visit token: the one this process answered today, or one
    /// made now; none if the day's salt cannot be had (the visit was counted all
    /// the same; its views then read the visit).
    async fn token(
        &self,
        store: &dyn Store,
        day: NaiveDate,
        visitor: &str,
        profile_id: Option<&str>,
    ) -> Option<VisitToken> {
        if let Ok(seen) = self.seen.lock()
            && seen.day == Some(day)
            && let Some(kept) = seen.tokens.get(visitor)
            && kept.profile_id() == profile_id
        {
            return Some(kept.clone());
        }
        let salt = self.salt_for(store, day).await.ok()?;
        let token = VisitToken::mint(&salt, visitor, profile_id);
        if let Ok(mut seen) = self.seen.lock() {
            Self::roll(&mut seen, day);
            seen.tokens.insert(visitor.to_string(), token.clone());
        }
        Some(token)
    }

    /// The write that marks a visitor live this minute, unless this process
    /// marked them in the last [`LIVE_SECS`] (they are counted live until then).
    fn live_write(&self, visitor: &str) -> Option<Live> {
        let now = chrono::Utc::now();
        let minute = now.timestamp().div_euclid(60);
        let short: String = visitor.chars().take(LIVE_VISITOR_CHARS).collect();
        let mut live = self.live.lock().ok()?;
        if live
            .get(&short)
            .is_some_and(|&marked| still_live(marked, minute))
        {
            return None;
        }
        if live.len() >= SEEN_MARKERS {
            live.retain(|_, &mut marked| still_live(marked, minute));
        }
        live.insert(short.clone(), minute);
        let key = keys::live_visitor(&now.format(LIVE_MINUTE).to_string(), &short);
        Some(Live {
            minute,
            write: Write::Put {
                item: Item {
                    pk: key.pk,
                    sk: key.sk,
                    entity_type: entity::LIVE_VISITOR.into(),
                    expires_at: Some((now + Duration::seconds(LIVE_SECS * 2)).timestamp()),
                    ..Item::default()
                },
                condition: Condition::None,
            },
        })
    }

    /// Marks a repeat visitor live; a failure costs the live count one visitor,
    /// never the request. `marker`, the visit's marker as another process left
    /// it, says when that visitor was last marked live: within [`LIVE_SECS`]
    /// nothing is written (a repeat counted elsewhere costs its refused claim
    /// alone); past it, the marker takes the new minute in the same write.
    async fn mark_live(
        &self,
        store: &dyn Store,
        visitor: &str,
        live: Option<Live>,
        marker: Option<Item>,
    ) {
        let Some(live) = live.or_else(|| self.live_write(visitor)) else {
            return;
        };
        let mut writes = vec![live.write];
        if let Some(marker) = marker {
            if still_live(marker.count, live.minute) {
                self.marked_live_at(visitor, marker.count);
                return;
            }
            writes.push(Write::Put {
                item: Item {
                    count: live.minute,
                    ..marker
                },
                condition: Condition::None,
            });
        }
        if let Err(error) = store.transact(writes).await {
            tracing::warn!(%error, "could not mark a visitor live");
        }
    }

    /// Remembers that `visitor` was marked live at `minute` (by another process).
    fn marked_live_at(&self, visitor: &str, minute: i64) {
        let short: String = visitor.chars().take(LIVE_VISITOR_CHARS).collect();
        if let Ok(mut live) = self.live.lock() {
            live.insert(short, minute);
        }
    }

    /// The tracking limit: nothing to say while the network may still add counts;
    /// past it, a visitor counted already (its marker exists) is a duplicate as
    /// usual, and anyone else is refused with the limiter's 429.
    async fn limit(
        &self,
        store: &dyn Store,
        network: &str,
        kind: Kind,
        marker: &crate::ports::Key,
    ) -> Result<Option<Outcome>, UseCaseError> {
        let Err(refused) = self.limiter.check(network, kind) else {
            return Ok(None);
        };
        if store.get(marker).await?.is_some() {
            return Ok(Some(Outcome::Duplicate));
        }
        Err(refused)
    }

    /// Counts a view of a published item, or a view's engagement beacon (whether
    /// it was a read, and the time on page), once per visitor, item and day.
    /// `NotFound` if the item is not (or no longer) published.
    #[allow(clippy::too_many_arguments)]
    pub async fn track_item(
        &self,
        store: &dyn Store,
        day: NaiveDate,
        client_address: &str,
        user_agent: &str,
        kind: ContentKind,
        id: &ItemId,
        event: ItemEvent,
        visit: Option<&VisitToken>,
    ) -> Result<Outcome, UseCaseError> {
        if is_bot(user_agent) {
            return Ok(Outcome::Filtered);
        }
        let visitor = self
            .visitor_key(store, day, client_address, user_agent)
            .await?;
        let (marker, marker_entity) = match event {
            ItemEvent::View => (
                keys::view_marker(day, &visitor, kind, id),
                entity::VIEW_MARKER,
            ),
            ItemEvent::Engagement(_) => (
                keys::read_marker(day, &visitor, kind, id),
                entity::READ_MARKER,
            ),
        };
        if self.seen(day, &marker) {
            return Ok(Outcome::Duplicate);
        }
        let network = network_of(client_address);
        if let Some(outcome) = self.limit(store, &network, Kind::View, &marker).await? {
            self.saw(day, marker);
            return Ok(outcome);
        }
        // The marker first (its condition failing is a duplicate), the item's
        // published check second (its failing is a 404). Made again for a
        // second try (below) rather than cloned for the first.
        let read = matches!(event, ItemEvent::Engagement(e) if e.is_read());
        let writes = || {
            let mut writes = Vec::with_capacity(7);
            writes.push(Write::Put {
                item: marker_row(marker.clone(), marker_entity, day),
                condition: Condition::NotExists,
            });
            writes.push(Write::Check {
                key: keys::content(kind, id),
                condition: Condition::StatusIs(Status::Published.as_str().into()),
            });
            let tallies = match event {
                ItemEvent::View => {
                    writes.push(counter(keys::views_of(kind, id, &self.region)));
                    writes.push(counter(keys::total(keys::TOTAL_VIEWS, &self.region)));
                    readership::view_tally(kind, id)
                }
                ItemEvent::Engagement(engagement) => {
                    readership::engagement_tallies(kind, id, engagement)
                }
            };
            writes.push(Write::Tally {
                key: keys::readership_on(day, &self.region),
                entity_type: entity::READERSHIP.into(),
                by: tallies,
                listed_at: None,
            });
            writes
        };
        // A view, or a read, also counts under the profile of the visitor's
        // visit: what narrows "what they read" to the visits from a source.
        let known = if matches!(event, ItemEvent::View) || read {
            self.known_profile(store, day, &visitor, visit).await
        } else {
            Some(None)
        };
        let result = match known {
            Some(profile_id) => {
                let reading = self.profiled_reading(day, (kind, id), read, profile_id)?;
                commit_reading(store, &writes, reading).await
            }
            // Only the visit's marker knows: the writes go on the condition that
            // no visit was counted today (a frontend that sends views alone),
            // and where one was, the refused check answers its marker and the
            // writes go again with its profile's tally. One call where a read
            // of the marker and a write were two; two for a view whose visit
            // another process counted and whose token is not sent (tracker
            // 3.js), where the refused write costs more than a read: so where
            // most such views lately found a visit, the marker is read first.
            // The check is one more item in the transaction, taken to be
            // billed as a transactional write (docs/TRACKING.md).
            None if self.visits_found.mostly() => {
                let profile_id = match store.get(&keys::visit_marker(day, &visitor)).await {
                    Ok(marker) => {
                        self.found_visit(day, &visitor, marker.is_some(), marker.as_ref())
                    }
                    // The view counts all the same, under no profile.
                    Err(error) => {
                        tracing::warn!(%error, "could not read a visit's profile");
                        None
                    }
                };
                let reading = self.profiled_reading(day, (kind, id), read, profile_id)?;
                commit_reading(store, &writes, reading).await
            }
            None => {
                let check = keys::visit_marker(day, &visitor);
                let mut checked = writes();
                let at = checked.len();
                checked.push(Write::Absent { key: check });
                match store.transact(checked).await {
                    Ok(()) => {
                        self.found_visit(day, &visitor, false, None);
                        Ok(())
                    }
                    Err(StoreError::ConditionFailed { index, holder }) if index == at => {
                        let profile_id = self.found_visit(day, &visitor, true, holder.as_deref());
                        let reading = self.profiled_reading(day, (kind, id), read, profile_id)?;
                        commit_reading(store, &writes, reading).await
                    }
                    other => other,
                }
            }
        };
        match result {
            Ok(()) => {
                self.limiter.counted(&network, Kind::View);
                if matches!(event, ItemEvent::View) {
                    self.counted_one(&views_sum(kind, id));
                }
                self.saw(day, marker);
                Ok(Outcome::Counted)
            }
            Err(StoreError::ConditionFailed { index: 0, .. }) => {
                self.saw(day, marker);
                Ok(Outcome::Duplicate)
            }
            Err(StoreError::ConditionFailed { .. }) => Err(UseCaseError::NotFound),
            Err(e) => Err(e.into()),
        }
    }
}

impl Tracker {
    /// What a view learned of `visitor`'s visit today: whether one was
    /// counted (recorded for the next such view, `VisitsFound`), and its
    /// marker, whose profile is remembered for the visitor's next views and
    /// returned.
    fn found_visit(
        &self,
        day: NaiveDate,
        visitor: &str,
        found: bool,
        marker: Option<&Item>,
    ) -> Option<String> {
        self.visits_found.record(found);
        let profile_id = marker.and_then(marker_profile);
        self.remember_profile(day, visitor, profile_id.clone());
        profile_id
    }

    /// The tally a view (or a read) adds under the profile of the visitor's
    /// visit: what narrows "what they read" to the visits from a source. `None`
    /// without a profile, or past the day's cap.
    fn profiled_reading(
        &self,
        day: NaiveDate,
        (kind, id): (ContentKind, &ItemId),
        read: bool,
        profile_id: Option<String>,
    ) -> Result<Option<Write>, UseCaseError> {
        let Some(profile_id) = profile_id else {
            return Ok(None);
        };
        let tally = audience::reading_tally(&profile_id, &readership::item_name(kind, id), read);
        let admitted = self
            .admitted
            .lock()
            .map_err(|_| poisoned())?
            .reading(day, &tally);
        Ok(match audience::reading_shard(&tally) {
            Some(shard) if admitted => Some(Write::Tally {
                key: keys::profiled_reading_on(day, &self.region, shard),
                entity_type: entity::PROFILED_READING.into(),
                by: vec![(tally, 1)],
                listed_at: None,
            }),
            _ => None,
        })
    }
}

/// Commits a view's (or a read's) `writes` with its profile's `reading`; the
/// reading is left out when its row is full, and the view counts without it.
async fn commit_reading(
    store: &dyn Store,
    writes: &(dyn Fn() -> Vec<Write> + Sync),
    reading: Option<Write>,
) -> Result<(), StoreError> {
    let Some(reading) = reading else {
        return store.transact(writes()).await;
    };
    let mut all = writes();
    all.push(reading);
    match store.transact(all).await {
        Err(StoreError::Limit(limit)) => {
            tracing::warn!(%limit, "a row of what profiles read is full");
            store.transact(writes()).await
        }
        other => other,
    }
}

/// What a reader did with an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemEvent {
    View,
    /// The view's one engagement beacon.
    Engagement(Engagement),
}

fn poisoned() -> UseCaseError {
    UseCaseError::Corrupt("salt cache lock poisoned".into())
}

fn decode_salt(row: &Item) -> Result<Vec<u8>, UseCaseError> {
    row.data
        .as_deref()
        .and_then(|d| URL_SAFE_NO_PAD.decode(d).ok())
        .ok_or_else(|| UseCaseError::Corrupt("corrupt salt row".into()))
}

/// The profile id a visit's marker holds, if any (`audience::profile_id`).
fn marker_profile(marker: &Item) -> Option<String> {
    marker.data.clone().filter(|id| audience::is_profile_id(id))
}

fn marker_row(key: crate::ports::Key, entity_type: &str, day: NaiveDate) -> Item {
    Item {
        pk: key.pk,
        sk: key.sk,
        entity_type: entity_type.into(),
        // Markers are only needed for their day; TTL removes them after the next.
        expires_at: Some(start_of(day + Duration::days(2))),
        ..Item::default()
    }
}

fn counter(key: crate::ports::Key) -> Write {
    Write::Increment {
        key,
        entity_type: entity::COUNTER.into(),
        by: 1,
        label: None,
    }
}

async fn commit_once(store: &dyn Store, writes: Vec<Write>) -> Result<Outcome, UseCaseError> {
    match store.transact(writes).await {
        Ok(()) => Ok(Outcome::Counted),
        Err(StoreError::ConditionFailed { index: 0, .. }) => Ok(Outcome::Duplicate),
        Err(e) => Err(e.into()),
    }
}

async fn sum(store: &dyn Store, pk: &str, range: SortKeyRange) -> Result<i64, UseCaseError> {
    let rows = store.query(&Query::table(pk, range)).await?;
    Ok(rows.iter().map(|r| r.count).sum())
}

/// Where the visits of `first` to `last` (inclusive) came from and on what, summed
/// over every Region: one Query of the days' audience rows.
pub async fn audience_between(
    store: &dyn Store,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<BTreeMap<Dimension, Table>, UseCaseError> {
    let rows = store
        .query(&Query::table(
            keys::AUDIENCE,
            keys::visits_between(first, last),
        ))
        .await?;
    Ok(audience::tables(rows.iter().map(|row| &row.tallies)))
}

/// The audience of `period` narrowed to the visits that had every value of
/// `narrowing`, with how many visitors of `earlier` had them, and both
/// periods' views and reads of those visits: one Query each of the days'
/// audience rows, profile rows, rows of what profiles read and readership rows
/// (for the items' names), all four at once.
pub async fn audience_narrowed(
    store: &dyn Store,
    period: (NaiveDate, NaiveDate),
    earlier: (NaiveDate, NaiveDate),
    narrowing: &[(Dimension, String)],
) -> Result<NarrowedAudience, UseCaseError> {
    let days = keys::visits_between(earlier.0.min(period.0), period.1.max(earlier.1));
    let queries = [
        keys::AUDIENCE,
        keys::AUDIENCE_PROFILES,
        keys::PROFILED_READING,
        keys::READERSHIP,
    ]
    .map(|partition| Query::table(partition, days.clone()));
    let (rows, profiles, reading, readership) = tokio::join!(
        store.query(&queries[0]),
        store.query(&queries[1]),
        store.query(&queries[2]),
        store.query(&queries[3])
    );
    let (rows, profiles, reading, readership) = (rows?, profiles?, reading?, readership?);
    fn within(rows: &[Item], (first, last): (NaiveDate, NaiveDate)) -> Vec<&BTreeMap<String, i64>> {
        rows.iter()
            .filter(|row| {
                keys::day_of_visits_row(&row.sk).is_some_and(|day| (first..=last).contains(&day))
            })
            .map(|row| &row.tallies)
            .collect()
    }
    let narrow = |(first, last)| {
        audience::narrowed(
            &within(&rows, (first, last)),
            &within(&profiles, (first, last)),
            narrowing,
        )
    };
    fn by_day(rows: &[Item]) -> BTreeMap<NaiveDate, Vec<&BTreeMap<String, i64>>> {
        let mut days: BTreeMap<NaiveDate, Vec<_>> = BTreeMap::new();
        for row in rows {
            if let Some(day) = keys::day_of_visits_row(&row.sk) {
                days.entry(day).or_default().push(&row.tallies);
            }
        }
        days
    }
    let (profiles_by_day, reading_by_day) = (by_day(&profiles), by_day(&reading));
    let read = |(first, last): (NaiveDate, NaiveDate)| {
        let items = Readership::from_rows(within(&readership, (first, last))).item_names();
        let days: Vec<_> = profiles_by_day
            .range(first..=last)
            .filter_map(|(day, profiles)| {
                Some((profiles.clone(), reading_by_day.get(day)?.clone()))
            })
            .collect();
        let counts = audience::narrowed_reading(&days, narrowing, items.iter().map(String::as_str));
        Readership::of_counts(counts)
    };
    Ok(NarrowedAudience {
        visitors_before: narrow(earlier).visitors,
        within: narrow(period),
        reading: read(period),
        reading_before: read(earlier),
    })
}

/// A period's audience narrowed to the visits that had every value of a
/// narrowing, and what those visits read.
pub struct NarrowedAudience {
    pub within: audience::Narrowed,
    pub visitors_before: i64,
    /// Views and reads of the narrowed visits (no time on page: kept per item only).
    pub reading: Readership,
    pub reading_before: Readership,
}

/// Views, reads and time on page per item, for each period (`first`, `last`
/// inclusive), summed over every Region: one Query of the days' readership rows
/// from the earliest day to the latest.
pub async fn readership_in<const N: usize>(
    store: &dyn Store,
    periods: [(NaiveDate, NaiveDate); N],
) -> Result<[Readership; N], UseCaseError> {
    let (Some(first), Some(last)) = (
        periods.iter().map(|p| p.0).min(),
        periods.iter().map(|p| p.1).max(),
    ) else {
        return Ok(std::array::from_fn(|_| Readership::default()));
    };
    let rows = store
        .query(&Query::table(
            keys::READERSHIP,
            keys::visits_between(first, last),
        ))
        .await?;
    Ok(periods.map(|(from, to)| {
        Readership::from_rows(
            rows.iter()
                .filter(|row| {
                    keys::day_of_visits_row(&row.sk).is_some_and(|d| (from..=to).contains(&d))
                })
                .map(|row| &row.tallies),
        )
    }))
}

/// Distinct visitors seen in the last [`LIVE_SECS`] (by whole minutes, the
/// current one included): one Query.
pub async fn live_visitors(
    store: &dyn Store,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, UseCaseError> {
    let first = (now - Duration::seconds(LIVE_SECS - 60))
        .format(LIVE_MINUTE)
        .to_string();
    let last = now.format(LIVE_MINUTE).to_string();
    let rows = store.query(&keys::live_between(&first, &last)).await?;
    Ok(rows
        .iter()
        .filter_map(|row| keys::visitor_of_live_row(&row.sk))
        .collect::<HashSet<_>>()
        .len())
}

/// The names of the sums a track answers with ([`Tracker::recent_sum`]).
const VISITORS_SUM: &str = "visitors";
fn views_sum(kind: ContentKind, id: &ItemId) -> String {
    format!("views/{}/{id}", kind.as_str())
}

pub async fn visitor_count(store: &dyn Store) -> Result<i64, UseCaseError> {
    sum(store, keys::VISITS, keys::totals()).await
}

pub async fn total_views(store: &dyn Store) -> Result<i64, UseCaseError> {
    sum(store, keys::TOTAL_VIEWS, keys::totals()).await
}

pub async fn views_of(
    store: &dyn Store,
    kind: ContentKind,
    id: &ItemId,
) -> Result<i64, UseCaseError> {
    sum(store, &keys::views_partition(kind), keys::views_of_item(id)).await
}

/// Views per item id of one kind, summed over Regions.
pub async fn views_by_item(
    store: &dyn Store,
    kind: ContentKind,
) -> Result<BTreeMap<String, i64>, UseCaseError> {
    let rows = store
        .query(&Query::table(
            keys::views_partition(kind),
            keys::views_of_all_items(),
        ))
        .await?;
    let mut out = BTreeMap::new();
    for row in rows {
        if let Some(id) = keys::item_of_views_row(&row.sk) {
            *out.entry(id.to_string()).or_insert(0) += row.count;
        }
    }
    Ok(out)
}

/// Visits per day from `first` to `last` inclusive, every day present (0 if none).
pub async fn visits_per_day(
    store: &dyn Store,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<(NaiveDate, i64)>, UseCaseError> {
    let rows = store
        .query(&Query::table(
            keys::VISITS,
            keys::visits_between(first, last),
        ))
        .await?;
    let mut by_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for row in rows {
        if let Some(day) = keys::day_of_visits_row(&row.sk) {
            *by_day.entry(day).or_insert(0) += row.count;
        }
    }
    Ok(first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| (d, by_day.get(&d).copied().unwrap_or(0)))
        .collect())
}

/// Visits per calendar month for the `months` months ending with `today`'s.
pub async fn visits_per_month(
    store: &dyn Store,
    today: NaiveDate,
    months: u32,
) -> Result<Vec<(NaiveDate, i64)>, UseCaseError> {
    let this_month = today.with_day(1).unwrap_or(today);
    let first = this_month
        .checked_sub_months(chrono::Months::new(months.saturating_sub(1)))
        .unwrap_or(this_month);
    let days = visits_per_day(store, first, today).await?;
    let mut out: Vec<(NaiveDate, i64)> = Vec::new();
    for (day, n) in days {
        let month = day.with_day(1).unwrap_or(day);
        match out.last_mut() {
            Some((m, total)) if *m == month => *total += n,
            _ => out.push((month, n)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_bots_and_tools_are_recognised() {
        for ua in [
            "Googlebot/2.1",
            "curl/8.0",
            "folio-smoke/0.1.0",
            "",
            "Mozilla/5.0 HeadlessChrome/120",
            "python-requests/2",
        ] {
            assert!(is_bot(ua), "{ua:?} not seen as a bot");
        }
        assert!(!is_bot("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"));
    }

    /// Writes 391 tallies named `prefix`… to the row `key`, leaving it exactly
    /// `room` bytes under DynamoDB's item limit.
    async fn fill_row(
        store: &dyn Store,
        key: &crate::ports::Key,
        entity_type: &str,
        prefix: &str,
        room: usize,
    ) {
        use crate::ports::store::{item_size, limits::MAX_ITEM_BYTES};
        let row_of = |tallies: &[(String, i64)]| Item {
            pk: key.pk.clone(),
            sk: key.sk.clone(),
            entity_type: entity_type.into(),
            tallies: tallies.iter().cloned().collect(),
            ..Item::default()
        };
        let mut filler: Vec<(String, i64)> = (0..390)
            .map(|n| (format!("{prefix}{n:04}{}", "x".repeat(1000)), 1))
            .collect();
        let left = MAX_ITEM_BYTES - room - item_size(&row_of(&filler));
        filler.push((format!("{prefix}last{}", "z".repeat(left)), 1));
        let overshoot = item_size(&row_of(&filler)) - (MAX_ITEM_BYTES - room);
        let last = filler.pop().unwrap().0;
        filler.push((last[..last.len() - overshoot].to_string(), 1));
        assert_eq!(item_size(&row_of(&filler)), MAX_ITEM_BYTES - room);
        store
            .transact(vec![Write::Tally {
                key: key.clone(),
                entity_type: entity_type.into(),
                by: filler,
                listed_at: None,
            }])
            .await
            .unwrap();
    }

    /// A track answers with the visitors' sum it read within the last second plus
    /// the visits it counted since, without reading again: what another Region
    /// adds meanwhile shows up once the second is over.
    #[tokio::test]
    async fn a_tracks_count_is_at_most_a_second_old_and_includes_its_own_visits() {
        use crate::adapters::local::embedded::EmbeddedStore;
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(&dir.path().join("t.redb")).unwrap();
        let day = chrono::Utc::now().date_naive();
        let tracker = Tracker::new("local");
        let visit = VisitContext::default();
        let track = |address: &'static str| {
            tracker.track_visit(&store, day, address, "Mozilla/5.0", &visit)
        };
        assert_eq!(
            track("203.0.113.1").await.unwrap().outcome,
            Outcome::Counted
        );
        assert_eq!(tracker.recent_visitor_count(&store).await.unwrap(), 1);
        // Another Region counts two visits.
        store
            .transact(vec![Write::Increment {
                key: keys::total(keys::VISITS, "elsewhere"),
                entity_type: entity::COUNTER.into(),
                by: 2,
                label: None,
            }])
            .await
            .unwrap();
        assert_eq!(
            track("203.0.113.2").await.unwrap().outcome,
            Outcome::Counted
        );
        assert_eq!(
            tracker.recent_visitor_count(&store).await.unwrap(),
            2,
            "the sum read a moment ago, plus this process's visit"
        );
        assert_eq!(visitor_count(&store).await.unwrap(), 4);
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        assert_eq!(tracker.recent_visitor_count(&store).await.unwrap(), 4);
    }

    /// A day's audience row at DynamoDB's item limit never costs a visit its count:
    /// the visit commits again without its audience.
    #[tokio::test]
    async fn a_full_audience_row_still_counts_the_visit() {
        use crate::adapters::local::embedded::EmbeddedStore;
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(&dir.path().join("t.redb")).unwrap();
        let day = chrono::Utc::now().date_naive();
        let tracker = Tracker::new("local");
        // Fill today's row to 60 bytes under 400 KB with values of other origins.
        let key = keys::audience_on(day, tracker.region());
        fill_row(&store, &key, entity::AUDIENCE, "page:/", 60).await;
        let visit = VisitContext {
            url: Some(format!("https://me.example/{}", "y".repeat(90))),
            ..VisitContext::default()
        };
        let outcome = tracker
            .track_visit(&store, day, "203.0.113.7", "Mozilla/5.0", &visit)
            .await
            .unwrap()
            .outcome;
        assert_eq!(outcome, Outcome::Counted);
        assert_eq!(visitor_count(&store).await.unwrap(), 1);
        let row = store.get(&key).await.unwrap().unwrap();
        assert_eq!(
            row.tallies.len(),
            391,
            "the audience was left out, nothing else"
        );
        // The same visitor again is still a duplicate.
        let again = tracker
            .track_visit(&store, day, "203.0.113.7", "Mozilla/5.0", &visit)
            .await
            .unwrap()
            .outcome;
        assert_eq!(again, Outcome::Duplicate);
    }

    /// A published post's row (all a view's check reads), and its id.
    async fn a_published_post(store: &dyn Store) -> ItemId {
        published_post(store, "p1").await
    }

    async fn published_post(store: &dyn Store, id: &str) -> ItemId {
        let id = ItemId::parse("id", id).unwrap();
        let content = keys::content(ContentKind::Blog, &id);
        store
            .transact(vec![Write::Put {
                item: Item {
                    pk: content.pk,
                    sk: content.sk,
                    entity_type: "BlogPost".into(),
                    status: Some(Status::Published.as_str().into()),
                    ..Item::default()
                },
                condition: Condition::None,
            }])
            .await
            .unwrap();
        id
    }

    /// A day's row of what profiles read at DynamoDB's item limit never costs a
    /// view its count: the view commits again without its profile's tally.
    #[tokio::test]
    async fn a_full_row_of_what_profiles_read_still_counts_the_view() {
        use crate::adapters::local::embedded::EmbeddedStore;
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(&dir.path().join("t.redb")).unwrap();
        let day = chrono::Utc::now().date_naive();
        let tracker = Tracker::new("local");
        let (address, agent) = ("203.0.113.7", "Mozilla/5.0");
        let visit = VisitContext {
            referrer: Some("https://lnkd.in/x".into()),
            ..VisitContext::default()
        };
        tracker
            .track_visit(&store, day, address, agent, &visit)
            .await
            .unwrap();
        // The visit's marker holds its profile's id: its reading's row is that shard's.
        let visitor = tracker
            .visitor_key(&store, day, address, agent)
            .await
            .unwrap();
        let marker = store
            .get(&keys::visit_marker(day, &visitor))
            .await
            .unwrap()
            .unwrap();
        let profile_id = marker.data.expect("a profile id on the marker");
        let key =
            keys::profiled_reading_on(day, tracker.region(), profile_id.chars().next().unwrap());
        // Fill that row to 10 bytes under 400 KB with other profiles' tallies.
        fill_row(&store, &key, entity::PROFILED_READING, "v", 10).await;
        let id = a_published_post(&store).await;
        let view = || {
            tracker.track_item(
                &store,
                day,
                address,
                agent,
                ContentKind::Blog,
                &id,
                ItemEvent::View,
                None,
            )
        };
        assert_eq!(view().await.unwrap(), Outcome::Counted);
        assert_eq!(views_of(&store, ContentKind::Blog, &id).await.unwrap(), 1);
        let row = store.get(&key).await.unwrap().unwrap();
        assert_eq!(
            row.tallies.len(),
            391,
            "only the profile's tally was left out"
        );
        assert_eq!(view().await.unwrap(), Outcome::Duplicate);
    }

    /// A store that counts the reads of visit markers (`keys::visit_marker`).
    /// The embedded store, counting what asks about today's visit markers: reads
    /// of one, and transactions that check one is absent (`Write::Absent`).
    struct MarkerReads {
        inner: crate::adapters::local::embedded::EmbeddedStore,
        reads: std::sync::atomic::AtomicUsize,
        checks: std::sync::atomic::AtomicUsize,
        transactions: std::sync::atomic::AtomicUsize,
    }

    impl MarkerReads {
        fn reads(&self) -> usize {
            self.reads.load(std::sync::atomic::Ordering::SeqCst)
        }
        fn checks(&self) -> usize {
            self.checks.load(std::sync::atomic::Ordering::SeqCst)
        }
        fn transactions(&self) -> usize {
            self.transactions.load(std::sync::atomic::Ordering::SeqCst)
        }
    }

    #[async_trait::async_trait]
    impl Store for MarkerReads {
        async fn get(&self, key: &crate::ports::Key) -> Result<Option<Item>, StoreError> {
            if key.pk == keys::visit_marker(chrono::Utc::now().date_naive(), "").pk {
                self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            self.inner.get(key).await
        }
        async fn query(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
            self.inner.query(query).await
        }
        async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
            let visits = keys::visit_marker(chrono::Utc::now().date_naive(), "").pk;
            if writes
                .iter()
                .any(|w| matches!(w, Write::Absent { key } if key.pk == visits))
            {
                self.checks
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            self.transactions
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.inner.transact(writes).await
        }
    }

    /// A store with one published post, the visit of a visitor from LinkedIn
    /// counted by one instance, and its answer's token.
    async fn a_visit_counted_elsewhere() -> (tempfile::TempDir, MarkerReads, ItemId, VisitToken) {
        let dir = tempfile::tempdir().unwrap();
        let store = MarkerReads {
            inner: crate::adapters::local::embedded::EmbeddedStore::open(
                &dir.path().join("t.redb"),
            )
            .unwrap(),
            reads: Default::default(),
            checks: Default::default(),
            transactions: Default::default(),
        };
        let id = a_published_post(&store).await;
        let visit = VisitContext {
            referrer: Some("https://lnkd.in/x".into()),
            ..VisitContext::default()
        };
        let day = chrono::Utc::now().date_naive();
        let tracked = Tracker::new("local")
            .track_visit(&store, day, "203.0.113.7", "Mozilla/5.0", &visit)
            .await
            .unwrap();
        assert_eq!(tracked.outcome, Outcome::Counted);
        let token = tracked.visit.expect("a counted visit answers its token");
        (dir, store, id, token)
    }

    /// The profile ids whose views of `id` today's rows of what profiles read hold.
    async fn profiles_that_viewed(store: &dyn Store, id: &ItemId) -> Vec<String> {
        let day = chrono::Utc::now().date_naive();
        let item = readership::item_name(ContentKind::Blog, id);
        let mut found = Vec::new();
        for shard in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".chars() {
            let Some(row) = store
                .get(&keys::profiled_reading_on(day, "local", shard))
                .await
                .unwrap()
            else {
                continue;
            };
            for tally in row.tallies.keys() {
                let profile_id: String = tally
                    .chars()
                    .skip(1)
                    .take(audience::PROFILE_ID_CHARS)
                    .collect();
                if *tally == audience::reading_tally(&profile_id, &item, false) {
                    found.push(profile_id);
                }
            }
        }
        found
    }

    /// A view of the post `id` today, counted by `tracker`, from the visitor at
    /// `address` with `a_visit_counted_elsewhere`'s User-Agent, with `token` if sent.
    async fn view_from(
        tracker: &Tracker,
        store: &MarkerReads,
        address: &str,
        id: &ItemId,
        token: Option<&VisitToken>,
    ) -> Outcome {
        let day = chrono::Utc::now().date_naive();
        tracker
            .track_item(
                store,
                day,
                address,
                "Mozilla/5.0",
                ContentKind::Blog,
                id,
                ItemEvent::View,
                token,
            )
            .await
            .unwrap()
    }

    /// Another instance's view, sent with the token its visit answered (tracker
    /// 4.js), counts under the visit's profile without reading the visit's marker.
    #[tokio::test]
    async fn a_view_sent_with_its_visits_token_counts_under_its_profile_without_reading_the_marker()
    {
        let (_dir, store, id, token) = a_visit_counted_elsewhere().await;
        let elsewhere = Tracker::new("local");
        let outcome = view_from(&elsewhere, &store, "203.0.113.7", &id, Some(&token)).await;
        assert_eq!(outcome, Outcome::Counted);
        assert_eq!(store.reads(), 0, "no marker read");
        let profile_id = token.profile_id().unwrap().to_string();
        assert_eq!(profile_id.len(), audience::PROFILE_ID_CHARS);
        assert_eq!(profiles_that_viewed(&store, &id).await, vec![profile_id]);
    }

    /// A repeat visit answers the token its counted visit did: from this
    /// process's memory, or, in a process that did not count it, from the marker
    /// its failed claim answered.
    #[tokio::test]
    async fn a_repeat_visit_answers_its_visits_token_here_and_where_another_process_counted_it() {
        let (_dir, store, id, token) = a_visit_counted_elsewhere().await;
        let day = chrono::Utc::now().date_naive();
        let visit = VisitContext::default();
        // Another process learns the visit's profile from the marker its claim
        // found (no read of its own), answers the same token, and counts the
        // page's view under that profile without reading the marker either.
        let elsewhere = Tracker::new("local");
        let again = elsewhere
            .track_visit(&store, day, "203.0.113.7", "Mozilla/5.0", &visit)
            .await
            .unwrap();
        assert_eq!(
            (again.outcome, again.visit),
            (Outcome::Duplicate, Some(token.clone()))
        );
        view_from(&elsewhere, &store, "203.0.113.7", &id, None).await;
        assert_eq!(store.reads(), 0);
        let profile_id = token.profile_id().unwrap().to_string();
        assert_eq!(profiles_that_viewed(&store, &id).await, vec![profile_id]);
        let here = Tracker::new("local");
        let first = here
            .track_visit(&store, day, "203.0.113.8", "Mozilla/5.0", &visit)
            .await
            .unwrap();
        let again = here
            .track_visit(&store, day, "203.0.113.8", "Mozilla/5.0", &visit)
            .await
            .unwrap();
        assert_eq!(again.outcome, Outcome::Duplicate);
        assert_eq!(again.visit, first.visit);
        assert!(first.visit.is_some());
        assert_ne!(first.visit, Some(token), "each visitor's own");
    }

    /// A repeat visit that another process counted learns from its refused
    /// claim when the visitor was last marked live: within five minutes it
    /// writes nothing more, and the visitor is counted live all the same; past
    /// them, it marks the visitor live and the marker takes the new minute, in
    /// one write, so the next process writes nothing either.
    #[tokio::test]
    async fn a_repeat_visit_counted_elsewhere_marks_the_visitor_live_only_when_the_marks_minutes_ran_out()
     {
        let (_dir, store, _id, _token) = a_visit_counted_elsewhere().await;
        let day = chrono::Utc::now().date_naive();
        let visit = VisitContext::default();
        let repeat = |tracker: Tracker| {
            let store = &store;
            let visit = &visit;
            async move {
                let before = store.transactions();
                let tracked = tracker
                    .track_visit(store, day, "203.0.113.7", "Mozilla/5.0", visit)
                    .await
                    .unwrap();
                assert_eq!(tracked.outcome, Outcome::Duplicate);
                store.transactions() - before
            }
        };
        let live = || async { live_visitors(&store, chrono::Utc::now()).await.unwrap() };
        assert_eq!(
            repeat(Tracker::new("local")).await,
            1,
            "the refused claim alone"
        );
        assert_eq!(live().await, 1);
        // Marked live ten minutes ago: the marker says so, and its live row
        // (gone here) is out of the live count's minutes.
        let rows = store
            .query(&Query::table(keys::LIVE, SortKeyRange::All))
            .await
            .unwrap();
        for row in rows {
            let key = row.key();
            store
                .transact(vec![Write::Delete {
                    key,
                    condition: Condition::None,
                }])
                .await
                .unwrap();
        }
        assert_eq!(live().await, 0);
        let visitor = Tracker::new("local")
            .visitor_key(&store, day, "203.0.113.7", "Mozilla/5.0")
            .await
            .unwrap();
        let marker_key = keys::visit_marker(day, &visitor);
        let mut marker = store.get(&marker_key).await.unwrap().unwrap();
        let minute = chrono::Utc::now().timestamp().div_euclid(60);
        assert!(
            still_live(marker.count, minute),
            "the counted visit's minute"
        );
        marker.count = minute - 10;
        store
            .transact(vec![Write::Put {
                item: marker,
                condition: Condition::None,
            }])
            .await
            .unwrap();
        assert_eq!(
            repeat(Tracker::new("local")).await,
            2,
            "refused, then marked live"
        );
        assert_eq!(live().await, 1);
        let marker = store.get(&marker_key).await.unwrap().unwrap();
        assert!(still_live(marker.count, minute));
        assert!(marker.data.is_some(), "the marker keeps its profile");
        assert_eq!(repeat(Tracker::new("local")).await, 1);
    }

    /// Without a token, where another process counted the visit, the view's
    /// write checks that no visit marker exists; refused, the check answers the
    /// marker, and the view counts under its profile: no read of the marker.
    #[tokio::test]
    async fn a_view_without_a_token_learns_its_visits_profile_from_its_writes_check() {
        let (_dir, store, id, token) = a_visit_counted_elsewhere().await;
        let elsewhere = Tracker::new("local");
        let outcome = view_from(&elsewhere, &store, "203.0.113.7", &id, None).await;
        assert_eq!(outcome, Outcome::Counted);
        assert_eq!((store.reads(), store.checks()), (0, 1));
        let profile_id = token.profile_id().unwrap().to_string();
        assert_eq!(profiles_that_viewed(&store, &id).await, vec![profile_id]);
        // The profile is remembered: the next view asks nothing of the marker.
        let other = published_post(&store, "p2").await;
        view_from(&elsewhere, &store, "203.0.113.7", &other, None).await;
        assert_eq!((store.reads(), store.checks()), (0, 1));
    }

    /// A view from a visitor whose visit nobody counted (a frontend that sends
    /// views alone) counts in one write, whose check finds no visit, and counts
    /// under no profile; the process remembers that, and checks no more.
    #[tokio::test]
    async fn a_view_without_a_counted_visit_counts_in_one_write_and_under_no_profile() {
        let (_dir, store, id, _token) = a_visit_counted_elsewhere().await;
        let tracker = Tracker::new("local");
        let outcome = view_from(&tracker, &store, "198.51.100.4", &id, None).await;
        assert_eq!(outcome, Outcome::Counted);
        assert_eq!((store.reads(), store.checks()), (0, 1));
        assert!(profiles_that_viewed(&store, &id).await.is_empty());
        assert_eq!(views_of(&store, ContentKind::Blog, &id).await.unwrap(), 1);
        let other = published_post(&store, "p2").await;
        view_from(&tracker, &store, "198.51.100.4", &other, None).await;
        assert_eq!((store.reads(), store.checks()), (0, 1));
        assert_eq!(
            views_of(&store, ContentKind::Blog, &other).await.unwrap(),
            1
        );
    }

    /// Where most views lately found their visit counted by another process
    /// (a site on tracker 3.js), the next such view reads the visit's marker
    /// rather than check in its write (refused, a check costs more than the
    /// read); where they stop finding one, views check again.
    #[tokio::test]
    async fn views_read_the_visits_marker_first_where_most_lately_found_one_counted_elsewhere() {
        let (_dir, store, id, _token) = a_visit_counted_elsewhere().await;
        let day = chrono::Utc::now().date_naive();
        let linkedin = VisitContext {
            referrer: Some("https://lnkd.in/x".into()),
            ..VisitContext::default()
        };
        let elsewhere = Tracker::new("local");
        let counted = (VisitsFound::OF / 2 + 2) as usize;
        for n in 0..counted {
            elsewhere
                .track_visit(
                    &store,
                    day,
                    &format!("198.51.100.{n}"),
                    "Mozilla/5.0",
                    &linkedin,
                )
                .await
                .unwrap();
        }
        let tracker = Tracker::new("local");
        let checking = counted - 1;
        for n in 0..counted {
            let outcome = view_from(&tracker, &store, &format!("198.51.100.{n}"), &id, None).await;
            assert_eq!(outcome, Outcome::Counted);
        }
        assert_eq!((store.reads(), store.checks()), (1, checking));
        let profiles = profiles_that_viewed(&store, &id).await;
        assert_eq!(profiles.len(), 1, "one profile, LinkedIn's: {profiles:?}");
        let read_under = |profile: &str| {
            let item = readership::item_name(ContentKind::Blog, &id);
            audience::reading_tally(profile, &item, false)
        };
        let mut viewed = 0;
        for shard in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".chars() {
            if let Some(row) = store
                .get(&keys::profiled_reading_on(day, "local", shard))
                .await
                .unwrap()
            {
                viewed += row
                    .tallies
                    .get(&read_under(&profiles[0]))
                    .copied()
                    .unwrap_or(0);
            }
        }
        assert_eq!(
            viewed, counted as i64,
            "each view under the visit's profile"
        );
        // Views from visitors with no visit: read first until no more than
        // half of the last views found one (the window fills with misses,
        // then the finds leave it one per view), then checked again.
        let until_mostly_none = (VisitsFound::OF / 2) as usize;
        for n in 0..until_mostly_none {
            view_from(&tracker, &store, &format!("192.0.2.{n}"), &id, None).await;
        }
        assert_eq!(
            (store.reads(), store.checks()),
            (1 + until_mostly_none, checking)
        );
        view_from(&tracker, &store, "192.0.2.200", &id, None).await;
        assert_eq!(
            (store.reads(), store.checks()),
            (1 + until_mostly_none, checking + 1)
        );
        assert_eq!(
            views_of(&store, ContentKind::Blog, &id).await.unwrap(),
            (counted + until_mostly_none + 1) as i64
        );
    }

    /// A token is good for its own visitor only, and only as minted: another
    /// visitor's, or one whose profile id was changed, is not trusted, and the
    /// view counts under what the marker says (here: no visit, no profile).
    #[tokio::test]
    async fn a_token_sent_by_another_visitor_or_altered_is_not_trusted() {
        let (_dir, store, id, token) = a_visit_counted_elsewhere().await;
        let (profile_id, mac) = token.as_str().split_once('.').unwrap();
        let other_id = if profile_id.starts_with('A') {
            "BBBBB"
        } else {
            "AAAAA"
        };
        let altered = VisitToken::parse(&format!("{other_id}.{mac}")).unwrap();
        for (address, sent) in [("203.0.113.8", &token), ("203.0.113.9", &altered)] {
            let elsewhere = Tracker::new("local");
            let before = store.checks();
            view_from(&elsewhere, &store, address, &id, Some(sent)).await;
            assert_eq!(store.checks(), before + 1, "the marker was asked about");
        }
        // The altered token was sent by its own visitor too.
        view_from(
            &Tracker::new("local"),
            &store,
            "203.0.113.7",
            &id,
            Some(&altered),
        )
        .await;
        assert_eq!(
            profiles_that_viewed(&store, &id).await,
            vec![profile_id.to_string()],
            "only the marker's profile, never the altered one"
        );
    }

    /// A token's shape is checked where it comes in: a profile id or none, a
    /// dot, sixteen characters of base64url.
    #[test]
    fn a_visit_token_is_a_profile_id_a_dot_and_a_code() {
        let code = "abcdefghijklmnop";
        for good in [format!("AbC-_.{code}"), format!(".{code}")] {
            assert!(VisitToken::parse(&good).is_ok(), "{good}");
        }
        for bad in [
            String::new(),
            code.to_string(),
            format!("AbCd.{code}"),
            format!("AbC-_.{code}x"),
            "AbC-_.abcdefghijklmno=".to_string(),
            format!("Ab/C_.{code}"),
            format!("AbC-_.{code}.x"),
        ] {
            assert_eq!(VisitToken::parse(&bad), Err(NotAVisitToken), "{bad}");
        }
        assert_eq!(VisitToken::MAX_CHARS, format!("AbC-_.{code}").len());
        assert_eq!(
            VisitToken::PATTERN,
            format!(
                "^([A-Za-z0-9_-]{{{}}})?\\.[A-Za-z0-9_-]{{{VISIT_MAC_CHARS}}}$",
                audience::PROFILE_ID_CHARS
            ),
            "the document's pattern says what parse takes"
        );
    }

    /// Yesterday's visitor keys must not be recomputable: a new day's salt deletes
    /// every salt two or more days old, even after days nobody visited.
    #[tokio::test]
    async fn a_new_salt_deletes_old_salts_whatever_days_were_skipped() {
        use crate::adapters::local::embedded::EmbeddedStore;
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(&dir.path().join("t.redb")).unwrap();
        let day = chrono::Utc::now().date_naive();
        // Salts left by a server that last ran ten and three days ago (written
        // without expiry, as a store from before expiry was kept would hold them).
        for age in [10, 3] {
            let key = keys::salt(day - Duration::days(age));
            let row = Item {
                pk: key.pk,
                sk: key.sk,
                entity_type: entity::SALT.into(),
                data: Some(URL_SAFE_NO_PAD.encode([1u8; 32])),
                ..Item::default()
            };
            store
                .transact(vec![Write::Put {
                    item: row,
                    condition: Condition::None,
                }])
                .await
                .unwrap();
        }
        let tracker = Tracker::new("local");
        tracker
            .track_visit(
                &store,
                day,
                "203.0.113.7",
                "Mozilla/5.0",
                &VisitContext::default(),
            )
            .await
            .unwrap();
        for age in [10, 3] {
            let old = store
                .get(&keys::salt(day - Duration::days(age)))
                .await
                .unwrap();
            assert!(old.is_none(), "the salt of {age} days ago is gone");
        }
        assert!(store.get(&keys::salt(day)).await.unwrap().is_some());
    }
}
