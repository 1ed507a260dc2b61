//! How Yandex 360's API is reached and how it answers: `{"code", "message"}` errors, `code`
//! being a gRPC status number (9 is FAILED_PRECONDITION).

use serde_json::Value;

use crate::config::Endpoint;
use crate::transport::{Profile, ServiceError};

pub(crate) const ENDPOINT: Endpoint = Endpoint::new("yandex_360", "https://api360.yandex.net", "/yandex-360");

pub(crate) const PROFILE: Profile = Profile::new("yandex_360", "Yandex 360", read_error);

fn read_error(body: &Value) -> ServiceError {
    ServiceError {
        code: body.get("code").map(|code| code.to_string()),
        description: body.get("message").and_then(Value::as_str).map(String::from),
    }
}
