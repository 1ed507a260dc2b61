//! A repeated backup of an unchanged tree reads no file content. Measured, not taken on trust:
//! `rchar` of /proc/self/io counts every byte this process reads through read() — files and
//! sockets, the in-process sandbox included (on an unchanged tree it reads no stored file
//! either). A tree with a 64 MiB file then reads a few KiB of HTTP answers when nothing is
//! hashed, and over 64 MiB when the file is. This file holds one test, so no other test of the
//! process reads at the same time.

#![cfg(target_os = "linux")]

mod common;

use std::time::{Duration, SystemTime};

use common::{ok, pattern, sandbox, TempDir};
use serde_json::{json, Value};

const BIG: u64 = 64 * 1024 * 1024;

/// Bytes this process has read through read() so far.
fn bytes_read() -> u64 {
    let io = std::fs::read_to_string("/proc/self/io").expect("/proc/self/io");
    io.lines()
        .find_map(|line| line.strip_prefix("rchar: "))
        .and_then(|n| n.trim().parse().ok())
        .expect("an rchar line")
}

#[test]
fn unchanged_files_are_not_read_and_touched_unchanged_ones_are_hashed_but_not_uploaded() {
    let sb = sandbox();
    let token = sb.sign_in()["access_token"].clone();
    let dir = TempDir::new("tree-io");
    std::fs::create_dir_all(dir.path("sub")).unwrap();
    let big = std::fs::File::create(dir.path("big.bin")).unwrap();
    big.set_len(BIG).unwrap();
    drop(big);
    std::fs::write(dir.path("a.txt"), pattern(3000, 1)).unwrap();
    std::fs::write(dir.path("sub/b.txt"), pattern(5000, 2)).unwrap();
    let backup = |label: &str| -> (Value, u64) {
        sb.clear_requests();
        let before = bytes_read();
        let params = json!({"token": token, "local_dir": dir.0, "path": "/backup", "options": sb.options()});
        let result = ok(sb.call("YandexDisk.UploadDirectory", params));
        let read = bytes_read() - before;
        let links = sb.requests_to("/v1/disk/resources/upload").len();
        assert_eq!(links, 0, "{label}: nothing is uploaded");
        assert_eq!(result["uploaded"], 0, "{label}: {result}");
        assert_eq!(result["skipped"], 3, "{label}: {result}");
        (result, read)
    };

    let first = ok(sb.call(
        "YandexDisk.UploadDirectory",
        json!({"token": token, "local_dir": dir.0, "path": "/backup", "options": sb.options()}),
    ));
    assert_eq!(first["uploaded"], 3);
    let stored = ok(sb.call(
        "YandexDisk.GetObject",
        json!({"token": token, "path": "/backup/big.bin"}),
    ));
    assert!(
        stored["custom_properties"]["diskbridge_mtime"].is_string(),
        "the local modification time is recorded: {stored}"
    );

    let (_, unchanged) = backup("unchanged");
    assert!(unchanged < 4 * 1024 * 1024, "an unchanged tree read {unchanged} bytes");

    // A new modification time, the same content: hashed, skipped, and the new time recorded.
    let touched = SystemTime::now() + Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(dir.path("big.bin"))
        .unwrap()
        .set_modified(touched)
        .unwrap();
    let (_, hashed) = backup("touched");
    assert!(hashed >= BIG, "the touched file was hashed: {hashed} bytes read");
    let patches = sb.requests_to("/v1/disk/resources");
    let patches: Vec<&Value> = patches.iter().filter(|r| r["method"] == "PATCH").collect();
    assert_eq!(patches.len(), 1, "the new time is recorded for the touched file alone");
    assert!(patches[0]["query"].to_string().contains("big.bin"), "{}", patches[0]);
    let (_, again) = backup("recorded");
    assert!(again < 4 * 1024 * 1024, "the new time was recorded: {again} bytes read");
}
