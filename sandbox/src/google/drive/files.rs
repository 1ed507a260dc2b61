//! files.get (metadata), create, update, copy, delete, emptyTrash and generateIds.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::metadata::{new_file, store_file, update_metadata};
use super::model::{new_file_id, Content, Drive, Role};
use super::{access, blobs, body_metadata, caller_of, fields, file_json, file_scope_only, find, no_content, ok};
use super::{Need, Params, Result, DEFAULT_FILE_FIELDS};
use crate::google::{now_ms, ApiError};
use crate::state::{AppState, Shared};
use crate::util::base_url;

pub(super) async fn get(
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let params = Params::new(query);
    let media = match params.get("alt").unwrap_or("json") {
        "json" => false,
        "media" => true,
        _ => return Err(ApiError::invalid_parameter("alt")),
    };
    let caller = caller_of(
        &state,
        &headers,
        &params,
        if media { Need::Content } else { Need::Metadata },
    )?;
    let now = now_ms(&state);
    if media {
        return super::content::download(&state, &caller, &id, &params, &headers, now).await;
    }
    let selection = params.select(DEFAULT_FILE_FIELDS, &fields::FILE)?;
    let (id, _) = find(&mut state.google.data().drive, &id, &caller, now)?;
    Ok(ok(file_json(&state, &id, &caller, &selection, &base_url(&headers))?))
}

pub(super) async fn create(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response> {
    let params = Params::new(query);
    let caller = caller_of(&state, &headers, &params, Need::Write)?;
    if params.get("uploadType").is_some() {
        return Err(upload_path_required());
    }
    let selection = params.select(DEFAULT_FILE_FIELDS, &fields::FILE)?;
    let metadata = body_metadata(&body)?;
    let now = now_ms(&state);
    let id = {
        let mut data = state.google.data();
        let file = new_file(&mut data.drive, &caller, &metadata, None, now)?;
        store_file(&mut data.drive, file)
    };
    Ok(ok(file_json(&state, &id, &caller, &selection, &base_url(&headers))?))
}

pub(super) fn upload_path_required() -> ApiError {
    ApiError::bad_request(
        "badRequest",
        "Upload requests must include an uploadType URL parameter and a URL path beginning with /upload/",
    )
}

pub(super) async fn update(
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response> {
    let params = Params::new(query);
    let caller = caller_of(&state, &headers, &params, Need::Write)?;
    if params.get("uploadType").is_some() {
        return Err(upload_path_required());
    }
    let selection = params.select(DEFAULT_FILE_FIELDS, &fields::FILE)?;
    let metadata = body_metadata(&body)?;
    let now = now_ms(&state);
    let id = {
        let mut data = state.google.data();
        let (id, role) = find(&mut data.drive, &id, &caller, now)?;
        update_metadata(&mut data.drive, &caller, &id, role, &metadata, &params, now)?;
        id
    };
    Ok(ok(file_json(&state, &id, &caller, &selection, &base_url(&headers))?))
}

pub(super) async fn copy(
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response> {
    let params = Params::new(query);
    let caller = caller_of(&state, &headers, &params, Need::Write)?;
    let selection = params.select(DEFAULT_FILE_FIELDS, &fields::FILE)?;
    let overrides = body_metadata(&body)?;
    let now = now_ms(&state);
    let new_id = {
        let mut data = state.google.data();
        let (id, role) = find(&mut data.drive, &id, &caller, now)?;
        let source = data.drive.files[&id].clone();
        if source.is_folder() || (source.copy_requires_writer_permission && role < Role::Writer) {
            return Err(ApiError::forbidden(
                "cannotCopyFile",
                "This file cannot be copied by the authenticated user.",
            ));
        }
        // [unverified] An unnamed copy is called "Copy of …", as in the Drive UI; the copy keeps
        // the source's parent when the caller may write there (GD-DISC `parents`).
        let mut metadata = json!({
            "name": format!("Copy of {}", source.name),
            "mimeType": source.mime_type,
            "description": source.description,
            "properties": source.properties,
            "appProperties": source.app_properties,
        });
        let parent_writable = source.parents.first().is_some_and(|p| {
            data.drive
                .files
                .get(p)
                .is_some_and(|f| access(&data.drive, f, &caller, false) >= Some(Role::Writer))
        });
        if parent_writable {
            metadata["parents"] = json!(source.parents);
        }
        if let (Value::Object(target), Value::Object(patch)) = (&mut metadata, overrides) {
            for (key, value) in patch {
                target.insert(key, value);
            }
        }
        let mut file = new_file(&mut data.drive, &caller, &metadata, None, now)?;
        if let Some(content) = &source.content {
            let blob = blobs::duplicate(&state.google, &content.blob)
                .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internalError", e.to_string()))?;
            file.content = Some(Content {
                blob,
                ..content.clone()
            });
        }
        file.original_filename = source.original_filename.clone();
        store_file(&mut data.drive, file)
    };
    Ok(ok(file_json(
        &state,
        &new_id,
        &caller,
        &selection,
        &base_url(&headers),
    )?))
}

pub(super) async fn delete(
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let params = Params::new(query);
    let caller = caller_of(&state, &headers, &params, Need::Write)?;
    let now = now_ms(&state);
    let mut data = state.google.data();
    let (id, role) = find(&mut data.drive, &id, &caller, now)?;
    if role < Role::Owner || data.drive.files[&id].is_any_root() {
        return Err(ApiError::insufficient_file_permissions());
    }
    delete_tree(&state, &mut data.drive, &id);
    Ok(no_content())
}

/// Deletes a file for good, with the descendants its owner owns; others' files inside lose
/// their parent.
pub(super) fn delete_tree(state: &Shared, drive: &mut Drive, id: &str) {
    let owner = drive.files.get(id).map(|f| f.owner.clone()).unwrap_or_default();
    let mut doomed = vec![id.to_string()];
    doomed.extend(
        drive
            .descendants(id)
            .into_iter()
            .filter(|d| drive.files.get(d).is_some_and(|f| f.owner == owner)),
    );
    for gone in &doomed {
        if let Some(file) = drive.files.remove(gone) {
            if let Some(content) = file.content {
                blobs::remove_blob(&state.google, &content.blob);
            }
        }
    }
    for file in drive.files.values_mut() {
        file.parents.retain(|p| !doomed.contains(p));
    }
}

/// `DELETE files/trash`: everything the caller owns in the trash, for good; with `driveId`,
/// everything in that shared drive's trash (its organizers only).
pub(super) async fn empty_trash(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let params = Params::new(query);
    let caller = caller_of(&state, &headers, &params, Need::Write)?;
    let mut data = state.google.data();
    let drive_id = params.get("driveId").map(String::from);
    if let Some(drive_id) = &drive_id {
        let role = data
            .drive
            .shared_drives
            .get(drive_id)
            .and_then(|d| d.role_of(&caller.email));
        match role {
            None => return Err(super::drives::drive_not_found(drive_id)),
            Some(role) if role < Role::Owner => return Err(ApiError::insufficient_file_permissions()),
            Some(_) => {}
        }
    }
    let trashed: Vec<String> = data
        .drive
        .files
        .values()
        .filter(|f| f.trashed && !(file_scope_only(&caller) && f.app_id != caller.client_id))
        .filter(|f| match &drive_id {
            Some(drive_id) => f.drive_id.as_ref() == Some(drive_id),
            None => f.owner == caller.email,
        })
        .map(|f| f.id.clone())
        .collect();
    for id in trashed {
        if data.drive.files.contains_key(&id) {
            delete_tree(&state, &mut data.drive, &id);
        }
    }
    Ok(no_content())
}

pub(super) async fn generate_ids(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let params = Params::new(query);
    caller_of(&state, &headers, &params, Need::Write)?;
    let count = params.int("count", 10, 1..=1000)?;
    let space = params.get("space").unwrap_or("drive");
    if !matches!(space, "drive" | "appDataFolder") {
        return Err(ApiError::invalid_parameter("space"));
    }
    let ids: Vec<String> = (0..count).map(|_| new_file_id()).collect();
    state.google.data().drive.generated_ids.extend(ids.iter().cloned());
    Ok(ok(json!({"kind": "drive#generatedIds", "space": space, "ids": ids})))
}
