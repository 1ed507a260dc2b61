//! Fault injection (`POST /_sandbox/faults`): a status with optional `Retry-After` and body, a
//! delay, or a connection reset after N bytes of the request or response body — matched by
//! method, path prefix and optionally the presence of `Range`, for a number of times.

use std::sync::Mutex;

use axum::http::{header, HeaderMap};
use serde::{Deserialize, Serialize};

use crate::state::lock;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// HTTP method to match (any when absent), case-insensitive.
    #[serde(default)]
    pub method: Option<String>,
    /// Path prefix to match, including the service prefix (`/yandex-disk/v1/disk/resources`).
    pub path: String,
    /// Match only requests with a `Range` header (the ranged requests of a download).
    #[serde(default)]
    pub with_range: bool,
    /// How many matching requests it applies to.
    #[serde(default = "one")]
    pub times: u32,
    /// Answer with this status instead of the service.
    #[serde(default)]
    pub status: Option<u16>,
    /// `Retry-After` seconds sent with `status`.
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// The body sent with `status` (JSON); the service's usual error shape when absent.
    #[serde(default)]
    pub body: Option<serde_json::Value>,
    /// Wait this long before answering (or before the reset).
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Drop the connection while reading the `request` body or writing the `response` body.
    #[serde(default)]
    pub reset: Option<ResetPoint>,
    /// With `reset`: how many body bytes pass before the connection drops.
    #[serde(default)]
    pub after_bytes: u64,
    /// With `status`: the request reaches the service first (a write lands) and only its
    /// answer is replaced — a gateway timing out on a write that went through.
    #[serde(default)]
    pub landed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResetPoint {
    Request,
    Response,
}

fn one() -> u32 {
    1
}

impl Fault {
    pub fn validate(&self) -> Result<(), String> {
        if !self.path.starts_with('/') {
            return Err("`path` must start with /".into());
        }
        if self.status.is_none() && self.reset.is_none() && self.delay_ms.is_none() {
            return Err("a fault needs `status`, `reset` or `delay_ms`".into());
        }
        if self.landed && self.status.is_none() {
            return Err("`landed` goes with `status`".into());
        }
        if self.status.is_some() && self.reset.is_some() {
            return Err("`status` and `reset` exclude each other".into());
        }
        if let Some(status) = self.status {
            if !(100..=599).contains(&status) {
                return Err("`status` must be an HTTP status".into());
            }
        }
        Ok(())
    }

    fn matches(&self, method: &str, path: &str, headers: &HeaderMap) -> bool {
        self.times > 0
            && path.starts_with(&self.path)
            && self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method))
            && (!self.with_range || headers.contains_key(header::RANGE))
    }
}

#[derive(Default)]
pub struct Faults {
    pending: Mutex<Vec<Fault>>,
}

impl Faults {
    pub fn add(&self, fault: Fault) {
        lock(&self.pending).push(fault);
    }

    /// The first pending fault that matches, used up once. Concurrent requests (the ranges of
    /// a parallel download) each take their own: `times: 2` hits two of them.
    pub fn take(&self, method: &str, path: &str, headers: &HeaderMap) -> Option<Fault> {
        let mut pending = lock(&self.pending);
        let index = pending.iter().position(|f| f.matches(method, path, headers))?;
        pending[index].times -= 1;
        let fault = pending[index].clone();
        if pending[index].times == 0 {
            pending.remove(index);
        }
        Some(fault)
    }

    pub fn list(&self) -> Vec<Fault> {
        lock(&self.pending).clone()
    }

    pub fn clear(&self) {
        lock(&self.pending).clear();
    }
}
