//! Google Drive v3 (docs/protocols.md §4), one module per resource family, after the pattern of
//! emulators such as moto: the data ([`model`]), its rendering ([`render`]), the handlers of
//! each family ([`files`], [`listing`], [`content`], [`uploads`], [`permissions`],
//! [`comments`], [`about`], [`drives`]), the routes (here) and the errors (`google::ApiError`).
//! What a request may do is decided here too: who calls, with which scopes, and which files
//! they can see.

mod about;
mod blobs;
mod comments;
mod content;
mod drives;
pub(crate) mod fields;
mod files;
mod listing;
mod metadata;
pub mod model;
mod multipart;
mod permissions;
mod query;
mod render;
pub(crate) mod resumable;
mod uploads;

use std::sync::MutexGuard;

use axum::extract::{FromRequestParts, RawQuery};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use super::oauth::{authenticate, Caller};
use super::{json_response, ApiError};
use crate::state::{AppState, Shared};
use crate::util::parse_form;
use fields::{Schema, Selection};
use model::{Drive, File, Role};

const DEFAULT_FILE_FIELDS: &str = "kind,id,name,mimeType";

const DEFAULT_PERMISSION_FIELDS: &str = "kind,id,type,role,allowFileDiscovery";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/drive/v3/about", get(about::get))
        .route("/drive/v3/drives", get(drives::list))
        .route("/drive/v3/drives/{id}", get(drives::get))
        .route("/drive/v3/files", get(listing::list).post(files::create))
        .route("/drive/v3/files/generateIds", get(files::generate_ids))
        .route("/drive/v3/files/trash", delete(files::empty_trash))
        .route(
            "/drive/v3/files/{id}",
            get(files::get).patch(files::update).delete(files::delete),
        )
        .route("/drive/v3/files/{id}/copy", post(files::copy))
        .route("/drive/v3/files/{id}/export", get(content::export))
        .route(
            "/drive/v3/files/{id}/permissions",
            get(permissions::list).post(permissions::create),
        )
        .route(
            "/drive/v3/files/{id}/permissions/{pid}",
            get(permissions::get)
                .patch(permissions::update)
                .delete(permissions::delete),
        )
        .route(
            "/drive/v3/files/{id}/comments",
            get(comments::list).post(comments::create),
        )
        .route(
            "/drive/v3/files/{id}/comments/{cid}",
            get(comments::get).patch(comments::update).delete(comments::delete),
        )
        // OPI posts to `/files/?uploadType=…`; the discovery document also lists `/resumable/…`.
        .route("/upload/drive/v3/files", post(uploads::create).put(uploads::create))
        .route("/upload/drive/v3/files/", post(uploads::create).put(uploads::create))
        .route(
            "/upload/drive/v3/files/{id}",
            post(uploads::update).patch(uploads::update).put(uploads::update),
        )
        .route(
            "/resumable/upload/drive/v3/files",
            post(uploads::create).put(uploads::create),
        )
        .route(
            "/resumable/upload/drive/v3/files/{id}",
            post(uploads::update).patch(uploads::update).put(uploads::update),
        )
}

type Result<T, E = ApiError> = std::result::Result<T, E>;

/// Query parameters of a request.
struct Params(Vec<(String, String)>);

impl Params {
    fn new(query: Option<String>) -> Params {
        Params(parse_form(query.unwrap_or_default().as_bytes()))
    }

    fn get(&self, name: &str) -> Option<&str> {
        crate::util::field(&self.0, name)
    }

    fn flag(&self, name: &str) -> bool {
        self.get(name) == Some("true")
    }

    /// An integer parameter within `range`, or Google's range error.
    fn int(&self, name: &str, default: u64, range: std::ops::RangeInclusive<u64>) -> Result<u64> {
        let Some(text) = self.get(name) else {
            return Ok(default);
        };
        match text.parse::<u64>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(ApiError::bad_request(
                "invalid",
                format!(
                    "Invalid value '{text}'. Values must be within the range: [{}, {}]",
                    range.start(),
                    range.end()
                ),
            )
            .at(name, "parameter")),
        }
    }

    fn select(&self, default: &str, schema: &Schema) -> Result<Selection> {
        fields::select(self.get("fields"), default, schema)
    }

    /// For methods whose `fields` is required (about, comments): 400 without it.
    fn select_required(&self, schema: &Schema) -> Result<Selection> {
        if self.get("fields").is_none() {
            return Err(
                ApiError::bad_request("required", "The 'fields' parameter is required for this method.")
                    .at("fields", "parameter"),
            );
        }
        self.select("", schema)
    }
}

/// What every Drive handler starts from: the state, the headers and the query parameters.
struct Request {
    state: AppState,
    headers: HeaderMap,
    params: Params,
}

impl FromRequestParts<AppState> for Request {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> std::result::Result<Self, Self::Rejection> {
        let RawQuery(query) = RawQuery::from_request_parts(parts, state).await?;
        Ok(Request {
            state: state.clone(),
            headers: parts.headers.clone(),
            params: Params::new(query),
        })
    }
}

impl Request {
    /// The caller, with scopes enough for `need` (see [`caller_of`]).
    fn caller(&self, need: Need) -> Result<Caller> {
        caller_of(&self.state, &self.headers, &self.params, need)
    }

    /// `http(s)://host:port` as the client reached the sandbox, for links.
    fn base(&self) -> String {
        crate::util::base_url(&self.headers)
    }

    fn now(&self) -> i64 {
        super::now_ms(&self.state)
    }

    /// The file a request names, as the caller sees it: the locked data, the file's id
    /// (`root` resolved) and the caller's role; 404 for a file the caller cannot see.
    fn open(&self, caller: &Caller, id: &str) -> Result<(MutexGuard<'_, super::Data>, String, Role)> {
        let now = self.now();
        let mut data = self.state.google.data();
        let (id, role) = find(&mut data.drive, id, caller, now)?;
        Ok((data, id, role))
    }

    /// The page a list request asks for (`pageToken`, `pageSize` up to `max`), with tokens
    /// bound to `fingerprint` so another list's token is refused.
    fn paging(&self, fingerprint: String, default_size: u64, max: u64) -> Result<Paging> {
        let size = usize::try_from(self.params.int("pageSize", default_size, 1..=max)?).unwrap_or(usize::MAX);
        let offset = match self.params.get("pageToken") {
            None => 0,
            Some(token) => {
                decode_page_token(token, &fingerprint).ok_or_else(|| ApiError::invalid_parameter("pageToken"))?
            }
        };
        Ok(Paging {
            offset,
            size,
            fingerprint,
        })
    }
}

/// One page of a list: offset tokens bound to the list they came from.
struct Paging {
    offset: usize,
    size: usize,
    fingerprint: String,
}

impl Paging {
    /// This page of `all` in the list resource `{kind, <key>: [...], nextPageToken?}`.
    fn list<T: Clone + serde::Serialize>(&self, kind: &str, key: &str, all: &[T]) -> Value {
        let mut list = serde_json::json!({"kind": kind, key: self.slice(all)});
        if let Some(token) = self.next_token(all.len()) {
            list["nextPageToken"] = serde_json::json!(token);
        }
        list
    }

    fn slice<'a, T>(&self, all: &'a [T]) -> &'a [T] {
        let start = self.offset.min(all.len());
        &all[start..start.saturating_add(self.size).min(all.len())]
    }

    /// The token of the next page, unless this one is the last of `len` items.
    fn next_token(&self, len: usize) -> Option<String> {
        let next = self.offset.saturating_add(self.size);
        (next < len).then(|| encode_page_token(next, &self.fingerprint))
    }
}

fn encode_page_token(offset: usize, fingerprint: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{offset}:{fingerprint}"))
}

fn decode_page_token(token: &str, fingerprint: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (offset, print) = text.split_once(':')?;
    (print == fingerprint).then(|| offset.parse().ok()).flatten()
}

/// What a token's scopes allow (GD-DISC method scopes).
#[derive(Clone, Copy, PartialEq)]
enum Need {
    Metadata,
    Content,
    Write,
}

fn require(caller: &Caller, need: Need) -> Result<()> {
    let allowed: &[&str] = match need {
        Need::Metadata => &[
            "drive",
            "drive.readonly",
            "drive.file",
            "drive.metadata",
            "drive.metadata.readonly",
            "drive.appdata",
            "drive.photos.readonly",
        ],
        Need::Content => &["drive", "drive.readonly", "drive.file", "drive.appdata"],
        Need::Write => &["drive", "drive.file", "drive.appdata"],
    };
    if allowed.iter().any(|scope| caller.has_scope(scope)) {
        return Ok(());
    }
    let mut error = ApiError::forbidden(
        "insufficientPermissions",
        "Request had insufficient authentication scopes.",
    );
    error.detail = Some("Insufficient Permission");
    error.canonical = Some("PERMISSION_DENIED");
    Err(error)
}

/// A `drive.file` token sees only the files its app created.
fn file_scope_only(caller: &Caller) -> bool {
    caller.has_scope("drive.file")
        && !["drive", "drive.readonly", "drive.metadata", "drive.metadata.readonly"]
            .iter()
            .any(|s| caller.has_scope(s))
}

fn access(drive: &Drive, file: &File, caller: &Caller, include_link: bool) -> Option<Role> {
    if file.is_root {
        return (file.owner == caller.email).then_some(Role::Owner);
    }
    if file_scope_only(caller) && file.app_id != caller.client_id {
        return None;
    }
    // Without `supportsAllDrives=true` shared-drive items are not found (docs/protocols.md §4.1).
    if file.drive_id.is_some() && !caller.all_drives {
        return None;
    }
    drive.role(file, &caller.email, include_link)
}

/// The file a request names (`root` included) and the caller's role on it; 404 for a file the
/// caller cannot see, as Google answers.
fn find(drive: &mut Drive, id: &str, caller: &Caller, now: i64) -> Result<(String, Role)> {
    let id = drive.resolve(id, &caller.email, now);
    let file = drive.files.get(&id).ok_or_else(|| ApiError::file_not_found(&id))?;
    let role = access(drive, file, caller, true).ok_or_else(|| ApiError::file_not_found(&id))?;
    Ok((id, role))
}

/// Who calls, with scopes enough for `need`, and whether the request supports shared drives
/// (`supportsAllDrives=true`, or the deprecated `supportsTeamDrives=true`).
fn caller_of(state: &Shared, headers: &HeaderMap, params: &Params, need: Need) -> Result<Caller> {
    let mut caller = authenticate(state, headers)?;
    require(&caller, need)?;
    caller.all_drives = params.flag("supportsAllDrives") || params.flag("supportsTeamDrives");
    Ok(caller)
}

fn file_json(state: &Shared, id: &str, caller: &Caller, selection: &Selection, base: &str) -> Result<Value> {
    let data = state.google.data();
    let drive = &data.drive;
    let file = drive.files.get(id).ok_or_else(|| ApiError::file_not_found(id))?;
    let role = access(drive, file, caller, true).ok_or_else(|| ApiError::file_not_found(id))?;
    Ok(fields::apply(drive.resource(file, caller, role, base), selection))
}

fn ok(body: Value) -> Response {
    json_response(StatusCode::OK, &body)
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

fn body_metadata(body: &[u8]) -> Result<Value> {
    multipart::parse_metadata(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_are_bound_to_their_query() {
        let token = encode_page_token(100, "abc");
        assert_eq!(decode_page_token(&token, "abc"), Some(100));
        assert_eq!(decode_page_token(&token, "xyz"), None);
        assert_eq!(decode_page_token("garbage!", "abc"), None);
    }
}
