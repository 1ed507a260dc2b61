//! The request log behind `GET /_sandbox/requests`: what went over the wire, oldest first —
//! HTTP requests, and the commands of the IMAP and SMTP sessions (rendered without secrets by
//! their sessions).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, Method, Uri, Version};
use serde_json::{json, Value};

use crate::state::lock;

/// Bodies up to this size, of a text type, are kept in the log.
pub const MAX_LOGGED_BODY: usize = 64 * 1024;

pub struct Entry {
    /// `http`, `imap` or `smtp`.
    protocol: &'static str,
    method: String,
    path: String,
    query: String,
    headers: BTreeMap<String, String>,
    at_ms: u64,
    body: Mutex<Option<String>>,
    pub body_bytes: AtomicU64,
    status: AtomicU16,
    /// The HTTP version the request came with (`HTTP/1.1`, `HTTP/2.0`).
    version: OnceLock<String>,
    /// A line protocol's command as the session rendered it, and the mailbox's address.
    command: Option<String>,
    user: Option<String>,
    /// A line protocol's result: `OK`/`NO`/`BAD`, or an SMTP reply code.
    result: Mutex<Option<String>>,
}

impl Entry {
    pub fn set_body_text(&self, text: String) {
        *lock(&self.body) = Some(text);
    }

    pub fn set_status(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    pub fn set_version(&self, version: Version) {
        let _ = self.version.set(format!("{version:?}"));
    }

    pub fn set_result(&self, result: &str) {
        *lock(&self.result) = Some(result.to_string());
    }

    fn to_json(&self) -> Value {
        let status = self.status.load(Ordering::SeqCst);
        if self.protocol != "http" {
            return json!({
                "protocol": self.protocol,
                "method": self.method,
                "command": self.command,
                "user": self.user,
                "body_bytes": self.body_bytes.load(Ordering::SeqCst),
                "at_ms": self.at_ms,
                "status": *lock(&self.result),
            });
        }
        json!({
            "protocol": self.protocol,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body_bytes": self.body_bytes.load(Ordering::SeqCst),
            "body": *lock(&self.body),
            "at_ms": self.at_ms,
            "status": if status == 0 { Value::Null } else { json!(status) },
            "version": self.version.get(),
        })
    }
}

#[derive(Default)]
pub struct RequestLog {
    entries: Mutex<Vec<Arc<Entry>>>,
}

impl RequestLog {
    pub fn start(&self, method: &Method, uri: &Uri, headers: &HeaderMap) -> Arc<Entry> {
        let headers = headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let entry = Arc::new(Entry {
            protocol: "http",
            method: method.as_str().to_string(),
            path: uri.path().to_string(),
            query: uri.query().unwrap_or("").to_string(),
            headers,
            at_ms: now_ms(),
            body: Mutex::new(None),
            body_bytes: AtomicU64::new(0),
            status: AtomicU16::new(0),
            version: OnceLock::new(),
            command: None,
            user: None,
            result: Mutex::new(None),
        });
        lock(&self.entries).push(entry.clone());
        entry
    }

    /// An entry for one command of an IMAP or SMTP session: `method` is the command's name,
    /// `command` its line with every secret already masked.
    pub fn start_command(
        &self,
        protocol: &'static str,
        method: &str,
        command: String,
        user: Option<&str>,
    ) -> Arc<Entry> {
        let entry = Arc::new(Entry {
            protocol,
            method: method.to_string(),
            path: String::new(),
            query: String::new(),
            headers: BTreeMap::new(),
            at_ms: now_ms(),
            body: Mutex::new(None),
            body_bytes: AtomicU64::new(0),
            status: AtomicU16::new(0),
            version: OnceLock::new(),
            command: Some(command),
            user: user.map(String::from),
            result: Mutex::new(None),
        });
        lock(&self.entries).push(entry.clone());
        entry
    }

    pub fn to_json(&self) -> Value {
        Value::Array(lock(&self.entries).iter().map(|e| e.to_json()).collect())
    }

    pub fn clear(&self) {
        lock(&self.entries).clear();
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Whether a body of this `Content-Type` is text worth keeping in the log.
pub fn is_text_body(content_type: Option<&str>) -> bool {
    let Some(content_type) = content_type else { return false };
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/x-www-form-urlencoded"
        || essence == "application/json"
        || essence.ends_with("+json")
        || essence.starts_with("text/")
}
