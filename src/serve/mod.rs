//! `folio serve`: the CloudFront stand-in, the edge and the origin in one process
//! on one HTTP port, over the embedded store and the local issuer (default) or over
//! the AWS adapters (`--aws`: DynamoDB, Cognito, CloudFront; moto works too).

mod media;
mod open_files;
pub mod regions;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use folio_edge::{Edge, EdgeConfig};
use folio_origin::App;
use folio_origin::adapters::local::issuer::OwnerSetup;
use folio_origin::adapters::local::media::LocalMedia;
use folio_origin::adapters::local::purge::LocalPurge;
use folio_origin::adapters::resilience::FaultPlan;
use folio_origin::usecases::site::Site;
use folio_origin::usecases::webhooks::WebhookSettings;
use folio_origin::wiring::aws::{Aws, AwsSettings};
use folio_origin::wiring::local::{Local, LocalConfig};
use folio_shared::ApiError;
use folio_shared::domain::Email;
use folio_shared::jwt::Verifier;
use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::standin::cache::ResponseCache;
use crate::standin::{
    Distribution, InProcessEdge, InProcessOrigin, LambdaFunction, Reply, StandinConfig, Stats,
};

use crate::error::CommandError;
use folio_origin::adapters::resilience::unfaulted;
use folio_origin::usecases::error::UseCaseError;
use folio_shared::policy::MAX_BODY_BYTES;

/// Headers must arrive within this (idle keep-alive connections are closed too).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// A body must arrive within this once its headers have: a client announcing a
/// body it never sends is answered 408 and its connection closed.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once (fewer under a low open-file limit:
/// `open_files::connection_cap`); more wait in the listen backlog, so a flood of
/// slow clients cannot take every file descriptor.
pub const MAX_CONNECTIONS: usize = 512;
/// After a failed accept (out of file descriptors, say), wait this long before
/// the next: retrying at once spins a core and frees nothing.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// The stand-in cache's bound: what `folio serve` keeps of public answers (CloudFront keeps
/// far more, but a laptop's process should stay small: BENCHMARKS.md, peak RSS).
const CACHE_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub allowed_origins: Vec<String>,
    pub token_ttl_secs: u64,
    pub backend: Backend,
    /// How the CloudFront stand-in is set up (edge trigger, what OAC leaves in
    /// `Authorization`); `allowed_origins` above overrides its CORS list.
    pub standin: StandinConfig,
    /// Failures to inject into the origin's store and identity ports (tests only).
    pub faults: Option<FaultPlan>,
    /// The owner to create on the embedded backend before the first request is
    /// accepted (email, and the password; none: one is generated and reported).
    pub owner: Option<(Email, Option<String>)>,
    /// The owner's frontend for feeds and the sitemap (none: this server's own
    /// address, so the feeds work out of the box).
    pub site: Option<Site>,
    /// Rebuild hooks to notify of public changes.
    pub webhooks: Option<WebhookSettings>,
    /// A second Region's origin behind the stand-in (none: one origin).
    pub regions: Option<TwoRegions>,
}

/// Two origins over one store, as a global table's replicas in two Regions are:
/// the home Region's (changes, the scheduler, hooks, invalidations) and another
/// that serves reads and counts visits. The stand-in fails reads over between
/// them as CloudFront's origin group does (`crate::standin`).
#[derive(Debug, Clone)]
pub struct TwoRegions {
    /// The home Region's name (the AWS backend: its `AWS_REGION`, whatever this says).
    pub home: String,
    pub other: String,
    /// Failures of the other Region's store and identity endpoints (tests only).
    pub other_faults: Option<FaultPlan>,
}

impl TwoRegions {
    /// `HOME,OTHER` (`folio serve --regions`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let names: Vec<&str> = text.split(',').map(str::trim).collect();
        let valid = |n: &str| {
            !n.is_empty()
                && n.len() <= 32
                && n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        match names.as_slice() {
            [home, other] if valid(home) && valid(other) && home != other => Ok(Self {
                home: (*home).to_string(),
                other: (*other).to_string(),
                other_faults: None,
            }),
            _ => Err(format!(
                "--regions {text:?}: give two different Region names, the home Region first, like eu-west-1,us-east-1"
            )),
        }
    }
}

/// What the origin runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    /// The embedded store and the local issuer under `data_dir`.
    Embedded,
    /// DynamoDB, Cognito and (with a distribution id) CloudFront.
    Aws {
        settings: Box<AwsSettings>,
        sdk: Box<aws_config::SdkConfig>,
    },
}

/// A running server: where it listens and handles to what it runs.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub base_url: String,
    pub app: Arc<App>,
    /// The local issuer and store (embedded backend only).
    pub local: Option<Arc<Local>>,
    /// The AWS adapters (AWS backend only).
    pub aws: Option<Arc<Aws>>,
    /// What was done about the owner before the first request (embedded backend).
    pub owner: Option<OwnerSetup>,
    /// Purges the in-process cache; every invalidation of the origin goes here too.
    pub purge: Arc<LocalPurge>,
    pub cache: Arc<ResponseCache>,
    pub stats: Arc<Stats>,
    /// The CloudFront stand-in with the edge and origin behind it, for benchmarks.
    pub pipeline: Arc<Distribution>,
    /// The other Region's origin (`ServeConfig::regions`).
    pub other_app: Option<Arc<App>>,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    /// The local scheduler: ticks while the server runs.
    scheduler: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish (up to 10 s), and returns.
    pub async fn shutdown(mut self) {
        self.scheduler.abort();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// How often `folio serve` looks for due work (production: every minute, by
/// EventBridge Scheduler).
pub const SCHEDULER_PERIOD: Duration = Duration::from_millis(500);

/// The local stand-in for EventBridge Scheduler: the three parts of the tick the
/// origin Lambda runs, each twice a second in a loop of its own (so a scheduled
/// item goes out within a second of its time, however slow a hook receiver is).
async fn run_scheduler(app: Arc<App>) {
    let hooks = Arc::clone(&app);
    let sweeper = Arc::clone(&app);
    let publishing = every_period(move || {
        let app = Arc::clone(&app);
        async move {
            unfaulted(folio_origin::usecases::scheduler::publish_due(
                &app,
                chrono::Utc::now(),
            ))
            .await
            .map(|_| ())
        }
    });
    let delivering = every_period(move || {
        let app = Arc::clone(&hooks);
        async move {
            unfaulted(folio_origin::usecases::webhooks::deliver_due(
                app.store.as_ref(),
                app.webhooks.as_ref(),
                chrono::Utc::now(),
            ))
            .await
            .map(|_| ())
        }
    });
    let sweeping = every_period(move || {
        let app = Arc::clone(&sweeper);
        async move {
            let now = chrono::Utc::now();
            unfaulted(folio_origin::usecases::scheduler::sweep(&app, now)).await?;
            unfaulted(folio_origin::usecases::media_sweep::sweep_daily(&app, now))
                .await
                .map(|_| ())
        }
    });
    tokio::join!(publishing, delivering, sweeping);
}

async fn every_period<F, Fut>(work: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), UseCaseError>>,
{
    let mut every = tokio::time::interval(SCHEDULER_PERIOD);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(error) = work().await {
            tracing::warn!(%error, "scheduled work failed; retrying at the next tick");
        }
    }
}

/// `PUT /_standin/regions/{region}`: see [`regions`].
fn region_switch(
    switch: &regions::RegionSwitch,
    method: &http::Method,
    region: &str,
    query: Option<&str>,
) -> Response<Full<Bytes>> {
    if method != http::Method::PUT {
        return error_http(ApiError::MethodNotAllowed {
            allow: vec![http::Method::PUT],
        });
    }
    match regions::Switch::parse(region, query) {
        Err(message) => error_http(ApiError::BadRequest(message)),
        Ok(parsed) if !switch.apply(&parsed) => error_http(ApiError::NotFound),
        Ok(parsed) => {
            let body = serde_json::json!({
                "region": parsed.region,
                "origin": parsed.origin.map(|h| format!("{h:?}").to_lowercase()),
                "storeDown": parsed.store_down,
            });
            let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            response
        }
    }
}

fn to_http(reply: Reply) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_GATEWAY);
    *response.headers_mut() = reply.headers;
    response
}

fn error_http(error: ApiError) -> Response<Full<Bytes>> {
    let r = error.to_response();
    to_http(Reply {
        status: r.status,
        headers: r.headers,
        body: r.body,
    })
}

async fn serve_one(
    pipeline: Arc<Distribution>,
    local: Option<Arc<Local>>,
    media_site: Arc<media::MediaSite>,
    switch: Option<Arc<regions::RegionSwitch>>,
    request: Request<Incoming>,
    peer: SocketAddr,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let (parts, body) = request.into_parts();
    if let (Some(switch), Some(region)) = (
        switch.as_ref(),
        parts.uri.path().strip_prefix(regions::PREFIX),
    ) {
        return Ok(region_switch(
            switch,
            &parts.method,
            region,
            parts.uri.query(),
        ));
    }
    // CloudFront's `/media/*` behaviour goes to the bucket, not to the API.
    if parts.uri.path().starts_with("/media/") {
        return Ok(media::handle(&media_site, &parts, body).await);
    }
    // The issuer's JWKS lives beside the API, like Cognito's well-known URL.
    if let Some(local) = local.filter(|_| parts.uri.path() == "/.well-known/jwks.json") {
        let jwks = serde_json::to_vec(local.issuer.jwks()).unwrap_or_default();
        let mut r = Response::new(Full::new(Bytes::from(jwks)));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        return Ok(r);
    }
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Ok(error_http(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        }));
    }
    let collected = tokio::time::timeout(
        BODY_READ_TIMEOUT,
        Limited::new(body, MAX_BODY_BYTES).collect(),
    )
    .await;
    let Ok(collected) = collected else {
        let mut response = error_http(ApiError::RequestTimeout {
            secs: BODY_READ_TIMEOUT.as_secs(),
        });
        response
            .headers_mut()
            .insert(header::CONNECTION, http::HeaderValue::from_static("close"));
        return Ok(response);
    };
    let body = match collected {
        Ok(collected) => collected.to_bytes(),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return Ok(error_http(ApiError::PayloadTooLarge {
                limit: MAX_BODY_BYTES,
            }));
        }
        Err(_) => {
            return Ok(error_http(ApiError::BadRequest(
                "Could not read the request body".into(),
            )));
        }
    };
    let reply = pipeline
        .handle(parts.method, &parts.uri, &parts.headers, body, peer)
        .await;
    Ok(to_http(reply))
}

/// Binds, opens the data directory and starts serving in the background.
pub async fn start(config: ServeConfig) -> Result<RunningServer, CommandError> {
    // Before the store and the listener take descriptors of their own.
    let open_files = open_files::raise_to_hard_limit();
    let cap = open_files::connection_cap(open_files, MAX_CONNECTIONS);
    tracing::info!(?open_files, connections = cap, "open-file limit");
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => format!(
                "cannot listen on {}: another program uses that port; choose another with --addr 127.0.0.1:PORT (or FOLIO_ADDR)",
                config.addr
            ),
            _ => format!("cannot listen on {}: {e}", config.addr),
        })?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let base_url = format!("http://{addr}");
    let cache = Arc::new(ResponseCache::new(CACHE_BYTES));
    let site = match &config.site {
        Some(site) => site.clone(),
        None => Site::at(&base_url).map_err(|e| e.to_string())?,
    }
    .with_api_url(&base_url);
    let mut owner = None;
    // With two Regions each store endpoint can go down on its own (the switch).
    let home_faults = config
        .faults
        .clone()
        .or_else(|| config.regions.as_ref().map(|_| FaultPlan::new()));
    let other_faults = config
        .regions
        .as_ref()
        .map(|r| r.other_faults.clone().unwrap_or_default());
    let (app, other_app, verifier, local, aws, purge) = match &config.backend {
        Backend::Embedded => {
            let local_config = LocalConfig {
                data_dir: config.data_dir.clone(),
                issuer: base_url.clone(),
                token_ttl_secs: config.token_ttl_secs,
                faults: home_faults.clone(),
                site: Some(site),
                webhooks: config.webhooks.clone(),
            };
            let local = Arc::new(
                tokio::task::spawn_blocking(move || Local::open(&local_config))
                    .await
                    .map_err(|e| e.to_string())??,
            );
            // Lists read index rows and tallies: a store written by an older folio
            // gets them now, before the first request (quick, and a no-op after).
            let migrated = folio_origin::repo::content::migrate_all(
                local.app.store.as_ref(),
                folio_origin::wiring::local::LOCAL_REGION,
                folio_origin::repo::content::Walk::UnlessMarked,
                |_, _| {},
            )
            .await
            .map_err(|e| CommandError::Refused(format!("cannot index the store for lists: {e}")))?;
            if migrated.indexed > 0 {
                eprintln!("Indexed {} items for lists.", migrated.indexed);
            }
            // Ready means ready: the owner exists before any request is accepted,
            // so the first sign-in after the first 200 from /v1/health succeeds.
            if let Some((email, password)) = &config.owner {
                owner = Some(
                    local
                        .issuer
                        .ensure_owner(email, password.as_deref())
                        .await
                        .map_err(|e| {
                            CommandError::Refused(format!("cannot create the owner: {e}"))
                        })?,
                );
            }
            let purge = Arc::clone(&local.purge);
            let verifier = Arc::clone(&local.verifier);
            let (app, other) = match &config.regions {
                Some(regions) => (
                    local.regional_app(&regions.home, &regions.home, home_faults.clone())?,
                    Some(local.regional_app(
                        &regions.other,
                        &regions.home,
                        other_faults.clone(),
                    )?),
                ),
                None => (Arc::clone(&local.app), None),
            };
            (app, other, verifier, Some(local), None, purge)
        }
        Backend::Aws { settings, sdk } => {
            let purge = Arc::new(LocalPurge::new());
            let settings = AwsSettings {
                site: Some(site),
                webhooks: config.webhooks.clone(),
                ..(**settings).clone()
            };
            let aws = Arc::new(
                Aws::connect_with(&settings, sdk, vec![purge.clone()], home_faults.clone()).await?,
            );
            let (app, verifier): (Arc<App>, Arc<Verifier>) =
                (Arc::clone(&aws.app), Arc::clone(&aws.verifier));
            let other = match &config.regions {
                Some(regions) => {
                    let settings = AwsSettings {
                        region: regions.other.clone(),
                        home_region: Some(settings.region.clone()),
                        // Only the home Region invalidates.
                        distribution_id: None,
                        ..settings.clone()
                    };
                    let other = Aws::connect_with(
                        &settings,
                        sdk,
                        vec![purge.clone()],
                        other_faults.clone(),
                    )
                    .await?;
                    Some(Arc::clone(&other.app))
                }
                None => None,
            };
            (app, other, verifier, None, Some(aws), purge)
        }
    };
    // The stand-in's cache takes invalidations at once (CloudFront's take tens of
    // seconds to minutes: clients must not rely on faster).
    let purge_target = Arc::clone(&cache);
    purge.connect(move |paths| purge_target.purge(paths));
    let edge = Edge::new(
        verifier,
        EdgeConfig {
            allowed_origins: config.allowed_origins.clone(),
        },
    );
    let edge: Arc<dyn LambdaFunction> = Arc::new(InProcessEdge(edge));
    let origin: Arc<dyn LambdaFunction> = Arc::new(InProcessOrigin(Arc::clone(&app)));
    let mut origins = vec![(app.regions.this.clone(), origin)];
    if let Some(other) = &other_app {
        origins.push((
            other.regions.this.clone(),
            Arc::new(InProcessOrigin(Arc::clone(other))) as Arc<dyn LambdaFunction>,
        ));
    }
    let pipeline = Distribution::regional(
        edge,
        origins,
        Arc::clone(&cache),
        StandinConfig {
            allowed_origins: config.allowed_origins.clone(),
            ..config.standin.clone()
        },
    );
    // Images: the origin signs uploads, this server takes and serves them (the
    // stand-in for the bucket behind `/media/*`), unless the origin already
    // uploads to S3 (`folio serve --aws` with MEDIA_BUCKET).
    let media_dir = config.data_dir.join("media");
    folio_origin::support::private_files::ensure_dir(&media_dir)?;
    let local_media = Arc::new(LocalMedia::new(&base_url).map_err(|e| e.to_string())?);
    app.set_media(local_media.clone());
    // The tick's daily sweep of unlinked uploads reads and removes these files.
    app.set_media_objects(Arc::new(folio_origin::adapters::local::media::MediaDir {
        dir: media_dir.clone(),
        public_base: base_url.clone(),
    }));
    if let Some(other) = &other_app {
        other.set_media(local_media.clone());
    }
    let media_site = Arc::new(media::MediaSite {
        media: local_media,
        dir: media_dir,
    });
    let region_switch_handle = match (&other_app, home_faults, other_faults) {
        (Some(other), Some(home_plan), Some(other_plan)) => Some(Arc::new(regions::RegionSwitch {
            pipeline: Arc::clone(&pipeline),
            stores: vec![
                (app.regions.this.clone(), home_plan),
                (other.regions.this.clone(), other_plan),
            ],
        })),
        _ => None,
    };
    let stats = Arc::clone(&pipeline.stats);
    let handle = Arc::clone(&pipeline);
    let (tx, mut rx) = oneshot::channel::<()>();
    let serve_local = local.clone();
    let task = tokio::spawn(async move {
        let graceful = GracefulShutdown::new();
        let slots = Arc::new(tokio::sync::Semaphore::new(cap));
        loop {
            // Wait for a free slot before accepting: excess clients queue in the
            // kernel's backlog instead of holding descriptors here.
            let slot = tokio::select! {
                slot = Arc::clone(&slots).acquire_owned() => slot,
                _ = &mut rx => break,
            };
            let Ok(slot) = slot else { break };
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(accepted) => accepted,
                        Err(error) => {
                            tracing::warn!(%error, "accept failed");
                            tokio::time::sleep(ACCEPT_BACKOFF).await;
                            continue;
                        }
                    };
                    let _ = stream.set_nodelay(true);
                    let pipeline = Arc::clone(&pipeline);
                    let local = serve_local.clone();
                    let media_site = Arc::clone(&media_site);
                    let switch = region_switch_handle.clone();
                    let service = service_fn(move |req| {
                        serve_one(
                            Arc::clone(&pipeline),
                            local.clone(),
                            Arc::clone(&media_site),
                            switch.clone(),
                            req,
                            peer,
                        )
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(HEADER_READ_TIMEOUT)
                        .serve_connection(TokioIo::new(stream), service);
                    let conn = graceful.watch(conn);
                    tokio::spawn(async move {
                        let _ = conn.await;
                        drop(slot);
                    });
                }
                _ = &mut rx => break,
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
    });
    let scheduler = tokio::spawn(run_scheduler(Arc::clone(&app)));
    Ok(RunningServer {
        scheduler,
        addr,
        base_url,
        app,
        local,
        aws,
        owner,
        purge,
        cache,
        stats,
        pipeline: handle,
        other_app,
        shutdown: Some(tx),
        task,
    })
}
