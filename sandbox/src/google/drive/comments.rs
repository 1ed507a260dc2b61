//! comments.create, list, get, update and delete (docs/protocols.md §4.7).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::listing::{decode_page_token, encode_page_token};
use super::metadata::string_field;
use super::model::{Comment, Role};
use super::render::{comment_json, parse_rfc3339};
use super::{body_metadata, caller_of, fields, find, no_content, ok, Need, Params, Result};
use crate::google::{now_ms, ApiError};
use crate::state::AppState;
use crate::util::random_from;

// ---------------------------------------------------------------------------------------------
// comments

pub(super) fn comment_not_found(id: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "notFound", format!("Comment not found: {id}.")).at("commentId", "parameter")
}

pub(super) async fn create(
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response> {
    let params = Params::new(query);
    let caller = caller_of(&state, &headers, &params, Need::Write)?;
    let selection = params.select_required(&fields::COMMENT)?;
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

pub(super) async fn list(
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let params = Params::new(query);
    let caller = caller_of(&state, &headers, &params, Need::Metadata)?;
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

pub(super) async fn get(
    AxumState(state): AxumState<AppState>,
    Path((id, comment_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let params = Params::new(query);
    let caller = caller_of(&state, &headers, &params, Need::Metadata)?;
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

pub(super) async fn update(
    AxumState(state): AxumState<AppState>,
    Path((id, comment_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response> {
    let params = Params::new(query);
    let caller = caller_of(&state, &headers, &params, Need::Write)?;
    let selection = params.select_required(&fields::COMMENT)?;
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

pub(super) async fn delete(
    AxumState(state): AxumState<AppState>,
    Path((id, comment_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let params = Params::new(query);
    let caller = caller_of(&state, &headers, &params, Need::Write)?;
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
