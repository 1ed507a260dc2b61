//! Shared drives: drives.list.

use axum::extract::State as AxumState;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;

use super::{caller_of, ok, Need, Result};
use crate::state::AppState;

/// Shared drives are not emulated: the caller is a member of none.
pub(super) async fn list(AxumState(state): AxumState<AppState>, headers: HeaderMap) -> Result<Response> {
    caller_of(&state, &headers, Need::Metadata)?;
    Ok(ok(json!({"kind": "drive#driveList", "drives": []})))
}
