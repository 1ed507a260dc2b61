//! How the Telemost API is reached and how it answers (docs/protocols-mail.md §6): JSON errors
//! `{"error", "description", "message", "details"}` whose codes (`NotFoundError`, …) add nothing
//! to the status.

use crate::config::Endpoint;
use crate::transport::{read_error_and_description, Profile};

/// The API's host; its paths start with `/v1/telemost-api/`. The sandbox serves it under
/// `/yandex-telemost`.
pub(crate) const ENDPOINT: Endpoint =
    Endpoint::new("yandex_telemost", "https://cloud-api.yandex.net", "/yandex-telemost");

pub(crate) const PROFILE: Profile = Profile::new("yandex_telemost", "Telemost", read_error_and_description);
