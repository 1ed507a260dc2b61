//! `multipart/related` upload bodies (docs/protocols.md §4.5): the JSON metadata part first,
//! then the media part, streamed to a blob.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{header, HeaderMap};
use base64::Engine;
use futures_util::StreamExt;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use super::blobs::{broken_body, internal, new_blob_name, Digests, Stored};
use crate::google::{ApiError, Store};

/// The metadata part of a multipart body is JSON; more than this is not metadata.
pub(super) const MAX_METADATA: usize = 1024 * 1024;

/// A parsed `multipart/related` upload: the metadata part and, if present, the media part.
pub(super) struct Multipart {
    pub metadata: Value,
    pub media: Option<(Stored, Option<String>)>,
}

/// Reads a multipart/related body: the JSON metadata part first, then the media part, streamed
/// to a blob. Parts may end lines with CRLF or a bare LF (Python's email generator writes LF).
pub(super) async fn receive_multipart(store: &Store, headers: &HeaderMap, body: Body) -> Result<Multipart, ApiError> {
    let boundary = boundary(headers)?;
    let mut scanner = Scanner {
        stream: body.into_data_stream(),
        buffer: Vec::new(),
    };
    let delimiter = format!("\n--{boundary}").into_bytes();
    // The first delimiter may open the body without a line break before it.
    scanner.buffer.push(b'\n');
    if !scanner.skip_through(&delimiter).await? || scanner.after_delimiter().await? {
        return Err(malformed());
    }
    scanner.part_headers().await?;
    let mut metadata_bytes = Vec::new();
    loop {
        let (data, last) = scanner.piece(&delimiter).await?.split();
        metadata_bytes.extend_from_slice(&data);
        if last {
            break;
        }
        if metadata_bytes.len() > MAX_METADATA {
            return Err(malformed());
        }
    }
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
    match store_media(&mut scanner, &delimiter, &path, base64).await {
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

/// The `boundary` of a `multipart/related` body; 400 `badContent` for any other type.
fn boundary(headers: &HeaderMap) -> Result<String, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let bad_content = || ApiError::bad_request("badContent", "Bad content type. Please use multipart.");
    let (essence, parameters) = content_type.split_once(';').unwrap_or((content_type, ""));
    if !essence.trim().eq_ignore_ascii_case("multipart/related") {
        return Err(bad_content());
    }
    parameters
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        .filter(|b| !b.is_empty())
        .ok_or_else(bad_content)
}

fn malformed() -> ApiError {
    ApiError::bad_request("badContent", "Malformed multipart body.")
}

/// Writes the media part to `path` (decoding base64 if so marked), hashing it on the way.
async fn store_media<S>(
    scanner: &mut Scanner<S>,
    delimiter: &[u8],
    path: &std::path::Path,
    base64: bool,
) -> Result<Digests, ApiError>
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, axum::Error>> + Unpin,
{
    let mut file = tokio::fs::File::create(path).await.map_err(internal)?;
    let mut digests = Digests::new();
    let mut encoded = Vec::new();
    loop {
        let (data, last) = scanner.piece(delimiter).await?.split();
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

/// File metadata JSON of a request body; empty means none.
pub(super) fn parse_metadata(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(ApiError::bad_request("parseError", "Parse Error")),
    }
}

pub(super) enum Piece {
    /// Bytes of the part; more follow.
    Data(Vec<u8>),
    /// The part's last bytes; the delimiter after them is consumed.
    End(Vec<u8>),
}

impl Piece {
    /// The bytes, and whether they are the part's last.
    fn split(self) -> (Vec<u8>, bool) {
        match self {
            Piece::Data(data) => (data, false),
            Piece::End(data) => (data, true),
        }
    }
}

pub(super) struct Scanner<S> {
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

pub(super) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_locates_needles() {
        assert_eq!(find(b"abc\n--B", b"\n--B"), Some(3));
        assert_eq!(find(b"\n-\n--", b"\n--B"), None);
    }
}
