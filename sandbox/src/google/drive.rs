//! Google Drive v3 (api-protocols.md §4): files with parents and trash, search, partial
//! responses, uploads, downloads with Range, export, permissions, comments and about.

use std::cmp::Ordering;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::Uri;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use base64::Engine;
use futures_util::stream;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::fields::{self, Schema, Selection};
use super::model::{
    comment_json, export_formats, is_google_type, mime_from_name, new_file_id, parse_rfc3339, permission_json, Comment,
    Content, Drive, File, Permission, Role, FOLDER, SHORTCUT,
};
use super::oauth::{authenticate, Caller};
use super::upload::{self, Progress, Session, Stored};
use super::{is_service_account, json_response, now_ms, person, ApiError, WORKSPACE_DOMAIN};
use crate::state::{AppState, Shared};
use crate::util::{base_url, parse_form, random_from, random_hex};

const DEFAULT_FILE_FIELDS: &str = "kind,id,name,mimeType";
const DEFAULT_PERMISSION_FIELDS: &str = "kind,id,type,role,allowFileDiscovery";
/// Exports are limited to 10 MB (api-protocols.md §4.2).
const EXPORT_LIMIT: u64 = 10 * 1024 * 1024;
/// The EICAR anti-virus test string: content starting with it counts as malware.
const EICAR: &[u8] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
const STORAGE_QUOTA_MESSAGE: &str = "Service Accounts do not have storage quota. Leverage shared drives \
     (https://developers.google.com/workspace/drive/api/guides/about-shareddrives), or use OAuth delegation \
     (http://support.google.com/a/answer/7281227) instead.";
/// Output-only File fields: a request body that sets one is refused (`fieldNotWritable`).
const READ_ONLY_FIELDS: &[&str] = &[
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

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/drive/v3/about", get(about))
        .route("/drive/v3/drives", get(list_drives))
        .route("/drive/v3/files", get(list_files).post(create_file))
        .route("/drive/v3/files/generateIds", get(generate_ids))
        .route("/drive/v3/files/trash", delete(empty_trash))
        .route(
            "/drive/v3/files/{id}",
            get(get_file).patch(update_file).delete(delete_file),
        )
        .route("/drive/v3/files/{id}/copy", post(copy_file))
        .route("/drive/v3/files/{id}/export", get(export_file))
        .route(
            "/drive/v3/files/{id}/permissions",
            get(list_permissions).post(create_permission),
        )
        .route(
            "/drive/v3/files/{id}/permissions/{pid}",
            get(get_permission).patch(update_permission).delete(delete_permission),
        )
        .route("/drive/v3/files/{id}/comments", get(list_comments).post(create_comment))
        .route(
            "/drive/v3/files/{id}/comments/{cid}",
            get(get_comment).patch(update_comment).delete(delete_comment),
        )
        // OPI posts to `/files/?uploadType=…`; the discovery document also lists `/resumable/…`.
        .route("/upload/drive/v3/files", post(upload_new).put(upload_new))
        .route("/upload/drive/v3/files/", post(upload_new).put(upload_new))
        .route(
            "/upload/drive/v3/files/{id}",
            post(upload_existing).patch(upload_existing).put(upload_existing),
        )
        .route("/resumable/upload/drive/v3/files", post(upload_new).put(upload_new))
        .route(
            "/resumable/upload/drive/v3/files/{id}",
            post(upload_existing).patch(upload_existing).put(upload_existing),
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

fn caller_of(state: &Shared, headers: &HeaderMap, need: Need) -> Result<Caller> {
    let caller = authenticate(state, headers)?;
    require(&caller, need)?;
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
    upload::parse_metadata(body)
}

/// 403 for a file a service account would own: it has no storage of its own.
fn check_storage(owner: &str, mime: &str) -> Result<()> {
    if is_service_account(owner) && mime != FOLDER && mime != SHORTCUT {
        return Err(ApiError::forbidden("storageQuotaExceeded", STORAGE_QUOTA_MESSAGE));
    }
    Ok(())
}

fn not_writable() -> ApiError {
    ApiError::forbidden(
        "fieldNotWritable",
        "The resource body includes fields which are not directly writable.",
    )
}

fn check_writable(metadata: &Value) -> Result<()> {
    let Some(object) = metadata.as_object() else {
        return Ok(());
    };
    if object.keys().any(|key| READ_ONLY_FIELDS.contains(&key.as_str())) {
        return Err(not_writable());
    }
    Ok(())
}

fn string_field<'a>(metadata: &'a Value, name: &str) -> Result<Option<&'a str>> {
    match metadata.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(ApiError::bad_request("invalid", format!("Invalid value for: {name}"))),
    }
}

fn bool_field(metadata: &Value, name: &str) -> Result<Option<bool>> {
    match metadata.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(value)) => Ok(Some(*value)),
        Some(_) => Err(ApiError::bad_request("invalid", format!("Invalid value for: {name}"))),
    }
}

fn time_field(metadata: &Value, name: &str) -> Result<Option<i64>> {
    match string_field(metadata, name)? {
        None => Ok(None),
        Some(text) => parse_rfc3339(text)
            .map(Some)
            .ok_or_else(|| ApiError::bad_request("invalid", format!("Invalid value for: {name}"))),
    }
}

/// Applies a `properties`/`appProperties` patch: a null value deletes the key.
fn merge_properties(target: &mut std::collections::BTreeMap<String, String>, patch: Option<&Value>) -> Result<()> {
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
fn writable_folder(drive: &mut Drive, id: &str, caller: &Caller, now: i64) -> Result<String> {
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
fn new_file(drive: &mut Drive, caller: &Caller, metadata: &Value, media_type: Option<&str>, now: i64) -> Result<File> {
    check_writable(metadata)?;
    let id = match string_field(metadata, "id")? {
        None => new_file_id(),
        Some(id) if drive.files.contains_key(id) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "duplicate",
                "A file already exists with the provided ID.",
            ))
        }
        Some(id) if !drive.generated_ids.contains(id) => {
            return Err(ApiError::bad_request("invalid", "The provided file ID is not usable.").at("id", "parameter"))
        }
        Some(id) => id.to_string(),
    };
    let name = string_field(metadata, "name")?.unwrap_or("Untitled").to_string();
    let mime_type = match string_field(metadata, "mimeType")? {
        Some(mime) => mime.to_string(),
        None => match media_type.map(|m| m.split(';').next().unwrap_or("").trim()) {
            Some(media) if !media.is_empty() && media != "application/octet-stream" => media.to_string(),
            _ => mime_from_name(&name).to_string(),
        },
    };
    let parents: Vec<String> = match metadata.get("parents") {
        None | Some(Value::Null) => vec!["root".into()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|p| p.as_str().map(String::from))
            .collect::<Option<_>>()
            .ok_or_else(|| ApiError::bad_request("invalid", "Invalid value for: parents"))?,
        Some(_) => return Err(ApiError::bad_request("invalid", "Invalid value for: parents")),
    };
    if parents.len() > 1 {
        return Err(ApiError::forbidden(
            "cannotAddParent",
            "Increasing the number of parents is not allowed.",
        ));
    }
    let parents = match parents.first() {
        Some(parent) => vec![writable_folder(drive, parent, caller, now)?],
        None => vec![drive.root_id(&caller.email, now)],
    };
    check_storage(&caller.email, &mime_type)?;
    let mut file = File::new(id, name, mime_type, &caller.email, &caller.client_id, now);
    file.parents = parents;
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

/// Fields that create and update set the same way.
fn apply_common(file: &mut File, metadata: &Value) -> Result<()> {
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

fn store_file(drive: &mut Drive, file: File) -> String {
    drive.generated_ids.remove(&file.id);
    let id = file.id.clone();
    drive.files.insert(id.clone(), file);
    id
}

fn content_of(stored: Stored, abusive: bool) -> Content {
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

async fn is_eicar(state: &Shared, stored: &Stored) -> bool {
    stored.size >= EICAR.len() as u64
        && upload::read_prefix(&state.google, &stored.blob, EICAR.len() as u64).await == EICAR
}

/// Moves a file to the trash or back; a folder's contents follow it (without being trashed
/// explicitly themselves).
fn set_trashed(drive: &mut Drive, id: &str, trashed: bool) {
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

/// Deletes a file for good, with the descendants its owner owns; others' files inside lose
/// their parent.
fn delete_tree(state: &Shared, drive: &mut Drive, id: &str) {
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
                upload::remove_blob(&state.google, &content.blob);
            }
        }
    }
    for file in drive.files.values_mut() {
        file.parents.retain(|p| !doomed.contains(p));
    }
}

/// Applies a files.update body and `addParents`/`removeParents`.
fn update_metadata(
    drive: &mut Drive,
    caller: &Caller,
    id: &str,
    role: Role,
    metadata: &Value,
    params: &Params,
    now: i64,
) -> Result<()> {
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
    let trashed = bool_field(metadata, "trashed")?;
    if trashed.is_some() && role < Role::Owner {
        return Err(ApiError::insufficient_file_permissions());
    }
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
    let name = string_field(metadata, "name")?.map(String::from);
    let mime_type = string_field(metadata, "mimeType")?.map(String::from);
    let file = drive.files.get_mut(id).ok_or_else(|| ApiError::file_not_found(id))?;
    if file.is_root && (name.is_some() || parents != file.parents) {
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

// ---------------------------------------------------------------------------------------------
// files

async fn list_files(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let caller = caller_of(&state, &headers, Need::Metadata)?;
    let params = Params::new(query);
    let selection = params.select(
        "kind,nextPageToken,incompleteSearch,files(kind,id,name,mimeType)",
        &fields::FILE_LIST,
    )?;
    let page_size = params.int("pageSize", 100, 1..=1000)? as usize;
    let filter = match params.get("q") {
        Some(q) => Some(super::query::parse(q).ok_or_else(|| ApiError::invalid_parameter("q"))?),
        None => None,
    };
    let order = parse_order(params.get("orderBy"))?;
    if let Some(drive_id) = params.get("driveId") {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "notFound",
            format!("Shared drive not found: {drive_id}"),
        )
        .at("driveId", "parameter"));
    }
    match params.get("corpora") {
        None | Some("user") | Some("domain") | Some("allDrives") => {}
        Some("drive") => {
            return Err(ApiError::bad_request(
                "invalid",
                "The driveId parameter must be specified if and only if corpora is set to drive.",
            )
            .at("driveId", "parameter"))
        }
        Some(_) => return Err(ApiError::invalid_parameter("corpora")),
    }
    let spaces = params.get("spaces").unwrap_or("drive");
    if !spaces
        .split(',')
        .all(|s| matches!(s.trim(), "drive" | "appDataFolder" | "photos"))
    {
        return Err(ApiError::invalid_parameter("spaces"));
    }
    let fingerprint = {
        let seed = format!(
            "{}|{}|{}|{}",
            caller.email,
            params.get("q").unwrap_or(""),
            params.get("orderBy").unwrap_or(""),
            spaces
        );
        crate::util::hex(&Sha256::digest(seed.as_bytes())[..6])
    };
    let offset = match params.get("pageToken") {
        None => 0,
        Some(token) => {
            decode_page_token(token, &fingerprint).ok_or_else(|| ApiError::invalid_parameter("pageToken"))?
        }
    };
    let base = base_url(&headers);
    let now = now_ms(&state);
    let mut data = state.google.data();
    let drive = &mut data.drive;
    let root_id = drive.root_id(&caller.email, now);
    // Only My Drive is emulated: an appDataFolder-only search finds nothing.
    let in_drive = spaces.split(',').any(|s| s.trim() == "drive");
    let mut found: Vec<(&File, Role)> = drive
        .files
        .values()
        .filter(|f| in_drive && !f.is_root)
        .filter_map(|f| access(drive, f, &caller, false).map(|role| (f, role)))
        .filter(|(f, _)| filter.as_ref().is_none_or(|q| q.matches(&facts(f, &caller, &root_id))))
        .collect();
    found.sort_by(|(a, _), (b, _)| compare(a, b, &order));
    let page: Vec<Value> = found
        .iter()
        .skip(offset)
        .take(page_size)
        .map(|(f, role)| drive.resource(f, &caller, *role, &base))
        .collect();
    let mut list = json!({"kind": "drive#fileList", "incompleteSearch": false, "files": page});
    if offset + page_size < found.len() {
        list["nextPageToken"] = json!(encode_page_token(offset + page_size, &fingerprint));
    }
    Ok(ok(fields::apply(list, &selection)))
}

fn facts<'a>(file: &'a File, caller: &Caller, root_id: &'a str) -> super::query::Facts<'a> {
    let emails_with = |roles: &[Role]| -> Vec<String> {
        file.permissions
            .iter()
            .filter(|p| roles.contains(&p.role))
            .filter_map(|p| p.email.clone())
            .collect()
    };
    super::query::Facts {
        name: &file.name,
        mime_type: &file.mime_type,
        description: file.description.as_deref().unwrap_or(""),
        modified_ms: file.modified_ms,
        created_ms: file.created_ms,
        viewed_ms: file.modified_ms,
        trashed: file.trashed,
        starred: file.starred,
        shared_with_me: file.owner != caller.email
            && file
                .permissions
                .iter()
                .any(|p| p.email.as_deref() == Some(caller.email.as_str())),
        parents: &file.parents,
        root_id,
        owners: vec![file.owner.clone()],
        writers: emails_with(&[Role::Writer]),
        readers: emails_with(&[Role::Reader, Role::Commenter]),
        properties: &file.properties,
        app_properties: &file.app_properties,
    }
}

/// `orderBy`: keys of api-protocols.md §4.2, each optionally ` desc`.
fn parse_order(order_by: Option<&str>) -> Result<Vec<(String, bool)>> {
    let Some(text) = order_by else {
        return Ok(vec![("createdTime".into(), false)]);
    };
    let mut keys = Vec::new();
    for item in text.split(',') {
        let mut words = item.split_whitespace();
        let key = words.next().ok_or_else(|| ApiError::invalid_parameter("orderBy"))?;
        let desc = match words.next() {
            None => false,
            Some(word) if word.eq_ignore_ascii_case("desc") => true,
            Some(word) if word.eq_ignore_ascii_case("asc") => false,
            Some(_) => return Err(ApiError::invalid_parameter("orderBy")),
        };
        const KEYS: &[&str] = &[
            "createdTime",
            "folder",
            "modifiedByMeTime",
            "modifiedTime",
            "name",
            "name_natural",
            "quotaBytesUsed",
            "recency",
            "sharedWithMeTime",
            "starred",
            "viewedByMeTime",
        ];
        if words.next().is_some() || !KEYS.contains(&key) {
            return Err(ApiError::invalid_parameter("orderBy"));
        }
        keys.push((key.to_string(), desc));
    }
    Ok(keys)
}

fn compare(a: &File, b: &File, order: &[(String, bool)]) -> Ordering {
    for (key, desc) in order {
        let ordering = match key.as_str() {
            "folder" => b.is_folder().cmp(&a.is_folder()),
            "name" | "name_natural" => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            "starred" => b.starred.cmp(&a.starred),
            "quotaBytesUsed" => {
                let size = |f: &File| {
                    if f.is_binary() {
                        f.content.as_ref().map_or(0, |c| c.size)
                    } else {
                        0
                    }
                };
                size(a).cmp(&size(b))
            }
            "createdTime" | "sharedWithMeTime" => a.created_ms.cmp(&b.created_ms),
            _ => a.modified_ms.cmp(&b.modified_ms),
        };
        let ordering = if *desc { ordering.reverse() } else { ordering };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    a.created_ms.cmp(&b.created_ms).then_with(|| a.id.cmp(&b.id))
}

fn encode_page_token(offset: usize, fingerprint: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{offset}:{fingerprint}"))
}

fn decode_page_token(token: &str, fingerprint: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (offset, print) = text.split_once(':')?;
    (print == fingerprint).then(|| offset.parse().ok()).flatten()
}

async fn get_file(
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
    let caller = caller_of(&state, &headers, if media { Need::Content } else { Need::Metadata })?;
    let now = now_ms(&state);
    if media {
        return download(&state, &caller, &id, &params, &headers, now).await;
    }
    let selection = params.select(DEFAULT_FILE_FIELDS, &fields::FILE)?;
    let (id, _) = find(&mut state.google.data().drive, &id, &caller, now)?;
    Ok(ok(file_json(&state, &id, &caller, &selection, &base_url(&headers))?))
}

/// `alt=media`: the bytes, or the requested `Range` of them with 206.
async fn download(
    state: &Shared,
    caller: &Caller,
    id: &str,
    params: &Params,
    headers: &HeaderMap,
    now: i64,
) -> Result<Response> {
    let (mime, content) = {
        let mut data = state.google.data();
        let (id, role) = find(&mut data.drive, id, caller, now)?;
        let file = &data.drive.files[&id];
        if !file.is_binary() {
            return Err(ApiError::forbidden(
                "fileNotDownloadable",
                "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
            )
            .at("alt", "parameter"));
        }
        if file.content.as_ref().is_some_and(|c| c.abusive) && !(params.flag("acknowledgeAbuse") && role == Role::Owner)
        {
            return Err(ApiError::forbidden(
                "cannotDownloadAbusiveFile",
                "This file has been identified as malware or spam and cannot be downloaded.",
            )
            .at("acknowledgeAbuse", "parameter"));
        }
        (file.mime_type.clone(), file.content.clone())
    };
    let size = content.as_ref().map_or(0, |c| c.size);
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (status, start, length) = match range.map(|r| parse_range(r, size)) {
        None | Some(RangeRequest::Ignored) => (StatusCode::OK, 0, size),
        Some(RangeRequest::Satisfiable(start, end)) => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        Some(RangeRequest::Unsatisfiable) => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return Ok(response);
        }
    };
    let body = match &content {
        Some(content) if length > 0 => {
            let mut file = tokio::fs::File::open(state.google.blob_path(&content.blob))
                .await
                .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internalError", e.to_string()))?;
            file.seek(std::io::SeekFrom::Start(start))
                .await
                .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internalError", e.to_string()))?;
            Body::from_stream(stream::unfold(file.take(length), |mut reader| async move {
                let mut buffer = vec![0u8; 64 * 1024];
                match reader.read(&mut buffer).await {
                    Ok(0) => None,
                    Ok(n) => {
                        buffer.truncate(n);
                        Some((Ok::<_, std::io::Error>(Bytes::from(buffer)), reader))
                    }
                    Err(err) => Some((Err(err), reader)),
                }
            }))
        }
        _ => Body::empty(),
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&mime).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{}/{size}", start + length - 1)) {
            headers.insert(header::CONTENT_RANGE, value);
        }
    }
    Ok(response)
}

enum RangeRequest {
    Ignored,
    Satisfiable(u64, u64),
    Unsatisfiable,
}

/// One `bytes=a-b`, `bytes=a-` or `bytes=-n` range; several ranges or another unit are ignored
/// (the whole file is sent, as HTTP allows).
fn parse_range(value: &str, size: u64) -> RangeRequest {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeRequest::Ignored;
    };
    if spec.contains(',') {
        return RangeRequest::Ignored;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Ignored;
    };
    let (first, last) = (first.trim(), last.trim());
    let parsed = match (first.is_empty(), last.is_empty()) {
        (true, false) => last
            .parse::<u64>()
            .ok()
            .map(|n| (size.saturating_sub(n), size.saturating_sub(1), n > 0)),
        (false, true) => first.parse::<u64>().ok().map(|a| (a, size.saturating_sub(1), true)),
        (false, false) => match (first.parse::<u64>(), last.parse::<u64>()) {
            (Ok(a), Ok(b)) if a <= b => Some((a, b.min(size.saturating_sub(1)), true)),
            _ => None,
        },
        (true, true) => None,
    };
    match parsed {
        None => RangeRequest::Ignored,
        Some((start, end, nonempty)) if nonempty && start < size && start <= end => {
            RangeRequest::Satisfiable(start, end)
        }
        Some(_) => RangeRequest::Unsatisfiable,
    }
}

async fn create_file(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response> {
    let caller = caller_of(&state, &headers, Need::Write)?;
    let params = Params::new(query);
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

fn upload_path_required() -> ApiError {
    ApiError::bad_request(
        "badRequest",
        "Upload requests must include an uploadType URL parameter and a URL path beginning with /upload/",
    )
}

async fn update_file(
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response> {
    let caller = caller_of(&state, &headers, Need::Write)?;
    let params = Params::new(query);
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

async fn copy_file(
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response> {
    let caller = caller_of(&state, &headers, Need::Write)?;
    let params = Params::new(query);
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
            let blob = upload::duplicate(&state.google, &content.blob)
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

async fn delete_file(
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let caller = caller_of(&state, &headers, Need::Write)?;
    let now = now_ms(&state);
    let mut data = state.google.data();
    let (id, role) = find(&mut data.drive, &id, &caller, now)?;
    if role < Role::Owner || data.drive.files[&id].is_root {
        return Err(ApiError::insufficient_file_permissions());
    }
    delete_tree(&state, &mut data.drive, &id);
    Ok(no_content())
}

/// `DELETE files/trash`: everything the caller owns in the trash, for good.
async fn empty_trash(AxumState(state): AxumState<AppState>, headers: HeaderMap) -> Result<Response> {
    let caller = caller_of(&state, &headers, Need::Write)?;
    let mut data = state.google.data();
    let trashed: Vec<String> = data
        .drive
        .files
        .values()
        .filter(|f| f.owner == caller.email && f.trashed && !(file_scope_only(&caller) && f.app_id != caller.client_id))
        .map(|f| f.id.clone())
        .collect();
    for id in trashed {
        if data.drive.files.contains_key(&id) {
            delete_tree(&state, &mut data.drive, &id);
        }
    }
    Ok(no_content())
}

async fn generate_ids(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    caller_of(&state, &headers, Need::Write)?;
    let params = Params::new(query);
    let count = params.int("count", 10, 1..=1000)?;
    let space = params.get("space").unwrap_or("drive");
    if !matches!(space, "drive" | "appDataFolder") {
        return Err(ApiError::invalid_parameter("space"));
    }
    let ids: Vec<String> = (0..count).map(|_| new_file_id()).collect();
    state.google.data().drive.generated_ids.extend(ids.iter().cloned());
    Ok(ok(json!({"kind": "drive#generatedIds", "space": space, "ids": ids})))
}

/// `files.export` of a Docs Editors file. The bytes are deterministic stand-ins built from the
/// document's text (what was imported into it), not real conversions.
async fn export_file(
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let caller = caller_of(&state, &headers, Need::Content)?;
    let params = Params::new(query);
    let Some(target) = params.get("mimeType").map(String::from) else {
        return Err(ApiError::required_parameter("mimeType"));
    };
    let now = now_ms(&state);
    let (file_id, source_mime, content) = {
        let mut data = state.google.data();
        let (id, _) = find(&mut data.drive, &id, &caller, now)?;
        let file = &data.drive.files[&id];
        (id, file.mime_type.clone(), file.content.clone())
    };
    let Some(formats) = export_formats(&source_mime) else {
        return Err(ApiError::forbidden(
            "fileNotExportable",
            "Export only supports Docs Editors files.",
        ));
    };
    if !formats.contains(&target.as_str()) {
        return Err(
            ApiError::bad_request("badRequest", "The requested conversion is not supported.")
                .at("convertTo", "parameter"),
        );
    }
    let text = match &content {
        Some(content) if content.size > EXPORT_LIMIT => {
            return Err(ApiError::forbidden(
                "exportSizeLimitExceeded",
                "This file is too large to be exported.",
            ))
        }
        Some(content) => {
            String::from_utf8_lossy(&upload::read_prefix(&state.google, &content.blob, EXPORT_LIMIT).await).into_owned()
        }
        None => String::new(),
    };
    let bytes = export_bytes(&file_id, &target, &text);
    let mut response = Response::new(Body::from(bytes));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&target).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    Ok(response)
}

fn export_bytes(id: &str, mime: &str, text: &str) -> Vec<u8> {
    match mime {
        // Google's plain-text exports of documents start with a byte order mark.
        "text/plain" => format!("\u{feff}{text}").into_bytes(),
        "text/markdown" | "text/csv" | "text/tab-separated-values" => text.as_bytes().to_vec(),
        "text/html" => format!(
            "<html><head><meta content=\"text/html; charset=UTF-8\" http-equiv=\"content-type\"></head><body>{}</body></html>",
            text.lines().map(|l| format!("<p>{}</p>", crate::util::html_escape(l))).collect::<String>()
        )
        .into_bytes(),
        "application/pdf" => format!("%PDF-1.4\n% diskbridge-sandbox export of {id}\n{text}\n%%EOF\n").into_bytes(),
        other => format!("diskbridge-sandbox export of {id} as {other}\n{text}").into_bytes(),
    }
}

// ---------------------------------------------------------------------------------------------
// uploads

async fn upload_new(
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

async fn upload_existing(
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

async fn upload(
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
    let caller = caller_of(&state, &headers, Need::Write)?;
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
            let stored = upload::receive(&state.google, body).await?;
            (json!({}), Some(stored), media_type)
        }
        Some("multipart") => {
            let multipart = upload::receive_multipart(&state.google, &headers, body).await?;
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
async fn finish_upload(
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
                        upload::remove_blob(&state.google, &stored.blob);
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
                    let file = drive.files.get_mut(&id).ok_or_else(|| ApiError::file_not_found(&id))?;
                    if let Some(old) = file.content.replace(content_of(stored, abusive)) {
                        upload::remove_blob(&state.google, &old.blob);
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
        upload::remove_blob(&state.google, &blob);
    }
    result
}

/// Opens a resumable session; `Location` is the session URI on this sandbox.
#[allow(clippy::too_many_arguments)]
fn start_session(
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
        target,
        metadata,
        fields: params.get("fields").map(String::from),
        total,
        content_type,
        committed: 0,
        blob: upload::new_blob_name(),
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
async fn session_request(state: &Shared, upload_id: &str, headers: &HeaderMap, body: Body) -> Result<Response> {
    let now_s = state.clock.now();
    let session = state.google.data().drive.sessions.get(upload_id).cloned();
    let session = match session {
        Some(session) if session.created_s + upload::SESSION_TTL_S > now_s => session,
        Some(session) => {
            state.google.data().drive.sessions.remove(upload_id);
            upload::remove_blob(&state.google, &session.blob);
            upload::forget_session(&state.google, upload_id);
            return Err(session_gone());
        }
        None => return Err(session_gone()),
    };
    let caller = Caller {
        email: session.email.clone(),
        client_id: session.client_id.clone(),
        scopes: session.scopes.clone(),
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
    match upload::write_session(&state.google, upload_id, &session, headers, body).await? {
        Progress::Incomplete(committed) => Ok(upload::resume_incomplete(committed)),
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
            upload::forget_session(&state.google, upload_id);
            Ok(json_response(
                status,
                &file_json(state, &id, &caller, &selection, &base_url(headers))?,
            ))
        }
    }
}

/// [unverified] body: Google answers an unknown or expired session with 404; clients restart.
fn session_gone() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "notFound",
        "Upload session not found or expired.",
    )
}

// ---------------------------------------------------------------------------------------------
// permissions

fn can_share(drive: &Drive, id: &str, role: Role) -> bool {
    role == Role::Owner || (role == Role::Writer && drive.files[id].writers_can_share)
}

fn permission_not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "notFound",
        format!("Permission not found: {id}."),
    )
    .at("permissionId", "parameter")
}

async fn create_permission(
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response> {
    let caller = caller_of(&state, &headers, Need::Write)?;
    let params = Params::new(query);
    let selection = params.select(DEFAULT_PERMISSION_FIELDS, &fields::PERMISSION)?;
    let body = body_metadata(&body)?;
    let role_text = string_field(&body, "role")?.ok_or_else(|| {
        ApiError::bad_request("required", "The permission role field is required.").at("permission.role", "parameter")
    })?;
    let kind = string_field(&body, "type")?.ok_or_else(|| {
        ApiError::bad_request("required", "The permission type field is required.").at("permission.type", "parameter")
    })?;
    let role = Role::parse(role_text).ok_or_else(|| {
        ApiError::bad_request("invalid", "The provided role is not valid.").at("permission.role", "parameter")
    })?;
    let email = string_field(&body, "emailAddress")?.map(|e| e.to_ascii_lowercase());
    let domain = string_field(&body, "domain")?.map(String::from);
    let (permission_id, email, domain) = match kind {
        "user" | "group" => {
            let email = email.ok_or_else(|| {
                ApiError::bad_request("required", "The permission emailAddress field is required.")
                    .at("permission.emailAddress", "parameter")
            })?;
            (person(&email).permission_id, Some(email), None)
        }
        "domain" => {
            let domain = domain.ok_or_else(|| {
                ApiError::bad_request("required", "The permission domain field is required.")
                    .at("permission.domain", "parameter")
            })?;
            (
                format!("{}k", &person(&format!("domain@{domain}")).permission_id[..20]),
                None,
                Some(domain),
            )
        }
        "anyone" => ("anyoneWithLink".to_string(), None, None),
        _ => {
            return Err(
                ApiError::bad_request("invalid", "The provided permission type is not valid.")
                    .at("permission.type", "parameter"),
            )
        }
    };
    let now = now_ms(&state);
    let mut data = state.google.data();
    let (id, caller_role) = find(&mut data.drive, &id, &caller, now)?;
    if !can_share(&data.drive, &id, caller_role) {
        return Err(ApiError::insufficient_file_permissions());
    }
    if role == Role::Owner {
        transfer_ownership(
            &mut data.drive,
            &id,
            &caller,
            caller_role,
            kind,
            email.as_deref(),
            &params,
        )?;
        // The new owner's permission comes first in the file's list.
        let value = data.drive.permissions_json(&data.drive.files[&id])[0].clone();
        return Ok(ok(fields::apply(value, &selection)));
    }
    let file = data
        .drive
        .files
        .get_mut(&id)
        .ok_or_else(|| ApiError::file_not_found(&id))?;
    let permission = Permission {
        id: permission_id.clone(),
        kind: kind.to_string(),
        role,
        email,
        domain,
        allow_file_discovery: bool_field(&body, "allowFileDiscovery")?.unwrap_or(false),
        expiration: string_field(&body, "expirationTime")?.map(String::from),
    };
    // Sharing again with the same grantee changes the existing permission.
    file.permissions.retain(|p| p.id != permission_id);
    file.permissions.push(permission.clone());
    file.version += 1;
    Ok(ok(fields::apply(permission_json(&permission), &selection)))
}

/// `role=owner` needs `transferOwnership=true`; consumer accounts must consent, so only a
/// transfer between users of the sandbox's Workspace domain happens at once.
fn transfer_ownership(
    drive: &mut Drive,
    id: &str,
    caller: &Caller,
    caller_role: Role,
    kind: &str,
    email: Option<&str>,
    params: &Params,
) -> Result<()> {
    if !params.flag("transferOwnership") {
        return Err(ApiError::forbidden(
            "forbidden",
            "The transferOwnership parameter must be enabled when the permission role is 'owner'.",
        )
        .at("transferOwnership", "parameter"));
    }
    let (Some(email), "user", Role::Owner) = (email, kind, caller_role) else {
        return Err(ApiError::insufficient_file_permissions());
    };
    let workspace = |e: &str| e.ends_with(&format!("@{WORKSPACE_DOMAIN}"));
    if !workspace(email) || !workspace(&caller.email) {
        return Err(ApiError::forbidden(
            "consentRequiredForOwnershipTransfer",
            "Consent is required to transfer ownership of a file to another user.",
        ));
    }
    let file = drive.files.get_mut(id).ok_or_else(|| ApiError::file_not_found(id))?;
    let previous = std::mem::replace(&mut file.owner, email.to_string());
    file.permissions.retain(|p| p.email.as_deref() != Some(email));
    file.permissions.push(Permission {
        id: person(&previous).permission_id,
        kind: "user".into(),
        role: Role::Writer,
        email: Some(previous),
        domain: None,
        allow_file_discovery: false,
        expiration: None,
    });
    file.version += 1;
    Ok(())
}

async fn list_permissions(
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let caller = caller_of(&state, &headers, Need::Metadata)?;
    let params = Params::new(query);
    let selection = params.select(
        "kind,nextPageToken,permissions(kind,id,type,role,allowFileDiscovery)",
        &fields::PERMISSION_LIST,
    )?;
    let page_size = params
        .get("pageSize")
        .map(|_| params.int("pageSize", 100, 1..=100))
        .transpose()?;
    let now = now_ms(&state);
    let mut data = state.google.data();
    let (id, role) = find(&mut data.drive, &id, &caller, now)?;
    if !can_share(&data.drive, &id, role) {
        return Err(ApiError::insufficient_file_permissions());
    }
    let all = data.drive.permissions_json(&data.drive.files[&id]);
    let all = all.as_array().cloned().unwrap_or_default();
    let fingerprint = format!("permissions-{id}");
    let offset = match params.get("pageToken") {
        None => 0,
        Some(token) => {
            decode_page_token(token, &fingerprint).ok_or_else(|| ApiError::invalid_parameter("pageToken"))?
        }
    };
    let size = page_size.map_or(all.len(), |n| n as usize);
    let page: Vec<Value> = all.iter().skip(offset).take(size).cloned().collect();
    let mut list = json!({"kind": "drive#permissionList", "permissions": page});
    if offset + size < all.len() {
        list["nextPageToken"] = json!(encode_page_token(offset + size, &fingerprint));
    }
    Ok(ok(fields::apply(list, &selection)))
}

async fn get_permission(
    AxumState(state): AxumState<AppState>,
    Path((id, permission_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let caller = caller_of(&state, &headers, Need::Metadata)?;
    let selection = Params::new(query).select(DEFAULT_PERMISSION_FIELDS, &fields::PERMISSION)?;
    let now = now_ms(&state);
    let mut data = state.google.data();
    let (id, _) = find(&mut data.drive, &id, &caller, now)?;
    let all = data.drive.permissions_json(&data.drive.files[&id]);
    let found = all
        .as_array()
        .and_then(|list| list.iter().find(|p| p["id"] == json!(permission_id)).cloned());
    let permission = found.ok_or_else(|| permission_not_found(&permission_id))?;
    Ok(ok(fields::apply(permission, &selection)))
}

async fn update_permission(
    AxumState(state): AxumState<AppState>,
    Path((id, permission_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response> {
    let caller = caller_of(&state, &headers, Need::Write)?;
    let params = Params::new(query);
    let selection = params.select(DEFAULT_PERMISSION_FIELDS, &fields::PERMISSION)?;
    let body = body_metadata(&body)?;
    let now = now_ms(&state);
    let mut data = state.google.data();
    let (id, role) = find(&mut data.drive, &id, &caller, now)?;
    if !can_share(&data.drive, &id, role) {
        return Err(ApiError::insufficient_file_permissions());
    }
    let file = data
        .drive
        .files
        .get_mut(&id)
        .ok_or_else(|| ApiError::file_not_found(&id))?;
    let Some(permission) = file.permissions.iter_mut().find(|p| p.id == permission_id) else {
        if person(&file.owner).permission_id == permission_id {
            return Err(ApiError::forbidden(
                "cannotModifyOwnerPermission",
                "The owner's permission cannot be changed this way.",
            ));
        }
        return Err(permission_not_found(&permission_id));
    };
    if let Some(role_text) = string_field(&body, "role")? {
        permission.role = Role::parse(role_text).filter(|r| *r != Role::Owner).ok_or_else(|| {
            ApiError::bad_request("invalid", "The provided role is not valid.").at("permission.role", "parameter")
        })?;
    }
    if let Some(expiration) = string_field(&body, "expirationTime")? {
        permission.expiration = Some(expiration.to_string());
    }
    if params.flag("removeExpiration") {
        permission.expiration = None;
    }
    let value = permission_json(permission);
    file.version += 1;
    Ok(ok(fields::apply(value, &selection)))
}

async fn delete_permission(
    AxumState(state): AxumState<AppState>,
    Path((id, permission_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let caller = caller_of(&state, &headers, Need::Write)?;
    let now = now_ms(&state);
    let mut data = state.google.data();
    let (id, role) = find(&mut data.drive, &id, &caller, now)?;
    if !can_share(&data.drive, &id, role) {
        return Err(ApiError::insufficient_file_permissions());
    }
    let file = data
        .drive
        .files
        .get_mut(&id)
        .ok_or_else(|| ApiError::file_not_found(&id))?;
    if person(&file.owner).permission_id == permission_id {
        // [unverified] reason and message of Google's refusal to remove the owner.
        return Err(ApiError::forbidden(
            "cannotRemoveOwner",
            "The owner of a file cannot be removed.",
        ));
    }
    let before = file.permissions.len();
    file.permissions.retain(|p| p.id != permission_id);
    if file.permissions.len() == before {
        return Err(permission_not_found(&permission_id));
    }
    file.version += 1;
    Ok(no_content())
}

// ---------------------------------------------------------------------------------------------
// comments

fn comment_not_found(id: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "notFound", format!("Comment not found: {id}.")).at("commentId", "parameter")
}

async fn create_comment(
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response> {
    let caller = caller_of(&state, &headers, Need::Write)?;
    let selection = Params::new(query).select_required(&fields::COMMENT)?;
    let body = body_metadata(&body)?;
    let content = string_field(&body, "content")?
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::bad_request("required", "Required parameter: content").at("content", "parameter"))?
        .to_string();
    let now = now_ms(&state);
    let mut data = state.google.data();
    let (id, role) = find(&mut data.drive, &id, &caller, now)?;
    if role < Role::Commenter {
        return Err(ApiError::insufficient_file_permissions());
    }
    let comment = Comment {
        id: format!(
            "AAAB{}",
            random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", 7)
        ),
        author: caller.email.clone(),
        content,
        created_ms: now,
        modified_ms: now,
        deleted: false,
        resolved: false,
        anchor: string_field(&body, "anchor")?.map(String::from),
        quoted: body.get("quotedFileContent").filter(|v| v.is_object()).cloned(),
    };
    let value = comment_json(&comment, &caller.email);
    data.drive
        .files
        .get_mut(&id)
        .ok_or_else(|| ApiError::file_not_found(&id))?
        .comments
        .push(comment);
    Ok(ok(fields::apply(value, &selection)))
}

async fn list_comments(
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let caller = caller_of(&state, &headers, Need::Metadata)?;
    let params = Params::new(query);
    let selection = params.select_required(&fields::COMMENT_LIST)?;
    let page_size = params.int("pageSize", 20, 1..=100)? as usize;
    let since = match params.get("startModifiedTime") {
        None => None,
        Some(text) => Some(parse_rfc3339(text).ok_or_else(|| ApiError::invalid_parameter("startModifiedTime"))?),
    };
    let now = now_ms(&state);
    let mut data = state.google.data();
    let (id, _) = find(&mut data.drive, &id, &caller, now)?;
    let fingerprint = format!("comments-{id}");
    let offset = match params.get("pageToken") {
        None => 0,
        Some(token) => {
            decode_page_token(token, &fingerprint).ok_or_else(|| ApiError::invalid_parameter("pageToken"))?
        }
    };
    let include_deleted = params.flag("includeDeleted");
    let all: Vec<&Comment> = data.drive.files[&id]
        .comments
        .iter()
        .filter(|c| include_deleted || !c.deleted)
        .filter(|c| since.is_none_or(|since| c.modified_ms >= since))
        .collect();
    let page: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(page_size)
        .map(|c| comment_json(c, &caller.email))
        .collect();
    let mut list = json!({"kind": "drive#commentList", "comments": page});
    if offset + page_size < all.len() {
        list["nextPageToken"] = json!(encode_page_token(offset + page_size, &fingerprint));
    }
    Ok(ok(fields::apply(list, &selection)))
}

async fn get_comment(
    AxumState(state): AxumState<AppState>,
    Path((id, comment_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let caller = caller_of(&state, &headers, Need::Metadata)?;
    let params = Params::new(query);
    let selection = params.select_required(&fields::COMMENT)?;
    let now = now_ms(&state);
    let mut data = state.google.data();
    let (id, _) = find(&mut data.drive, &id, &caller, now)?;
    let comment = data.drive.files[&id]
        .comments
        .iter()
        .find(|c| c.id == comment_id && (!c.deleted || params.flag("includeDeleted")))
        .ok_or_else(|| comment_not_found(&comment_id))?;
    Ok(ok(fields::apply(comment_json(comment, &caller.email), &selection)))
}

async fn update_comment(
    AxumState(state): AxumState<AppState>,
    Path((id, comment_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response> {
    let caller = caller_of(&state, &headers, Need::Write)?;
    let selection = Params::new(query).select_required(&fields::COMMENT)?;
    let body = body_metadata(&body)?;
    let content = string_field(&body, "content")?
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::bad_request("required", "Required parameter: content").at("content", "parameter"))?
        .to_string();
    let now = now_ms(&state);
    let mut data = state.google.data();
    let (id, _) = find(&mut data.drive, &id, &caller, now)?;
    let file = data
        .drive
        .files
        .get_mut(&id)
        .ok_or_else(|| ApiError::file_not_found(&id))?;
    let comment = file
        .comments
        .iter_mut()
        .find(|c| c.id == comment_id && !c.deleted)
        .ok_or_else(|| comment_not_found(&comment_id))?;
    if comment.author != caller.email {
        return Err(ApiError::insufficient_file_permissions());
    }
    comment.content = content;
    comment.modified_ms = now;
    Ok(ok(fields::apply(comment_json(comment, &caller.email), &selection)))
}

async fn delete_comment(
    AxumState(state): AxumState<AppState>,
    Path((id, comment_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let caller = caller_of(&state, &headers, Need::Write)?;
    let now = now_ms(&state);
    let mut data = state.google.data();
    let (id, role) = find(&mut data.drive, &id, &caller, now)?;
    let file = data
        .drive
        .files
        .get_mut(&id)
        .ok_or_else(|| ApiError::file_not_found(&id))?;
    let comment = file
        .comments
        .iter_mut()
        .find(|c| c.id == comment_id && !c.deleted)
        .ok_or_else(|| comment_not_found(&comment_id))?;
    if comment.author != caller.email && role < Role::Owner {
        return Err(ApiError::insufficient_file_permissions());
    }
    comment.deleted = true;
    comment.modified_ms = now;
    Ok(no_content())
}

// ---------------------------------------------------------------------------------------------
// about, drives

/// Consumer accounts have 15 GiB; service accounts none (hence their upload errors).
/// [unverified] the quota figures of Workspace users and service accounts.
fn storage_limit(email: &str) -> Option<u64> {
    if is_service_account(email) {
        Some(0)
    } else if email.ends_with(&format!("@{WORKSPACE_DOMAIN}")) {
        None
    } else {
        Some(15 * 1024 * 1024 * 1024)
    }
}

async fn about(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let caller = caller_of(&state, &headers, Need::Metadata)?;
    let selection = Params::new(query).select_required(&fields::ABOUT)?;
    let (usage, trashed) = state.google.data().drive.usage(&caller.email);
    let mut quota = json!({
        "usage": usage.to_string(),
        "usageInDrive": usage.to_string(),
        "usageInDriveTrash": trashed.to_string(),
    });
    if let Some(limit) = storage_limit(&caller.email) {
        quota["limit"] = json!(limit.to_string());
    }
    let mut export_map = Map::new();
    for mime in
        ["document", "spreadsheet", "presentation", "drawing"].map(|k| format!("application/vnd.google-apps.{k}"))
    {
        export_map.insert(mime.clone(), json!(export_formats(&mime).unwrap_or_default()));
    }
    let about = json!({
        "kind": "drive#about",
        "user": super::model::user_json(&caller.email, &caller.email),
        "storageQuota": quota,
        "maxUploadSize": "5497558138880",
        "appInstalled": false,
        "canCreateDrives": caller.email.ends_with(&format!("@{WORKSPACE_DOMAIN}")),
        "exportFormats": export_map,
        "importFormats": {
            "text/plain": ["application/vnd.google-apps.document"],
            "text/html": ["application/vnd.google-apps.document"],
            "text/csv": ["application/vnd.google-apps.spreadsheet"],
            "text/tab-separated-values": ["application/vnd.google-apps.spreadsheet"],
        },
        "maxImportSizes": {
            "application/vnd.google-apps.document": "10485760",
            "application/vnd.google-apps.spreadsheet": "104857600",
            "application/vnd.google-apps.presentation": "104857600",
        },
        "folderColorPalette": ["#ac725e", "#d06b64", "#f83a22", "#fa573c", "#ff7537", "#ffad46", "#42d692", "#16a765"],
    });
    Ok(ok(fields::apply(about, &selection)))
}

/// Shared drives are not emulated: the caller is a member of none.
async fn list_drives(AxumState(state): AxumState<AppState>, headers: HeaderMap) -> Result<Response> {
    caller_of(&state, &headers, Need::Metadata)?;
    Ok(ok(json!({"kind": "drive#driveList", "drives": []})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert!(matches!(parse_range("bytes=0-9", 100), RangeRequest::Satisfiable(0, 9)));
        assert!(matches!(
            parse_range("bytes=90-", 100),
            RangeRequest::Satisfiable(90, 99)
        ));
        assert!(matches!(
            parse_range("bytes=-10", 100),
            RangeRequest::Satisfiable(90, 99)
        ));
        assert!(matches!(
            parse_range("bytes=50-500", 100),
            RangeRequest::Satisfiable(50, 99)
        ));
        assert!(matches!(parse_range("bytes=100-", 100), RangeRequest::Unsatisfiable));
        assert!(matches!(parse_range("bytes=0-1,5-6", 100), RangeRequest::Ignored));
    }

    #[test]
    fn page_tokens_are_bound_to_their_query() {
        let token = encode_page_token(100, "abc");
        assert_eq!(decode_page_token(&token, "abc"), Some(100));
        assert_eq!(decode_page_token(&token, "xyz"), None);
        assert_eq!(decode_page_token("garbage!", "abc"), None);
    }
}
