//! A service's answer: status, headers and a (small, fully read) body — the one reply type of
//! every request, upload chunk and status query. Bodies are read under caps, so a server that
//! answers without end cannot take the host's memory: a successful answer larger than
//! [`MAX_ANSWER_BYTES`] is an error, an error answer is kept up to [`MAX_ERROR_BYTES`].

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde_json::Value;

use super::{within, Failure, Profile};
use crate::error::{Error, ErrorCode, Result};

/// The largest successful answer read whole (metadata, a page of a listing, an upload's answer):
/// larger pages are asked for with fewer items or fields.
pub(crate) const MAX_ANSWER_BYTES: usize = 8 << 20;
/// An error answer is read up to this much (any service's error JSON is far smaller); the rest
/// is left unread.
pub(crate) const MAX_ERROR_BYTES: usize = 64 << 10;

pub(crate) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// Whether the service did what was asked: 2xx only. A 3xx that was not followed (300,
    /// 304, a 302 without `Location`) is not success.
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON; an empty body is `{}` (as OPI returns it).
    pub(crate) fn json(&self, profile: &Profile) -> Result<Value> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_slice(&self.body).map_err(|_| {
            Error::new(
                ErrorCode::InvalidResponse,
                format!(
                    "{} answered HTTP {} with a body that is not JSON",
                    profile.name, self.status
                ),
            )
            .with_service(profile.id)
        })
    }

    /// A header's value as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// `Retry-After` in seconds (the HTTP-date form falls back to the back-off schedule). A
    /// number too large for any clock reads as the longest duration: it exceeds every cap.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        let value = self.headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX)))
    }

    /// Reads an answer under the caps, waiting at most `idle` for each piece of it: a
    /// successful answer over `max_body` (a request's own cap, `Request::max_body`) or else
    /// [`MAX_ANSWER_BYTES`] is a failure, an error answer is cut at [`MAX_ERROR_BYTES`].
    pub(crate) async fn receive(
        mut response: reqwest::Response,
        idle: Duration,
        max_body: Option<usize>,
    ) -> std::result::Result<Reply, Failure> {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let success = (200..300).contains(&status);
        let cap = if success {
            max_body.unwrap_or(MAX_ANSWER_BYTES)
        } else {
            MAX_ERROR_BYTES
        };
        let mut body = BytesMut::new();
        while let Some(chunk) = within(idle, response.chunk()).await? {
            if body.len() + chunk.len() > cap {
                if success {
                    return Err(Failure::Oversize(cap));
                }
                body.extend_from_slice(&chunk[..cap - body.len()]);
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Reply {
            status,
            headers,
            body: body.freeze(),
        })
    }

    /// Reads an error answer, cut at [`MAX_ERROR_BYTES`]; a body that breaks off reads as what
    /// arrived. The request's own timeout bounds the wait.
    pub(crate) async fn read(mut response: reqwest::Response) -> Reply {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut body = BytesMut::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            let room = MAX_ERROR_BYTES - body.len();
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() == MAX_ERROR_BYTES {
                break;
            }
        }
        Reply {
            status,
            headers,
            body: body.freeze(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_retry_after(value: &str) -> Reply {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, value.parse().unwrap());
        Reply {
            status: 503,
            headers,
            body: Bytes::new(),
        }
    }

    #[test]
    fn retry_after_never_overflows() {
        assert_eq!(with_retry_after("7").retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(
            with_retry_after("18446744073709551615").retry_after(),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(
            with_retry_after("999999999999999999999999").retry_after(),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(with_retry_after("Wed, 21 Oct 2015 07:28:00 GMT").retry_after(), None);
        assert_eq!(with_retry_after("-5").retry_after(), None);
    }
}
