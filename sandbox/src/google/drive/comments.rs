//! comments.create, list, get, update and delete (docs/protocols.md §4.7).

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::metadata::string_field;
use super::model::{Comment, File, Role};
use super::render::{comment_json, parse_rfc3339};
use super::{body_metadata, fields, no_content, ok, Need, Request, Result};
use crate::google::ApiError;
use crate::util::random_from;

pub(super) fn comment_not_found(id: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "notFound", format!("Comment not found: {id}.")).at("commentId", "parameter")
}

/// The `content` a comment body must have.
fn required_content(body: &Value) -> Result<String> {
    let content = string_field(body, "content")?.filter(|c| !c.is_empty());
    let missing = || ApiError::bad_request("required", "Required parameter: content").at("content", "parameter");
    content.map(String::from).ok_or_else(missing)
}

/// A comment of `file` that is not deleted; 404 otherwise.
fn live_comment<'a>(file: &'a mut File, comment_id: &str) -> Result<&'a mut Comment> {
    file.comments
        .iter_mut()
        .find(|c| c.id == comment_id && !c.deleted)
        .ok_or_else(|| comment_not_found(comment_id))
}

pub(super) async fn create(req: Request, Path(id): Path<String>, body: Bytes) -> Result<Response> {
    let caller = req.caller(Need::Write)?;
    let selection = req.params.select_required(&fields::COMMENT)?;
    let body = body_metadata(&body)?;
    let content = required_content(&body)?;
    let now = req.now();
    let (mut data, id, role) = req.open(&caller, &id)?;
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
    data.drive.file_mut(&id)?.comments.push(comment);
    Ok(ok(fields::apply(value, &selection)))
}

pub(super) async fn list(req: Request, Path(id): Path<String>) -> Result<Response> {
    let caller = req.caller(Need::Metadata)?;
    let selection = req.params.select_required(&fields::COMMENT_LIST)?;
    let since = match req.params.get("startModifiedTime") {
        None => None,
        Some(text) => Some(parse_rfc3339(text).ok_or_else(|| ApiError::invalid_parameter("startModifiedTime"))?),
    };
    let (data, id, _) = req.open(&caller, &id)?;
    let paging = req.paging(format!("comments-{id}"), 20, 100)?;
    let include_deleted = req.params.flag("includeDeleted");
    let all: Vec<Value> = data.drive.files[&id]
        .comments
        .iter()
        .filter(|c| include_deleted || !c.deleted)
        .filter(|c| since.is_none_or(|since| c.modified_ms >= since))
        .map(|c| comment_json(c, &caller.email))
        .collect();
    Ok(ok(fields::apply(
        paging.list("drive#commentList", "comments", &all),
        &selection,
    )))
}

pub(super) async fn get(req: Request, Path((id, comment_id)): Path<(String, String)>) -> Result<Response> {
    let caller = req.caller(Need::Metadata)?;
    let selection = req.params.select_required(&fields::COMMENT)?;
    let (data, id, _) = req.open(&caller, &id)?;
    let comment = data.drive.files[&id]
        .comments
        .iter()
        .find(|c| c.id == comment_id && (!c.deleted || req.params.flag("includeDeleted")))
        .ok_or_else(|| comment_not_found(&comment_id))?;
    Ok(ok(fields::apply(comment_json(comment, &caller.email), &selection)))
}

pub(super) async fn update(
    req: Request,
    Path((id, comment_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let caller = req.caller(Need::Write)?;
    let selection = req.params.select_required(&fields::COMMENT)?;
    let body = body_metadata(&body)?;
    let content = required_content(&body)?;
    let now = req.now();
    let (mut data, id, _) = req.open(&caller, &id)?;
    let comment = live_comment(data.drive.file_mut(&id)?, &comment_id)?;
    if comment.author != caller.email {
        return Err(ApiError::insufficient_file_permissions());
    }
    comment.content = content;
    comment.modified_ms = now;
    Ok(ok(fields::apply(comment_json(comment, &caller.email), &selection)))
}

pub(super) async fn delete(req: Request, Path((id, comment_id)): Path<(String, String)>) -> Result<Response> {
    let caller = req.caller(Need::Write)?;
    let now = req.now();
    let (mut data, id, role) = req.open(&caller, &id)?;
    let comment = live_comment(data.drive.file_mut(&id)?, &comment_id)?;
    if comment.author != caller.email && role < Role::Owner {
        return Err(ApiError::insufficient_file_permissions());
    }
    comment.deleted = true;
    comment.modified_ms = now;
    Ok(no_content())
}
