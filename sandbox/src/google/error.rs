//! Google's API errors: the JSON envelope of docs/protocols.md §4.8, with `WWW-Authenticate` on 401.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::json_response;

/// A Google API error in the envelope of docs/protocols.md §4.8 (boxed: it travels in every
/// handler's `Result`).
#[derive(Debug)]
pub(crate) struct ApiError(Box<ErrorDetails>);

#[derive(Debug)]
pub(crate) struct ErrorDetails {
    pub status: StatusCode,
    pub reason: String,
    pub message: String,
    /// `location` and `locationType` of `errors[0]`, e.g. `("fileId", "parameter")`.
    pub location: Option<(String, &'static str)>,
    /// The canonical status name Google's front end adds to authentication and scope errors.
    pub canonical: Option<&'static str>,
    /// `errors[0].message` when it differs from the top-level message (authentication errors).
    pub detail: Option<&'static str>,
}

impl std::ops::Deref for ApiError {
    type Target = ErrorDetails;

    fn deref(&self) -> &ErrorDetails {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ErrorDetails {
        &mut self.0
    }
}

impl ApiError {
    pub fn new(status: StatusCode, reason: &str, message: impl Into<String>) -> ApiError {
        ApiError(Box::new(ErrorDetails {
            status,
            reason: reason.to_string(),
            message: message.into(),
            location: None,
            canonical: None,
            detail: None,
        }))
    }

    pub fn at(mut self, location: &str, location_type: &'static str) -> ApiError {
        self.location = Some((location.to_string(), location_type));
        self
    }

    pub fn bad_request(reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, reason, message)
    }

    pub fn forbidden(reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, reason, message)
    }

    /// 400 `invalid` "Invalid Value" for a query parameter, as Google answers a bad `q`.
    pub fn invalid_parameter(name: &str) -> ApiError {
        ApiError::bad_request("invalid", "Invalid Value").at(name, "parameter")
    }

    pub fn required_parameter(name: &str) -> ApiError {
        ApiError::bad_request("required", format!("Required parameter: {name}")).at(name, "parameter")
    }

    pub fn file_not_found(id: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "notFound", format!("File not found: {id}.")).at("fileId", "parameter")
    }

    pub fn insufficient_file_permissions() -> ApiError {
        ApiError::forbidden(
            "insufficientFilePermissions",
            "The user does not have sufficient permissions for this file.",
        )
    }

    fn domain(&self) -> &'static str {
        match self.reason.as_str() {
            "rateLimitExceeded"
            | "userRateLimitExceeded"
            | "dailyLimitExceeded"
            | "quotaExceeded"
            | "storageQuotaExceeded"
            | "downloadQuotaExceeded" => "usageLimits",
            _ => "global",
        }
    }

    pub fn body(&self) -> Value {
        let item_message = self.detail.map(str::to_string).unwrap_or_else(|| self.message.clone());
        let mut item = json!({"message": item_message, "domain": self.domain(), "reason": self.reason});
        if let Some((location, location_type)) = &self.location {
            item["location"] = json!(location);
            item["locationType"] = json!(location_type);
        }
        let mut error = json!({"code": self.status.as_u16(), "message": self.message, "errors": [item]});
        if let Some(canonical) = self.canonical {
            error["status"] = json!(canonical);
        }
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = json_response(self.status, &self.body());
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\""),
            );
        }
        response
    }
}
