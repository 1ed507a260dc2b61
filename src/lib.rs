//! diskbridge: Yandex ID, Yandex Disk, Yandex 360, Google OAuth and Google Drive behind a small
//! C ABI of blocking functions that take and return JSON (see DESIGN.md and include/diskbridge.h).
//!
//! The C boundary lives in [`ffi`]; everything else is safe Rust (but for one empty `asm!` block
//! that keeps [`md5`] fast): the method [`registry`], the [`call`] dispatcher and reply envelope,
//! [`config`], the [`http`] engine, token handling in [`auth`], the streaming [`transfer`]
//! engine, and one module per service under [`services`].

pub mod auth;
pub mod call;
pub mod config;
pub mod error;
pub mod ffi;
pub mod http;
pub mod log;
pub mod md5;
pub mod progress;
pub mod registry;
pub mod runtime;
pub mod services;
pub mod transfer;

/// The library version, equal to the crate version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The C ABI level: bumped only if a C signature ever had to change (it never should).
pub const ABI_VERSION: u32 = 1;
