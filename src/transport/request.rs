//! A request to a service, described once and rebuilt for every attempt.

use bytes::Bytes;
use serde_json::Value;
use url::Url;

use super::{target_of, Profile};

pub(crate) struct Request {
    pub method: reqwest::Method,
    pub url: Url,
    pub profile: &'static Profile,
    pub(super) body: Body,
    pub(super) headers: Vec<(&'static str, String)>,
    /// Safe to send again after it may have reached the server.
    pub(super) idempotent: bool,
    /// Carries the call's token (`Authorization: OAuth` / `Bearer`).
    pub(super) authorized: bool,
    /// The largest answer body read; a longer one is an `invalid_response` (None: unbounded).
    pub(super) max_body: Option<usize>,
}

pub(super) enum Body {
    Empty,
    Form(Vec<(String, String)>),
    Json(Value),
    /// A small body held in memory (a multipart upload below its threshold), cheap to resend.
    Bytes(String, Bytes),
}

impl Request {
    fn new(method: reqwest::Method, profile: &'static Profile, url: Url, idempotent: bool) -> Request {
        Request {
            method,
            url,
            profile,
            body: Body::Empty,
            headers: Vec::new(),
            idempotent,
            authorized: false,
            max_body: None,
        }
    }

    /// A request with a method of an HTTP extension (WebDAV's `PROPFIND`, `REPORT`,
    /// `MKCALENDAR`, …), idempotent or not as that method is.
    pub(crate) fn extension(method: &'static str, profile: &'static Profile, url: Url, idempotent: bool) -> Request {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP token names the method");
        Request::new(method, profile, url, idempotent)
    }

    pub(crate) fn get(profile: &'static Profile, url: Url) -> Request {
        Request::new(reqwest::Method::GET, profile, url, true)
    }

    /// A POST is not replayed after it may have reached the server, unless marked idempotent.
    pub(crate) fn post(profile: &'static Profile, url: Url) -> Request {
        Request::new(reqwest::Method::POST, profile, url, false)
    }

    pub(crate) fn put(profile: &'static Profile, url: Url) -> Request {
        Request::new(reqwest::Method::PUT, profile, url, true)
    }

    pub(crate) fn delete(profile: &'static Profile, url: Url) -> Request {
        Request::new(reqwest::Method::DELETE, profile, url, true)
    }

    /// A PATCH of metadata sets fields to given values, so sending it again changes nothing more.
    pub(crate) fn patch(profile: &'static Profile, url: Url) -> Request {
        Request::new(reqwest::Method::PATCH, profile, url, true)
    }

    pub(crate) fn query(mut self, key: &str, value: &str) -> Request {
        self.url.query_pairs_mut().append_pair(key, value);
        self
    }

    pub(crate) fn form(mut self, pairs: Vec<(&str, String)>) -> Request {
        self.body = Body::Form(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
        self
    }

    pub(crate) fn json(mut self, body: Value) -> Request {
        self.body = Body::Json(body);
        self
    }

    /// A body of `content_type` held in memory.
    pub(crate) fn bytes(mut self, content_type: String, body: Bytes) -> Request {
        self.body = Body::Bytes(content_type, body);
        self
    }

    pub(crate) fn header(mut self, name: &'static str, value: String) -> Request {
        self.headers.push((name, value));
        self
    }

    pub(crate) fn idempotent(mut self, idempotent: bool) -> Request {
        self.idempotent = idempotent;
        self
    }

    pub(crate) fn authorized(mut self) -> Request {
        self.authorized = true;
        self
    }

    /// Caps a successful answer's body at `bytes` instead of `reply::MAX_ANSWER_BYTES`: a
    /// service that answers more is an `invalid_response` (CalDAV listings, whose size the
    /// server decides, get more room; a single calendar object less).
    pub(crate) fn max_body(mut self, bytes: usize) -> Request {
        self.max_body = Some(bytes);
        self
    }

    /// `host/path`, what log lines and messages name (never the query: it may hold signatures).
    pub(super) fn target(&self) -> String {
        target_of(&self.url)
    }
}

/// Whether `value` can be sent as an HTTP header value: no CR, LF, DEL or other control
/// character but tab (reqwest would refuse it only when sending, as if the network failed).
pub(crate) fn header_safe(value: &str) -> bool {
    reqwest::header::HeaderValue::from_str(value).is_ok()
}
