//! The upload paths (docs/protocols.md §4.5): `media`, `multipart` and `resumable` uploads that
//! create or update a file, and the requests to a resumable session.

use axum::body::Body;
use axum::extract::{Path, State as AxumState};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::blobs::{self, Stored};
use super::metadata::{check_storage, new_file, store_file, update_metadata};
use super::model::{export_formats, Content, Role};
use super::resumable::{self, Progress, Session};
use super::DEFAULT_FILE_FIELDS;
use super::{body_metadata, caller_of, fields, file_json, find, multipart, ok, Need, Params, Result};
use crate::google::oauth::Caller;
use crate::google::{json_response, now_ms, ApiError};
use crate::state::{AppState, Shared};
use crate::util::{base_url, random_from, random_hex};

/// The EICAR anti-virus test string: content starting with it counts as malware.
pub(super) const EICAR: &[u8] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

pub(super) fn content_of(stored: Stored, abusive: bool) -> Content {
    Content {
        blob: stored.blob,
        size: stored.size,
        md5: stored.md5,
        sha256: stored.sha256,
        revision: format!(
            "0B{}",
            random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 40)
        ),
        abusive,
    }
}

pub(super) async fn is_eicar(state: &Shared, stored: &Stored) -> bool {
    stored.size >= EICAR.len() as u64
        && blobs::read_prefix(&state.google, &stored.blob, EICAR.len() as u64).await == EICAR
}

pub(super) async fn create(
    AxumState(state): AxumState<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    upload(state, method, uri, None, headers, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

pub(super) async fn update(
    AxumState(state): AxumState<AppState>,
    method: Method,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    upload(state, method, uri, Some(id), headers, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

pub(super) async fn upload(
    state: AppState,
    method: Method,
    uri: Uri,
    target: Option<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let params = Params::new(uri.query().map(String::from));
    if let Some(upload_id) = params.get("upload_id") {
        if method == Method::PUT || method == Method::POST {
            return session_request(&state, upload_id, &headers, body).await;
        }
    }
    // Creating is POST, updating is PATCH (PUT only carries session chunks).
    if (target.is_some() && method != Method::PATCH) || (target.is_none() && method != Method::POST) {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "notFound", "Not Found"));
    }
    let caller = caller_of(&state, &headers, &params, Need::Write)?;
    let selection = params.select(DEFAULT_FILE_FIELDS, &fields::FILE)?;
    let now = now_ms(&state);
    if let Some(id) = &target {
        // Content goes to the owner's storage; check before taking any bytes.
        let mut data = state.google.data();
        let (id, _) = find(&mut data.drive, id, &caller, now)?;
        let file = &data.drive.files[&id];
        check_storage(&file.owner, &file.mime_type)?;
    }
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let (metadata, stored, stored_type) = match params.get("uploadType") {
        Some("media") => {
            if target.is_none() {
                check_storage(&caller.email, "")?;
            }
            let stored = blobs::receive(&state.google, body).await?;
            (json!({}), Some(stored), media_type)
        }
        Some("multipart") => {
            let multipart = multipart::receive_multipart(&state.google, &headers, body).await?;
            match multipart.media {
                Some((stored, part_type)) => (multipart.metadata, Some(stored), part_type),
                None => (multipart.metadata, None, None),
            }
        }
        Some("resumable") => {
            let bytes = axum::body::to_bytes(body, 1024 * 1024)
                .await
                .map_err(|_| ApiError::bad_request("parseError", "Parse Error"))?;
            let metadata = body_metadata(&bytes)?;
            return start_session(&state, &caller, &uri, &params, target, metadata, &headers, now);
        }
        _ => {
            return Err(ApiError::bad_request("invalid", "Invalid upload type.").at("uploadType", "parameter"));
        }
    };
    let id = finish_upload(
        &state,
        &caller,
        target.as_deref(),
        &metadata,
        stored,
        stored_type.as_deref(),
        &params,
        now,
    )
    .await?;
    Ok(ok(file_json(&state, &id, &caller, &selection, &base_url(&headers))?))
}

/// Makes or updates the file of a finished upload; the blob is dropped if that fails.
#[allow(clippy::too_many_arguments)]
pub(super) async fn finish_upload(
    state: &Shared,
    caller: &Caller,
    target: Option<&str>,
    metadata: &Value,
    stored: Option<Stored>,
    media_type: Option<&str>,
    params: &Params,
    now: i64,
) -> Result<String> {
    let abusive = match &stored {
        Some(stored) => is_eicar(state, stored).await,
        None => false,
    };
    let blob = stored.as_ref().map(|s| s.blob.clone());
    let result = {
        let mut data = state.google.data();
        let drive = &mut data.drive;
        match target {
            None => new_file(drive, caller, metadata, media_type, now).map(|mut file| {
                if let Some(stored) = stored {
                    if file.is_binary() || export_formats(&file.mime_type).is_some() {
                        file.content = Some(content_of(stored, abusive));
                    } else {
                        blobs::remove_blob(&state.google, &stored.blob);
                    }
                }
                store_file(drive, file)
            }),
            Some(id) => find(drive, id, caller, now).and_then(|(id, role)| {
                update_metadata(drive, caller, &id, role, metadata, params, now)?;
                if let Some(stored) = stored {
                    if role < Role::Writer {
                        return Err(ApiError::insufficient_file_permissions());
                    }
                    let file = drive.file_mut(&id)?;
                    if let Some(old) = file.content.replace(content_of(stored, abusive)) {
                        blobs::remove_blob(&state.google, &old.blob);
                    }
                    if let (Some(media), false) = (media_type, metadata.get("mimeType").is_some()) {
                        let media = media.split(';').next().unwrap_or("").trim();
                        if file.is_binary() && !media.is_empty() && media != "application/octet-stream" {
                            file.mime_type = media.to_string();
                        }
                    }
                    file.touch(&caller.email, now);
                }
                Ok(id)
            }),
        }
    };
    if let (Err(_), Some(blob)) = (&result, blob) {
        blobs::remove_blob(&state.google, &blob);
    }
    result
}

/// Opens a resumable session; `Location` is the session URI on this sandbox.
#[allow(clippy::too_many_arguments)]
pub(super) fn start_session(
    state: &Shared,
    caller: &Caller,
    uri: &Uri,
    params: &Params,
    target: Option<String>,
    metadata: Value,
    headers: &HeaderMap,
    now: i64,
) -> Result<Response> {
    let header_text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(String::from);
    let total = match header_text("x-upload-content-length") {
        None => None,
        Some(text) => Some(text.trim().parse::<u64>().map_err(|_| {
            ApiError::bad_request("invalid", "Invalid X-Upload-Content-Length header.")
                .at("X-Upload-Content-Length", "header")
        })?),
    };
    let content_type = header_text("x-upload-content-type");
    {
        // Refuse what the final request would refuse before any byte is sent.
        let mut data = state.google.data();
        let drive = &mut data.drive;
        match &target {
            None => {
                new_file(drive, caller, &metadata, content_type.as_deref(), now)?;
            }
            Some(id) => {
                let (id, role) = find(drive, id, caller, now)?;
                if role < Role::Writer {
                    return Err(ApiError::insufficient_file_permissions());
                }
                check_storage(&drive.files[&id].owner, &drive.files[&id].mime_type)?;
            }
        }
    }
    let upload_id = format!("AHVrFx{}", random_hex(40));
    let session = Session {
        email: caller.email.clone(),
        client_id: caller.client_id.clone(),
        scopes: caller.scopes.clone(),
        all_drives: caller.all_drives,
        target,
        metadata,
        fields: params.get("fields").map(String::from),
        total,
        content_type,
        committed: 0,
        blob: blobs::new_blob_name(),
        created_s: now / 1000,
        done: None,
    };
    state.google.data().drive.sessions.insert(upload_id.clone(), session);
    let query = uri.query().unwrap_or("");
    let separator = if query.is_empty() { "" } else { "&" };
    // Inside the nested router the path lacks the host's prefix.
    let location = format!(
        "{}/google-apis{}?{query}{separator}upload_id={upload_id}",
        base_url(headers),
        uri.path()
    );
    let mut response = StatusCode::OK.into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&upload_id) {
        response.headers_mut().insert("x-guploader-uploadid", value);
    }
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(0));
    Ok(response)
}

/// A request to a session URI: a chunk, the whole body, or a status query. The upload id is
/// the credential; no `Authorization` is needed (Google's session URIs work without it).
pub(super) async fn session_request(
    state: &Shared,
    upload_id: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response> {
    let now_s = state.clock.now();
    let session = state.google.data().drive.sessions.get(upload_id).cloned();
    let session = match session {
        Some(session) if session.created_s + resumable::SESSION_TTL_S > now_s => session,
        Some(session) => {
            state.google.data().drive.sessions.remove(upload_id);
            blobs::remove_blob(&state.google, &session.blob);
            resumable::forget_session(&state.google, upload_id);
            return Err(session_gone());
        }
        None => return Err(session_gone()),
    };
    let caller = Caller {
        email: session.email.clone(),
        client_id: session.client_id.clone(),
        scopes: session.scopes.clone(),
        all_drives: session.all_drives,
    };
    let selection = fields::select(session.fields.as_deref(), DEFAULT_FILE_FIELDS, &fields::FILE)?;
    let status = if session.target.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    if let Some(id) = &session.done {
        return Ok(json_response(
            status,
            &file_json(state, id, &caller, &selection, &base_url(headers))?,
        ));
    }
    match resumable::write_session(&state.google, upload_id, &session, headers, body).await? {
        Progress::Incomplete(committed) => Ok(resumable::resume_incomplete(committed)),
        Progress::Complete(stored) => {
            let now = now_ms(state);
            let params = Params(Vec::new());
            let media_type = session.content_type.clone();
            let id = finish_upload(
                state,
                &caller,
                session.target.as_deref(),
                &session.metadata,
                Some(stored),
                media_type.as_deref(),
                &params,
                now,
            )
            .await?;
            if let Some(session) = state.google.data().drive.sessions.get_mut(upload_id) {
                session.done = Some(id.clone());
            }
            resumable::forget_session(&state.google, upload_id);
            Ok(json_response(
                status,
                &file_json(state, &id, &caller, &selection, &base_url(headers))?,
            ))
        }
    }
}

/// [unverified] body: Google answers an unknown or expired session with 404; clients restart.
pub(super) fn session_gone() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "notFound",
        "Upload session not found or expired.",
    )
}
