//! Control endpoints under `/_sandbox/` (never logged, never faulted): reset, faults, the request
//! log, settings, the clock, the built-in accounts and the secrets handed out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::faults::Fault;
use crate::state::{lock, AppState, Settings};
use crate::util::one_or_many;
use crate::{accounts, google, mail};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reset", post(reset))
        .route("/faults", get(list_faults).post(add_faults).delete(clear_faults))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/settings", get(settings).post(update_settings))
        .route("/clock", get(clock).post(advance_clock))
        .route("/accounts", get(|| async { Json(accounts::describe()) }))
        .route("/secrets", get(secrets))
        .route("/tls", get(tls))
        .route("/google/service-account-key", get(google::service_account_key))
        .route(
            "/google/shared-drives",
            get(google::shared_drives).post(google::add_shared_drive),
        )
        .route("/listeners", get(listeners))
        .nest("/mail", mail::control::router())
}

/// Where the IMAP, SMTP and CalDAV listeners are (see `listeners.rs`).
async fn listeners(State(state): State<AppState>) -> Json<Value> {
    Json(state.listeners.get().cloned().unwrap_or_default())
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message}))).into_response()
}

async fn reset(State(state): State<AppState>) -> Json<Value> {
    state.reset();
    Json(json!({"ok": true}))
}

async fn list_faults(State(state): State<AppState>) -> Json<Value> {
    Json(json!(state.faults.list()))
}

/// Takes one fault object or an array of them.
async fn add_faults(State(state): State<AppState>, Json(body): Json<Value>) -> Response {
    let faults = match one_or_many(body, Fault::validate) {
        Ok(faults) => faults,
        Err(err) => return bad_request(format!("invalid fault: {err}")),
    };
    let added = faults.len();
    faults.into_iter().for_each(|f| state.faults.add(f));
    Json(json!({"added": added})).into_response()
}

async fn clear_faults(State(state): State<AppState>) -> Json<Value> {
    state.faults.clear();
    Json(json!({"ok": true}))
}

async fn requests(State(state): State<AppState>) -> Json<Value> {
    Json(state.log.to_json())
}

async fn clear_requests(State(state): State<AppState>) -> Json<Value> {
    state.log.clear();
    Json(json!({"ok": true}))
}

async fn settings(State(state): State<AppState>) -> Json<Value> {
    Json(json!(state.settings()))
}

/// Merges the given keys into the settings; unknown keys are refused.
async fn update_settings(State(state): State<AppState>, Json(body): Json<Value>) -> Response {
    let Value::Object(changes) = body else {
        return bad_request("settings must be a JSON object".into());
    };
    let mut merged = json!(state.settings());
    for (key, value) in changes {
        merged[key] = value;
    }
    match serde_json::from_value::<Settings>(merged) {
        Ok(settings) => {
            *lock(&state.settings) = settings.clone();
            state.save();
            Json(json!(settings)).into_response()
        }
        Err(err) => bad_request(format!("invalid settings: {err}")),
    }
}

async fn clock(State(state): State<AppState>) -> Json<Value> {
    Json(json!({"now": state.clock.now()}))
}

/// `{"advance_s": N}` moves the sandbox's clock forward, so codes and tokens expire at once.
async fn advance_clock(State(state): State<AppState>, Json(body): Json<Value>) -> Response {
    match body.get("advance_s").and_then(Value::as_i64) {
        Some(seconds) if seconds >= 0 => Json(json!({"now": state.clock.advance(seconds)})).into_response(),
        _ => bad_request("expected {\"advance_s\": <non-negative seconds>}".into()),
    }
}

/// `{"ca_file": PATH}` with TLS (the CA clients should trust), `{"ca_file": null}` without.
async fn tls(State(state): State<AppState>) -> Json<Value> {
    Json(json!({"ca_file": state.ca_file}))
}

async fn secrets(State(state): State<AppState>) -> Json<Value> {
    let mut all: Vec<String> = accounts::builtin_secrets().into_iter().map(String::from).collect();
    all.extend(state.secrets.all());
    Json(json!(all))
}
