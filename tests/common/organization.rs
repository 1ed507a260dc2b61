//! The Yandex 360 side of the mail, calendar and Telemost tests: the sandbox organization with
//! the service application registered for chosen rights, and `credentials` that name an
//! employee, so every call runs with the one-hour tokens of the token exchange.

#![allow(dead_code)] // each test binary uses its own subset

use diskbridge_sandbox::{ORG_ID, YANDEX_SERVICE_CLIENT_ID, YANDEX_SERVICE_CLIENT_SECRET};
use serde_json::{json, Value};

use super::common::{ok, TestSandbox};

pub const OWNER_EMAIL: &str = "owner@sandbox-org.ru";
pub const IVAN_EMAIL: &str = "ivan.petrov@sandbox-org.ru";
pub const MARIA_EMAIL: &str = "maria.ivanova@sandbox-org.ru";
pub const CALENDAR_SCOPES: &str =
    "calendar:all telemost-api:conferences.create telemost-api:conferences.read telemost-api:conferences.update";

/// Signs the owner in, turns service applications on and registers the service application
/// with `scopes`; the owner's token.
pub fn register_service_application(sb: &TestSandbox, scopes: &str) -> String {
    let owner = sb.sign_in()["access_token"].as_str().unwrap().to_string();
    ok(sb.call(
        "Yandex360.ActivateServiceApplications",
        json!({"token": owner, "org_id": ORG_ID}),
    ));
    ok(sb.call(
        "Yandex360.AddServiceApplication",
        json!({"token": owner, "org_id": ORG_ID, "client_id": YANDEX_SERVICE_CLIENT_ID, "scopes": scopes}),
    ));
    owner
}

/// `credentials` of the service application for the employee with this address.
pub fn employee(email: &str) -> Value {
    json!({
        "client_id": YANDEX_SERVICE_CLIENT_ID,
        "client_secret": YANDEX_SERVICE_CLIENT_SECRET,
        "subject": {"user_email": email},
    })
}
