//! File content: `alt=media` downloads with `Range`, and exports of Docs Editors files.

use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::model::{export_formats, Content, Role};
use super::{blobs, find, Need, Params, Request, Result};
use crate::google::oauth::Caller;
use crate::google::ApiError;
use crate::range::Span;
use crate::state::Shared;

/// Exports are limited to 10 MB (docs/protocols.md §4.2).
pub(super) const EXPORT_LIMIT: u64 = 10 * 1024 * 1024;

/// `alt=media`: the bytes, or the requested `Range` of them with 206 (unless the sandbox plays
/// a host that ignores ranges: setting `ignore_range`).
pub(super) async fn download(
    state: &Shared,
    caller: &Caller,
    id: &str,
    params: &Params,
    headers: &HeaderMap,
    now: i64,
) -> Result<Response> {
    let (mime, content) = downloadable(state, caller, id, params, now)?;
    let size = content.as_ref().map_or(0, |c| c.size);
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let range = range.filter(|_| !state.settings().ignore_range);
    let span = match Span::of(range, size) {
        Ok(span) => span,
        Err(headers) => return Ok(with_headers(StatusCode::RANGE_NOT_SATISFIABLE, Body::empty(), headers)),
    };
    let body = match &content {
        Some(content) => {
            let file = std::fs::File::open(state.google.blob_path(&content.blob))
                .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internalError", e.to_string()))?;
            span.body(file)
        }
        None => Body::empty(),
    };
    let mut headers = span.headers();
    headers.push((header::CONTENT_TYPE, mime));
    Ok(with_headers(span.status, body, headers))
}

/// The type and content of a file the caller may download; Google's 403s for Docs Editors
/// files and for malware the owner has not acknowledged.
pub(super) fn downloadable(
    state: &Shared,
    caller: &Caller,
    id: &str,
    params: &Params,
    now: i64,
) -> Result<(String, Option<Content>)> {
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
    if file.content.as_ref().is_some_and(|c| c.abusive) && !(params.flag("acknowledgeAbuse") && role == Role::Owner) {
        return Err(ApiError::forbidden(
            "cannotDownloadAbusiveFile",
            "This file has been identified as malware or spam and cannot be downloaded.",
        )
        .at("acknowledgeAbuse", "parameter"));
    }
    Ok((file.mime_type.clone(), file.content.clone()))
}

pub(super) fn with_headers(status: StatusCode, body: Body, headers: Vec<(HeaderName, String)>) -> Response {
    let mut response = (status, body).into_response();
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// `files.export` of a Docs Editors file. The bytes are deterministic stand-ins built from the
/// document's text (what was imported into it), not real conversions.
pub(super) async fn export(req: Request, Path(id): Path<String>) -> Result<Response> {
    let caller = req.caller(Need::Content)?;
    let Some(target) = req.params.get("mimeType").map(String::from) else {
        return Err(ApiError::required_parameter("mimeType"));
    };
    let now = req.now();
    let (file_id, source_mime, content) = {
        let mut data = req.state.google.data();
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
            String::from_utf8_lossy(&blobs::read_prefix(&req.state.google, &content.blob, EXPORT_LIMIT).await)
                .into_owned()
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

pub(super) fn export_bytes(id: &str, mime: &str, text: &str) -> Vec<u8> {
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
