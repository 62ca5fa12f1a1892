//! The `folio` command: `folio serve` runs the whole pipeline locally; `folio seed`
//! loads sample content.

pub mod aws_cli;
pub mod seed;
pub mod serve;
