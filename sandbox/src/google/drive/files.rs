//! files.get (metadata), create, update, copy, delete, emptyTrash and generateIds.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::fields::Selection;
use super::metadata::{new_file, store_file, update_metadata};
use super::model::{new_file_id, Content, Drive, Role};
use super::{access, blobs, body_metadata, caller_of, fields, file_json, file_scope_only, find, no_content, ok};
use super::{Need, Request, Result, DEFAULT_FILE_FIELDS};
use crate::google::oauth::Caller;
use crate::google::ApiError;
use crate::state::Shared;

pub(super) async fn get(req: Request, Path(id): Path<String>) -> Result<Response> {
    let media = match req.params.get("alt").unwrap_or("json") {
        "json" => false,
        "media" => true,
        _ => return Err(ApiError::invalid_parameter("alt")),
    };
    let caller = caller_of(
        &req.state,
        &req.headers,
        &req.params,
        if media { Need::Content } else { Need::Metadata },
    )?;
    let now = req.now();
    if media {
        return super::content::download(&req.state, &caller, &id, &req.params, &req.headers, now).await;
    }
    let selection = req.params.select(DEFAULT_FILE_FIELDS, &fields::FILE)?;
    let (id, _) = find(&mut req.state.google.data().drive, &id, &caller, now)?;
    Ok(ok(file_json(&req.state, &id, &caller, &selection, &req.base())?))
}

pub(super) async fn create(req: Request, body: Bytes) -> Result<Response> {
    let (caller, selection, metadata) = metadata_request(&req, &body)?;
    let now = req.now();
    let id = {
        let mut data = req.state.google.data();
        let file = new_file(&mut data.drive, &caller, &metadata, None, now)?;
        store_file(&mut data.drive, file)
    };
    Ok(ok(file_json(&req.state, &id, &caller, &selection, &req.base())?))
}

/// files.create and files.update (metadata only): the caller, `fields` and the body; a
/// request with `uploadType` belongs on the upload path.
fn metadata_request(req: &Request, body: &[u8]) -> Result<(Caller, Selection, Value)> {
    let caller = req.caller(Need::Write)?;
    if req.params.get("uploadType").is_some() {
        return Err(upload_path_required());
    }
    let selection = req.params.select(DEFAULT_FILE_FIELDS, &fields::FILE)?;
    Ok((caller, selection, body_metadata(body)?))
}

pub(super) fn upload_path_required() -> ApiError {
    ApiError::bad_request(
        "badRequest",
        "Upload requests must include an uploadType URL parameter and a URL path beginning with /upload/",
    )
}

pub(super) async fn update(req: Request, Path(id): Path<String>, body: Bytes) -> Result<Response> {
    let (caller, selection, metadata) = metadata_request(&req, &body)?;
    let now = req.now();
    let id = {
        let mut data = req.state.google.data();
        let (id, role) = find(&mut data.drive, &id, &caller, now)?;
        update_metadata(&mut data.drive, &caller, &id, role, &metadata, &req.params, now)?;
        id
    };
    Ok(ok(file_json(&req.state, &id, &caller, &selection, &req.base())?))
}

pub(super) async fn copy(req: Request, Path(id): Path<String>, body: Bytes) -> Result<Response> {
    let caller = req.caller(Need::Write)?;
    let selection = req.params.select(DEFAULT_FILE_FIELDS, &fields::FILE)?;
    let overrides = body_metadata(&body)?;
    let now = req.now();
    let new_id = {
        let mut data = req.state.google.data();
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
            let blob = blobs::duplicate(&req.state.google, &content.blob)
                .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internalError", e.to_string()))?;
            file.content = Some(Content {
                blob,
                ..content.clone()
            });
        }
        file.original_filename = source.original_filename.clone();
        store_file(&mut data.drive, file)
    };
    Ok(ok(file_json(&req.state, &new_id, &caller, &selection, &req.base())?))
}

pub(super) async fn delete(req: Request, Path(id): Path<String>) -> Result<Response> {
    let caller = req.caller(Need::Write)?;
    let (mut data, id, role) = req.open(&caller, &id)?;
    if role < Role::Owner || data.drive.files[&id].is_any_root() {
        return Err(ApiError::insufficient_file_permissions());
    }
    delete_tree(&req.state, &mut data.drive, &id);
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
pub(super) async fn empty_trash(req: Request) -> Result<Response> {
    let caller = req.caller(Need::Write)?;
    let mut data = req.state.google.data();
    let drive_id = req.params.get("driveId").map(String::from);
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
            delete_tree(&req.state, &mut data.drive, &id);
        }
    }
    Ok(no_content())
}

pub(super) async fn generate_ids(req: Request) -> Result<Response> {
    req.caller(Need::Write)?;
    let count = req.params.int("count", 10, 1..=1000)?;
    let space = req.params.get("space").unwrap_or("drive");
    if !matches!(space, "drive" | "appDataFolder") {
        return Err(ApiError::invalid_parameter("space"));
    }
    let ids: Vec<String> = (0..count).map(|_| new_file_id()).collect();
    req.state.google.data().drive.generated_ids.extend(ids.iter().cloned());
    Ok(ok(json!({"kind": "drive#generatedIds", "space": space, "ids": ids})))
}
