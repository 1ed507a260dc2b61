//! Control endpoints of the mail emulator under `/_sandbox/mail/` (never logged, never faulted):
//! seed benchmark messages, bump a folder's UIDVALIDITY, add a message, read mailboxes as the
//! sandbox holds them (to compare a client's copy byte for byte), faults, relayed mail.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::faults::Fault;
use super::model::{Body, Flags, SEEN};
use super::synthetic::{self, Synthetic};
use super::{user_by_name, MAX_FOLDER_MESSAGES};
use crate::accounts::YandexUser;

use crate::state::AppState;
use crate::util::{hex, one_or_many};

/// At most this many messages per seeding call.
const MAX_SEED: u32 = 100_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/seed", post(seed))
        .route("/uidvalidity", post(bump_uidvalidity))
        .route("/deliver", post(deliver))
        .route("/folders", get(folders))
        .route("/messages", get(messages))
        .route("/message", get(message))
        .route("/faults", get(list_faults).post(add_faults).delete(clear_faults))
        .route(
            "/outgoing",
            get(|State(state): State<AppState>| async move { Json(json!(state.mail.outgoing())) }),
        )
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

/// A sandbox user by uid or address; 404 when there is none.
fn find_user(name: &str) -> Result<&'static YandexUser, Box<Response>> {
    user_by_name(name).ok_or_else(|| Box::new(refuse(StatusCode::NOT_FOUND, &format!("no sandbox user {name}"))))
}

fn default_folder() -> String {
    "INBOX".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedRequest {
    user: String,
    #[serde(default = "default_folder")]
    folder: String,
    count: u32,
    #[serde(default = "default_min")]
    min_size: u32,
    #[serde(default = "default_max")]
    max_size: u32,
    #[serde(default)]
    seen: bool,
}

fn default_min() -> u32 {
    2048
}

fn default_max() -> u32 {
    51_200
}

/// `{"user", "folder"?, "count", "min_size"?, "max_size"?, "seen"?}`: appends `count` synthetic
/// messages of sizes spread over the range, dated a minute apart up to now.
async fn seed(State(state): State<AppState>, Json(request): Json<SeedRequest>) -> Response {
    let user = match find_user(&request.user) {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    if request.count == 0 || request.count > MAX_SEED {
        return refuse(StatusCode::BAD_REQUEST, &format!("count must be 1 to {MAX_SEED}"));
    }
    if request.min_size < synthetic::MIN_SIZE
        || request.min_size > request.max_size
        || request.max_size as usize > super::smtp::MAX_SIZE
    {
        return refuse(
            StatusCode::BAD_REQUEST,
            &format!(
                "sizes must satisfy {} <= min_size <= max_size <= {}",
                synthetic::MIN_SIZE,
                super::smtp::MAX_SIZE
            ),
        );
    }
    let series = state.mail.next_series();
    let now = state.clock.now();
    let flags = Flags {
        system: if request.seen { SEEN } else { 0 },
        keywords: Vec::new(),
    };
    let seeded = state.mail.write(user.uid, |mb| {
        let folder = mb
            .folder_mut(&request.folder)
            .filter(|f| !f.noselect)
            .ok_or("no such selectable folder")?;
        if folder.messages.len() + request.count as usize > MAX_FOLDER_MESSAGES {
            return Err("the folder would hold too many messages");
        }
        let mut bytes = 0u64;
        let mut first = None;
        for (index, size) in synthetic::sizes(series, request.count, request.min_size, request.max_size).enumerate() {
            let date = now - 60 * i64::from(request.count - index as u32);
            let recipe = Synthetic {
                series,
                number: index as u32 + 1,
                size,
                date,
                to: user.email.to_string(),
            };
            bytes += u64::from(size);
            let uid = folder.append(date, flags.clone(), Body::Synthetic(recipe));
            first.get_or_insert(uid);
        }
        Ok(json!({
            "user": user.email, "folder": folder.name, "added": request.count, "series": series,
            "first_uid": first, "last_uid": folder.uidnext - 1, "uidvalidity": folder.uidvalidity,
            "uidnext": folder.uidnext, "messages": folder.messages.len(), "bytes": bytes,
        }))
    });
    state.save();
    match seeded {
        Some(Ok(body)) => Json(body).into_response(),
        Some(Err(problem)) => refuse(StatusCode::BAD_REQUEST, problem),
        None => refuse(StatusCode::NOT_FOUND, "no mailbox"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FolderRequest {
    user: String,
    #[serde(default = "default_folder")]
    folder: String,
}

/// `{"user", "folder"?}`: a new UIDVALIDITY for the folder, its messages renumbered from 1.
async fn bump_uidvalidity(State(state): State<AppState>, Json(request): Json<FolderRequest>) -> Response {
    let user = match find_user(&request.user) {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    let floor = state.clock.now() as u32;
    let bumped = state.mail.write(user.uid, |mb| {
        mb.folder_mut(&request.folder).map(|f| {
            let uidvalidity = f.renumber(floor);
            json!({"user": user.email, "folder": f.name, "uidvalidity": uidvalidity, "uidnext": f.uidnext})
        })
    });
    state.save();
    match bumped.flatten() {
        Some(body) => Json(body).into_response(),
        None => refuse(StatusCode::NOT_FOUND, "no such folder"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliverRequest {
    user: String,
    #[serde(default = "default_folder")]
    folder: String,
    /// The message as text (RFC 822, CRLF line ends).
    raw: String,
    #[serde(default)]
    seen: bool,
}

/// `{"user", "folder"?, "raw", "seen"?}`: appends a message as given.
async fn deliver(State(state): State<AppState>, Json(request): Json<DeliverRequest>) -> Response {
    let user = match find_user(&request.user) {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    if request.raw.is_empty() || request.raw.len() > super::smtp::MAX_SIZE {
        return refuse(StatusCode::BAD_REQUEST, "raw must be a message within the size limit");
    }
    let now = state.clock.now();
    let flags = Flags {
        system: if request.seen { SEEN } else { 0 },
        keywords: Vec::new(),
    };
    let body = Body::Stored(std::sync::Arc::new(request.raw.into_bytes()));
    let added = state.mail.write(user.uid, |mb| {
        mb.folder_mut(&request.folder)
            .filter(|f| !f.noselect && f.messages.len() < MAX_FOLDER_MESSAGES)
            .map(|f| json!({"uid": f.append(now, flags, body), "uidvalidity": f.uidvalidity}))
    });
    state.save();
    match added.flatten() {
        Some(body) => Json(body).into_response(),
        None => refuse(StatusCode::NOT_FOUND, "no such selectable folder"),
    }
}

#[derive(Deserialize)]
struct MailboxQuery {
    user: String,
    #[serde(default = "default_folder")]
    folder: String,
    uid: Option<u32>,
    /// `messages`: add each message's SHA-256.
    #[serde(default)]
    sha256: bool,
}

/// `?user=`: the folders with their counts, as the sandbox holds them.
async fn folders(State(state): State<AppState>, Query(query): Query<MailboxQuery>) -> Response {
    let user = match find_user(&query.user) {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    let folders = state.mail.read(user.uid, |mb| {
        mb.folders
            .iter()
            .map(|f| {
                json!({
                    "name": f.name, "role": f.role, "noselect": f.noselect, "messages": f.messages.len(),
                    "unseen": f.unseen(), "uidvalidity": f.uidvalidity, "uidnext": f.uidnext,
                    "bytes": f.messages.iter().map(|m| u64::from(m.size())).sum::<u64>(),
                })
            })
            .collect::<Vec<Value>>()
    });
    Json(json!({"user": user.email, "folders": folders})).into_response()
}

/// `?user=&folder=&sha256=true`: the folder's messages (uid, size, flags, internal date).
async fn messages(State(state): State<AppState>, Query(query): Query<MailboxQuery>) -> Response {
    let user = match find_user(&query.user) {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    let listed = state.mail.read(user.uid, |mb| {
        mb.folder(&query.folder).map(|f| {
            let mut scratch = Vec::new();
            f.messages
                .iter()
                .map(|m| {
                    let mut item = json!({
                        "uid": m.uid, "size": m.size(), "flags": m.flags.render(), "internal_date": m.internal_date,
                    });
                    if query.sha256 {
                        item["sha256"] = json!(hex(&Sha256::digest(m.body.bytes(&mut scratch))));
                    }
                    item
                })
                .collect::<Vec<Value>>()
        })
    });
    match listed.flatten() {
        Some(items) => Json(json!({"user": user.email, "folder": query.folder, "messages": items})).into_response(),
        None => refuse(StatusCode::NOT_FOUND, "no such folder"),
    }
}

/// `?user=&folder=&uid=`: one message's bytes.
async fn message(State(state): State<AppState>, Query(query): Query<MailboxQuery>) -> Response {
    let user = match find_user(&query.user) {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    let Some(uid) = query.uid else {
        return refuse(StatusCode::BAD_REQUEST, "uid is required");
    };
    let found = state.mail.read(user.uid, |mb| {
        mb.folder(&query.folder)
            .and_then(|f| f.position(uid).map(|i| f.messages[i].body.clone()))
    });
    match found.flatten() {
        Some(body) => ([(header::CONTENT_TYPE, "message/rfc822")], Bytes::from(body.to_vec())).into_response(),
        None => refuse(StatusCode::NOT_FOUND, "no such message"),
    }
}

async fn list_faults(State(state): State<AppState>) -> Json<Value> {
    Json(json!(state.mail.faults.list()))
}

/// One fault or an array of them (see `faults.rs`).
async fn add_faults(State(state): State<AppState>, Json(body): Json<Value>) -> Response {
    let faults = match one_or_many(body, Fault::validate) {
        Ok(faults) => faults,
        Err(err) => return refuse(StatusCode::BAD_REQUEST, &format!("invalid fault: {err}")),
    };
    let added = faults.len();
    faults.into_iter().for_each(|f| state.mail.faults.add(f));
    Json(json!({"added": added})).into_response()
}

async fn clear_faults(State(state): State<AppState>) -> Json<Value> {
    state.mail.faults.clear();
    Json(json!({"ok": true}))
}
