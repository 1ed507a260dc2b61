//! How the Telemost REST API is reached: `https://cloud-api.yandex.net/v1/telemost-api/`
//! (docs/protocols-mail.md §6); the sandbox serves it under `/yandex-telemost`.

use crate::config::Endpoint;

pub(crate) const ENDPOINT: Endpoint =
    Endpoint::new("yandex_telemost", "https://cloud-api.yandex.net", "/yandex-telemost");
