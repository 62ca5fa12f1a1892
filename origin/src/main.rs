//! The origin Lambda: Function URL events through lambda_runtime into the App.
//!
//! Its settings (`folio_shared::settings`) are read once, here, into
//! `OriginSettings`: it runs on DynamoDB, Cognito and CloudFront and refuses to
//! start, naming every missing setting, when they are incomplete: a typo in the
//! template must never boot an empty store in production. The embedded store and
//! the local issuer are `folio serve`'s; this binary links none of their code.

use std::sync::Arc;

use folio_origin::App;
use folio_origin::http::lambda::{
    EscapedBodies, FunctionUrlAnswer, Invocation, request_from_event,
};
use folio_origin::wiring::OriginSettings;
use folio_origin::wiring::aws::{Aws, AwsSettings, sdk_loader};
use folio_shared::settings::Env;
use lambda_runtime::{Error, LambdaEvent, Runtime, service_fn};
use tracing::Instrument;

/// Builds the App once per execution environment (SDK clients and keys are reused
/// by every invocation).
async fn build_app(settings: &AwsSettings, env: &Env) -> Result<Arc<App>, String> {
    let sdk = sdk_loader(&settings.region, env).load().await;
    Ok(Aws::connect(settings, &sdk, Vec::new())
        .await
        .map_err(|e| e.to_string())?
        .app)
}

/// What an invocation answers, serialised once by the runtime (through a
/// `serde_json::Value` a list's 90 KB body was copied once more).
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Answer {
    Tick(serde_json::Value),
    Http(FunctionUrlAnswer),
}

fn main() -> Result<(), Error> {
    let env = Env::from_process();
    // SAFETY: no other thread exists yet; the runtime is built after.
    unsafe {
        folio_origin::http::lambda::keep_freed_memory();
        folio_origin::http::lambda::read_roots_from_the_system_bundle(&env);
    }
    folio_origin::http::lambda::runtime()?.block_on(run(env))
}

async fn run(env: Env) -> Result<(), Error> {
    let settings =
        OriginSettings::from_env(&env).map_err(|e| format!("origin start-up failed: {e}"))?;
    folio_origin::http::lambda::init_logging(settings.log_filter.clone());
    if settings.metrics {
        folio_shared::metrics::enable(folio_shared::metrics::Sink::Stdout);
    }
    let app = build_app(&settings.aws, &env)
        .await
        .map_err(|e| format!("origin start-up failed: {e}"))?;
    let bodies = Arc::new(EscapedBodies::default());
    // Without `lambda_runtime::run`'s TracingLayer: its span carried the id the
    // request's own span carries (`http::handle`), and entering it on every poll and
    // writing it into every log line cost a 404 a tenth of its instructions
    // (BENCHMARKS.md, "One span per invocation").
    Runtime::new(service_fn(
        move |event: LambdaEvent<Box<serde_json::value::RawValue>>| {
            let app = Arc::clone(&app);
            let bodies = Arc::clone(&bodies);
            async move {
                // The invocation's id, the one CloudWatch's START and REPORT lines
                // name; a Function URL's `requestContext.requestId` is documented as
                // "the ID of the invocation request", and a tick has none.
                let request_id = event.context.request_id;
                match Invocation::parse(event.payload.get())? {
                    // EventBridge Scheduler's tick: due work, nothing to answer.
                    Invocation::Tick => {
                        let span = tracing::info_span!("tick", request_id = %request_id);
                        let report =
                            folio_origin::usecases::scheduler::tick(&app, chrono::Utc::now())
                                .instrument(span)
                                .await
                                .map_err(|e| format!("tick failed: {e}"))?;
                        Ok(Answer::Tick(serde_json::json!({
                            "published": report.published.len(),
                            "deliveries": report.deliveries,
                            "revisionsRemoved": report.swept.revisions,
                            "deletedItemsRemoved": report.swept.deleted_items,
                            "unlinkedUploadsRemoved": report.media_swept.uploads,
                        })))
                    }
                    Invocation::Http(payload) => {
                        let mut request = request_from_event(*payload)?;
                        request.request_id = request_id;
                        let response = folio_origin::http::handle(&app, request).await;
                        Ok::<Answer, Error>(Answer::Http(bodies.answer(response)?))
                    }
                }
            }
        },
    ))
    .run()
    .await
}
