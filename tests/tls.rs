//! The path to the real services: HTTPS, on HTTP/1.1 and on HTTP/2 (negotiated by ALPN), with
//! the sandbox's CA given as `ca_file` — sign-in, metadata, an upload, ranged and resumed
//! downloads, Drive's resumable upload and a fault in the middle of a body — and a certificate
//! the library does not trust, refused at once with its own code.

mod common;

use std::time::{Duration, Instant};

use common::{err, ok, pattern, sandbox_with, TempDir, TestSandbox};
use diskbridge_sandbox::SandboxOptions;
use serde_json::{json, Value};

fn tls_sandbox(http1_only: bool) -> TestSandbox {
    sandbox_with(SandboxOptions {
        tls: true,
        http1_only,
        ..SandboxOptions::default()
    })
}

/// Every logged request to the services came over `version`, and there were some.
fn assert_protocol(sb: &TestSandbox, version: &str) {
    let requests = sb.requests();
    assert!(!requests.is_empty());
    for request in &requests {
        assert_eq!(request["version"], version, "{} {}", request["method"], request["path"]);
    }
}

/// Logged requests whose path starts with `prefix`.
fn requests_under(sb: &TestSandbox, prefix: &str) -> Vec<Value> {
    sb.requests()
        .into_iter()
        .filter(|r| r["path"].as_str().unwrap_or("").starts_with(prefix))
        .collect()
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The Yandex side: device sign-in, metadata, an upload broken mid-body, a download broken
/// mid-body (resumed with Range), and a ranged, resumed download into memory.
fn yandex_over(sb: &TestSandbox, version: &str) {
    assert!(sb.url().starts_with("https://"));
    let token = sb.sign_in()["access_token"].clone();
    let disk = ok(sb.call("YandexDisk.GetDiskInformation", json!({"token": token})));
    assert!(disk["total_space"].is_u64(), "{disk}");

    let dir = TempDir::new("tls");
    let content = pattern(3 * 1024 * 1024 + 17, 3);
    std::fs::write(dir.path("up.bin"), &content).unwrap();
    sb.fault(json!({"method": "PUT", "path": "/yandex-disk-upload", "reset": "request", "after_bytes": 1_000_000}));
    let stored = ok(sb.call(
        "YandexDisk.UploadFile",
        json!({"token": token, "path": "/tls.bin", "file": dir.path("up.bin")}),
    ));
    assert_eq!(stored["md5"], md5_hex(&content));
    assert!(
        requests_under(sb, "/yandex-disk-upload").len() >= 2,
        "the broken upload went again"
    );

    sb.clear_requests();
    sb.fault(json!({"method": "GET", "path": "/yandex-disk-download", "reset": "response", "after_bytes": 700_000}));
    let saved = ok(sb.call(
        "YandexDisk.DownloadFile",
        json!({"token": token, "path": "/tls.bin", "save_path": dir.path("down.bin")}),
    ));
    assert_eq!(saved["md5"], md5_hex(&content), "{saved}");
    assert_eq!(std::fs::read(dir.path("down.bin")).unwrap(), content);
    let downloads = requests_under(sb, "/yandex-disk-download");
    assert!(
        downloads.iter().any(|r| r["headers"]["range"]
            .as_str()
            .is_some_and(|range| range.starts_with("bytes=") && !range.starts_with("bytes=0-"))),
        "resumed with Range: {downloads:?}"
    );

    sb.fault(json!({"method": "GET", "path": "/yandex-disk-download", "reset": "response", "after_bytes": 100_000}));
    let inline = ok(sb.call("YandexDisk.DownloadFile", json!({"token": token, "path": "/tls.bin"})));
    assert_eq!(inline["md5"], md5_hex(&content));
    assert_protocol(sb, version);
}

/// The Google side: loopback sign-in, Drive metadata, a resumable upload broken mid-chunk, and
/// the download of it.
fn google_over(sb: &TestSandbox, version: &str) {
    let token = sb.google_sign_in()["access_token"].clone();
    let about = ok(sb.call("GoogleDrive.GetDirectoriesList", json!({"token": token})));
    assert!(about.is_array() || about.is_object(), "{about}");

    let dir = TempDir::new("tls-drive");
    let content = pattern(1024 * 1024 + 5, 9);
    std::fs::write(dir.path("up.bin"), &content).unwrap();
    sb.fault(json!({"method": "PUT", "path": "/google-apis/upload", "reset": "request", "after_bytes": 100_000}));
    let file = ok(sb.call(
        "GoogleDrive.UploadFile",
        json!({"token": token, "file": dir.path("up.bin"), "resumable_threshold": 0, "chunk_size": 262144}),
    ));
    assert_eq!(file["md5Checksum"], md5_hex(&content), "{file}");
    let downloaded = ok(sb.call(
        "GoogleDrive.DownloadFile",
        json!({"token": token, "file_id": file["id"]}),
    ));
    assert_eq!(downloaded["md5"], md5_hex(&content), "{downloaded}");
    assert_protocol(sb, version);
}

#[test]
fn yandex_over_https_and_http1() {
    yandex_over(&tls_sandbox(true), "HTTP/1.1");
}

#[test]
fn yandex_over_https_and_http2() {
    yandex_over(&tls_sandbox(false), "HTTP/2.0");
}

#[test]
fn google_over_https_and_http1() {
    google_over(&tls_sandbox(true), "HTTP/1.1");
}

#[test]
fn google_over_https_and_http2() {
    google_over(&tls_sandbox(false), "HTTP/2.0");
}

/// An untrusted certificate: refused on the first attempt, not retried, with a message that
/// names the cause and the setting.
fn refused_at_once(sb: &TestSandbox, options: Value) {
    let started = Instant::now();
    let error = err(sb.call(
        "YandexID.GetConfirmationCode",
        json!({"client_id": diskbridge_sandbox::YANDEX_CLIENT_ID, "options": options}),
    ));
    assert_eq!(error["code"], "untrusted_certificate", "{error}");
    assert_eq!(error["retryable"], false);
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("not trusted") && message.contains("ca_file"),
        "{message}"
    );
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    // The default retries are 5 attempts with back-off: one failed handshake is all there was.
    assert!(sb.requests().is_empty(), "no request got through");
}

#[test]
fn a_certificate_the_library_does_not_trust_is_refused_at_once() {
    // No ca_file: the sandbox's CA is in no trust store.
    let sb = tls_sandbox(false);
    refused_at_once(&sb, json!({"sandbox": sb.url()}));
    // ca_file given, but the sandbox serves a certificate of another CA.
    let sb = sandbox_with(SandboxOptions {
        tls: true,
        untrusted_certificate: true,
        ..SandboxOptions::default()
    });
    refused_at_once(&sb, json!({"sandbox": sb.url(), "ca_file": sb.sandbox.ca_file()}));
}
