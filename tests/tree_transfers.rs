//! Folder trees through the C ABI against the sandbox: several files at once with the same
//! results, per-file errors, progress and cancellation as one at a time; a subfolder swapped for
//! a symbolic link while a download runs; Drive trees on My Drive and on a shared drive.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use common::{err, ok, pattern, sandbox, TempDir, TestSandbox};
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

    /// The sandbox's options with `transfers.concurrency` set.
    fn options(&self, concurrency: u32) -> Value {
        let mut options = self.sb.options();
        options["transfers"] = json!({"concurrency": concurrency});
        options
    }

    fn call(&self, method: &str, mut params: Value) -> Value {
        params["token"] = self.token.clone();
        self.sb.call(&format!("YandexDisk.{method}"), params)
    }

    fn with_progress(&self, method: &str, mut params: Value, on_progress: &mut dyn FnMut(u64, u64) -> bool) -> Value {
        params["token"] = self.token.clone();
        self.sb
            .call_with_progress(&format!("YandexDisk.{method}"), params, on_progress)
    }

    /// Uploads `bytes` to `path`, making its folders first.
    fn put(&self, path: &str, bytes: &[u8]) {
        let mut folder = String::new();
        for part in path
            .trim_start_matches('/')
            .split('/')
            .collect::<Vec<_>>()
            .split_last()
            .unwrap()
            .1
        {
            folder = format!("{folder}/{part}");
            let made = self.call("CreateFolder", json!({"path": folder}));
            assert!(made["ok"] == true || made["error"]["code"] == "conflict", "{made}");
        }
        let data = base64::engine::general_purpose::STANDARD.encode(bytes);
        ok(self.call(
            "UploadFile",
            json!({"path": path, "data_base64": data, "overwrite": true}),
        ));
    }
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                found.push(relative);
            }
        }
    }
    found.sort();
    found
}

/// A tree of 16 files: ten at the top, four in `sub`, `conflict.txt` (a different file of that
/// name is on the Disk already) and, last in order, `zz-unreadable.bin`.
fn problem_tree(dir: &TempDir) {
    std::fs::create_dir_all(dir.path("sub")).unwrap();
    for i in 0..10 {
        std::fs::write(dir.path(&format!("a{i:02}.bin")), pattern(20_000 + i * 1000, i as u8)).unwrap();
    }
    for i in 0..4 {
        std::fs::write(dir.path(&format!("sub/b{i:02}.bin")), pattern(30_000 + i, 40 + i as u8)).unwrap();
    }
    std::fs::write(dir.path("conflict.txt"), b"the local version").unwrap();
    std::fs::write(dir.path("zz-unreadable.bin"), b"gone before its turn").unwrap();
}

/// UploadDirectory of `problem_tree` at `concurrency`; the unreadable file is removed at the
/// first progress report (so it cannot be read when its turn comes, root or not), long before
/// its turn: it is the last of 16 files.
fn upload_problem_tree(disk: &Disk, concurrency: u32) -> Value {
    let dir = TempDir::new("tree-problems");
    problem_tree(&dir);
    disk.put("/backup/conflict.txt", b"the version on the Disk");
    let unreadable = dir.path("zz-unreadable.bin");
    let mut reports = 0;
    let reply = disk.with_progress(
        "UploadDirectory",
        json!({"local_dir": dir.0, "path": "/backup", "options": disk.options(concurrency)}),
        &mut |_, _| {
            reports += 1;
            if reports == 1 {
                std::fs::remove_file(&unreadable).unwrap();
            }
            false
        },
    );
    let mut result = ok(reply);
    // The messages name the local folder, which differs from run to run.
    let shown = dir.0.to_string_lossy().into_owned();
    for error in result["errors"].as_array_mut().unwrap() {
        error["message"] = json!(error["message"].as_str().unwrap().replace(&shown, "<dir>"));
    }
    result
}

#[test]
fn four_at_once_report_exactly_the_two_problem_files_as_one_at_a_time_does() {
    let disk = Disk::new();
    let at_once = upload_problem_tree(&disk, 4);
    let errors = at_once["errors"].as_array().unwrap();
    let listed: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| (e["path"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        listed,
        [("conflict.txt", "conflict"), ("zz-unreadable.bin", "local_io")],
        "{at_once}"
    );
    assert_eq!(at_once["uploaded"], 14);
    assert_eq!(at_once["skipped"], 0);
    let stored = ok(disk.call("GetFolderItems", json!({"path": "/backup"})));
    assert_eq!(stored["total"], 12, "ten files, sub and conflict.txt: {stored}");
    let sub = ok(disk.call("GetFolderItems", json!({"path": "/backup/sub"})));
    assert_eq!(sub["total"], 4);

    ok(disk.call("DeleteObject", json!({"path": "/backup"})));
    let one_at_a_time = upload_problem_tree(&disk, 1);
    assert_eq!(at_once, one_at_a_time, "the same result whatever the concurrency");
}

#[test]
fn several_files_move_at_once_with_progress_that_only_grows() {
    let disk = Disk::new();
    let dir = TempDir::new("tree-progress");
    let mut total = 0;
    for i in 0..12 {
        let size = 200_000 + i * 10_000;
        total += size as u64;
        std::fs::write(dir.path(&format!("f{i:02}.bin")), pattern(size, i as u8)).unwrap();
    }
    // Every upload is held a while by the service, so files that move at once overlap.
    disk.sb
        .fault(json!({"method": "PUT", "path": "/yandex-disk-upload", "delay_ms": 400, "times": 12}));
    let mut seen = Vec::new();
    let reply = disk.with_progress(
        "UploadDirectory",
        json!({"local_dir": dir.0, "path": "/many", "options": disk.options(4)}),
        &mut |done, whole| {
            seen.push((done, whole));
            false
        },
    );
    assert_eq!(ok(reply)["uploaded"], 12);
    assert!(seen.iter().all(|(_, whole)| *whole == total), "the total is the tree's");
    assert!(
        seen.windows(2).all(|pair| pair[0].0 <= pair[1].0),
        "progress never goes back: {seen:?}"
    );
    assert_eq!(seen.last().unwrap().0, total);
    // Four uploads arrive together rather than one every 400 ms.
    let puts = disk.sb.requests_to("");
    let arrivals: Vec<u64> = puts
        .iter()
        .filter(|r| r["method"] == "PUT" && r["path"].as_str().unwrap().starts_with("/yandex-disk-upload"))
        .map(|r| r["at_ms"].as_u64().unwrap())
        .collect();
    assert_eq!(arrivals.len(), 12);
    assert!(
        arrivals[3] - arrivals[0] < 300,
        "the first four uploads overlap: {arrivals:?}"
    );
}

#[test]
fn a_cancelled_tree_transfer_leaves_nothing_partial() {
    let disk = Disk::new();
    let dir = TempDir::new("tree-cancel-up");
    for i in 0..8 {
        std::fs::write(dir.path(&format!("f{i}.bin")), pattern(1024 * 1024, i as u8)).unwrap();
    }
    let reply = disk.with_progress(
        "UploadDirectory",
        json!({"local_dir": dir.0, "path": "/cancelled", "options": disk.options(4)}),
        &mut |done, _| done >= 2 * 1024 * 1024,
    );
    assert_eq!(err(reply)["code"], "cancelled");
    // Whatever is on the Disk is a whole file.
    let stored = ok(disk.call("GetFolderItems", json!({"path": "/cancelled"})));
    for item in stored["items"].as_array().unwrap() {
        assert_eq!(item["size"], 1024 * 1024, "no partial file: {item}");
    }

    ok(disk.call(
        "UploadDirectory",
        json!({"local_dir": dir.0, "path": "/whole", "options": disk.options(4)}),
    ));
    let out = TempDir::new("tree-cancel-down");
    let reply = disk.with_progress(
        "DownloadDirectory",
        json!({"path": "/whole", "local_dir": out.0, "options": disk.options(4)}),
        &mut |done, _| done >= 2 * 1024 * 1024,
    );
    assert_eq!(err(reply)["code"], "cancelled");
    for name in files_under(&out.0) {
        assert!(!name.contains("diskbridge-part"), "a temporary file was left: {name}");
        let i: usize = name[1..2].parse().unwrap();
        assert_eq!(std::fs::read(out.path(&name)).unwrap(), pattern(1024 * 1024, i as u8));
    }
}

#[test]
fn a_concurrent_download_equals_a_sequential_one() {
    let disk = Disk::new();
    let dir = TempDir::new("tree-down-src");
    std::fs::create_dir_all(dir.path("x/y")).unwrap();
    for i in 0..9 {
        let at = ["", "x/", "x/y/"][i % 3];
        std::fs::write(dir.path(&format!("{at}f{i}.bin")), pattern(50_000 + i, i as u8)).unwrap();
    }
    ok(disk.call("UploadDirectory", json!({"local_dir": dir.0, "path": "/tree"})));
    disk.put("/tree/..\\evil.txt", b"refused");
    let (four, one) = (TempDir::new("tree-down-4"), TempDir::new("tree-down-1"));
    let at_once = ok(disk.call(
        "DownloadDirectory",
        json!({"path": "/tree", "local_dir": four.0, "options": disk.options(4)}),
    ));
    let sequential = ok(disk.call(
        "DownloadDirectory",
        json!({"path": "/tree", "local_dir": one.0, "options": disk.options(1)}),
    ));
    assert_eq!(at_once, sequential);
    assert_eq!(at_once["downloaded"], 9);
    assert_eq!(at_once["errors"][0]["code"], "unsafe_path");
    assert_eq!(files_under(&four.0), files_under(&dir.0));
    for name in files_under(&dir.0) {
        assert_eq!(
            std::fs::read(four.path(&name)).unwrap(),
            std::fs::read(dir.path(&name)).unwrap()
        );
    }
}

#[test]
fn the_concurrency_setting_is_checked() {
    let disk = Disk::new();
    for bad in [json!(0), json!(33), json!("many")] {
        let mut options = disk.sb.options();
        options["transfers"] = json!({"concurrency": bad});
        let error = err(disk.call("GetDiskInformation", json!({"options": options})));
        assert_eq!(error["code"], "invalid_params", "{bad}");
    }
}

#[cfg(unix)]
#[test]
fn a_subfolder_swapped_for_a_link_during_a_download_gets_nothing_written_outside() {
    let disk = Disk::new();
    disk.put("/swap/sub/b.bin", &pattern(100_000, 7));
    let base = TempDir::new("tree-swap");
    let (local, outside) = (base.path("local"), base.path("outside"));
    std::fs::create_dir_all(&outside).unwrap();
    // The download link is held back while the download's temporary file waits in `sub`: then
    // `sub` becomes a link to a folder outside, and the temporary file is moved there too, so a
    // rename by path would put the file outside.
    disk.sb
        .fault(json!({"method": "GET", "path": "/yandex-disk/v1/disk/resources/download", "delay_ms": 3000}));
    let swapper = {
        let (local, outside) = (local.clone(), outside.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(20);
            let part = loop {
                let parts: Vec<String> = std::fs::read_dir(local.join("sub"))
                    .map(|entries| {
                        entries
                            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                            .filter(|name| name.ends_with(".diskbridge-part"))
                            .collect()
                    })
                    .unwrap_or_default();
                if let Some(part) = parts.into_iter().next() {
                    break part;
                }
                assert!(Instant::now() < deadline, "the download never made its temporary file");
                std::thread::sleep(Duration::from_millis(5));
            };
            std::fs::rename(local.join("sub"), local.join("sub-moved")).unwrap();
            std::os::unix::fs::symlink(&outside, local.join("sub")).unwrap();
            std::fs::rename(local.join("sub-moved").join(&part), outside.join(&part)).unwrap();
        })
    };
    let result = ok(disk.call("DownloadDirectory", json!({"path": "/swap", "local_dir": local})));
    swapper.join().unwrap();
    assert!(
        !outside.join("b.bin").exists(),
        "written outside: {:?}",
        files_under(&outside)
    );
    assert!(!local.join("sub-moved/b.bin").exists());
    assert_eq!(result["downloaded"], 0, "{result}");
    assert_eq!(result["errors"][0]["path"], "sub/b.bin");
    assert_eq!(result["errors"][0]["code"], "unsafe_path");
}

/// A Drive folder made directly (not through the library), of any type: a Google document has
/// no bytes of its own.
fn drive_create(sb: &TestSandbox, token: &Value, name: &str, mime: &str, parent: &str) -> String {
    let response = reqwest::blocking::Client::new()
        .post(format!("{}/google-apis/drive/v3/files?fields=id", sb.url()))
        .bearer_auth(token.as_str().unwrap())
        .json(&json!({"name": name, "mimeType": mime, "parents": [parent]}))
        .send()
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.json::<Value>().unwrap()["id"].as_str().unwrap().to_string()
}

const FOLDER: &str = "application/vnd.google-apps.folder";

#[test]
fn drive_trees_back_up_unread_when_unchanged_and_restore() {
    let sb = sandbox();
    let token = sb.google_sign_in()["access_token"].clone();
    let call = |method: &str, mut params: Value| {
        params["token"] = token.clone();
        sb.call(&format!("GoogleDrive.{method}"), params)
    };
    let backup = drive_create(&sb, &token, "backup", FOLDER, "root");
    let dir = TempDir::new("drive-tree");
    std::fs::create_dir_all(dir.path("sub/deeper")).unwrap();
    std::fs::write(dir.path("top.txt"), b"top").unwrap();
    std::fs::write(dir.path("sub/a.bin"), pattern(300_000, 1)).unwrap();
    std::fs::write(dir.path("sub/deeper/b — Б.txt"), pattern(6_000_000, 2)).unwrap();
    let upload = json!({"local_dir": dir.0, "folder_id": backup});
    let first = ok(call("UploadDirectory", upload.clone()));
    assert_eq!(
        (first["uploaded"].clone(), first["errors"].clone()),
        (json!(3), json!([]))
    );
    let listed = ok(call("GetFilesList", json!({"directory": backup})));
    assert_eq!(listed[0]["name"], "top.txt");
    assert!(listed[0]["appProperties"]["diskbridge_mtime"].is_string(), "{listed}");

    sb.clear_requests();
    let second = ok(call("UploadDirectory", upload.clone()));
    assert_eq!(
        (second["uploaded"].clone(), second["skipped"].clone()),
        (json!(0), json!(3))
    );
    assert!(
        sb.requests_to("/upload/drive/v3/files").is_empty(),
        "nothing sent again"
    );

    // Changed content is a conflict without overwrite, a new version with it (same file id).
    std::fs::write(dir.path("top.txt"), b"top, changed").unwrap();
    let refused = ok(call("UploadDirectory", upload.clone()));
    assert_eq!(refused["errors"][0]["code"], "conflict");
    let mut overwrite = upload.clone();
    overwrite["overwrite"] = json!(true);
    let third = ok(call("UploadDirectory", overwrite));
    assert_eq!(
        (third["uploaded"].clone(), third["skipped"].clone()),
        (json!(1), json!(2))
    );
    let listed = ok(call("GetFilesList", json!({"directory": backup})));
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "replaced, not duplicated: {listed}"
    );
    let folders = ok(call("GetDirectoriesList", json!({"name_contains": "sub"})));
    assert_eq!(folders.as_array().unwrap().len(), 1, "folders made once: {folders}");

    drive_create(&sb, &token, "notes", "application/vnd.google-apps.document", &backup);
    let restore = TempDir::new("drive-restore");
    let restored = ok(call(
        "DownloadDirectory",
        json!({"folder_id": backup, "local_dir": restore.0}),
    ));
    assert_eq!(restored["downloaded"], 3, "{restored}");
    assert_eq!(restored["errors"][0]["path"], "notes");
    assert!(restored["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("ExportFile"));
    assert_eq!(files_under(&restore.0), files_under(&dir.0));
    for name in files_under(&dir.0) {
        assert_eq!(
            std::fs::read(restore.path(&name)).unwrap(),
            std::fs::read(dir.path(&name)).unwrap()
        );
    }
    let error = err(call("DownloadDirectory", json!({"local_dir": restore.0})));
    assert_eq!(error["code"], "invalid_params");
}

#[test]
fn a_service_account_backs_up_to_its_shared_drive_and_is_told_about_them_without() {
    let sb = sandbox();
    let key = sb.service_account_key();
    let token = ok(sb.call(
        "GoogleDrive.GetServiceAccountToken",
        json!({"key": key, "scope": "drive"}),
    ))["access_token"]
        .clone();
    let call = |method: &str, mut params: Value| {
        params["token"] = token.clone();
        sb.call(&format!("GoogleDrive.{method}"), params)
    };
    let drives = ok(call("GetSharedDrives", json!({})));
    let drive_id = drives[0]["id"].as_str().unwrap().to_string();
    assert_eq!(drive_id, diskbridge_sandbox::GOOGLE_SHARED_DRIVE_ID, "{drives}");
    let named_ru = ok(sb.call("GoogleDrive.ПолучитьСписокОбщихДисков", json!({"token": token})));
    assert_eq!(named_ru, drives);

    let dir = TempDir::new("shared-drive");
    std::fs::create_dir_all(dir.path("nightly")).unwrap();
    std::fs::write(dir.path("nightly/db.bak"), pattern(700_000, 9)).unwrap();
    std::fs::write(dir.path("readme.txt"), b"restore with DownloadDirectory").unwrap();

    // My Drive: a service account has no storage of its own, and the hint says where to go.
    let refused = err(call("UploadDirectory", json!({"local_dir": dir.0})));
    assert_eq!(refused["code"], "quota_exceeded", "{refused}");
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains("shared drive") && message.contains("drive_id"),
        "{message}"
    );

    sb.clear_requests();
    let stored = ok(call(
        "UploadDirectory",
        json!({"local_dir": dir.0, "drive_id": drive_id}),
    ));
    assert_eq!(
        (stored["uploaded"].clone(), stored["errors"].clone()),
        (json!(2), json!([]))
    );
    let drive_calls = sb.requests_to("");
    let drive_calls: Vec<&Value> = drive_calls
        .iter()
        .filter(|r| r["path"].as_str().unwrap().starts_with("/google-apis/"))
        .collect();
    assert!(
        drive_calls
            .iter()
            .all(|r| r["query"].to_string().contains("supportsAllDrives=true")),
        "every Drive call supports shared drives: {drive_calls:?}"
    );
    let files = ok(call("GetFilesList", json!({"drive_id": drive_id})));
    let mut names: Vec<&str> = files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["db.bak", "readme.txt"]);
    let folders = ok(call("GetDirectoriesList", json!({"drive_id": drive_id})));
    assert_eq!(folders[0]["name"], "nightly");
    assert!(
        ok(call("GetFilesList", json!({}))).as_array().unwrap().is_empty(),
        "nothing in My Drive"
    );

    let again = ok(call(
        "UploadDirectory",
        json!({"local_dir": dir.0, "drive_id": drive_id}),
    ));
    assert_eq!(again["skipped"], 2);
    let restore = TempDir::new("shared-drive-restore");
    let restored = ok(call(
        "DownloadDirectory",
        json!({"drive_id": drive_id, "local_dir": restore.0}),
    ));
    assert_eq!(restored["downloaded"], 2, "{restored}");
    assert_eq!(
        std::fs::read(restore.path("nightly/db.bak")).unwrap(),
        pattern(700_000, 9)
    );
}
