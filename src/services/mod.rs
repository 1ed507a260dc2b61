//! One module per service, each a folder: the registry declarations in its `mod.rs`, how the
//! service is reached and answers in `profile.rs`, its request plumbing and handlers beside
//! them. `library` and `jobs` are the library's own modules. The catalogue above assembles
//! them; no service imports it.

pub(crate) mod google_auth;
pub(crate) mod google_drive;
pub(crate) mod jobs;
pub(crate) mod library;
pub(crate) mod params;
pub(crate) mod yandex_360;
pub(crate) mod yandex_disk;
pub(crate) mod yandex_id;
