//! A service's answer: status, headers and a (small, fully read) body — the one reply type of
//! every request, upload chunk and status query.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde_json::Value;

use super::Profile;
use crate::error::{Error, ErrorCode, Result};

pub(crate) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
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

    /// `Retry-After` in seconds (the HTTP-date form falls back to the back-off schedule).
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        let value = self.headers.get(RETRY_AFTER)?.to_str().ok()?;
        value.trim().parse::<u64>().ok().map(Duration::from_secs)
    }

    /// Reads a response whole; a body that breaks off reads as what arrived.
    pub(crate) async fn read(response: reqwest::Response) -> Reply {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.unwrap_or_default();
        Reply { status, headers, body }
    }
}
