//! One C export per registered method, generated from the registry by
//! `DISKBRIDGE_BLESS=1 cargo test --test generated`; do not edit by hand.

use std::ffi::c_char;

use super::call_method;

/// `Library.Version`: The library's version and C ABI level.
///
/// Parameters: `params_json`, a JSON object with `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{"version", "abi"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Library.Version", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_library_version(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Library.Version", params_json) }
}

/// `Library.Methods`: Every method with its aliases, C export and parameter specs (what docs/methods.md shows).
///
/// Parameters: `params_json`, a JSON object with `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{"methods": [{"name", "aliases", "c_export", "params": [...], ...}]}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Library.Methods", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_library_methods(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Library.Methods", params_json) }
}

/// `Library.Configure`: Sets process-wide defaults; `options` on a call overrides them for that call.
///
/// Parameters: `params_json`, a JSON object with `endpoints`, `sandbox`, `allow_insecure_http`, `timeouts`, `retries`, `proxy`, `ca_file`, `user_agent`, `log`, `reset`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is the effective configuration, secrets masked; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Library.Configure", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_library_configure(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Library.Configure", params_json) }
}

/// `Library.GetConfiguration`: The configuration in force (with this call's `options` applied).
///
/// Parameters: `params_json`, a JSON object with `options`.
/// Returns a reply envelope (never NULL) whose `result` is the effective configuration, secrets masked; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Library.GetConfiguration", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_library_get_configuration(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Library.GetConfiguration", params_json) }
}

/// `Library.GetLog`: Recent log lines of this process (secrets never appear in them).
///
/// Parameters: `params_json`, a JSON object with `limit`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{"lines": ["2026-11-21T10:00:00.123Z INFO  http: ..."]}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Library.GetLog", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_library_get_log(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Library.GetLog", params_json) }
}

/// `YandexID.GetConfirmationCode`: Starts the device flow: the person opens `verification_url` and types `user_code`.
///
/// Parameters: `params_json`, a JSON object with `client_id` (required), `device_id`, `device_name`, `scope`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is Yandex's JSON: `{"device_code", "user_code", "verification_url", "interval", "expires_in"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexID.GetConfirmationCode", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_id_get_confirmation_code(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexID.GetConfirmationCode", params_json) }
}

/// `YandexID.ConvertCodeToToken`: Exchanges an approved device code for tokens (one attempt; WaitForToken polls). Not yet approved: error `authorization_pending`; expired: `expired`.
///
/// Parameters: `params_json`, a JSON object with `client_id` (required), `client_secret` (required), `device_code` (required), `options`.
/// Returns a reply envelope (never NULL) whose `result` is token JSON: `{"access_token", "refresh_token", "expires_in", "token_type"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexID.ConvertCodeToToken", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_id_convert_code_to_token(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexID.ConvertCodeToToken", params_json) }
}

/// `YandexID.RefreshToken`: New tokens for a refresh token. Yandex rotates the refresh token: the old one stops working, so store the new one.
///
/// Parameters: `params_json`, a JSON object with `client_id` (required), `client_secret` (required), `refresh_token` (required), `options`.
/// Returns a reply envelope (never NULL) whose `result` is token JSON with a new `refresh_token`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexID.RefreshToken", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_id_refresh_token(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexID.RefreshToken", params_json) }
}

/// `YandexID.WaitForToken`: Polls until the person approves the device code, honouring `interval` and `slow_down`. Expired: `expired`; denied: `access_denied`; progress reports seconds waited and can cancel (`cancelled`).
///
/// Parameters: `params_json`, a JSON object with `client_id` (required), `client_secret` (required), `device_code` (required), `interval`, `timeout_s`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is token JSON, as ConvertCodeToToken; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexID.WaitForToken", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_id_wait_for_token(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexID.WaitForToken", params_json) }
}

/// `YandexID.FormAuthorizationLink`: The authorization URL for a browser. The implicit (`token`) link is the one a person opens to get a token by hand.
///
/// Parameters: `params_json`, a JSON object with `client_id` (required), `response_type`, `redirect_uri`, `scope`, `state`, `login_hint`, `force_confirm`, `pkce`, `device_id`, `device_name`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{"url", "state", "code_verifier"?}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexID.FormAuthorizationLink", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_id_form_authorization_link(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexID.FormAuthorizationLink", params_json) }
}

/// `YandexID.GetTokenByCode`: Exchanges an authorization code for tokens.
///
/// Parameters: `params_json`, a JSON object with `client_id` (required), `client_secret` (required), `code` (required), `code_verifier`, `device_id`, `device_name`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is token JSON; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexID.GetTokenByCode", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_id_get_token_by_code(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexID.GetTokenByCode", params_json) }
}

/// `YandexID.RevokeToken`: Revokes a device-bound access token (and its refresh token). Tokens issued without a device_id cannot be revoked (`bad_request`, upstream `unsupported_token_type`).
///
/// Parameters: `params_json`, a JSON object with `client_id` (required), `client_secret` (required), `access_token` (required), `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{"status": "ok"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexID.RevokeToken", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_id_revoke_token(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexID.RevokeToken", params_json) }
}

/// `YandexID.GetUserInfo`: Who the token belongs to (login.yandex.ru/info).
///
/// Parameters: `params_json`, a JSON object with `token`, `credentials`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is login.yandex.ru JSON: `{"id", "login", "client_id", "psuid", ...}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexID.GetUserInfo", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_id_get_user_info(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexID.GetUserInfo", params_json) }
}

/// `YandexID.ExchangeTokenForUser`: A one-hour token for an employee of an organization that registered this client as a service application (Yandex360.AddServiceApplication), with the rights registered there; no refresh token: exchange again, or give API methods `credentials` with `subject` and the library does. Exactly one of `user_id` and `user_email`.
///
/// Parameters: `params_json`, a JSON object with `client_id` (required), `client_secret` (required), `user_id`, `user_email`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is token JSON: `{"access_token", "expires_in": 3600, "issued_token_type", "token_type"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexID.ExchangeTokenForUser", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_id_exchange_token_for_user(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexID.ExchangeTokenForUser", params_json) }
}

/// `Yandex360.GetOrganizations`: The organizations the token's user belongs to, every page (right `directory:read_organization`).
///
/// Parameters: `params_json`, a JSON object with `token`, `credentials`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{"organizations": [{"id", "name", ...}]}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Yandex360.GetOrganizations", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_360_get_organizations(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Yandex360.GetOrganizations", params_json) }
}

/// `Yandex360.GetUsers`: The organization's employees, every page (an administrator's token with `directory:read_users`). Their `id` is the `user_id` of YandexID.ExchangeTokenForUser.
///
/// Parameters: `params_json`, a JSON object with `token`, `org_id` (required), `credentials`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{"users": [{"id", "nickname", "email", "name", "isAdmin", ...}]}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Yandex360.GetUsers", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_360_get_users(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Yandex360.GetUsers", params_json) }
}

/// `Yandex360.ActivateServiceApplications`: Turns service applications on for the organization (the owner's token with `ya360_security:service_applications_write`). Harmless when already on.
///
/// Parameters: `params_json`, a JSON object with `token`, `org_id` (required), `credentials`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Yandex360.ActivateServiceApplications", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_360_activate_service_applications(
    params_json: *const c_char,
) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Yandex360.ActivateServiceApplications", params_json) }
}

/// `Yandex360.DeactivateServiceApplications`: Turns service applications off: no more tokens are exchanged, and the list can only be cleared until they are turned on again.
///
/// Parameters: `params_json`, a JSON object with `token`, `org_id` (required), `credentials`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Yandex360.DeactivateServiceApplications", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_360_deactivate_service_applications(
    params_json: *const c_char,
) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Yandex360.DeactivateServiceApplications", params_json) }
}

/// `Yandex360.GetServiceApplications`: The organization's service applications and the rights each may use (the owner's token with `ya360_security:service_applications_read`).
///
/// Parameters: `params_json`, a JSON object with `token`, `org_id` (required), `credentials`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{"applications": [{"id", "scopes"}]}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Yandex360.GetServiceApplications", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_360_get_service_applications(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Yandex360.GetServiceApplications", params_json) }
}

/// `Yandex360.SetServiceApplications`: Replaces the whole list of service applications (the service refuses this while they are not activated, except clearing).
///
/// Parameters: `params_json`, a JSON object with `token`, `org_id` (required), `applications` (required), `credentials`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{"applications": [{"id", "scopes"}]}`, the list as now registered; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Yandex360.SetServiceApplications", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_360_set_service_applications(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Yandex360.SetServiceApplications", params_json) }
}

/// `Yandex360.AddServiceApplication`: Adds one service application, or replaces the rights of one already listed, keeping the others (reads the list, changes it, writes it all back).
///
/// Parameters: `params_json`, a JSON object with `token`, `org_id` (required), `client_id` (required), `scopes` (required), `credentials`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{"applications": [{"id", "scopes"}]}`, the list as now registered; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Yandex360.AddServiceApplication", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_360_add_service_application(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Yandex360.AddServiceApplication", params_json) }
}

/// `Yandex360.RemoveServiceApplication`: Removes one service application, keeping the others; its tokens can no longer be exchanged. Removing one that is not listed changes nothing.
///
/// Parameters: `params_json`, a JSON object with `token`, `org_id` (required), `client_id` (required), `credentials`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{"applications": [{"id", "scopes"}]}`, the list as now registered; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Yandex360.RemoveServiceApplication", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_360_remove_service_application(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Yandex360.RemoveServiceApplication", params_json) }
}
