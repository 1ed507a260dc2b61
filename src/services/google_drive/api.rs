//! Drive's request plumbing: IDs as path segments, requests with the call's token, paged
//! listings and searches.

use std::collections::HashSet;

use serde_json::Value;
use url::Url;

use super::profile::{explain, ENDPOINT, PROFILE};
use crate::error::{Error, Result};
use crate::schema::Args;
use crate::transport::{send_json, Context, Request};

pub(super) const FOLDER_MIME: &str = "application/vnd.google-apps.folder";
/// The largest page Drive gives for files (fewer round trips).
const FILES_PAGE: &str = "1000";
/// The most pages and items a list walked to its end may have (the items are kept in memory):
/// a server giving more is taken for one that never ends.
const MAX_PAGES: usize = 10_000;
const MAX_ITEMS: usize = 200_000;

/// A path segment: an ID as given, with anything that is not URL-safe escaped, so an odd ID
/// cannot turn into another path or a query. Every ID that goes into a path comes through here:
/// an empty one, `.` and `..` would be dot segments that URL normalisation climbs out of
/// (`DELETE /files/{id}/comments/..` is `DELETE /files/{id}/`), so they are refused.
pub(super) fn segment(id: &str) -> Result<String> {
    if id.trim().is_empty() {
        return Err(Error::invalid_params("an ID is empty"));
    }
    if id == "." || id == ".." {
        return Err(Error::invalid_params(format!("`{id}` is not an ID")));
    }
    let mut out = String::with_capacity(id.len());
    for byte in id.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    Ok(out)
}

/// A Drive v3 URL (`path` under `/drive/v3`). Every call says it knows shared drives
/// (`supportsAllDrives=true`): without it Drive acts as if their items did not exist.
pub(super) fn api(ctx: &Context, path: &str) -> Result<Url> {
    let mut url = ctx.url(&ENDPOINT, &format!("/drive/v3{path}"))?;
    url.query_pairs_mut().append_pair("supportsAllDrives", "true");
    Ok(url)
}

/// `/files/{file_id}{suffix}` of the call's `file_id`.
pub(super) fn file_path(args: &Args, suffix: &str) -> Result<String> {
    Ok(format!("/files/{}{suffix}", segment(args.str("file_id")?)?))
}

/// Sends a request with the call's token; quota errors say what ran out.
pub(super) async fn send(ctx: &Context, request: Request) -> Result<Value> {
    send_json(ctx, &request.authorized()).await.map_err(explain)
}

/// Every item of a paged list: follows `nextPageToken` until there is none (pages may be
/// partial or empty before the end). A token given twice (pages in a circle) or more than
/// [`MAX_PAGES`] pages are an `invalid_response`.
pub(super) async fn list_all(
    ctx: &Context,
    path: &str,
    query: &[(&str, String)],
    items_key: &str,
) -> Result<Vec<Value>> {
    let mut items = Vec::new();
    let mut page_token: Option<String> = None;
    let mut tokens = HashSet::new();
    loop {
        if tokens.len() >= MAX_PAGES || items.len() > MAX_ITEMS {
            let message = format!(
                "Google Drive's list {path} goes on past {MAX_PAGES} pages or {MAX_ITEMS} items: a list that never ends"
            );
            return Err(PROFILE.invalid_response(message));
        }
        let mut request = Request::get(&PROFILE, api(ctx, path)?);
        for (key, value) in query {
            request = request.query(key, value);
        }
        if let Some(token) = &page_token {
            request = request.query("pageToken", token);
        }
        let page = send(ctx, request).await?;
        if let Some(list) = page.get(items_key).and_then(Value::as_array) {
            items.extend(list.iter().cloned());
        }
        match page
            .get("nextPageToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            Some(next) if !tokens.insert(next.to_string()) => {
                return Err(
                    PROFILE.invalid_response("Google Drive's pages go round in a circle (a page token came back)")
                )
            }
            Some(next) => page_token = Some(next.to_string()),
            None => return Ok(items),
        }
    }
}

/// A string literal of Drive's query language: single quotes, `\` and `'` escaped.
pub(super) fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Files or folders (not trashed), by name and parent, in My Drive or the shared drive
/// `drive_id`.
pub(super) async fn search(
    ctx: &Context,
    folders: bool,
    (name_contains, parent): (Option<&str>, Option<&str>),
    drive_id: Option<&str>,
) -> Result<Vec<Value>> {
    let mut q = format!(
        "mimeType {} {} and trashed = false",
        if folders { "=" } else { "!=" },
        quoted(FOLDER_MIME)
    );
    if let Some(name) = name_contains.filter(|n| !n.is_empty()) {
        q.push_str(&format!(" and name contains {}", quoted(name)));
    }
    if let Some(parent) = parent.filter(|p| !p.is_empty()) {
        q.push_str(&format!(" and {} in parents", quoted(parent)));
    }
    let mut query = vec![
        ("q", q),
        ("fields", "*".to_string()),
        ("pageSize", FILES_PAGE.to_string()),
    ];
    query.extend(corpus(drive_id));
    list_all(ctx, "/files", &query, "files").await
}

/// The query that makes a list cover one shared drive (nothing for My Drive).
pub(super) fn corpus(drive_id: Option<&str>) -> Vec<(&'static str, String)> {
    match drive_id.filter(|id| !id.is_empty()) {
        Some(id) => vec![
            ("corpora", "drive".to_string()),
            ("driveId", id.to_string()),
            ("includeItemsFromAllDrives", "true".to_string()),
        ],
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_are_escaped() {
        assert_eq!(quoted(r"O'Brien \ x"), r"'O\'Brien \\ x'");
    }

    #[test]
    fn ids_cannot_leave_their_segment() {
        assert_eq!(segment("../a?b").unwrap(), "..%2Fa%3Fb");
        assert_eq!(segment("...").unwrap(), "...");
        for refused in ["", " ", ".", ".."] {
            assert!(segment(refused).is_err(), "{refused:?}");
        }
    }
}
