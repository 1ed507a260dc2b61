//! The library's version and C ABI level, public through the crate root (`diskbridge::VERSION`).
//! A module of its own at the bottom, so `Library.Version` reads them without importing the
//! crate root.

/// The library version, equal to the crate version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The C ABI level: bumped only if a C signature ever had to change (it never should).
pub const ABI_VERSION: u32 = 1;
