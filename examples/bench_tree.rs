//! Benchmark: folder trees of many small files on a link with a round-trip time, through the C
//! ABI against the sandbox (in this process: the figures below cover both sides). A folder of
//! 1,000 files of 4–64 KiB, the sandbox's `rtt_ms` at 50:
//! UploadDirectory and DownloadDirectory at the default concurrency beside concurrency 1; then
//! the second, unchanged UploadDirectory: its time and the bytes it read from the local files;
//! then the same with every file touched (new modification time, same content: hashed, not
//! uploaded), the control that shows the measure sees file reads; and the peak RSS of the process.
//!
//! Bytes read from files: before each of the two runs the tree's files are dropped from the page
//! cache (`sync`, then GNU dd's `iflag=nocache count=0` per file), so any read of their content
//! goes to the disk and counts in `read_bytes` of /proc/self/io, which sockets never touch.
//! `rchar` is printed beside it: every byte the process took through read() from files and pipes,
//! page cache or not (sockets are read with recv() and do not count; reading /proc/self/io for
//! the figure itself costs a few hundred bytes).
//!
//! `scripts/bench-tree.sh [FILES] [RTT_MS]` builds everything in release mode and runs this.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use diskbridge_sandbox::{Sandbox, YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET};
use serde_json::{json, Value};

mod common;
use common::{call, proc_self};

/// The sandbox's control endpoints and the person's approval, as a browser would send them.
fn post(url: &str, body: reqwest::blocking::RequestBuilder) {
    let response = body.send().unwrap_or_else(|e| panic!("POST {url}: {e}"));
    assert!(response.status().is_success(), "POST {url}: {}", response.status());
}

/// A signed-in token: the device flow, with the person's approval played here.
fn sign_in(options: &Value) -> Value {
    let code = call(
        "YandexID.GetConfirmationCode",
        &json!({"client_id": YANDEX_CLIENT_ID, "options": options}),
    );
    let page = code["verification_url"].as_str().unwrap();
    let http = reqwest::blocking::Client::new();
    post(
        page,
        http.post(page)
            .form(&[("user_code", code["user_code"].as_str().unwrap())]),
    );
    let tokens = call(
        "YandexID.WaitForToken",
        &json!({"client_id": YANDEX_CLIENT_ID, "client_secret": YANDEX_CLIENT_SECRET, "device_code": code["device_code"], "options": options}),
    );
    tokens["access_token"].clone()
}

/// `count` files of 4–64 KiB in ten folders; their total size.
fn make_tree(dir: &Path, count: usize) -> u64 {
    let mut total = 0;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..count {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let size = 4096 + (seed % (60 * 1024)) as usize;
        let folder = dir.join(format!("d{}", i % 10));
        std::fs::create_dir_all(&folder).unwrap();
        let bytes: Vec<u8> = (0..size).map(|j| (j as u64 ^ seed) as u8).collect();
        std::fs::write(folder.join(format!("f{i:04}.bin")), bytes).unwrap();
        total += size as u64;
    }
    total
}

/// Every file under `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

/// Drops the files under `dir` from the page cache: reading them again goes to the disk.
fn evict(dir: &Path) {
    assert!(Command::new("sync").status().unwrap().success());
    for file in files_under(dir) {
        let status = Command::new("dd")
            .arg(format!("if={}", file.display()))
            .args(["iflag=nocache", "count=0", "status=none"])
            .status()
            .expect("GNU dd");
        assert!(status.success(), "dd iflag=nocache {}", file.display());
    }
}

/// What a run cost: seconds, bytes read from the disk (`read_bytes`), bytes read by any read()
/// (`rchar`).
struct Cost {
    seconds: f64,
    disk: u64,
    any: u64,
}

/// Runs `method` with `params` at `concurrency`.
fn timed(method: &str, params: &Value, concurrency: u32, options: &Value) -> (Cost, Value) {
    let mut params = params.clone();
    let mut options = options.clone();
    options["transfers"] = json!({"concurrency": concurrency});
    params["options"] = options;
    let disk_before = proc_self("io", "read_bytes:");
    let any_before = proc_self("io", "rchar:");
    let started = Instant::now();
    let result = call(method, &params);
    let cost = Cost {
        seconds: started.elapsed().as_secs_f64(),
        disk: proc_self("io", "read_bytes:") - disk_before,
        any: proc_self("io", "rchar:") - any_before,
    };
    (cost, result)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let files: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let rtt_ms: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let sandbox = Sandbox::start().expect("the sandbox starts");
    let url = sandbox.url().to_string();
    let settings = format!("{url}/_sandbox/settings");
    let http = reqwest::blocking::Client::new();
    post(&settings, http.post(&settings).json(&json!({"rtt_ms": rtt_ms})));
    let options = json!({"sandbox": url});
    let token = sign_in(&options);
    let dir = std::env::temp_dir().join(format!("diskbridge-bench-tree-{}", std::process::id()));
    let tree = dir.join("tree");
    let bytes = make_tree(&tree, files);
    let default = call("Library.GetConfiguration", &json!({}))["transfers"]["concurrency"]
        .as_u64()
        .unwrap() as u32;
    println!(
        "Yandex Disk folder of {files} files ({:.1} MB), sandbox rtt_ms {rtt_ms} at {url}",
        bytes as f64 / 1e6
    );

    let up = |path: &str, concurrency: u32| {
        let params = json!({"token": token, "local_dir": tree, "path": path});
        timed("YandexDisk.UploadDirectory", &params, concurrency, &options)
    };
    let down = |path: &str, into: &str, concurrency: u32| {
        let params = json!({"token": token, "path": path, "local_dir": dir.join(into)});
        timed("YandexDisk.DownloadDirectory", &params, concurrency, &options)
    };
    let (up_1, _) = up("/bench-1", 1);
    let (up_n, result) = up("/bench-n", default);
    assert_eq!(result["uploaded"], json!(files), "{result}");
    println!(
        "UploadDirectory   concurrency 1: {:>7.2} s   concurrency {default}: {:>7.2} s   {:.2}x",
        up_1.seconds,
        up_n.seconds,
        up_1.seconds / up_n.seconds
    );
    let (down_1, _) = down("/bench-n", "down-1", 1);
    let (down_n, result) = down("/bench-n", "down-n", default);
    assert_eq!(result["downloaded"], json!(files), "{result}");
    println!(
        "DownloadDirectory concurrency 1: {:>7.2} s   concurrency {default}: {:>7.2} s   {:.2}x",
        down_1.seconds,
        down_n.seconds,
        down_1.seconds / down_n.seconds
    );
    evict(&tree);
    let (again, result) = up("/bench-n", default);
    assert_eq!(result["skipped"], json!(files), "{result}");
    println!(
        "unchanged UploadDirectory, concurrency {default}: {:.2} s, {} bytes read from the disk (the tree holds {bytes}); rchar {} (read() of files, cached or not)",
        again.seconds, again.disk, again.any
    );
    let touched = SystemTime::now() + Duration::from_secs(60);
    for file in files_under(&tree) {
        let handle = std::fs::File::options().write(true).open(&file).unwrap();
        handle.set_modified(touched).unwrap();
    }
    evict(&tree);
    let (hashed, result) = up("/bench-n", default);
    assert_eq!(
        (result["skipped"].clone(), result["uploaded"].clone()),
        (json!(files), json!(0)),
        "{result}"
    );
    println!(
        "touched (new mtime, same content) UploadDirectory, concurrency {default}: {:.2} s, {} bytes read from the disk: hashed, not uploaded",
        hashed.seconds, hashed.disk
    );
    println!(
        "peak RSS of the process (library and sandbox): {:.1} MiB",
        proc_self("status", "VmHWM:") as f64 / 1024.0
    );
    let _ = std::fs::remove_dir_all(&dir);
}
