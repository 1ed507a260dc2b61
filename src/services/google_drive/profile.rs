//! How Google Drive is reached (www.googleapis.com) and how it answers: errors as
//! `{"error": {"errors": [{"reason"}], "message", "status"}}`, where the reason says more than
//! the status — rate limits (retried like a 429) and quotas (never retried).

use serde_json::Value;

use crate::config::Endpoint;
use crate::error::{Error, ErrorCode};
use crate::transport::{Profile, ServiceError};

pub(crate) const ENDPOINT: Endpoint = Endpoint::new("google_apis", "https://www.googleapis.com", "/google-apis");

pub(crate) const PROFILE: Profile = Profile::new("google_drive", "Google Drive", read_error)
    .classify(classify)
    .rate_limit_refusal(rate_limit_refusal);

fn read_error(body: &Value) -> ServiceError {
    let error = body.get("error");
    let reason = error
        .and_then(|error| error.pointer("/errors/0/reason").or_else(|| error.get("status")))
        .and_then(Value::as_str);
    ServiceError {
        code: reason.map(String::from),
        description: body.pointer("/error/message").and_then(Value::as_str).map(String::from),
    }
}

fn classify(reason: &str) -> Option<ErrorCode> {
    match reason {
        "userRateLimitExceeded" | "rateLimitExceeded" => Some(ErrorCode::RateLimited),
        "storageQuotaExceeded" | "dailyLimitExceeded" | "downloadQuotaExceeded" | "quotaExceeded" => {
            Some(ErrorCode::QuotaExceeded)
        }
        _ => None,
    }
}

/// Google's 403 that says "too many requests", not "forbidden".
fn rate_limit_refusal(status: u16, said: &ServiceError) -> bool {
    status == 403
        && matches!(
            said.code.as_deref(),
            Some("userRateLimitExceeded" | "rateLimitExceeded")
        )
}

/// Quota errors are final (never retried); say what ran out and what to do. A service account
/// has no Drive storage at all, which surprises many (OPI's issue #15 was exactly this).
pub(super) fn explain(mut error: Error) -> Error {
    if error.code != ErrorCode::QuotaExceeded {
        return error;
    }
    let upstream = error.upstream.as_ref();
    let reason = upstream
        .and_then(|u| u.pointer("/error/errors/0/reason"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let text = upstream
        .and_then(|u| u.pointer("/error/message"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let hint = match reason {
        "storageQuotaExceeded" if text.contains("Service Account") => {
            "a service account has no Drive storage of its own, so it cannot own files: upload into a shared drive it is a member of (GetSharedDrives lists them; give its id as `drive_id`, or a folder on it as the parent), or act as a Workspace user (GetServiceAccountToken with `subject`)"
        }
        "storageQuotaExceeded" => "the owner's Drive storage is full: free space (EmptyTrash counts) or get more storage",
        "dailyLimitExceeded" => "the project's daily Drive API limit is used up: try again tomorrow or raise the quota in the Google Cloud console",
        "downloadQuotaExceeded" => "this file's download quota is used up (Google limits downloads of a file per day): try again later",
        _ => "a Drive quota is used up; retrying now will not help",
    };
    error.message = format!("{hint} ({})", error.message);
    error
}
