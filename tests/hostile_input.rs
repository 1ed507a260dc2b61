//! Hostile and careless input through the C ABI (issue 13): empty Disk paths, dot-segment
//! Drive ids, numbers beyond any clock, header-breaking tokens and agents, `options.log`, and
//! megabyte echoes. Each is refused at once with `invalid_params`, before anything is sent.

mod common;

use std::time::{Duration, Instant};

use common::{err, ok, raw_call, sandbox, TempDir, TestSandbox};
use diskbridge_sandbox::{YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET};
use serde_json::{json, Value};

/// A signed-in sandbox with a file and a folder on the Disk.
fn disk() -> (TestSandbox, Value) {
    let sb = sandbox();
    let token = sb.sign_in()["access_token"].clone();
    ok(sb.call("YandexDisk.CreateFolder", json!({"token": token, "path": "/keep"})));
    ok(sb.call(
        "YandexDisk.UploadFile",
        json!({"token": token, "path": "/keep/file.txt", "data_base64": "aGVsbG8="}),
    ));
    (sb, token)
}

fn invalid_params(reply: Value, what: &str) -> String {
    let error = err(reply);
    assert_eq!(error["code"], "invalid_params", "{what}: {error}");
    error["message"].as_str().unwrap().to_string()
}

#[test]
fn an_empty_disk_path_never_means_the_root() {
    let (sb, token) = disk();
    let local = TempDir::new("empty-path");
    std::fs::write(local.path("a.txt"), b"a").unwrap();
    let local_dir = local.0.to_str().unwrap();
    // Every Disk method with a path, each path left empty (and blank) in turn.
    let cases: Vec<(&str, Value, &str)> = vec![
        ("YandexDisk.CreateFolder", json!({}), "path"),
        ("YandexDisk.GetObject", json!({}), "path"),
        ("YandexDisk.GetFolderItems", json!({}), "path"),
        ("YandexDisk.DeleteObject", json!({"to_trash": false}), "path"),
        ("YandexDisk.CreateObjectCopy", json!({"to": "/copy"}), "from"),
        ("YandexDisk.CreateObjectCopy", json!({"from": "/keep"}), "to"),
        ("YandexDisk.MoveObject", json!({"to": "/moved"}), "from"),
        ("YandexDisk.MoveObject", json!({"from": "/keep"}), "to"),
        ("YandexDisk.GetDownloadLink", json!({}), "path"),
        ("YandexDisk.GetFileUploadLink", json!({}), "path"),
        ("YandexDisk.DownloadFile", json!({}), "path"),
        ("YandexDisk.UploadFile", json!({"data_base64": "aGk="}), "path"),
        ("YandexDisk.UploadFileInParts", json!({"data_base64": "aGk="}), "path"),
        (
            "YandexDisk.UploadFileByURL",
            json!({"url": "https://example.invalid/x"}),
            "path",
        ),
        ("YandexDisk.PublishObject", json!({}), "path"),
        ("YandexDisk.CancelObjectPublication", json!({}), "path"),
        (
            "YandexDisk.SavePublicObjectToDisk",
            json!({"url": "https://yadi.sk/d/x"}),
            "to",
        ),
        ("YandexDisk.RestoreFromTrash", json!({}), "path"),
        ("YandexDisk.ClearTrash", json!({}), "path"),
        ("YandexDisk.UploadDirectory", json!({"local_dir": local_dir}), "path"),
        ("YandexDisk.DownloadDirectory", json!({"local_dir": local_dir}), "path"),
    ];
    for (method, mut params, key) in cases {
        for empty in ["", "  "] {
            sb.clear_requests();
            params["token"] = token.clone();
            params[key] = json!(empty);
            let message = invalid_params(sb.call(method, params.clone()), method);
            assert!(message.contains(&format!("`{key}` is empty")), "{method}: {message}");
            let sent: Vec<Value> = sb.requests_to("");
            assert!(sent.is_empty(), "{method} {key}={empty:?} sent {sent:?}");
        }
    }
    // Nothing was deleted, and the root is still reachable when named.
    ok(sb.call(
        "YandexDisk.GetObject",
        json!({"token": token, "path": "/keep/file.txt"}),
    ));
    let root = ok(sb.call("YandexDisk.GetObject", json!({"token": token, "path": "disk:/"})));
    assert_eq!(root["path"], "disk:/");
}

#[test]
fn dot_ids_never_climb_out_of_their_path() {
    let sb = sandbox();
    let token = sb.google_sign_in()["access_token"].clone();
    let file = ok(sb.call(
        "GoogleDrive.UploadFile",
        json!({"token": token, "data_base64": "aGk=", "description": {"name": "a.txt"}}),
    ));
    let id = file["id"].clone();
    let cases: Vec<(&str, Value)> = vec![
        ("GoogleDrive.DeleteComment", json!({"file_id": id, "comment_id": ".."})),
        ("GoogleDrive.DeleteComment", json!({"file_id": id, "comment_id": "."})),
        ("GoogleDrive.GetComment", json!({"file_id": id, "comment_id": ".."})),
        (
            "GoogleDrive.DeletePermission",
            json!({"file_id": id, "permission_id": ".."}),
        ),
        ("GoogleDrive.DeleteObject", json!({"file_id": ".."})),
        ("GoogleDrive.GetObjectInformation", json!({"file_id": "."})),
        ("GoogleDrive.GetObjectInformation", json!({"file_id": ""})),
        (
            "GoogleDrive.UpdateFile",
            json!({"file_id": "..", "data_base64": "aGk="}),
        ),
        ("GoogleDrive.DownloadFile", json!({"file_id": ".."})),
        ("GoogleDrive.GetPermissions", json!({"file_id": ".."})),
    ];
    for (method, mut params) in cases {
        sb.clear_requests();
        params["token"] = token.clone();
        invalid_params(sb.call(method, params.clone()), &format!("{method} {params}"));
        assert!(sb.requests_to("").is_empty(), "{method} sent a request: {params}");
    }
    // The Disk's operation ids go into a path too.
    let disk_token = sb.sign_in()["access_token"].clone();
    for operation in ["..", "https://cloud-api.yandex.net/v1/disk/operations/..", ""] {
        sb.clear_requests();
        invalid_params(
            sb.call(
                "YandexDisk.GetOperationStatus",
                json!({"token": disk_token, "operation": operation}),
            ),
            operation,
        );
        assert!(sb.requests_to("").is_empty(), "{operation}");
    }
    // The file is still there.
    ok(sb.call(
        "GoogleDrive.GetObjectInformation",
        json!({"token": token, "file_id": id}),
    ));
}

#[test]
fn numbers_beyond_any_clock_are_refused_not_clamped() {
    let sb = sandbox();
    let job = ok(raw_call("Jobs.Start", r#"{"method": "Library.Version"}"#))["job_id"].clone();
    for timeout in [
        "18446744073709551615",
        "18446744073709551616",
        "1e300",
        "-1",
        "9007199254740992",
        "31536001",
    ] {
        let params = format!(r#"{{"job_id": {job}, "timeout_s": {timeout}}}"#);
        let message = invalid_params(raw_call("Jobs.Wait", &params), timeout);
        assert!(message.contains("timeout_s"), "{message}");
    }
    ok(raw_call(
        "Jobs.Wait",
        &format!(r#"{{"job_id": {job}, "timeout_s": 31536000}}"#),
    ));
    let device = json!({"client_id": YANDEX_CLIENT_ID, "client_secret": YANDEX_CLIENT_SECRET, "device_code": "x"});
    for (key, value) in [("interval", "18446744073709551615"), ("timeout_s", "1e300")] {
        let mut params = device.to_string();
        params.insert_str(params.len() - 1, &format!(r#", "{key}": {value}"#));
        invalid_params(raw_call("YandexID.WaitForToken", &params), key);
        let mut params = sb.google_client().to_string();
        params.insert_str(params.len() - 1, &format!(r#", "device_code": "x", "{key}": {value}"#));
        invalid_params(raw_call("GoogleWorkspace.WaitForDeviceToken", &params), key);
    }
    invalid_params(
        raw_call("YandexDisk.GetObject", r#"{"token": "t", "path": "/", "limit": 1e300}"#),
        "limit",
    );
    invalid_params(
        raw_call("Library.GetLog", r#"{"limit": 18446744073709551616}"#),
        "limit",
    );

    // Settings: refused by Configure and by options, and the library goes on working.
    for settings in [
        json!({"timeouts": {"read_s": 1e20}}),
        json!({"timeouts": {"total_s": 1e300}}),
        json!({"timeouts": {"connect_s": 31_536_001}}),
        json!({"timeouts": {"min_rate_kib_s": u64::MAX}}),
        json!({"retries": {"max_retry_after_s": u64::MAX}}),
        json!({"retries": {"max_delay_ms": u64::MAX}}),
        json!({"retries": {"max_attempts": 1_000_000}}),
        json!({"transfers": {"operation_timeout_s": 1e300}}),
        json!({"transfers": {"inline_max_bytes": u64::MAX}}),
    ] {
        invalid_params(raw_call("Library.Configure", &settings.to_string()), "Configure");
        let params = json!({"options": settings});
        invalid_params(raw_call("Library.Version", &params.to_string()), "options");
    }
    let configured = ok(raw_call("Library.GetConfiguration", "{}"));
    assert_eq!(configured["timeouts"]["read_s"], 60.0);
    let tokens = sb.sign_in();
    ok(sb.call("YandexID.GetUserInfo", json!({"token": tokens["access_token"]})));

    // A credentials' expiry beyond any calendar.
    let mut credentials = sb.credentials(&tokens);
    credentials["expires_at"] = json!(1e300);
    invalid_params(
        sb.call("YandexDisk.GetDiskInformation", json!({"credentials": credentials})),
        "expires_at",
    );

    // A Retry-After of 2^64-1 seconds exceeds the cap: the error comes back at once.
    let options = json!({"sandbox": sb.url(), "retries": {"max_retry_after_s": 31_536_000, "base_delay_ms": 10}});
    sb.fault(json!({"path": "/yandex-login/info", "status": 503, "retry_after": u64::MAX, "times": 5}));
    let started = Instant::now();
    let error = err(sb.call(
        "YandexID.GetUserInfo",
        json!({"token": tokens["access_token"], "options": options}),
    ));
    assert_eq!(error["code"], "server_error", "{error}");
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
}

#[test]
fn header_breaking_values_are_refused_at_once() {
    let sb = sandbox();
    let tokens = sb.sign_in();
    let token = tokens["access_token"].as_str().unwrap();
    for bad in [
        format!("{token}\r\nX-Injected: 1"),
        format!("{token}\n"),
        format!("{token}\u{7f}"),
    ] {
        sb.clear_requests();
        let started = Instant::now();
        let message = invalid_params(sb.call("YandexDisk.GetDiskInformation", json!({"token": bad})), "token");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert!(!message.contains(token), "the token is not echoed: {message}");
        assert!(sb.requests_to("").is_empty());
        let mut credentials = sb.credentials(&tokens);
        credentials["access_token"] = json!(bad);
        invalid_params(
            sb.call("YandexDisk.GetDiskInformation", json!({"credentials": credentials})),
            "credentials",
        );
        assert!(sb.requests_to("").is_empty());
    }
    for options in [
        json!({"sandbox": sb.url(), "user_agent": "agent\r\nX-Injected: 1"}),
        json!({"sandbox": sb.url(), "transfers": {"upload_link_user_agent": "agent\u{7f}"}}),
    ] {
        let started = Instant::now();
        invalid_params(
            sb.call(
                "YandexDisk.GetDiskInformation",
                json!({"token": token, "options": options}),
            ),
            "agent",
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        invalid_params(raw_call("Library.Configure", &options.to_string()), "Configure");
    }
    assert!(sb.requests_to("").is_empty());
    let google = sb.google_sign_in()["access_token"].clone();
    let reply = sb.call(
        "GoogleDrive.UploadFile",
        json!({"token": google, "data_base64": "aGk=", "description": {"name": "a", "MIME": "text/plain\r\nX-Injected: 1"}}),
    );
    invalid_params(reply, "MIME");
}

#[test]
fn per_call_log_settings_are_refused_not_ignored() {
    let message = invalid_params(
        raw_call("Library.Version", r#"{"options": {"log": {"level": "debug"}}}"#),
        "options.log",
    );
    assert!(message.contains("Library.Configure"), "{message}");
    ok(raw_call(
        "Library.Version",
        r#"{"options": {"retries": {"max_attempts": 2}}}"#,
    ));
}

#[test]
fn echoes_of_input_are_cut() {
    let huge = "k".repeat(10 << 20);
    let cases = [
        ("Library.Version", json!({ huge.clone(): 1 })),
        ("Library.Version", json!({"options": { huge.clone(): 1 }})),
        (
            "Library.Version",
            json!({"options": {"endpoints": { huge.clone(): "https://x.example" }}}),
        ),
        (
            "Library.Version",
            json!({"options": {"endpoints": {"yandex_oauth": huge.clone()}}}),
        ),
        ("Jobs.Status", json!({"job_id": huge.clone()})),
        (
            "GoogleDrive.UploadFile",
            json!({"token": "t", "data_base64": "aGk=", "description": { huge.clone(): "x" }}),
        ),
    ];
    for (method, params) in cases {
        let reply = raw_call(method, &params.to_string());
        let text = reply.to_string();
        assert_eq!(reply["ok"], false, "{method}");
        assert!(text.len() < 16 * 1024, "{method}: a reply of {} bytes", text.len());
    }
    let message = err(raw_call("Library.Version", &json!({ huge: 1 }).to_string()))["message"].clone();
    assert!(message.as_str().unwrap().contains("kkkk…"), "{message}");
}
