//! The error-code catalogue and the library's error type.
//!
//! Codes form a closed, append-only catalogue (docs/errors.md): callers branch on `code`, never
//! on `message`. A retired code is never reused; new codes are appended at the end.

use serde_json::{json, Value};

/// Every error code the library can reply with. Append only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    InvalidRequest,
    UnknownMethod,
    InvalidParams,
    InsecureEndpoint,
    AuthorizationPending,
    SlowDown,
    Expired,
    AccessDenied,
    InvalidClient,
    InvalidGrant,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    BadRequest,
    PayloadTooLarge,
    Locked,
    RateLimited,
    QuotaExceeded,
    UpstreamError,
    ServerError,
    Network,
    Timeout,
    InvalidResponse,
    ChecksumMismatch,
    LocalIo,
    UnsafePath,
    TooLarge,
    Cancelled,
    UnknownJob,
    OperationFailed,
    Internal,
    UntrustedCertificate,
}

impl ErrorCode {
    /// The catalogue, in order of addition.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::InvalidRequest,
        ErrorCode::UnknownMethod,
        ErrorCode::InvalidParams,
        ErrorCode::InsecureEndpoint,
        ErrorCode::AuthorizationPending,
        ErrorCode::SlowDown,
        ErrorCode::Expired,
        ErrorCode::AccessDenied,
        ErrorCode::InvalidClient,
        ErrorCode::InvalidGrant,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::BadRequest,
        ErrorCode::PayloadTooLarge,
        ErrorCode::Locked,
        ErrorCode::RateLimited,
        ErrorCode::QuotaExceeded,
        ErrorCode::UpstreamError,
        ErrorCode::ServerError,
        ErrorCode::Network,
        ErrorCode::Timeout,
        ErrorCode::InvalidResponse,
        ErrorCode::ChecksumMismatch,
        ErrorCode::LocalIo,
        ErrorCode::UnsafePath,
        ErrorCode::TooLarge,
        ErrorCode::Cancelled,
        ErrorCode::UnknownJob,
        ErrorCode::OperationFailed,
        ErrorCode::Internal,
        ErrorCode::UntrustedCertificate,
    ];

    pub fn as_str(self) -> &'static str {
        self.info().0
    }

    /// Whether the same call may succeed later without any change by the caller.
    pub fn retryable(self) -> bool {
        self.info().1
    }

    pub fn description(self) -> &'static str {
        self.info().2
    }

    fn info(self) -> (&'static str, bool, &'static str) {
        use ErrorCode::*;
        match self {
            InvalidRequest => ("invalid_request", false, "The request itself is unusable: NULL or non-UTF-8 method or params, params that are not a JSON object."),
            UnknownMethod => ("unknown_method", false, "No method has that name or alias; `Library.Methods` lists them."),
            InvalidParams => ("invalid_params", false, "A parameter is missing, unknown, of the wrong type or out of range; the message names it and the accepted keys."),
            InsecureEndpoint => ("insecure_endpoint", false, "A plain http://, imap:// or smtp:// endpoint that is not loopback, refused unless `allow_insecure_http` is configured."),
            AuthorizationPending => ("authorization_pending", true, "The person has not yet approved the device code: poll again after `interval` seconds (WaitForToken does this)."),
            SlowDown => ("slow_down", true, "Polling too fast: add 5 seconds to the interval."),
            Expired => ("expired", false, "A device code, authorization code or session has expired: start the sign-in again."),
            AccessDenied => ("access_denied", false, "The person declined the request."),
            InvalidClient => ("invalid_client", false, "The client_id or client_secret is wrong."),
            InvalidGrant => ("invalid_grant", false, "The code, refresh token or assertion is invalid, expired, revoked or belongs to another client: sign in again."),
            Unauthorized => ("unauthorized", false, "The service refused the token (HTTP 401): refresh it or sign in again."),
            Forbidden => ("forbidden", false, "The token lacks a right for this action, or the action is not allowed (HTTP 403)."),
            NotFound => ("not_found", false, "The resource does not exist (HTTP 404)."),
            Conflict => ("conflict", false, "The resource already exists, or a parent is missing (HTTP 409)."),
            BadRequest => ("bad_request", false, "The service refused a parameter value (HTTP 400)."),
            PayloadTooLarge => ("payload_too_large", false, "The file is larger than the service accepts (HTTP 413)."),
            Locked => ("locked", true, "The resource is locked or a traffic limit is reached (HTTP 423)."),
            RateLimited => ("rate_limited", true, "Too many requests, still refused after the retries (HTTP 429 or a rate-limit 403)."),
            QuotaExceeded => ("quota_exceeded", false, "Storage or daily quota exhausted (HTTP 507, Google's quota 403s); not retried."),
            UpstreamError => ("upstream_error", false, "Another HTTP error status from the service; see `http_status` and `upstream`."),
            ServerError => ("server_error", true, "The service failed (HTTP 5xx), still failing after the retries."),
            Network => ("network", true, "The connection failed or broke, still failing after the retries."),
            Timeout => ("timeout", true, "No answer within the configured timeouts."),
            InvalidResponse => ("invalid_response", false, "The service answered something the library cannot read."),
            ChecksumMismatch => ("checksum_mismatch", true, "Transferred bytes do not match the size or checksum the service reports; nothing was replaced."),
            LocalIo => ("local_io", false, "A local file or folder could not be read or written."),
            UnsafePath => ("unsafe_path", false, "A name would write outside the target folder or is invalid on this system; it was skipped."),
            TooLarge => ("too_large", false, "The data is larger than the inline (base64) cap; give a save_path."),
            Cancelled => ("cancelled", false, "Cancelled by the progress callback or Jobs.Cancel; nothing partial was left."),
            UnknownJob => ("unknown_job", false, "No background job has that id (or it was forgotten)."),
            OperationFailed => ("operation_failed", false, "An asynchronous operation of the service ended in failure."),
            Internal => ("internal", false, "A bug in diskbridge (a panic was caught at the boundary); please report it."),
            UntrustedCertificate => ("untrusted_certificate", false, "The server's TLS certificate is not trusted (an unknown authority, expired, or for another name); not retried. A private certificate authority's PEM file goes in `ca_file`."),
        }
    }
}

/// An error reply. `message` must never contain a secret (see `crate::secrets`).
#[derive(Clone, Debug)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    pub http_status: Option<u16>,
    /// The service it came from (`yandex_disk`, `google_oauth`, …), as its profile names it.
    pub service: Option<&'static str>,
    /// The service's own error body, kept as it came.
    pub upstream: Option<Value>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Input echoed in a message (a parameter name, a method name) is cut to this many characters.
pub(crate) const ECHO_CHARS: usize = 100;
/// A reply's message is cut to this many characters, whatever it quotes.
const MESSAGE_CHARS: usize = 8 * 1024;

/// At most `max` characters of `text`, with `…` when it was cut: a caller may pass megabytes
/// where a name belongs, and an error must not echo them back.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            http_status: None,
            service: None,
            upstream: None,
        }
    }

    pub fn invalid_params(message: impl Into<String>) -> Error {
        Error::new(ErrorCode::InvalidParams, message)
    }

    pub fn cancelled() -> Error {
        Error::new(ErrorCode::Cancelled, "cancelled by the caller")
    }

    pub fn local_io(what: &str, err: &std::io::Error) -> Error {
        Error::new(ErrorCode::LocalIo, format!("{what}: {err}"))
    }

    pub fn with_service(mut self, service: &'static str) -> Error {
        self.service = Some(service);
        self
    }

    pub fn to_json(&self) -> Value {
        let mut error = json!({
            "code": self.code.as_str(),
            "message": excerpt(&self.message, MESSAGE_CHARS),
            "retryable": self.code.retryable(),
        });
        if let Some(status) = self.http_status {
            error["http_status"] = json!(status);
        }
        if let Some(service) = self.service {
            error["service"] = json!(service);
        }
        if let Some(upstream) = &self.upstream {
            error["upstream"] = upstream.clone();
        }
        error
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

/// Renders docs/errors.md from the catalogue.
pub fn errors_markdown() -> String {
    let mut out = String::from(
        "# Error codes\n\n\
         Generated from `src/error.rs` by `scripts/regenerate.sh` (the test command fails when \
         this file is stale).\n\n\
         Every failed call replies `{\"ok\": false, \"error\": {\"code\", \"message\", \"retryable\", \
         \"http_status\"?, \"service\"?, \"upstream\"?}}`. Branch on `code`, never on `message`: \
         messages are for people and may change. The catalogue is append-only: a code is never \
         renamed, removed or reused. `retryable` says whether the same call may succeed later \
         unchanged (the library has already retried what was safe to retry).\n\n\
         | code | retryable | meaning |\n|---|---|---|\n",
    );
    for code in ErrorCode::ALL {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            code.as_str(),
            if code.retryable() { "yes" } else { "no" },
            code.description()
        ));
    }
    out
}
