//! Byte ranges of downloads (RFC 9110 §14), one parser for every download host of the sandbox
//! (the Yandex Disk downloader and Drive's `alt=media`), and the streaming of a stored file's
//! bytes from an offset.

use std::io::{self, Read, Seek, SeekFrom};

use axum::body::Body;
use axum::http::{header, HeaderName, StatusCode};
use bytes::Bytes;

/// Bytes read from disk per chunk of a download.
const READ_CHUNK: u64 = 512 * 1024;

/// What a `Range` header asks of a representation of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Selection {
    /// No single byte range this sandbox serves: the whole file is sent (200), as RFC 9110
    /// allows for several ranges, another unit or a malformed header.
    Whole,
    /// First and last byte, inclusive (206).
    Bytes(u64, u64),
    /// 416 with `Content-Range: bytes */size`.
    Unsatisfiable,
}

/// One `bytes=a-b`, `bytes=a-` or `bytes=-n` range.
pub fn parse(header: &str, size: u64) -> Selection {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Selection::Whole;
    };
    if spec.contains(',') {
        return Selection::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Selection::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let number = |text: &str| text.parse::<u64>().ok();
    match (first.is_empty(), number(first), number(last)) {
        // `bytes=-N`: the last N bytes.
        (true, _, Some(suffix)) if suffix > 0 && size > 0 => Selection::Bytes(size - suffix.min(size), size - 1),
        (true, _, Some(_)) => Selection::Unsatisfiable,
        (false, Some(first), _) if first >= size => Selection::Unsatisfiable,
        (false, Some(first), None) if last.is_empty() => Selection::Bytes(first, size - 1),
        (false, Some(first), Some(last)) if last >= first => Selection::Bytes(first, last.min(size - 1)),
        _ => Selection::Whole,
    }
}

/// The part of a file an answer carries: its status, first byte and length.
pub struct Span {
    pub status: StatusCode,
    pub start: u64,
    pub length: u64,
    size: u64,
}

impl Span {
    /// The span a request's `Range` (None: no header, or one to ignore) selects of `size`
    /// bytes; Err with the headers of a 416 answer.
    pub fn of(range: Option<&str>, size: u64) -> Result<Span, Vec<(HeaderName, String)>> {
        let (status, start, length) = match range.map(|r| parse(r, size)) {
            None | Some(Selection::Whole) => (StatusCode::OK, 0, size),
            Some(Selection::Bytes(first, last)) => (StatusCode::PARTIAL_CONTENT, first, last - first + 1),
            Some(Selection::Unsatisfiable) => return Err(vec![(header::CONTENT_RANGE, format!("bytes */{size}"))]),
        };
        Ok(Span {
            status,
            start,
            length,
            size,
        })
    }

    /// `Content-Length`, `Accept-Ranges` and, for 206, `Content-Range`.
    pub fn headers(&self) -> Vec<(HeaderName, String)> {
        let mut headers = vec![
            (header::CONTENT_LENGTH, self.length.to_string()),
            (header::ACCEPT_RANGES, "bytes".to_string()),
        ];
        if self.status == StatusCode::PARTIAL_CONTENT {
            let last = self.start + self.length - 1;
            headers.push((
                header::CONTENT_RANGE,
                format!("bytes {}-{last}/{}", self.start, self.size),
            ));
        }
        headers
    }

    /// The span's bytes of `file`, streamed.
    pub fn body(&self, file: std::fs::File) -> Body {
        if self.length == 0 {
            return Body::empty();
        }
        Body::from_stream(read_stream(file, self.start, self.length))
    }
}

/// `length` bytes of `file` from `start`, read on blocking threads in large chunks.
fn read_stream(
    mut file: std::fs::File,
    start: u64,
    length: u64,
) -> impl futures_util::Stream<Item = io::Result<Bytes>> {
    let positioned = file.seek(SeekFrom::Start(start)).map(|_| file);
    futures_util::stream::unfold(Some((positioned, length)), |state| async move {
        let (file, left) = state?;
        if left == 0 {
            return None;
        }
        let read = tokio::task::spawn_blocking(move || -> io::Result<(std::fs::File, Vec<u8>)> {
            let mut file = file?;
            let want = left.min(READ_CHUNK);
            let mut chunk = Vec::with_capacity(want as usize);
            (&mut file).take(want).read_to_end(&mut chunk)?;
            if chunk.is_empty() {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            Ok((file, chunk))
        })
        .await
        .unwrap_or_else(|err| Err(io::Error::other(err)));
        match read {
            Ok((file, chunk)) => {
                let left = left - chunk.len() as u64;
                Some((Ok(Bytes::from(chunk)), Some((Ok(file), left))))
            }
            Err(err) => Some((Err(err), None)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse("bytes=0-9", 100), Selection::Bytes(0, 9));
        assert_eq!(parse("bytes=90-", 100), Selection::Bytes(90, 99));
        assert_eq!(parse("bytes=-10", 100), Selection::Bytes(90, 99));
        assert_eq!(parse("bytes=-200", 100), Selection::Bytes(0, 99));
        assert_eq!(parse("bytes=50-500", 100), Selection::Bytes(50, 99));
        assert_eq!(parse(" bytes= 5 - 6 ", 100), Selection::Bytes(5, 6));
        assert_eq!(parse("bytes=100-", 100), Selection::Unsatisfiable);
        assert_eq!(parse("bytes=0-", 0), Selection::Unsatisfiable);
        assert_eq!(parse("bytes=-0", 100), Selection::Unsatisfiable);
        assert_eq!(parse("bytes=0-1,5-6", 100), Selection::Whole);
        assert_eq!(parse("items=0-1", 100), Selection::Whole);
        assert_eq!(parse("bytes=9-1", 100), Selection::Whole);
        assert_eq!(parse("bytes=x-1", 100), Selection::Whole);
    }

    #[test]
    fn spans_carry_their_headers() {
        let span = Span::of(Some("bytes=10-19"), 100).ok().unwrap();
        assert_eq!(
            (span.status, span.start, span.length),
            (StatusCode::PARTIAL_CONTENT, 10, 10)
        );
        assert!(span
            .headers()
            .contains(&(header::CONTENT_RANGE, "bytes 10-19/100".into())));
        let whole = Span::of(None, 100).ok().unwrap();
        assert_eq!((whole.status, whole.length), (StatusCode::OK, 100));
        assert!(whole.headers().iter().all(|(name, _)| name != header::CONTENT_RANGE));
        let refused = Span::of(Some("bytes=100-"), 100).err().unwrap();
        assert_eq!(refused, vec![(header::CONTENT_RANGE, "bytes */100".to_string())]);
    }
}
