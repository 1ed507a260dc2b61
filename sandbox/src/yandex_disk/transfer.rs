//! The data plane (docs/protocols.md §2.4): the upload host (`/yandex-disk-upload`, `PUT` of the
//! raw bytes to a link from `GET /resources/upload`) and the download host
//! (`/yandex-disk-download`, `GET` with `Range`). Neither needs authorization: their links are
//! the credential. Upload links are random ids kept server side; download links are signed
//! (HMAC-SHA256 with a key of the store) and carry their expiry, like the service's.
//!
//! Contents live in files, one per upload (a "blob"), which copies share. An upload is written
//! to `<blob>.part` while MD5 and SHA-256 are computed on the way, and renamed to `<blob>` only
//! when complete, so nothing partial is ever visible; downloads stream from the file.

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::Router;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use md5::Md5;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::error::DiskError;
use super::mutations::{self, CommitUpload, Outcome};
use super::render::View;
use super::tree::FileData;
use super::{max_file_size, Inner};
use crate::range::Span;
use crate::state::AppState;
use crate::util::{hex, iso8601, parse_form, random_hex};

/// Upload links live 30 minutes (YDISK-DOCS), or less when `link_ttl_s` is shorter.
pub const UPLOAD_LINK_TTL_S: i64 = 30 * 60;
/// Bytes handed at once from the network to the writing and hashing threads of an upload,
/// and how many such handovers may wait for them.
const HANDOVER_BYTES: usize = 1024 * 1024;
const PIPELINE_DEPTH: usize = 8;

/// The directory of stored contents: `--data-dir`/yandex-disk-blobs, or one in the sandbox's
/// temporary directory (see `workdir.rs`, which removes it).
pub struct Blobs {
    dir: PathBuf,
}

impl Blobs {
    pub fn new(data_dir: Option<&Path>, work_dir: &Path) -> io::Result<Blobs> {
        let dir = data_dir.unwrap_or(work_dir).join("yandex-disk-blobs");
        std::fs::create_dir_all(&dir)?;
        Ok(Blobs { dir })
    }

    fn path(&self, blob: &str) -> PathBuf {
        self.dir.join(blob)
    }

    fn part_path(&self, blob: &str) -> PathBuf {
        self.dir.join(format!("{blob}.part"))
    }

    pub fn remove(&self, blob: &str) {
        let _ = std::fs::remove_file(self.path(blob));
    }

    /// Removes every file but the blobs in `keep` (half-written uploads included).
    pub fn remove_all_but(&self, keep: &HashSet<String>) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !keep.contains(&name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// What an upload link stands for.
#[derive(Clone, Serialize, Deserialize)]
pub struct UploadTarget {
    pub uid: String,
    pub key: String,
    pub overwrite: bool,
    pub operation: String,
    pub expires_at: i64,
}

/// A new upload link id, shaped like the service's `20240706T221857.873.utd.<random>`.
pub fn upload_id(now: i64) -> String {
    let stamp: String = iso8601(now)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(15)
        .collect();
    format!("{stamp}.000.utd.{}", random_hex(16))
}

pub fn upload_router() -> Router<AppState> {
    Router::new().route("/upload-target/{id}", put(upload))
}

pub fn download_router() -> Router<AppState> {
    Router::new().route("/disk/{signature}/{expires}/{blob}", get(download))
}

/// `PUT <upload href>`: 201 when stored, 202 when the sandbox answers asynchronously (the
/// resource appears when the link's operation succeeds), 404 for an unknown or expired link,
/// 413 above the plan's file size limit, 507 without room, 412 for a partial `Content-Range`.
async fn upload(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // Spawned, so that a client that goes away after its last byte cannot cancel the commit:
    // the service keeps an upload whose reply was lost.
    let task = tokio::spawn(async move {
        receive_upload(state, id, headers, body)
            .await
            .unwrap_or_else(IntoResponse::into_response)
    });
    task.await
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

async fn receive_upload(state: AppState, id: String, headers: HeaderMap, body: Body) -> Result<Response, DiskError> {
    let now = state.clock.now();
    let target = state
        .disk
        .lock()
        .uploads
        .get(&id)
        .filter(|t| t.expires_at > now)
        .cloned();
    let target = target.ok_or_else(DiskError::not_found)?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if !whole_body(&headers, declared) {
        return Ok(StatusCode::PRECONDITION_FAILED.into_response());
    }
    let limit = max_file_size(&target.uid);
    check_room(&state, &target, declared, limit)?;
    let blob = random_hex(16);
    let part = state.disk.blobs.part_path(&blob);
    let received = match receive(body, &part, limit).await {
        Ok(received) => received,
        Err(Received::TooLarge) => return Err(DiskError::too_big()),
        // The client is gone; nobody reads this answer.
        Err(Received::Broken) => return Ok(StatusCode::BAD_REQUEST.into_response()),
        Err(Received::Failed(err)) => {
            eprintln!("diskbridge-sandbox: cannot store an upload: {err}");
            return Ok(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
    };
    if let Err(err) = std::fs::rename(&part, state.disk.blobs.path(&blob)) {
        let _ = std::fs::remove_file(&part);
        eprintln!("diskbridge-sandbox: cannot store an upload: {err}");
        return Ok(StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    // The link is used up once its bytes are in.
    if state.disk.lock().uploads.remove(&id).is_none() {
        state.disk.blobs.remove(&blob);
        return Err(DiskError::not_found());
    }
    let file = FileData {
        blob,
        size: received.size,
        md5: received.md5,
        sha256: received.sha256,
        uploaded: 0,
    };
    let commit = CommitUpload {
        uid: target.uid,
        key: target.key,
        overwrite: target.overwrite,
        file,
    };
    // Observed 201 answers have an empty body and no headers [verified-traffic].
    let outcome = mutations::run(&state, Box::new(commit), false, Some(target.operation));
    // Saved here too: when the client is gone, nothing after this task saves the upload.
    state.save();
    match outcome {
        Outcome::Done(_) => Ok(StatusCode::CREATED.into_response()),
        Outcome::Deferred(_) => Ok(StatusCode::ACCEPTED.into_response()),
        Outcome::Failed(err) => Err(err),
    }
}

/// Resuming (YJ-SDK, [unverified] today) is not emulated: a `Content-Range` is accepted only
/// when it covers the whole body from its first byte.
fn whole_body(headers: &HeaderMap, declared: Option<u64>) -> bool {
    let Some(range) = headers.get(header::CONTENT_RANGE) else {
        return true;
    };
    declared.is_some_and(|n| range.to_str().ok() == Some(&format!("bytes 0-{}/{n}", n.saturating_sub(1))))
}

/// 413 above the plan's file size limit, 507 when the declared size does not fit (the file it
/// replaces makes room).
fn check_room(state: &AppState, target: &UploadTarget, declared: Option<u64>, limit: u64) -> Result<(), DiskError> {
    if declared.is_some_and(|n| n > limit) {
        return Err(DiskError::too_big());
    }
    let room = {
        let inner = state.disk.lock();
        let replaced = inner.user(&target.uid)?.disk.get(&target.key).map_or(0, |n| n.size());
        inner.free_space(&target.uid) + replaced
    };
    if declared.is_some_and(|n| n > room) {
        return Err(DiskError::no_space());
    }
    Ok(())
}

struct Stored {
    size: u64,
    md5: String,
    sha256: String,
}

enum Received {
    /// The body ended early: the client went away or its connection was reset.
    Broken,
    TooLarge,
    Failed(io::Error),
}

/// Streams `body` into `part`, hashing on the way; removes `part` unless the whole body came.
async fn receive(body: Body, part: &Path, limit: u64) -> Result<Stored, Received> {
    let result = write_hashed(body, part, limit).await;
    if result.is_err() {
        let _ = std::fs::remove_file(part);
    }
    result
}

/// Writing with SHA-256 and MD5 run on two blocking threads fed with the body's chunks, so an
/// upload is bounded by the slower of the two, not by their sum.
async fn write_hashed(body: Body, part: &Path, limit: u64) -> Result<Stored, Received> {
    let file = std::fs::File::create(part).map_err(Received::Failed)?;
    let (to_writer, mut writer_chunks) = mpsc::channel::<Bytes>(PIPELINE_DEPTH);
    let (to_md5, mut md5_chunks) = mpsc::channel::<Bytes>(PIPELINE_DEPTH);
    let writer = tokio::task::spawn_blocking(move || -> io::Result<String> {
        let mut out = io::BufWriter::with_capacity(1 << 20, file);
        let mut sha256 = Sha256::new();
        while let Some(chunk) = writer_chunks.blocking_recv() {
            out.write_all(&chunk)?;
            sha256.update(&chunk);
        }
        out.flush()?;
        Ok(hex(&sha256.finalize()))
    });
    let md5 = tokio::task::spawn_blocking(move || {
        let mut md5 = Md5::new();
        while let Some(chunk) = md5_chunks.blocking_recv() {
            md5.update(&chunk);
        }
        hex(&md5.finalize())
    });
    let mut stream = body.into_data_stream();
    let mut size = 0u64;
    // The network delivers small chunks; the threads get them gathered into large ones, so
    // handing over between threads costs little per byte.
    let mut gathered = BytesMut::with_capacity(HANDOVER_BYTES);
    let read = loop {
        let next = stream.next().await;
        let finished = matches!(next, None | Some(Err(_)));
        if let Some(Ok(chunk)) = &next {
            size += chunk.len() as u64;
            if size > limit {
                break Err(Received::TooLarge);
            }
            gathered.extend_from_slice(chunk);
        }
        if gathered.len() >= HANDOVER_BYTES || (finished && !gathered.is_empty()) {
            let full = std::mem::replace(&mut gathered, BytesMut::with_capacity(HANDOVER_BYTES));
            let chunk = full.freeze();
            // A closed channel means the writer failed; its error is reported below.
            if to_md5.send(chunk.clone()).await.is_err() || to_writer.send(chunk).await.is_err() {
                break Ok(());
            }
        }
        match next {
            None => break Ok(()),
            Some(Err(_)) => break Err(Received::Broken),
            Some(Ok(_)) => {}
        }
    };
    drop((to_writer, to_md5));
    let joined = |err: tokio::task::JoinError| Received::Failed(io::Error::other(err));
    let sha256 = writer.await.map_err(joined)?.map_err(Received::Failed)?;
    let md5 = md5.await.map_err(joined)?;
    read?;
    Ok(Stored { size, md5, sha256 })
}

/// HMAC-SHA256 (RFC 2104) of the fields a download link carries.
fn sign(key: &str, fields: &[&str]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key.as_bytes());
    hex(ring::hmac::sign(&key, fields.join("\n").as_bytes()).as_ref())
}

/// A download link in the service's shape (`/disk/<signature>/<expiry hex>/<id>?uid=…&filename=…`),
/// valid until `view.links_expire`. `uid` is the owner's, or `0` for public links.
pub fn download_href(view: &View, uid: &str, file: &FileData, name: &str) -> String {
    let (content_type, media_type) = super::media::guess(name);
    let expires = format!("{:x}", view.links_expire);
    let signature = sign(
        view.link_key,
        &[&file.blob, &expires, uid, name, content_type, &file.md5],
    );
    let encode = crate::util::encode;
    format!(
        "{}/yandex-disk-download/disk/{signature}/{expires}/{blob}?uid={uid}&filename={}&disposition=attachment\
         &hash=&limit=0&content_type={}&owner_uid={uid}&fsize={}&hid={blob}&media_type={media_type}&tknv=v2&etag={}",
        view.base,
        encode(name),
        encode(content_type),
        file.size,
        file.md5,
        blob = file.blob,
    )
}

/// A download link checked against its signature: the blob it serves and what to send it as.
struct SignedLink {
    blob: String,
    expires: i64,
    filename: String,
    content_type: String,
    etag: String,
}

fn verify(
    link_key: &str,
    signature: &str,
    expires: &str,
    blob: &str,
    query: &[(String, String)],
) -> Option<SignedLink> {
    let value = |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let (uid, filename, content_type, etag) = (value("uid"), value("filename"), value("content_type"), value("etag"));
    if sign(link_key, &[blob, expires, uid, filename, content_type, etag]) != signature {
        return None;
    }
    Some(SignedLink {
        blob: blob.into(),
        expires: i64::from_str_radix(expires, 16).ok()?,
        filename: filename.into(),
        content_type: content_type.into(),
        etag: etag.into(),
    })
}

/// The file behind a URL that points at this sandbox (a download link, or a public link to a
/// file), for upload from a URL.
pub fn resolve_sandbox_url(inner: &Inner, url: &str, sandbox_host: &str, now: i64) -> Option<FileData> {
    let url = url::Url::parse(url).ok()?;
    let host = format!("{}:{}", url.host_str()?, url.port_or_known_default()?);
    let same_port = sandbox_host.rsplit_once(':').map(|(_, port)| port) == host.rsplit_once(':').map(|(_, p)| p);
    let loopback = matches!(url.host_str()?, "127.0.0.1" | "localhost" | "[::1]");
    if host != sandbox_host && !(loopback && same_port) {
        return None;
    }
    let segments: Vec<&str> = url.path_segments()?.collect();
    match segments.as_slice() {
        ["yandex-disk-download", "disk", signature, expires, blob] => {
            let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
            let link = verify(&inner.link_key, signature, expires, blob, &query).filter(|l| l.expires > now)?;
            inner.referenced_file(&link.blob)
        }
        ["yandex-disk", "d", _] => {
            let (owner, key) = inner.find_public(url.as_str(), "/")?;
            inner.users.get(&owner)?.disk.get(&key)?.file().cloned()
        }
        _ => None,
    }
}

/// `GET <download href>`: the file, whole (200) or a byte range (206, 416 when unsatisfiable),
/// 304 for a matching `If-None-Match`. Expired links get 410 and bad ones 404, as HTML pages:
/// the real downloader answers errors with nginx pages, not JSON [verified-traffic].
async fn download(
    State(state): State<AppState>,
    UrlPath((signature, expires, blob)): UrlPath<(String, String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = parse_form(query.unwrap_or_default().as_bytes());
    let link_key = state.disk.lock().link_key.clone();
    let Some(link) = verify(&link_key, &signature, &expires, &blob, &query) else {
        return nginx_error(StatusCode::NOT_FOUND);
    };
    if link.expires <= state.clock.now() {
        return nginx_error(StatusCode::GONE);
    }
    let Ok(file) = std::fs::File::open(state.disk.blobs.path(&link.blob)) else {
        return nginx_error(StatusCode::NOT_FOUND);
    };
    let Ok(total) = file.metadata().map(|m| m.len()) else {
        return nginx_error(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let etag = format!("\"{}\"", link.etag);
    let header_text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if header_text(header::IF_NONE_MATCH)
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return with_headers(StatusCode::NOT_MODIFIED, Body::empty(), &[(header::ETAG, etag)]);
    }
    // A Range is honoured only while the entity still matches `If-Range`, and not at all when
    // the sandbox plays a host that ignores ranges (setting `ignore_range`).
    let range = header_text(header::RANGE)
        .filter(|_| header_text(header::IF_RANGE).is_none_or(|tag| tag.trim() == etag || tag.trim() == link.etag))
        .filter(|_| !state.settings().ignore_range);
    let span = match Span::of(range, total) {
        Ok(span) => span,
        Err(headers) => return with_headers(StatusCode::RANGE_NOT_SATISFIABLE, Body::empty(), &headers),
    };
    let mut headers = vec![
        (header::CONTENT_TYPE, link.content_type.clone()),
        (header::ETAG, etag),
        (header::CONTENT_DISPOSITION, content_disposition(&link.filename)),
    ];
    headers.extend(span.headers());
    with_headers(span.status, span.body(file), &headers)
}

/// `attachment` with the name in both forms of RFC 6266: an ASCII fallback and UTF-8.
fn content_disposition(filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'!'
            | b'#'
            | b'$'
            | b'&'
            | b'+'
            | b'-'
            | b'.'
            | b'^'
            | b'_'
            | b'`'
            | b'|'
            | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

fn with_headers(status: StatusCode, body: Body, headers: &[(header::HeaderName, String)]) -> Response {
    let mut response = (status, body).into_response();
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// An error page like the downloader's nginx sends.
fn nginx_error(status: StatusCode) -> Response {
    let title = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or(""));
    let page = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n\
         <hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    with_headers(status, Body::from(page), &[(header::CONTENT_TYPE, "text/html".into())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            sign("Jefe", &["what do ya want for nothing?"]),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn disposition_keeps_unicode_names() {
        assert_eq!(
            content_disposition("отчёт 1.txt"),
            "attachment; filename=\"_____ 1.txt\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%201.txt"
        );
    }
}
