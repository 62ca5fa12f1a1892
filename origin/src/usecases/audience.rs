//! Where a visit came from and on what: derived once per counted visit and added
//! to the day's aggregate row (`keys::audience_on`). Neither the address nor the
//! User-Agent is kept; only these coarse values are.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
/// The longest `referrer` or `url` a visit may send: any URL field's limit.
pub use folio_shared::domain::rules::MAX_URL_CHARS;

/// The request header CloudFront sets from its geolocation of the viewer's
/// address, when the origin request policy names it.
pub const COUNTRY_HEADER: &str = "cloudfront-viewer-country";
/// What a value longer than this is cut to (characters).
pub const MAX_VALUE_CHARS: usize = 100;
/// Distinct values of one dimension one origin adds per day; later ones count as
/// [`OTHER`], so no client grows the day's row by inventing referrers.
pub const DISTINCT_PER_DAY: usize = 100;
pub const OTHER: &str = "(other)";
/// The source of a visit with no referrer from another site and no campaign.
pub const DIRECT: &str = "Direct / None";
/// Between a referrer's source and its page in a `Referrer` value: a control
/// character, which `clean` takes out of every value.
const PAGE_SEPARATOR: char = '\t';

/// A visit's values of every dimension at once, as one tally: `v:` and a hash
/// of each value of [`PROFILE`], in its order, `-` for a dimension the visit has
/// not. What lets every table be narrowed to the visits of one value of another
/// ("from LinkedIn") from the days' rows alone, with no row per visit. A hash
/// instead of the value (8 characters, fewer for dimensions of few values:
/// [`hash_chars`]) keeps a profile near 60 bytes.
pub const PROFILE_TAG: &str = "v";
/// The dimensions a profile holds, in its order (never reordered: stored rows
/// are read with it).
pub const PROFILE: [Dimension; 10] = [
    Dimension::Source,
    Dimension::Referrer,
    Dimension::UtmSource,
    Dimension::UtmMedium,
    Dimension::UtmCampaign,
    Dimension::Country,
    Dimension::Device,
    Dimension::Browser,
    Dimension::Os,
    Dimension::LandingPage,
];
/// Distinct profiles one origin adds per day; later ones count as
/// `v:(other)`, in the full tables but left out of narrowed ones.
pub const PROFILES_PER_DAY: usize = 2_000;
const ABSENT: &str = "-";

/// A value's hash in a profile: FNV-1a (64 bits), its top 48 bits in URL-safe
/// base64. Stored, so never changed.
fn value_hash(value: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in value.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (0..8)
        .map(|i| char::from(ALPHABET[((hash >> (58 - 6 * i)) & 63) as usize]))
        .collect()
}

/// How many characters of a value's hash a profile keeps for `dimension`. A
/// dimension of a few fixed values (devices, browsers, operating systems; the
/// 676 possible country codes) needs fewer than one of open values, and
/// `the_short_hashes_of_fixed_values_never_collide` holds them apart. Profiles
/// are most of the audience's bytes, so each character saved is kept once per
/// visit. Profiles written before kept 8 characters everywhere; a part is
/// matched as a prefix of the value's hash, so they are read the same.
fn hash_chars(dimension: Dimension) -> usize {
    match dimension {
        Dimension::Device | Dimension::Browser | Dimension::Os => 2,
        Dimension::Country => 4,
        _ => 8,
    }
}

/// `value`'s hash in a profile's part for `dimension`.
fn part_hash(dimension: Dimension, value: &str) -> String {
    let mut hash = value_hash(value);
    hash.truncate(hash_chars(dimension));
    hash
}

/// Whether a profile's `part` is the hash of the value whose full hash is `full`
/// (an absent dimension's `-` is never a value's).
fn part_is(part: &str, full: &str) -> bool {
    part.len() >= 2 && full.starts_with(part)
}

/// Which of the day's profile rows a profile is counted in (`keys::audience_profiles_on`).
pub fn profile_shard(profile: &str) -> char {
    value_hash(profile).chars().next().unwrap_or('A')
}

/// How many characters (30 bits) of its hash name a profile in the rows of
/// what it read, and an item there. A profile id is matched only against its
/// own day's profiles (a false match: about 1 in a million tallies at 1,000
/// profiles a day), an item's hash against the period's items (two of a
/// site's 1,000 items sharing one: about 1 in 2,000). Each tally is one per
/// view, so every byte counts: 11 bytes a name.
pub const PROFILE_ID_CHARS: usize = 5;
const ITEM_HASH_CHARS: usize = 5;
/// Distinct (profile, item, view or read) tallies one origin adds per day;
/// later views still count everywhere else, and are not broken down.
pub const PROFILED_READING_PER_DAY: usize = 10_000;

/// The short name a profile's views and reads are kept under, or `None` for
/// [`OTHER`]'s (past the day's cap: not broken down). Its first character is
/// the profile's shard, so its reading is counted in the same shard.
pub fn profile_id(profile: &str) -> Option<String> {
    (profile != format!("{PROFILE_TAG}:{OTHER}"))
        .then(|| value_hash(profile).chars().take(PROFILE_ID_CHARS).collect())
}

/// Whether `id` could be a [`profile_id`] (it is read back from a marker row).
pub fn is_profile_id(id: &str) -> bool {
    id.len() == PROFILE_ID_CHARS && folio_shared::domain::is_url_safe(id)
}

/// Which of the day's rows of what profiles read a tally is counted in (the
/// first character of its profile id, the profile's shard).
pub fn reading_shard(tally: &str) -> Option<char> {
    tally.chars().nth(1)
}

/// The tally a view (`read: false`) or a read of `item` (`kind/id`, as
/// readership names it) adds for the visit profile `profile_id`:
/// `v` or `r`, the profile id, the item's hash; never the item.
pub fn reading_tally(profile_id: &str, item: &str, read: bool) -> String {
    format!(
        "{}{profile_id}{}",
        if read { 'r' } else { 'v' },
        item_hash(item)
    )
}

/// An item's (`kind/id`) hash in the rows of what profiles read.
fn item_hash(item: &str) -> String {
    let mut hash = value_hash(item);
    hash.truncate(ITEM_HASH_CHARS);
    hash
}

/// The profile tally's name of a visit's (capped) values.
fn profile_of(values: &[(Dimension, String)]) -> String {
    let parts: Vec<String> = PROFILE
        .iter()
        .map(|d| {
            values
                .iter()
                .find(|(x, _)| x == d)
                .map_or_else(|| ABSENT.to_string(), |(_, v)| part_hash(*d, v))
        })
        .collect();
    format!("{PROFILE_TAG}:{}", parts.join("."))
}

/// A `Referrer` value's source and page.
pub fn source_and_page(value: &str) -> (&str, &str) {
    value.split_once(PAGE_SEPARATOR).unwrap_or((value, ""))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    Source,
    /// A source's referring page: `<source>`, [`PAGE_SEPARATOR`], `<path>`.
    Referrer,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    Country,
    Device,
    Browser,
    Os,
    LandingPage,
    /// Visits not counted, by why ([`Filter`]).
    Filtered,
}

impl Dimension {
    pub const ALL: [Dimension; 11] = [
        Self::Source,
        Self::Referrer,
        Self::UtmSource,
        Self::UtmMedium,
        Self::UtmCampaign,
        Self::Country,
        Self::Device,
        Self::Browser,
        Self::Os,
        Self::LandingPage,
        Self::Filtered,
    ];

    /// The tally name's prefix in the day's row.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Source => "src",
            Self::Referrer => "ref",
            Self::UtmSource => "utms",
            Self::UtmMedium => "utmm",
            Self::UtmCampaign => "utmc",
            Self::Country => "cc",
            Self::Device => "dev",
            Self::Browser => "br",
            Self::Os => "os",
            Self::LandingPage => "page",
            Self::Filtered => "filtered",
        }
    }

    /// The owner API's name of the dimension's table.
    pub fn field(self) -> &'static str {
        match self {
            Self::Source => "sources",
            Self::Referrer => "referrers",
            Self::UtmSource => "utmSources",
            Self::UtmMedium => "utmMediums",
            Self::UtmCampaign => "utmCampaigns",
            Self::Country => "countries",
            Self::Device => "devices",
            Self::Browser => "browsers",
            Self::Os => "operatingSystems",
            Self::LandingPage => "landingPages",
            Self::Filtered => "filtered",
        }
    }

    fn of_tag(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.tag() == tag)
    }
}

/// What the frontend and CloudFront say about a visit, as received.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct VisitContext {
    /// `document.referrer`.
    pub referrer: Option<String>,
    /// The landing page's URL (`location.href`).
    pub url: Option<String>,
    /// `CloudFront-Viewer-Country`.
    pub country: Option<String>,
}

/// Why a visit was left out of the numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// A crawler, a previewer, a headless browser or an HTTP library (`tracking::is_bot`).
    Bot,
    /// A referrer on the shipped referrer-spam list.
    ReferrerSpam,
}

impl Filter {
    pub fn label(self) -> &'static str {
        match self {
            Self::Bot => "Bot",
            Self::ReferrerSpam => "Referrer spam",
        }
    }
}

/// Referrer-spam hosts, shipped as data (`origin/data/referrer-spam.txt`).
static SPAM_HOSTS: std::sync::LazyLock<HashSet<&'static str>> = std::sync::LazyLock::new(|| {
    include_str!("../../data/referrer-spam.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// Whether the visit's referrer is a spam host or under one.
pub fn is_referrer_spam(visit: &VisitContext) -> bool {
    let Some(referrer) = visit.referrer.as_deref().and_then(parse_url) else {
        return false;
    };
    let host = bare_host(&referrer);
    let mut rest = host.as_str();
    loop {
        if SPAM_HOSTS.contains(rest) {
            return true;
        }
        match rest.split_once('.') {
            Some((_, parent)) if parent.contains('.') => rest = parent,
            _ => return false,
        }
    }
}

/// The values of one visit, one per dimension it has.
pub fn derive(visit: &VisitContext, user_agent: &str) -> Vec<(Dimension, String)> {
    let landing = visit.url.as_deref().and_then(parse_url);
    let referrer = visit
        .referrer
        .as_deref()
        .and_then(parse_url)
        .filter(|r| r.host().is_some())
        // A referrer of the same site is a reader moving on, not a source.
        .filter(|r| {
            landing
                .as_ref()
                .is_none_or(|l| bare_host(l) != bare_host(r))
        });
    let query = |names: &[&str]| {
        landing.as_ref().and_then(|l| {
            names.iter().find_map(|name| {
                l.query_pairs()
                    .find(|(k, v)| k == name && !v.trim().is_empty())
                    .map(|(_, v)| clean(&v))
            })
        })
    };
    let utm_source = query(&["utm_source", "ref", "source"]);
    let mut out = Vec::with_capacity(Dimension::ALL.len());
    let source = match (&referrer, &utm_source) {
        (Some(r), _) => source_of(&bare_host(r)),
        (None, Some(s)) => s.clone(),
        (None, None) => DIRECT.to_string(),
    };
    if let Some(r) = &referrer {
        out.push((
            Dimension::Referrer,
            format!("{source}{PAGE_SEPARATOR}{}", clean(r.path())),
        ));
    }
    out.push((Dimension::Source, source));
    if let Some(s) = utm_source {
        out.push((Dimension::UtmSource, s));
    }
    if let Some(m) = query(&["utm_medium"]) {
        out.push((Dimension::UtmMedium, m));
    }
    if let Some(c) = query(&["utm_campaign"]) {
        out.push((Dimension::UtmCampaign, c));
    }
    if let Some(cc) = visit.country.as_deref().filter(|cc| is_country_code(cc)) {
        out.push((Dimension::Country, cc.to_string()));
    }
    out.push((Dimension::Device, device(user_agent).into()));
    out.push((Dimension::Browser, browser(user_agent).into()));
    out.push((Dimension::Os, os(user_agent).into()));
    if let Some(l) = &landing {
        out.push((Dimension::LandingPage, clean(l.path())));
    }
    out
}

/// An http(s) URL; anything else is no information.
fn parse_url(text: &str) -> Option<url::Url> {
    if text.chars().count() > MAX_URL_CHARS {
        return None;
    }
    url::Url::parse(text.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

fn bare_host(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    host.strip_prefix("www.").unwrap_or(&host).to_string()
}

/// Well-known referrers under one name (a link shortener and its site are one
/// source); any other site is its host.
fn source_of(host: &str) -> String {
    const GROUPS: &[(&str, &[&str])] = &[
        ("Twitter/X", &["t.co", "twitter.com", "x.com"]),
        ("LinkedIn", &["lnkd.in", "linkedin.com"]),
        ("Facebook", &["facebook.com", "fb.me"]),
        ("Instagram", &["instagram.com"]),
        ("YouTube", &["youtube.com", "youtu.be"]),
        ("Reddit", &["reddit.com"]),
        ("Hacker News", &["news.ycombinator.com"]),
        ("GitHub", &["github.com"]),
        ("Bing", &["bing.com"]),
        ("DuckDuckGo", &["duckduckgo.com"]),
        ("Bluesky", &["bsky.app"]),
    ];
    let under = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
    if let Some((name, _)) = GROUPS
        .iter()
        .find(|(_, domains)| domains.iter().any(|d| under(d)))
    {
        return (*name).to_string();
    }
    // google.com, google.co.uk, news.google.de …
    if host.starts_with("google.") || host.contains(".google.") {
        return "Google".into();
    }
    clean(host)
}

fn is_country_code(cc: &str) -> bool {
    cc.len() == 2 && cc.bytes().all(|b| b.is_ascii_uppercase())
}

/// Without control characters (a tab separates a referrer's source and page),
/// trimmed, at most [`MAX_VALUE_CHARS`].
fn clean(text: &str) -> String {
    let kept: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_VALUE_CHARS)
        .collect();
    kept.trim().to_string()
}

/// Families from well-known User-Agent tokens, checked in an order that sees past
/// the tokens every browser copies ("Mozilla", "Safari", "Chrome"). Coarse by
/// design: a family is all the dashboard shows; a UA parsing crate's full
/// database would add to the Lambda's zip for detail nobody reads here.
pub fn device(ua: &str) -> &'static str {
    if ua.contains("iPad")
        || ua.contains("Tablet")
        || (ua.contains("Android") && !ua.contains("Mobile"))
    {
        DEVICES[2]
    } else if ua.contains("Mobi") || ua.contains("iPhone") || ua.contains("Android") {
        DEVICES[1]
    } else {
        DEVICES[0]
    }
}

/// Every value [`device`] gives.
const DEVICES: [&str; 3] = ["Desktop", "Mobile", "Tablet"];

/// Browser families by their User-Agent tokens, the first match winning.
const BROWSERS: &[(&str, &[&str])] = &[
    ("Edge", &["Edg/", "EdgA/", "EdgiOS/", "Edge/"]),
    ("Opera", &["OPR/", "Opera"]),
    ("Samsung Internet", &["SamsungBrowser/"]),
    ("Firefox", &["Firefox/", "FxiOS/"]),
    ("Chrome", &["CriOS/", "Chrome/", "Chromium/"]),
    ("Safari", &["Safari/"]),
];

/// Operating systems by their User-Agent tokens, the first match winning.
const SYSTEMS: &[(&str, &[&str])] = &[
    ("Windows", &["Windows"]),
    ("iOS", &["iPhone", "iPad", "iPod"]),
    ("Android", &["Android"]),
    ("ChromeOS", &["CrOS"]),
    ("macOS", &["Mac OS X", "Macintosh"]),
    ("Linux", &["Linux", "X11"]),
];

/// A User-Agent of no known family.
const OTHER_FAMILY: &str = "Other";

pub fn browser(ua: &str) -> &'static str {
    family(ua, BROWSERS)
}

pub fn os(ua: &str) -> &'static str {
    family(ua, SYSTEMS)
}

/// The first family one of whose tokens `ua` holds; [`OTHER_FAMILY`] if none.
fn family(ua: &str, families: &[(&'static str, &[&str])]) -> &'static str {
    families
        .iter()
        .find(|(_, tokens)| tokens.iter().any(|t| ua.contains(t)))
        .map_or(OTHER_FAMILY, |(name, _)| name)
}

/// The values this origin added today, to cap each dimension's distinct values.
#[derive(Debug, Default)]
pub struct Admitted {
    day: Option<NaiveDate>,
    values: HashMap<Dimension, HashSet<String>>,
    profiles: HashSet<String>,
    reading: HashSet<String>,
}

/// What a visit adds: a tally per value (the day's audience row) and, for a
/// counted visit, its profile (a profile row).
#[derive(Debug, Clone, PartialEq)]
pub struct VisitTallies {
    pub values: Vec<(String, i64)>,
    pub profile: Option<String>,
}

impl Admitted {
    /// Forgets the values of a day before `day`.
    fn roll(&mut self, day: NaiveDate) {
        if self.day != Some(day) {
            self.day = Some(day);
            self.values.clear();
            self.profiles.clear();
            self.reading.clear();
        }
    }

    /// The visit's tallies, each value past the day's cap counted as [`OTHER`],
    /// and, for a counted visit (not a filtered one), its profile.
    pub fn tallies(&mut self, day: NaiveDate, visit: Vec<(Dimension, String)>) -> VisitTallies {
        self.roll(day);
        let capped: Vec<(Dimension, String)> = visit
            .into_iter()
            .map(|(dimension, value)| {
                let known = self.values.entry(dimension).or_default();
                let value = if known.contains(&value) || known.len() < DISTINCT_PER_DAY {
                    known.insert(value.clone());
                    value
                } else {
                    OTHER.to_string()
                };
                (dimension, value)
            })
            .collect();
        let profile = (!capped.iter().any(|(d, _)| *d == Dimension::Filtered)).then(|| {
            let profile = profile_of(&capped);
            if self.profiles.contains(&profile) || self.profiles.len() < PROFILES_PER_DAY {
                self.profiles.insert(profile.clone());
                profile
            } else {
                format!("{PROFILE_TAG}:{OTHER}")
            }
        });
        VisitTallies {
            values: capped
                .into_iter()
                .map(|(dimension, value)| (format!("{}:{value}", dimension.tag()), 1))
                .collect(),
            profile,
        }
    }
}

impl Admitted {
    /// Whether a profile's view or read tally (`reading_tally`) may be added
    /// today: one known already, or one more under the day's cap.
    pub fn reading(&mut self, day: NaiveDate, tally: &str) -> bool {
        self.roll(day);
        if self.reading.contains(tally) || self.reading.len() < PROFILED_READING_PER_DAY {
            self.reading.insert(tally.to_string());
            return true;
        }
        false
    }
}

/// Values a table may be narrowed to: one per dimension, every one required.
pub type Narrowing = Vec<(Dimension, String)>;

/// The dimensions a narrowing may name (a referring page is its source's
/// drill-down; filtered visits are in no profile).
pub fn narrows_by(dimension: Dimension) -> bool {
    PROFILE.contains(&dimension) && dimension != Dimension::Referrer
}

/// The tables of the visits that had every value of `narrowing`.
#[derive(Debug, Default, PartialEq)]
pub struct Narrowed {
    pub tables: BTreeMap<Dimension, Table>,
    /// The visits that had every value.
    pub visitors: i64,
    /// Visits no profile breaks down (past a day's [`PROFILES_PER_DAY`], or
    /// counted before profiles were kept): in the full tables only.
    pub not_broken_down: i64,
}

/// Narrows the days' audience `rows` to the visits that had every value of
/// `narrowing`, through the same days' `profiles` rows: each matching profile
/// adds its visits to each of its values, named again from the values the full
/// tables hold.
pub fn narrowed(
    rows: &[&BTreeMap<String, i64>],
    profiles: &[&BTreeMap<String, i64>],
    narrowing: &[(Dimension, String)],
) -> Narrowed {
    let full = tables(rows.iter().copied());
    // Each value by its part as profiles keep it now, and as they kept it before.
    let names: Vec<HashMap<String, &str>> = PROFILE
        .iter()
        .map(|d| {
            full.get(d)
                .into_iter()
                .flatten()
                .flat_map(|(value, _)| {
                    let whole = value_hash(value);
                    [
                        (part_hash(*d, value), value.as_str()),
                        (whole, value.as_str()),
                    ]
                })
                .collect()
        })
        .collect();
    let wanted = Wanted::of(narrowing);
    let mut sums: BTreeMap<Dimension, HashMap<&str, i64>> = BTreeMap::new();
    let (mut visitors, mut profiled) = (0, 0);
    for tallies in profiles {
        for (name, n) in tallies.iter() {
            let Some(parts) = profile_parts(name) else {
                continue;
            };
            profiled += n;
            if !wanted.matches(&parts) {
                continue;
            }
            visitors += n;
            for (i, part) in parts.iter().enumerate() {
                if let Some(value) = names[i].get(*part) {
                    *sums
                        .entry(PROFILE[i])
                        .or_default()
                        .entry(value)
                        .or_default() += n;
                }
            }
        }
    }
    let counted: i64 = full
        .get(&Dimension::Source)
        .into_iter()
        .flatten()
        .map(|(_, n)| n)
        .sum();
    let mut tables = sorted(sums);
    // Filtered visits are in no profile: their table stays the period's.
    if let Some(filtered) = full.get(&Dimension::Filtered) {
        tables.insert(Dimension::Filtered, filtered.clone());
    }
    Narrowed {
        tables,
        visitors,
        not_broken_down: (counted - profiled).max(0),
    }
}

/// A narrowing as the hashes a profile holds.
struct Wanted(Vec<(usize, String)>);

impl Wanted {
    fn of(narrowing: &[(Dimension, String)]) -> Self {
        Self(
            narrowing
                .iter()
                .filter_map(|(d, v)| Some((PROFILE.iter().position(|p| p == d)?, value_hash(v))))
                .collect(),
        )
    }

    fn matches(&self, parts: &[&str]) -> bool {
        self.0
            .iter()
            .all(|(i, full)| parts.get(*i).is_some_and(|part| part_is(part, full)))
    }
}

/// A profile tally's value hashes, in [`PROFILE`]'s order.
fn profile_parts(name: &str) -> Option<Vec<&str>> {
    let hashes = name.strip_prefix(PROFILE_TAG)?.strip_prefix(':')?;
    let parts: Vec<&str> = hashes.split('.').collect();
    (parts.len() == PROFILE.len()).then_some(parts)
}

/// One day's rows of one kind (every Region's, every shard's tallies).
pub type DayRows<'a> = Vec<&'a BTreeMap<String, i64>>;

/// Views and reads per item (`kind/id`) of the visits that had every value of
/// `narrowing`, from one day's profile rows and the same day's rows of what
/// each profile read. A day at a time: a profile's id names its reading on
/// its own day only. `items` are the items that might have been read (the
/// period's readership); an item's hash is matched against theirs.
pub fn narrowed_reading<'a>(
    days: &[(DayRows, DayRows)],
    narrowing: &[(Dimension, String)],
    items: impl IntoIterator<Item = &'a str>,
) -> HashMap<&'a str, (i64, i64)> {
    let wanted = Wanted::of(narrowing);
    let by_hash: HashMap<String, &str> = items
        .into_iter()
        .map(|item| (item_hash(item), item))
        .collect();
    let mut out: HashMap<&str, (i64, i64)> = HashMap::new();
    for (profiles, reading) in days {
        let matching: HashSet<String> = profiles
            .iter()
            .flat_map(|tallies| tallies.keys())
            .filter(|name| profile_parts(name).is_some_and(|parts| wanted.matches(&parts)))
            .filter_map(|name| profile_id(name))
            .collect();
        if matching.is_empty() {
            continue;
        }
        for (name, n) in reading.iter().flat_map(|tallies| tallies.iter()) {
            let (Some(tag), Some(profile), Some(hash)) = (
                name.get(..1),
                name.get(1..1 + PROFILE_ID_CHARS),
                name.get(1 + PROFILE_ID_CHARS..),
            ) else {
                continue;
            };
            let Some(item) = by_hash.get(hash) else {
                continue;
            };
            if !matching.contains(profile) {
                continue;
            }
            let counts = out.entry(item).or_default();
            match tag {
                "v" => counts.0 += n,
                "r" => counts.1 += n,
                _ => {}
            }
        }
    }
    out
}

/// One dimension's values over a period, most visitors first.
pub type Table = Vec<(String, i64)>;

/// Sums the days' rows (every Region's) into one table per dimension.
pub fn tables<'a>(
    rows: impl IntoIterator<Item = &'a BTreeMap<String, i64>>,
) -> BTreeMap<Dimension, Table> {
    let mut sums: BTreeMap<Dimension, HashMap<&str, i64>> = BTreeMap::new();
    for tallies in rows {
        for (name, n) in tallies {
            let Some((tag, value)) = name.split_once(':') else {
                continue;
            };
            if let Some(dimension) = Dimension::of_tag(tag) {
                *sums.entry(dimension).or_default().entry(value).or_default() += n;
            }
        }
    }
    sorted(sums)
}

/// Each dimension's values, most visitors first, without empty ones.
fn sorted(sums: BTreeMap<Dimension, HashMap<&str, i64>>) -> BTreeMap<Dimension, Table> {
    sums.into_iter()
        .map(|(dimension, values)| {
            let mut table: Table = values
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .map(|(v, n)| (v.to_string(), n))
                .collect();
            table.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            (dimension, table)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1";
    const FIREFOX_LINUX: &str =
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    const EDGE_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
    const SAMSUNG_TABLET: &str = "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Safari/537.36";
    const CHROME_ANDROID: &str = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

    fn visit(referrer: &str, url: &str, country: &str) -> VisitContext {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        VisitContext {
            referrer: some(referrer),
            url: some(url),
            country: some(country),
        }
    }

    fn value(of: &[(Dimension, String)], dimension: Dimension) -> Option<&str> {
        of.iter()
            .find(|(d, _)| *d == dimension)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_referrer_on_the_spam_list_or_under_one_is_spam_and_others_are_not() {
        for spam in [
            "https://semalt.com/",
            "http://www.darodar.com/x?y",
            "https://forum.topic.ilovevitaly.com/a",
        ] {
            assert!(is_referrer_spam(&visit(spam, "", "")), "{spam}");
        }
        for fine in [
            "https://news.ycombinator.com/item?id=1",
            "https://notsemalt.com/",
            "https://com/",
            "not a url",
            "",
        ] {
            assert!(!is_referrer_spam(&visit(fine, "", "")), "{fine}");
        }
    }

    #[test]
    fn real_user_agents_fall_into_their_families() {
        for (ua, device_, browser_, os_) in [
            (CHROME_WINDOWS, "Desktop", "Chrome", "Windows"),
            (SAFARI_IPHONE, "Mobile", "Safari", "iOS"),
            (FIREFOX_LINUX, "Desktop", "Firefox", "Linux"),
            (EDGE_MAC, "Desktop", "Edge", "macOS"),
            (SAMSUNG_TABLET, "Tablet", "Samsung Internet", "Android"),
            (CHROME_ANDROID, "Mobile", "Chrome", "Android"),
            ("", "Desktop", "Other", "Other"),
        ] {
            assert_eq!(
                (device(ua), browser(ua), os(ua)),
                (device_, browser_, os_),
                "{ua}"
            );
        }
    }

    #[test]
    fn a_shortener_and_its_site_are_one_source_with_the_page_but_not_its_query() {
        let from_tco = derive(
            &visit("https://t.co/abc?x=1", "https://me.dev/blog/a", ""),
            "",
        );
        assert_eq!(value(&from_tco, Dimension::Source), Some("Twitter/X"));
        let linkedin = derive(
            &visit(
                "https://www.linkedin.com/in/someone/?trk=x",
                "https://me.dev/",
                "DE",
            ),
            SAFARI_IPHONE,
        );
        assert_eq!(value(&linkedin, Dimension::Source), Some("LinkedIn"));
        assert_eq!(
            value(&linkedin, Dimension::Referrer),
            Some("LinkedIn\t/in/someone/")
        );
        assert_eq!(value(&linkedin, Dimension::Country), Some("DE"));
        let google = derive(
            &visit("https://www.google.co.uk/", "https://me.dev/", ""),
            "",
        );
        assert_eq!(value(&google, Dimension::Source), Some("Google"));
        let other = derive(
            &visit("https://Blog.Example.org/post", "https://me.dev/", ""),
            "",
        );
        assert_eq!(value(&other, Dimension::Source), Some("blog.example.org"));
    }

    #[test]
    fn the_same_site_and_no_referrer_are_direct_unless_a_campaign_names_a_source() {
        let inside = derive(
            &visit("https://www.me.dev/blog", "https://me.dev/about?x=1", ""),
            "",
        );
        assert_eq!(value(&inside, Dimension::Source), Some(DIRECT));
        assert_eq!(value(&inside, Dimension::Referrer), None);
        assert_eq!(value(&inside, Dimension::LandingPage), Some("/about"));
        let campaign = derive(
            &visit(
                "",
                "https://me.dev/?utm_source=newsletter&utm_medium=email&utm_campaign=launch",
                "",
            ),
            "",
        );
        assert_eq!(value(&campaign, Dimension::Source), Some("newsletter"));
        assert_eq!(value(&campaign, Dimension::UtmMedium), Some("email"));
        assert_eq!(value(&campaign, Dimension::UtmCampaign), Some("launch"));
        let by_ref = derive(&visit("", "https://me.dev/?ref=producthunt", ""), "");
        assert_eq!(value(&by_ref, Dimension::UtmSource), Some("producthunt"));
    }

    #[test]
    fn hostile_values_are_cut_cleaned_or_ignored() {
        let long = format!("https://me.dev/?utm_campaign={}", "a".repeat(1500));
        let derived = derive(&visit("javascript:alert(1)", &long, "germany"), "");
        assert_eq!(value(&derived, Dimension::Source), Some(DIRECT));
        assert_eq!(value(&derived, Dimension::Country), None);
        assert_eq!(
            value(&derived, Dimension::UtmCampaign).map(|c| c.chars().count()),
            Some(MAX_VALUE_CHARS)
        );
        let control = derive(&visit("", "https://me.dev/?utm_source=a%0Ab%09c", ""), "");
        assert_eq!(value(&control, Dimension::UtmSource), Some("abc"));
        assert_eq!(derive(&visit("not a url", "also not", ""), "").len(), 4);
        // A URL past the field's limit says nothing at all.
        let too_long = format!("https://me.dev/?utm_source={}", "a".repeat(MAX_URL_CHARS));
        assert_eq!(
            value(&derive(&visit("", &too_long, ""), ""), Dimension::UtmSource),
            None
        );
    }

    #[test]
    fn past_the_days_cap_new_values_count_as_other_and_known_ones_still_count() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let mut admitted = Admitted::default();
        for n in 0..DISTINCT_PER_DAY {
            admitted.tallies(day, vec![(Dimension::Source, format!("site{n}.example"))]);
        }
        let first = |tallies: VisitTallies| tallies.values[0].clone();
        assert_eq!(
            first(admitted.tallies(day, vec![(Dimension::Source, "new.example".into())])),
            (format!("src:{OTHER}"), 1)
        );
        assert_eq!(
            first(admitted.tallies(day, vec![(Dimension::Source, "site3.example".into())])),
            ("src:site3.example".to_string(), 1)
        );
        let tomorrow = day.succ_opt().unwrap();
        assert_eq!(
            first(admitted.tallies(tomorrow, vec![(Dimension::Source, "new.example".into())])),
            ("src:new.example".to_string(), 1)
        );
    }

    #[test]
    fn what_a_profile_read_counts_under_it_on_its_own_day_only() {
        let mut admitted = Admitted::default();
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let profile = |admitted: &mut Admitted, referrer: &str| {
            let values = derive(&visit(referrer, "https://me.dev/", "DE"), SAFARI_IPHONE);
            admitted.tallies(day, values).profile.unwrap()
        };
        let linkedin = profile(&mut admitted, "https://lnkd.in/x");
        let direct = profile(&mut admitted, "");
        let id = |p: &str| profile_id(p).unwrap();
        assert!(is_profile_id(&id(&linkedin)));
        let tallies = |pairs: &[(&str, &str, bool)]| -> BTreeMap<String, i64> {
            pairs
                .iter()
                .map(|(p, item, read)| (reading_tally(&id(p), item, *read), 1))
                .collect()
        };
        let profiles_of = |names: &[&str]| -> BTreeMap<String, i64> {
            names.iter().map(|n| (n.to_string(), 1)).collect()
        };
        // Day one: LinkedIn's visitor viewed and read the case study; the
        // direct visitor viewed the notes.
        let (profiles1, reading1) = (
            profiles_of(&[&linkedin, &direct]),
            tallies(&[
                (&linkedin, "blog/case", false),
                (&linkedin, "blog/case", true),
                (&direct, "blog/notes", false),
            ]),
        );
        // Day two has only the direct visit, yet its reading names LinkedIn's
        // profile id too (a collision of ids across days): not LinkedIn's.
        let (profiles2, reading2) = (
            profiles_of(&[&direct]),
            tallies(&[
                (&linkedin, "blog/notes", false),
                (&direct, "blog/case", false),
            ]),
        );
        let days = [
            (vec![&profiles1], vec![&reading1]),
            (vec![&profiles2], vec![&reading2]),
        ];
        let items = ["blog/case", "blog/notes"];
        let from = |source: &str| {
            let narrowing = vec![(Dimension::Source, source.to_string())];
            let mut out: Vec<_> = narrowed_reading(&days, &narrowing, items)
                .into_iter()
                .collect();
            out.sort();
            out
        };
        assert_eq!(from("LinkedIn"), vec![("blog/case", (1, 1))]);
        assert_eq!(
            from(DIRECT),
            vec![("blog/case", (1, 0)), ("blog/notes", (1, 0))]
        );
        // An item no longer in the period's readership is not named.
        let narrowing = vec![(Dimension::Source, "LinkedIn".to_string())];
        assert!(narrowed_reading(&days, &narrowing, ["blog/other"]).is_empty());
        // Past the day's cap, a profile's reading is not added.
        let mut full = Admitted::default();
        for n in 0..PROFILED_READING_PER_DAY {
            assert!(full.reading(day, &format!("v{n}")));
        }
        assert!(full.reading(day, "v0"), "a known tally still counts");
        assert!(!full.reading(day, "vnew"));
        assert!(
            full.reading(day.succ_opt().unwrap(), "vnew"),
            "a new day starts empty"
        );
    }

    #[test]
    fn a_narrowed_table_counts_only_the_visits_that_had_every_value() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let mut admitted = Admitted::default();
        let mut row: BTreeMap<String, i64> = BTreeMap::new();
        let mut profiles: BTreeMap<String, i64> = BTreeMap::new();
        let mut add = |referrer: &str, country: &str, ua: &str| {
            let values = derive(&visit(referrer, "https://me.dev/cv", country), ua);
            let tallies = admitted.tallies(day, values);
            for (name, n) in tallies.values {
                *row.entry(name).or_default() += n;
            }
            *profiles.entry(tallies.profile.unwrap()).or_default() += 1;
        };
        add("https://lnkd.in/x", "DE", SAFARI_IPHONE);
        add("https://lnkd.in/x", "DE", SAFARI_IPHONE);
        add("https://www.linkedin.com/feed/", "FR", CHROME_WINDOWS);
        add("https://t.co/y", "DE", CHROME_WINDOWS);
        let from = |pairs: &[(Dimension, &str)]| {
            let narrowing: Narrowing = pairs.iter().map(|(d, v)| (*d, v.to_string())).collect();
            narrowed(&[&row], &[&profiles], &narrowing)
        };
        let linkedin = from(&[(Dimension::Source, "LinkedIn")]);
        assert_eq!((linkedin.visitors, linkedin.not_broken_down), (3, 0));
        assert_eq!(
            linkedin.tables[&Dimension::Country],
            vec![("DE".to_string(), 2), ("FR".to_string(), 1)]
        );
        assert_eq!(
            linkedin.tables[&Dimension::Referrer],
            vec![
                ("LinkedIn\t/x".to_string(), 2),
                ("LinkedIn\t/feed/".to_string(), 1)
            ]
        );
        let desktop_de = from(&[(Dimension::Device, "Desktop"), (Dimension::Country, "DE")]);
        assert_eq!(desktop_de.visitors, 1);
        assert_eq!(
            desktop_de.tables[&Dimension::Source],
            vec![("Twitter/X".to_string(), 1)]
        );
        assert_eq!(from(&[(Dimension::Source, "Nowhere")]).visitors, 0);
        // Nothing narrowed: every visit, in the same tables as the full ones.
        assert_eq!(from(&[]).tables, tables([&row]));
    }

    #[test]
    fn past_the_days_profiles_a_visit_is_in_the_full_tables_and_not_broken_down() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let mut admitted = Admitted::default();
        let mut row: BTreeMap<String, i64> = BTreeMap::new();
        let mut profiles: BTreeMap<String, i64> = BTreeMap::new();
        for n in 0..=PROFILES_PER_DAY {
            let values = vec![
                (Dimension::Source, DIRECT.to_string()),
                (
                    Dimension::LandingPage,
                    format!("/p{}", n % DISTINCT_PER_DAY),
                ),
                (Dimension::Country, format!("{}", n / DISTINCT_PER_DAY)),
            ];
            let tallies = admitted.tallies(day, values);
            for (name, k) in tallies.values {
                *row.entry(name).or_default() += k;
            }
            *profiles.entry(tallies.profile.unwrap()).or_default() += 1;
        }
        assert_eq!(profiles.get(&format!("{PROFILE_TAG}:{OTHER}")), Some(&1));
        let all = narrowed(
            &[&row],
            &[&profiles],
            &[(Dimension::Source, DIRECT.to_string())],
        );
        assert_eq!(
            (all.visitors, all.not_broken_down),
            (PROFILES_PER_DAY as i64, 1)
        );
    }

    /// The API document's `q` names the tables a narrowing may name, and their
    /// values' limit, from one list: this one.
    #[test]
    fn the_documented_filter_is_the_dimensions_a_profile_narrows_by() {
        use folio_shared::domain::query::{AUDIENCE_FILTER, ParamKind};
        let ParamKind::JsonObject { keys, max_chars } = AUDIENCE_FILTER.kind else {
            panic!("q is a JSON object");
        };
        let narrowing: Vec<&str> = Dimension::ALL
            .into_iter()
            .filter(|d| narrows_by(*d))
            .map(Dimension::field)
            .collect();
        assert_eq!(keys, narrowing.as_slice());
        assert_eq!(max_chars, MAX_VALUE_CHARS);
    }

    #[test]
    fn a_value_hash_is_stable_because_stored_profiles_are_read_with_it() {
        assert_eq!(value_hash(""), value_hash(""));
        assert_eq!(value_hash("LinkedIn").len(), 8);
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c: its top 48 bits in base64url.
        assert_eq!(value_hash("a"), "r2PcTIYB");
    }

    #[test]
    fn the_short_hashes_of_fixed_values_never_collide() {
        let distinct = |dimension: Dimension, values: Vec<String>| {
            let parts: HashSet<String> = values.iter().map(|v| part_hash(dimension, v)).collect();
            assert_eq!(parts.len(), values.len(), "{dimension:?}");
        };
        let with_others = |names: Vec<&str>| -> Vec<String> {
            names
                .into_iter()
                .chain([OTHER_FAMILY, OTHER])
                .map(String::from)
                .collect()
        };
        distinct(Dimension::Device, with_others(DEVICES.to_vec()));
        distinct(
            Dimension::Browser,
            with_others(BROWSERS.iter().map(|(n, _)| *n).collect()),
        );
        distinct(
            Dimension::Os,
            with_others(SYSTEMS.iter().map(|(n, _)| *n).collect()),
        );
        let codes: Vec<String> = (b'A'..=b'Z')
            .flat_map(|a| (b'A'..=b'Z').map(move |b| String::from_utf8(vec![a, b]).unwrap()))
            .chain([OTHER.to_string()])
            .collect();
        assert!(codes.iter().all(|c| c == OTHER || is_country_code(c)));
        distinct(Dimension::Country, codes);
    }

    /// Profiles written with 8 characters for every value still narrow.
    #[test]
    fn a_profile_of_full_hashes_written_before_is_narrowed_the_same() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let values = derive(
            &visit("https://lnkd.in/x", "https://me.dev/cv", "DE"),
            SAFARI_IPHONE,
        );
        let tallies = Admitted::default().tallies(day, values.clone());
        let row: BTreeMap<String, i64> = tallies.values.into_iter().collect();
        let old: String = PROFILE
            .iter()
            .map(|d| value(&values, *d).map_or(ABSENT.to_string(), value_hash))
            .collect::<Vec<_>>()
            .join(".");
        let now = tallies.profile.unwrap();
        // Country 4 characters instead of 8, device, browser and OS 2 each.
        assert_eq!(old.len() + 2 - now.len(), 22, "{now} against v:{old}");
        for profile in [format!("{PROFILE_TAG}:{old}"), now] {
            let profiles: BTreeMap<String, i64> = [(profile, 1)].into_iter().collect();
            let narrowing = vec![(Dimension::Device, "Mobile".to_string())];
            let n = narrowed(&[&row], &[&profiles], &narrowing);
            assert_eq!(n.visitors, 1);
            assert_eq!(n.tables[&Dimension::Country], vec![("DE".to_string(), 1)]);
            assert_eq!(
                n.tables[&Dimension::Browser],
                vec![("Safari".to_string(), 1)]
            );
            let none = vec![(Dimension::Device, "Tablet".to_string())];
            assert_eq!(narrowed(&[&row], &[&profiles], &none).visitors, 0);
        }
    }

    #[test]
    fn tables_sum_every_row_most_visitors_first() {
        let row = |pairs: &[(&str, i64)]| -> BTreeMap<String, i64> {
            pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
        };
        let rows = [
            row(&[("src:LinkedIn", 2), ("cc:DE", 1), ("ignored", 4)]),
            row(&[("src:LinkedIn", 1), ("src:Google", 5), ("cc:DE", 0)]),
        ];
        let tables = tables(&rows);
        assert_eq!(
            tables[&Dimension::Source],
            vec![("Google".to_string(), 5), ("LinkedIn".to_string(), 3)]
        );
        assert_eq!(tables[&Dimension::Country], vec![("DE".to_string(), 1)]);
    }
}
