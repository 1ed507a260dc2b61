//! The Telemost REST API (`https://cloud-api.yandex.net/v1/telemost-api/`, docs/protocols-mail.md
//! §6): create, read and update conferences, and their co-hosts, with the
//! `telemost-api:conferences.*` scopes and the error body `{error, description, message,
//! details}`. The CalDAV emulator registers the meetings it makes for `X-TELEMOST-REQUIRED`
//! events here, so `GET conferences/{id}` finds them.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::accounts;
use crate::mail::user_by_email;
use crate::state::{lock, AppState, Shared};
use crate::util::{json_response, random_from};
use crate::yandex_oauth::token_owner;

const SCOPE_CREATE: &str = "telemost-api:conferences.create";
const SCOPE_READ: &str = "telemost-api:conferences.read";
const SCOPE_UPDATE: &str = "telemost-api:conferences.update";
/// [unverified] `ADMINS` (docs/protocols-mail.md §6).
const LEVELS: [&str; 3] = ["PUBLIC", "ORGANIZATION", "ADMINS"];
const MAX_COHOSTS: usize = 100;
const MAX_CONFERENCES: usize = 100_000;

#[derive(Clone, Serialize, Deserialize)]
struct LiveStream {
    access_level: String,
    title: String,
    description: String,
    watch_url: String,
}

#[derive(Clone, Serialize, Deserialize)]
struct Conference {
    id: String,
    /// The uid of the user who made it.
    owner: String,
    access_level: String,
    waiting_room_level: String,
    live_stream: Option<LiveStream>,
    cohosts: Vec<String>,
    auto_summarization: bool,
}

impl Conference {
    fn join_url(&self) -> String {
        format!("https://telemost.yandex.ru/j/{}", self.id)
    }

    fn to_json(&self, full: bool) -> Value {
        let mut body = json!({
            "id": self.id,
            "join_url": self.join_url(),
            "access_level": self.access_level,
            "waiting_room_level": self.waiting_room_level,
            "cohosts": self.cohosts.iter().map(|e| json!({"email": e})).collect::<Vec<_>>(),
            "is_auto_summarization_enabled": self.auto_summarization,
        });
        if let Some(stream) = &self.live_stream {
            body["live_stream"] = json!({
                "access_level": stream.access_level, "title": stream.title,
                "description": stream.description, "watch_url": stream.watch_url,
            });
        }
        if full {
            // [unverified] the values; the names are documented.
            body["sip_uri_meeting"] = json!(format!("sip:{}@sip.telemost.yandex.ru", self.id));
            body["sip_uri_telemost"] = json!("sip:telemost@sip.telemost.yandex.ru");
            body["sip_id"] = json!(self.id);
            body["should_create_public_chat_if_not_exists"] = json!(false);
        }
        body
    }
}

#[derive(Default, Serialize, Deserialize)]
struct Data {
    conferences: BTreeMap<String, Conference>,
}

#[derive(Default)]
pub struct Store {
    data: Mutex<Data>,
}

fn new_id() -> String {
    random_from(b"0123456789", 14)
}

impl Store {
    pub fn reset(&self) {
        *lock(&self.data) = Data::default();
    }

    pub fn snapshot(&self) -> Value {
        serde_json::to_value(&*lock(&self.data)).unwrap_or_default()
    }

    pub fn restore(&self, snapshot: Value) {
        if let Ok(data) = serde_json::from_value(snapshot) {
            *lock(&self.data) = data;
        }
    }

    /// A meeting for a calendar event of `owner`; its join URL.
    pub fn create_for_event(&self, owner: &str) -> String {
        let conference = Conference {
            id: new_id(),
            owner: owner.to_string(),
            access_level: "PUBLIC".into(),
            waiting_room_level: "PUBLIC".into(),
            live_stream: None,
            cohosts: Vec::new(),
            auto_summarization: false,
        };
        let url = conference.join_url();
        lock(&self.data).conferences.insert(conference.id.clone(), conference);
        url
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/telemost-api/conferences", post(create))
        .route("/v1/telemost-api/conferences/{id}", get(read).patch(update))
        .route(
            "/v1/telemost-api/conferences/{id}/cohosts",
            get(read_cohosts)
                .put(replace_cohosts)
                .patch(add_cohosts)
                .delete(remove_cohosts),
        )
}

/// An error in Telemost's shape; [unverified] the `error` codes and texts but the documented
/// `NoSuchUserPrincipalsFound`.
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Value,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            json!({"error": self.code, "description": self.message, "message": self.message, "details": self.details});
        json_response(self.status, "application/json", &body)
    }
}

fn error(status: StatusCode, code: &'static str, message: &str, details: Value) -> ApiError {
    ApiError {
        status,
        code,
        message: message.to_string(),
        details,
    }
}

fn invalid(message: &str) -> ApiError {
    error(StatusCode::BAD_REQUEST, "ValidationError", message, json!({}))
}

fn not_found() -> ApiError {
    error(
        StatusCode::NOT_FOUND,
        "NotFoundError",
        "Conference not found",
        json!({}),
    )
}

/// The caller's uid: a valid token (401) with the scope (403).
fn caller(state: &Shared, headers: &HeaderMap, scope: &str) -> Result<String, ApiError> {
    let owner = token_owner(state, headers)
        .ok_or_else(|| error(StatusCode::UNAUTHORIZED, "UnauthorizedError", "Unauthorized", json!({})))?;
    if !owner.scopes.iter().any(|s| s == scope) {
        return Err(error(StatusCode::FORBIDDEN, "ForbiddenError", "Forbidden", json!({})));
    }
    Ok(owner.uid)
}

fn body_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.trim_ascii().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(invalid("The body must be a JSON object")),
    }
}

fn level(body: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(level)) if LEVELS.contains(&level.as_str()) => Ok(Some(level.clone())),
        Some(_) => Err(invalid(&format!("{key} must be one of {}", LEVELS.join(", ")))),
    }
}

/// `[{"email": …}]`, every address an employee of a sandbox organization (else
/// `NoSuchUserPrincipalsFound` with the unknown ones joined by `;`).
fn cohosts(value: Option<&Value>) -> Result<Vec<String>, ApiError> {
    let Some(value) = value else { return Ok(Vec::new()) };
    let items = value.as_array().ok_or_else(|| invalid("cohosts must be an array"))?;
    if items.len() > MAX_COHOSTS {
        return Err(invalid("too many cohosts"));
    }
    let mut emails = Vec::new();
    for item in items {
        let email = item
            .get("email")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("cohosts[].email is required"))?;
        emails.push(email.to_string());
    }
    let unknown: Vec<&str> = emails
        .iter()
        .filter(|e| !user_by_email(e).is_some_and(|u| u.in_org))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        let joined = unknown.join(";");
        return Err(error(
            StatusCode::BAD_REQUEST,
            "NoSuchUserPrincipalsFound",
            "No such user principals found",
            json!({"emails": joined}),
        ));
    }
    Ok(emails)
}

fn live_stream(value: Option<&Value>, id: &str) -> Result<Option<LiveStream>, ApiError> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let object = value
        .as_object()
        .ok_or_else(|| invalid("live_stream must be an object"))?;
    let text = |key: &str| object.get(key).and_then(Value::as_str).unwrap_or("").to_string();
    Ok(Some(LiveStream {
        access_level: level(object, "access_level")?.unwrap_or_else(|| "PUBLIC".into()),
        title: text("title"),
        description: text("description"),
        watch_url: format!("https://telemost.yandex.ru/live/{id}"),
    }))
}

/// Applies the settable fields of a create or update body.
fn apply(conference: &mut Conference, body: &Map<String, Value>) -> Result<(), ApiError> {
    let waiting_room = level(body, "waiting_room_level")?;
    let access = level(body, "access_level")?;
    if let Some(level) = waiting_room.clone().or(access.clone()) {
        conference.waiting_room_level = level;
    }
    if let Some(level) = access.or(waiting_room) {
        conference.access_level = level;
    }
    if body.contains_key("live_stream") {
        conference.live_stream = live_stream(body.get("live_stream"), &conference.id)?;
    }
    if body.contains_key("cohosts") {
        conference.cohosts = cohosts(body.get("cohosts"))?;
    }
    if let Some(value) = body.get("is_auto_summarization_enabled") {
        conference.auto_summarization = value
            .as_bool()
            .ok_or_else(|| invalid("is_auto_summarization_enabled must be a boolean"))?;
    }
    Ok(())
}

/// `POST conferences` → 201 ([unverified] 201 or 200) with the conference. A personal account
/// (outside every organization) may only make public meetings.
async fn create(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let uid = match caller(&state, &headers, SCOPE_CREATE) {
        Ok(uid) => uid,
        Err(refused) => return refused.into_response(),
    };
    let request = match body_object(&body) {
        Ok(request) => request,
        Err(refused) => return refused.into_response(),
    };
    let mut conference = Conference {
        id: new_id(),
        owner: uid.clone(),
        access_level: "PUBLIC".into(),
        waiting_room_level: "PUBLIC".into(),
        live_stream: None,
        cohosts: Vec::new(),
        auto_summarization: false,
    };
    if let Err(refused) = apply(&mut conference, &request) {
        return refused.into_response();
    }
    let personal = !accounts::yandex_user(&uid).is_some_and(|u| u.in_org);
    if personal && (conference.waiting_room_level != "PUBLIC" || conference.live_stream.is_some()) {
        return error(
            StatusCode::FORBIDDEN,
            "ForbiddenError",
            "Only public meetings are available to personal accounts",
            json!({}),
        )
        .into_response();
    }
    let mut data = lock(&state.telemost.data);
    if data.conferences.len() >= MAX_CONFERENCES {
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsError",
            "Too many conferences",
            json!({}),
        )
        .into_response();
    }
    let answer = conference.to_json(false);
    data.conferences.insert(conference.id.clone(), conference);
    drop(data);
    state.save();
    json_response(StatusCode::CREATED, "application/json", &answer)
}

/// Runs `f` on a conference the caller owns or co-hosts ([unverified] who else may see it;
/// anyone else gets 404).
fn with_conference<R>(
    state: &Shared,
    headers: &HeaderMap,
    scope: &str,
    id: &str,
    f: impl FnOnce(&mut Conference) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    let uid = caller(state, headers, scope)?;
    let email = accounts::yandex_user(&uid).map(|u| u.email).unwrap_or("");
    let mut data = lock(&state.telemost.data);
    let conference = data.conferences.get_mut(id).ok_or_else(not_found)?;
    if conference.owner != uid && !conference.cohosts.iter().any(|c| c.eq_ignore_ascii_case(email)) {
        return Err(not_found());
    }
    f(conference)
}

fn answer(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn read(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    answer(with_conference(&state, &headers, SCOPE_READ, &id, |c| {
        Ok(json_response(StatusCode::OK, "application/json", &c.to_json(true)))
    }))
}

async fn update(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, body: Bytes) -> Response {
    let request = match body_object(&body) {
        Ok(request) => request,
        Err(refused) => return refused.into_response(),
    };
    let result = with_conference(&state, &headers, SCOPE_UPDATE, &id, |c| {
        let mut changed = c.clone();
        apply(&mut changed, &request)?;
        *c = changed;
        Ok(json_response(StatusCode::OK, "application/json", &c.to_json(true)))
    });
    state.save();
    answer(result)
}

fn cohosts_json(conference: &Conference) -> Value {
    json!({"cohosts": conference.cohosts.iter().map(|e| json!({"email": e})).collect::<Vec<_>>()})
}

async fn read_cohosts(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    answer(with_conference(&state, &headers, SCOPE_READ, &id, |c| {
        Ok(json_response(StatusCode::OK, "application/json", &cohosts_json(c)))
    }))
}

/// The co-host operations: replace the list (PUT, [unverified] method), add to it (PATCH, 204,
/// documented) and remove from it (DELETE with the same body, [unverified] method).
fn change_cohosts(state: &Shared, headers: &HeaderMap, id: &str, body: &[u8], change: CohostChange) -> Response {
    let request = match body_object(body) {
        Ok(request) => request,
        Err(refused) => return refused.into_response(),
    };
    let emails = match cohosts(request.get("cohosts")) {
        Ok(emails) => emails,
        Err(refused) => return refused.into_response(),
    };
    let result = with_conference(state, headers, SCOPE_UPDATE, id, |c| {
        match change {
            CohostChange::Replace => c.cohosts = emails,
            CohostChange::Add => {
                for email in emails {
                    if !c.cohosts.iter().any(|e| e.eq_ignore_ascii_case(&email)) && c.cohosts.len() < MAX_COHOSTS {
                        c.cohosts.push(email);
                    }
                }
            }
            CohostChange::Remove => c.cohosts.retain(|e| !emails.iter().any(|r| r.eq_ignore_ascii_case(e))),
        }
        Ok(match change {
            CohostChange::Replace => json_response(StatusCode::OK, "application/json", &cohosts_json(c)),
            _ => StatusCode::NO_CONTENT.into_response(),
        })
    });
    state.save();
    answer(result)
}

#[derive(Clone, Copy)]
enum CohostChange {
    Replace,
    Add,
    Remove,
}

async fn replace_cohosts(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    change_cohosts(&state, &headers, &id, &body, CohostChange::Replace)
}

async fn add_cohosts(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    change_cohosts(&state, &headers, &id, &body, CohostChange::Add)
}

async fn remove_cohosts(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    change_cohosts(&state, &headers, &id, &body, CohostChange::Remove)
}
