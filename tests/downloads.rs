//! The download engine through the C ABI: verification by sha256 (md5 only where the service
//! reports no sha256), parallel ranged downloads, and what a hostile server or an odd
//! `save_path` must not do — against the sandbox, and against small misbehaving servers
//! started here on 127.0.0.1 where the sandbox is faithful to the services.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use common::{err, ok, pattern, raw_call, sandbox, TempDir, TestSandbox};
use serde_json::{json, Value};

struct Disk {
    sb: TestSandbox,
    token: Value,
}

impl Disk {
    fn new() -> Disk {
        let sb = sandbox();
        let token = sb.sign_in()["access_token"].clone();
        Disk { sb, token }
    }

    fn call(&self, method: &str, mut params: Value) -> Value {
        params["token"] = self.token.clone();
        self.sb.call(&format!("YandexDisk.{method}"), params)
    }

    fn upload(&self, path: &str, bytes: &[u8]) -> Value {
        let data = base64::engine::general_purpose::STANDARD.encode(bytes);
        ok(self.call(
            "UploadFile",
            json!({"path": path, "data_base64": data, "overwrite": true}),
        ))
    }

    /// Options with parallel downloads from 1 MiB up, over four connections.
    fn parallel(&self) -> Value {
        let mut options = self.sb.options();
        options["transfers"] = json!({"download_streams": 4, "parallel_threshold_bytes": 1048576});
        options
    }

    /// The next metadata request of `path` answers `resource` instead of the Disk.
    fn fake_metadata(&self, resource: Value) {
        self.sb.fault(json!({"method": "GET", "path": "/yandex-disk/v1/disk/resources", "status": 200, "body": resource, "times": 1}));
    }

    /// The next download link the Disk hands out points at `url` instead.
    fn fake_link(&self, url: &str) {
        let link = json!({"href": url, "method": "GET", "templated": false});
        self.sb.fault(
            json!({"method": "GET", "path": "/yandex-disk/v1/disk/resources/download", "status": 200, "body": link}),
        );
    }

    fn downloads(&self) -> Vec<Value> {
        self.sb
            .requests()
            .into_iter()
            .filter(|r| r["path"].as_str().unwrap_or("").starts_with("/yandex-disk-download"))
            .collect()
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Log lines of this process that contain `needle`.
fn log_lines(needle: &str) -> Vec<String> {
    let log = ok(raw_call("Library.GetLog", r#"{"limit": 1000}"#));
    let lines = log.get("lines").and_then(Value::as_array).cloned().unwrap_or_default();
    lines
        .iter()
        .map(|line| line.to_string())
        .filter(|line| line.contains(needle))
        .collect()
}

#[test]
fn a_download_whose_sha256_differs_is_refused_and_keeps_the_previous_file() {
    let disk = Disk::new();
    let content = pattern(300_001, 1);
    disk.upload("/f.bin", &content);
    let mut resource = ok(disk.call("GetObject", json!({"path": "/f.bin"})));
    assert_eq!(resource["sha256"], sha256_hex(&content));
    // Only the sha256 is wrong: the size and the md5 still match.
    resource["sha256"] = json!(sha256_hex(b"something else"));
    disk.fake_metadata(resource);
    let dir = TempDir::new("dl-sha256");
    let target = dir.path("f.bin");
    std::fs::write(&target, b"the previous version").unwrap();
    let error = err(disk.call("DownloadFile", json!({"path": "/f.bin", "save_path": target})));
    assert_eq!(error["code"], "checksum_mismatch");
    assert!(error["message"].as_str().unwrap().contains("sha256"), "{error}");
    assert_eq!(std::fs::read(&target).unwrap(), b"the previous version");
    assert_eq!(dir.entries(), vec!["f.bin"], "no part file left");
    // Without the fault the same download goes through, and reports the Disk's md5 beside the
    // sha256 it was verified by.
    let downloaded = ok(disk.call("DownloadFile", json!({"path": "/f.bin", "save_path": target})));
    assert_eq!(std::fs::read(&target).unwrap(), content);
    assert_eq!(downloaded["sha256"], sha256_hex(&content));
    assert_eq!(downloaded["md5"], md5_hex(&content));
    assert!(!log_lines("downloaded 300001 bytes over one connection").is_empty());
    assert!(log_lines("downloaded 300001 bytes")
        .iter()
        .all(|l| l.contains("verified by sha256")));
}

#[test]
fn a_file_whose_service_reports_no_sha256_is_checked_by_md5() {
    let disk = Disk::new();
    let content = pattern(200_003, 2);
    disk.upload("/m.bin", &content);
    let mut resource = ok(disk.call("GetObject", json!({"path": "/m.bin"})));
    resource.as_object_mut().unwrap().remove("sha256");
    let dir = TempDir::new("dl-md5");
    let target = dir.path("m.bin");
    disk.fake_metadata(resource.clone());
    let downloaded = ok(disk.call("DownloadFile", json!({"path": "/m.bin", "save_path": target})));
    assert_eq!(std::fs::read(&target).unwrap(), content);
    assert_eq!(downloaded["md5"], md5_hex(&content), "computed here");
    let lines = log_lines("downloaded 200003 bytes");
    assert!(lines.iter().any(|l| l.contains("verified by md5")), "{lines:?}");
    // And the md5 is really compared: a wrong one is refused.
    resource["md5"] = json!(md5_hex(b"something else"));
    disk.fake_metadata(resource);
    std::fs::write(&target, b"kept").unwrap();
    let error = err(disk.call("DownloadFile", json!({"path": "/m.bin", "save_path": target})));
    assert_eq!(error["code"], "checksum_mismatch");
    assert!(error["message"].as_str().unwrap().contains("md5"), "{error}");
    assert_eq!(std::fs::read(&target).unwrap(), b"kept");
}

#[test]
fn drive_downloads_and_uploads_are_verified_by_sha256_and_md5_only_without_it() {
    let sb = sandbox();
    let token = sb.google_sign_in()["access_token"].clone();
    let content = pattern(150_000, 3);
    let data = base64::engine::general_purpose::STANDARD.encode(&content);
    let file = ok(sb.call(
        "GoogleDrive.UploadFile",
        json!({"token": token, "data_base64": data, "description": {"Name": "d.bin"}}),
    ));
    assert_eq!(file["sha256Checksum"], sha256_hex(&content));
    let id = file["id"].as_str().unwrap().to_string();
    let dir = TempDir::new("dl-drive");
    let target = dir.path("d.bin");
    std::fs::write(&target, b"previous").unwrap();
    let metadata = |changes: Value| {
        let mut body = json!({"id": id, "name": "d.bin", "mimeType": "application/octet-stream", "size": "150000",
                              "md5Checksum": md5_hex(&content), "sha256Checksum": sha256_hex(&content)});
        for (key, value) in changes.as_object().unwrap() {
            match value {
                Value::Null => body.as_object_mut().unwrap().remove(key),
                other => body.as_object_mut().unwrap().insert(key.clone(), other.clone()),
            };
        }
        json!({"method": "GET", "path": format!("/google-apis/drive/v3/files/{id}"), "status": 200, "body": body})
    };
    sb.fault(metadata(json!({"sha256Checksum": sha256_hex(b"other")})));
    let refused = err(sb.call(
        "GoogleDrive.DownloadFile",
        json!({"token": token, "file_id": id, "save_path": target}),
    ));
    assert_eq!(refused["code"], "checksum_mismatch");
    assert_eq!(std::fs::read(&target).unwrap(), b"previous");
    sb.fault(metadata(json!({"sha256Checksum": null})));
    let by_md5 = ok(sb.call(
        "GoogleDrive.DownloadFile",
        json!({"token": token, "file_id": id, "save_path": target}),
    ));
    assert_eq!(std::fs::read(&target).unwrap(), content);
    assert_eq!(by_md5["md5"], md5_hex(&content));
    sb.fault(metadata(
        json!({"sha256Checksum": null, "md5Checksum": md5_hex(b"other")}),
    ));
    let wrong_md5 = err(sb.call(
        "GoogleDrive.DownloadFile",
        json!({"token": token, "file_id": id, "save_path": target}),
    ));
    assert_eq!(wrong_md5["code"], "checksum_mismatch");

    // Uploads: Drive's answer is compared by sha256, by md5 only when it has no sha256.
    let answer = |sha256: Option<String>, md5: String| {
        let mut body = json!({"id": "no-such-file", "name": "u.bin", "size": "150000", "md5Checksum": md5});
        if let Some(sha256) = sha256 {
            body["sha256Checksum"] = json!(sha256);
        }
        json!({"method": "POST", "path": "/google-apis/upload/drive/v3/files", "status": 200, "body": body})
    };
    sb.fault(answer(Some(sha256_hex(b"other")), md5_hex(&content)));
    let upload = json!({"token": token, "data_base64": data, "description": {"Name": "u.bin"}});
    assert_eq!(
        err(sb.call("GoogleDrive.UploadFile", upload.clone()))["code"],
        "checksum_mismatch"
    );
    sb.fault(answer(None, md5_hex(&content)));
    assert_eq!(
        ok(sb.call("GoogleDrive.UploadFile", upload.clone()))["id"],
        "no-such-file"
    );
    sb.fault(answer(None, md5_hex(b"other")));
    assert_eq!(
        err(sb.call("GoogleDrive.UploadFile", upload))["code"],
        "checksum_mismatch"
    );
}

#[test]
fn a_parallel_download_survives_two_reset_ranges() {
    let disk = Disk::new();
    let content = pattern(6 * 1024 * 1024 + 123, 4);
    disk.upload("/big.bin", &content);
    disk.sb.clear_requests();
    // Two of the range connections break mid-body (a ranged-only fault: never a whole request).
    disk.sb.fault(json!({"method": "GET", "path": "/yandex-disk-download", "with_range": true, "reset": "response", "after_bytes": 65536, "times": 2}));
    let dir = TempDir::new("dl-parallel");
    let target = dir.path("big.bin");
    let mut reports = Vec::new();
    let result = ok(disk.sb.call_with_progress(
        "YandexDisk.DownloadFile",
        json!({"token": disk.token, "path": "/big.bin", "save_path": target, "options": disk.parallel()}),
        &mut |done, total| {
            reports.push((done, total));
            false
        },
    ));
    assert_eq!(std::fs::read(&target).unwrap(), content);
    assert_eq!(result["sha256"], sha256_hex(&content));
    assert_eq!(dir.entries(), vec!["big.bin"]);
    assert!(reports.windows(2).all(|w| w[0].0 <= w[1].0), "progress only grows");
    assert_eq!(*reports.last().unwrap(), (content.len() as u64, content.len() as u64));
    let gets = disk.downloads();
    let ranges: Vec<(u64, u64)> = gets
        .iter()
        .map(|get| {
            let range = get["headers"]["range"].as_str().expect("every GET is ranged");
            let (start, end) = range.trim_start_matches("bytes=").split_once('-').unwrap();
            (start.parse().unwrap(), end.parse().expect("a range with an end"))
        })
        .collect();
    assert!(ranges.len() >= 6, "the file went in pieces: {ranges:?}");
    // The two broken ranges were asked for again from where they broke (a reset may lose what
    // was in flight, so perhaps from where they started): the same end, no earlier start.
    let resumed: Vec<&(u64, u64)> = ranges
        .iter()
        .enumerate()
        .filter(|(i, (start, end))| ranges[..*i].iter().any(|(s, e)| e == end && s <= start))
        .map(|(_, range)| range)
        .collect();
    assert_eq!(resumed.len(), 2, "{ranges:?}");
    let size = content.len();
    assert!(!log_lines(&format!("downloaded {size} bytes over 4 ranged connections")).is_empty());

    // Inline downloads stay on one stream.
    disk.sb.clear_requests();
    let mut options = disk.parallel();
    options["transfers"]["inline_max_bytes"] = json!(16 * 1024 * 1024);
    let inline = ok(disk.call("DownloadFile", json!({"path": "/big.bin", "options": options})));
    assert_eq!(inline["sha256"], sha256_hex(&content));
    let gets = disk.downloads();
    assert_eq!(gets.len(), 1);
    assert!(gets[0]["headers"]["range"].is_null(), "{gets:?}");
}

#[test]
fn a_parallel_drive_download_resumes_its_ranges() {
    let sb = sandbox();
    let token = sb.google_sign_in()["access_token"].clone();
    let content = pattern(3 * 1024 * 1024 + 5, 5);
    let data = base64::engine::general_purpose::STANDARD.encode(&content);
    let file = ok(sb.call(
        "GoogleDrive.UploadFile",
        json!({"token": token, "data_base64": data, "description": {"Name": "p.bin"}}),
    ));
    let id = file["id"].as_str().unwrap();
    // Two of the range connections break mid-body.
    sb.fault(json!({"method": "GET", "path": format!("/google-apis/drive/v3/files/{id}"), "with_range": true, "reset": "response", "after_bytes": 100000, "times": 2}));
    let dir = TempDir::new("dl-drive-parallel");
    let mut options = sb.options();
    options["transfers"] = json!({"download_streams": 3, "parallel_threshold_bytes": 1048576});
    let target = dir.path("p.bin");
    ok(sb.call(
        "GoogleDrive.DownloadFile",
        json!({"token": token, "file_id": id, "save_path": target, "options": options}),
    ));
    assert_eq!(std::fs::read(&target).unwrap(), content);
    let gets = sb.requests_to(&format!("/drive/v3/files/{id}"));
    let ranged = gets.iter().filter(|g| g["headers"]["range"].is_string()).count();
    assert!(ranged >= 5, "{gets:?}");
    assert!(gets
        .iter()
        .all(|g| g["headers"]["authorization"].as_str().unwrap().starts_with("Bearer ")));
}

#[test]
fn a_cancelled_parallel_download_leaves_nothing_behind() {
    let disk = Disk::new();
    let content = pattern(8 * 1024 * 1024, 6);
    disk.upload("/c.bin", &content);
    let dir = TempDir::new("dl-cancel");
    let target = dir.path("c.bin");
    std::fs::write(&target, b"previous").unwrap();
    let reply = disk.sb.call_with_progress(
        "YandexDisk.DownloadFile",
        json!({"token": disk.token, "path": "/c.bin", "save_path": target, "options": disk.parallel()}),
        &mut |done, _| done >= 2 * 1024 * 1024,
    );
    assert_eq!(err(reply)["code"], "cancelled");
    assert_eq!(dir.entries(), vec!["c.bin"], "no part file");
    assert_eq!(std::fs::read(&target).unwrap(), b"previous");
}

/// A small HTTP/1.1 server on 127.0.0.1 serving one file the way a misbehaving server does:
/// `answer` gets the request's Range (if any) and the number of the request, and writes the
/// whole response. One request per connection.
struct Misbehaving {
    url: String,
    requests: Arc<Mutex<Vec<Option<String>>>>,
}

impl Misbehaving {
    fn start(answer: impl Fn(Option<&str>, usize, &mut TcpStream) + Send + Sync + 'static) -> Misbehaving {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/file", listener.local_addr().unwrap());
        let requests: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
        let (log, answer) = (requests.clone(), Arc::new(answer));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let (log, answer) = (log.clone(), answer.clone());
                std::thread::spawn(move || {
                    let mut range = None;
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                            break;
                        }
                        if let Some(value) = line.to_ascii_lowercase().strip_prefix("range:") {
                            range = Some(value.trim().to_string());
                        }
                    }
                    let number = {
                        let mut log = log.lock().unwrap();
                        log.push(range.clone());
                        log.len()
                    };
                    answer(range.as_deref(), number, &mut stream);
                });
            }
        });
        Misbehaving { url, requests }
    }

    fn requests(&self) -> Vec<Option<String>> {
        self.requests.lock().unwrap().clone()
    }
}

/// `bytes=A-B` or `bytes=A-` of a file of `size` bytes: the span asked for.
fn asked(range: &str, size: usize) -> (usize, usize) {
    let (start, end) = range.trim_start_matches("bytes=").split_once('-').unwrap();
    let end = if end.is_empty() {
        size
    } else {
        end.parse::<usize>().unwrap() + 1
    };
    (start.parse().unwrap(), end)
}

fn whole(stream: &mut TcpStream, content: &[u8]) {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        content.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(content);
}

fn partial(stream: &mut TcpStream, content: &[u8], (start, end): (usize, usize)) {
    let head = format!(
        "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{}/{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        end - 1,
        content.len(),
        end - start
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&content[start..end]);
}

#[test]
fn a_server_that_ignores_range_still_yields_the_right_file() {
    let disk = Disk::new();
    let content = Arc::new(pattern(3 * 1024 * 1024 + 9, 7));
    disk.upload("/r.bin", &content);
    let dir = TempDir::new("dl-ignore");

    // Ignores every Range: the first answer (200, the whole file) is taken as it comes.
    let served = content.clone();
    let server = Misbehaving::start(move |_, _, stream| whole(stream, &served));
    disk.fake_link(&server.url);
    let target = dir.path("a.bin");
    ok(disk.call(
        "DownloadFile",
        json!({"path": "/r.bin", "save_path": target, "options": disk.parallel()}),
    ));
    assert_eq!(std::fs::read(&target).unwrap(), *content);
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(requests[0].is_some(), "it was asked for a range");

    // Honours the first range, ignores the later ones: the download starts over on one stream.
    let served = content.clone();
    let server = Misbehaving::start(move |range, number, stream| match range {
        Some(range) if number == 1 => partial(stream, &served, asked(range, served.len())),
        _ => whole(stream, &served),
    });
    disk.fake_link(&server.url);
    let target = dir.path("b.bin");
    ok(disk.call(
        "DownloadFile",
        json!({"path": "/r.bin", "save_path": target, "options": disk.parallel()}),
    ));
    assert_eq!(std::fs::read(&target).unwrap(), *content);
    assert!(server.requests().len() >= 3, "{:?}", server.requests());
    let mut entries = dir.entries();
    entries.sort();
    assert_eq!(entries, vec!["a.bin", "b.bin"]);
}

/// The sandbox's `ignore_range`: both download hosts answer every Range with 200 and the whole
/// file, as a server or proxy without range support does.
#[test]
fn a_sandbox_host_ignoring_range_still_yields_the_right_file_on_one_stream() {
    let disk = Disk::new();
    let content = pattern(3 * 1024 * 1024 + 17, 9);
    disk.upload("/i.bin", &content);
    disk.sb.settings(json!({"ignore_range": true}));
    disk.sb.clear_requests();
    let dir = TempDir::new("dl-sandbox-ignore");
    let target = dir.path("i.bin");
    let result = ok(disk.call(
        "DownloadFile",
        json!({"path": "/i.bin", "save_path": target, "options": disk.parallel()}),
    ));
    assert_eq!(std::fs::read(&target).unwrap(), content);
    assert_eq!(result["sha256"], sha256_hex(&content));
    let gets = disk.downloads();
    assert_eq!(gets.len(), 1, "the whole answer is taken as it comes: {gets:?}");
    assert!(gets[0]["headers"]["range"].is_string(), "it was asked for a range");
    assert_eq!(dir.entries(), vec!["i.bin"]);

    let token = disk.sb.google_sign_in()["access_token"].clone();
    let data = base64::engine::general_purpose::STANDARD.encode(&content);
    let file = ok(disk.sb.call(
        "GoogleDrive.UploadFile",
        json!({"token": token, "data_base64": data, "description": {"Name": "i.bin"}}),
    ));
    let id = file["id"].as_str().unwrap();
    disk.sb.clear_requests();
    let target = dir.path("drive.bin");
    ok(disk.sb.call(
        "GoogleDrive.DownloadFile",
        json!({"token": token, "file_id": id, "save_path": target, "options": disk.parallel()}),
    ));
    assert_eq!(std::fs::read(&target).unwrap(), content);
    let ranged = disk
        .sb
        .requests_to(&format!("/drive/v3/files/{id}"))
        .into_iter()
        .filter(|g| g["headers"]["range"].is_string())
        .count();
    assert_eq!(ranged, 1, "one ranged request, answered whole");
}

#[test]
fn a_server_sending_more_than_the_reported_size_is_stopped_at_once() {
    let disk = Disk::new();
    let content = pattern(500_000, 8);
    disk.upload("/o.bin", &content);
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    // An endless body: 200 with no length, bytes until the client hangs up.
    let server = Misbehaving::start(move |_, _, stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        let block = vec![7u8; 64 * 1024];
        while stream.write_all(&block).is_ok() {
            // A bound for the test's sake: a client that never stops gets 256 MiB, then the end.
            if counter.fetch_add(block.len(), Ordering::Relaxed) > 256 * 1024 * 1024 {
                break;
            }
        }
    });
    let dir = TempDir::new("dl-overflow");
    let target = dir.path("o.bin");
    for options in [disk.sb.options(), disk.parallel()] {
        disk.fake_link(&server.url);
        let started = Instant::now();
        let error = err(disk.call(
            "DownloadFile",
            json!({"path": "/o.bin", "save_path": target, "options": options}),
        ));
        assert_eq!(error["code"], "checksum_mismatch", "{error}");
        assert!(started.elapsed() < Duration::from_secs(30), "stopped at once");
        assert!(dir.entries().is_empty(), "the part file went: {:?}", dir.entries());
    }
    // The server got to write little more than the file (its socket buffers), not gigabytes.
    assert!(
        sent.load(Ordering::Relaxed) < 64 * 1024 * 1024,
        "{}",
        sent.load(Ordering::Relaxed)
    );
}

#[test]
fn a_link_that_always_breaks_at_the_same_place_gives_up_after_max_attempts() {
    let disk = Disk::new();
    let content = Arc::new(pattern(400_000, 9));
    disk.upload("/b.bin", &content);
    // Ignores Range and breaks after 100 000 bytes, every time: each answer "progresses" from
    // byte 0, but never past the best offset so far.
    let served = content.clone();
    let server = Misbehaving::start(move |_, _, stream| {
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", served.len());
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(&served[..100_000]);
    });
    disk.fake_link(&server.url);
    let mut options = disk.sb.options();
    options["retries"]["max_attempts"] = json!(4);
    let dir = TempDir::new("dl-breaks");
    let started = Instant::now();
    let error = err(disk.call(
        "DownloadFile",
        json!({"path": "/b.bin", "save_path": dir.path("b.bin"), "options": options}),
    ));
    assert_eq!(error["code"], "network", "{error}");
    assert!(started.elapsed() < Duration::from_secs(60));
    // The first break counts as progress (a new best offset); the next three do not.
    assert_eq!(server.requests().len(), 4, "{:?}", server.requests());
    assert!(dir.entries().is_empty());
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).unwrap().file_type().is_fifo()
}

#[test]
fn a_fifo_or_a_device_is_written_into_not_replaced() {
    let disk = Disk::new();
    let content = pattern(2 * 1024 * 1024 + 1, 10);
    disk.upload("/s.bin", &content);
    let dir = TempDir::new("dl-fifo");
    let fifo = dir.path("pipe");
    mkfifo(&fifo);
    let link = dir.path("link-to-pipe");
    std::os::unix::fs::symlink(&fifo, &link).unwrap();
    for save_path in [&fifo, &link] {
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut read = Vec::new();
                std::fs::File::open(fifo).unwrap().read_to_end(&mut read).unwrap();
                read
            })
        };
        // Even with parallel downloads on, a FIFO takes the bytes in order over one stream.
        let result = ok(disk.call(
            "DownloadFile",
            json!({"path": "/s.bin", "save_path": save_path, "options": disk.parallel()}),
        ));
        assert_eq!(result["sha256"], sha256_hex(&content));
        assert!(is_fifo(&fifo), "the FIFO is still a FIFO");
        assert_eq!(reader.join().unwrap(), content);
    }
    assert!(
        std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(),
        "the link stays"
    );
    assert_eq!(dir.entries(), vec!["link-to-pipe", "pipe"], "no part file");

    // A wrong checksum cannot be taken back from a FIFO: the error says so.
    let mut resource = ok(disk.call("GetObject", json!({"path": "/s.bin"})));
    resource["sha256"] = json!(sha256_hex(b"other"));
    disk.fake_metadata(resource);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            std::io::copy(&mut std::fs::File::open(fifo).unwrap(), &mut std::io::sink()).unwrap()
        })
    };
    let error = err(disk.call("DownloadFile", json!({"path": "/s.bin", "save_path": fifo})));
    reader.join().unwrap();
    assert_eq!(error["code"], "checksum_mismatch");
    assert!(error["message"].as_str().unwrap().contains("written into"), "{error}");

    // Nobody reads: a clear error after the read timeout, not a hang.
    let mut options = disk.sb.options();
    options["timeouts"] = json!({"read_s": 1});
    let started = Instant::now();
    let error = err(disk.call(
        "DownloadFile",
        json!({"path": "/s.bin", "save_path": fifo, "options": options}),
    ));
    assert_eq!(error["code"], "local_io");
    assert!(error["message"].as_str().unwrap().contains("nobody reads"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(30));

    // A character device (a null device of our own: the system's /dev/null is never used as
    // a target here) is written into and stays a device.
    let device = dir.path("null");
    let made = std::process::Command::new("mknod")
        .arg(&device)
        .args(["c", "1", "3"])
        .status();
    if made.is_ok_and(|status| status.success()) {
        ok(disk.call("DownloadFile", json!({"path": "/s.bin", "save_path": device})));
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::symlink_metadata(&device).unwrap().file_type().is_char_device());
    } else {
        eprintln!("not root: the character-device case of this test needs mknod and was not run");
    }
}

#[test]
fn links_are_written_through_and_links_to_nothing_are_refused() {
    let disk = Disk::new();
    let content = pattern(100_000, 11);
    disk.upload("/l.bin", &content);
    let dir = TempDir::new("dl-links");
    let real = dir.path("real.bin");
    std::fs::write(&real, b"old").unwrap();
    let link = dir.path("link.bin");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    ok(disk.call("DownloadFile", json!({"path": "/l.bin", "save_path": link})));
    assert!(
        std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(),
        "the link stays"
    );
    assert_eq!(std::fs::read(&real).unwrap(), content, "its target is replaced");

    let dangling = dir.path("dangling.bin");
    std::os::unix::fs::symlink(dir.path("nowhere/x"), &dangling).unwrap();
    let error = err(disk.call("DownloadFile", json!({"path": "/l.bin", "save_path": dangling})));
    assert_eq!(error["code"], "local_io");
    assert!(std::fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
    let folder = err(disk.call("DownloadFile", json!({"path": "/l.bin", "save_path": dir.0})));
    assert_eq!(folder["code"], "local_io");
}

/// A part file as a killed download leaves it, made `age` ago.
fn part_file(dir: &TempDir, target: &str, hex: &str, age: Duration) -> std::path::PathBuf {
    let path = dir.path(&format!(".{target}.{hex}.diskbridge-part"));
    std::fs::write(&path, b"half a download").unwrap();
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(SystemTime::now() - age).unwrap();
    path
}

#[test]
fn stale_part_files_are_removed_on_the_next_run_and_never_backed_up() {
    let disk = Disk::new();
    let content = pattern(50_000, 12);
    disk.upload("/t.bin", &content);
    let dir = TempDir::new("dl-parts");
    let hour = Duration::from_secs(3600);
    let stale = part_file(&dir, "t.bin", "0123456789ab", hour);
    let young = part_file(&dir, "t.bin", "aaaaaaaaaaaa", Duration::ZERO);
    let other = part_file(&dir, "u.bin", "bbbbbbbbbbbb", hour);
    let live = part_file(&dir, "t.bin", "cccccccccccc", hour);
    let held = std::fs::File::open(&live).unwrap();
    held.lock().unwrap();
    ok(disk.call(
        "DownloadFile",
        json!({"path": "/t.bin", "save_path": dir.path("t.bin")}),
    ));
    assert!(!stale.exists(), "an abandoned part of the target goes");
    assert!(young.exists(), "a part just made may belong to a download that starts");
    assert!(other.exists(), "another target's part is not this download's business");
    assert!(live.exists(), "a part a live download holds stays");
    drop(held);

    // A folder backup does not back part files up.
    let backup = ok(disk.call(
        "UploadDirectory",
        json!({"local_dir": dir.0, "path": "/backup", "overwrite": true}),
    ));
    assert_eq!(backup["uploaded"], 1, "only t.bin: {backup}");
    let listing = ok(disk.call("GetFolderItems", json!({"path": "/backup"})));
    assert_eq!(listing["total"], 1, "{listing}");

    // A folder restore removes the abandoned parts of the files it writes.
    let restore = TempDir::new("dl-parts-restore");
    let stale = part_file(&restore, "t.bin", "dddddddddddd", hour);
    ok(disk.call("DownloadDirectory", json!({"path": "/backup", "local_dir": restore.0})));
    assert!(!stale.exists());
    assert_eq!(restore.entries(), vec!["t.bin"]);
}
