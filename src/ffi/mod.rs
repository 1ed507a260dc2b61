//! The C boundary: the only place with raw pointers and `unsafe`. Every export checks its
//! pointers, catches panics, and answers with a reply envelope allocated here and released by
//! `diskbridge_free`. Public: these are the functions of include/diskbridge.h, callable from
//! Rust too (the integration tests call them as C does).

#![allow(non_camel_case_types)]

// Generated (see `render_exports`), and kept as generated: rustfmt would rewrap long signatures.
#[rustfmt::skip]
pub mod exports;

use std::ffi::{c_char, c_void, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::dispatch::{call_blocking, envelope, internal, panic_text};
use crate::error::{Error, ErrorCode};
use crate::panics::Inside;
use crate::progress::Progress;

/// Progress callback of `diskbridge_call_with_progress`: receives the `user_data` given to the
/// call and the bytes (or seconds, for waits) done so far and in total (0 when unknown). Return 0
/// to go on, anything else to cancel the call, which then replies with error `cancelled`. It is
/// called from the calling thread or a library thread, never after the call has returned.
pub type diskbridge_progress_fn = Option<unsafe extern "C" fn(user_data: *mut c_void, done: u64, total: u64) -> i32>;

static VERSION_C: &CStr = match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
    Ok(version) => version,
    Err(_) => panic!("the crate version has a NUL byte"),
};

/// The library version, e.g. "0.1.0" (equal to DISKBRIDGE_VERSION of a matching header).
///
/// Returns a static string: never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn diskbridge_version() -> *const c_char {
    VERSION_C.as_ptr()
}

/// Calls a method: `method` is "Module.Function" (or an alias, e.g. the OPI Russian name) and
/// `params_json` a JSON object of parameters (see docs/methods.md).
///
/// Returns a reply envelope, never NULL: `{"ok": true, "result": ...}` or
/// `{"ok": false, "error": {"code", "message", ...}}`, with `credentials` when tokens were
/// refreshed. Release it with `diskbridge_free` (not `free`). Blocks until the call is done;
/// any number of threads may call at once. NULL, non-UTF-8 or invalid input is an error reply.
///
/// # Safety
/// `method` and `params_json` must each be NULL or point to a NUL-terminated string that stays
/// valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_call(method: *const c_char, params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_with(method, params_json, Progress::default()) }
}

/// As `diskbridge_call`, reporting progress to `on_progress` (may be NULL) with `user_data`;
/// a non-zero return from `on_progress` cancels the call (error `cancelled`, nothing partial
/// left behind).
///
/// # Safety
/// As `diskbridge_call`; `on_progress` must be NULL or a function that may be called from any
/// thread with `user_data` until this call returns.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_call_with_progress(
    method: *const c_char,
    params_json: *const c_char,
    on_progress: diskbridge_progress_fn,
    user_data: *mut c_void,
) -> *mut c_char {
    let progress = match on_progress {
        Some(function) => Progress::with_callback(function, user_data),
        None => Progress::default(),
    };
    // SAFETY: forwarded contract.
    unsafe { call_with(method, params_json, progress) }
}

/// Releases a reply returned by any diskbridge function. NULL is fine; never call it twice on
/// the same reply. Thread-safe: a reply may be freed on any thread.
///
/// # Safety
/// `reply` must be NULL or a pointer returned by a diskbridge call and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn diskbridge_free(reply: *mut c_char) {
    if reply.is_null() {
        return;
    }
    // SAFETY: the pointer came from `CString::into_raw` in `into_c_reply`.
    let _ = catch_unwind(AssertUnwindSafe(|| drop(unsafe { CString::from_raw(reply) })));
}

/// Shared body of the per-method exports.
///
/// # Safety
/// As `diskbridge_call`.
pub(crate) unsafe fn call_method(method: &str, params_json: *const c_char) -> *mut c_char {
    boundary(|| {
        // SAFETY: forwarded contract.
        match unsafe { read_c_text(params_json, "params_json") } {
            Ok(params) => call_blocking(method, params, Progress::default()),
            Err(error) => envelope(Err(error), None).to_string(),
        }
    })
}

/// # Safety
/// As `diskbridge_call`.
unsafe fn call_with(method: *const c_char, params_json: *const c_char, progress: Progress) -> *mut c_char {
    boundary(|| {
        // SAFETY: forwarded contract.
        let texts = unsafe { (read_c_text(method, "method"), read_c_text(params_json, "params_json")) };
        match texts {
            (Ok(method), Ok(params)) => call_blocking(method, params, progress),
            (Err(error), _) | (_, Err(error)) => envelope(Err(error), None).to_string(),
        }
    })
}

/// Reads a C string argument; NULL and invalid UTF-8 are `invalid_request`.
///
/// # Safety
/// `text` must be NULL or a valid NUL-terminated string.
unsafe fn read_c_text<'a>(text: *const c_char, name: &str) -> Result<&'a str, Error> {
    if text.is_null() {
        return Err(Error::new(ErrorCode::InvalidRequest, format!("{name} is NULL")));
    }
    // SAFETY: non-NULL and NUL-terminated per the contract.
    unsafe { CStr::from_ptr(text) }.to_str().map_err(|err| {
        Error::new(
            ErrorCode::InvalidRequest,
            format!(
                "{name} is not valid UTF-8 (invalid byte at offset {})",
                err.valid_up_to()
            ),
        )
    })
}

/// Runs `body`, turning a panic into an `internal` error reply, and hands the reply to C.
fn boundary(body: impl FnOnce() -> String) -> *mut c_char {
    let inside = Inside::enter();
    let reply =
        catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|panic| internal(&panic_text(panic.as_ref())).to_string());
    drop(inside);
    into_c_reply(reply)
}

fn into_c_reply(reply: String) -> *mut c_char {
    // serde_json escapes NUL as \u0000, so a reply never has an interior NUL; be safe anyway.
    CString::new(reply)
        .unwrap_or_else(|_| {
            CString::new(
                r#"{"ok":false,"error":{"code":"internal","message":"reply had a NUL byte","retryable":false}}"#,
            )
            .expect("no NUL")
        })
        .into_raw()
}

/// Renders src/ffi/exports.rs: one export per registered method (for the generated-files check).
#[doc(hidden)]
pub fn render_exports() -> String {
    let mut out = String::from(
        "//! One C export per registered method, generated from the registry by\n\
         //! `scripts/regenerate.sh`; do not edit by hand.\n\n\
         use std::ffi::c_char;\n\n\
         use super::call_method;\n",
    );
    for method in crate::catalogue::methods() {
        let params: Vec<String> = method
            .all_params()
            .iter()
            .map(|p| format!("`{}`{}", p.key, if p.is_required() { " (required)" } else { "" }))
            .collect();
        out.push_str(&format!(
            "\n/// `{name}`: {doc}\n///\n/// Parameters: `params_json`, a JSON object with {params}.\n/// Returns a reply envelope (never NULL) whose `result` is {result}; release it with\n/// `diskbridge_free`. Same as `diskbridge_call(\"{name}\", params_json)`.\n///\n/// # Safety\n/// `params_json` must be NULL or a NUL-terminated string valid during the call.\n#[no_mangle]\n#[must_use]\npub unsafe extern \"C\" fn {export}(params_json: *const c_char) -> *mut c_char {{\n    // SAFETY: forwarded contract.\n    unsafe {{ call_method(\"{name}\", params_json) }}\n}}\n",
            name = method.full_name(),
            doc = method.doc,
            params = params.join(", "),
            result = method.result,
            export = method.c_export(),
        ));
    }
    out
}
