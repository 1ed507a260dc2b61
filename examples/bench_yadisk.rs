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

/// CPU seconds used so far: (this process, its waited-for children, the sandbox), from
/// /proc/<pid>/stat (utime + stime, and cutime + cstime for the children).
fn cpu_seconds(sandbox_pid: u32) -> (f64, f64, f64) {
    fn ticks(pid: &str) -> Vec<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Fields after the command name, which is in parentheses and may hold spaces.
        let fields: Vec<f64> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().map(|f| f.parse().unwrap_or(0.0)).collect())
            .unwrap_or_default();
        // utime, stime, cutime, cstime are fields 14 to 17 of stat(5), 12 to 15 after the name.
        fields.get(11..15).map(<[f64]>::to_vec).unwrap_or_else(|| vec![0.0; 4])
    }
    // USER_HZ: 100 on every Linux the benchmark runs on.
    let hz = 100.0;
    let me = ticks("self");
    let sandbox = ticks(&sandbox_pid.to_string());
    (
        (me[0] + me[1]) / hz,
        (me[2] + me[3]) / hz,
        (sandbox[0] + sandbox[1]) / hz,
    )
}

/// One timed transfer: MB/s, with the CPU seconds the client and the sandbox spent on it.
/// Dirty pages of earlier steps are written out first, so no step pays for another's.
fn timed(what: &str, bytes: u64, sandbox_pid: u32, external: bool, run: impl FnOnce()) -> f64 {
    let _ = Command::new("sync").status();
    let (me, children, sandbox) = cpu_seconds(sandbox_pid);
    let started = Instant::now();
    run();
    let seconds = started.elapsed().as_secs_f64();
    let (me_after, children_after, sandbox_after) = cpu_seconds(sandbox_pid);
    let client = if external {
        children_after - children
    } else {
        me_after - me
    };
    let rate = bytes as f64 / seconds / 1e6;
    println!(
        "{what:<30} {seconds:>6.2} s {rate:>8.1} MB/s   CPU: client {client:>5.2} s, sandbox {:>5.2} s",
        sandbox_after - sandbox
    );
    rate
}

/// SHA-256 over `bytes` of memory on one core: the ceiling of any transfer that verifies it in
/// order.
fn sha256_rate(bytes: u64) -> f64 {
    use sha2::Digest;
    let block = vec![0x5au8; 1024 * 1024];
    let started = Instant::now();
    let mut sha256 = sha2::Sha256::new();
    for _ in 0..bytes / block.len() as u64 {
        sha256.update(&block);
    }
    std::hint::black_box(sha256.finalize());
    bytes as f64 / started.elapsed().as_secs_f64() / 1e6
}

fn median(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
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
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3).max(1);
    // A link speed in MB/s, or 0 for loopback's own: with one, both clients meet a sandbox that
    // answers no faster than a link of that speed would carry.
    let link_mb_per_s: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0.0);
    let (sandbox, url) = start_sandbox(&sandbox_binary);
    if link_mb_per_s > 0.0 {
        let status = Command::new("curl")
            .args(["--silent", "--fail", "--output", "/dev/null", "--json"])
            .arg(json!({"link_bytes_per_s": (link_mb_per_s * 1e6) as u64}).to_string())
            .arg(format!("{url}/_sandbox/settings"))
            .status()
            .unwrap();
        assert!(status.success(), "the sandbox took the link speed");
    }
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
    let sandbox_pid = sandbox.0.id();
    let link = if link_mb_per_s > 0.0 {
        format!("a {link_mb_per_s} MB/s link")
    } else {
        "loopback".into()
    };
    println!("Yandex Disk, {size_mib} MiB, {rounds} rounds, sandbox at {url} over {link}");
    let lib_target = dir.join("lib-download.bin");
    let curl_target = dir.join("curl-download.bin");
    let (mut lib_up, mut curl_up, mut lib_down, mut curl_down) = (vec![], vec![], vec![], vec![]);
    // Round 0 warms up and is not counted: the first use of a virtual machine's memory for the
    // page cache costs far more than later uses, whoever comes first.
    for round in 0..=rounds {
        if round == 0 {
            println!("warm-up round (not counted):");
        }
        // Each round uploads under new names, so no upload pays for replacing a stored file;
        // the last round's files are deleted first, outside the timings.
        let (lib_path, curl_path) = (format!("/bench/lib-{round}.bin"), format!("/bench/curl-{round}.bin"));
        if round > 0 {
            for path in [
                format!("/bench/lib-{}.bin", round - 1),
                format!("/bench/curl-{}.bin", round - 1),
            ] {
                call(
                    "YandexDisk.DeleteObject",
                    &json!({"token": token, "path": path, "to_trash": false, "options": options}),
                );
            }
        }
        // Who goes first alternates, so neither side always meets a cold or a warm cache.
        let curl_first = round % 2 == 1;
        let lib_upload = || {
            timed("diskbridge UploadFile", bytes, sandbox_pid, false, || {
                call(
                    "YandexDisk.UploadFile",
                    &json!({"token": token, "path": lib_path, "file": source, "options": options}),
                );
            })
        };
        let curl_upload = || {
            let link = call(
                "YandexDisk.GetFileUploadLink",
                &json!({"token": token, "path": curl_path, "options": options}),
            );
            timed("curl PUT", bytes, sandbox_pid, true, || {
                curl(&[
                    "--upload-file",
                    source.to_str().unwrap(),
                    link["href"].as_str().unwrap(),
                ])
            })
        };
        let lib_download = || {
            // Each download writes a new file: replacing the last one would add the time its
            // pages take to free, which depends on the kernel more than on the transfer.
            let _ = std::fs::remove_file(&lib_target);
            timed("diskbridge DownloadFile", bytes, sandbox_pid, false, || {
                call(
                    "YandexDisk.DownloadFile",
                    &json!({"token": token, "path": lib_path, "save_path": lib_target, "options": options}),
                );
            })
        };
        let curl_download = || {
            let link = call(
                "YandexDisk.GetDownloadLink",
                &json!({"token": token, "path": curl_path, "options": options}),
            );
            let _ = std::fs::remove_file(&curl_target);
            timed("curl GET", bytes, sandbox_pid, true, || {
                curl(&[
                    "--location",
                    "--output",
                    curl_target.to_str().unwrap(),
                    link["href"].as_str().unwrap(),
                ])
            })
        };
        if curl_first {
            curl_up.push(curl_upload());
            lib_up.push(lib_upload());
            curl_down.push(curl_download());
            lib_down.push(lib_download());
        } else {
            lib_up.push(lib_upload());
            curl_up.push(curl_upload());
            lib_down.push(lib_download());
            curl_down.push(curl_download());
        }
    }

    for rates in [&mut lib_up, &mut curl_up, &mut lib_down, &mut curl_down] {
        rates.remove(0);
    }

    // What diskbridge does on download and curl does not: verify md5 and sha256. The fastest way
    // a curl user gets the same assurance: both sums computed while the bytes arrive.
    let link = call(
        "YandexDisk.GetDownloadLink",
        &json!({"token": token, "path": format!("/bench/curl-{rounds}.bin"), "options": options}),
    );
    let _ = std::fs::remove_file(&curl_target);
    let verified = timed("curl GET | tee md5sum sha256sum", bytes, sandbox_pid, true, || {
        let status = Command::new("bash")
            .args(["-o", "pipefail", "-c"])
            .arg(r#"curl --silent --show-error --fail --location "$1" | tee >(md5sum >/dev/null) >(sha256sum >/dev/null) >"$2""#)
            .args(["bench", link["href"].as_str().unwrap(), curl_target.to_str().unwrap()])
            .status()
            .expect("bash runs");
        assert!(status.success());
    });
    let sha256_ceiling = sha256_rate(bytes);
    println!("sha256 of the same size in memory, one core: {sha256_ceiling:.1} MB/s (the ceiling of a client verifying it in order)");
    let (lib_up, curl_up, lib_down, curl_down) = (median(lib_up), median(curl_up), median(lib_down), median(curl_down));
    println!("medians: diskbridge upload {lib_up:.1} MB/s, curl upload {curl_up:.1} MB/s, diskbridge download {lib_down:.1} MB/s, curl download {curl_down:.1} MB/s");
    println!("upload ratio   diskbridge/curl = {:.2}", lib_up / curl_up);
    println!(
        "download ratio diskbridge/curl = {:.2} (diskbridge/verifying curl = {:.2})",
        lib_down / curl_down,
        lib_down / verified
    );
    println!("peak RSS of the library's process: {:.1} MiB", peak_rss_mib());
    let _ = std::fs::remove_dir_all(&dir);
}
