//! The origin binary (`bootstrap`) under a Runtime API served by the test,
//! against moto.

use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use super::{bins, moto};

/// Starts the `bootstrap` binary as Lambda would: the Runtime API address and the
/// function's configuration in its environment, stdout captured (its logs).
/// FOLIO_ORIGIN_BINARY runs another build of it, e.g. the one `folio package`
/// zipped (the `lambda` profile).
pub fn start_bootstrap(runtime_api: &str, moto: &moto::Moto, fixture: &moto::AwsFixture) -> Child {
    start_bootstrap_with(runtime_api, moto, fixture, &[])
}

/// `start_bootstrap`, with `extra` settings added or put in place of its own.
pub fn start_bootstrap_with(
    runtime_api: &str,
    moto: &moto::Moto,
    fixture: &moto::AwsFixture,
    extra: &[(&str, &str)],
) -> Child {
    start_bootstrap_under(runtime_api, moto, fixture, extra, &[])
}

/// `start_bootstrap_with`, run by `wrapper` (a program and its arguments, the
/// binary's path last): a profiler, say. Empty: the binary itself.
pub fn start_bootstrap_under(
    runtime_api: &str,
    moto: &moto::Moto,
    fixture: &moto::AwsFixture,
    extra: &[(&str, &str)],
    wrapper: &[String],
) -> Child {
    start_bootstrap_binary(
        &bins::origin_bootstrap(),
        runtime_api,
        moto,
        fixture,
        extra,
        wrapper,
    )
}

/// `start_bootstrap_under`, of the bootstrap at `binary`: another build's, to
/// measure two side by side.
pub fn start_bootstrap_binary(
    binary: &std::path::Path,
    runtime_api: &str,
    moto: &moto::Moto,
    fixture: &moto::AwsFixture,
    extra: &[(&str, &str)],
    wrapper: &[String],
) -> Child {
    let s = &fixture.settings;
    let mut command = match wrapper.split_first() {
        Some((program, args)) => {
            let mut command = Command::new(program);
            command.args(args).arg(binary);
            command
        }
        None => Command::new(binary),
    };
    command.env_clear();
    // The suite run against DynamoDB Local keeps the other services on moto.
    if let Some(endpoint) = &s.dynamodb.url {
        command.env("AWS_ENDPOINT_URL_DYNAMODB", endpoint);
    }
    command
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "folio-origin")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/folio-origin")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_REGION", moto::REGION)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("TABLE_NAME", &s.table_name)
        .env("USER_POOL_ID", &s.user_pool_id)
        .env("USER_POOL_CLIENT_ID", &s.client_id)
        .env("JWKS_URL", &s.jwks_url)
        .env("RUST_LOG", "info")
        .envs(extra.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bootstrap starts")
}

/// A Function URL event (payload format 2.0) as CloudFront's origin request makes
/// it: OAC's SigV4 value in `Authorization`, the caller's token (if any) in the
/// edge's hand-off header.
pub fn url_event(method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Value {
    let (raw_path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut headers = json!({
        "host": "abcdefg.lambda-url.us-east-1.on.aws",
        "user-agent": "Mozilla/5.0 (bootstrap test)",
        "cloudfront-viewer-address": "203.0.113.7:50123",
        "x-forwarded-proto": "https",
        "x-amz-date": "20261124T100000Z",
        "authorization": "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261124/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123456789abcdef",
    });
    if let Some(t) = token {
        headers[folio_shared::policy::CALLER_TOKEN_HEADER] = json!(t);
    }
    if body.is_some() {
        headers["content-type"] = json!("application/json");
    }
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abcdefg",
            "domainName": "abcdefg.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abcdefg",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "15.158.0.1",
                "userAgent": "Amazon CloudFront"
            },
            "requestId": "4a7f0c2e-0000-0000-0000-000000000000",
            "routeKey": "$default",
            "stage": "$default",
            "time": "24/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1795514400000u64
        },
        "body": body.map(|b| b.to_string()),
        "isBase64Encoded": false
    })
}
