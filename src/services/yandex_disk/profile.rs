//! How Yandex Disk is reached and how it answers: errors as `{"error", "description"}` (or
//! `message`), with names such as `DiskNotFoundError` that add nothing to the status.

use serde_json::Value;

use crate::config::Endpoint;
use crate::transport::{no_rate_limit_refusals, no_service_codes, Profile, ServiceError};

pub(crate) const ENDPOINT: Endpoint = Endpoint {
    name: "yandex_disk",
    default_url: "https://cloud-api.yandex.net",
    sandbox_prefix: "/yandex-disk",
};

pub(crate) const PROFILE: Profile = Profile {
    id: "yandex_disk",
    name: "Yandex Disk",
    read_error,
    classify: no_service_codes,
    rate_limit_refusal: no_rate_limit_refusals,
};

fn read_error(body: &Value) -> ServiceError {
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(String::from);
    ServiceError {
        code: text("error"),
        description: text("description").or_else(|| text("message")),
    }
}
