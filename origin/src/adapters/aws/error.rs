//! AWS SDK failures in one line a person can act on: the operation, the cause (no
//! credentials, an unreachable endpoint, a missing permission, a missing resource)
//! and the fix; never a Rust debug dump.

use std::error::Error;

use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};

/// The innermost cause of an error chain, which is the one that says what happened.
pub fn deepest(error: &(dyn Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

/// What to do about a service error code, as a clause to append ("" when
/// nothing general can be said).
pub fn fix_for(code: &str) -> &'static str {
    match code {
        "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation" => {
            " (the credentials lack this permission: grant it in IAM)"
        }
        "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "ExpiredTokenException"
        | "InvalidClientTokenId" => {
            " (the credentials are not valid here: check AWS_PROFILE or AWS_ACCESS_KEY_ID, and AWS_REGION)"
        }
        "ResourceNotFoundException" => " (check the name and AWS_REGION)",
        _ => "",
    }
}

pub fn explain<E, R>(operation: &str, error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match error {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("Unknown");
            let message = service.err().message().unwrap_or("");
            let fix = fix_for(code);
            format!("{operation}: {code}: {message}{fix}")
        }
        SdkError::TimeoutError(_) => format!(
            "{operation}: no answer in time: check the network, AWS_REGION and AWS_ENDPOINT_URL"
        ),
        SdkError::DispatchFailure(_) => {
            let cause = deepest(error);
            if cause.to_ascii_lowercase().contains("credentials") {
                format!(
                    "{operation}: no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                )
            } else {
                format!(
                    "{operation}: cannot reach the service ({cause}): check the network, AWS_REGION and AWS_ENDPOINT_URL"
                )
            }
        }
        other => format!("{operation}: {}", deepest(other)),
    }
}
