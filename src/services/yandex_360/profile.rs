//! How Yandex 360's API is reached and how it answers: `{"code", "message"}` errors, `code`
//! being a gRPC status number (9 is FAILED_PRECONDITION).

use serde_json::Value;

use crate::config::Endpoint;
use crate::transport::{no_rate_limit_refusals, no_service_codes, Profile, ServiceError};

pub(crate) const ENDPOINT: Endpoint = Endpoint {
    name: "yandex_360",
    default_url: "https://api360.yandex.net",
    sandbox_prefix: "/yandex-360",
};

pub(crate) const PROFILE: Profile = Profile {
    id: "yandex_360",
    name: "Yandex 360",
    read_error,
    classify: no_service_codes,
    rate_limit_refusal: no_rate_limit_refusals,
};

fn read_error(body: &Value) -> ServiceError {
    ServiceError {
        code: body.get("code").map(|code| code.to_string()),
        description: body.get("message").and_then(Value::as_str).map(String::from),
    }
}
