//! A service's profile: what the transport needs to know about a service, declared beside the
//! service (`services/<service>/profile.rs`), so the transport names none. It reads the service's
//! error bodies into the catalogue and says which refusals mean "too many requests".

use serde_json::Value;

use super::Reply;
use crate::error::{excerpt, Error, ErrorCode, ECHO_CHARS};

/// `upstream` keeps a service's error body up to this many characters; a longer one is cut to the text of
/// its start.
pub(crate) const MAX_UPSTREAM_CHARS: usize = 4 << 10;
/// A service's error description is quoted in a message up to this many characters.
const MAX_DESCRIPTION_CHARS: usize = 1000;

pub(crate) struct Profile {
    /// `error.service` of replies: `yandex_disk`, `google_oauth`, …
    pub id: &'static str,
    /// How messages name the service: "Yandex Disk answered HTTP 404 …".
    pub name: &'static str,
    /// The service's own error code and description in an error body.
    pub read_error: fn(&Value) -> ServiceError,
    /// The catalogue code of a service error code that says more than the status (an OAuth
    /// error, a quota or rate-limit reason); `None`: the status decides.
    pub classify: fn(&str) -> Option<ErrorCode>,
    /// Whether an error status other than 429 says "too many requests": the request was refused
    /// before any work was done, so it is retried like a 429 (Google's rate-limit 403s).
    pub rate_limit_refusal: fn(u16, &ServiceError) -> bool,
}

/// What a service says in an error body.
#[derive(Default)]
pub(crate) struct ServiceError {
    pub code: Option<String>,
    pub description: Option<String>,
}

/// For services whose error codes add nothing to the status.
fn no_service_codes(_: &str) -> Option<ErrorCode> {
    None
}

/// For services that refuse for rate with 429 only.
fn no_rate_limit_refusals(_: u16, _: &ServiceError) -> bool {
    false
}

/// Error bodies of the common shape `{"error": code, "description" or "message": text}`.
pub(crate) fn read_error_and_description(body: &Value) -> ServiceError {
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(String::from);
    ServiceError {
        code: text("error"),
        description: text("description").or_else(|| text("message")),
    }
}

impl Profile {
    /// A service whose error codes add nothing to the status and which refuses for rate with
    /// 429 only; `classify` and `rate_limit_refusal` say otherwise.
    pub(crate) const fn new(id: &'static str, name: &'static str, read_error: fn(&Value) -> ServiceError) -> Profile {
        Profile {
            id,
            name,
            read_error,
            classify: no_service_codes,
            rate_limit_refusal: no_rate_limit_refusals,
        }
    }

    pub(crate) const fn classify(mut self, classify: fn(&str) -> Option<ErrorCode>) -> Profile {
        self.classify = classify;
        self
    }

    pub(crate) const fn rate_limit_refusal(mut self, refusal: fn(u16, &ServiceError) -> bool) -> Profile {
        self.rate_limit_refusal = refusal;
        self
    }

    /// Whether the reply refuses the request for rate (429, or the service's own way of saying
    /// it), which means nothing was done.
    pub(crate) fn refused_for_rate(&self, reply: &Reply) -> bool {
        if reply.status == 429 {
            return true;
        }
        if reply.status < 400 {
            return false;
        }
        let body = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
        (self.rate_limit_refusal)(reply.status, &(self.read_error)(&body))
    }

    /// The error reply for an HTTP error status: the service's own code and text, mapped to the
    /// catalogue, with the body kept in `upstream`.
    /// A body longer than [`MAX_UPSTREAM_CHARS`] is kept in `upstream` as the text of its start.
    pub(crate) fn error(&self, reply: &Reply) -> Error {
        let parsed: Option<Value> = serde_json::from_slice(&reply.body).ok();
        let said = parsed.as_ref().map(self.read_error).unwrap_or_default();
        let code = said
            .code
            .as_deref()
            .and_then(self.classify)
            .unwrap_or_else(|| code_for_status(reply.status));
        let mut message = format!("{} answered HTTP {}", self.name, reply.status);
        if let Some(service_code) = &said.code {
            message.push_str(&format!(" {}", excerpt(service_code, ECHO_CHARS)));
        }
        if let Some(description) = said.description.filter(|d| !d.is_empty()) {
            message.push_str(&format!(": {}", excerpt(&description, MAX_DESCRIPTION_CHARS)));
        }
        if (300..400).contains(&reply.status) {
            message.push_str(" (a redirect that was not followed: only a 2xx answer is success)");
        }
        let upstream = match parsed {
            Some(body) if reply.body.len() <= MAX_UPSTREAM_CHARS => body,
            _ => Value::String(excerpt(&String::from_utf8_lossy(&reply.body), MAX_UPSTREAM_CHARS)),
        };
        Error {
            code,
            message,
            http_status: Some(reply.status),
            service: Some(self.id),
            upstream: Some(upstream),
        }
    }

    /// An answer the library cannot use (a missing field, an unreadable header).
    pub(crate) fn invalid_response(&self, what: impl Into<String>) -> Error {
        Error::new(ErrorCode::InvalidResponse, what).with_service(self.id)
    }
}

/// What an error status means when the service says nothing more.
fn code_for_status(status: u16) -> ErrorCode {
    match status {
        400 => ErrorCode::BadRequest,
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        409 => ErrorCode::Conflict,
        410 => ErrorCode::Expired,
        413 => ErrorCode::PayloadTooLarge,
        423 => ErrorCode::Locked,
        429 => ErrorCode::RateLimited,
        507 => ErrorCode::QuotaExceeded,
        500..=599 => ErrorCode::ServerError,
        _ => ErrorCode::UpstreamError,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use reqwest::header::HeaderMap;

    /// A profile of the kind services declare: codes in `error`, text in `description`.
    const TEST: Profile = Profile::new("test_service", "Test Service", read_error_and_description)
        .classify(|code| (code == "quota").then_some(ErrorCode::QuotaExceeded))
        .rate_limit_refusal(|status, said| status == 403 && said.code.as_deref() == Some("slow"));

    fn reply(status: u16, body: &'static str) -> Reply {
        Reply {
            status,
            headers: HeaderMap::new(),
            body: Bytes::from_static(body.as_bytes()),
        }
    }

    #[test]
    fn error_bodies_map_through_the_profile() {
        let error = TEST.error(&reply(409, r#"{"error":"Exists","description":"it is there"}"#));
        assert_eq!(error.code, ErrorCode::Conflict);
        assert_eq!(error.service, Some("test_service"));
        assert_eq!(error.message, "Test Service answered HTTP 409 Exists: it is there");
        assert_eq!(
            TEST.error(&reply(403, r#"{"error":"quota"}"#)).code,
            ErrorCode::QuotaExceeded
        );
        let text = TEST.error(&reply(502, "<html>bad gateway</html>"));
        assert_eq!(text.code, ErrorCode::ServerError);
        assert_eq!(text.upstream, Some(Value::String("<html>bad gateway</html>".into())));
    }

    #[test]
    fn rate_refusals_are_429_or_the_profiles_own() {
        assert!(TEST.refused_for_rate(&reply(429, "")));
        assert!(TEST.refused_for_rate(&reply(403, r#"{"error":"slow"}"#)));
        assert!(!TEST.refused_for_rate(&reply(403, r#"{"error":"quota"}"#)));
        assert!(!TEST.refused_for_rate(&reply(200, r#"{"error":"slow"}"#)));
    }
}
