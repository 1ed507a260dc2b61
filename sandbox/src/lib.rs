//! diskbridge-sandbox: a local emulator of Yandex OAuth, login.yandex.ru, Yandex Disk, Yandex 360,
//! Google OAuth and Google Drive v3, faithful to `docs/protocols.md`.
//!
//! Every service lives under its own path prefix of one base URL (see [`PREFIXES`]); control
//! endpoints live under `/_sandbox/` (see `docs/sandbox.md`). Tests start it in-process with
//! [`Sandbox::start`] on port 0; the binary `diskbridge-sandbox --port 0` prints its URL first.

mod accounts;
mod calendar;
mod control;
mod faults;
mod google;
mod link;
mod listeners;
mod mail;
mod range;
mod reqlog;
mod server;
mod state;
mod telemost;
pub mod tls;
mod util;
mod wire;
mod workdir;
mod yandex_360;
mod yandex_disk;
mod yandex_oauth;

pub use accounts::{GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET};
pub use accounts::{ORG_ID, YANDEX_SERVICE_CLIENT_ID, YANDEX_SERVICE_CLIENT_SECRET};
pub use google::{GOOGLE_SERVICE_ACCOUNT_EMAIL, GOOGLE_SHARED_DRIVE_ID};
pub use server::{Sandbox, SandboxOptions, Termination};

/// The path prefix of each emulated host under the sandbox's base URL, keyed by the endpoint
/// names of the library's configuration (docs/design.md §5). The upload and download hosts of Yandex
/// Disk are handed out in links and need no configuration.
pub const PREFIXES: &[(&str, &str)] = &[
    ("yandex_oauth", "/yandex-oauth"),
    ("yandex_login", "/yandex-login"),
    ("yandex_disk", "/yandex-disk"),
    ("yandex_360", "/yandex-360"),
    ("yandex_telemost", "/yandex-telemost"),
    ("google_accounts", "/google-accounts"),
    ("google_oauth", "/google-oauth"),
    ("google_apis", "/google-apis"),
];
