//! Resumable upload sessions (docs/protocols.md §4.5): the 256 KiB chunk rule, 308 with
//! `Range`, status queries, resending of bytes already stored, and expiry.

use std::collections::HashMap;
use std::io::SeekFrom;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::blobs::{broken_body, internal, new_blob_name, Digests, Stored};
use crate::google::{ApiError, Store};
use crate::state::lock;

/// Every chunk but the last is a multiple of this (docs/protocols.md §4.5).
pub const CHUNK_UNIT: u64 = 256 * 1024;

/// Resumable sessions last about a week.
pub const SESSION_TTL_S: i64 = 7 * 24 * 3600;

/// A resumable upload session (kept in the state file, so sessions survive a restart).
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Session {
    pub email: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    /// The initiation said `supportsAllDrives=true`.
    #[serde(default)]
    pub all_drives: bool,
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
pub(super) enum ContentRange {
    /// `bytes */T` or `bytes */*`: how far did you get?
    Query(Option<u64>),
    /// `bytes a-b/T` or `bytes a-b/*`.
    Chunk { first: u64, last: u64, total: Option<u64> },
}

pub(super) fn parse_content_range(value: &str) -> Option<ContentRange> {
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
pub(super) enum Progress {
    /// 308 with the committed length.
    Incomplete(u64),
    /// All bytes are in: make the file from them.
    Complete(Stored),
}

pub(super) async fn write_session(
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
    let Some(chunk) = Chunk::of(headers, session, committed)? else {
        // A status query: finished when every byte is in.
        if content_range(headers)? == Some(ContentRange::Query(Some(committed))) {
            return finish(store, session, &mut digests, committed)
                .await
                .map(Progress::Complete);
        }
        return Ok(Progress::Incomplete(committed));
    };
    let running = match digests.take().filter(|d| d.bytes == committed) {
        _ if committed == 0 => Some(Digests::new()),
        running => running,
    };
    let written = chunk.write(store, session, committed, running, body).await?;
    let complete = !written.broken && chunk.is_last && chunk.expected().is_none_or(|n| written.body_bytes == n);
    // Only whole multiples of 256 KiB are kept of a chunk that is not the last, or that broke.
    let new_committed = if complete {
        written.end
    } else {
        (written.end / CHUNK_UNIT * CHUNK_UNIT).max(committed)
    };
    let mut running = written.running;
    if new_committed != written.end {
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .open(store.blob_path(&session.blob))
            .await;
        file.map_err(internal)?.set_len(new_committed).await.map_err(internal)?;
        running = None;
    }
    if let Some(session) = store.data().drive.sessions.get_mut(id) {
        session.committed = new_committed;
    }
    *digests = running;
    if written.broken {
        return Err(broken_body());
    }
    if chunk.is_last && !complete {
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

/// `Content-Range` of a session request, if any; 400 when it does not parse.
fn content_range(headers: &HeaderMap) -> Result<Option<ContentRange>, ApiError> {
    let Some(value) = headers.get(header::CONTENT_RANGE) else {
        return Ok(None);
    };
    let parsed = value.to_str().ok().and_then(parse_content_range);
    parsed
        .map(Some)
        .ok_or_else(|| ApiError::bad_request("badRequest", "Failed to parse Content-Range header."))
}

/// Where a request's bytes go in the upload, checked against what the session has.
struct Chunk {
    first: u64,
    length: Option<u64>,
    total: Option<u64>,
    is_last: bool,
}

/// What writing a chunk's body did.
struct Written {
    /// The end of the bytes now on disk.
    end: u64,
    body_bytes: u64,
    broken: bool,
    running: Option<Digests>,
}

impl Chunk {
    /// The chunk a request carries (None: a status query), or Google's refusal of it: a total
    /// that differs from the initiation's, a start beyond what is stored, a non-final chunk
    /// under 256 KiB.
    fn of(headers: &HeaderMap, session: &Session, committed: u64) -> Result<Option<Chunk>, ApiError> {
        let declared_length = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let range = content_range(headers)?;
        let (first, length, total) = match range {
            Some(ContentRange::Query(_)) => return Ok(None),
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
        Ok(Some(Chunk {
            first,
            length,
            total,
            is_last,
        }))
    }

    /// How many body bytes the request should carry, when it says.
    fn expected(&self) -> Option<u64> {
        self.length.or(self.total.map(|t| t - self.first))
    }

    /// Appends the body after the `committed` bytes the session has, skipping those it
    /// resends (clients may resend from an older offset), hashing what is new.
    async fn write(
        &self,
        store: &Store,
        session: &Session,
        committed: u64,
        mut running: Option<Digests>,
        body: Body,
    ) -> Result<Written, ApiError> {
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(store.blob_path(&session.blob))
            .await
            .map_err(internal)?;
        file.seek(SeekFrom::Start(committed)).await.map_err(internal)?;
        let (mut skip, mut end, mut body_bytes) = (committed - self.first, committed, 0u64);
        let mut stream = body.into_data_stream();
        let mut broken = false;
        while let Some(chunk) = stream.next().await {
            let Ok(chunk) = chunk else {
                broken = true;
                break;
            };
            body_bytes += chunk.len() as u64;
            let resent = skip.min(chunk.len() as u64);
            skip -= resent;
            let usable = &chunk[resent as usize..];
            file.write_all(usable).await.map_err(internal)?;
            if let Some(running) = running.as_mut() {
                running.update(usable);
            }
            end += usable.len() as u64;
        }
        file.flush().await.map_err(internal)?;
        Ok(Written {
            end,
            body_bytes,
            broken,
            running,
        })
    }
}

/// The session's bytes as a finished blob, with digests (recomputed from disk if needed).
pub(super) async fn finish(
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
pub(super) fn forget_session(store: &Store, id: &str) {
    store.uploads.forget(id);
}

/// `308 Resume Incomplete` with `Range: bytes=0-N`, or no `Range` when nothing is stored yet.
pub(super) fn resume_incomplete(committed: u64) -> Response {
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
}
