//! The `folio` binary as a process: killed with SIGKILL while writing it loses no
//! acknowledged write and restarts on an intact store; it is ready only when it
//! can do its job; seeding never doubles; its errors are one line with the fix.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

struct Server {
    child: Child,
    base: String,
}

fn start(data_dir: &std::path::Path) -> Server {
    start_at(data_dir, 0)
}

/// What `folio serve` printed up to the line starting with `last`; the rest of
/// its output is drained so the child never blocks on a full pipe.
fn printed_until(child: &mut Child, last: &str) -> String {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut said = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        said.push_str(&line);
        said.push('\n');
        if line.starts_with(last) {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    said
}

/// The address `folio serve` printed on its stdout; the rest of the output is
/// drained so the child never blocks on a full pipe.
fn serving(child: &mut Child) -> String {
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines.next().expect("folio printed its address").unwrap();
        if let Some(rest) = line.strip_prefix("folio is serving ") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    base
}

/// The JSON a GET of `url` answers.
async fn get_json(client: &reqwest::Client, url: &str) -> Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

async fn login(client: &reqwest::Client, base: &str) -> String {
    let r: Value = client
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({ "email": "owner@folio.test", "password": "Restart-passw0rd-ok" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["token"]
        .as_str()
        .expect("login works after restart")
        .to_string()
}

/// An authenticated GET (the owner's reads bypass the cache).
async fn owner_get(client: &reqwest::Client, token: &str, url: &str) -> reqwest::Response {
    client.get(url).bearer_auth(token).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_writes_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let mut acknowledged: Vec<String> = Vec::new();
    let mut visits_acknowledged = 0;
    for round in 0..3 {
        let mut server = start(dir.path());
        let token = login(&client, &server.base).await;
        // Write until killed: a background writer, then SIGKILL mid-stream.
        let writer = {
            let client = client.clone();
            let base = server.base.clone();
            let token = token.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                let mut visits = 0;
                for i in 0.. {
                    let body = json!({ "name": format!("r{round}-{i}"), "description": "d", "longDescription": "l", "tech": ["t"], "company": "c" });
                    let Ok(r) = client
                        .post(format!("{base}/v1/projects"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                    else {
                        break;
                    };
                    if r.status() != 201 {
                        break;
                    }
                    let Ok(v) = r.json::<Value>().await else {
                        break;
                    };
                    ids.push(v["id"].as_str().unwrap().to_string());
                    let Ok(t) = client
                        .post(format!("{base}/v1/visitors/track"))
                        .header("user-agent", format!("Mozilla/5.0 r{round}-{i}"))
                        .send()
                        .await
                    else {
                        break;
                    };
                    if t.status() == 200 {
                        visits += 1;
                    }
                }
                (ids, visits)
            })
        };
        tokio::time::sleep(Duration::from_millis(700)).await;
        server.child.kill().expect("SIGKILL"); // std's kill() is SIGKILL on Unix
        let _ = server.child.wait();
        let (ids, visits) = writer.await.unwrap();
        assert!(
            !ids.is_empty(),
            "round {round} wrote something before the kill"
        );
        acknowledged.extend(ids);
        visits_acknowledged += visits;
    }
    let mut server = start(dir.path());
    let token = login(&client, &server.base).await;
    let mut stored: Vec<String> = Vec::new();
    let mut offset = 0;
    loop {
        let page = owner_get(
            &client,
            &token,
            &format!(
                "{}/v1/projects?status=all&limit=100&offset={offset}",
                server.base
            ),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
        stored.extend(
            page["projects"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_string()),
        );
        offset += 100;
        if offset >= page["total"].as_u64().unwrap() as usize {
            break;
        }
    }
    for id in &acknowledged {
        assert!(stored.contains(id), "acknowledged project {id} was lost");
        let r = owner_get(
            &client,
            &token,
            &format!("{}/v1/projects/{id}", server.base),
        )
        .await;
        assert_eq!(r.status(), 200, "project {id} unreadable after restart");
    }
    let count = owner_get(
        &client,
        &token,
        &format!("{}/v1/visitors/count", server.base),
    )
    .await
    .json::<Value>()
    .await
    .unwrap();
    assert!(
        count["count"].as_i64().unwrap() >= visits_acknowledged,
        "acknowledged visits lost"
    );
    server.child.kill().unwrap();
    let _ = server.child.wait();
}

/// Ready means ready: on a cold start, the first sign-in right after the first 200
/// from `/v1/health` succeeds (the owner exists before any request is accepted).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_sign_in_after_the_first_healthy_answer_always_succeeds() {
    let client = reqwest::Client::new();
    for _ in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_folio"))
            .args([
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(dir.path())
            .env("FOLIO_OWNER_EMAIL", "owner@folio.test")
            .env("FOLIO_OWNER_PASSWORD", "Restart-passw0rd-ok")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("folio starts");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let healthy = client
                .get(format!("{base}/v1/health"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            if healthy {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "never healthy");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let login = client
            .post(format!("{base}/v1/auth/login"))
            .json(&json!({ "email": "owner@folio.test", "password": "Restart-passw0rd-ok" }))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 200, "the owner exists once healthy");
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// `folio seed` on a populated store adds nothing and says so; the samples are
/// never doubled (`hello-from-folio-2`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_twice_adds_the_samples_once_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let seed = || {
        let out = Command::new(env!("CARGO_BIN_EXE_folio"))
            .args(["seed", "--data-dir"])
            .arg(dir.path())
            .output()
            .expect("folio seed runs");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert!(seed().contains("Loaded 7 sample items"));
    let again = seed();
    assert!(again.contains("already has content"), "{again}");
    let mut server = start(dir.path());
    let client = reqwest::Client::new();
    let token = login(&client, &server.base).await;
    let all: Value = owner_get(
        &client,
        &token,
        &format!("{}/v1/blog/posts?status=all", server.base),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(all["total"], 3, "{all}");
    let _ = server.child.kill();
    let _ = server.child.wait();
}

/// Every AWS command's failure is one line naming the cause and the fix, never a
/// Rust debug dump.
#[test]
fn aws_command_failures_are_one_line_with_the_cause_and_the_fix() {
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let out = Command::new(env!("CARGO_BIN_EXE_folio"))
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", "/nonexistent")
            // Never ask an instance metadata endpoint: nothing but loopback here.
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_REGION", "us-east-1")
            .env("TABLE_NAME", "folio-cli-test")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(
            !err.contains("DispatchFailure") && !err.contains("{ "),
            "{err}"
        );
        err
    };
    let unreachable = [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
    ];
    assert!(run(&["table", "create"], &[]).contains("no AWS credentials"));
    assert!(run(&["table", "create"], &unreachable).contains("cannot reach"));
    let owner = [
        unreachable[0],
        unreachable[1],
        unreachable[2],
        ("USER_POOL_ID", "us-east-1_Example"),
        ("USER_POOL_CLIENT_ID", "client"),
        ("FOLIO_OWNER_PASSWORD", "Long-enough-passw0rd"),
    ];
    assert!(run(&["owner", "create"], &owner).contains("cannot be reached"));
    let missing = run(&["serve", "--aws"], &[]);
    assert!(
        missing.contains("USER_POOL_ID") && missing.contains("USER_POOL_CLIENT_ID"),
        "every missing setting at once: {missing}"
    );
}

fn folio(args: &[&str], dir: &std::path::Path, env: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("FOLIO_OWNER_PASSWORD")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

async fn login_as(client: &reqwest::Client, base: &str, email: &str, password: &str) -> u16 {
    client
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The owner can be managed: a lost password reset, the email changed, one owner
/// at a time, and start-up says what it did not apply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_is_managed_by_folio_owner_and_never_doubled() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    // First start creates owner@folio.test.
    let mut server = start(dir.path());
    assert_eq!(
        login_as(
            &client,
            &server.base,
            "owner@folio.test",
            "Restart-passw0rd-ok"
        )
        .await,
        200
    );
    let _ = server.child.kill();
    let _ = server.child.wait();

    // A lost password: reset it, offline.
    let (ok, out) = folio(
        &["owner", "reset-password"],
        dir.path(),
        &[("FOLIO_OWNER_PASSWORD", "Brand-new-passw0rd")],
    );
    assert!(ok, "{out}");
    let (ok, weak) = folio(
        &["owner", "reset-password"],
        dir.path(),
        &[("FOLIO_OWNER_PASSWORD", "weak")],
    );
    assert!(!ok && weak.contains("12 characters"), "{weak}");

    // Another email: moved, not a second owner.
    let (ok, out) = folio(&["owner", "set-email", "me@folio.test"], dir.path(), &[]);
    assert!(ok && out.contains("me@folio.test"), "{out}");

    // A start with the old email and a password set: neither is applied, and it says so.
    let mut server = start(dir.path());
    assert_eq!(
        login_as(&client, &server.base, "me@folio.test", "Brand-new-passw0rd").await,
        200
    );
    assert_eq!(
        login_as(
            &client,
            &server.base,
            "owner@folio.test",
            "Restart-passw0rd-ok"
        )
        .await,
        401,
        "no second owner was created"
    );
    let _ = server.child.kill();
    let _ = server.child.wait();
    let mut child = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("FOLIO_OWNER_EMAIL", "owner@folio.test")
        .env("FOLIO_OWNER_PASSWORD", "Restart-passw0rd-ok")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let said = printed_until(&mut child, "Press Ctrl-C");
    let _ = child.kill();
    let _ = child.wait();
    assert!(said.contains("Owner: me@folio.test"), "{said}");
    assert!(
        said.contains("FOLIO_OWNER_EMAIL=owner@folio.test is not applied"),
        "{said}"
    );
    assert!(
        said.contains("FOLIO_OWNER_PASSWORD is not applied"),
        "{said}"
    );
}

/// An import killed with SIGKILL halfway and run again ends with exactly the store
/// an uninterrupted import gives: each record is a transaction of its own, and a
/// record already there is compared, not written twice.
#[test]
fn an_import_killed_halfway_and_run_again_ends_as_an_uninterrupted_one() {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("content.jsonl");
    let total = 400;
    let mut text =
        String::from("{\"type\":\"header\",\"format\":\"folio-export\",\"version\":1}\n");
    for i in 0..total {
        let item = json!({ "type": "blog", "item": {
            "id": format!("imported-{i:04}"), "status": "published",
            "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-02T00:00:00Z",
            "slug": format!("post-{i}"), "title": format!("Post {i}"), "excerpt": "e",
            "content": "Some *Markdown*.", "category": format!("Topic {}", i % 7),
            "readTime": "1 min read", "publishedAt": "2024-01-01", "tags": ["a", "b"] } });
        text.push_str(&format!("{item}\n"));
        text.push_str(&format!(
            "{}\n",
            json!({ "type": "views", "contentType": "blog",
                    "contentId": format!("imported-{i:04}"), "views": i + 1 })
        ));
    }
    text.push_str("{\"type\":\"visitors\",\"total\":41}\n");
    std::fs::write(&file, &text).unwrap();
    let file = file.to_str().unwrap();
    let export = |dir: &std::path::Path| {
        let out = dir.with_extension("jsonl");
        let (ok, said) = folio(&["export", "--out", out.to_str().unwrap()], dir, &[]);
        assert!(ok, "{said}");
        std::fs::read_to_string(out).unwrap()
    };

    let whole = work.path().join("whole");
    let (ok, said) = folio(&["import", file], &whole, &[]);
    assert!(ok, "{said}");
    assert!(
        said.contains(&format!("Imported: {} created", 2 * total + 1)),
        "{said}"
    );

    let cut = work.path().join("cut");
    let mut child = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(["import", file, "--data-dir"])
        .arg(&cut)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill it at its first progress report: part of the file is in, part is not.
    let mut stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while std::io::Read::read(&mut stderr, &mut byte).unwrap_or(0) == 1 {
        seen.push(byte[0]);
        if byte[0] == b'\r' && seen.len() > 1 {
            break;
        }
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let report = String::from_utf8_lossy(&seen).to_string();
    let done: usize = report
        .trim_matches('\r')
        .split('/')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        done < 2 * total + 2,
        "the import was killed before the end: {report:?}"
    );
    let (ok, said) = folio(&["import", file], &cut, &[]);
    assert!(ok, "{said}");
    assert_eq!(export(&cut), export(&whole), "after the rerun: {said}");
    let (ok, said) = folio(&["import", file], &cut, &[]);
    assert!(ok && said.contains(" 0 created, 0 updated"), "{said}");
}

/// `folio export` and `folio backup` read one consistent snapshot beside a running
/// `folio serve`; `folio restore` refuses while it runs and, once it has stopped,
/// puts the backup in place: the server starts on it with everything there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_and_backup_run_beside_the_server_and_a_restore_brings_it_all_back() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let mut server = start(&data);
    let client = reqwest::Client::new();
    let token = login(&client, &server.base).await;
    let created: Value = client
        .post(format!("{}/v1/projects", server.base))
        .bearer_auth(&token)
        .json(
            &json!({ "name": "Kept in the backup", "description": "d", "longDescription": "l",
                       "tech": ["rust"], "company": "me" }),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();

    let exported = work.path().join("while-running.jsonl");
    let (ok, said) = folio(&["export", "--out", exported.to_str().unwrap()], &data, &[]);
    assert!(ok, "export beside the server: {said}");
    assert!(
        std::fs::read_to_string(&exported)
            .unwrap()
            .contains("Kept in the backup")
    );
    let backup = work.path().join("backup.redb");
    let (ok, said) = folio(&["backup", "--out", backup.to_str().unwrap()], &data, &[]);
    assert!(ok, "backup beside the server: {said}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the backup holds password hashes: private");
    }
    let (ok, said) = folio(&["restore", backup.to_str().unwrap()], &data, &[]);
    assert!(!ok && said.contains("another folio is using"), "{said}");

    // Lost after the backup: the project is deleted, then the server stops.
    let r = client
        .delete(format!("{}/v1/projects/{id}", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let (ok, said) = folio(&["restore", backup.to_str().unwrap()], &data, &[]);
    assert!(ok, "{said}");
    let mut server = start(&data);
    let token = login(&client, &server.base).await;
    let r = owner_get(
        &client,
        &token,
        &format!("{}/v1/projects/{id}", server.base),
    )
    .await;
    assert_eq!(r.status(), 200, "the project is back");
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

/// Runs `folio` like `folio()`, but kills it if it has not finished within a
/// minute: a hang is a failure, not a stuck suite.
fn folio_within_a_minute(args: &[&str], dir: &std::path::Path) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("folio {args:?} still running after a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// A content directory is often someone else's (a theme, a starter, a site being
/// migrated): its links are not followed, what is not a regular file is not read,
/// and front matter cannot make the import blow up. Each is named, the rest imports.
#[test]
fn a_hostile_content_directory_imports_its_own_posts_and_nothing_it_links_to() {
    use std::os::unix::fs::symlink;
    let work = tempfile::tempdir().unwrap();
    let secret = work.path().join("credentials");
    std::fs::write(&secret, "aws_secret_access_key = SECRETKEY123\n").unwrap();
    let site = work.path().join("site");
    let posts = site.join("posts");
    std::fs::create_dir_all(&posts).unwrap();
    std::fs::write(
        posts.join("good.md"),
        "---\ntitle: A real post\n---\nHello there.\n",
    )
    .unwrap();
    symlink(&secret, posts.join("leak.md")).unwrap();
    symlink("/etc/passwd", posts.join("passwd.markdown")).unwrap();
    symlink(".", posts.join("loop")).unwrap();
    symlink("..", posts.join("up")).unwrap();
    symlink("/dev/zero", posts.join("zero.md")).unwrap();
    let fifo = std::ffi::CString::new(posts.join("pipe.md").to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    // "Billion laughs": nine levels of nine aliases each.
    let mut laughs = String::from(
        "---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (prev, next) in ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        laughs.push_str(&format!(
            "{next}: &{next} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
    }
    laughs.push_str("title: laughs\n---\nbody\n");
    std::fs::write(posts.join("laughs.md"), laughs).unwrap();
    std::fs::write(
        posts.join("deep.md"),
        format!(
            "---\nx: {}{}\n---\nbody\n",
            "[".repeat(200),
            "]".repeat(200)
        ),
    )
    .unwrap();
    std::fs::write(
        posts.join("deep-toml.md"),
        format!(
            "+++\nx = {}{}\n+++\nbody\n",
            "[".repeat(5000),
            "]".repeat(5000)
        ),
    )
    .unwrap();
    std::fs::write(
        posts.join("long-line.md"),
        format!("+++\ntitle = \"{}\n+++\nbody\n", "x".repeat(60_000)),
    )
    .unwrap();
    std::fs::write(
        posts.join("huge.md"),
        format!("# Huge\n\n{}", "x".repeat(2 * 1024 * 1024)),
    )
    .unwrap();

    let data = work.path().join("data");
    let (ok, said) = folio_within_a_minute(&["import", site.to_str().unwrap()], &data);
    assert!(ok, "{said}");
    assert!(said.contains("Imported: 1 created"), "{said}");
    for (file, why) in [
        ("leak.md", "a symbolic link"),
        ("passwd.markdown", "a symbolic link"),
        ("loop", "a symbolic link"),
        ("up", "a symbolic link"),
        ("zero.md", "a symbolic link"),
        ("pipe.md", "not a regular file (a named pipe)"),
        ("laughs.md", "an alias"),
        ("deep.md", "nested deeper than"),
        ("deep-toml.md", "nested deeper than"),
        ("huge.md", "at most"),
        ("long-line.md", "TOML front matter"),
    ] {
        assert!(
            said.lines()
                .any(|l| l.starts_with("skipped") && l.contains(file) && l.contains(why)),
            "{file} is named as skipped ({why}): {said}"
        );
    }
    assert!(
        said.len() < 20_000,
        "no 60 KB line echoed: {} bytes",
        said.len()
    );
    let out = work.path().join("out.jsonl");
    let (ok, said) = folio(&["export", "--out", out.to_str().unwrap()], &data, &[]);
    assert!(ok, "{said}");
    let exported = std::fs::read_to_string(&out).unwrap();
    assert!(exported.contains("A real post"));
    assert!(!exported.contains("SECRETKEY123") && !exported.contains("root:"));
}

/// An export holds drafts and a backup holds password hashes: both are private
/// (0600) files, and neither is written through a symbolic link at the target.
#[test]
fn exports_and_backups_are_private_and_never_written_through_a_link() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let (ok, said) = folio(&["seed"], &data, &[]);
    assert!(ok, "{said}");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;

    let export = work.path().join("export.jsonl");
    let (ok, said) = folio(&["export", "--out", export.to_str().unwrap()], &data, &[]);
    assert!(ok, "{said}");
    assert_eq!(mode(&export), 0o600, "the export holds drafts");

    let victim = work.path().join("victim");
    std::fs::write(&victim, "untouched").unwrap();
    for command in ["export", "backup"] {
        let link = work.path().join(format!("{command}-link"));
        symlink(&victim, &link).unwrap();
        let (ok, said) = folio(&[command, "--out", link.to_str().unwrap()], &data, &[]);
        assert!(!ok && said.contains("symbolic link"), "{command}: {said}");
        let dangling = work.path().join(format!("{command}-dangling"));
        let target = work.path().join(format!("{command}-made-through-a-link"));
        symlink(&target, &dangling).unwrap();
        let (ok, said) = folio(&[command, "--out", dangling.to_str().unwrap()], &data, &[]);
        assert!(!ok, "{command}: {said}");
        assert!(!target.exists(), "{command} wrote through a dangling link");
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");

    let backup = work.path().join("backup.redb");
    let (ok, said) = folio(&["backup", "--out", backup.to_str().unwrap()], &data, &[]);
    assert!(ok, "{said}");
    assert_eq!(mode(&backup), 0o600);
}

/// Under the open-file limit many systems start a process with (256 on macOS),
/// `folio serve` raises its soft limit to the hard one and keeps its connection
/// cap below it: 300 clients that never send their bodies do not keep a health
/// check waiting (it waited about 9 s, for their body timeout, before).
#[test]
fn a_low_open_file_limit_does_not_stall_the_server_behind_slow_clients() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -Sn 256 && exec "$0" serve --addr 127.0.0.1:0 --data-dir "$1""#)
        .arg(env!("CARGO_BIN_EXE_folio"))
        .arg(dir.path())
        .env("FOLIO_OWNER_EMAIL", "owner@folio.test")
        .env("FOLIO_OWNER_PASSWORD", "Restart-passw0rd-ok")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("folio starts");
    let base = serving(&mut child);
    let addr = base.trim_start_matches("http://").to_string();
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut stream = std::net::TcpStream::connect(&addr).unwrap();
        stream
            .write_all(b"POST /v1/visitors/track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
            .unwrap();
        slow.push(stream);
    }
    std::thread::sleep(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let mut health = std::net::TcpStream::connect(&addr).unwrap();
    health
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    health
        .write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    let _ = health.read_to_string(&mut answer);
    let waited = started.elapsed();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Before: about 9 s (EMFILE, then the slow clients' 10 s body timeout).
    assert!(waited < Duration::from_secs(2), "health waited {waited:?}");
    drop(slow);
}

/// What `folio serve` prints for the shell works as pasted: the sign-in keeps the
/// token in `$TOKEN` and the next command uses it. After a restart without the
/// password in the environment, it says how to reset a lost one.
#[test]
fn the_sign_in_commands_folio_serve_prints_work_as_pasted() {
    let dir = tempfile::tempdir().unwrap();
    let printed = |password: Option<&str>| -> (Child, String) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_folio"));
        command
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .env("FOLIO_OWNER_EMAIL", "owner@folio.test")
            .env_remove("FOLIO_OWNER_PASSWORD")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(password) = password {
            command.env("FOLIO_OWNER_PASSWORD", password);
        }
        let mut child = command.spawn().expect("folio starts");
        let text = printed_until(&mut child, "API spec:");
        (child, text)
    };
    let (mut server, text) = printed(Some("Restart-passw0rd-ok"));
    let commands: String = text
        .lines()
        .skip_while(|l| !l.starts_with("Or sign in from a shell"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| format!("{l}\n"))
        .collect();
    let out = Command::new("sh")
        .arg("-c")
        .arg(&commands)
        .env("FOLIO_OWNER_PASSWORD", "Restart-passw0rd-ok")
        .output()
        .unwrap();
    let me = String::from_utf8_lossy(&out.stdout);
    assert!(me.contains("\"owner@folio.test\""), "{commands}\n→ {me}");
    server.kill().unwrap();
    server.wait().unwrap();

    let (mut server, text) = printed(None);
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(
        text.contains("YOUR-PASSWORD") && text.contains("folio owner reset-password"),
        "{text}"
    );
    assert!(!text.contains("$FOLIO_OWNER_PASSWORD"), "{text}");
}

/// `folio smoke` at an address where nothing listens says so in words, not as
/// hyper's `client error (Connect)`.
#[test]
fn smoke_against_nothing_says_the_connection_was_refused() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(["smoke", &format!("http://127.0.0.1:{port}")])
        .env("FOLIO_OWNER_PASSWORD", "Smoke-test-passw0rd")
        .output()
        .unwrap();
    let said =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        said.contains("was refused: nothing listens there"),
        "{said}"
    );
    assert!(!said.contains("client error (Connect)"), "{said}");
}

/// A port nothing listens on now, for a server started later at a known address.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `folio serve` on `port` of 127.0.0.1 (0: any free one).
fn start_at(data_dir: &std::path::Path, port: u16) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data_dir)
        .env("FOLIO_OWNER_EMAIL", "owner@folio.test")
        .env("FOLIO_OWNER_PASSWORD", "Restart-passw0rd-ok")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("folio starts");
    let base = serving(&mut child);
    Server { child, base }
}

/// An old site moves in with its images: a page bundle's cover and pictures, an
/// image from `static/`, one that is missing (named, with its line); a slug folio
/// cannot serve is named with the redirect to set up; a second site with the same
/// paths adds its own posts instead of overwriting; and an export carries the
/// images into a fresh data directory, where every one still loads.
#[tokio::test]
async fn an_old_site_moves_in_with_its_images_and_keeps_them_through_export_and_import() {
    let work = tempfile::tempdir().unwrap();
    let write = |path: &str, bytes: &[u8]| {
        let file = work.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, bytes).unwrap();
    };
    let cover = b"\x89PNG\r\n\x1a\nthe trip's cover".to_vec();
    let map = b"\x89PNG\r\n\x1a\nthe map".to_vec();
    let logo = b"GIF89a the logo".to_vec();
    write(
        "site/content/posts/trip/index.md",
        b"---\ntitle: A trip\ntags: [travel]\ncategories: [Life]\ncover:\n  image: cover.png\n---\nWe went.\n\n![the map](map.png)\n\n![lost](lost.png)\n\n<img src=\"/img/logo.gif\" alt=\"logo\">\n",
    );
    write("site/content/posts/trip/cover.png", &cover);
    write("site/content/posts/trip/map.png", &map);
    write("site/static/img/logo.gif", &logo);
    write(
        "site/content/posts/three.md",
        b"---\ntitle: Version three\nslug: \"3.0\"\ntags: [a]\ncategories: [B]\n---\nOut now.\n",
    );
    write(
        "other/content/posts/trip/index.md",
        b"---\ntitle: Another trip\ntags: [travel]\ncategories: [Life]\n---\nSomeone else's.\n",
    );
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let data = work.path().join("data");
    let site = work.path().join("site/content");
    let (ok, said) = folio(
        &["import", site.to_str().unwrap()],
        &data,
        &[("FOLIO_ADDR", &addr)],
    );
    assert!(ok, "{said}");
    assert!(
        said.lines()
            .any(|l| l.contains("index.md: line 5: image \"lost.png\" is not in the site")),
        "a missing image is named with its line: {said}"
    );
    assert!(said.contains("images: 3 stored"), "{said}");
    assert!(
        said.lines().any(|l| l == "/blog/3.0 /blog/3-0 301"),
        "the changed slug's redirect is printed: {said}"
    );
    assert!(said.contains("1 redirects kept"), "and kept: {said}");
    let other = work.path().join("other/content");
    let (ok, said) = folio(&["import", other.to_str().unwrap()], &data, &[]);
    assert!(ok, "{said}");
    assert!(
        said.contains("1 created"),
        "the same path from another site is a new post: {said}"
    );

    let exported = work.path().join("export.jsonl");
    let (ok, said) = folio(&["export", "--out", exported.to_str().unwrap()], &data, &[]);
    assert!(ok, "{said}");
    assert!(said.contains("and 3 images"), "{said}");
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(
        text.contains("A trip") && text.contains("Another trip"),
        "neither overwrote the other"
    );

    // A fresh data directory served at another address: the links follow it.
    let port = free_port();
    let fresh = work.path().join("fresh");
    let (ok, said) = folio(
        &["import", exported.to_str().unwrap()],
        &fresh,
        &[("FOLIO_ADDR", &format!("127.0.0.1:{port}"))],
    );
    assert!(ok, "{said}");
    assert!(said.contains("images: 3 stored"), "{said}");
    let mut server = start_at(&fresh, port);
    let client = reqwest::Client::new();
    let posts: Value = get_json(&client, &format!("{}/v1/blog/posts?limit=50", server.base)).await;
    let trip = posts["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == "A trip")
        .unwrap_or_else(|| panic!("{posts}"));
    let page: Value = get_json(
        &client,
        &format!(
            "{}/v1/blog/posts/{}",
            server.base,
            trip["id"].as_str().unwrap()
        ),
    )
    .await;
    let mut urls = vec![page["coverImage"].as_str().unwrap().to_string()];
    let content = page["content"].as_str().unwrap();
    urls.extend(
        content
            .split(['(', '"', ')'])
            .filter(|s| s.contains("/media/"))
            .map(String::from),
    );
    assert_eq!(
        urls.len(),
        3,
        "the cover and two pictures: {urls:?} in {content}"
    );
    let mut loaded = Vec::new();
    for url in &urls {
        assert!(
            url.starts_with(&server.base),
            "{url} is on the new address {}",
            server.base
        );
        let answer = client.get(url).send().await.unwrap();
        assert_eq!(answer.status(), 200, "{url}");
        loaded.push(answer.bytes().await.unwrap().to_vec());
    }
    assert_eq!(loaded, vec![cover, map, logo]);
    assert!(
        content.contains("(lost.png)"),
        "a missing image's link is left as it was"
    );
    // The redirect an import kept travels with the export.
    let redirects: Value = get_json(&client, &format!("{}/v1/redirects", server.base)).await;
    assert_eq!(redirects["redirects"][0]["from"], "/blog/3.0");
    assert_eq!(redirects["redirects"][0]["to"], "/blog/3-0");
    server.child.kill().unwrap();
    let _ = server.child.wait();
}
