//! Small helpers every layer may use: randomness from the operating system,
//! files created private, and text escaped for the markup the origin writes.

pub mod markup;
pub mod private_files;
pub mod random;
