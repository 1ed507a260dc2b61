//! A cancel that arrives once every byte of an upload was sent, while the service is still
//! answering: the service stores the file, so the reply must say so (success with what was
//! stored), not `cancelled … nothing partial was left`. Yandex Disk, and Drive's multipart and
//! resumable uploads, run as jobs and cancelled with Jobs.Cancel through the C ABI.

mod common;

use std::time::{Duration, Instant};

use common::{ok, pattern, sandbox, TempDir, TestSandbox};
use serde_json::{json, Value};

/// The request a fault holds back: its method and path prefix, and the bytes the job reports
/// once its body was sent (None for a request sent whole, which reports nothing before).
struct Held<'a> {
    method: &'a str,
    path: &'a str,
    reported: Option<u64>,
}

/// Starts `method` as a job, waits until the sandbox has the `held` request (a fault holds its
/// answer back) and the job reports every byte sent, cancels the job, and returns its reply.
fn cancel_while_answering(sb: &TestSandbox, method: &str, params: Value, held: Held) -> Value {
    let job = ok(sb.call("Jobs.Start", json!({"method": method, "params": params})))["job_id"].clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let arrived = sb
            .requests()
            .iter()
            .any(|r| r["method"] == held.method && r["path"].as_str().unwrap_or("").starts_with(held.path));
        let status = ok(sb.call("Jobs.Status", json!({"job_id": job})));
        assert_eq!(status["state"], "running", "the answer is held back: {status}");
        if arrived && held.reported.is_none_or(|size| status["done"] == json!(size)) {
            break;
        }
        assert!(Instant::now() < deadline, "the upload never reached {}", held.path);
        std::thread::sleep(Duration::from_millis(20));
    }
    ok(sb.call("Jobs.Cancel", json!({"job_id": job})));
    let finished = ok(sb.call("Jobs.Wait", json!({"job_id": job, "timeout_s": 60})));
    finished["reply"].clone()
}

#[test]
fn a_disk_upload_cancelled_after_its_last_byte_reports_the_stored_file() {
    let sb = sandbox();
    let token = sb.sign_in()["access_token"].clone();
    let dir = TempDir::new("late-cancel-disk");
    let content = pattern(50_000, 3);
    std::fs::write(dir.path("f.bin"), &content).unwrap();
    sb.fault(json!({"method": "PUT", "path": "/yandex-disk-upload", "delay_ms": 2000}));
    let params = json!({"token": token, "path": "/late.bin", "file": dir.path("f.bin"), "options": sb.options()});
    let held = Held {
        method: "PUT",
        path: "/yandex-disk-upload",
        reported: Some(50_000),
    };
    let reply = cancel_while_answering(&sb, "YandexDisk.UploadFile", params, held);
    assert_eq!(reply["ok"], true, "the file was stored: {reply}");
    assert_eq!(reply["result"]["size"], 50_000);
    let stored = ok(sb.call("YandexDisk.GetObject", json!({"token": token, "path": "/late.bin"})));
    assert_eq!(stored["md5"], reply["result"]["md5"]);
}

#[test]
fn drive_uploads_cancelled_after_their_last_byte_report_the_stored_file() {
    let sb = sandbox();
    let token = sb.google_sign_in()["access_token"].clone();
    for (name, threshold) in [("multipart.bin", 1_000_000), ("resumable.bin", 1000)] {
        sb.clear_requests();
        let dir = TempDir::new("late-cancel-drive");
        std::fs::write(dir.path(name), pattern(40_000, 5)).unwrap();
        // The multipart upload is one POST, reported once answered; the resumable one is a
        // session, then one PUT, reported as it is sent.
        let held = match threshold > 40_000 {
            true => Held {
                method: "POST",
                path: "/google-apis/upload/drive/v3/files",
                reported: None,
            },
            false => Held {
                method: "PUT",
                path: "/google-apis/upload/drive/v3/files",
                reported: Some(40_000),
            },
        };
        sb.fault(json!({"method": held.method, "path": held.path, "delay_ms": 2000}));
        let params = json!({
            "token": token, "file": dir.path(name), "resumable_threshold": threshold, "options": sb.options(),
        });
        let reply = cancel_while_answering(&sb, "GoogleDrive.UploadFile", params, held);
        assert_eq!(reply["ok"], true, "{name} was stored: {reply}");
        let id = reply["result"]["id"].clone();
        let stored = ok(sb.call(
            "GoogleDrive.GetObjectInformation",
            json!({"token": token, "file_id": id}),
        ));
        assert_eq!(stored["size"], "40000", "{name}");
    }
}
