//! `folio smoke <base URL>`: the checks to run right after a first real deploy (or
//! against `folio serve`). Each step is printed with its timing; the first that
//! fails ends the run, names itself, and the command exits non-zero. What the run
//! created is deleted again, whether it passed or not.

use std::time::{Duration, Instant};

use crate::error::CommandError;
use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

/// How long a step waits for CloudFront to reflect a change (invalidations take
/// tens of seconds to minutes on AWS; `folio serve` purges at once).
const PROPAGATION: Duration = Duration::from_secs(180);
/// One request's limit.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Credentials {
    pub email: String,
    pub password: String,
}

struct Answer {
    status: StatusCode,
    etag: Option<String>,
    body: Value,
}

#[derive(Debug, Clone, Copy)]
enum As {
    Owner,
    Public,
}

/// The smoke's User-Agent: a tool, not a reader (`tracking::is_bot`).
pub const SMOKE_USER_AGENT: &str = concat!("folio-smoke/", env!("CARGO_PKG_VERSION"));

/// Why a request got no answer, in words: hyper's own says `client error (Connect)`.
fn unreachable(base: &str, error: &hyper_util::client::legacy::Error) -> String {
    use std::error::Error as _;
    let mut cause: Option<&dyn std::error::Error> = error.source();
    while let Some(inner) = cause {
        if let Some(io) = inner.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => format!(
                    "the connection to {base} was refused: nothing listens there (is folio running, and is the address right?)"
                ),
                std::io::ErrorKind::TimedOut => format!("connecting to {base} timed out"),
                _ => format!("cannot reach {base}: {io}"),
            };
        }
        cause = inner.source();
    }
    if error.is_connect() {
        format!("cannot connect to {base}: {error:?}")
    } else {
        error.to_string()
    }
}

struct Smoke {
    base: String,
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    token: Option<String>,
}

impl Smoke {
    /// One request, as the owner (with the token, once signed in) or as the public.
    async fn send(
        &self,
        who: As,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Result<Answer, CommandError> {
        let mut request = Request::builder()
            .method(method.clone())
            .uri(format!("{}{path}", self.base))
            // Named as the tool it is: the origin counts no visitor for it, so a
            // smoke run leaves the owner's numbers as they were.
            .header(header::USER_AGENT, SMOKE_USER_AGENT);
        if let (As::Owner, Some(token)) = (who, &self.token) {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let payload = match body {
            Some(b) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Bytes::from(b.to_string())
            }
            None => Bytes::new(),
        };
        let request = request
            .body(Full::new(payload))
            .map_err(|e| CommandError::Refused(format!("cannot build the request: {e}")))?;
        let response = tokio::time::timeout(REQUEST_TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| {
                CommandError::Refused(format!(
                    "{method} {path}: no answer within {REQUEST_TIMEOUT:?}"
                ))
            })?
            .map_err(|e| {
                CommandError::Refused(format!("{method} {path}: {}", unreachable(&self.base, &e)))
            })?;
        let status = response.status();
        let etag = response
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| CommandError::Refused(format!("{method} {path}: body unreadable: {e}")))?
            .to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer { status, etag, body })
    }

    async fn expect(
        &self,
        who: As,
        method: Method,
        path: &str,
        body: Option<Value>,
        want: StatusCode,
    ) -> Result<Answer, CommandError> {
        let answer = self.send(who, method.clone(), path, body, &[]).await?;
        if answer.status != want {
            return Err(CommandError::Refused(format!(
                "{method} {path} answered {} (wanted {want}): {}",
                answer.status, answer.body
            )));
        }
        Ok(answer)
    }

    /// Repeats an anonymous GET until it answers `want` (CloudFront's cache may hold
    /// the previous answer until the invalidation lands).
    async fn eventually(&self, path: &str, want: StatusCode) -> Result<Answer, CommandError> {
        let deadline = Instant::now() + PROPAGATION;
        loop {
            let answer = self.send(As::Public, Method::GET, path, None, &[]).await?;
            if answer.status == want {
                return Ok(answer);
            }
            if Instant::now() > deadline {
                return Err(CommandError::Refused(format!(
                    "GET {path} still answered {} after {PROPAGATION:?} (wanted {want})",
                    answer.status
                )));
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }
}

async fn step<T>(
    name: &str,
    work: impl std::future::Future<Output = Result<T, CommandError>>,
) -> Result<T, CommandError> {
    let started = Instant::now();
    let result = work.await;
    let ms = started.elapsed().as_millis();
    match &result {
        Ok(_) => println!("  ok    {name:<28} {ms:>6} ms"),
        Err(e) => println!("  FAIL  {name:<28} {ms:>6} ms  {e}"),
    }
    result.map_err(|e| CommandError::Refused(format!("step '{name}' failed: {e}")))
}

/// Runs every check against `base` (e.g. `https://d111.cloudfront.net`).
pub async fn run(base: &str, credentials: &Credentials) -> Result<(), CommandError> {
    let connector = folio_shared::jwt::jwks_http::https_connector()?;
    let mut smoke = Smoke {
        base: base.trim_end_matches('/').to_string(),
        client: Client::builder(TokioExecutor::new()).build(connector),
        token: None,
    };
    println!("folio smoke {}", smoke.base);
    let started = Instant::now();
    step("health", async {
        let a = smoke
            .expect(As::Public, Method::GET, "/v1/health", None, StatusCode::OK)
            .await?;
        Ok(a.body["status"].clone())
    })
    .await?;
    step("public list", async {
        let a = smoke
            .expect(
                As::Public,
                Method::GET,
                "/v1/blog/posts",
                None,
                StatusCode::OK,
            )
            .await?;
        a.body["posts"]
            .as_array()
            .map(|_| ())
            .ok_or_else(|| CommandError::Refused(format!("no posts array: {}", a.body)))
    })
    .await?;
    let token = step("owner sign-in", async {
        let body = json!({ "email": credentials.email, "password": credentials.password });
        let a = smoke
            .expect(
                As::Public,
                Method::POST,
                "/v1/auth/login",
                Some(body),
                StatusCode::OK,
            )
            .await?;
        a.body["token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| CommandError::from("no token in the answer"))
    })
    .await?;
    smoke.token = Some(token);
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
    let post = json!({
        "title": format!("folio smoke test {stamp}"),
        "excerpt": "Written and deleted by folio smoke",
        "content": "If you can read this, `folio smoke` stopped half-way: delete this post.",
        "category": "Smoke",
        "tags": ["smoke"],
    });
    let id = step("create draft", async {
        let a = smoke
            .expect(
                As::Owner,
                Method::POST,
                "/v1/blog/posts",
                Some(post),
                StatusCode::CREATED,
            )
            .await?;
        a.body["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| CommandError::from("no id in the answer"))
    })
    .await?;
    let checks = checks_on(&smoke, &id).await;
    // Clean up whatever happened, then report the first failure.
    let cleanup = step("delete", async {
        let path = format!("/v1/blog/posts/{id}");
        let a = smoke
            .send(As::Owner, Method::DELETE, &path, None, &[])
            .await?;
        if a.status.is_success() {
            Ok(())
        } else {
            Err(CommandError::Refused(format!(
                "DELETE answered {}: {}",
                a.status, a.body
            )))
        }
    })
    .await;
    checks?;
    cleanup?;
    println!("all checks passed in {} ms", started.elapsed().as_millis());
    Ok(())
}

/// The checks between creating the draft and deleting it.
async fn checks_on(smoke: &Smoke, id: &str) -> Result<(), CommandError> {
    let item = format!("/v1/blog/posts/{id}");
    let owner_post = |action: &'static str| {
        let path = format!("{item}/{action}");
        async move {
            smoke
                .expect(As::Owner, Method::POST, &path, None, StatusCode::OK)
                .await
                .map(|_| ())
        }
    };
    step("draft hidden from public", async {
        match smoke
            .send(As::Public, Method::GET, &item, None, &[])
            .await?
            .status
        {
            StatusCode::NOT_FOUND => Ok(()),
            other => Err(CommandError::Refused(format!(
                "the public got {other} for a draft"
            ))),
        }
    })
    .await?;
    step("publish", owner_post("publish")).await?;
    let etag = step("public read", async {
        let a = smoke.eventually(&item, StatusCode::OK).await?;
        a.etag
            .ok_or_else(|| CommandError::from("no ETag on a public read"))
    })
    .await?;
    step("ETag / 304", async {
        let headers = [("if-none-match", etag.as_str())];
        match smoke
            .send(As::Public, Method::GET, &item, None, &headers)
            .await?
            .status
        {
            StatusCode::NOT_MODIFIED => Ok(()),
            other => Err(CommandError::Refused(format!(
                "If-None-Match answered {other}, not 304"
            ))),
        }
    })
    .await?;
    step("visit tracking answers, and counts no smoke", async {
        let a = smoke
            .expect(
                As::Public,
                Method::POST,
                "/v1/visitors/track",
                None,
                StatusCode::OK,
            )
            .await?;
        if a.body["tracked"] != json!(false) {
            return Err(CommandError::Refused(format!(
                "the smoke was counted as a visitor: {}",
                a.body
            )));
        }
        a.body["count"]
            .as_i64()
            .map(|_| ())
            .ok_or_else(|| CommandError::Refused(format!("no integer count: {}", a.body)))
    })
    .await?;
    step("unpublish", owner_post("unpublish")).await?;
    step(
        "unpublished hidden",
        smoke.eventually(&item, StatusCode::NOT_FOUND),
    )
    .await
    .map(|_| ())
}
