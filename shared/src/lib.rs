//! What the edge and the origin share: the domain and its validation rules, the API
//! error type and its one mapping to HTTP, the route table, and the JWT verifier.

pub mod caching;
pub mod digest;
pub mod domain;
pub mod error;
pub mod jwt;
pub mod metrics;
pub mod policy;
pub mod response;
pub mod routes;
pub mod settings;

pub use error::{ApiError, FieldError};
pub use response::ApiResponse;
