//! One C export per registered method, generated from the registry by
//! `scripts/regenerate.sh`; do not edit by hand.

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
/// Parameters: `params_json`, a JSON object with `endpoints`, `sandbox`, `allow_insecure_http`, `timeouts`, `retries`, `proxy`, `ca_file`, `user_agent`, `log`, `transfers`, `reset`, `options`.
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

/// `Jobs.Start`: Runs any method in the background and returns at once.
///
/// Parameters: `params_json`, a JSON object with `method` (required), `params`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{"job_id"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Jobs.Start", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_jobs_start(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Jobs.Start", params_json) }
}

/// `Jobs.Status`: Where a job is: `running`, `done`, `failed` or `cancelled`, with its progress; a finished job carries the method's reply envelope the first time it is asked for, and `released: true` afterwards (the reply is handed out once, then its memory is freed).
///
/// Parameters: `params_json`, a JSON object with `job_id` (required), `reply`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{"state", "done", "total", "reply"?, "released"?}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Jobs.Status", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_jobs_status(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Jobs.Status", params_json) }
}

/// `Jobs.Wait`: Waits until the job ends or the timeout passes.
///
/// Parameters: `params_json`, a JSON object with `job_id` (required), `timeout_s`, `reply`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is as Jobs.Status; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Jobs.Wait", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_jobs_wait(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Jobs.Wait", params_json) }
}

/// `Jobs.Cancel`: Asks a running job to stop; it ends `cancelled`, leaving nothing partial behind.
///
/// Parameters: `params_json`, a JSON object with `job_id` (required), `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{"cancelled": true}` if the job was running, `false` if it had already ended; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Jobs.Cancel", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_jobs_cancel(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Jobs.Cancel", params_json) }
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
/// Parameters: `params_json`, a JSON object with `token`, `credentials`, `options`, `credentials_file`.
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

/// `YandexDisk.GetDiskInformation`: Space, limits, system folders and the owner of the Disk.
///
/// Parameters: `params_json`, a JSON object with `token`, `fields`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is Disk JSON: `{"total_space", "used_space", "trash_size", "max_file_size", "user", ...}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.GetDiskInformation", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_get_disk_information(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.GetDiskInformation", params_json) }
}

/// `YandexDisk.CreateFolder`: Creates a folder.
///
/// Parameters: `params_json`, a JSON object with `token`, `path` (required), `parents`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is resource JSON of the folder; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.CreateFolder", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_create_folder(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.CreateFolder", params_json) }
}

/// `YandexDisk.GetObject`: Metadata of a file or folder; a folder lists one page of its items in `_embedded`.
///
/// Parameters: `params_json`, a JSON object with `token`, `path` (required), `limit`, `offset`, `sort`, `fields`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is resource JSON; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.GetObject", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_get_object(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.GetObject", params_json) }
}

/// `YandexDisk.GetFolderItems`: Every item of a folder, fetching all pages.
///
/// Parameters: `params_json`, a JSON object with `token`, `path` (required), `sort`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"path", "total", "items": [resource, ...]}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.GetFolderItems", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_get_folder_items(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.GetFolderItems", params_json) }
}

/// `YandexDisk.DeleteObject`: Deletes a file or folder.
///
/// Parameters: `params_json`, a JSON object with `token`, `path` (required), `to_trash`, `wait`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{}` once deleted (the operation link when `wait` is false and the service works asynchronously); release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.DeleteObject", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_delete_object(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.DeleteObject", params_json) }
}

/// `YandexDisk.CreateObjectCopy`: Copies a file or folder.
///
/// Parameters: `params_json`, a JSON object with `token`, `from` (required), `to` (required), `overwrite`, `wait`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is resource JSON of the copy; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.CreateObjectCopy", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_create_object_copy(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.CreateObjectCopy", params_json) }
}

/// `YandexDisk.GetDownloadLink`: A signed link to download a file (no token needed to GET it).
///
/// Parameters: `params_json`, a JSON object with `token`, `path` (required), `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is Link JSON: `{"href", "method", "templated"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.GetDownloadLink", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_get_download_link(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.GetDownloadLink", params_json) }
}

/// `YandexDisk.GetFileUploadLink`: A signed link to PUT a file's bytes to (no token needed).
///
/// Parameters: `params_json`, a JSON object with `token`, `path` (required), `overwrite`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is Link JSON: `{"operation_id", "href", "method", "templated"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.GetFileUploadLink", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_get_file_upload_link(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.GetFileUploadLink", params_json) }
}

/// `YandexDisk.DownloadFile`: Downloads a file, streamed and verified against the size and sha256 the Disk reports (md5 only where it reports no sha256); resumed after a broken connection. A file from transfers.parallel_threshold_bytes up goes to a save_path over transfers.download_streams ranged connections.
///
/// Parameters: `params_json`, a JSON object with `token`, `path` (required), `save_path`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is with save_path `{"path", "size", "sha256", "md5"?}`; without `{"data_base64", "size", "sha256", "md5"?}` (`md5` when known: the Disk's, or computed where it reports no sha256); release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.DownloadFile", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_download_file(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.DownloadFile", params_json) }
}

/// `YandexDisk.GetFilesList`: A flat list of the files on the Disk.
///
/// Parameters: `params_json`, a JSON object with `token`, `limit`, `offset`, `media_type`, `sort_by_date`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"items", "limit", "offset"?}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.GetFilesList", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_get_files_list(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.GetFilesList", params_json) }
}

/// `YandexDisk.MoveObject`: Moves or renames a file or folder.
///
/// Parameters: `params_json`, a JSON object with `token`, `from` (required), `to` (required), `overwrite`, `wait`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is resource JSON at the new path; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.MoveObject", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_move_object(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.MoveObject", params_json) }
}

/// `YandexDisk.UploadFile`: Uploads a file: the raw bytes are streamed to the upload link with no Authorization header, then the stored size and sha256 are confirmed (md5 where the Disk reports no sha256). A broken upload is checked (did it arrive whole?) before it is sent again with a fresh link.
///
/// Parameters: `params_json`, a JSON object with `token`, `path` (required), `file`, `data_base64`, `overwrite`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is resource JSON of the stored file; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.UploadFile", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_upload_file(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.UploadFile", params_json) }
}

/// `YandexDisk.UploadFileInParts`: UploadFile for large files: the file is streamed in chunks in one PUT (Yandex documents no ranged upload), so memory stays bounded; after a broken connection the upload is confirmed or restarted with a new link.
///
/// Parameters: `params_json`, a JSON object with `token`, `path` (required), `file`, `data_base64`, `chunk_size`, `overwrite`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is resource JSON of the stored file; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.UploadFileInParts", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_upload_file_in_parts(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.UploadFileInParts", params_json) }
}

/// `YandexDisk.UploadFileByURL`: Makes Yandex Disk fetch a file from the Internet (sent once: Yandex does not retry and neither does the library).
///
/// Parameters: `params_json`, a JSON object with `token`, `path` (required), `url` (required), `wait`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is the operation link, or the resource JSON when `wait`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.UploadFileByURL", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_upload_file_by_url(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.UploadFileByURL", params_json) }
}

/// `YandexDisk.PublishObject`: Publishes a file or folder.
///
/// Parameters: `params_json`, a JSON object with `token`, `path` (required), `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is resource JSON with `public_key` and `public_url`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.PublishObject", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_publish_object(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.PublishObject", params_json) }
}

/// `YandexDisk.CancelObjectPublication`: Unpublishes a file or folder.
///
/// Parameters: `params_json`, a JSON object with `token`, `path` (required), `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is resource JSON without the public fields; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.CancelObjectPublication", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_cancel_object_publication(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.CancelObjectPublication", params_json) }
}

/// `YandexDisk.GetPublishedObjectsList`: The published files and folders, newest first.
///
/// Parameters: `params_json`, a JSON object with `token`, `limit`, `offset`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"items", "limit", "offset"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.GetPublishedObjectsList", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_get_published_objects_list(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.GetPublishedObjectsList", params_json) }
}

/// `YandexDisk.GetPublicObject`: Metadata of a public resource (no token needed).
///
/// Parameters: `params_json`, a JSON object with `token`, `url` (required), `path`, `limit`, `offset`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is resource JSON; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.GetPublicObject", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_get_public_object(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.GetPublicObject", params_json) }
}

/// `YandexDisk.GetDownloadLinkForPublicObject`: A download link of a public file (no token needed).
///
/// Parameters: `params_json`, a JSON object with `token`, `url` (required), `path`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is Link JSON; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.GetDownloadLinkForPublicObject", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_get_download_link_for_public_object(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.GetDownloadLinkForPublicObject", params_json) }
}

/// `YandexDisk.SavePublicObjectToDisk`: Saves a public file or folder to this Disk.
///
/// Parameters: `params_json`, a JSON object with `token`, `url` (required), `from`, `to`, `wait`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is resource JSON of the saved copy; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.SavePublicObjectToDisk", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_save_public_object_to_disk(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.SavePublicObjectToDisk", params_json) }
}

/// `YandexDisk.GetOperationStatus`: The state of an asynchronous operation.
///
/// Parameters: `params_json`, a JSON object with `token`, `operation` (required), `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"status": "in-progress" | "success" | "failed"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.GetOperationStatus", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_get_operation_status(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.GetOperationStatus", params_json) }
}

/// `YandexDisk.GetTrashList`: What is in the Trash; items carry `origin_path` and `deleted`.
///
/// Parameters: `params_json`, a JSON object with `token`, `path`, `limit`, `offset`, `sort`, `fields`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is trash resource JSON with `_embedded.items`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.GetTrashList", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_get_trash_list(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.GetTrashList", params_json) }
}

/// `YandexDisk.RestoreFromTrash`: Restores an item from the Trash to where it was (or under `name`).
///
/// Parameters: `params_json`, a JSON object with `token`, `path` (required), `name`, `overwrite`, `wait`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is resource JSON of the restored item; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.RestoreFromTrash", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_restore_from_trash(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.RestoreFromTrash", params_json) }
}

/// `YandexDisk.ClearTrash`: Deletes items in the Trash for good.
///
/// Parameters: `params_json`, a JSON object with `token`, `path`, `wait`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.ClearTrash", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_clear_trash(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.ClearTrash", params_json) }
}

/// `YandexDisk.UploadDirectory`: Uploads a folder tree, up to transfers.concurrency files at once. A problem with one file (a conflict, an unreadable file) is reported in `errors` and the rest goes on; a refused token or an unreachable service stops the call.
///
/// Parameters: `params_json`, a JSON object with `token`, `local_dir` (required), `path` (required), `overwrite`, `skip_unchanged`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"uploaded", "skipped", "bytes", "errors": [{"path", "code", "message"}]}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.UploadDirectory", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_upload_directory(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.UploadDirectory", params_json) }
}

/// `YandexDisk.DownloadDirectory`: Downloads a folder tree, up to transfers.concurrency files at once, every file verified. No remote name can make a write land outside local_dir: such names (`..`, separators, NUL, names invalid on Windows when on Windows) are refused in `errors` and the rest goes on; files whose sha256 already matches are skipped; part files of an earlier, killed run are removed.
///
/// Parameters: `params_json`, a JSON object with `token`, `path` (required), `local_dir` (required), `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"downloaded", "skipped", "bytes", "errors": [{"path", "code", "message"}]}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexDisk.DownloadDirectory", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_disk_download_directory(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexDisk.DownloadDirectory", params_json) }
}

/// `Yandex360.GetOrganizations`: The organizations the token's user belongs to, every page (right `directory:read_organization`).
///
/// Parameters: `params_json`, a JSON object with `token`, `credentials`, `options`, `credentials_file`.
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
/// Parameters: `params_json`, a JSON object with `token`, `org_id` (required), `credentials`, `options`, `credentials_file`.
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
/// Parameters: `params_json`, a JSON object with `token`, `org_id` (required), `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Yandex360.ActivateServiceApplications", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_360_activate_service_applications(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Yandex360.ActivateServiceApplications", params_json) }
}

/// `Yandex360.DeactivateServiceApplications`: Turns service applications off: no more tokens are exchanged, and the list can only be cleared until they are turned on again.
///
/// Parameters: `params_json`, a JSON object with `token`, `org_id` (required), `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Yandex360.DeactivateServiceApplications", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_360_deactivate_service_applications(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Yandex360.DeactivateServiceApplications", params_json) }
}

/// `Yandex360.GetServiceApplications`: The organization's service applications and the rights each may use (the owner's token with `ya360_security:service_applications_read`).
///
/// Parameters: `params_json`, a JSON object with `token`, `org_id` (required), `credentials`, `options`, `credentials_file`.
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
/// Parameters: `params_json`, a JSON object with `token`, `org_id` (required), `applications` (required), `credentials`, `options`, `credentials_file`.
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
/// Parameters: `params_json`, a JSON object with `token`, `org_id` (required), `client_id` (required), `scopes` (required), `credentials`, `options`, `credentials_file`.
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
/// Parameters: `params_json`, a JSON object with `token`, `org_id` (required), `client_id` (required), `credentials`, `options`, `credentials_file`.
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

/// `YandexMail.GetFolders`: The mailbox's folders with their counts (IMAP LIST and STATUS; right `mail:imap_ro`). Names are decoded; roles come from the special-use flags, as names depend on the account's language.
///
/// Parameters: `params_json`, a JSON object with `token`, `email`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"email", "folders": [{"name", "flags", "delimiter", "role", "selectable", "messages", "unseen", "uidvalidity", "uidnext"}]}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexMail.GetFolders", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_mail_get_folders(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexMail.GetFolders", params_json) }
}

/// `YandexMail.GetMessageCount`: How many messages the mailbox holds, per folder and in total (one IMAP STATUS per folder).
///
/// Parameters: `params_json`, a JSON object with `token`, `email`, `folder`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"email", "total", "unseen", "folders": [{"name", "messages", "unseen"}]}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexMail.GetMessageCount", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_mail_get_message_count(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexMail.GetMessageCount", params_json) }
}

/// `YandexMail.GetMessages`: One page of a folder's messages in UID order: sender, recipients, subject and date decoded from their headers, size and flags. The folder is opened read-only: nothing is marked seen.
///
/// Parameters: `params_json`, a JSON object with `token`, `folder`, `after_uid`, `limit`, `email`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"email", "folder", "uidvalidity", "uidnext", "exists", "messages": [{"uid", "from", "to", "cc", "subject", "date", "internal_date", "size", "flags", "message_id"}], "next_after_uid"}` (null on the last page); release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexMail.GetMessages", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_mail_get_messages(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexMail.GetMessages", params_json) }
}

/// `YandexMail.DownloadMessage`: One message exactly as the server keeps it (RFC 822), without marking it seen.
///
/// Parameters: `params_json`, a JSON object with `token`, `folder`, `uid` (required), `save_path`, `email`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is with save_path `{"folder", "uid", "uidvalidity", "size", "path"}`; without `{…, "data_base64"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexMail.DownloadMessage", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_mail_download_message(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexMail.DownloadMessage", params_json) }
}

/// `YandexMail.BackupMailbox`: Backs the mailbox up into local_dir, incrementally: a run fetches only the messages that arrived since the last (by UIDVALIDITY and UID), in batches, each written atomically; a folder whose UIDVALIDITY changed is fetched again and its earlier copies kept in old-uidvalidity-<n>/. An interrupted run resumes where it stopped; a broken connection or an expired token opens the session again (credentials are renewed); one folder's problem is listed in `errors` while the others go on. Progress counts messages.
///
/// Parameters: `params_json`, a JSON object with `token`, `local_dir` (required), `folders`, `email`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"email", "local_dir", "fetched", "bytes", "folders": [{"name", "dir", "uidvalidity", "last_uid", "messages", "fetched", "resynced"}], "errors": [{"folder", "code", "message"}]}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexMail.BackupMailbox", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_mail_backup_mailbox(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexMail.BackupMailbox", params_json) }
}

/// `YandexMail.SendMessage`: Sends a message over SMTP with XOAUTH2 (right `mail:smtp`): text and/or HTML, file attachments. Its size is checked against the server's limit (41 MiB at Yandex) before anything is sent. The server files it in the sender's Sent folder.
///
/// Parameters: `params_json`, a JSON object with `token`, `to`, `subject`, `text`, `html`, `attachments`, `cc`, `bcc`, `from`, `email`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"message_id", "from", "recipients", "size", "queued"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexMail.SendMessage", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_mail_send_message(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexMail.SendMessage", params_json) }
}

/// `YandexCalendar.GetCalendars`: The user's calendars and to-do lists (right `calendar:all`), with whether the user may write to each.
///
/// Parameters: `params_json`, a JSON object with `token`, `email`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"calendars": [{"id", "name", "href", "color", "components", "writable", "sync_token", "ctag"}], "home"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexCalendar.GetCalendars", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_calendar_get_calendars(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexCalendar.GetCalendars", params_json) }
}

/// `YandexCalendar.CreateCalendar`: Makes a calendar (CalDAV MKCALENDAR). Whether Yandex allows this over CalDAV is not documented: a refusal is `forbidden` with that said; the sandbox allows it with its setting `caldav_mkcalendar`.
///
/// Parameters: `params_json`, a JSON object with `token`, `name` (required), `color`, `component`, `id`, `email`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"id", "name", "href", "color", "components"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexCalendar.CreateCalendar", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_calendar_create_calendar(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexCalendar.CreateCalendar", params_json) }
}

/// `YandexCalendar.DeleteCalendar`: Deletes a calendar of the user, named by id or name ("My calendar") with its events. The main calendar and calendars of others cannot be deleted (`forbidden`).
///
/// Parameters: `params_json`, a JSON object with `token`, `calendar` (required), `email`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"deleted": {"id", "name", "href"}}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexCalendar.DeleteCalendar", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_calendar_delete_calendar(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexCalendar.DeleteCalendar", params_json) }
}

/// `YandexCalendar.GetEvents`: The calendar's events that overlap the range (a CalDAV calendar-query); a repeating event once, with its `rrule`, when any of its occurrences may fall in the range (Yandex does not expand series).
///
/// Parameters: `params_json`, a JSON object with `token`, `calendar`, `from`, `to`, `email`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"events": [event]}`, event as GetEvent without `ics`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexCalendar.GetEvents", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_calendar_get_events(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexCalendar.GetEvents", params_json) }
}

/// `YandexCalendar.GetEvent`: One event by `href`, or by `uid` in `calendar`, with its iCalendar text as stored.
///
/// Parameters: `params_json`, a JSON object with `token`, `href`, `uid`, `calendar`, `email`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is event as CreateEvent's, plus `"ics"`: the iCalendar text; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexCalendar.GetEvent", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_calendar_get_event(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexCalendar.GetEvent", params_json) }
}

/// `YandexCalendar.CreateEvent`: Creates an event and reads it back as the server stored it: with `telemost`, the Telemost link the server added. A write that answers 5xx is checked before it is sent again, so it is never made twice.
///
/// Parameters: `params_json`, a JSON object with `token`, `summary` (required), `start` (required), `end`, `timezone`, `description`, `location`, `attendees`, `rrule`, `telemost`, `calendar`, `email`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"href", "etag", "calendar", "uid", "summary", "start", "end", "all_day", "timezone"?, "description", "location", "rrule"?, "organizer", "attendees": [{"email", "name", "partstat", "role"}], "telemost_link", "sequence"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexCalendar.CreateEvent", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_calendar_create_event(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexCalendar.CreateEvent", params_json) }
}

/// `YandexCalendar.UpdateEvent`: Changes the fields given and keeps the rest as stored (the Telemost link too), only if the event still has `etag` (or, without it, the ETag just read): a change made meanwhile is `conflict`.
///
/// Parameters: `params_json`, a JSON object with `token`, `href`, `uid`, `etag`, `summary`, `start`, `end`, `timezone`, `description`, `location`, `attendees`, `rrule`, `telemost`, `calendar`, `email`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"href", "etag", "calendar", "uid", "summary", "start", "end", "all_day", "timezone"?, "description", "location", "rrule"?, "organizer", "attendees": [{"email", "name", "partstat", "role"}], "telemost_link", "sequence"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexCalendar.UpdateEvent", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_calendar_update_event(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexCalendar.UpdateEvent", params_json) }
}

/// `YandexCalendar.DeleteEvent`: Deletes an event (with `etag`: only if unchanged, else `conflict`); an event the user organised leaves the colleagues' calendars too.
///
/// Parameters: `params_json`, a JSON object with `token`, `href`, `uid`, `etag`, `calendar`, `email`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"deleted": href}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("YandexCalendar.DeleteEvent", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_yandex_calendar_delete_event(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("YandexCalendar.DeleteEvent", params_json) }
}

/// `Telemost.CreateConference`: Creates a video meeting (right `telemost-api:conferences.create`); its `join_url` is the link to share. Not repeated after it may have reached the service: a lost answer is an error, not a second meeting.
///
/// Parameters: `params_json`, a JSON object with `token`, `waiting_room_level`, `access_level`, `live_stream`, `cohosts`, `is_auto_summarization_enabled`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"id", "join_url", "access_level", "waiting_room_level", "cohosts", "is_auto_summarization_enabled", "live_stream"?}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Telemost.CreateConference", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_telemost_create_conference(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Telemost.CreateConference", params_json) }
}

/// `Telemost.GetConference`: A conference of the user (its author or a co-host), with its SIP addresses (right `telemost-api:conferences.read`).
///
/// Parameters: `params_json`, a JSON object with `token`, `conference_id` (required), `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is the conference, as CreateConference plus `sip_uri_meeting`, `sip_uri_telemost`, `sip_id`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Telemost.GetConference", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_telemost_get_conference(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Telemost.GetConference", params_json) }
}

/// `Telemost.UpdateConference`: Changes the settings given, keeping the others (right `telemost-api:conferences.update`); `cohosts` replaces the list.
///
/// Parameters: `params_json`, a JSON object with `token`, `conference_id` (required), `waiting_room_level`, `access_level`, `live_stream`, `cohosts`, `is_auto_summarization_enabled`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is the conference as now set; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Telemost.UpdateConference", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_telemost_update_conference(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Telemost.UpdateConference", params_json) }
}

/// `Telemost.AddCohosts`: Adds co-hosts, keeping those already there (right `telemost-api:conferences.update`; an address outside the organization is `bad_request`, upstream `NoSuchUserPrincipalsFound`).
///
/// Parameters: `params_json`, a JSON object with `token`, `conference_id` (required), `cohosts` (required), `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is the conference as now set; release it with
/// `diskbridge_free`. Same as `diskbridge_call("Telemost.AddCohosts", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_telemost_add_cohosts(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("Telemost.AddCohosts", params_json) }
}

/// `GoogleWorkspace.FormCodeRetrievalLink`: The consent URL a person opens (OPI's link: with the defaults it is exactly the URL OPI builds). After consent the browser goes to `redirect_uri?code=…`; exchange the code with GetTokenByCode at once, or use StartLoopbackAuthorization, which does it for you.
///
/// Parameters: `params_json`, a JSON object with `client_id` (required), `calendar`, `drive`, `sheets`, `redirect_uri`, `state`, `pkce`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{"url", "redirect_uri", "state"?, "code_verifier"?}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleWorkspace.FormCodeRetrievalLink", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_workspace_form_code_retrieval_link(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleWorkspace.FormCodeRetrievalLink", params_json) }
}

/// `GoogleWorkspace.GetTokenByCode`: Exchanges an authorization code for tokens. A used, expired or mismatched code is `invalid_grant`.
///
/// Parameters: `params_json`, a JSON object with `client_id` (required), `client_secret` (required), `code` (required), `redirect_uri`, `code_verifier`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is token JSON: `{"access_token", "expires_in", "refresh_token"?, "scope", "token_type"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleWorkspace.GetTokenByCode", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_workspace_get_token_by_code(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleWorkspace.GetTokenByCode", params_json) }
}

/// `GoogleWorkspace.RefreshToken`: A new access token for a refresh token. Google keeps the refresh token, so the answer has none: go on using the one you have.
///
/// Parameters: `params_json`, a JSON object with `client_id` (required), `client_secret` (required), `refresh_token` (required), `options`.
/// Returns a reply envelope (never NULL) whose `result` is token JSON without `refresh_token`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleWorkspace.RefreshToken", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_workspace_refresh_token(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleWorkspace.RefreshToken", params_json) }
}

/// `GoogleWorkspace.GetServiceAccountToken`: A token for a service account: an RS256 JWT (with the key's `kid`, real Unix times, and `sub` when `subject` is given) exchanged with the JWT-bearer grant. There is no refresh token: call again when it expires. A service account has no Drive storage of its own; give `subject` to act as a Workspace user.
///
/// Parameters: `params_json`, a JSON object with `key` (required), `scope` (required), `expire`, `subject`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is token JSON: `{"access_token", "expires_in", "token_type"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleWorkspace.GetServiceAccountToken", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_workspace_get_service_account_token(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleWorkspace.GetServiceAccountToken", params_json) }
}

/// `GoogleWorkspace.StartLoopbackAuthorization`: Starts a sign-in without copy-paste: listens on 127.0.0.1 and returns the consent URL to open in a browser (PKCE S256 and a random state, always). When Google redirects the browser to the listener, the state is checked and the code is exchanged at once; the browser is told it can close the window. Collect the tokens with CompleteLoopbackAuthorization.
///
/// Parameters: `params_json`, a JSON object with `client_id` (required), `client_secret` (required), `scopes`, `port`, `timeout_s`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{"url", "session", "redirect_uri", "expires_in"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleWorkspace.StartLoopbackAuthorization", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_workspace_start_loopback_authorization(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleWorkspace.StartLoopbackAuthorization", params_json) }
}

/// `GoogleWorkspace.CompleteLoopbackAuthorization`: Waits for the sign-in started by StartLoopbackAuthorization and returns its tokens. A redirect with a forged or missing state ends the session with `access_denied`, as does a person who declines; a session nobody completed in time is `expired`. Progress reports seconds waited; cancelling stops the listener.
///
/// Parameters: `params_json`, a JSON object with `session` (required), `timeout_s`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is token JSON, as GetTokenByCode; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleWorkspace.CompleteLoopbackAuthorization", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_workspace_complete_loopback_authorization(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleWorkspace.CompleteLoopbackAuthorization", params_json) }
}

/// `GoogleWorkspace.GetDeviceCode`: Starts the device flow (a client of type "TVs and Limited Input devices"): show `user_code` and `verification_url` to the person, then call WaitForDeviceToken.
///
/// Parameters: `params_json`, a JSON object with `client_id` (required), `scope` (required), `options`.
/// Returns a reply envelope (never NULL) whose `result` is Google's JSON: `{"device_code", "user_code", "verification_url", "expires_in", "interval"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleWorkspace.GetDeviceCode", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_workspace_get_device_code(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleWorkspace.GetDeviceCode", params_json) }
}

/// `GoogleWorkspace.WaitForDeviceToken`: Polls until the person approves the device code, honouring `interval` and `slow_down` (+5 s). Declined: `access_denied`; expired: `expired`; progress reports seconds waited and can cancel.
///
/// Parameters: `params_json`, a JSON object with `client_id` (required), `client_secret` (required), `device_code` (required), `interval`, `timeout_s`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is token JSON; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleWorkspace.WaitForDeviceToken", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_workspace_wait_for_device_token(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleWorkspace.WaitForDeviceToken", params_json) }
}

/// `GoogleWorkspace.RevokeToken`: Revokes a token and the grant it belongs to (the refresh token and its access tokens). An unknown or already revoked token is `bad_request` (upstream `invalid_token`).
///
/// Parameters: `params_json`, a JSON object with `token` (required), `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleWorkspace.RevokeToken", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_workspace_revoke_token(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleWorkspace.RevokeToken", params_json) }
}

/// `GoogleDrive.GetObjectInformation`: Everything Drive knows about a file or folder (`fields=*`).
///
/// Parameters: `params_json`, a JSON object with `token`, `file_id` (required), `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is file JSON; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.GetObjectInformation", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_get_object_information(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.GetObjectInformation", params_json) }
}

/// `GoogleDrive.GetDirectoriesList`: Every folder (all pages; trashed ones left out), optionally filtered by name.
///
/// Parameters: `params_json`, a JSON object with `token`, `name_contains`, `detailed`, `drive_id`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is array of file JSON (folders), each with `files` when `detailed`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.GetDirectoriesList", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_get_directories_list(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.GetDirectoriesList", params_json) }
}

/// `GoogleDrive.GetFilesList`: Every file that is not a folder (all pages; trashed ones left out), optionally filtered by name and folder.
///
/// Parameters: `params_json`, a JSON object with `token`, `name_contains`, `directory`, `drive_id`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is array of file JSON; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.GetFilesList", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_get_files_list(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.GetFilesList", params_json) }
}

/// `GoogleDrive.UploadFile`: Uploads a file: one multipart/related request up to `resumable_threshold`, a resumable upload above it (chunks of `chunk_size`, resumed from the offset Drive confirms after a failure, a new session if Drive lost it). The stored file's size and sha256Checksum are checked against what was sent (md5Checksum where Drive reports no sha256).
///
/// Parameters: `params_json`, a JSON object with `token`, `file`, `description`, `data_base64`, `chunk_size`, `resumable_threshold`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is file JSON of the stored file; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.UploadFile", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_upload_file(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.UploadFile", params_json) }
}

/// `GoogleDrive.UpdateFile`: Replaces a file's content (and optionally its name), as UploadFile sends it; the new content's sha256 is checked.
///
/// Parameters: `params_json`, a JSON object with `token`, `file_id` (required), `file`, `new_name`, `data_base64`, `chunk_size`, `resumable_threshold`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is file JSON of the updated file; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.UpdateFile", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_update_file(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.UpdateFile", params_json) }
}

/// `GoogleDrive.DownloadFile`: Downloads a file, streamed and resumed with Range after a broken connection, and verified against Drive's size and sha256Checksum (md5Checksum only where Drive reports no sha256) before anything is replaced; from transfers.parallel_threshold_bytes up a save_path download goes over transfers.download_streams ranged connections. Google Docs, Sheets and Slides have no bytes of their own: use ExportFile.
///
/// Parameters: `params_json`, a JSON object with `token`, `file_id` (required), `save_path`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is with save_path `{"path", "size", "sha256", "md5"?}`; without `{"data_base64", "size", "sha256", "md5"?}` (`md5` when known: Drive's, or computed where it reports no sha256); release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.DownloadFile", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_download_file(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.DownloadFile", params_json) }
}

/// `GoogleDrive.ExportFile`: Exports a Google document (Docs, Sheets, Slides) to a format; up to 10 MB, as Drive allows.
///
/// Parameters: `params_json`, a JSON object with `token`, `file_id` (required), `mime_type` (required), `save_path`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is as DownloadFile; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.ExportFile", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_export_file(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.ExportFile", params_json) }
}

/// `GoogleDrive.CreateFolder`: Creates a folder.
///
/// Parameters: `params_json`, a JSON object with `token`, `name` (required), `parent`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is file JSON of the folder; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.CreateFolder", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_create_folder(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.CreateFolder", params_json) }
}

/// `GoogleDrive.CopyObject`: Copies a file (folders cannot be copied).
///
/// Parameters: `params_json`, a JSON object with `token`, `file_id` (required), `new_name`, `new_parent`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is file JSON of the copy; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.CopyObject", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_copy_object(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.CopyObject", params_json) }
}

/// `GoogleDrive.DeleteObject`: Deletes a file or folder for good, bypassing the trash (MoveToTrash keeps it restorable).
///
/// Parameters: `params_json`, a JSON object with `token`, `file_id` (required), `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.DeleteObject", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_delete_object(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.DeleteObject", params_json) }
}

/// `GoogleDrive.GetFileDescription`: OPI's description template for UploadFile: `MIME`, `Name`, `Description`, `Parent`.
///
/// Parameters: `params_json`, a JSON object with `clear`, `options`.
/// Returns a reply envelope (never NULL) whose `result` is `{"MIME", "Name", "Description", "Parent"}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.GetFileDescription", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_get_file_description(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.GetFileDescription", params_json) }
}

/// `GoogleDrive.CreateComment`: Adds a comment to a file.
///
/// Parameters: `params_json`, a JSON object with `token`, `file_id` (required), `comment` (required), `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is comment JSON; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.CreateComment", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_create_comment(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.CreateComment", params_json) }
}

/// `GoogleDrive.GetComment`: One comment of a file.
///
/// Parameters: `params_json`, a JSON object with `token`, `file_id` (required), `comment_id` (required), `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is comment JSON; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.GetComment", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_get_comment(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.GetComment", params_json) }
}

/// `GoogleDrive.GetCommentList`: Every comment of a file (all pages).
///
/// Parameters: `params_json`, a JSON object with `token`, `file_id` (required), `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"kind": "drive#commentList", "comments": [...]}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.GetCommentList", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_get_comment_list(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.GetCommentList", params_json) }
}

/// `GoogleDrive.DeleteComment`: Deletes a comment.
///
/// Parameters: `params_json`, a JSON object with `token`, `file_id` (required), `comment_id` (required), `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.DeleteComment", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_delete_comment(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.DeleteComment", params_json) }
}

/// `GoogleDrive.MoveToTrash`: Moves a file or folder to the trash (restorable; EmptyTrash deletes for good).
///
/// Parameters: `params_json`, a JSON object with `token`, `file_id` (required), `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is file JSON with `trashed: true`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.MoveToTrash", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_move_to_trash(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.MoveToTrash", params_json) }
}

/// `GoogleDrive.EmptyTrash`: Deletes for good everything the user owns in the trash.
///
/// Parameters: `params_json`, a JSON object with `token`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.EmptyTrash", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_empty_trash(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.EmptyTrash", params_json) }
}

/// `GoogleDrive.CreatePermission`: Shares a file or folder.
///
/// Parameters: `params_json`, a JSON object with `token`, `file_id` (required), `role` (required), `type` (required), `email`, `domain`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is permission JSON; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.CreatePermission", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_create_permission(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.CreatePermission", params_json) }
}

/// `GoogleDrive.GetPermissions`: Everyone a file or folder is shared with (all pages).
///
/// Parameters: `params_json`, a JSON object with `token`, `file_id` (required), `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"kind": "drive#permissionList", "permissions": [...]}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.GetPermissions", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_get_permissions(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.GetPermissions", params_json) }
}

/// `GoogleDrive.DeletePermission`: Stops sharing with one grantee.
///
/// Parameters: `params_json`, a JSON object with `token`, `file_id` (required), `permission_id` (required), `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.DeletePermission", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_delete_permission(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.DeletePermission", params_json) }
}

/// `GoogleDrive.GetSharedDrives`: Every shared drive the account is a member of (all pages). A service account has no storage of its own: it backs up into a shared drive it is a member of (`drive_id`).
///
/// Parameters: `params_json`, a JSON object with `token`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is array of drive JSON (`id`, `name`, …); release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.GetSharedDrives", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_get_shared_drives(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.GetSharedDrives", params_json) }
}

/// `GoogleDrive.UploadDirectory`: Uploads a folder tree into a Drive folder, making subfolders by name, up to transfers.concurrency files at once. A problem with one file (a conflict, an unreadable file) is reported in `errors` and the rest goes on; a refused token, a quota or an unreachable service stops the call.
///
/// Parameters: `params_json`, a JSON object with `token`, `local_dir` (required), `folder_id`, `drive_id`, `overwrite`, `skip_unchanged`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"uploaded", "skipped", "bytes", "errors": [{"path", "code", "message"}]}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.UploadDirectory", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_upload_directory(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.UploadDirectory", params_json) }
}

/// `GoogleDrive.DownloadDirectory`: Downloads a folder tree, up to transfers.concurrency files at once, every file verified. No remote name can make a write land outside local_dir: such names are refused in `errors` and the rest goes on, as are Google documents (ExportFile exports them); files whose sha256 already matches (md5 where Drive reports no sha256) are skipped; part files of an earlier, killed run are removed.
///
/// Parameters: `params_json`, a JSON object with `token`, `folder_id`, `local_dir` (required), `drive_id`, `credentials`, `options`, `credentials_file`.
/// Returns a reply envelope (never NULL) whose `result` is `{"downloaded", "skipped", "bytes", "errors": [{"path", "code", "message"}]}`; release it with
/// `diskbridge_free`. Same as `diskbridge_call("GoogleDrive.DownloadDirectory", params_json)`.
///
/// # Safety
/// `params_json` must be NULL or a NUL-terminated string valid during the call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn diskbridge_google_drive_download_directory(params_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { call_method("GoogleDrive.DownloadDirectory", params_json) }
}
