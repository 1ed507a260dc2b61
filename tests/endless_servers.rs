//! Servers that never let a loop end, each a small misbehaving server on 127.0.0.1, through the
//! C ABI: Drive's resumable upload answered 308 "I have every byte" forever; a Disk listing that
//! ignores `offset` or claims a huge `total`; Drive pages whose tokens go round in a circle;
//! folder listings whose item is the folder itself. Each call ends within a bounded time with
//! `invalid_response` and a bounded number of requests.

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::rogue::{Answer, Asked, Rogue};
use common::{err, raw_call, TempDir};
use serde_json::{json, Value};

/// Calls `method` on another thread and gives its reply, or fails the test when it takes longer
/// than `limit` (a loop without end).
fn within(limit: Duration, method: &'static str, params: Value) -> Value {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(raw_call(method, &params.to_string()));
    });
    receive
        .recv_timeout(limit)
        .unwrap_or_else(|_| panic!("{method} did not end within {limit:?}"))
}

/// Options pointing one endpoint at the rogue server, with short retries.
fn options(endpoint: &str, rogue: &Rogue) -> Value {
    json!({
        "endpoints": {endpoint: rogue.url},
        "retries": {"max_attempts": 4, "base_delay_ms": 20, "max_delay_ms": 100},
    })
}

#[test]
fn a_resumable_upload_that_drive_never_finishes_gives_up() {
    let rogue = Rogue::start(|asked: &Asked| match asked.method.as_str() {
        "POST" => {
            let session = format!("http://{}/session/1", asked.header("host").unwrap_or(""));
            Answer::empty(200).with_header("location", &session)
        }
        _ => {
            // Whatever is sent or asked: "I have every byte", and never the file.
            let total = asked
                .header("content-range")
                .and_then(|range| range.rsplit('/').next())
                .and_then(|total| total.parse::<u64>().ok())
                .unwrap_or(1);
            Answer::empty(308).with_header("range", &format!("bytes=0-{}", total - 1))
        }
    });
    let params = json!({
        "token": "t", "data_base64": "AAECAwQFBgcICQ==", "resumable_threshold": 1,
        "options": options("google_apis", &rogue),
    });
    let started = Instant::now();
    let error = err(within(Duration::from_secs(60), "GoogleDrive.UploadFile", params));
    assert_eq!(error["code"], "invalid_response", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("does not finish"),
        "{error}"
    );
    let puts = rogue.asked().iter().filter(|a| a.method == "PUT").count();
    assert!(
        (2..=6).contains(&puts),
        "{puts} requests to the session: asked again after waits, a bounded number of times"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// A Disk folder `disk:/t` as a rogue server lists it: `page(offset)` gives the items.
fn disk_listing(page: impl Fn(u64) -> (Vec<Value>, u64) + Send + Sync + 'static) -> Rogue {
    Rogue::start(move |asked: &Asked| {
        let offset = asked.param("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
        let (items, total) = page(offset);
        Answer::json(
            200,
            &json!({"type": "dir", "name": "t", "path": "disk:/t",
                   "_embedded": {"items": items, "total": total, "limit": 100, "offset": offset, "path": "disk:/t"}}),
        )
    })
}

fn disk_file(name: &str) -> Value {
    json!({"type": "file", "name": name, "path": format!("disk:/t/{name}"), "size": 1, "md5": "00"})
}

#[test]
fn a_disk_listing_that_ignores_offset_is_refused() {
    let rogue = disk_listing(|_| ((0..100).map(|i| disk_file(&format!("f{i}"))).collect(), 1_000_000));
    let out = TempDir::new("endless-offset");
    for (method, params) in [
        ("YandexDisk.GetFolderItems", json!({"path": "/t"})),
        (
            "YandexDisk.DownloadDirectory",
            json!({"path": "/t", "local_dir": out.0}),
        ),
    ] {
        let mut params = params;
        params["token"] = json!("t");
        params["options"] = options("yandex_disk", &rogue);
        let error = err(within(Duration::from_secs(60), method, params));
        assert_eq!(error["code"], "invalid_response", "{method}: {error}");
        assert!(error["message"].as_str().unwrap().contains("offset"), "{error}");
    }
    assert!(rogue.asked().len() <= 4, "each call stops at the second page");
}

#[test]
fn a_disk_listing_that_never_ends_is_refused() {
    // New items on every page (more than asked for), and a total that is never reached.
    let rogue = disk_listing(|offset| {
        let items = (offset..offset + 1000).map(|i| disk_file(&format!("f{i}"))).collect();
        (items, u64::MAX / 2)
    });
    let params = json!({"token": "t", "path": "/t", "options": options("yandex_disk", &rogue)});
    let error = err(within(Duration::from_secs(120), "YandexDisk.GetFolderItems", params));
    assert_eq!(error["code"], "invalid_response", "{error}");
    assert!(error["message"].as_str().unwrap().contains("never ends"), "{error}");
    assert!(rogue.asked().len() <= 201, "{} pages", rogue.asked().len());
}

#[test]
fn drive_pages_that_go_round_in_a_circle_are_refused() {
    let rogue = Rogue::start(|asked: &Asked| {
        let next = match asked.param("pageToken") {
            None => "A",
            Some("A") => "B",
            _ => "A",
        };
        Answer::json(
            200,
            &json!({"kind": "drive#fileList", "files": [{"id": next, "name": next}], "nextPageToken": next}),
        )
    });
    let params = json!({"token": "t", "options": options("google_apis", &rogue)});
    let error = err(within(Duration::from_secs(60), "GoogleDrive.GetFilesList", params));
    assert_eq!(error["code"], "invalid_response", "{error}");
    assert!(error["message"].as_str().unwrap().contains("circle"), "{error}");
    assert_eq!(rogue.asked().len(), 3);
}

#[test]
fn a_folder_that_lists_itself_is_refused_by_download_directory() {
    // The Disk: the folder's one item is a folder whose path is the folder's own.
    let rogue = disk_listing(|_| {
        let itself = json!({"type": "dir", "name": "again", "path": "disk:/t"});
        (vec![itself], 1)
    });
    let out = TempDir::new("endless-cycle-disk");
    let params = json!({"token": "t", "path": "/t", "local_dir": out.0, "options": options("yandex_disk", &rogue)});
    let error = err(within(Duration::from_secs(60), "YandexDisk.DownloadDirectory", params));
    assert_eq!(error["code"], "invalid_response", "{error}");
    assert!(error["message"].as_str().unwrap().contains("inside itself"), "{error}");
    assert!(rogue.asked().len() <= 3);

    // Drive: the folder's child folder has the folder's own id.
    let rogue = Rogue::start(|_: &Asked| {
        let folder = "application/vnd.google-apps.folder";
        Answer::json(
            200,
            &json!({"files": [{"id": "F", "name": "again", "mimeType": folder}]}),
        )
    });
    let out = TempDir::new("endless-cycle-drive");
    let params = json!({"token": "t", "folder_id": "F", "local_dir": out.0, "options": options("google_apis", &rogue)});
    let error = err(within(Duration::from_secs(60), "GoogleDrive.DownloadDirectory", params));
    assert_eq!(error["code"], "invalid_response", "{error}");
    assert!(rogue.asked().len() <= 3);
}
