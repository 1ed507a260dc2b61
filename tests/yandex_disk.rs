//! Yandex Disk through the C ABI against the sandbox: every method's normal and main error path
//! in the synchronous and asynchronous modes, and transfers that survive broken connections.

mod common;

use std::time::Duration;

use base64::Engine;
use common::{err, ok, pattern, sandbox, TempDir, TestSandbox};
use serde_json::{json, Value};

struct Disk {
    sb: TestSandbox,
    token: Value,
}

impl Disk {
    fn new(asynchronous: bool) -> Disk {
        let sb = sandbox();
        if asynchronous {
            sb.settings(json!({"yandex_disk_async": true, "async_delay_ms": 150}));
        }
        let token = sb.sign_in()["access_token"].clone();
        Disk { sb, token }
    }

    fn call(&self, method: &str, mut params: Value) -> Value {
        params["token"] = self.token.clone();
        self.sb.call(&format!("YandexDisk.{method}"), params)
    }

    fn ok(&self, method: &str, params: Value) -> Value {
        ok(self.call(method, params))
    }

    fn err(&self, method: &str, params: Value) -> Value {
        err(self.call(method, params))
    }

    fn upload_bytes(&self, path: &str, bytes: &[u8]) -> Value {
        let data = base64::engine::general_purpose::STANDARD.encode(bytes);
        self.ok(
            "UploadFile",
            json!({"path": path, "data_base64": data, "overwrite": true}),
        )
    }

    fn requests_under(&self, prefix: &str) -> Vec<Value> {
        self.sb
            .requests()
            .into_iter()
            .filter(|r| r["path"].as_str().unwrap_or("").starts_with(prefix))
            .collect()
    }
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Every method once on its normal path and once on its main error path.
fn every_method(asynchronous: bool) {
    let disk = Disk::new(asynchronous);
    let info = disk.ok("GetDiskInformation", json!({}));
    assert_eq!(info["user"]["login"], "sandbox-owner");
    assert!(info["total_space"].as_u64().unwrap() > 0);
    assert_eq!(
        err(disk
            .sb
            .call("YandexDisk.GetDiskInformation", json!({"token": "y0_bad"})))["code"],
        "unauthorized"
    );

    let folder = disk.ok("CreateFolder", json!({"path": "/docs"}));
    assert_eq!(folder["path"], "disk:/docs");
    assert_eq!(folder["type"], "dir");
    assert_eq!(disk.err("CreateFolder", json!({"path": "/docs"}))["code"], "conflict");
    assert_eq!(
        disk.err("CreateFolder", json!({"path": "/no/such/parent"}))["code"],
        "conflict"
    );
    let deep = disk.ok("CreateFolder", json!({"path": "/a/b/c", "parents": true}));
    assert_eq!(deep["path"], "disk:/a/b/c");
    disk.ok("CreateFolder", json!({"path": "/a/b/c", "parents": "true"}));

    let content = pattern(200_000, 1);
    let stored = disk.upload_bytes("/docs/report.txt", &content);
    assert_eq!(stored["md5"], md5_hex(&content));
    assert_eq!(stored["size"], 200_000);
    let exists = disk.err("UploadFile", json!({"path": "/docs/report.txt", "data_base64": "AAAA"}));
    assert_eq!(exists["code"], "conflict");

    let object = disk.ok(
        "GetObject",
        json!({"path": "/docs", "limit": 1, "fields": "name,_embedded.items.name,_embedded.total"}),
    );
    assert_eq!(object["_embedded"]["items"][0]["name"], "report.txt");
    assert!(object.get("created").is_none(), "fields keeps only what was asked");
    assert_eq!(disk.err("GetObject", json!({"path": "/missing"}))["code"], "not_found");

    for i in 0..3 {
        disk.upload_bytes(&format!("/docs/extra-{i}.txt"), &pattern(10, i));
    }
    let items = disk.ok("GetFolderItems", json!({"path": "/docs", "sort": "-name"}));
    assert_eq!(items["total"], 4);
    assert_eq!(items["items"][0]["name"], "report.txt");
    assert_eq!(
        disk.err("GetFolderItems", json!({"path": "/docs/report.txt"}))["code"],
        "invalid_params"
    );

    let copy = disk.ok(
        "CreateObjectCopy",
        json!({"from": "/docs/report.txt", "to": "/docs/copy.txt"}),
    );
    assert_eq!(copy["path"], "disk:/docs/copy.txt");
    assert_eq!(copy["md5"], stored["md5"]);
    let clash = disk.err(
        "CreateObjectCopy",
        json!({"from": "/docs/report.txt", "to": "/docs/copy.txt"}),
    );
    assert_eq!(clash["code"], "conflict");
    assert_eq!(clash["upstream"]["error"], "DiskResourceAlreadyExistsError");
    // OPI's names: Original / Path / Overwrite.
    let copied_folder = disk.ok(
        "CreateObjectCopy",
        json!({"Original": "/docs", "Path": "/docs-copy", "Overwrite": false}),
    );
    assert_eq!(copied_folder["type"], "dir");

    let moved = disk.ok("MoveObject", json!({"from": "/docs/copy.txt", "to": "/moved.txt"}));
    assert_eq!(moved["path"], "disk:/moved.txt");
    assert_eq!(
        disk.err("MoveObject", json!({"from": "/docs/copy.txt", "to": "/x.txt"}))["code"],
        "not_found"
    );

    let link = disk.ok("GetDownloadLink", json!({"path": "/moved.txt"}));
    assert!(link["href"].as_str().unwrap().contains("/yandex-disk-download/"));
    assert_eq!(
        disk.err("GetDownloadLink", json!({"path": "/nothing.txt"}))["code"],
        "not_found"
    );
    let upload_link = disk.ok("GetFileUploadLink", json!({"path": "/new.bin"}));
    assert!(upload_link["operation_id"].is_string());
    assert_eq!(
        disk.err("GetFileUploadLink", json!({"path": "/moved.txt"}))["code"],
        "conflict"
    );

    let downloaded = disk.ok("DownloadFile", json!({"path": "/docs/report.txt"}));
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(downloaded["data_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes, content);
    assert_eq!(downloaded["md5"], stored["md5"]);
    assert_eq!(downloaded["sha256"], stored["sha256"]);
    assert_eq!(
        disk.err("DownloadFile", json!({"path": "/docs"}))["code"],
        "invalid_params"
    );

    let files = disk.ok("GetFilesList", json!({"limit": 2, "offset": 0}));
    assert_eq!(files["items"].as_array().unwrap().len(), 2);
    let recent = disk.ok("GetFilesList", json!({"Count": 1, "SortByDate": true}));
    assert_eq!(recent["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        disk.err("GetFilesList", json!({"limit": "many"}))["code"],
        "invalid_params"
    );

    let published = disk.ok("PublishObject", json!({"path": "/moved.txt"}));
    let public_url = published["public_url"].as_str().unwrap().to_string();
    assert!(published["public_key"].is_string());
    assert_eq!(
        disk.err("PublishObject", json!({"path": "/ghost"}))["code"],
        "not_found"
    );
    let list = disk.ok("GetPublishedObjectsList", json!({"limit": 10}));
    assert_eq!(list["items"][0]["path"], "disk:/moved.txt");
    // Public resources need no token.
    let public = ok(disk.sb.call("YandexDisk.GetPublicObject", json!({"url": public_url})));
    assert_eq!(public["name"], "moved.txt");
    let public_link = ok(disk
        .sb
        .call("YandexDisk.GetDownloadLinkForPublicObject", json!({"url": public_url})));
    assert!(public_link["href"].is_string());
    let saved = disk.ok("SavePublicObjectToDisk", json!({"url": public_url}));
    assert!(saved["path"].as_str().unwrap().contains("moved"), "{saved}");
    let unpublished = disk.ok("CancelObjectPublication", json!({"path": "/moved.txt"}));
    assert!(unpublished.get("public_url").is_none());
    assert_eq!(
        err(disk.sb.call("YandexDisk.GetPublicObject", json!({"url": public_url})))["code"],
        "not_found"
    );
    assert_eq!(
        disk.err("SavePublicObjectToDisk", json!({"url": public_url}))["code"],
        "not_found"
    );
    assert_eq!(
        disk.err("CancelObjectPublication", json!({"path": "/ghost"}))["code"],
        "not_found"
    );

    disk.ok("DeleteObject", json!({"path": "/moved.txt"}));
    assert_eq!(
        disk.err("DeleteObject", json!({"path": "/moved.txt"}))["code"],
        "not_found"
    );
    let trash = disk.ok("GetTrashList", json!({}));
    let trashed = trash["_embedded"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["origin_path"] == "disk:/moved.txt")
        .unwrap()
        .clone();
    let trash_path = trashed["path"].as_str().unwrap();
    assert!(trash_path.starts_with("trash:/moved.txt_"), "{trash_path}");
    let restored = disk.ok("RestoreFromTrash", json!({"path": trash_path, "name": "restored.txt"}));
    assert_eq!(restored["path"], "disk:/restored.txt");
    assert_eq!(
        disk.err("RestoreFromTrash", json!({"path": "trash:/nothing_here"}))["code"],
        "not_found"
    );
    disk.ok("DeleteObject", json!({"path": "/docs-copy", "to_trash": true}));
    disk.ok("DeleteObject", json!({"path": "/restored.txt", "ToCart": false}));
    assert_eq!(disk.ok("ClearTrash", json!({})), json!({}));
    assert_eq!(disk.ok("GetTrashList", json!({}))["_embedded"]["total"], 0);
    assert_eq!(
        disk.err("ClearTrash", json!({"path": "trash:/nothing_here"}))["code"],
        "not_found"
    );

    // Operations: UploadFileByURL from the sandbox's own download link.
    let href = disk.ok("GetDownloadLink", json!({"path": "/docs/report.txt"}))["href"].clone();
    let operation = disk.ok("UploadFileByURL", json!({"path": "/fetched.txt", "url": href}));
    let status = disk.ok("GetOperationStatus", json!({"operation": operation["href"]}));
    assert!(
        ["in-progress", "success"].contains(&status["status"].as_str().unwrap()),
        "{status}"
    );
    let fetched = disk.ok(
        "UploadFileByURL",
        json!({"path": "/fetched2.txt", "url": href, "wait": true}),
    );
    assert_eq!(fetched["md5"], stored["md5"]);
    let failed = disk.err(
        "UploadFileByURL",
        json!({"path": "/fetched3.txt", "url": "https://example.invalid/x", "wait": true}),
    );
    assert_eq!(failed["code"], "operation_failed");
    assert_eq!(
        disk.err("GetOperationStatus", json!({"operation": "0123abcd"}))["code"],
        "not_found"
    );
}

#[test]
fn every_method_synchronous() {
    every_method(false);
}

#[test]
fn every_method_asynchronous() {
    every_method(true);
}

#[test]
fn without_wait_a_mutation_returns_the_operation_link() {
    let disk = Disk::new(true);
    disk.upload_bytes("/a.txt", b"hello");
    let link = disk.ok(
        "CreateObjectCopy",
        json!({"from": "/a.txt", "to": "/b.txt", "wait": false}),
    );
    assert!(link["href"].as_str().unwrap().contains("/operations/"), "{link}");
    let mut status = json!(null);
    for _ in 0..50 {
        status = disk.ok("GetOperationStatus", json!({"operation": link["href"]}));
        if status["status"] == "success" {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(status["status"], "success");
}

#[test]
fn uploads_and_downloads_files_streamed_and_verified() {
    let disk = Disk::new(false);
    let dir = TempDir::new("disk-files");
    let content = pattern(3 * 1024 * 1024 + 17, 7);
    std::fs::write(dir.path("big.bin"), &content).unwrap();
    let mut reports = Vec::new();
    let stored = ok(disk.sb.call_with_progress(
        "YandexDisk.UploadFileInParts",
        json!({"token": disk.token, "path": "/big.bin", "file": dir.path("big.bin"), "chunk_size": 1048576}),
        &mut |done, total| {
            reports.push((done, total));
            false
        },
    ));
    assert_eq!(stored["md5"], md5_hex(&content));
    assert!(reports.len() >= 3, "progress was reported while uploading: {reports:?}");
    assert_eq!(*reports.last().unwrap(), (content.len() as u64, content.len() as u64));

    let target = dir.path("copy.bin");
    let downloaded = disk.ok("DownloadFile", json!({"path": "/big.bin", "save_path": target}));
    assert_eq!(std::fs::read(&target).unwrap(), content);
    assert_eq!(downloaded["size"], content.len());
    assert_eq!(downloaded["md5"], stored["md5"]);
    assert_eq!(downloaded["sha256"], stored["sha256"]);

    // Nothing over the inline cap comes back as base64.
    let mut options = disk.sb.options();
    options["transfers"] = json!({"inline_max_bytes": 1024});
    assert_eq!(
        disk.err("DownloadFile", json!({"path": "/big.bin", "options": options}))["code"],
        "too_large"
    );
    // Bad sources.
    assert_eq!(
        disk.err("UploadFile", json!({"path": "/x", "file": dir.path("missing")}))["code"],
        "local_io"
    );
    assert_eq!(disk.err("UploadFile", json!({"path": "/x"}))["code"], "invalid_params");
    assert_eq!(
        disk.err("UploadFile", json!({"path": "/x", "file": "a", "data_base64": "AA=="}))["code"],
        "invalid_params"
    );
    assert_eq!(
        disk.err("UploadFile", json!({"path": "/x", "data_base64": "not base64!"}))["code"],
        "invalid_params"
    );
    assert_eq!(
        disk.err(
            "UploadFileInParts",
            json!({"path": "/x", "data_base64": "AA==", "chunk_size": 10})
        )["code"],
        "invalid_params"
    );

    // The data hosts never see the token.
    for request in disk
        .requests_under("/yandex-disk-upload")
        .iter()
        .chain(disk.requests_under("/yandex-disk-download").iter())
    {
        assert!(request["headers"].get("authorization").is_none(), "{request}");
    }
    assert!(!disk.requests_under("/yandex-disk-upload").is_empty());
    assert!(!disk.requests_under("/yandex-disk-download").is_empty());
}

#[test]
fn the_upload_link_is_asked_for_with_the_configured_user_agent() {
    let disk = Disk::new(false);
    let mut options = disk.sb.options();
    options["transfers"] = json!({"upload_link_user_agent": "Yandex.Disk {\"os\":\"windows\"}"});
    options["user_agent"] = json!("my-app/1.0");
    disk.ok(
        "UploadFile",
        json!({"path": "/ua.bin", "data_base64": "AAEC", "options": options}),
    );
    let link_request = disk.sb.requests_to("/v1/disk/resources/upload").pop().unwrap();
    assert_eq!(
        link_request["headers"]["user-agent"],
        "Yandex.Disk {\"os\":\"windows\"}"
    );
    let confirm = disk.sb.requests_to("/v1/disk/resources").pop().unwrap();
    assert_eq!(confirm["headers"]["user-agent"], "my-app/1.0");
    assert_eq!(
        confirm["headers"]["authorization"].as_str().unwrap().split(' ').next(),
        Some("OAuth")
    );
}

#[test]
fn the_upload_link_is_asked_for_as_the_desktop_client_unless_set_otherwise() {
    let disk = Disk::new(false);
    let agent_of_link = |transfers: Option<Value>| {
        let mut options = disk.sb.options();
        options["user_agent"] = json!("my-app/1.0");
        if let Some(transfers) = transfers {
            options["transfers"] = transfers;
        }
        disk.sb.clear_requests();
        disk.ok(
            "UploadFile",
            json!({"path": "/ua.bin", "data_base64": "AAEC", "overwrite": true, "options": options}),
        );
        let link = disk.sb.requests_to("/v1/disk/resources/upload").pop().unwrap();
        link["headers"]["user-agent"].clone()
    };
    assert_eq!(agent_of_link(None), "Yandex.Disk {\"os\":\"windows\"}", "the default");
    let set = json!({"upload_link_user_agent": "backup-robot/2"});
    assert_eq!(agent_of_link(Some(set)), "backup-robot/2");
    let off = json!({"upload_link_user_agent": null});
    assert_eq!(agent_of_link(Some(off)), "my-app/1.0", "null: the library's own agent");
    let shown = ok(disk.sb.call("Library.GetConfiguration", json!({})));
    assert_eq!(
        shown["transfers"]["upload_link_user_agent"],
        "Yandex.Disk {\"os\":\"windows\"}"
    );
}

#[test]
fn an_upload_reset_twice_ends_with_one_correct_file() {
    let disk = Disk::new(false);
    let content = pattern(2 * 1024 * 1024, 3);
    let dir = TempDir::new("disk-reset");
    std::fs::write(dir.path("f.bin"), &content).unwrap();
    disk.sb.fault(
        json!({"method": "PUT", "path": "/yandex-disk-upload", "reset": "request", "after_bytes": 500000, "times": 2}),
    );
    let stored = disk.ok("UploadFile", json!({"path": "/f.bin", "file": dir.path("f.bin")}));
    assert_eq!(stored["md5"], md5_hex(&content));
    assert_eq!(disk.requests_under("/yandex-disk-upload").len(), 3);
    let listing = disk.ok("GetFolderItems", json!({"path": "/"}));
    assert_eq!(listing["total"], 1, "exactly one file: {listing}");
}

#[test]
fn an_upload_whose_answer_is_lost_is_not_sent_twice() {
    let disk = Disk::new(false);
    let content = pattern(300_000, 9);
    let dir = TempDir::new("disk-lost");
    std::fs::write(dir.path("f.bin"), &content).unwrap();
    disk.sb
        .fault(json!({"method": "PUT", "path": "/yandex-disk-upload", "reset": "response", "after_bytes": 0}));
    let stored = disk.ok("UploadFile", json!({"path": "/f.bin", "file": dir.path("f.bin")}));
    assert_eq!(stored["md5"], md5_hex(&content));
    assert_eq!(
        disk.requests_under("/yandex-disk-upload").len(),
        1,
        "the bytes went over the wire once"
    );
}

#[test]
fn a_broken_download_resumes_with_range() {
    let disk = Disk::new(false);
    let content = pattern(2 * 1024 * 1024, 5);
    disk.upload_bytes("/r.bin", &content);
    disk.sb.clear_requests();
    disk.sb
        .fault(json!({"method": "GET", "path": "/yandex-disk-download", "reset": "response", "after_bytes": 700000}));
    let dir = TempDir::new("disk-resume");
    disk.ok(
        "DownloadFile",
        json!({"path": "/r.bin", "save_path": dir.path("r.bin")}),
    );
    assert_eq!(std::fs::read(dir.path("r.bin")).unwrap(), content);
    let gets = disk.requests_under("/yandex-disk-download");
    assert_eq!(gets.len(), 2);
    let range = gets[1]["headers"]["range"].as_str().unwrap();
    let start: u64 = range
        .trim_start_matches("bytes=")
        .trim_end_matches('-')
        .parse()
        .unwrap();
    assert!(start > 0 && start <= 700000, "resumed from {range}");
    assert_eq!(dir.entries(), vec!["r.bin"], "no temporary file left");
}

#[test]
fn a_download_that_fails_for_good_keeps_the_previous_file() {
    let disk = Disk::new(false);
    disk.upload_bytes("/doc.txt", &pattern(500_000, 2));
    let dir = TempDir::new("disk-keep");
    let target = dir.path("doc.txt");
    std::fs::write(&target, b"the previous version").unwrap();
    disk.sb.fault(json!({"method": "GET", "path": "/yandex-disk-download", "reset": "response", "after_bytes": 1000, "times": 20}));
    let mut options = disk.sb.options();
    options["retries"]["max_attempts"] = json!(3);
    let error = disk.err(
        "DownloadFile",
        json!({"path": "/doc.txt", "save_path": target, "options": options}),
    );
    assert_eq!(error["code"], "network");
    assert_eq!(std::fs::read(&target).unwrap(), b"the previous version");
    assert_eq!(dir.entries(), vec!["doc.txt"], "no temporary file left");
}

#[test]
fn cancelled_transfers_leave_nothing_partial() {
    let disk = Disk::new(false);
    let content = pattern(4 * 1024 * 1024, 4);
    let dir = TempDir::new("disk-cancel");
    std::fs::write(dir.path("up.bin"), &content).unwrap();
    let reply = disk.sb.call_with_progress(
        "YandexDisk.UploadFile",
        json!({"token": disk.token, "path": "/up.bin", "file": dir.path("up.bin")}),
        &mut |done, _| done >= 1024 * 1024,
    );
    assert_eq!(err(reply)["code"], "cancelled");
    assert_eq!(
        disk.err("GetObject", json!({"path": "/up.bin"}))["code"],
        "not_found",
        "no partial resource"
    );

    disk.upload_bytes("/down.bin", &content);
    let out = TempDir::new("disk-cancel-out");
    let reply = disk.sb.call_with_progress(
        "YandexDisk.DownloadFile",
        json!({"token": disk.token, "path": "/down.bin", "save_path": out.path("down.bin")}),
        &mut |done, _| done >= 1024 * 1024,
    );
    assert_eq!(err(reply)["code"], "cancelled");
    assert!(out.entries().is_empty(), "no partial file: {:?}", out.entries());
}

#[test]
fn awkward_names_round_trip() {
    let disk = Disk::new(false);
    let dir = TempDir::new("disk-names");
    disk.ok("CreateFolder", json!({"path": "/Папка с пробелами"}));
    for (i, name) in ["отчёт за 2024.txt", "a b:c.txt", "100% + more.txt", "#hash?.txt"]
        .iter()
        .enumerate()
    {
        let content = pattern(1000 + i, i as u8);
        let path = format!("/Папка с пробелами/{name}");
        let stored = disk.upload_bytes(&path, &content);
        assert_eq!(stored["name"], *name);
        assert_eq!(stored["path"], format!("disk:{path}"));
        let target = dir.path(&format!("file-{i}"));
        disk.ok("DownloadFile", json!({"path": path, "save_path": target}));
        assert_eq!(std::fs::read(&target).unwrap(), content, "{name}");
        assert_eq!(
            disk.ok("GetObject", json!({"path": format!("disk:{path}")}))["name"],
            *name
        );
    }
}

#[test]
fn directories_back_up_and_restore() {
    let disk = Disk::new(false);
    let source = TempDir::new("disk-tree");
    std::fs::create_dir_all(source.path("sub/deeper")).unwrap();
    std::fs::write(source.path("top.txt"), b"top").unwrap();
    std::fs::write(source.path("sub/a.bin"), pattern(100_000, 1)).unwrap();
    std::fs::write(source.path("sub/deeper/b — Б.txt"), pattern(5000, 2)).unwrap();
    let first = disk.ok("UploadDirectory", json!({"local_dir": source.0, "path": "app:/backup"}));
    assert_eq!(first["uploaded"], 3);
    assert_eq!(first["skipped"], 0);
    assert_eq!(first["errors"], json!([]));
    disk.sb.clear_requests();
    let second = disk.ok("UploadDirectory", json!({"local_dir": source.0, "path": "app:/backup"}));
    assert_eq!(second["uploaded"], 0);
    assert_eq!(second["skipped"], 3);
    assert!(
        disk.requests_under("/yandex-disk-upload").is_empty(),
        "an unchanged tree uploads nothing"
    );

    std::fs::write(source.path("top.txt"), b"top, changed").unwrap();
    let refused = disk.ok("UploadDirectory", json!({"local_dir": source.0, "path": "app:/backup"}));
    assert_eq!(refused["errors"][0]["code"], "conflict");
    let third = disk.ok(
        "UploadDirectory",
        json!({"local_dir": source.0, "path": "app:/backup", "overwrite": true}),
    );
    assert_eq!(third["uploaded"], 1);
    assert_eq!(third["skipped"], 2);

    let restore = TempDir::new("disk-restore");
    let restored = disk.ok(
        "DownloadDirectory",
        json!({"path": "app:/backup", "local_dir": restore.0}),
    );
    assert_eq!(restored["downloaded"], 3);
    assert_eq!(restored["errors"], json!([]));
    assert_eq!(std::fs::read(restore.path("top.txt")).unwrap(), b"top, changed");
    assert_eq!(
        std::fs::read(restore.path("sub/deeper/b — Б.txt")).unwrap(),
        pattern(5000, 2)
    );
    let again = disk.ok(
        "DownloadDirectory",
        json!({"path": "app:/backup", "local_dir": restore.0}),
    );
    assert_eq!(again["skipped"], 3);
    assert_eq!(
        disk.err(
            "UploadDirectory",
            json!({"local_dir": source.path("missing"), "path": "/x"})
        )["code"],
        "local_io"
    );
}

#[test]
fn remote_names_cannot_escape_the_local_folder() {
    let disk = Disk::new(false);
    disk.ok("CreateFolder", json!({"path": "/tree"}));
    disk.upload_bytes("/tree/good.txt", b"good");
    disk.upload_bytes("/tree/..\\..\\evil.txt", b"evil");
    disk.upload_bytes("/tree/back\\slash.txt", b"evil");
    let out = TempDir::new("disk-escape");
    let local = out.path("inside");
    let result = disk.ok("DownloadDirectory", json!({"path": "/tree", "local_dir": local}));
    assert_eq!(result["downloaded"], 1);
    let errors = result["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{result}");
    assert!(errors.iter().all(|e| e["code"] == "unsafe_path"));
    assert_eq!(out.entries(), vec!["inside"], "nothing was written beside the folder");
    let mut inside: Vec<String> = std::fs::read_dir(&local)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    inside.sort();
    assert_eq!(inside, vec!["good.txt"]);
}

#[test]
fn jobs_run_transfers_in_the_background() {
    let disk = Disk::new(false);
    let content = pattern(2 * 1024 * 1024, 6);
    let dir = TempDir::new("disk-jobs");
    std::fs::write(dir.path("j.bin"), &content).unwrap();
    let started = ok(disk.sb.call(
        "Jobs.Start",
        json!({"method": "YandexDisk.UploadFile", "params": {"token": disk.token, "path": "/j.bin", "file": dir.path("j.bin"), "options": disk.sb.options()}}),
    ));
    let job_id = started["job_id"].clone();
    let finished = ok(disk.sb.call("Jobs.Wait", json!({"job_id": job_id, "timeout_s": 30})));
    assert_eq!(finished["state"], "done", "{finished}");
    assert_eq!(finished["reply"]["result"]["md5"], md5_hex(&content));
    assert_eq!(finished["done"], content.len());
    assert_eq!(
        ok(disk.sb.call("Jobs.Cancel", json!({"job_id": job_id})))["cancelled"],
        false
    );

    // A download cancelled through Jobs.Cancel while the sandbox holds it back.
    disk.sb
        .fault(json!({"method": "GET", "path": "/yandex-disk-download", "delay_ms": 2000}));
    let job = ok(disk.sb.call(
        "Jobs.Start",
        json!({"method": "YandexDisk.DownloadFile", "params": {"token": disk.token, "path": "/j.bin", "save_path": dir.path("out.bin"), "options": disk.sb.options()}}),
    ))["job_id"]
        .clone();
    let running = ok(disk.sb.call("Jobs.Status", json!({"job_id": job})));
    assert_eq!(running["state"], "running");
    assert_eq!(
        ok(disk.sb.call("Jobs.Cancel", json!({"job_id": job})))["cancelled"],
        true
    );
    let cancelled = ok(disk.sb.call("Jobs.Wait", json!({"job_id": job, "timeout_s": 30})));
    assert_eq!(cancelled["state"], "cancelled", "{cancelled}");
    assert!(!dir.path("out.bin").exists());
    assert_eq!(
        err(disk.sb.call("Jobs.Status", json!({"job_id": "nope"})))["code"],
        "unknown_job"
    );
    let failed = ok(disk.sb.call("Jobs.Start", json!({"method": "No.Such", "params": {}})))["job_id"].clone();
    assert_eq!(
        ok(disk.sb.call("Jobs.Wait", json!({"job_id": failed})))["state"],
        "failed"
    );
}

#[test]
fn credentials_work_for_disk_calls() {
    let sb = sandbox();
    let tokens = sb.sign_in();
    let mut credentials = sb.credentials(&tokens);
    credentials["access_token"] = json!("y0_expired_elsewhere");
    let reply = sb.call("YandexDisk.GetDiskInformation", json!({"credentials": credentials}));
    assert_eq!(ok(reply.clone())["user"]["login"], "sandbox-owner");
    assert!(reply["credentials"]["refresh_token"].is_string());
}

#[test]
fn every_method_with_a_token_refuses_a_bad_one() {
    let disk = Disk::new(false);
    let dir = TempDir::new("disk-bad-token");
    std::fs::write(dir.path("f.txt"), b"x").unwrap();
    let calls = [
        ("GetDiskInformation", json!({})),
        ("CreateFolder", json!({"path": "/a"})),
        ("GetObject", json!({"path": "/"})),
        ("GetFolderItems", json!({"path": "/"})),
        ("DeleteObject", json!({"path": "/a"})),
        ("CreateObjectCopy", json!({"from": "/a", "to": "/b"})),
        ("MoveObject", json!({"from": "/a", "to": "/b"})),
        ("GetDownloadLink", json!({"path": "/a"})),
        ("GetFileUploadLink", json!({"path": "/a"})),
        ("UploadFile", json!({"path": "/a", "file": dir.path("f.txt")})),
        ("UploadFileInParts", json!({"path": "/a", "file": dir.path("f.txt")})),
        (
            "UploadFileByURL",
            json!({"path": "/a", "url": "https://example.invalid/"}),
        ),
        ("DownloadFile", json!({"path": "/a"})),
        ("GetFilesList", json!({})),
        ("PublishObject", json!({"path": "/a"})),
        ("CancelObjectPublication", json!({"path": "/a"})),
        ("GetPublishedObjectsList", json!({})),
        ("SavePublicObjectToDisk", json!({"url": "https://yadi.sk/d/x"})),
        ("GetOperationStatus", json!({"operation": "abc"})),
        ("GetTrashList", json!({})),
        ("RestoreFromTrash", json!({"path": "trash:/a"})),
        ("ClearTrash", json!({})),
        ("UploadDirectory", json!({"local_dir": dir.0, "path": "/backup"})),
        (
            "DownloadDirectory",
            json!({"path": "/backup", "local_dir": dir.path("out")}),
        ),
    ];
    let registered: Vec<String> = diskbridge::registry::methods()
        .iter()
        .filter(|m| m.module == "YandexDisk" && m.auth == diskbridge::registry::Auth::Yandex)
        .map(|m| m.name.to_string())
        .collect();
    assert_eq!(
        calls.len(),
        registered.len(),
        "every token method is covered: {registered:?}"
    );
    for (method, mut params) in calls {
        params["token"] = json!("y0_not_a_valid_token");
        let error = err(disk.sb.call(&format!("YandexDisk.{method}"), params));
        assert_eq!(error["code"], "unauthorized", "{method}: {error}");
        assert_eq!(error["upstream"]["error"], "UnauthorizedError", "{method}");
    }
    // Without a token at all, the registry refuses before anything is sent.
    assert_eq!(
        err(disk.sb.call("YandexDisk.GetObject", json!({"path": "/"})))["code"],
        "invalid_params"
    );
}

#[test]
fn inline_uploads_report_progress() {
    let disk = Disk::new(false);
    let content = pattern(3 * 1024 * 1024, 8);
    let data = base64::engine::general_purpose::STANDARD.encode(&content);
    let mut reports = Vec::new();
    let stored = ok(disk.sb.call_with_progress(
        "YandexDisk.UploadFile",
        json!({"token": disk.token, "path": "/inline.bin", "data_base64": data}),
        &mut |done, total| {
            reports.push((done, total));
            false
        },
    ));
    assert_eq!(stored["md5"], md5_hex(&content));
    assert!(reports.len() >= 3, "{reports:?}");
    assert_eq!(*reports.last().unwrap(), (content.len() as u64, content.len() as u64));
}
