//! Benchmark: a resumable upload and a download of 1 GiB to the Google Drive emulator through
//! the C ABI, beside curl against the same sandbox in the same run; throughput of each, their
//! ratio, and the process's peak resident memory (which must follow the chunk size, not the
//! file size). `cargo run --release --example bench_gdrive [-- SIZE_MIB]`
//!
//! The sandbox runs in this process (its blobs are on disk), so the peak RSS covers both sides.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use diskbridge_sandbox::{Sandbox, GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET};
use serde_json::json;

mod common;
use common::{call, peak_rss_mib};

fn write_test_file(path: &Path, size: u64) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let block: Vec<u8> = (0..1024 * 1024)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut left = size;
    let mut n = 0u8;
    while left > 0 {
        let take = left.min(block.len() as u64) as usize;
        // Vary each MiB so no two blocks are alike.
        let mut chunk = block[..take].to_vec();
        chunk[0] = n;
        n = n.wrapping_add(1);
        file.write_all(&chunk).unwrap();
        left -= take as u64;
    }
    file.flush().unwrap();
}

fn mb_s(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / seconds / 1e6
}

fn main() {
    let size_mib: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1024);
    let size = size_mib * 1024 * 1024;
    let sandbox = Sandbox::start().expect("the sandbox starts");
    let dir = std::env::temp_dir().join(format!("diskbridge-bench-gdrive-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("source.bin");
    write_test_file(&source, size);
    call(
        "Library.Configure",
        &json!({"sandbox": sandbox.url(), "log": {"level": "warn"}}),
    );

    // Sign in with the loopback flow, the benchmark playing the browser.
    let started = call(
        "GoogleWorkspace.StartLoopbackAuthorization",
        &json!({"client_id": GOOGLE_CLIENT_ID, "client_secret": GOOGLE_CLIENT_SECRET}),
    );
    let browser = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let consent = browser.get(started["url"].as_str().unwrap()).send().unwrap();
    let listener = consent.headers()["location"].to_str().unwrap().to_string();
    browser.get(&listener).send().unwrap();
    let tokens = call(
        "GoogleWorkspace.CompleteLoopbackAuthorization",
        &json!({"session": started["session"]}),
    );
    let token = tokens["access_token"].as_str().unwrap().to_string();
    let rss_before = peak_rss_mib();
    println!("diskbridge bench_gdrive: {size_mib} MiB, sandbox at {}", sandbox.url());

    let t = Instant::now();
    let file = call(
        "GoogleDrive.UploadFile",
        &json!({"token": token, "file": source.to_str().unwrap(), "description": {"Name": "bench.bin"}}),
    );
    let lib_up = t.elapsed().as_secs_f64();
    let target = dir.join("download.bin");
    let t = Instant::now();
    let downloaded = call(
        "GoogleDrive.DownloadFile",
        &json!({"token": token, "file_id": file["id"], "save_path": target.to_str().unwrap()}),
    );
    let lib_down = t.elapsed().as_secs_f64();
    assert_eq!(
        downloaded["sha256"], file["sha256Checksum"],
        "the round trip keeps the bytes"
    );
    let rss_after = peak_rss_mib();
    std::fs::remove_file(&target).unwrap();

    // curl: one resumable session, the whole file in one PUT (its best case), then a download.
    let base = format!("{}/google-apis", sandbox.url());
    let curl = |args: &[&str]| {
        Command::new("curl")
            .args(["-sS", "--fail"])
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    let initiated = curl(&[
        "-D",
        "-",
        "-o",
        "/dev/null",
        "-X",
        "POST",
        "-H",
        &format!("Authorization: Bearer {token}"),
        "-H",
        "Content-Type: application/json; charset=UTF-8",
        "-H",
        &format!("X-Upload-Content-Length: {size}"),
        "--data",
        "{\"name\":\"curl.bin\"}",
        &format!("{base}/upload/drive/v3/files?uploadType=resumable&fields=id,md5Checksum"),
    ]);
    let curl_figures = initiated.and_then(|out| {
        let headers = String::from_utf8_lossy(&out.stdout).into_owned();
        let session = headers
            .lines()
            .find_map(|l| l.strip_prefix("location: ").or_else(|| l.strip_prefix("Location: ")))?
            .trim()
            .to_string();
        let t = Instant::now();
        let put = curl(&["-X", "PUT", "-T", source.to_str().unwrap(), "-o", "/dev/null", &session])?;
        let up = t.elapsed().as_secs_f64();
        drop(put);
        let t = Instant::now();
        curl(&[
            "-H",
            &format!("Authorization: Bearer {token}"),
            "-o",
            target.to_str().unwrap(),
            &format!("{base}/drive/v3/files/{}?alt=media", file["id"].as_str().unwrap()),
        ])?;
        let down = t.elapsed().as_secs_f64();
        Some((up, down))
    });

    println!(
        "upload   diskbridge {:8.1} MB/s ({lib_up:.2} s, resumable, 8 MiB chunks)",
        mb_s(size, lib_up)
    );
    println!(
        "download diskbridge {:8.1} MB/s ({lib_down:.2} s, sha256 verified)",
        mb_s(size, lib_down)
    );
    match curl_figures {
        Some((up, down)) => {
            println!(
                "upload   curl       {:8.1} MB/s ({up:.2} s, one PUT of the whole file)",
                mb_s(size, up)
            );
            println!("download curl       {:8.1} MB/s ({down:.2} s)", mb_s(size, down));
            println!(
                "ratio diskbridge/curl: upload {:.2}, download {:.2}",
                up / lib_up,
                down / lib_down
            );
        }
        None => println!("curl: not available, no comparison"),
    }
    println!(
        "peak RSS: {rss_before:.1} MiB before the transfers, {rss_after:.1} MiB after (library and sandbox together)"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
