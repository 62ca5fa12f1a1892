//! Search's index at 1,000 and 10,000 published posts of 2 to 5 KB of Markdown
//! (words drawn from a 6,000-word vocabulary with a Zipf-like skew, as prose
//! is): how long a build takes (the first search after a change), how much
//! memory the index holds, and what a query costs: one common word, two words,
//! a rare word, a prefix and a word with a typo.
//!
//! `cargo bench --bench search` (SEARCH_SIZES, default 1000,10000).

use criterion::{Criterion, criterion_group, criterion_main};
use folio_origin::usecases::search::{Index, Source, plain_text};
use folio_shared::domain::{ContentKind, ItemId, Status};
use std::hint::black_box;
use std::time::Instant;

/// A deterministic generator (no dependency, same corpus every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

const VOCABULARY: usize = 6_000;

fn word(n: usize) -> String {
    const SYLLABLES: [&str; 16] = [
        "ka", "ru", "ne", "to", "li", "sa", "mo", "ber", "tes", "ion", "dra", "vel", "co", "pi",
        "ster", "gen",
    ];
    let mut w = String::new();
    let mut n = n + 17;
    while n > 0 {
        w.push_str(SYLLABLES[n % 16]);
        n /= 16;
    }
    w
}

fn post(n: usize, rng: &mut Lcg) -> Source {
    let target = 2_000 + (rng.next() as usize % 3_000);
    let mut markdown = format!("# Section {n}\n\n");
    while markdown.len() < target {
        // Zipf-like: small ranks far more often.
        let r = rng.next() as f64 / (1u64 << 31) as f64;
        let rank = ((VOCABULARY as f64).powf(r) as usize).min(VOCABULARY - 1);
        markdown.push_str(&word(rank));
        markdown.push(if rng.next().is_multiple_of(12) {
            '.'
        } else {
            ' '
        });
        if rng.next().is_multiple_of(90) {
            markdown.push_str("\n\n**note** [link](https://example.com/x) ");
        }
    }
    Source {
        kind: ContentKind::Blog,
        id: ItemId::parse("id", &format!("post-{n}")).unwrap(),
        status: Status::Published,
        slug: Some(format!("post-{n}")),
        title: format!(
            "{} {} {}",
            word(n % 500),
            word(n % 97 + 3),
            word(n % 1_000 + 40)
        ),
        meta: format!("{} · {}", word(n % 40), word(n % 13)),
        body: plain_text(&markdown),
    }
}

fn corpus(size: usize) -> Vec<Source> {
    let mut rng = Lcg(42);
    (0..size).map(|n| post(n, &mut rng)).collect()
}

fn bench(c: &mut Criterion) {
    let sizes: Vec<usize> = std::env::var("SEARCH_SIZES")
        .unwrap_or_else(|_| "1000,10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    for size in sizes {
        let sources = corpus(size);
        let text: usize = sources.iter().map(|s| s.body.len()).sum();
        let started = Instant::now();
        let index = Index::build(sources.clone());
        println!(
            "search/{size}: build {:.1} ms, index about {:.1} MB for {:.1} MB of text",
            started.elapsed().as_secs_f64() * 1e3,
            index.approx_bytes() as f64 / 1e6,
            text as f64 / 1e6
        );
        let mut group = c.benchmark_group(format!("search/{size}"));
        group.sample_size(10);
        group.bench_function("build", |b| {
            b.iter(|| Index::build(black_box(sources.clone())))
        });
        group.sample_size(50);
        let common = word(1);
        let rare = word(4_000);
        let queries = [
            ("common word", common.clone()),
            ("two words", format!("{common} {}", word(2))),
            ("rare word", rare.clone()),
            ("prefix", rare[..4].to_string()),
            ("typo", format!("{}x{}", &rare[..2], &rare[3..])),
        ];
        for (name, query) in queries {
            group.bench_function(name, |b| b.iter(|| index.query(black_box(&query), 10)));
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
