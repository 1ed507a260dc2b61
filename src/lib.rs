//! diskbridge: Yandex ID, Yandex Disk, Yandex 360, Google OAuth and Google Drive behind a small
//! C ABI of blocking functions that take and return JSON (docs/design.md, include/diskbridge.h).
//!
//! The C ABI is [`ffi`]. The Rust API, which the command line and the 1C add-in use, is what
//! this file makes public: [`call`] and [`call_with_progress`] (as the C functions do),
//! [`call_json`] and [`call_async`] for JSON values, [`Progress`] to watch and cancel a call,
//! read-only access to the method schema in [`registry`], the error catalogue in [`error`],
//! [`VERSION`] and [`ABI_VERSION`], and the library's runtime through [`block_on`] and
//! [`spawn`]. Everything else is internal; docs/architecture.md maps the modules and the order
//! in which they may use each other.

mod auth;
mod catalogue;
mod config;
mod credentials_file;
mod dispatch;
mod durable;
pub mod error;
pub mod ffi;
mod log;
mod mail;
mod oauth;
mod panics;
mod progress;
mod runtime;
mod schema;
mod secrets;
mod services;
mod sync;
mod transfer;
mod transport;
mod tree;
mod version;

use std::future::Future;

use serde_json::Value;

pub use error::{Error, ErrorCode};
pub use progress::Progress;
pub use version::{ABI_VERSION, VERSION};

/// Read-only access to the registry: every method with its names, parameters and sign-in, as
/// `Library.Methods` lists them. The CLI and the 1C add-in build their commands and classes
/// from it.
pub mod registry {
    pub use crate::schema::{edit_distance, Auth, Method, Origin, Param, ParamType, Presence};
    pub use crate::schema::{CREDENTIALS, CREDENTIALS_FILE, OPTIONS, TOKEN};

    /// Every method, in documentation order.
    pub fn methods() -> &'static [&'static Method] {
        crate::catalogue::methods()
    }

    /// The method of a name or alias (`YandexDisk.UploadFile`, `YandexDisk.ЗагрузитьФайл`),
    /// case-insensitively.
    pub fn find(name: &str) -> Option<&'static Method> {
        crate::catalogue::find(name)
    }

    /// docs/methods.md (for the generated-files check).
    #[doc(hidden)]
    pub fn methods_markdown() -> String {
        crate::catalogue::methods_markdown()
    }
}

/// Calls a method as `diskbridge_call` does: `params_json` is a JSON object, the reply an
/// envelope as JSON text (`{"ok": true, "result": …}` or `{"ok": false, "error": …}`). Blocks.
pub fn call(method: &str, params_json: &str) -> String {
    dispatch::call_blocking(method, params_json, Progress::default())
}

/// As [`call`], reporting to `progress`, through which the call can also be cancelled.
pub fn call_with_progress(method: &str, params_json: &str, progress: &Progress) -> String {
    dispatch::call_blocking(method, params_json, progress.clone())
}

/// Calls a method with parameters as a JSON value and returns the reply envelope. Blocks; may
/// be called from inside an async runtime too.
pub fn call_json(method: &str, params: Value, progress: &Progress) -> Value {
    block_on(call_async(method, params, progress))
}

/// Calls a method without blocking: the future gives the reply envelope. A panic inside the
/// method is an `internal` reply, never an unwinding future.
pub fn call_async(method: &str, params: Value, progress: &Progress) -> impl Future<Output = Value> + Send + 'static {
    dispatch::run(method.to_string(), params, progress.clone())
}

/// An error envelope made outside the library (a host's own refusal), as the library makes them.
pub fn error_reply(code: ErrorCode, message: impl Into<String>) -> Value {
    dispatch::envelope(Err(Error::new(code, message)), None)
}

/// Runs a future to completion on the library's runtime, from any thread (one inside another
/// runtime included).
pub fn block_on<F>(future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    runtime::block_on(future)
}

/// Runs a future in the background on the library's runtime.
pub fn spawn<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    runtime::runtime().spawn(future);
}
