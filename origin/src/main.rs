//! The origin Lambda: Function URL events through lambda_runtime into the App.
//!
//! It runs on DynamoDB, Cognito and CloudFront (settings in `folio_origin::wiring::aws`) and
//! refuses to start, naming every missing setting, when they are incomplete. The
//! local adapters (the embedded store under `FOLIO_DATA_DIR`, default `/tmp/folio`,
//! with tokens of `FOLIO_ISSUER`, default `folio-local`) run only when asked for by
//! name with `FOLIO_ADAPTERS=local`: a typo in the template must never boot an
//! empty store in production.

use std::sync::Arc;

use aws_lambda_events::lambda_function_urls::LambdaFunctionUrlResponse;
use folio_origin::App;
use folio_origin::http::lambda::{Invocation, request_from_event, response_to_event};
use folio_origin::wiring::aws::{Aws, AwsSettings, sdk_loader};
use folio_origin::wiring::local::{Local, LocalConfig};
use lambda_runtime::{Error, LambdaEvent, service_fn};

/// Builds the App once per execution environment (SDK clients and keys are reused
/// by every invocation).
async fn build_app() -> Result<Arc<App>, String> {
    match std::env::var("FOLIO_ADAPTERS").as_deref() {
        Err(_) | Ok("aws") => {
            let settings = AwsSettings::from_env().map_err(|e| e.to_string())?;
            let sdk = sdk_loader(&settings.region).load().await;
            return Ok(Aws::connect(&settings, &sdk, Vec::new())
                .await
                .map_err(|e| e.to_string())?
                .app);
        }
        Ok("local") => {}
        Ok(other) => {
            return Err(format!(
                "setting FOLIO_ADAPTERS is {other:?}: use aws (the default) or local"
            ));
        }
    }
    let config = LocalConfig {
        data_dir: std::env::var("FOLIO_DATA_DIR")
            .unwrap_or_else(|_| "/tmp/folio".into())
            .into(),
        issuer: std::env::var("FOLIO_ISSUER").unwrap_or_else(|_| "folio-local".into()),
        token_ttl_secs: 3600,
        faults: None,
        site: folio_origin::usecases::site::Site::from_lookup(|name| std::env::var(name).ok())
            .map_err(|e| e.to_string())?,
        webhooks: folio_origin::usecases::webhooks::WebhookSettings::from_lookup(|name| {
            std::env::var(name).ok()
        })
        .map_err(|e| e.to_string())?,
    };
    Ok(Local::open(&config).map_err(|e| e.to_string())?.app)
}

fn main() -> Result<(), Error> {
    // SAFETY: no other thread exists yet; the runtime is built after.
    unsafe { folio_origin::http::lambda::read_roots_from_the_system_bundle() };
    folio_origin::http::lambda::runtime()?.block_on(run())
}

async fn run() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(true)
        .without_time()
        .init();
    folio_shared::metrics::enable(folio_shared::metrics::Sink::Stdout);
    let app = build_app()
        .await
        .map_err(|e| format!("origin start-up failed: {e}"))?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let app = Arc::clone(&app);
        async move {
            let request_id = event.context.request_id.clone();
            match Invocation::parse(event.payload)? {
                // EventBridge Scheduler's tick: due work, nothing to answer.
                Invocation::Tick => {
                    let report = folio_origin::usecases::scheduler::tick(&app, chrono::Utc::now())
                        .await
                        .map_err(|e| format!("tick failed: {e}"))?;
                    Ok(serde_json::json!({
                        "published": report.published.len(),
                        "deliveries": report.deliveries,
                    }))
                }
                Invocation::Http(payload) => {
                    let mut request = request_from_event(*payload)?;
                    if request.request_id.is_empty() {
                        request.request_id = request_id;
                    }
                    let response: LambdaFunctionUrlResponse =
                        response_to_event(folio_origin::http::handle(&app, request).await);
                    Ok::<serde_json::Value, Error>(serde_json::to_value(response)?)
                }
            }
        }
    }))
    .await
}
