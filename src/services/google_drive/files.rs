//! Drive's metadata, folder, comment, trash and permission methods.

use serde_json::{json, Map, Value};

use super::api::{api, file_path, list_all, search, segment, send, FOLDER_MIME};
use super::profile::PROFILE;
use crate::error::{Error, Result};
use crate::schema::{Args, Call};
use crate::transport::Request;

/// The largest page Drive gives for comments and permissions (fewer round trips).
const COMMENTS_PAGE: &str = "100";
const PERMISSIONS_PAGE: &str = "100";
const DRIVES_PAGE: &str = "100";

pub(super) async fn get_object_information(call: Call) -> Result<Value> {
    let request = Request::get(&PROFILE, api(&call.ctx, &file_path(&call.args, "")?)?).query("fields", "*");
    send(&call.ctx, request).await
}

pub(super) async fn get_directories_list(call: Call) -> Result<Value> {
    let name = call.args.opt_str("name_contains");
    let drive_id = call.args.opt_str("drive_id");
    let mut folders = search(&call.ctx, true, (name, None), drive_id).await?;
    if call.args.bool("detailed") {
        for folder in &mut folders {
            let id = folder.get("id").and_then(Value::as_str).unwrap_or("").to_string();
            let files = search(&call.ctx, false, (None, Some(&id)), drive_id).await?;
            folder["files"] = Value::Array(files);
        }
    }
    Ok(Value::Array(folders))
}

pub(super) async fn get_files_list(call: Call) -> Result<Value> {
    let args = &call.args;
    let filter = (args.opt_str("name_contains"), args.opt_str("directory"));
    let files = search(&call.ctx, false, filter, args.opt_str("drive_id")).await?;
    Ok(Value::Array(files))
}

pub(super) async fn get_shared_drives(call: Call) -> Result<Value> {
    let query = [("pageSize", DRIVES_PAGE.to_string())];
    let drives = list_all(&call.ctx, "/drives", &query, "drives").await?;
    Ok(Value::Array(drives))
}

pub(super) async fn create_folder(call: Call) -> Result<Value> {
    let args = &call.args;
    let metadata = json!({
        "name": args.str("name")?,
        "mimeType": FOLDER_MIME,
        "parents": [args.opt_str("parent").filter(|p| !p.is_empty()).unwrap_or("root")],
    });
    // Not idempotent: a create that may have arrived is not sent again (it would make two).
    let request = Request::post(&PROFILE, api(&call.ctx, "/files")?)
        .query("fields", "*")
        .json(metadata);
    send(&call.ctx, request).await
}

pub(super) async fn copy_object(call: Call) -> Result<Value> {
    let args = &call.args;
    let mut metadata = Map::new();
    if let Some(name) = args.opt_str("new_name").filter(|n| !n.is_empty()) {
        metadata.insert("name".into(), json!(name));
    }
    if let Some(parent) = args.opt_str("new_parent").filter(|p| !p.is_empty()) {
        metadata.insert("parents".into(), json!([parent]));
    }
    let request = Request::post(&PROFILE, api(&call.ctx, &file_path(&call.args, "/copy")?)?)
        .query("fields", "*")
        .json(Value::Object(metadata));
    send(&call.ctx, request).await
}

pub(super) async fn delete_object(call: Call) -> Result<Value> {
    send(
        &call.ctx,
        Request::delete(&PROFILE, api(&call.ctx, &file_path(&call.args, "")?)?),
    )
    .await
}

pub(super) async fn get_file_description(call: Call) -> Result<Value> {
    // OPI's template, with its example values (or empty ones).
    Ok(if call.args.bool("clear") {
        json!({"MIME": "", "Name": "", "Description": "", "Parent": ""})
    } else {
        json!({"MIME": "image/jpeg", "Name": "New file.jpg", "Description": "This is a new file", "Parent": "root"})
    })
}

fn comments_path(args: &Args) -> Result<String> {
    file_path(args, "/comments")
}

fn comment_path(args: &Args) -> Result<String> {
    Ok(format!(
        "{}/{}",
        comments_path(args)?,
        segment(args.str("comment_id")?)?
    ))
}

pub(super) async fn create_comment(call: Call) -> Result<Value> {
    // `fields` is required by every comments method but delete.
    let request = Request::post(&PROFILE, api(&call.ctx, &comments_path(&call.args)?)?)
        .query("fields", "*")
        .json(json!({"content": call.args.str("comment")?}));
    send(&call.ctx, request).await
}

pub(super) async fn get_comment(call: Call) -> Result<Value> {
    let request = Request::get(&PROFILE, api(&call.ctx, &comment_path(&call.args)?)?).query("fields", "*");
    send(&call.ctx, request).await
}

pub(super) async fn get_comment_list(call: Call) -> Result<Value> {
    let query = [("fields", "*".to_string()), ("pageSize", COMMENTS_PAGE.to_string())];
    let comments = list_all(&call.ctx, &comments_path(&call.args)?, &query, "comments").await?;
    Ok(json!({"kind": "drive#commentList", "comments": comments}))
}

pub(super) async fn delete_comment(call: Call) -> Result<Value> {
    send(
        &call.ctx,
        Request::delete(&PROFILE, api(&call.ctx, &comment_path(&call.args)?)?),
    )
    .await
}

pub(super) async fn move_to_trash(call: Call) -> Result<Value> {
    let request = Request::patch(&PROFILE, api(&call.ctx, &file_path(&call.args, "")?)?)
        .query("fields", "*")
        .json(json!({"trashed": true}));
    send(&call.ctx, request).await
}

pub(super) async fn empty_trash(call: Call) -> Result<Value> {
    send(&call.ctx, Request::delete(&PROFILE, api(&call.ctx, "/files/trash")?)).await
}

pub(super) async fn create_permission(call: Call) -> Result<Value> {
    let args = &call.args;
    let kind = args.str("type")?;
    let mut permission = json!({"role": args.str("role")?, "type": kind});
    match kind {
        "user" | "group" => {
            let email = args
                .opt_str("email")
                .filter(|e| !e.is_empty())
                .ok_or_else(|| Error::invalid_params(format!("a `{kind}` permission needs `email`")))?;
            permission["emailAddress"] = json!(email);
        }
        "domain" => {
            let domain = args
                .opt_str("domain")
                .filter(|d| !d.is_empty())
                .ok_or_else(|| Error::invalid_params("a `domain` permission needs `domain`"))?;
            permission["domain"] = json!(domain);
        }
        "anyone" => {}
        other => {
            return Err(Error::invalid_params(format!(
                "`type` must be user, group, domain or anyone, not `{other}`"
            )))
        }
    }
    let request = Request::post(&PROFILE, api(&call.ctx, &file_path(&call.args, "/permissions")?)?)
        .query("fields", "*")
        .json(permission);
    send(&call.ctx, request).await
}

pub(super) async fn get_permissions(call: Call) -> Result<Value> {
    let query = [("fields", "*".to_string()), ("pageSize", PERMISSIONS_PAGE.to_string())];
    let permissions = list_all(
        &call.ctx,
        &file_path(&call.args, "/permissions")?,
        &query,
        "permissions",
    )
    .await?;
    Ok(json!({"kind": "drive#permissionList", "permissions": permissions}))
}

pub(super) async fn delete_permission(call: Call) -> Result<Value> {
    let path = format!(
        "{}/{}",
        file_path(&call.args, "/permissions")?,
        segment(call.args.str("permission_id")?)?
    );
    send(&call.ctx, Request::delete(&PROFILE, api(&call.ctx, &path)?)).await
}
