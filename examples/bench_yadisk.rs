//! Benchmark: Yandex Disk upload and download of a large file through the C ABI against the
//! sandbox, beside curl against the same sandbox in the same run. Prints MB/s of each, the
//! ratio, and the peak RSS of this process (the library's; the sandbox runs as its own process).
//!
//! `./scripts/bench.sh [SIZE_MIB]` builds everything in release mode and runs this.

use std::ffi::{CStr, CString};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use diskbridge::ffi::{diskbridge_call, diskbridge_free};
use diskbridge_sandbox::{YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET};
use serde_json::{json, Value};

fn call(method: &str, params: &Value) -> Value {
    let method_c = CString::new(method).unwrap();
    let params_c = CString::new(params.to_string()).unwrap();
    // SAFETY: valid C strings; the reply is read once and freed once.
    let text = unsafe {
        let reply = diskbridge_call(method_c.as_ptr(), params_c.as_ptr());
        let text = CStr::from_ptr(reply).to_string_lossy().into_owned();
        diskbridge_free(reply);
        text
    };
    let reply: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(reply["ok"], json!(true), "{method} failed: {}", reply["error"]);
    reply["result"].clone()
}

/// Peak resident set size of this process, in MiB (Linux: VmHWM).
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

struct SandboxProcess(Child);

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_sandbox(binary: &Path) -> (SandboxProcess, String) {
    let mut child = Command::new(binary)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the sandbox binary starts (build it with cargo build --release -p diskbridge-sandbox)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (SandboxProcess(child), line.trim().to_string())
}

fn timed(what: &str, bytes: u64, run: impl FnOnce()) -> f64 {
    let started = Instant::now();
    run();
    let seconds = started.elapsed().as_secs_f64();
    let rate = bytes as f64 / seconds / 1e6;
    println!("{what:<28} {seconds:>7.2} s  {rate:>8.1} MB/s");
    rate
}

fn curl(args: &[&str]) {
    let status = Command::new("curl")
        .args(["--silent", "--show-error", "--fail"])
        .args(args)
        .status()
        .expect("curl runs");
    assert!(status.success(), "curl {args:?} failed");
}

fn main() {
    let mut args = std::env::args().skip(1);
    let size_mib: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1024);
    let sandbox_binary = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/release/diskbridge-sandbox".into()),
    );
    let (_sandbox, url) = start_sandbox(&sandbox_binary);
    let options = json!({"sandbox": url});
    if std::env::var_os("BENCH_LOG").is_some() {
        call("Library.Configure", &json!({"log": {"stderr": true, "level": "info"}}));
    }

    let dir = std::env::temp_dir().join(format!("diskbridge-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("source.bin");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&source).unwrap());
        let block: Vec<u8> = (0..1024 * 1024).map(|i: usize| (i * 7 + i / 4093) as u8).collect();
        for i in 0..size_mib {
            let mut block = block.clone();
            block[..8].copy_from_slice(&i.to_le_bytes());
            file.write_all(&block).unwrap();
        }
    }
    let bytes = size_mib * 1024 * 1024;

    // Sign in: the device flow, with the person's approval played here.
    let code = call(
        "YandexID.GetConfirmationCode",
        &json!({"client_id": YANDEX_CLIENT_ID, "options": options}),
    );
    let approval = Command::new("curl")
        .args(["--silent", "--fail", "--output", "/dev/null", "--data-urlencode"])
        .arg(format!("user_code={}", code["user_code"].as_str().unwrap()))
        .arg(code["verification_url"].as_str().unwrap())
        .status()
        .unwrap();
    assert!(approval.success());
    let tokens = call(
        "YandexID.WaitForToken",
        &json!({"client_id": YANDEX_CLIENT_ID, "client_secret": YANDEX_CLIENT_SECRET, "device_code": code["device_code"], "options": options}),
    );
    let token = tokens["access_token"].clone();

    call(
        "YandexDisk.CreateFolder",
        &json!({"token": token, "path": "/bench", "options": options}),
    );
    println!("Yandex Disk, {size_mib} MiB, sandbox at {url}");
    let lib_up = timed("diskbridge UploadFile", bytes, || {
        call(
            "YandexDisk.UploadFile",
            &json!({"token": token, "path": "/bench/lib.bin", "file": source, "options": options}),
        );
    });
    let link = call(
        "YandexDisk.GetFileUploadLink",
        &json!({"token": token, "path": "/bench/curl.bin", "options": options}),
    );
    let curl_up = timed("curl PUT", bytes, || {
        curl(&[
            "--upload-file",
            source.to_str().unwrap(),
            link["href"].as_str().unwrap(),
        ])
    });

    let lib_target = dir.join("lib-download.bin");
    let lib_down = timed("diskbridge DownloadFile", bytes, || {
        call(
            "YandexDisk.DownloadFile",
            &json!({"token": token, "path": "/bench/lib.bin", "save_path": lib_target, "options": options}),
        );
    });
    let link = call(
        "YandexDisk.GetDownloadLink",
        &json!({"token": token, "path": "/bench/curl.bin", "options": options}),
    );
    let curl_target = dir.join("curl-download.bin");
    let curl_down = timed("curl GET", bytes, || {
        curl(&[
            "--location",
            "--output",
            curl_target.to_str().unwrap(),
            link["href"].as_str().unwrap(),
        ])
    });

    // What diskbridge does on download and curl does not: verify md5 and sha256. A curl user who
    // wants the same assurance runs md5sum and sha256sum after it.
    let verified = timed("curl GET + md5sum + sha256sum", bytes, || {
        curl(&[
            "--location",
            "--output",
            curl_target.to_str().unwrap(),
            link["href"].as_str().unwrap(),
        ]);
        for tool in ["md5sum", "sha256sum"] {
            let status = Command::new(tool)
                .arg(&curl_target)
                .stdout(Stdio::null())
                .status()
                .expect("coreutils");
            assert!(status.success());
        }
    });
    println!("upload ratio   diskbridge/curl = {:.2}", lib_up / curl_up);
    println!(
        "download ratio diskbridge/curl = {:.2} (diskbridge/verified curl = {:.2})",
        lib_down / curl_down,
        lib_down / verified
    );
    println!("peak RSS of the library's process: {:.1} MiB", peak_rss_mib());
    let _ = std::fs::remove_dir_all(&dir);
}
