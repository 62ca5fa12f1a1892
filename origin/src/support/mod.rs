//! Small helpers every layer may use: randomness from the operating system and
//! files created private.

pub mod private_files;
pub mod random;
