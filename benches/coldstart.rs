//! Cold start of the origin binary: process start to the first answer through a
//! Runtime API, against moto (a public list: one DynamoDB Query). SDK clients are
//! set up once, in the init phase this measures; the JWKS is fetched by the first
//! token, not at start-up.
//!
//! Then the warm binary's CPU per invocation, as Lambda would bill it: the
//! `bootstrap` process's run time (`schedstat`, all its threads) over many
//! invocations of each request shape, Runtime API round trips included.
//! `FOLIO_BENCH_GAP_MS=<ms>` idles the bootstrap that long before each one.
//!
//! `FOLIO_BENCH_CALLGRIND=<dir>` runs the warm bootstrap under valgrind's callgrind
//! instead, counting instructions only inside each shape's measured invocations,
//! and writes one profile per shape into `<dir>` (`callgrind_annotate` reads it):
//! instruction counts repeat from run to run whatever else the machine does, where
//! its CPU time does not.
//!
//! `FOLIO_BENCH_COMPARE=<bootstrap>` runs another build beside this one, on the
//! same store and catalogue, the two measured in turns, block by block: what the
//! machine does meanwhile weighs on both. Two processes are not equal, though:
//! the same binary in both places measured up to 14 % apart (BENCHMARKS.md), so
//! weigh a change by two runs, the builds swapped, and the geometric mean of the
//! two ratios.
//!
//! Each start also reports the process's CPU and peak RSS at its first answer.
//! `FOLIO_BENCH_CPU=<n>` moves the bootstrap to CPU `n`, as Lambda gives it a CPU
//! of its own (see `pin`).
//!
//! `cargo bench --bench coldstart` (20 starts and 1,500 warm
//! invocations per request, release build); under `cargo test` it runs one start
//! and a few invocations as a smoke test.

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::Read;
use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use folio_origin::repo::content as repo;
use folio_shared::domain::{BlogPost, Content, Fields, Meta, Status, today_utc};

use support::bootstrap::*;
use support::moto::{AwsFixture, Moto};
use support::runtime_api::{Outcome, RuntimeApi};
use support::*;

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let runs = if benchmarking { 20 } else { 1 };
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async {
        let moto = Moto::start();
        let fixture = AwsFixture::create(&moto, OWNER_EMAIL, OWNER_PASSWORD).await;
        let mut samples = Vec::with_capacity(runs);
        let mut cpu = Vec::with_capacity(runs);
        let mut peak_rss = Vec::with_capacity(runs);
        for _ in 0..runs {
            let api = RuntimeApi::start().await;
            let started = Instant::now();
            let mut child = start_bootstrap(&api.endpoint(), &moto, &fixture);
            pin(&child);
            let outcome = api
                .invoke(
                    url_event("GET", "/v1/projects", None, None),
                    Duration::from_secs(30),
                )
                .await;
            let elapsed = started.elapsed();
            // Read before the next `/next`: the process waits for it, idle.
            cpu.push(cpu_on_the_clock(&child));
            peak_rss.push(peak_rss_of(&child));
            let _ = child.kill();
            let _ = child.wait();
            match outcome {
                Outcome::Response(r) if r["statusCode"] == 200 => samples.push(elapsed),
                other => panic!("first invocation failed: {other:?}"),
            }
        }
        samples.sort();
        cpu.sort();
        peak_rss.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let mib = |kib: u64| kib as f64 / 1024.0;
        println!(
            "origin cold start (process start → first response, {runs} runs): \
             min {:.1} ms, median {:.1} ms, max {:.1} ms wall; \
             process CPU min {:.1} ms, median {:.1} ms, max {:.1} ms; \
             peak RSS min {:.1} MiB, median {:.1} MiB, max {:.1} MiB",
            ms(samples[0]),
            ms(samples[samples.len() / 2]),
            ms(samples[samples.len() - 1]),
            ms(cpu[0]),
            ms(cpu[cpu.len() / 2]),
            ms(cpu[cpu.len() - 1]),
            mib(peak_rss[0]),
            mib(peak_rss[peak_rss.len() / 2]),
            mib(peak_rss[peak_rss.len() - 1]),
        );
        let invocations = std::env::var("FOLIO_BENCH_INVOCATIONS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(if benchmarking { 1500 } else { 5 });
        warm(&moto, &fixture, invocations).await;
    });
}

/// CPU time a child's live threads have run, to the nanosecond (the first field
/// of each `/proc/<pid>/task/<tid>/schedstat`): `/proc/<pid>/stat` counts in 10 ms
/// ticks, coarser than a start or a few hundred invocations.
fn cpu_on_the_clock(child: &Child) -> Duration {
    let tasks = std::fs::read_dir(format!("/proc/{}/task", child.id())).expect("tasks");
    let nanos: u64 = tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split(' ').next().and_then(|n| n.parse::<u64>().ok()))
        .sum();
    Duration::from_nanos(nanos)
}

/// The child's user and system time so far, in clock ticks (`utime` and `stime` of
/// `/proc/<pid>/stat`, every thread's): how much of its CPU the kernel spent for it
/// (its calls' loopback TCP, waking the peer and being woken).
fn user_and_system_of(child: &Child) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).expect("stat");
    // After the command's name, in parentheses: state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .expect("stat")
        .1
        .split_whitespace()
        .collect();
    let field = |n: usize| fields[n - 3].parse::<u64>().expect("a tick count");
    (field(14), field(15))
}

/// The child's peak resident set so far, in KiB (`VmHWM` of `/proc/<pid>/status`).
fn peak_rss_of(child: &Child) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).expect("status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

/// With `FOLIO_BENCH_CPU=<n>`, moves the child (every thread it has, and so every
/// thread it starts) to CPU `n`. Lambda gives a function's process its own share
/// of a CPU; on a shared machine DynamoDB Local, the Runtime API and this harness
/// would otherwise preempt it, and each preemption is charged to its clock. Run
/// the rest on the other CPUs (`taskset -c 0 …`, see BENCHMARKS.md).
fn pin(child: &Child) {
    let Some(cpu) = std::env::var("FOLIO_BENCH_CPU")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return;
    };
    let tasks = std::fs::read_dir(format!("/proc/{}/task", child.id())).expect("tasks");
    for task in tasks.flatten() {
        let Ok(tid) = task.file_name().to_string_lossy().parse::<libc::pid_t>() else {
            continue;
        };
        // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET and
        // sched_setaffinity only read and write the set passed.
        let pinned = unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &set)
        };
        assert_eq!(pinned, 0, "could not move the bootstrap to CPU {cpu}");
    }
}

/// Reads a child's output as it comes, so its logs never fill the pipe.
fn drain(child: &mut Child) {
    let streams: Vec<Box<dyn Read + Send>> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .collect();
    for mut stream in streams {
        std::thread::spawn(move || std::io::copy(&mut stream, &mut std::io::sink()));
    }
}

/// A browser's User-Agent, as most visits carry one.
const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// A visitor no one had before: a new address, a real browser's User-Agent.
fn from_visitor(mut event: serde_json::Value, n: usize) -> serde_json::Value {
    event["headers"]["cloudfront-viewer-address"] = format!("{}:443", visitor_address(n)).into();
    event["headers"]["user-agent"] = BROWSER.into();
    event
}

/// The `n`-th visitor's address.
fn visitor_address(n: usize) -> String {
    format!(
        "198.{}.{}.{}",
        18 + (n / 62_500) % 2,
        (n / 250) % 250,
        n % 250
    )
}

/// Views from visitors whose visit another instance counted: as tracker 3.js
/// sends them (the measured origin learns the visit's profile from its own
/// write, refused because the visit exists, until most such views found one;
/// then from a read of the visit's marker first), and as 4.js does (with the
/// visit's token: no read); and such a visitor's next visit, minutes after the
/// first (its marker's claim fails and answers the marker: the token, and the
/// minute the visitor was marked live, without a read or a live write).
const ELSEWHERE_SHAPES: [&str; 3] = [
    "view track, 3.js: the visit counted elsewhere",
    "view track, 4.js: the visit counted elsewhere, its token sent",
    "track, a repeat visitor another instance counted",
];

/// The first of the visitors whose visits `visits_counted_elsewhere` counts.
const COUNTED_ELSEWHERE: usize = 700_000;

/// The tokens of `count` visits from LinkedIn, of visitors `first` on, as
/// another instance counts them (the harness's own `Tracker`, on the same
/// store): the measured origin never saw these visits.
async fn visits_counted_elsewhere(
    store: &dyn folio_origin::ports::Store,
    region: &str,
    first: usize,
    count: usize,
) -> Vec<String> {
    use folio_origin::usecases::audience::VisitContext;
    use folio_origin::usecases::tracking::Tracker;
    let elsewhere = Tracker::new(region);
    let from_linkedin = VisitContext {
        referrer: Some("https://www.linkedin.com/feed/".into()),
        ..VisitContext::default()
    };
    let mut tokens = Vec::with_capacity(count);
    for n in first..first + count {
        let tracked = elsewhere
            .track_visit(
                store,
                today_utc(),
                &visitor_address(n),
                BROWSER,
                &from_linkedin,
            )
            .await
            .expect("a visit counted");
        tokens.push(
            tracked
                .visit
                .expect("a counted visit's token")
                .as_str()
                .to_string(),
        );
    }
    tokens
}

/// Markdown of 2 to 5 KB, shaped like a real post: headings, paragraphs with
/// emphasis and links, a list, a code block, a quote.
fn post_markdown(n: usize) -> String {
    let paragraph = "Rust on Lambda starts in milliseconds, and a **single table** keeps the reads \
        cheap. The [design notes](https://example.com/notes) explain why the cache key is the \
        path and the query as the API reads it, and why `Authorization` is part of it.\n\n";
    let mut text = format!("Post {n} opens with a sentence that becomes the excerpt.\n\n");
    for section in 0..(2 + n % 4) {
        text.push_str(&format!("## Part {section}\n\n"));
        text.push_str(paragraph);
        text.push_str("- one point, with `code`\n- another, with a [link](https://example.org)\n- a third\n\n");
        text.push_str("```rust\nfn main() {\n    println!(\"hello\");\n}\n```\n\n> A quote to end the part.\n\n");
    }
    text
}

/// Makes the `n`-th event of one kind of request.
type EventOf = Box<dyn Fn(usize) -> serde_json::Value>;

/// Seeds a catalogue like a real portfolio's: 20 published posts of 2 to 5 KB
/// with their HTML, 6 projects, 9 certifications, 5 drafts.
async fn seed(store: &dyn folio_origin::ports::Store, region: &str) -> Vec<BlogPost> {
    use folio_shared::domain::{Certification, Project};
    let mut posts = Vec::new();
    for n in 0..25 {
        let body = serde_json::json!({
            "title": format!("Post number {n}"),
            "excerpt": "What this post is about, in a sentence or two.",
            "content": post_markdown(n),
            "category": format!("category-{}", n % 4),
            "tags": [format!("tag-{}", n % 7), "rust"],
        });
        let fields =
            Fields::parse(body.to_string().as_bytes(), &BlogPost::writable()).expect("fields");
        let mut post = BlogPost::create(&fields, Meta::new_draft()).expect("post");
        if n < 20 {
            post.set_status(Status::Published, today_utc());
        }
        posts.push(
            repo::create(store, post, region)
                .await
                .expect("seeded post"),
        );
    }
    for n in 0..6 {
        let body = serde_json::json!({ "name": format!("Project {n}"), "description": "A short description.",
            "longDescription": post_markdown(n), "tech": ["Rust", "AWS"], "company": "Acme", "featured": n < 2 });
        let fields =
            Fields::parse(body.to_string().as_bytes(), &Project::writable()).expect("fields");
        let mut project = Project::create(&fields, Meta::new_draft()).expect("project");
        project.set_status(Status::Published, today_utc());
        repo::create(store, project, region)
            .await
            .expect("seeded project");
    }
    for n in 0..9 {
        let body = serde_json::json!({ "name": format!("Certification {n}"), "issuer": "AWS", "icon": "☁",
            "type": "certification", "featured": false, "description": "What it covers.",
            "credentialUrl": "https://example.com/c", "dateEarned": "2025-01-01" });
        let fields =
            Fields::parse(body.to_string().as_bytes(), &Certification::writable()).expect("fields");
        let mut cert = Certification::create(&fields, Meta::new_draft()).expect("certification");
        cert.set_status(Status::Published, today_utc());
        repo::create(store, cert, region)
            .await
            .expect("seeded certification");
    }
    posts
}

/// The warm bootstrap's CPU per invocation of each request.
async fn warm(moto: &Moto, fixture: &AwsFixture, invocations: usize) {
    // The smoke run under `cargo test` only checks that every shape answers.
    let warm_up = if invocations >= 100 { 20 } else { 1 };
    let store = fixture
        .settings
        .dynamodb_store(&fixture.sdk)
        .expect("store");
    let store: Arc<dyn folio_origin::ports::Store> = Arc::new(store);
    let posts = seed(store.as_ref(), &fixture.settings.region).await;
    let api = RuntimeApi::start().await;
    let callgrind = Callgrind::from_env();
    let mut child = start_bootstrap_under(
        &api.endpoint(),
        moto,
        fixture,
        &[],
        &callgrind
            .as_ref()
            .map(Callgrind::wrapper)
            .unwrap_or_default(),
    );
    pin(&child);
    drain(&mut child);
    let login = serde_json::json!({ "email": OWNER_EMAIL, "password": OWNER_PASSWORD });
    let token = match api
        .invoke(
            url_event("POST", "/v1/auth/login", None, Some(login)),
            Duration::from_secs(30),
        )
        .await
    {
        Outcome::Response(r) => {
            let body: serde_json::Value =
                serde_json::from_str(r["body"].as_str().expect("body")).expect("JSON");
            body["token"].as_str().expect("a token").to_string()
        }
        other => panic!("sign-in failed: {other:?}"),
    };
    let slug = posts[0].slug.clone();
    let post_id = posts[0].meta.id.to_string();
    let (post_id_3, post_id_4) = (post_id.clone(), post_id.clone());
    // Each measured view from its own visitor, over every bootstrap measured.
    let only = std::env::var("FOLIO_BENCH_SHAPES").unwrap_or_default();
    let each = (1 + usize::from(std::env::var_os("FOLIO_BENCH_COMPARE").is_some()))
        * (warm_up + invocations);
    let tokens = if ELSEWHERE_SHAPES
        .iter()
        .any(|name| name.contains(only.as_str()))
    {
        visits_counted_elsewhere(
            store.as_ref(),
            &fixture.settings.region,
            COUNTED_ELSEWHERE,
            3 * each,
        )
        .await
    } else {
        vec![String::new(); 3 * each]
    };
    let (next_3, next_4, next_repeat) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let shapes: Vec<(&str, EventOf)> = vec![
        (
            "404, no such route (the floor)",
            Box::new(|_| url_event("GET", "/v1/nothing-here", None, None)),
        ),
        (
            "public list of 20 posts with their HTML",
            Box::new(|_| url_event("GET", "/v1/blog/posts?limit=20", None, None)),
        ),
        (
            "one post by slug",
            Box::new(move |_| {
                url_event("GET", &format!("/v1/blog/posts/by-slug/{slug}"), None, None)
            }),
        ),
        (
            "the owner's list (all statuses)",
            Box::new(move |_| {
                url_event(
                    "GET",
                    "/v1/blog/posts?status=all&limit=20",
                    Some(&token),
                    None,
                )
            }),
        ),
        (
            "track, new visitor",
            Box::new(|n| from_visitor(url_event("POST", "/v1/visitors/track", None, None), n)),
        ),
        (
            "track, repeat visitor",
            Box::new(|_| {
                from_visitor(url_event("POST", "/v1/visitors/track", None, None), 999_999)
            }),
        ),
        (
            "view track, new viewer",
            Box::new(move |n| {
                let body = serde_json::json!({ "contentType": "blog", "contentId": post_id });
                from_visitor(
                    url_event("POST", "/v1/analytics/track", None, Some(body)),
                    500_000 + n,
                )
            }),
        ),
        (
            ELSEWHERE_SHAPES[0],
            Box::new(move |_| {
                let i = next_3.fetch_add(1, Ordering::Relaxed) % each;
                let body = serde_json::json!({ "contentType": "blog", "contentId": post_id_3 });
                from_visitor(
                    url_event("POST", "/v1/analytics/track", None, Some(body)),
                    COUNTED_ELSEWHERE + i,
                )
            }),
        ),
        (
            ELSEWHERE_SHAPES[1],
            Box::new(move |_| {
                let i = each + next_4.fetch_add(1, Ordering::Relaxed) % each;
                let body = serde_json::json!({ "contentType": "blog", "contentId": post_id_4,
                    "visit": tokens[i] });
                from_visitor(
                    url_event("POST", "/v1/analytics/track", None, Some(body)),
                    COUNTED_ELSEWHERE + i,
                )
            }),
        ),
        (
            ELSEWHERE_SHAPES[2],
            Box::new(move |_| {
                let i = 2 * each + next_repeat.fetch_add(1, Ordering::Relaxed) % each;
                from_visitor(
                    url_event("POST", "/v1/visitors/track", None, None),
                    COUNTED_ELSEWHERE + i,
                )
            }),
        ),
    ];
    // For profiling one shape: `FOLIO_BENCH_SHAPES=visitor` runs the shapes whose
    // name holds it, and the bootstrap's pid is printed for `perf record -p`.
    // `FOLIO_BENCH_GAP_MS=<ms>` leaves the bootstrap idle that long before each
    // invocation, as a function between visits: what idleness alone costs the next one.
    let gap = Duration::from_millis(
        std::env::var("FOLIO_BENCH_GAP_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .unwrap_or(0),
    );
    println!("bootstrap pid {}", child.id());
    // `FOLIO_BENCH_COMPARE=<bootstrap>`: another build measured beside this one.
    let other = match std::env::var_os("FOLIO_BENCH_COMPARE") {
        Some(binary) => {
            assert!(
                callgrind.is_none(),
                "FOLIO_BENCH_COMPARE measures CPU time; callgrind counts one bootstrap at a time"
            );
            let binary = std::path::PathBuf::from(binary);
            let api = RuntimeApi::start().await;
            let mut child =
                start_bootstrap_binary(&binary, &api.endpoint(), moto, fixture, &[], &[]);
            pin(&child);
            drain(&mut child);
            println!("compared with {} (pid {})", binary.display(), child.id());
            Some(Subject { child, api })
        }
        None => None,
    };
    let mut subjects = vec![Subject { child, api }];
    subjects.extend(other);
    // Every event numbered once across both bootstraps: a new visitor stays new.
    let mut n = 0;
    for (round, (name, event)) in shapes.iter().enumerate() {
        if !name.contains(only.as_str()) {
            continue;
        }
        // Warm-up: connections open, caches filled, as in a warm execution environment.
        // Each bootstrap's warm-up events its own: the other's would be repeats
        // (a new visitor's track answered as a repeat visitor's). The answer's
        // size reported is the measured bootstrap's.
        let mut bytes = 0;
        for (s, subject) in subjects.iter().enumerate() {
            for w in 0..warm_up {
                let number = 1_000_000 * (round + 1) + s * warm_up + w;
                let size = answered(
                    subject
                        .api
                        .invoke(event(number), Duration::from_secs(30))
                        .await,
                );
                if s == 0 {
                    bytes = size;
                }
            }
        }
        if subjects.len() > 1 {
            let (blocks, each) = compare(&subjects, event.as_ref(), &mut n, invocations, gap).await;
            report_comparison(name, each, bytes, &blocks);
            continue;
        }
        let subject = &subjects[0];
        if let Some(callgrind) = &callgrind {
            callgrind.control(&subject.child, &["--instr=on"]);
        }
        let (user_before, system_before) = user_and_system_of(&subject.child);
        let started = Instant::now();
        let cpu = measure(subject, event.as_ref(), &mut n, invocations, gap).await;
        let wall = started.elapsed() / invocations as u32;
        let (user, system) = user_and_system_of(&subject.child);
        let (user, system) = (user - user_before, system - system_before);
        println!(
            "warm bootstrap, {name} ({invocations} invocations, {bytes} B answer): {:.3} ms CPU ({:.0} % in the kernel), {:.2} ms wall per invocation",
            cpu * 1000.0,
            100.0 * system as f64 / (user + system).max(1) as f64,
            wall.as_secs_f64() * 1000.0
        );
        if let Some(callgrind) = &callgrind {
            callgrind.control(&subject.child, &["--instr=off"]);
            let (profile, instructions) = callgrind.dump(&subject.child);
            println!(
                "  callgrind: {} instructions per invocation ({profile})",
                instructions / invocations as u64,
            );
        }
    }
    for mut subject in subjects {
        let _ = subject.child.kill();
        let _ = subject.child.wait();
    }
}

/// A bootstrap under measurement, and the Runtime API it polls.
struct Subject {
    child: Child,
    api: RuntimeApi,
}

/// The CPU seconds per invocation `subject` spent on `count` invocations of
/// `event`, numbered from `n` on.
async fn measure(
    subject: &Subject,
    event: &dyn Fn(usize) -> serde_json::Value,
    n: &mut usize,
    count: usize,
    gap: Duration,
) -> f64 {
    let before = cpu_on_the_clock(&subject.child);
    for _ in 0..count {
        if !gap.is_zero() {
            tokio::time::sleep(gap).await;
        }
        answered(subject.api.invoke(event(*n), Duration::from_secs(30)).await);
        *n += 1;
    }
    (cpu_on_the_clock(&subject.child) - before).as_secs_f64() / count as f64
}

/// Two bootstraps measured in turns (`FOLIO_BENCH_ROUNDS` blocks each, 10 by
/// default, the first to go alternating): whatever else the machine does in a
/// round weighs on both. Each bootstrap's CPU per invocation, block by block,
/// and how many invocations each answered.
async fn compare(
    subjects: &[Subject],
    event: &dyn Fn(usize) -> serde_json::Value,
    n: &mut usize,
    invocations: usize,
    gap: Duration,
) -> ([Vec<f64>; 2], usize) {
    let rounds: usize = std::env::var("FOLIO_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10);
    let block = (invocations / rounds).max(1);
    let mut blocks = [Vec::with_capacity(rounds), Vec::with_capacity(rounds)];
    for round in 0..rounds {
        for turn in 0..2 {
            let which = (round + turn) % 2;
            blocks[which].push(measure(&subjects[which], event, n, block, gap).await);
        }
    }
    (blocks, rounds * block)
}

/// Each bootstrap's median block (and the spread), and the median of the
/// round-by-round ratio of the second to the first.
fn report_comparison(name: &str, invocations: usize, bytes: usize, blocks: &[Vec<f64>; 2]) {
    let median = |values: &[f64]| {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        (
            sorted[0],
            sorted[sorted.len() / 2],
            sorted[sorted.len() - 1],
        )
    };
    let ratios: Vec<f64> = blocks[0]
        .iter()
        .zip(&blocks[1])
        .map(|(first, second)| second / first)
        .collect();
    let (a_min, a, a_max) = median(&blocks[0]);
    let (b_min, b, b_max) = median(&blocks[1]);
    let (r_min, r, r_max) = median(&ratios);
    println!(
        "warm bootstraps compared, {name} ({invocations} invocations each, {bytes} B answer): \
         this {:.3} ms CPU ({:.3}–{:.3}), the other {:.3} ms ({:.3}–{:.3}); \
         the other / this, round by round: median {:.3} ({:.3}–{:.3})",
        a * 1000.0,
        a_min * 1000.0,
        a_max * 1000.0,
        b * 1000.0,
        b_min * 1000.0,
        b_max * 1000.0,
        r,
        r_min,
        r_max,
    );
}

/// The warm bootstrap under callgrind (`FOLIO_BENCH_CALLGRIND=<dir>`), collecting
/// only while a shape's measured invocations run.
struct Callgrind {
    dir: std::path::PathBuf,
    dumps: std::cell::Cell<usize>,
}

impl Callgrind {
    fn from_env() -> Option<Self> {
        let dir = std::env::var_os("FOLIO_BENCH_CALLGRIND")?;
        std::fs::create_dir_all(&dir).expect("the callgrind directory");
        Some(Self {
            dir: std::fs::canonicalize(dir).expect("the callgrind directory"),
            dumps: std::cell::Cell::new(0),
        })
    }

    /// valgrind and its options; `FOLIO_BENCH_CALLGRIND_ARGS` adds more
    /// (`--demangle=no` for `scripts/hot_functions`).
    fn wrapper(&self) -> Vec<String> {
        let mut wrapper = vec![
            "valgrind".into(),
            "--tool=callgrind".into(),
            "--instr-atstart=no".into(),
            format!("--callgrind-out-file={}/callgrind.%p", self.dir.display()),
        ];
        if let Ok(args) = std::env::var("FOLIO_BENCH_CALLGRIND_ARGS") {
            wrapper.extend(args.split_whitespace().map(String::from));
        }
        wrapper
    }

    fn profile(&self, child: &Child) -> std::path::PathBuf {
        self.dir.join(format!("callgrind.{}", child.id()))
    }

    /// `callgrind_control` on the child (valgrind runs it as the child's own pid).
    fn control(&self, child: &Child, args: &[&str]) {
        let status = std::process::Command::new("callgrind_control")
            .args(args)
            .arg(child.id().to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("callgrind_control (valgrind) runs");
        assert!(status.success(), "callgrind_control {args:?} failed");
    }

    /// Writes the counts since the last dump to the next profile (callgrind
    /// numbers them from 1), and returns it with its instruction total.
    fn dump(&self, child: &Child) -> (String, u64) {
        self.control(child, &["--dump"]);
        self.dumps.set(self.dumps.get() + 1);
        let path = format!("{}.{}", self.profile(child).display(), self.dumps.get());
        // The dump is written by the child after callgrind_control returns.
        for _ in 0..100 {
            if let Some(total) = std::fs::read_to_string(&path).ok().and_then(|text| {
                text.lines()
                    .find_map(|line| line.strip_prefix("totals: "))
                    .and_then(|n| n.trim().parse().ok())
            }) {
                return (path, total);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no callgrind profile at {path}");
    }
}

/// The answer's body size; panics on anything but the answer each shape expects.
fn answered(outcome: Outcome) -> usize {
    match outcome {
        Outcome::Response(r) if r["statusCode"] == 200 || r["statusCode"] == 404 => {
            r["body"].as_str().map_or(0, str::len)
        }
        other => panic!("invocation failed: {other:?}"),
    }
}
