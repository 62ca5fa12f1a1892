//! The media function: an upload stored in the bucket → its smaller copies
//! (`folio_origin::usecases::images`). S3's "Object Created" reaches it through
//! EventBridge (`folio_origin::events`); what it writes under `media/sized/`
//! raises events too, which it ignores.
//!
//! Its own function, not the origin's: decoding a 36-megapixel photograph needs
//! about 144 MB and a few hundred milliseconds, which the origin's 256 MB and
//! its size budget (issue 33) should not carry for every request.
//!
//! An upload's own fault (not an image, not the size its name declares, too
//! large) is logged and the event is done: trying again cannot help. Storage
//! that fails is an error, so Lambda tries the event again (asynchronous
//! invocation: two retries, "Error handling and automatic retries in Lambda").

use std::sync::Arc;

use folio_origin::adapters::aws::s3::S3Objects;
use folio_origin::events::{MediaWork, S3Event};
use folio_origin::usecases::images::make_smaller;
use folio_origin::wiring::aws::{MediaFunctionSettings, sdk_loader};
use folio_shared::settings::Env;
use lambda_runtime::{Error, LambdaEvent, service_fn};

fn main() -> Result<(), Error> {
    let env = Env::from_process();
    // SAFETY: no other thread exists yet; the runtime is built after.
    unsafe {
        folio_origin::http::lambda::read_roots_from_the_system_bundle(&env);
    }
    folio_origin::http::lambda::runtime()?.block_on(run(env))
}

async fn run(env: Env) -> Result<(), Error> {
    let settings = MediaFunctionSettings::from_env(&env)
        .map_err(|e| format!("media function start-up failed: {e}"))?;
    folio_origin::http::lambda::init_logging(settings.log_filter.clone());
    let sdk = sdk_loader(&settings.region, &env).load().await;
    let credentials = sdk
        .credentials_provider()
        .ok_or("media function start-up failed: no AWS credentials")?;
    let objects = Arc::new(
        S3Objects::new(
            settings
                .media
                .s3(&settings.region, credentials)
                .map_err(|e| format!("media function start-up failed: {e}"))?,
        )
        .map_err(|e| format!("media function start-up failed: {e}"))?,
    );
    let bucket = settings.media.bucket.clone();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<S3Event>| {
        let objects = Arc::clone(&objects);
        let bucket = bucket.clone();
        async move {
            let name = match event.payload.work(&bucket) {
                MediaWork::Upload(name) => name.to_string(),
                MediaWork::Ignore(what) => {
                    tracing::debug!("ignored: {what}");
                    return Ok::<serde_json::Value, Error>(serde_json::json!({ "ignored": what }));
                }
            };
            match make_smaller(objects.as_ref(), &name).await {
                Ok(made) => {
                    tracing::info!(
                        image = %name,
                        width = made.dimensions.width,
                        height = made.dimensions.height,
                        copies = made.copies.len(),
                        "made the upload's smaller copies"
                    );
                    Ok(serde_json::json!({
                        "image": name,
                        "copies": made.copies.iter().map(|(n, _)| n).collect::<Vec<_>>(),
                    }))
                }
                Err(e) if e.is_the_uploads_fault() => {
                    tracing::warn!(image = %name, "no smaller copies: {e}");
                    Ok(serde_json::json!({ "image": name, "refused": e.to_string() }))
                }
                Err(e) => Err(format!("{name}: {e}").into()),
            }
        }
    }))
    .await
}
