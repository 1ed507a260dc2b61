//! Yandex Disk REST API emulator (api-protocols.md §2). Placeholder until the Disk emulator lands:
//! the store exists so state, reset and persistence are wired, and the routers are empty.

use std::path::Path;

use axum::Router;
use serde_json::Value;

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

pub fn api_router() -> Router<AppState> {
    Router::new()
}

pub fn upload_router() -> Router<AppState> {
    Router::new()
}

pub fn download_router() -> Router<AppState> {
    Router::new()
}
