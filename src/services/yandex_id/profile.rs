//! How Yandex OAuth and login.yandex.ru are reached and how they answer.

use serde_json::Value;

use crate::config::Endpoint;
use crate::oauth::{self, RefreshGrant};
use crate::transport::{no_rate_limit_refusals, no_service_codes, Profile, ServiceError};

pub(crate) const OAUTH_ENDPOINT: Endpoint = Endpoint {
    name: "yandex_oauth",
    default_url: "https://oauth.yandex.ru",
    sandbox_prefix: "/yandex-oauth",
};

pub(crate) const LOGIN_ENDPOINT: Endpoint = Endpoint {
    name: "yandex_login",
    default_url: "https://login.yandex.ru",
    sandbox_prefix: "/yandex-login",
};

/// Yandex OAuth answers errors as RFC 6749 says: `error`, `error_description`.
pub(crate) const OAUTH: Profile = Profile {
    id: "yandex_oauth",
    name: "Yandex OAuth",
    read_error: oauth::read_error,
    classify: oauth::classify,
    rate_limit_refusal: no_rate_limit_refusals,
};

/// login.yandex.ru answers errors as the Disk does: `error`, `description` or `message`.
pub(crate) const LOGIN: Profile = Profile {
    id: "yandex_login",
    name: "login.yandex.ru",
    read_error: read_login_error,
    classify: no_service_codes,
    rate_limit_refusal: no_rate_limit_refusals,
};

fn read_login_error(body: &Value) -> ServiceError {
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(String::from);
    ServiceError {
        code: text("error"),
        description: text("description").or_else(|| text("message")),
    }
}

/// Yandex rotates the refresh token at every refresh: a refresh that may have reached Yandex
/// is not sent again (the lost answer held the only valid refresh token).
pub(crate) const REFRESH: RefreshGrant = RefreshGrant {
    provider: "Yandex",
    profile: &OAUTH,
    endpoint: &OAUTH_ENDPOINT,
    path: "/token",
    repeatable: false,
    refused_hint: "the refresh token was refused (revoked, expired, or already rotated: Yandex replaces it at every refresh, store the new one); sign in again",
};
