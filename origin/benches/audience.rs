//! What the audience costs at 100,000 visits over 90 days: the bytes its rows
//! keep per 1,000 visits, and the owner's 90-day answer (the audience's, the
//! readership's and the visits' Queries) read back from the embedded store.
//!
//! The visits have a realistic spread. 40 % come direct, the rest from search,
//! social sites and a long tail of 300 blogs; one in ten carries a campaign. They
//! come from 40 countries, on 8 browser and OS pairs, landing on 80 pages. Each
//! visit has 2.5 views, and 40 % of the views are reads. The day rows are built
//! by the tracker's own code (`derive`, `Admitted`, the readership tallies) and
//! written as the tracker writes them (one Tally per row).
//!
//! Run: cargo bench -p folio-origin --bench audience

use std::collections::BTreeMap;
use std::hint::black_box;

use chrono::{Duration, NaiveDate};
use criterion::{Criterion, criterion_group, criterion_main};
use folio_origin::adapters::local::embedded::EmbeddedStore;
use folio_origin::ports::keys::{self, entity};
use folio_origin::ports::store::{Item, Key, Store, Write, item_size};
use folio_origin::usecases::audience::{
    Admitted, VisitContext, derive, profile_id, profile_shard, reading_tally,
};
use folio_origin::usecases::readership::{Engagement, engagement_tallies, item_name, view_tally};
use folio_origin::usecases::tracking;
use folio_shared::domain::{ContentKind, ItemId};

const VISITS: usize = 100_000;
const DAYS: usize = 90;
const REGION: &str = "us-east-1";

/// A small deterministic generator (xorshift64*): the same visits every run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// An index into `weights`, drawn by weight.
    fn pick(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut roll = (self.next() % u64::from(total)) as u32;
        for (i, w) in weights.iter().enumerate() {
            if roll < *w {
                return i;
            }
            roll -= w;
        }
        weights.len() - 1
    }
}

const AGENTS: [&str; 8] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
];
const AGENT_WEIGHTS: [u32; 8] = [30, 12, 20, 15, 6, 8, 3, 6];
const COUNTRIES: [&str; 40] = [
    "US", "GB", "DE", "IN", "FR", "CA", "NL", "BR", "ES", "IT", "AU", "SE", "PL", "JP", "CH", "SG",
    "IE", "BE", "AT", "DK", "NO", "FI", "PT", "CZ", "RO", "UA", "TR", "MX", "AR", "ZA", "NG", "KE",
    "EG", "IL", "KR", "TW", "VN", "ID", "PH", "NZ",
];

fn referrer(dice: &mut Dice) -> Option<String> {
    let hosts = [
        "https://www.google.com/",
        "https://www.linkedin.com/feed/",
        "https://t.co/abc",
        "https://news.ycombinator.com/item?id=1",
        "https://github.com/someone/project",
        "https://duckduckgo.com/",
        "https://www.reddit.com/r/rust/comments/x",
    ];
    match dice.pick(&[40, 25, 10, 5, 3, 5, 2, 2, 8]) {
        0 => None,
        7 => Some(format!(
            "https://blog{}.example/posts/{}",
            dice.below(300),
            dice.below(20)
        )),
        8 => Some(hosts[0].to_string()),
        i => Some(hosts[i - 1].to_string()),
    }
}

/// A day row: its key, its entity type and its tallies.
type DayRow = (Key, &'static str, Vec<(String, i64)>);

/// Every day's audience and readership rows, as the tracker would have written them.
fn day_rows(dice: &mut Dice, first: NaiveDate) -> Vec<DayRow> {
    let items: Vec<ItemId> = (0..80)
        .map(|i| ItemId::parse("id", &format!("post{i:02}")).expect("an id"))
        .collect();
    let mut rows = Vec::new();
    for day in 0..DAYS {
        let date = first + Duration::days(day as i64);
        let mut admitted = Admitted::default();
        let mut audience: BTreeMap<String, i64> = BTreeMap::new();
        let mut reading: BTreeMap<String, i64> = BTreeMap::new();
        let mut profiles: BTreeMap<char, BTreeMap<String, i64>> = BTreeMap::new();
        let mut profiled: BTreeMap<char, BTreeMap<String, i64>> = BTreeMap::new();
        for _ in 0..VISITS / DAYS {
            let page = dice.below(80);
            let campaign = dice.below(10) == 0;
            let url = if campaign {
                format!(
                    "https://me.example/posts/{page}?utm_source=newsletter&utm_medium=email&utm_campaign=issue-{}",
                    dice.below(5)
                )
            } else {
                format!("https://me.example/posts/{page}")
            };
            let visit = VisitContext {
                referrer: referrer(dice),
                url: Some(url),
                country: Some(
                    COUNTRIES[dice.pick(&[
                        30, 10, 8, 8, 5, 5, 4, 4, 3, 3, 3, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1,
                        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                    ])]
                    .to_string(),
                ),
            };
            let agent = AGENTS[dice.pick(&AGENT_WEIGHTS)];
            let tallies = admitted.tallies(date, derive(&visit, agent));
            for (name, n) in tallies.values {
                *audience.entry(name).or_default() += n;
            }
            let id = tallies.profile.as_deref().and_then(profile_id);
            if let Some(profile) = tallies.profile {
                *profiles
                    .entry(profile_shard(&profile))
                    .or_default()
                    .entry(profile)
                    .or_default() += 1;
            }
            // 2.5 views a visit on average; 40 % of them read.
            for _ in 0..(2 + dice.below(2)) {
                let item = &items[dice.below(items.len())];
                let mut tallies = view_tally(ContentKind::Blog, item);
                let engaged = Engagement {
                    seconds: [3, 12, 25, 45, 90, 200, 400, 900][dice.below(8)],
                    scrolled_percent: dice.below(101) as u32,
                };
                tallies.extend(engagement_tallies(ContentKind::Blog, item, engaged));
                for (name, n) in tallies {
                    *reading.entry(name).or_default() += n;
                }
                // The view, and the read, under the visit's profile.
                if let Some(id) = &id {
                    let name = item_name(ContentKind::Blog, item);
                    for read in [false, true] {
                        let tally = reading_tally(id, &name, read);
                        if (!read || engaged.is_read()) && admitted.reading(date, &tally) {
                            let shard = id.chars().next().expect("an id");
                            *profiled.entry(shard).or_default().entry(tally).or_default() += 1;
                        }
                    }
                }
            }
        }
        rows.push((
            keys::audience_on(date, REGION),
            entity::AUDIENCE,
            audience.into_iter().collect(),
        ));
        for (shard, tallies) in profiles {
            rows.push((
                keys::audience_profiles_on(date, REGION, shard),
                entity::AUDIENCE_PROFILES,
                tallies.into_iter().collect(),
            ));
        }
        for (shard, tallies) in profiled {
            rows.push((
                keys::profiled_reading_on(date, REGION, shard),
                entity::PROFILED_READING,
                tallies.into_iter().collect(),
            ));
        }
        rows.push((
            keys::readership_on(date, REGION),
            entity::READERSHIP,
            reading.into_iter().collect(),
        ));
        rows.push((keys::visits_on(date, REGION), entity::COUNTER, vec![]));
    }
    rows
}

fn audience(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let dir = tempfile::tempdir().expect("a directory");
    let store = EmbeddedStore::open(&dir.path().join("bench.redb")).expect("a store");
    let last = chrono::Utc::now().date_naive();
    let first = last - Duration::days(DAYS as i64 - 1);
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
    let rows = day_rows(&mut dice, first);
    let (mut audience_bytes, mut readership_bytes, mut largest) = (0, 0, 0);
    let (mut profile_bytes, mut largest_profiles) = (0, 0);
    let (mut profiled_bytes, mut largest_profiled) = (0, 0);
    for (key, entity_type, by) in rows {
        let size = item_size(&Item {
            pk: key.pk.clone(),
            sk: key.sk.clone(),
            entity_type: entity_type.into(),
            tallies: by.iter().cloned().collect(),
            ..Item::default()
        });
        let write = if by.is_empty() {
            Write::Increment {
                key,
                entity_type: entity_type.into(),
                by: (VISITS / DAYS) as i64,
                label: None,
            }
        } else {
            if entity_type == entity::AUDIENCE {
                audience_bytes += size;
                largest = largest.max(size);
            } else if entity_type == entity::AUDIENCE_PROFILES {
                profile_bytes += size;
                largest_profiles = largest_profiles.max(size);
            } else if entity_type == entity::PROFILED_READING {
                profiled_bytes += size;
                largest_profiled = largest_profiled.max(size);
            } else {
                readership_bytes += size;
            }
            Write::Tally {
                key,
                entity_type: entity_type.into(),
                by,
                listed_at: None,
            }
        };
        runtime
            .block_on(store.transact(vec![write]))
            .expect("a row written");
    }
    let per_thousand = |bytes: usize| bytes as f64 * 1000.0 / VISITS as f64;
    println!(
        "{VISITS} visits over {DAYS} days: audience rows {audience_bytes} B ({:.0} B per 1,000 visits, \
largest day {} B), profile rows {profile_bytes} B ({:.0} B per 1,000 visits, largest row {} B), \
rows of what profiles read {profiled_bytes} B ({:.0} B per 1,000 visits, largest row {} B), \
readership rows {readership_bytes} B ({:.0} B per 1,000 visits); in all {:.1} B per visit",
        per_thousand(audience_bytes),
        largest,
        per_thousand(profile_bytes),
        largest_profiles,
        per_thousand(profiled_bytes),
        largest_profiled,
        per_thousand(readership_bytes),
        (audience_bytes + profile_bytes + profiled_bytes + readership_bytes) as f64 / VISITS as f64,
    );
    c.bench_function(
        "audience answer, 90 days at 100,000 visits (3 Queries)",
        |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let tables = tracking::audience_between(&store, first, last)
                        .await
                        .expect("read");
                    let reading = tracking::readership_in(
                        &store,
                        [(first, last), (first - Duration::days(90), first)],
                    )
                    .await
                    .expect("read");
                    let visits = tracking::visits_per_day(&store, first - Duration::days(90), last)
                        .await
                        .expect("read");
                    black_box((tables, reading, visits))
                })
            })
        },
    );
    let whole = runtime
        .block_on(tracking::audience_narrowed(
            &store,
            (first, last),
            (first, last),
            &[],
        ))
        .expect("read")
        .within;
    println!(
        "profiles: {} of the period's visits can be filtered, {} cannot (past {} profiles a day)",
        whole.visitors,
        whole.not_broken_down,
        folio_origin::usecases::audience::PROFILES_PER_DAY
    );
    // Narrowed to a value (the console's click on a source): both periods'
    // audience rows, profile rows, rows of what profiles read and readership
    // rows, instead of the period's audience rows and the visits.
    let linkedin = vec![(
        folio_origin::usecases::audience::Dimension::Source,
        "LinkedIn".to_string(),
    )];
    c.bench_function(
        "audience answer narrowed to a source, 90 days at 100,000 visits (4 Queries)",
        |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let narrowed = tracking::audience_narrowed(
                        &store,
                        (first, last),
                        (first - Duration::days(90), first - Duration::days(1)),
                        &linkedin,
                    )
                    .await
                    .expect("read");
                    black_box(narrowed)
                })
            })
        },
    );
}

criterion_group!(benches, audience);
criterion_main!(benches);
