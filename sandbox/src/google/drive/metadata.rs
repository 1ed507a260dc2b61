//! File metadata from request bodies: what files.create, copy and uploads make, and what
//! files.update changes (docs/protocols.md §4.2), with Google's refusals of fields that are not
//! writable.

use axum::http::StatusCode;
use serde_json::Value;

use super::model::{is_google_type, mime_from_name, new_file_id, Drive, File, Role, FOLDER, SHORTCUT};
use super::render::parse_rfc3339;
use super::{find, Params, Result};
use crate::google::oauth::Caller;
use crate::google::{is_service_account, ApiError};

pub(super) const STORAGE_QUOTA_MESSAGE: &str = "Service Accounts do not have storage quota. Leverage shared drives \
     (https://developers.google.com/workspace/drive/api/guides/about-shareddrives), or use OAuth delegation \
     (http://support.google.com/a/answer/7281227) instead.";
/// Output-only File fields: a request body that sets one is refused (`fieldNotWritable`).
pub(super) const READ_ONLY_FIELDS: &[&str] = &[
    "capabilities",
    "driveId",
    "explicitlyTrashed",
    "exportLinks",
    "fileExtension",
    "fullFileExtension",
    "hasAugmentedPermissions",
    "hasThumbnail",
    "headRevisionId",
    "iconLink",
    "imageMediaMetadata",
    "isAppAuthorized",
    "labelInfo",
    "lastModifyingUser",
    "md5Checksum",
    "modifiedByMe",
    "ownedByMe",
    "owners",
    "permissionIds",
    "permissions",
    "quotaBytesUsed",
    "resourceKey",
    "sha1Checksum",
    "sha256Checksum",
    "shared",
    "sharingUser",
    "size",
    "spaces",
    "teamDriveId",
    "thumbnailLink",
    "thumbnailVersion",
    "trashedTime",
    "trashingUser",
    "version",
    "videoMediaMetadata",
    "viewedByMe",
    "webContentLink",
    "webViewLink",
];

/// 403 for a file a service account would own: it has no storage of its own.
pub(super) fn check_storage(owner: &str, mime: &str) -> Result<()> {
    if is_service_account(owner) && mime != FOLDER && mime != SHORTCUT {
        return Err(ApiError::forbidden("storageQuotaExceeded", STORAGE_QUOTA_MESSAGE));
    }
    Ok(())
}

pub(super) fn not_writable() -> ApiError {
    ApiError::forbidden(
        "fieldNotWritable",
        "The resource body includes fields which are not directly writable.",
    )
}

pub(super) fn check_writable(metadata: &Value) -> Result<()> {
    let Some(object) = metadata.as_object() else {
        return Ok(());
    };
    if object.keys().any(|key| READ_ONLY_FIELDS.contains(&key.as_str())) {
        return Err(not_writable());
    }
    Ok(())
}

pub(super) fn string_field<'a>(metadata: &'a Value, name: &str) -> Result<Option<&'a str>> {
    match metadata.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(ApiError::bad_request("invalid", format!("Invalid value for: {name}"))),
    }
}

pub(super) fn bool_field(metadata: &Value, name: &str) -> Result<Option<bool>> {
    match metadata.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(value)) => Ok(Some(*value)),
        Some(_) => Err(ApiError::bad_request("invalid", format!("Invalid value for: {name}"))),
    }
}

pub(super) fn time_field(metadata: &Value, name: &str) -> Result<Option<i64>> {
    match string_field(metadata, name)? {
        None => Ok(None),
        Some(text) => parse_rfc3339(text)
            .map(Some)
            .ok_or_else(|| ApiError::bad_request("invalid", format!("Invalid value for: {name}"))),
    }
}

/// Applies a `properties`/`appProperties` patch: a null value deletes the key.
pub(super) fn merge_properties(
    target: &mut std::collections::BTreeMap<String, String>,
    patch: Option<&Value>,
) -> Result<()> {
    let Some(patch) = patch else { return Ok(()) };
    let Some(object) = patch.as_object() else {
        return Err(ApiError::bad_request("invalid", "Invalid value for: properties"));
    };
    for (key, value) in object {
        match value {
            Value::Null => {
                target.remove(key);
            }
            Value::String(text) => {
                target.insert(key.clone(), text.clone());
            }
            other => {
                target.insert(key.clone(), other.to_string());
            }
        }
    }
    Ok(())
}

/// A parent folder the caller may add children to.
pub(super) fn writable_folder(drive: &mut Drive, id: &str, caller: &Caller, now: i64) -> Result<String> {
    let (id, role) = find(drive, id, caller, now)?;
    let folder = &drive.files[&id];
    if !folder.is_folder() {
        // [unverified] the reference does not say how Google refuses a non-folder parent.
        return Err(
            ApiError::bad_request("invalid", "The specified parent is not a folder.").at("parents", "parameter"),
        );
    }
    if role < Role::Writer {
        return Err(ApiError::insufficient_file_permissions());
    }
    Ok(id)
}

/// The file files.create, copy or an upload makes from `metadata`, checked but not stored yet.
/// A parent on a shared drive puts it there: the drive owns it, and no one's storage counts it.
pub(super) fn new_file(
    drive: &mut Drive,
    caller: &Caller,
    metadata: &Value,
    media_type: Option<&str>,
    now: i64,
) -> Result<File> {
    check_writable(metadata)?;
    let id = usable_id(drive, metadata)?;
    let name = string_field(metadata, "name")?.unwrap_or("Untitled").to_string();
    let mime_type = match string_field(metadata, "mimeType")? {
        Some(mime) => mime.to_string(),
        None => match media_type.map(|m| m.split(';').next().unwrap_or("").trim()) {
            Some(media) if !media.is_empty() && media != "application/octet-stream" => media.to_string(),
            _ => mime_from_name(&name).to_string(),
        },
    };
    let parent = match single_parent(metadata)? {
        Some(parent) => writable_folder(drive, &parent, caller, now)?,
        None => drive.root_id(&caller.email, now),
    };
    let drive_id = drive.files[&parent].drive_id.clone();
    let owner = drive_id.clone().unwrap_or_else(|| caller.email.clone());
    check_storage(&owner, &mime_type)?;
    let mut file = File::new(id, name, mime_type, &owner, &caller.client_id, now);
    file.parents = vec![parent];
    file.drive_id = drive_id;
    file.last_modifying = caller.email.clone();
    if file.mime_type == SHORTCUT {
        let target = metadata
            .pointer("/shortcutDetails/targetId")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ApiError::bad_request("required", "The shortcut target ID is required.")
                    .at("shortcutDetails.targetId", "parameter")
            })?;
        let (target, _) = find(drive, target, caller, now)?;
        file.shortcut_target = Some(target);
    }
    apply_common(&mut file, metadata)?;
    if let Some(created) = time_field(metadata, "createdTime")? {
        file.created_ms = created;
    }
    if let Some(original) = string_field(metadata, "originalFilename")? {
        file.original_filename = Some(original.to_string());
    }
    Ok(file)
}

/// The `id` a body asks for: one from `files.generateIds` not used yet, or a new one.
fn usable_id(drive: &Drive, metadata: &Value) -> Result<String> {
    match string_field(metadata, "id")? {
        None => Ok(new_file_id()),
        Some(id) if drive.files.contains_key(id) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "duplicate",
            "A file already exists with the provided ID.",
        )),
        Some(id) if !drive.generated_ids.contains(id) => {
            Err(ApiError::bad_request("invalid", "The provided file ID is not usable.").at("id", "parameter"))
        }
        Some(id) => Ok(id.to_string()),
    }
}

/// The one parent a body names (None: My Drive's root); a second is refused.
fn single_parent(metadata: &Value) -> Result<Option<String>> {
    let invalid = || ApiError::bad_request("invalid", "Invalid value for: parents");
    let parents: Vec<String> = match metadata.get("parents") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|p| p.as_str().map(String::from))
            .collect::<Option<_>>()
            .ok_or_else(invalid)?,
        Some(_) => return Err(invalid()),
    };
    if parents.len() > 1 {
        return Err(ApiError::forbidden(
            "cannotAddParent",
            "Increasing the number of parents is not allowed.",
        ));
    }
    Ok(parents.into_iter().next())
}

/// Fields that create and update set the same way.
pub(super) fn apply_common(file: &mut File, metadata: &Value) -> Result<()> {
    if let Some(modified) = time_field(metadata, "modifiedTime")? {
        file.modified_ms = modified;
    }
    match metadata.get("description") {
        Some(Value::Null) => file.description = None,
        Some(_) => file.description = string_field(metadata, "description")?.map(String::from),
        None => {}
    }
    if let Some(starred) = bool_field(metadata, "starred")? {
        file.starred = starred;
    }
    if let Some(value) = bool_field(metadata, "writersCanShare")? {
        file.writers_can_share = value;
    }
    if let Some(value) = bool_field(metadata, "copyRequiresWriterPermission")? {
        file.copy_requires_writer_permission = value;
    }
    if let Some(value) = bool_field(metadata, "viewersCanCopyContent")? {
        file.copy_requires_writer_permission = !value;
    }
    if let Some(color) = string_field(metadata, "folderColorRgb")? {
        file.folder_color_rgb = Some(color.to_string());
    }
    merge_properties(&mut file.properties, metadata.get("properties"))?;
    merge_properties(&mut file.app_properties, metadata.get("appProperties"))?;
    Ok(())
}

pub(super) fn store_file(drive: &mut Drive, file: File) -> String {
    drive.generated_ids.remove(&file.id);
    let id = file.id.clone();
    drive.files.insert(id.clone(), file);
    id
}

/// Moves a file to the trash or back; a folder's contents follow it (without being trashed
/// explicitly themselves).
pub(super) fn set_trashed(drive: &mut Drive, id: &str, trashed: bool) {
    let descendants = drive.descendants(id);
    if let Some(file) = drive.files.get_mut(id) {
        file.trashed = trashed;
        file.explicitly_trashed = trashed;
    }
    for child in descendants {
        if let Some(file) = drive.files.get_mut(&child) {
            if !file.explicitly_trashed {
                file.trashed = trashed;
            }
        }
    }
}

/// Applies a files.update body and `addParents`/`removeParents`.
pub(super) fn update_metadata(
    drive: &mut Drive,
    caller: &Caller,
    id: &str,
    role: Role,
    metadata: &Value,
    params: &Params,
    now: i64,
) -> Result<()> {
    let only_flags = check_update(metadata, role)?;
    let trashed = bool_field(metadata, "trashed")?;
    let parents = moved_parents(drive, caller, id, params, now)?;
    let name = string_field(metadata, "name")?.map(String::from);
    let mime_type = string_field(metadata, "mimeType")?.map(String::from);
    let file = drive.file_mut(id)?;
    if file.is_any_root() && (name.is_some() || parents != file.parents) {
        return Err(ApiError::insufficient_file_permissions());
    }
    if let Some(mime) = &mime_type {
        // Converting between Google types and blobs takes an upload, not a metadata change.
        if *mime != file.mime_type && (is_google_type(mime) || is_google_type(&file.mime_type)) {
            return Err(ApiError::forbidden(
                "fieldNotWritable",
                "The mimeType of this file cannot be changed.",
            ));
        }
    }
    let changes_content = !only_flags || parents != file.parents;
    apply_common(file, metadata)?;
    if let Some(name) = name {
        file.name = name;
    }
    if let Some(mime) = mime_type {
        file.mime_type = mime;
    }
    file.parents = parents;
    file.version += 1;
    if changes_content && metadata.get("modifiedTime").is_none() {
        file.touch(&caller.email, now);
    }
    if let Some(trashed) = trashed {
        set_trashed(drive, id, trashed);
    }
    Ok(())
}

/// Refuses what an update body may not do with `role`: fields that are not writable (parents
/// included: they change through `addParents`/`removeParents`), edits below writer, trashing
/// below owner. Ok(true) when the body only sets flags (`starred`, `trashed`), which readers
/// may set for themselves.
fn check_update(metadata: &Value, role: Role) -> Result<bool> {
    if metadata.get("parents").is_some() {
        return Err(ApiError::forbidden(
            "fieldNotWritable",
            "The parents field is not directly writable in update requests. Use the addParents and removeParents parameters instead.",
        ));
    }
    check_writable(metadata)?;
    if ["createdTime", "shortcutDetails"]
        .iter()
        .any(|key| metadata.get(key).is_some())
    {
        return Err(not_writable());
    }
    let only_flags = metadata.as_object().is_some_and(|o| {
        o.keys()
            .all(|k| matches!(k.as_str(), "starred" | "trashed" | "kind" | "id"))
    });
    if role < Role::Writer && !only_flags {
        return Err(ApiError::insufficient_file_permissions());
    }
    if bool_field(metadata, "trashed")?.is_some() && role < Role::Owner {
        return Err(ApiError::insufficient_file_permissions());
    }
    Ok(only_flags)
}

/// The file's parents after `removeParents` and `addParents`: still one at most, never the
/// file itself or a folder below it, and on the same drive (moving between My Drive and a
/// shared drive is not emulated).
fn moved_parents(drive: &mut Drive, caller: &Caller, id: &str, params: &Params, now: i64) -> Result<Vec<String>> {
    let split = |name: &str| -> Vec<String> {
        params
            .get(name)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut parents = drive.files[id].parents.clone();
    for remove in split("removeParents") {
        let remove = drive.resolve(&remove, &caller.email, now);
        parents.retain(|p| *p != remove);
    }
    for add in split("addParents") {
        let add = writable_folder(drive, &add, caller, now)?;
        if drive.is_within(&add, id) {
            return Err(ApiError::forbidden(
                "cannotAddParent",
                "A folder cannot be moved into itself or its descendants.",
            ));
        }
        if drive.files[&add].drive_id != drive.files[id].drive_id {
            return Err(ApiError::insufficient_file_permissions());
        }
        if !parents.contains(&add) {
            parents.push(add);
        }
    }
    if parents.len() > 1 {
        return Err(ApiError::forbidden(
            "cannotAddParent",
            "Increasing the number of parents is not allowed.",
        ));
    }
    Ok(parents)
}
