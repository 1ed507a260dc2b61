//! Requests to Yandex 360 with the administrator's token, and what its refusals mean.

use serde_json::{json, Value};

use super::profile::{ENDPOINT, PROFILE};
use crate::error::{Error, ErrorCode, Result};
use crate::schema::Call;
use crate::transport::{send_json, Request};

/// A listing that has not ended after this many pages is a service that keeps answering the
/// same page, not a directory (100 per page: a million entries).
pub(super) const MAX_PAGES: usize = 10_000;

pub(super) fn org_id(call: &Call) -> Result<u64> {
    call.args
        .opt_u64("org_id")
        .ok_or_else(|| Error::invalid_params("missing parameter `org_id`"))
}

pub(super) fn api_url(call: &Call, path: &str) -> Result<url::Url> {
    call.ctx.url(&ENDPOINT, path)
}

pub(super) fn applications_url(call: &Call, suffix: &str) -> Result<url::Url> {
    api_url(
        call,
        &format!("/security/v1/org/{}/service_applications{suffix}", org_id(call)?),
    )
}

/// Sends an API request with the call's token, explaining the refusals an administrator meets.
pub(super) async fn send(call: &Call, request: Request) -> Result<Value> {
    send_json(&call.ctx, &request.authorized()).await.map_err(explain)
}

fn explain(mut error: Error) -> Error {
    let hint = match error.code {
        ErrorCode::Forbidden => Some(
            "only the organization's owner may do this, with a token carrying the right it needs \
             (directory:read_organization, directory:read_users, ya360_security:service_applications_read \
             or _write)",
        ),
        // 9 is FAILED_PRECONDITION: the feature is off.
        ErrorCode::BadRequest if error.upstream.as_ref().and_then(|u| u.get("code")) == Some(&json!(9)) => {
            Some("service applications are not activated: call Yandex360.ActivateServiceApplications first")
        }
        _ => None,
    };
    if let Some(hint) = hint {
        error.message = format!("{hint} ({})", error.message);
    }
    error
}

/// The array under `key` of a page, or an invalid-response error.
pub(super) fn items(page: &Value, key: &str) -> Result<Vec<Value>> {
    match page.get(key) {
        Some(Value::Array(items)) => Ok(items.clone()),
        // An empty listing may leave the array out.
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(_) => Err(PROFILE.invalid_response(format!("Yandex 360 answered a page whose `{key}` is not an array"))),
    }
}

pub(super) fn endless_listing() -> Error {
    PROFILE.invalid_response(format!(
        "Yandex 360 kept answering pages (more than {MAX_PAGES}) without reaching the end"
    ))
}
