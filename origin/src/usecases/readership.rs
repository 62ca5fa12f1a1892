//! What readers do with an item: views per day, and from the page's one
//! engagement beacon, whether the view became a *read* and how long the page was
//! visible. Kept as tallies of the day's row (`keys::readership_on`), never per
//! reader, so a period's numbers are a sum of a few rows.

use std::collections::{BTreeMap, HashMap};

use folio_shared::domain::{ContentKind, ItemId};

/// A view becomes a read when the page stayed visible this long …
pub const READ_AFTER_SECS: u32 = 30;
/// … or was scrolled past this share of its length (percent).
pub const READ_SCROLL_PERCENT: u32 = 75;
/// The longest time on page a beacon may report (a day).
pub const MAX_SECONDS: u32 = 86_400;

/// Time on page is kept as a histogram: a beacon adds 1 to the bucket its
/// seconds fall in. The bucket starts (seconds); the last is open-ended.
const BUCKETS: [u32; 8] = [0, 5, 15, 30, 60, 120, 300, 600];
/// Where the open-ended bucket is taken to end for a median inside it.
const LAST_BUCKET_END: u32 = 1_800;

/// What one engagement beacon says about one view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Engagement {
    /// Seconds the page was visible.
    pub seconds: u32,
    /// How far down the page the reader scrolled, 0 to 100.
    pub scrolled_percent: u32,
}

impl Engagement {
    pub fn is_read(&self) -> bool {
        self.seconds >= READ_AFTER_SECS || self.scrolled_percent >= READ_SCROLL_PERCENT
    }
}

/// An item as the day's tallies name it: `kind/id`.
pub fn item_name(kind: ContentKind, id: &ItemId) -> String {
    format!("{kind}/{id}")
}

/// The tally a counted view adds to the day's row.
pub fn view_tally(kind: ContentKind, id: &ItemId) -> Vec<(String, i64)> {
    vec![(format!("v:{}", item_name(kind, id)), 1)]
}

/// The tallies a counted beacon adds: its time bucket, and the read if it is one.
pub fn engagement_tallies(
    kind: ContentKind,
    id: &ItemId,
    engagement: Engagement,
) -> Vec<(String, i64)> {
    let item = item_name(kind, id);
    let bucket = BUCKETS
        .iter()
        .rposition(|start| engagement.seconds >= *start)
        .unwrap_or(0);
    let mut out = vec![(format!("t{bucket}:{item}"), 1)];
    if engagement.is_read() {
        out.push((format!("r:{item}"), 1));
    }
    out
}

/// One item's numbers over a period.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ItemReadership {
    pub views: i64,
    pub reads: i64,
    /// Beacons per time bucket.
    time: [i64; BUCKETS.len()],
}

impl ItemReadership {
    /// The median time on page over the beacons received, in whole seconds
    /// (interpolated inside its bucket); `None` without a beacon.
    pub fn median_seconds(&self) -> Option<u32> {
        median(&self.time)
    }
}

/// A period's numbers: per item, and over every item.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Readership {
    /// Keyed by (kind, id) as stored (`blog/<id>` …).
    pub items: BTreeMap<(String, String), ItemReadership>,
}

impl Readership {
    /// Sums the days' rows (every Region's).
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a BTreeMap<String, i64>>) -> Self {
        let mut items: HashMap<(String, String), ItemReadership> = HashMap::new();
        for tallies in rows {
            for (name, n) in tallies {
                let Some((tag, item)) = name.split_once(':') else {
                    continue;
                };
                let Some((kind, id)) = item.split_once('/') else {
                    continue;
                };
                let entry = items.entry((kind.to_string(), id.to_string())).or_default();
                match tag {
                    "v" => entry.views += n,
                    "r" => entry.reads += n,
                    _ => {
                        if let Some(slot) = tag
                            .strip_prefix('t')
                            .and_then(|b| b.parse::<usize>().ok())
                            .and_then(|b| entry.time.get_mut(b))
                        {
                            *slot += n;
                        }
                    }
                }
            }
        }
        Self {
            items: items.into_iter().collect(),
        }
    }

    /// Every item's name as tallies hold it (`kind/id`).
    pub fn item_names(&self) -> Vec<String> {
        self.items
            .keys()
            .map(|(kind, id)| format!("{kind}/{id}"))
            .collect()
    }

    /// Views and reads (no time on page) of items named `kind/id`.
    pub fn of_counts<'a>(counts: impl IntoIterator<Item = (&'a str, (i64, i64))>) -> Self {
        let items = counts
            .into_iter()
            .filter_map(|(item, (views, reads))| {
                let (kind, id) = item.split_once('/')?;
                let counted = ItemReadership {
                    views,
                    reads,
                    time: [0; BUCKETS.len()],
                };
                Some(((kind.to_string(), id.to_string()), counted))
            })
            .collect();
        Self { items }
    }

    pub fn views(&self) -> i64 {
        self.items.values().map(|i| i.views).sum()
    }

    pub fn reads(&self) -> i64 {
        self.items.values().map(|i| i.reads).sum()
    }

    /// The median time on page over every beacon of the period.
    pub fn median_seconds(&self) -> Option<u32> {
        let mut time = [0; BUCKETS.len()];
        for item in self.items.values() {
            for (sum, n) in time.iter_mut().zip(item.time) {
                *sum += n;
            }
        }
        median(&time)
    }
}

fn median(histogram: &[i64; BUCKETS.len()]) -> Option<u32> {
    let total: i64 = histogram.iter().sum();
    if total <= 0 {
        return None;
    }
    // The middle beacon's place, counted from 0.5 so one beacon sits mid-bucket.
    let middle = total as f64 / 2.0;
    let mut before = 0.0;
    for (bucket, n) in histogram.iter().enumerate() {
        let n = *n as f64;
        if n > 0.0 && before + n >= middle {
            let start = BUCKETS[bucket] as f64;
            let end = BUCKETS.get(bucket + 1).copied().unwrap_or(LAST_BUCKET_END) as f64;
            let share = (middle - before) / n;
            return Some((start + share * (end - start)).round() as u32);
        }
        before += n;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> ItemId {
        ItemId::parse("id", s).unwrap()
    }

    fn row(tallies: Vec<(String, i64)>) -> BTreeMap<String, i64> {
        let mut out = BTreeMap::new();
        for (name, n) in tallies {
            *out.entry(name).or_default() += n;
        }
        out
    }

    #[test]
    fn a_view_is_a_read_after_thirty_visible_seconds_or_three_quarters_scrolled() {
        let e = |seconds, scrolled_percent| Engagement {
            seconds,
            scrolled_percent,
        };
        assert!(!e(29, 74).is_read());
        assert!(e(30, 0).is_read());
        assert!(e(2, 75).is_read());
    }

    #[test]
    fn views_reads_and_time_on_page_sum_over_days_and_items() {
        let post = id("p1");
        let project = id("x1");
        let mut day1 = view_tally(ContentKind::Blog, &post);
        day1.extend(engagement_tallies(
            ContentKind::Blog,
            &post,
            Engagement {
                seconds: 45,
                scrolled_percent: 10,
            },
        ));
        let mut day2 = view_tally(ContentKind::Blog, &post);
        day2.extend(view_tally(ContentKind::Project, &project));
        day2.extend(engagement_tallies(
            ContentKind::Blog,
            &post,
            Engagement {
                seconds: 3,
                scrolled_percent: 0,
            },
        ));
        let rows = [row(day1), row(day2)];
        let r = Readership::from_rows(rows.iter());
        assert_eq!(r.views(), 3);
        assert_eq!(r.reads(), 1);
        let p = &r.items[&("blog".to_string(), "p1".to_string())];
        assert_eq!((p.views, p.reads), (2, 1));
        assert_eq!(r.items[&("project".to_string(), "x1".to_string())].views, 1);
        // Beacons of 3 s (bucket 0–5) and 45 s (30–60): the middle is the end of the first.
        assert_eq!(p.median_seconds(), Some(5));
    }

    #[test]
    fn the_median_falls_inside_the_bucket_of_the_middle_beacon() {
        let mut h = [0; BUCKETS.len()];
        assert_eq!(median(&h), None);
        h[4] = 1; // one beacon of 60–120 s: the bucket's middle
        assert_eq!(median(&h), Some(90));
        h[7] = 3; // three more of 10 min or longer
        let m = median(&h).unwrap();
        assert!((600..LAST_BUCKET_END).contains(&m), "{m}");
    }

    #[test]
    fn rows_with_unknown_names_are_ignored() {
        let rows = [row(vec![
            ("t99:blog/p".into(), 1),
            ("nonsense".into(), 4),
            ("v:blog".into(), 2),
        ])];
        let r = Readership::from_rows(rows.iter());
        assert_eq!(r.views(), 0);
        assert_eq!(r.median_seconds(), None);
    }
}
