//! The Disk's metadata and mutation methods.

use serde_json::{json, Value};

use super::api::{
    after_removal, api_request, disk_path, folder_items, get, invalid_answer, linked_path, make_folder, make_folders,
    mutate, names_in, operation_id, opt_path_arg, optional_query, path_arg, resource, resource_after, upload_link,
    Mutation,
};
use crate::error::Result;
use crate::schema::Call;
use crate::transport::{send_json, Request};

pub(super) async fn get_disk_information(call: Call) -> Result<Value> {
    get(&call.ctx, "/", &optional_query(&call.args, &[("fields", "fields")])).await
}

pub(super) async fn create_folder(call: Call) -> Result<Value> {
    let path = path_arg(&call.args, "path")?;
    if call.args.bool("parents") {
        make_folders(&call.ctx, &path).await?;
        return resource(&call.ctx, &path, call.args.opt_str("fields")).await;
    }
    make_folder(&call.ctx, &path, false).await?;
    resource(&call.ctx, &path, call.args.opt_str("fields")).await
}

pub(super) async fn get_object(call: Call) -> Result<Value> {
    let mut query = vec![("path", path_arg(&call.args, "path")?)];
    query.extend(optional_query(
        &call.args,
        &[
            ("limit", "limit"),
            ("offset", "offset"),
            ("sort", "sort"),
            ("fields", "fields"),
        ],
    ));
    get(&call.ctx, "/resources", &query).await
}

pub(super) async fn get_folder_items(call: Call) -> Result<Value> {
    let (items, path) = folder_items(
        &call.ctx,
        &path_arg(&call.args, "path")?,
        call.args.opt_str("sort"),
        None,
    )
    .await?;
    Ok(json!({"path": path, "total": items.len(), "items": items}))
}

pub(super) async fn delete_object(call: Call) -> Result<Value> {
    let query = [
        ("path", path_arg(&call.args, "path")?),
        ("permanently", (!call.args.bool("to_trash")).to_string()),
    ];
    let request = api_request(&call.ctx, reqwest::Method::DELETE, "/resources", &query)?;
    Ok(after_removal(mutate(&call.ctx, request, call.args.bool("wait")).await?))
}

async fn copy_or_move(call: Call, action: &str) -> Result<Value> {
    let to = path_arg(&call.args, "to")?;
    let query = [
        ("from", path_arg(&call.args, "from")?),
        ("path", to.clone()),
        ("overwrite", call.args.bool("overwrite").to_string()),
    ];
    let request = api_request(
        &call.ctx,
        reqwest::Method::POST,
        &format!("/resources/{action}"),
        &query,
    )?;
    mutate_to_resource(&call, request, &to).await
}

/// A mutation that leaves a resource at `path`: its JSON once done (polling an asynchronous
/// operation when the call waits), or the operation link when it does not.
async fn mutate_to_resource(call: &Call, request: Request, path: &str) -> Result<Value> {
    let mutation = mutate(&call.ctx, request, call.args.bool("wait")).await?;
    resource_after(&call.ctx, mutation, path, call.args.opt_str("fields")).await
}

pub(super) async fn create_object_copy(call: Call) -> Result<Value> {
    copy_or_move(call, "copy").await
}

pub(super) async fn move_object(call: Call) -> Result<Value> {
    copy_or_move(call, "move").await
}

pub(super) async fn get_download_link(call: Call) -> Result<Value> {
    get(
        &call.ctx,
        "/resources/download",
        &[("path", path_arg(&call.args, "path")?)],
    )
    .await
}

pub(super) async fn get_file_upload_link(call: Call) -> Result<Value> {
    upload_link(&call.ctx, &path_arg(&call.args, "path")?, call.args.bool("overwrite")).await
}

pub(super) async fn get_files_list(call: Call) -> Result<Value> {
    let path = if call.args.bool("sort_by_date") {
        "/resources/last-uploaded"
    } else {
        "/resources/files"
    };
    let query = optional_query(
        &call.args,
        &[("limit", "limit"), ("offset", "offset"), ("media_type", "media_type")],
    );
    get(&call.ctx, path, &query).await
}

pub(super) async fn upload_file_by_url(call: Call) -> Result<Value> {
    let path = path_arg(&call.args, "path")?;
    let query = [("url", call.args.str("url")?.to_string()), ("path", path.clone())];
    // A POST, sent once: Yandex fetches the URL itself and does not retry (docs/protocols.md §2.3).
    let request = api_request(&call.ctx, reqwest::Method::POST, "/resources/upload", &query)?;
    mutate_to_resource(&call, request, &path).await
}

pub(super) async fn publish_object(call: Call) -> Result<Value> {
    publication(call, "publish").await
}

pub(super) async fn cancel_object_publication(call: Call) -> Result<Value> {
    publication(call, "unpublish").await
}

async fn publication(call: Call, action: &str) -> Result<Value> {
    let path = path_arg(&call.args, "path")?;
    let request = api_request(
        &call.ctx,
        reqwest::Method::PUT,
        &format!("/resources/{action}"),
        &[("path", path.clone())],
    )?;
    send_json(&call.ctx, &request).await?;
    resource(&call.ctx, &path, call.args.opt_str("fields")).await
}

pub(super) async fn get_published_objects_list(call: Call) -> Result<Value> {
    get(
        &call.ctx,
        "/resources/public",
        &optional_query(&call.args, &[("limit", "limit"), ("offset", "offset")]),
    )
    .await
}

pub(super) async fn get_public_object(call: Call) -> Result<Value> {
    let mut query = vec![("public_key", call.args.str("url")?.to_string())];
    query.extend(optional_query(
        &call.args,
        &[("path", "path"), ("limit", "limit"), ("offset", "offset")],
    ));
    get(&call.ctx, "/public/resources", &query).await
}

pub(super) async fn get_download_link_for_public_object(call: Call) -> Result<Value> {
    let mut query = vec![("public_key", call.args.str("url")?.to_string())];
    query.extend(optional_query(&call.args, &[("path", "path")]));
    get(&call.ctx, "/public/resources/download", &query).await
}

pub(super) async fn save_public_object_to_disk(call: Call) -> Result<Value> {
    let mut query = vec![("public_key", call.args.str("url")?.to_string())];
    query.extend(optional_query(&call.args, &[("path", "from")]));
    let to = opt_path_arg(&call.args, "to")?;
    if let Some(to) = &to {
        query.push(("save_path", to.clone()));
    }
    // An asynchronous save does not say where the copy went (a name clash renames it), so the
    // folder is listed before and after to find the new item.
    let folder = to.unwrap_or_else(|| DOWNLOADS.to_string());
    let before = names_in(&call.ctx, &folder).await?;
    let request = api_request(
        &call.ctx,
        reqwest::Method::POST,
        "/public/resources/save-to-disk",
        &query,
    )?;
    match mutate(&call.ctx, request, call.args.bool("wait")).await? {
        Mutation::Pending(link) => Ok(link),
        Mutation::Done(link) => match linked_path(&link) {
            Some(path) => resource(&call.ctx, &path, call.args.opt_str("fields")).await,
            None => {
                let after = names_in(&call.ctx, &folder).await?;
                match after.difference(&before).next() {
                    Some(name) => resource(&call.ctx, &format!("{}/{name}", folder.trim_end_matches('/')), None).await,
                    None => Err(invalid_answer("a finished save whose copy cannot be found")),
                }
            }
        },
    }
}

/// Where Yandex Disk saves public resources unless told otherwise.
const DOWNLOADS: &str = "disk:/Загрузки";

pub(super) async fn get_operation_status(call: Call) -> Result<Value> {
    get(
        &call.ctx,
        &format!("/operations/{}", operation_id(call.args.str("operation")?)?),
        &[],
    )
    .await
}

pub(super) async fn get_trash_list(call: Call) -> Result<Value> {
    let mut query = vec![("path", call.args.opt_str("path").unwrap_or("trash:/").to_string())];
    query.extend(optional_query(
        &call.args,
        &[
            ("limit", "limit"),
            ("offset", "offset"),
            ("sort", "sort"),
            ("fields", "fields"),
        ],
    ));
    get(&call.ctx, "/trash/resources", &query).await
}

pub(super) async fn restore_from_trash(call: Call) -> Result<Value> {
    // A trash path as the trash names it (`trash:/name_hash`), sent as given; never empty.
    path_arg(&call.args, "path")?;
    let path = call.args.str("path")?.to_string();
    // Where it goes back to: its origin, or `name` (a new name, or a full path).
    let item = get(
        &call.ctx,
        "/trash/resources",
        &[("path", path.clone()), ("fields", "origin_path".into())],
    )
    .await?;
    let origin = item
        .get("origin_path")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let target = match call.args.opt_str("name") {
        Some(name) if name.contains('/') => disk_path(name),
        Some(name) => match origin.rsplit_once('/') {
            Some((parent, _)) => format!("{parent}/{name}"),
            None => disk_path(name),
        },
        None => origin,
    };
    let mut query = vec![("path", path), ("overwrite", call.args.bool("overwrite").to_string())];
    query.extend(optional_query(&call.args, &[("name", "name")]));
    let request = api_request(&call.ctx, reqwest::Method::PUT, "/trash/resources/restore", &query)?;
    mutate_to_resource(&call, request, &target).await
}

pub(super) async fn clear_trash(call: Call) -> Result<Value> {
    // Without `path` the whole trash is emptied; an empty `path` is refused rather than read so.
    opt_path_arg(&call.args, "path")?;
    let query = optional_query(&call.args, &[("path", "path")]);
    let request = api_request(&call.ctx, reqwest::Method::DELETE, "/trash/resources", &query)?;
    Ok(after_removal(mutate(&call.ctx, request, call.args.bool("wait")).await?))
}
