//! Google OAuth 2.0 and Drive v3 emulator (api-protocols.md §3–4). Placeholder until the Google
//! emulator lands: the store exists so state, reset and persistence are wired.

use std::path::Path;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};

use crate::state::AppState;

pub struct Store {}

impl Store {
    pub fn new(_data_dir: Option<&Path>) -> std::io::Result<Store> {
        Ok(Store {})
    }

    pub fn reset(&self) {}

    pub fn snapshot(&self) -> Value {
        Value::Null
    }

    pub fn restore(&self, _snapshot: Value) {}
}

pub fn accounts_router() -> Router<AppState> {
    Router::new()
}

pub fn oauth_router() -> Router<AppState> {
    Router::new()
}

pub fn apis_router() -> Router<AppState> {
    Router::new()
}

/// Google's JSON error envelope (api-protocols.md §4.8).
pub fn error_body(status: StatusCode, message: &str, reason: &str) -> Value {
    json!({
        "error": {
            "code": status.as_u16(),
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
        }
    })
}

/// `GET /_sandbox/google/service-account-key`: the key file of the built-in service account.
pub async fn service_account_key() -> Response {
    (StatusCode::NOT_FOUND, "the Google emulator is not built yet").into_response()
}
