//! Uploads to Drive: one multipart/related request up to the threshold, the resumable protocol
//! above it (`resumable`); either way the stored file's size and sha256 (md5 where Drive reports
//! no sha256) are checked against what was sent, and a new file that does not hold it is
//! removed.

use std::path::Path;

use bytes::Bytes;
use serde_json::{json, Map, Value};
use url::Url;

use super::api::{api, segment, send};
use super::profile::{ENDPOINT, PROFILE};
use super::resumable::upload_resumable;
use crate::error::{Error, ErrorCode, Result};
use crate::oauth::random_urlsafe;
use crate::schema::{Args, Call};
use crate::services::params;
use crate::transfer::{verify, Checksums, Expected, Hashers, Source};
use crate::transport::{Context, Request};

/// Every chunk of a resumable upload but the last is a multiple of this (docs/protocols.md §4.5).
pub(super) const CHUNK_UNIT: u64 = 256 * 1024;

/// Where uploaded bytes go.
pub(super) enum Target {
    Create(Map<String, Value>),
    Update { id: String, metadata: Map<String, Value> },
}

impl Target {
    fn upload_url(&self, ctx: &Context, upload_type: &str) -> Result<Url> {
        let path = match self {
            Target::Create(_) => "/upload/drive/v3/files".to_string(),
            Target::Update { id, .. } => format!("/upload/drive/v3/files/{}", segment(id)?),
        };
        let mut url = ctx.url(&ENDPOINT, &path)?;
        url.query_pairs_mut()
            .append_pair("uploadType", upload_type)
            .append_pair("fields", "*")
            .append_pair("supportsAllDrives", "true");
        Ok(url)
    }

    pub(super) fn metadata(&self) -> Value {
        match self {
            Target::Create(metadata) | Target::Update { metadata, .. } => Value::Object(metadata.clone()),
        }
    }

    /// A request to the upload URL: a create is not idempotent (sent twice, it makes two files).
    pub(super) fn request(&self, ctx: &Context, upload_type: &str) -> Result<Request> {
        let url = self.upload_url(ctx, upload_type)?;
        Ok(match self {
            Target::Create(_) => Request::post(&PROFILE, url),
            Target::Update { .. } => Request::patch(&PROFILE, url),
        })
    }
}

/// OPI's description keys (any case, English or Russian) as Drive fields.
fn description_metadata(args: &Args) -> Result<Map<String, Value>> {
    let mut metadata = Map::new();
    let Some(Value::Object(description)) = args.value("description") else {
        return Ok(metadata);
    };
    for (key, value) in description {
        let text = match value {
            Value::String(text) => text.clone(),
            Value::Null => continue,
            other => other.to_string(),
        };
        if text.is_empty() {
            continue;
        }
        match key.to_lowercase().as_str() {
            // The media type goes into a header (X-Upload-Content-Type) or a part's header.
            "mime" | "mimetype" if text.chars().any(char::is_control) => {
                return Err(Error::invalid_params(
                    "`description.MIME` has a control character (CR, LF, DEL, …) no header can carry",
                ))
            }
            "mime" | "mimetype" => metadata.insert("mimeType".into(), json!(text)),
            "name" | "имя" => metadata.insert("name".into(), json!(text)),
            "description" | "описание" => metadata.insert("description".into(), json!(text)),
            "parent" | "родитель" => metadata.insert("parents".into(), json!([text])),
            _ => {
                return Err(Error::invalid_params(format!(
                    "unknown key `{}` in `description`; accepted: MIME, Name, Description, Parent",
                    crate::error::excerpt(key, crate::error::ECHO_CHARS)
                )))
            }
        };
    }
    Ok(metadata)
}

/// A media type for a file name, for the common kinds; Drive shows and previews by it.
pub(super) fn media_type_for(name: &str) -> &'static str {
    let extension = Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "xml" => "application/xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

/// How a file is sent: in chunks of `chunk` bytes above `threshold`, else in one request.
pub(super) struct UploadOptions {
    pub chunk: u64,
    pub threshold: u64,
}

impl Default for UploadOptions {
    /// As the methods' `chunk_size` and `resumable_threshold` default.
    fn default() -> UploadOptions {
        UploadOptions {
            chunk: DEFAULT_CHUNK,
            threshold: DEFAULT_THRESHOLD,
        }
    }
}

const DEFAULT_CHUNK: u64 = 8 * 1024 * 1024;
const DEFAULT_THRESHOLD: u64 = 5 * 1024 * 1024;

fn upload_options(args: &Args) -> Result<UploadOptions> {
    let chunk = args.opt_u64("chunk_size").unwrap_or(DEFAULT_CHUNK);
    if chunk == 0 || !chunk.is_multiple_of(CHUNK_UNIT) {
        return Err(Error::invalid_params(
            "`chunk_size` must be a multiple of 256 KiB (262144 bytes), as Drive requires",
        ));
    }
    Ok(UploadOptions {
        chunk,
        threshold: args.opt_u64("resumable_threshold").unwrap_or(DEFAULT_THRESHOLD),
    })
}

pub(super) async fn upload_file(call: Call) -> Result<Value> {
    let source = params::source(&call.args)?;
    let mut metadata = description_metadata(&call.args)?;
    if !metadata.contains_key("name") {
        let name = call
            .args
            .opt_str("file")
            .and_then(|path| Path::new(path).file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "Untitled".into());
        metadata.insert("name".into(), json!(name));
    }
    let media_type = metadata
        .get("mimeType")
        .and_then(Value::as_str)
        .map(String::from)
        .unwrap_or_else(|| media_type_for(metadata["name"].as_str().unwrap_or("")).to_string());
    let options = upload_options(&call.args)?;
    upload(&call.ctx, Target::Create(metadata), &source, &media_type, &options).await
}

pub(super) async fn update_file(call: Call) -> Result<Value> {
    let source = params::source(&call.args)?;
    let options = upload_options(&call.args)?;
    let id = call.args.str("file_id")?.to_string();
    // The new content keeps the file's type, as OPI does (and Drive would guess otherwise).
    let request =
        Request::get(&PROFILE, api(&call.ctx, &format!("/files/{}", segment(&id)?))?).query("fields", "mimeType");
    let current = send(&call.ctx, request).await?;
    let media_type = current
        .get("mimeType")
        .and_then(Value::as_str)
        .unwrap_or("application/octet-stream")
        .to_string();
    if media_type.starts_with("application/vnd.google-apps.") {
        return Err(Error::invalid_params(
            "the file is a folder or a Google document: it has no content to replace",
        ));
    }
    let mut metadata = Map::new();
    if let Some(name) = call.args.opt_str("new_name").filter(|n| !n.is_empty()) {
        metadata.insert("name".into(), json!(name));
    }
    upload(
        &call.ctx,
        Target::Update { id, metadata },
        &source,
        &media_type,
        &options,
    )
    .await
}

/// Uploads the source and checks the stored file's size and sha256 (md5 when Drive reports no
/// sha256) against what was sent.
pub(super) async fn upload(
    ctx: &Context,
    target: Target,
    source: &Source,
    media_type: &str,
    options: &UploadOptions,
) -> Result<Value> {
    let (file, sent) = if source.size() <= options.threshold {
        upload_multipart(ctx, &target, source, media_type).await?
    } else {
        upload_resumable(ctx, &target, source, media_type, options.chunk).await?
    };
    let field = |name: &str| file.get(name).and_then(Value::as_str).map(String::from);
    let stored = Expected {
        size: field("size").and_then(|s| s.parse::<u64>().ok()),
        md5: field("md5Checksum"),
        sha256: field("sha256Checksum"),
    };
    let with_md5;
    let actual = if stored.needs_md5() {
        with_md5 = source.checksums(true).await?;
        &with_md5
    } else {
        &sent
    };
    if verify(actual, &stored).is_err() {
        // Nothing wrong is left behind: a new file that does not hold what was sent goes.
        if let (Target::Create(_), Some(id)) = (&target, file.get("id").and_then(Value::as_str)) {
            if let Ok(url) = api(ctx, &format!("/files/{}", segment(id)?)) {
                let _ = send(ctx, Request::delete(&PROFILE, url)).await;
            }
        }
        let shown = |value: &Option<String>| value.clone().unwrap_or_else(|| "?".into());
        return Err(Error::new(
            ErrorCode::ChecksumMismatch,
            format!(
                "Drive stored {} bytes with sha256 {} (md5 {}), but {} bytes with sha256 {} were sent",
                stored.size.map_or("?".into(), |s| s.to_string()),
                shown(&stored.sha256),
                shown(&stored.md5),
                sent.size,
                sent.sha256
            ),
        )
        .with_service(PROFILE.id));
    }
    Ok(file)
}

/// One multipart/related request: the JSON metadata part, then the media part
/// (docs/protocols.md §4.5). Small by definition (below the threshold), so the body is built in
/// memory.
async fn upload_multipart(
    ctx: &Context,
    target: &Target,
    source: &Source,
    media_type: &str,
) -> Result<(Value, Checksums)> {
    let data = source.read_all().await?;
    let mut hashers = Hashers::default();
    hashers.update(&data);
    let boundary = format!("diskbridge_{}", random_urlsafe(18));
    let mut body = format!(
        "--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{}\r\n--{boundary}\r\nContent-Type: {media_type}\r\n\r\n",
        target.metadata()
    )
    .into_bytes();
    body.extend_from_slice(&data);
    body.extend_from_slice(format!("\r\n--{boundary}--").as_bytes());
    let request = target
        .request(ctx, "multipart")?
        .bytes(format!("multipart/related; boundary={boundary}"), Bytes::from(body));
    let file = send(ctx, request).await?;
    // Drive has the file: a cancel now cannot undo it, so the reply says what was stored.
    let _ = ctx.progress.report(data.len() as u64, data.len() as u64);
    Ok((file, hashers.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_by_extension() {
        assert_eq!(media_type_for("a.JPG"), "image/jpeg");
        assert_eq!(media_type_for("noext"), "application/octet-stream");
    }
}
