//! The edge's integration tests, in one test binary: the handler's decisions on
//! CloudFront events shaped like the documentation's samples, and the packaged
//! edge under the real `awslambdaric`. Links neither the origin nor the AWS SDK:
//! tokens are signed with a key of the test's own (`support::Keys`).

mod support;

mod handler;
mod package;
