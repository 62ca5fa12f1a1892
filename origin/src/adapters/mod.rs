//! Adapters of the ports. `embedded`, `local_issuer` and `local_purge` make up the
//! local mode (`folio serve`); the AWS adapters sit beside them.

pub mod embedded;
pub mod local_issuer;
pub mod local_purge;
