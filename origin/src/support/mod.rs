//! Small helpers every layer may use: randomness from the operating system,
//! files created private, text escaped for the markup the origin writes,
//! images read and made smaller, and caches bounded by bytes.

pub mod caches;
pub mod images;
pub mod markup;
pub mod private_files;
pub mod random;
