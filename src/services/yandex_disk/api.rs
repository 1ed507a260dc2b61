//! The Disk's request plumbing: paths, requests with the call's token, mutations and their
//! asynchronous operations, folder listings.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use url::Url;

use super::profile::{ENDPOINT, PROFILE};
use crate::error::{Error, ErrorCode, Result};
use crate::schema::Args;
use crate::transport::{send, send_json, Context, Request};

/// Items per page when the library walks a folder or a list to its end.
const PAGE: u64 = 100;
/// The most items a listing walked to its end may have (they are kept in memory): a server
/// giving more is taken for one that never ends.
const MAX_ITEMS: usize = 200_000;

/// The Disk path a parameter names, canonical (`disk_path`). An empty one is refused: the root
/// is named explicitly (`/`, `disk:/`, `app:/`), never by leaving a path out, so a variable
/// that happens to be empty cannot make DeleteObject remove `disk:/`.
pub(super) fn path_arg(args: &Args, key: &str) -> Result<String> {
    let raw = args.str(key)?;
    if raw.trim().is_empty() {
        return Err(Error::invalid_params(format!(
            "`{key}` is empty: name the root explicitly as `/` or `disk:/` (`app:/` for the app folder)"
        )));
    }
    Ok(disk_path(raw))
}

/// As [`path_arg`] for an optional path: absent is None, empty is refused.
pub(super) fn opt_path_arg(args: &Args, key: &str) -> Result<Option<String>> {
    match args.opt_str(key) {
        None => Ok(None),
        Some(_) => path_arg(args, key).map(Some),
    }
}

/// Canonical Disk path: explicit schemes are kept; a bare path is rooted at `disk:/`, which
/// also keeps names with `:` unambiguous (yadisk issue #26).
pub(super) fn disk_path(raw: &str) -> String {
    for scheme in ["disk:", "app:", "trash:", "photounlim:"] {
        if raw.starts_with(scheme) {
            return raw.to_string();
        }
    }
    if raw.starts_with('/') {
        format!("disk:{raw}")
    } else {
        format!("disk:/{raw}")
    }
}

/// A request to `/v1/disk{path}`, with the call's token when it has one (public resources may
/// be asked for without).
pub(super) fn api_request(
    ctx: &Context,
    method: reqwest::Method,
    path: &str,
    query: &[(&str, String)],
) -> Result<Request> {
    let mut url = ctx.url(&ENDPOINT, &format!("/v1/disk{path}"))?;
    {
        let mut pairs = url.query_pairs_mut();
        for (key, value) in query {
            pairs.append_pair(key, value);
        }
    }
    if url.query() == Some("") {
        url.set_query(None);
    }
    let request = match method {
        reqwest::Method::GET => Request::get(&PROFILE, url),
        reqwest::Method::PUT => Request::put(&PROFILE, url),
        reqwest::Method::DELETE => Request::delete(&PROFILE, url),
        reqwest::Method::PATCH => Request::patch(&PROFILE, url),
        _ => Request::post(&PROFILE, url),
    };
    Ok(if ctx.auth.is_some() {
        request.authorized()
    } else {
        request
    })
}

/// Query pairs of the optional parameters the call was given.
pub(super) fn optional_query(args: &Args, pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    pairs
        .iter()
        .filter_map(|(name, key)| {
            args.value(key).map(|value| match value {
                Value::String(text) => (*name, text.clone()),
                other => (*name, other.to_string()),
            })
        })
        .collect()
}

pub(super) async fn get(ctx: &Context, path: &str, query: &[(&str, String)]) -> Result<Value> {
    send_json(ctx, &api_request(ctx, reqwest::Method::GET, path, query)?).await
}

/// The resource at `path`, with only `fields` when given.
pub(super) async fn resource(ctx: &Context, path: &str, fields: Option<&str>) -> Result<Value> {
    let mut query = vec![("path", path.to_string())];
    if let Some(fields) = fields {
        query.push(("fields", fields.to_string()));
    }
    get(ctx, "/resources", &query).await
}

/// Merges `properties` into the resource's `custom_properties` (`PATCH /resources`) and returns
/// the resource.
pub(super) async fn set_custom_properties(ctx: &Context, path: &str, properties: &Value) -> Result<Value> {
    let request = api_request(ctx, reqwest::Method::PATCH, "/resources", &[("path", path.to_string())])?
        .json(json!({"custom_properties": properties}));
    send_json(ctx, &request).await
}

/// The resource at `path`, or None when the Disk says it does not exist.
pub(super) async fn resource_if_any(ctx: &Context, path: &str, fields: &str) -> Result<Option<Value>> {
    match resource(ctx, path, Some(fields)).await {
        Ok(found) => Ok(Some(found)),
        Err(error) if error.code == ErrorCode::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

pub(super) fn invalid_answer(what: &str) -> Error {
    PROFILE.invalid_response(format!("Yandex Disk answered {what}"))
}

/// How a mutation ended: done at once (201/200/204), with the Link of the answer if any, or
/// asynchronously with an operation link that is returned when the caller does not wait.
pub(super) enum Mutation {
    Done(Option<Value>),
    Pending(Value),
}

pub(super) async fn mutate(ctx: &Context, request: Request, wait: bool) -> Result<Mutation> {
    let reply = send(ctx, &request).await?;
    if !reply.is_success() {
        return Err(PROFILE.error(&reply));
    }
    let body = reply.json(&PROFILE)?;
    if reply.status != 202 {
        return Ok(Mutation::Done(Some(body).filter(|b| b.get("href").is_some())));
    }
    let Some(href) = body.get("href").and_then(Value::as_str) else {
        return Ok(Mutation::Done(None));
    };
    if !wait {
        return Ok(Mutation::Pending(body.clone()));
    }
    wait_for_operation(ctx, href).await?;
    Ok(Mutation::Done(None))
}

/// The `path` a resource Link points at (`…/v1/disk/resources?path=disk%3A%2Fa`).
pub(super) fn linked_path(link: &Option<Value>) -> Option<String> {
    let href = link.as_ref()?.get("href")?.as_str()?;
    let url = Url::parse(href).ok()?;
    let path = url
        .query_pairs()
        .find(|(key, _)| key == "path")
        .map(|(_, value)| value.into_owned());
    path
}

/// The operation id of an id or an operation href, as a path segment: escaped, and never
/// empty, `.` or `..` (a dot segment would climb out of `/operations/`).
pub(super) fn operation_id(operation: &str) -> Result<String> {
    let without_query = operation.split(['?', '#']).next().unwrap_or(operation);
    let id = without_query
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(without_query);
    if id.trim().is_empty() || id == "." || id == ".." {
        return Err(Error::invalid_params(format!(
            "`{}` names no operation",
            crate::error::excerpt(operation, crate::error::ECHO_CHARS)
        )));
    }
    let mut escaped = String::with_capacity(id.len());
    for byte in id.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => escaped.push(byte as char),
            _ => escaped.push_str(&format!("%{byte:02X}")),
        }
    }
    Ok(escaped)
}

/// Polls an operation until it succeeds (Ok), fails (`operation_failed`) or outlasts
/// transfers.operation_timeout_s (`timeout`); the interval grows from 0.2 s to 2 s.
pub(super) async fn wait_for_operation(ctx: &Context, operation: &str) -> Result<()> {
    let id = operation_id(operation).map_err(|_| invalid_answer("an operation link that names no operation"))?;
    let limit = Duration::from_secs_f64(ctx.config.transfers.operation_timeout_s);
    let started = Instant::now();
    let mut interval = Duration::from_millis(200);
    loop {
        let state = get(ctx, &format!("/operations/{id}"), &[]).await?;
        match state.get("status").and_then(Value::as_str) {
            Some("success") => return Ok(()),
            Some("failed" | "failure") => {
                return Err(Error::new(
                    ErrorCode::OperationFailed,
                    format!("Yandex Disk operation {id} failed (the service gives no reason)"),
                )
                .with_service(PROFILE.id))
            }
            _ => {}
        }
        if started.elapsed() >= limit {
            return Err(Error::new(
                ErrorCode::Timeout,
                format!(
                    "operation {id} is still in progress after {} s: poll it with GetOperationStatus",
                    limit.as_secs()
                ),
            ));
        }
        ctx.progress.sleep(interval).await?;
        interval = (interval * 2).min(Duration::from_secs(2));
    }
}

/// The answer of a mutation that leaves a resource behind: its JSON (or the operation link).
pub(super) async fn resource_after(
    ctx: &Context,
    mutation: Mutation,
    fallback_path: &str,
    fields: Option<&str>,
) -> Result<Value> {
    match mutation {
        Mutation::Pending(link) => Ok(link),
        Mutation::Done(link) => {
            let path = linked_path(&link).unwrap_or_else(|| fallback_path.to_string());
            resource(ctx, &path, fields).await
        }
    }
}

pub(super) fn after_removal(mutation: Mutation) -> Value {
    match mutation {
        Mutation::Pending(link) => link,
        Mutation::Done(_) => json!({}),
    }
}

/// Creates a folder and every missing parent (`mkdir -p`).
pub(super) async fn make_folders(ctx: &Context, path: &str) -> Result<()> {
    let (scheme, rest) = path.split_once(":/").unwrap_or(("disk", path));
    let mut current = format!("{scheme}:");
    for part in rest.split('/').filter(|p| !p.is_empty()) {
        current = format!("{current}/{part}");
        make_folder(ctx, &current, true).await?;
    }
    Ok(())
}

/// PUT /resources; with `existing_ok`, a folder that is already there is fine.
pub(super) async fn make_folder(ctx: &Context, path: &str, existing_ok: bool) -> Result<()> {
    let request = api_request(ctx, reqwest::Method::PUT, "/resources", &[("path", path.to_string())])?;
    match send_json(ctx, &request).await {
        Ok(_) => Ok(()),
        Err(error)
            if existing_ok
                && error.code == ErrorCode::Conflict
                && error
                    .upstream
                    .as_ref()
                    .and_then(|u| u.get("error"))
                    .and_then(Value::as_str)
                    == Some("DiskPathPointsToExistentDirectoryError") =>
        {
            Ok(())
        }
        Err(error) => Err(error),
    }
}

/// Every item of a folder, page by page, and the folder's canonical path. A server that
/// ignores `offset` (a page with nothing new) or never stops (more than [`MAX_ITEMS`]) is an
/// `invalid_response`; an item met twice (the folder changed between pages) is taken once.
pub(super) async fn folder_items(
    ctx: &Context,
    path: &str,
    sort: Option<&str>,
    fields: Option<&str>,
) -> Result<(Vec<Value>, String)> {
    let mut items = Vec::new();
    let mut canonical = path.to_string();
    let mut seen = HashSet::new();
    let mut offset = 0u64;
    loop {
        if items.len() >= MAX_ITEMS {
            let message = format!("more than {MAX_ITEMS} items in one folder ({path}): a listing that never ends");
            return Err(invalid_answer(&message));
        }
        let mut query = vec![
            ("path", path.to_string()),
            ("limit", PAGE.to_string()),
            ("offset", offset.to_string()),
        ];
        query.extend(sort.map(|sort| ("sort", sort.to_string())));
        query.extend(fields.map(|fields| ("fields", fields.to_string())));
        let page = get(ctx, "/resources", &query).await?;
        let Some(embedded) = page.get("_embedded") else {
            return Err(Error::invalid_params(format!("{path} is a file, not a folder")));
        };
        if let Some(path) = page.get("path").and_then(Value::as_str) {
            canonical = path.to_string();
        }
        let batch = embedded
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let total = embedded.get("total").and_then(Value::as_u64).unwrap_or(0);
        let count = batch.len() as u64;
        offset += count;
        let before = items.len();
        for item in batch {
            if item_key(&item).is_none_or(|key| seen.insert(key)) {
                items.push(item);
            }
        }
        if count < PAGE || offset >= total {
            return Ok((items, canonical));
        }
        if items.len() == before {
            let message = format!("the same page of {path} again (offset {offset} ignored)");
            return Err(invalid_answer(&message));
        }
    }
}

/// What tells two items of a listing apart: their path, else their name (None when `fields`
/// left neither).
fn item_key(item: &Value) -> Option<String> {
    ["path", "name"]
        .iter()
        .find_map(|key| item.get(*key).and_then(Value::as_str).map(String::from))
}

/// The names in a folder; none when it does not exist (yet).
pub(super) async fn names_in(ctx: &Context, folder: &str) -> Result<HashSet<String>> {
    match folder_items(ctx, folder, None, Some("_embedded.items.name,_embedded.total,path")).await {
        Ok((items, _)) => Ok(items
            .iter()
            .filter_map(|item| item.get("name").and_then(Value::as_str).map(String::from))
            .collect()),
        Err(error) if error.code == ErrorCode::NotFound => Ok(HashSet::new()),
        Err(error) => Err(error),
    }
}

/// The upload link, asked for with transfers.upload_link_user_agent (by default the Disk desktop
/// client's) unless it is null: the rate of the upload is fixed when the link is issued, by the
/// agent that asked (docs/peers.md §3).
pub(super) async fn upload_link(ctx: &Context, path: &str, overwrite: bool) -> Result<Value> {
    let mut request = api_request(
        ctx,
        reqwest::Method::GET,
        "/resources/upload",
        &[("path", path.to_string()), ("overwrite", overwrite.to_string())],
    )?;
    if let Some(agent) = &ctx.config.transfers.upload_link_user_agent {
        request = request.header("user-agent", agent.clone());
    }
    send_json(ctx, &request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_get_an_explicit_scheme() {
        assert_eq!(disk_path("/a/b"), "disk:/a/b");
        assert_eq!(disk_path("a:b.txt"), "disk:/a:b.txt");
        assert_eq!(disk_path("app:/backup"), "app:/backup");
        assert_eq!(disk_path("trash:/x_1"), "trash:/x_1");
        assert_eq!(disk_path("disk:/x"), "disk:/x");
    }

    #[test]
    fn operation_ids_come_from_ids_or_hrefs() {
        assert_eq!(operation_id("abc").unwrap(), "abc");
        assert_eq!(
            operation_id("https://cloud-api.yandex.net/v1/disk/operations/abc?x=1").unwrap(),
            "abc"
        );
        assert_eq!(operation_id("a b").unwrap(), "a%20b");
        for refused in ["", "..", "x/..", ".", "/"] {
            assert!(operation_id(refused).is_err(), "{refused:?}");
        }
    }
}
