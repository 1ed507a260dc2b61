//! Shared drives (`drives.list`, `drives.get`): the ones the caller is a member of, with the
//! capabilities of their membership. Their files are served by the file methods, for requests
//! that say `supportsAllDrives=true`.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::model::{Role, SharedDrive};
use super::render::rfc3339;
use super::{fields, ok, Need, Request, Result};
use crate::google::ApiError;

const DEFAULT_DRIVE_FIELDS: &str = "kind,id,name";

/// [unverified] message: the reference names no error for an unknown shared drive; this is the
/// shape of Drive's other 404s.
pub(super) fn drive_not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "notFound",
        format!("Shared drive not found: {id}"),
    )
    .at("driveId", "parameter")
}

/// `GET drives`: pages of the drives the caller is a member of (`pageSize` 1–100, default 10).
pub(super) async fn list(req: Request) -> Result<Response> {
    let caller = req.caller(Need::Metadata)?;
    let selection = req
        .params
        .select("kind,nextPageToken,drives(kind,id,name)", &fields::DRIVE_LIST)?;
    if req.params.get("q").is_some() {
        // Searching shared drives is not emulated.
        return Err(ApiError::invalid_parameter("q"));
    }
    let paging = req.paging(format!("drives-{}", caller.email), 10, 100)?;
    let data = req.state.google.data();
    let mine: Vec<Value> = data
        .drive
        .shared_drives
        .values()
        .filter_map(|d| d.role_of(&caller.email).map(|role| drive_json(d, role, &caller.email)))
        .collect();
    Ok(ok(fields::apply(
        paging.list("drive#driveList", "drives", &mine),
        &selection,
    )))
}

/// `GET drives/{driveId}`: 404 for a drive the caller is not a member of.
pub(super) async fn get(req: Request, Path(id): Path<String>) -> Result<Response> {
    let caller = req.caller(Need::Metadata)?;
    let selection = req.params.select(DEFAULT_DRIVE_FIELDS, &fields::DRIVE)?;
    let data = req.state.google.data();
    let drive = data.drive.shared_drives.get(&id).ok_or_else(|| drive_not_found(&id))?;
    let role = drive.role_of(&caller.email).ok_or_else(|| drive_not_found(&id))?;
    Ok(ok(fields::apply(drive_json(drive, role, &caller.email), &selection)))
}

/// A `drive#drive` resource as a member with `role` sees it.
fn drive_json(drive: &SharedDrive, role: Role, email: &str) -> Value {
    let organizer = drive.members.get(email).is_some_and(|r| r == "organizer");
    let manager = role == Role::Owner;
    let writer = role >= Role::Writer;
    json!({
        "kind": "drive#drive",
        "id": drive.id,
        "name": drive.name,
        "createdTime": rfc3339(drive.created_ms),
        "hidden": false,
        "colorRgb": "#6f7c8c",
        "capabilities": {
            "canAddChildren": writer,
            "canComment": role >= Role::Commenter,
            "canCopy": true,
            "canDeleteChildren": manager,
            "canDeleteDrive": organizer,
            "canDownload": true,
            "canEdit": writer,
            "canListChildren": true,
            "canManageMembers": organizer,
            "canRename": organizer,
            "canRenameDrive": organizer,
            "canShare": organizer,
            "canTrashChildren": manager,
        },
        "restrictions": {
            "adminManagedRestrictions": false,
            "copyRequiresWriterPermission": false,
            "domainUsersOnly": false,
            "driveMembersOnly": false,
        },
    })
}
