//! Yandex 360 API emulator (api-protocols.md §5). Placeholder until the 360 emulator lands.

use axum::Router;
use serde::{Deserialize, Serialize};

use crate::state::AppState;

#[derive(Default, Serialize, Deserialize)]
pub struct State {}

pub fn router() -> Router<AppState> {
    Router::new()
}

/// The token-exchange grant of Yandex 360 service applications (api-protocols.md §1.6).
/// Not emulated yet: answered as the real service answers a grant it does not support.
pub fn token_exchange(
    _state: &crate::state::Shared,
    _client: &crate::accounts::YandexClient,
    _form: &[(String, String)],
) -> axum::response::Response {
    axum::response::IntoResponse::into_response((
        axum::http::StatusCode::BAD_REQUEST,
        axum::Json(serde_json::json!({
            "error": "unsupported_grant_type",
            "error_description": "token exchange is not emulated yet",
        })),
    ))
}
