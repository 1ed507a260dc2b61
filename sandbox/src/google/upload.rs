//! File bytes: blobs on disk, media and multipart/related bodies, and resumable upload sessions
//! with the 256 KiB chunk rule, 308 + `Range`, status queries and expiry (api-protocols.md §4.5).

use std::collections::HashMap;
use std::io::SeekFrom;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use futures_util::StreamExt;
use md5::Md5;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::{ApiError, Store};
use crate::state::lock;
use crate::util::{hex, random_hex};

/// Every chunk but the last is a multiple of this (api-protocols.md §4.5).
pub const CHUNK_UNIT: u64 = 256 * 1024;
/// Resumable sessions last about a week.
pub const SESSION_TTL_S: i64 = 7 * 24 * 3600;
/// The metadata part of a multipart body is JSON; more than this is not metadata.
const MAX_METADATA: usize = 1024 * 1024;

/// Bytes stored as a blob, with their digests.
pub(crate) struct Stored {
    pub blob: String,
    pub size: u64,
    pub md5: String,
    pub sha256: String,
}

#[derive(Clone)]
pub(crate) struct Digests {
    md5: Md5,
    sha256: Sha256,
    bytes: u64,
}

impl Digests {
    fn new() -> Digests {
        Digests {
            md5: Md5::new(),
            sha256: Sha256::new(),
            bytes: 0,
        }
    }

    fn update(&mut self, data: &[u8]) {
        self.md5.update(data);
        self.sha256.update(data);
        self.bytes += data.len() as u64;
    }

    fn finish(self, blob: String) -> Stored {
        Stored {
            blob,
            size: self.bytes,
            md5: hex(&self.md5.finalize()),
            sha256: hex(&self.sha256.finalize()),
        }
    }
}

pub(crate) fn new_blob_name() -> String {
    random_hex(16)
}

/// Streams a raw body into a new blob. Err when the body breaks off (the client is gone).
pub(crate) async fn receive(store: &Store, body: Body) -> Result<Stored, ApiError> {
    let blob = new_blob_name();
    let path = store.blob_path(&blob);
    let result = async {
        let mut file = tokio::fs::File::create(&path).await.map_err(internal)?;
        let mut digests = Digests::new();
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| broken_body())?;
            digests.update(&chunk);
            file.write_all(&chunk).await.map_err(internal)?;
        }
        file.flush().await.map_err(internal)?;
        Ok(digests)
    }
    .await;
    match result {
        Ok(digests) => Ok(digests.finish(blob)),
        Err(error) => {
            let _ = tokio::fs::remove_file(&path).await;
            Err(error)
        }
    }
}

/// Copies a blob for files.copy; blobs never change, so a hard link is enough when possible.
pub(crate) fn duplicate(store: &Store, blob: &str) -> std::io::Result<String> {
    let copy = new_blob_name();
    let (from, to) = (store.blob_path(blob), store.blob_path(&copy));
    if std::fs::hard_link(&from, &to).is_err() {
        std::fs::copy(&from, &to)?;
    }
    Ok(copy)
}

pub(crate) fn remove_blob(store: &Store, blob: &str) {
    let _ = std::fs::remove_file(store.blob_path(blob));
}

/// Up to `limit` bytes of a blob (exports read a Docs file's text with it).
pub(crate) async fn read_prefix(store: &Store, blob: &str, limit: u64) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Ok(file) = tokio::fs::File::open(store.blob_path(blob)).await {
        let _ = file.take(limit).read_to_end(&mut bytes).await;
    }
    bytes
}

fn internal(err: std::io::Error) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internalError",
        format!("Internal Error: {err}"),
    )
}

fn broken_body() -> ApiError {
    ApiError::bad_request("badRequest", "The request body was cut short.")
}

/// A parsed `multipart/related` upload: the metadata part and, if present, the media part.
pub(crate) struct Multipart {
    pub metadata: Value,
    pub media: Option<(Stored, Option<String>)>,
}

/// Reads a multipart/related body: the JSON metadata part first, then the media part, streamed
/// to a blob. Parts may end lines with CRLF or a bare LF (Python's email generator writes LF).
pub(crate) async fn receive_multipart(store: &Store, headers: &HeaderMap, body: Body) -> Result<Multipart, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let bad_content = || ApiError::bad_request("badContent", "Bad content type. Please use multipart.");
    let (essence, parameters) = content_type.split_once(';').unwrap_or((content_type, ""));
    if !essence.trim().eq_ignore_ascii_case("multipart/related") {
        return Err(bad_content());
    }
    let boundary = parameters
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        .filter(|b| !b.is_empty())
        .ok_or_else(bad_content)?;
    let mut scanner = Scanner {
        stream: body.into_data_stream(),
        buffer: Vec::new(),
    };
    let malformed = || ApiError::bad_request("badContent", "Malformed multipart body.");
    let delimiter = format!("\n--{boundary}").into_bytes();
    // The first delimiter may open the body without a line break before it.
    scanner.buffer.push(b'\n');
    scanner
        .skip_through(&delimiter)
        .await?
        .then_some(())
        .ok_or_else(malformed)?;
    if scanner.after_delimiter().await? {
        return Err(malformed());
    }
    let metadata_headers = scanner.part_headers().await?;
    let mut metadata_bytes = Vec::new();
    loop {
        match scanner.piece(&delimiter).await? {
            Piece::Data(data) => metadata_bytes.extend_from_slice(&data),
            Piece::End(data) => {
                metadata_bytes.extend_from_slice(&data);
                break;
            }
        }
        if metadata_bytes.len() > MAX_METADATA {
            return Err(malformed());
        }
    }
    let _ = metadata_headers;
    let metadata = parse_metadata(&metadata_bytes)?;
    if scanner.after_delimiter().await? {
        return Ok(Multipart { metadata, media: None });
    }
    let media_headers = scanner.part_headers().await?;
    let media_type = media_headers.get("content-type").cloned();
    let base64 = media_headers
        .get("content-transfer-encoding")
        .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
    let blob = new_blob_name();
    let path = store.blob_path(&blob);
    let written = async {
        let mut file = tokio::fs::File::create(&path).await.map_err(internal)?;
        let mut digests = Digests::new();
        let mut encoded = Vec::new();
        loop {
            let (data, last) = match scanner.piece(&delimiter).await? {
                Piece::Data(data) => (data, false),
                Piece::End(data) => (data, true),
            };
            if base64 {
                encoded.extend(data.into_iter().filter(|b| !b.is_ascii_whitespace()));
            } else {
                digests.update(&data);
                file.write_all(&data).await.map_err(internal)?;
            }
            if last {
                break;
            }
        }
        if base64 {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(&encoded)
                .map_err(|_| malformed())?;
            digests.update(&decoded);
            file.write_all(&decoded).await.map_err(internal)?;
        }
        file.flush().await.map_err(internal)?;
        Ok(digests)
    }
    .await;
    match written {
        Ok(digests) => Ok(Multipart {
            metadata,
            media: Some((digests.finish(blob), media_type)),
        }),
        Err(error) => {
            let _ = tokio::fs::remove_file(&path).await;
            Err(error)
        }
    }
}

/// File metadata JSON of a request body; empty means none.
pub(crate) fn parse_metadata(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(ApiError::bad_request("parseError", "Parse Error")),
    }
}

enum Piece {
    /// Bytes of the part; more follow.
    Data(Vec<u8>),
    /// The part's last bytes; the delimiter after them is consumed.
    End(Vec<u8>),
}

struct Scanner<S> {
    stream: S,
    buffer: Vec<u8>,
}

impl<S> Scanner<S>
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, axum::Error>> + Unpin,
{
    /// Appends the next chunk of the body; false at its end.
    async fn more(&mut self) -> Result<bool, ApiError> {
        match self.stream.next().await {
            Some(Ok(chunk)) => {
                self.buffer.extend_from_slice(&chunk);
                Ok(true)
            }
            Some(Err(_)) => Err(broken_body()),
            None => Ok(false),
        }
    }

    /// Discards everything up to and including `needle`; false if the body ends first.
    async fn skip_through(&mut self, needle: &[u8]) -> Result<bool, ApiError> {
        loop {
            if let Some(i) = find(&self.buffer, needle) {
                self.buffer.drain(..i + needle.len());
                return Ok(true);
            }
            let keep = self.buffer.len().min(needle.len());
            self.buffer.drain(..self.buffer.len() - keep);
            if !self.more().await? {
                return Ok(false);
            }
        }
    }

    /// After a delimiter: true for the closing `--`, false for a line break before a part.
    async fn after_delimiter(&mut self) -> Result<bool, ApiError> {
        while self.buffer.len() < 2 {
            if !self.more().await? {
                return Ok(true);
            }
        }
        if self.buffer.starts_with(b"--") {
            return Ok(true);
        }
        self.skip_through(b"\n").await?;
        Ok(false)
    }

    /// A part's headers, lower-case names, up to the blank line.
    async fn part_headers(&mut self) -> Result<HashMap<String, String>, ApiError> {
        let mut headers = HashMap::new();
        loop {
            let line = loop {
                if let Some(i) = find(&self.buffer, b"\n") {
                    let line: Vec<u8> = self.buffer.drain(..=i).collect();
                    break String::from_utf8_lossy(&line).trim_end().to_string();
                }
                if self.buffer.len() > 64 * 1024 || !self.more().await? {
                    return Err(ApiError::bad_request("badContent", "Malformed multipart body."));
                }
            };
            if line.is_empty() {
                return Ok(headers);
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
            }
        }
    }

    /// The next bytes of a part that ends at `delimiter` (a CR before it belongs to the line break).
    async fn piece(&mut self, delimiter: &[u8]) -> Result<Piece, ApiError> {
        loop {
            if let Some(i) = find(&self.buffer, delimiter) {
                let mut data: Vec<u8> = self.buffer.drain(..i + delimiter.len()).collect();
                data.truncate(i);
                if data.last() == Some(&b'\r') {
                    data.pop();
                }
                return Ok(Piece::End(data));
            }
            // Hold back what could be the start of the delimiter and the CR before it.
            let keep = delimiter.len() + 1;
            if self.buffer.len() > keep + 64 * 1024 {
                let data: Vec<u8> = self.buffer.drain(..self.buffer.len() - keep).collect();
                return Ok(Piece::Data(data));
            }
            if !self.more().await? {
                return Err(ApiError::bad_request("badContent", "Malformed multipart body."));
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut start = 0;
    while let Some(offset) = haystack[start..].iter().position(|&b| b == first) {
        let i = start + offset;
        if haystack.len() - i < needle.len() {
            return None;
        }
        if &haystack[i..i + needle.len()] == needle {
            return Some(i);
        }
        start = i + 1;
    }
    None
}

/// A resumable upload session (kept in the state file, so sessions survive a restart).
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Session {
    pub email: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    /// The file whose content is replaced (files.update), or None for files.create.
    pub target: Option<String>,
    pub metadata: Value,
    /// `fields` of the initiating request, honoured by the final answer.
    pub fields: Option<String>,
    pub total: Option<u64>,
    pub content_type: Option<String>,
    /// Bytes persisted so far: always a multiple of 256 KiB until the upload is complete.
    pub committed: u64,
    pub blob: String,
    pub created_s: i64,
    /// The file made from the upload, once complete.
    pub done: Option<String>,
}

/// Per-session locks (one request at a time writes a session) holding the running digests,
/// which are rebuilt from the blob when lost (restart, or bytes dropped after a partial chunk).
#[derive(Default)]
pub(crate) struct Sessions {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Digests>>>>>,
}

impl Sessions {
    pub fn clear(&self) {
        lock(&self.locks).clear();
    }

    fn lock_for(&self, id: &str) -> Arc<tokio::sync::Mutex<Option<Digests>>> {
        lock(&self.locks).entry(id.to_string()).or_default().clone()
    }

    fn forget(&self, id: &str) {
        lock(&self.locks).remove(id);
    }
}

/// What `Content-Range` of a session request says.
#[derive(Debug, PartialEq)]
pub(crate) enum ContentRange {
    /// `bytes */T` or `bytes */*`: how far did you get?
    Query(Option<u64>),
    /// `bytes a-b/T` or `bytes a-b/*`.
    Chunk { first: u64, last: u64, total: Option<u64> },
}

pub(crate) fn parse_content_range(value: &str) -> Option<ContentRange> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let total = match total.trim() {
        "*" => None,
        n => Some(n.parse().ok()?),
    };
    if range.trim() == "*" {
        return Some(ContentRange::Query(total));
    }
    let (first, last) = range.trim().split_once('-')?;
    let (first, last): (u64, u64) = (first.parse().ok()?, last.parse().ok()?);
    if last < first || total.is_some_and(|t| last >= t) {
        return None;
    }
    Some(ContentRange::Chunk { first, last, total })
}

/// The outcome of a session request, before the final file is made.
pub(crate) enum Progress {
    /// 308 with the committed length.
    Incomplete(u64),
    /// All bytes are in: make the file from them.
    Complete(Stored),
}

/// Writes one request of a resumable session: a chunk, a whole body or a status query.
pub(crate) async fn write_session(
    store: &Store,
    id: &str,
    session: &Session,
    headers: &HeaderMap,
    body: Body,
) -> Result<Progress, ApiError> {
    let guard = store.uploads.lock_for(id);
    let mut digests = guard.lock().await;
    // Another request may have moved the session on while this one waited for the lock.
    let committed = {
        let data = store.data();
        data.drive.sessions.get(id).map_or(session.committed, |s| s.committed)
    };
    let declared_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let range = match headers.get(header::CONTENT_RANGE) {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(parse_content_range)
                .ok_or_else(|| ApiError::bad_request("badRequest", "Failed to parse Content-Range header."))?,
        ),
    };
    let (first, length, total) = match range {
        Some(ContentRange::Query(total)) => {
            if total == Some(committed) {
                return finish(store, session, &mut digests, committed)
                    .await
                    .map(Progress::Complete);
            }
            return Ok(Progress::Incomplete(committed));
        }
        Some(ContentRange::Chunk { first, last, total }) => (first, Some(last - first + 1), total),
        // No Content-Range: the body is the whole upload.
        None => (0, declared_length, declared_length.or(session.total)),
    };
    if let (Some(expected), Some(total)) = (session.total, total) {
        if expected != total {
            return Err(ApiError::bad_request(
                "badRequest",
                format!(
                    "Invalid request.  According to the Content-Range header, the final size of the upload is \
                     {total} byte(s). This does not match the expected size of {expected} byte(s), which was \
                     specified in an earlier request."
                ),
            ));
        }
    }
    if first > committed {
        return Err(ApiError::bad_request(
            "badRequest",
            format!(
                "Invalid request.  According to the Content-Range header, the upload offset is {first} byte(s), \
                 which exceeds already uploaded size of {committed} byte(s)."
            ),
        ));
    }
    let is_last = match (length, total) {
        (Some(length), Some(total)) => first + length == total,
        // Without a length or total, the body runs to its end and that is the whole file.
        _ => range.is_none(),
    };
    if let (false, Some(length)) = (is_last, length) {
        if length < CHUNK_UNIT {
            return Err(ApiError::bad_request(
                "badRequest",
                format!(
                    "Invalid request.  The number of bytes uploaded is required to be equal or greater than \
                     {CHUNK_UNIT}, except for the final request (it's recommended to be the exact multiple of \
                     {CHUNK_UNIT}).  The received request contained {length} bytes, which does not meet this \
                     requirement."
                ),
            ));
        }
    }
    // Bytes the session already has are skipped: clients may resend from an older offset.
    let path = store.blob_path(&session.blob);
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .await
        .map_err(internal)?;
    file.seek(SeekFrom::Start(committed)).await.map_err(internal)?;
    let mut running = digests.take().filter(|d| d.bytes == committed);
    if committed == 0 {
        running = Some(Digests::new());
    }
    let mut skip = committed - first;
    let mut end = committed;
    let mut body_bytes = 0u64;
    let mut broken = false;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            broken = true;
            break;
        };
        body_bytes += chunk.len() as u64;
        let usable = if (chunk.len() as u64) <= skip {
            skip -= chunk.len() as u64;
            continue;
        } else {
            let usable = &chunk[skip as usize..];
            skip = 0;
            usable
        };
        file.write_all(usable).await.map_err(internal)?;
        if let Some(running) = running.as_mut() {
            running.update(usable);
        }
        end += usable.len() as u64;
    }
    file.flush().await.map_err(internal)?;
    let expected = length.or(total.map(|t| t - first));
    let complete = !broken && is_last && expected.is_none_or(|n| body_bytes == n);
    let new_committed = if complete {
        end
    } else {
        (end / CHUNK_UNIT * CHUNK_UNIT).max(committed)
    };
    if new_committed != end {
        file.set_len(new_committed).await.map_err(internal)?;
        running = None;
    }
    drop(file);
    if let Some(session) = store.data().drive.sessions.get_mut(id) {
        session.committed = new_committed;
    }
    *digests = running;
    if broken {
        return Err(broken_body());
    }
    if is_last && !complete {
        return Err(ApiError::bad_request(
            "badRequest",
            "Invalid request.  The number of bytes uploaded does not match the Content-Range header.",
        ));
    }
    if complete {
        return finish(store, session, &mut digests, new_committed)
            .await
            .map(Progress::Complete);
    }
    Ok(Progress::Incomplete(new_committed))
}

/// The session's bytes as a finished blob, with digests (recomputed from disk if needed).
async fn finish(
    store: &Store,
    session: &Session,
    digests: &mut Option<Digests>,
    size: u64,
) -> Result<Stored, ApiError> {
    let running = digests.take().filter(|d| d.bytes == size);
    let digests = match running {
        Some(digests) => digests,
        None => {
            let mut digests = Digests::new();
            let mut file = tokio::fs::File::open(store.blob_path(&session.blob))
                .await
                .map_err(internal)?;
            let mut buffer = vec![0u8; 1 << 20];
            loop {
                let n = file.read(&mut buffer).await.map_err(internal)?;
                if n == 0 {
                    break;
                }
                digests.update(&buffer[..n]);
            }
            digests
        }
    };
    // The finished blob gets a name of its own: the session's name stays reserved for it.
    let blob = new_blob_name();
    tokio::fs::rename(store.blob_path(&session.blob), store.blob_path(&blob))
        .await
        .map_err(internal)?;
    Ok(digests.finish(blob))
}

/// Drops a finished or expired session's lock.
pub(crate) fn forget_session(store: &Store, id: &str) {
    store.uploads.forget(id);
}

/// `308 Resume Incomplete` with `Range: bytes=0-N`, or no `Range` when nothing is stored yet.
pub(crate) fn resume_incomplete(committed: u64) -> Response {
    let mut response = StatusCode::PERMANENT_REDIRECT.into_response();
    if committed > 0 {
        if let Ok(value) = HeaderValue::from_str(&format!("bytes=0-{}", committed - 1)) {
            response.headers_mut().insert(header::RANGE, value);
        }
    }
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(0));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        assert_eq!(parse_content_range("bytes */100"), Some(ContentRange::Query(Some(100))));
        assert_eq!(parse_content_range("bytes */*"), Some(ContentRange::Query(None)));
        assert_eq!(
            parse_content_range("bytes 0-262143/*"),
            Some(ContentRange::Chunk {
                first: 0,
                last: 262_143,
                total: None
            })
        );
        assert_eq!(parse_content_range("bytes 5-3/10"), None);
        assert_eq!(parse_content_range("bytes 0-10/10"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }

    #[test]
    fn find_locates_needles() {
        assert_eq!(find(b"abc\n--B", b"\n--B"), Some(3));
        assert_eq!(find(b"\n-\n--", b"\n--B"), None);
    }
}
