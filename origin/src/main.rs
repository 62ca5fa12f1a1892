//! The origin Lambda: Function URL events through lambda_runtime into the App.
//!
//! Configuration (read once, here): `FOLIO_DATA_DIR` (embedded store directory,
//! default `/tmp/folio`), `FOLIO_ISSUER` (the `iss` of accepted tokens, default
//! `folio-local`).

use std::sync::Arc;

use aws_lambda_events::lambda_function_urls::{
    LambdaFunctionUrlRequest, LambdaFunctionUrlResponse,
};
use folio_origin::lambda::{request_from_event, response_to_event};
use folio_origin::local::{Local, LocalConfig};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(true)
        .without_time()
        .init();
    let config = LocalConfig {
        data_dir: std::env::var("FOLIO_DATA_DIR")
            .unwrap_or_else(|_| "/tmp/folio".into())
            .into(),
        issuer: std::env::var("FOLIO_ISSUER").unwrap_or_else(|_| "folio-local".into()),
        token_ttl_secs: 3600,
    };
    let local = Local::open(&config).map_err(|e| format!("origin start-up failed: {e}"))?;
    let app = Arc::clone(&local.app);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<LambdaFunctionUrlRequest>| {
            let app = Arc::clone(&app);
            async move {
                let request_id = event.context.request_id.clone();
                let mut request = request_from_event(event.payload)?;
                if request.request_id.is_empty() {
                    request.request_id = request_id;
                }
                Ok::<LambdaFunctionUrlResponse, Error>(response_to_event(app.handle(request).await))
            }
        },
    ))
    .await
}
