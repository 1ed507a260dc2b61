//! about.get: the caller, their storage quota and the import and export formats.

use axum::response::Response;
use serde_json::{json, Map};

use super::model::export_formats;
use super::render::user_json;
use super::{fields, ok, Need, Request, Result};
use crate::google::{is_service_account, WORKSPACE_DOMAIN};

/// Consumer accounts have 15 GiB; service accounts none (hence their upload errors).
/// [unverified] the quota figures of Workspace users and service accounts.
pub(super) fn storage_limit(email: &str) -> Option<u64> {
    if is_service_account(email) {
        Some(0)
    } else if email.ends_with(&format!("@{WORKSPACE_DOMAIN}")) {
        None
    } else {
        Some(15 * 1024 * 1024 * 1024)
    }
}

pub(super) async fn get(req: Request) -> Result<Response> {
    let caller = req.caller(Need::Metadata)?;
    let selection = req.params.select_required(&fields::ABOUT)?;
    let (usage, trashed) = req.state.google.data().drive.usage(&caller.email);
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
        "user": user_json(&caller.email, &caller.email),
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
