//! Benchmark: Yandex Disk upload and download of a large file through the C ABI against the
//! sandbox, beside curl against the same sandbox in the same run. Prints MB/s of each, the
//! ratio, the CPU seconds per GiB of each, and the peak RSS of this process (the library's; the
//! sandbox runs as its own process).
//!
//! `./scripts/bench.sh [SIZE_MIB] [ROUNDS] [LINK_MB_PER_S] [STEPS]` builds everything in release
//! mode and runs this; STEPS is `all` (uploads and downloads) or `download`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::{json, Value};

mod common;
use common::{call, peak_rss_mib, sign_in, start_sandbox, SandboxProcess};

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

/// One step's figures over the counted rounds.
#[derive(Default)]
struct Figures {
    rates: Vec<f64>,
    /// CPU seconds of the client per GiB.
    cpu_per_gib: Vec<f64>,
}

impl Figures {
    fn median_rate(&self) -> f64 {
        median(self.rates.clone())
    }

    fn median_cpu(&self) -> f64 {
        median(self.cpu_per_gib.clone())
    }
}

/// One timed transfer: its MB/s and the client's CPU seconds per GiB, printed with the
/// sandbox's CPU seconds. Dirty pages of earlier steps are written out first, so no step pays
/// for another's.
fn timed(what: &str, bytes: u64, sandbox_pid: u32, external: bool, run: impl FnOnce()) -> (f64, f64) {
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
    let per_gib = client / (bytes as f64 / (1u64 << 30) as f64);
    println!(
        "{what:<34} {seconds:>6.2} s {rate:>8.1} MB/s   CPU: client {client:>5.2} s ({per_gib:.2} s/GiB), sandbox {:>5.2} s",
        sandbox_after - sandbox
    );
    (rate, per_gib)
}

/// SHA-256 over `bytes` of memory on one core: the ceiling of a client that verifies it in one
/// stream.
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

/// SHA-256 of a file read back in 1 MiB blocks.
fn sha256_file(path: &Path) {
    use sha2::Digest;
    use std::io::Read;
    let mut file = std::fs::File::open(path).unwrap();
    let mut block = vec![0u8; 1024 * 1024];
    let mut sha256 = sha2::Sha256::new();
    loop {
        let n = file.read(&mut block).unwrap();
        if n == 0 {
            break;
        }
        sha256.update(&block[..n]);
    }
    std::hint::black_box(sha256.finalize());
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn curl(args: &[&str]) {
    let status = Command::new("curl")
        .args(["--silent", "--show-error", "--fail"])
        .args(args)
        .status()
        .expect("curl runs");
    assert!(status.success(), "curl {args:?} failed");
}

/// The sandbox, a signed-in token and the options pointing at it.
struct Setup {
    sandbox: SandboxProcess,
    options: Value,
    token: Value,
    bytes: u64,
}

impl Setup {
    fn call(&self, method: &str, mut params: Value) -> Value {
        params["token"] = self.token.clone();
        if params.get("options").is_none() {
            params["options"] = self.options.clone();
        }
        call(method, &params)
    }

    fn link(&self, kind: &str, path: &str) -> String {
        let link = self.call(&format!("YandexDisk.Get{kind}Link"), json!({"path": path}));
        link["href"].as_str().unwrap().to_string()
    }

    fn pid(&self) -> u32 {
        self.sandbox.0.id()
    }
}

fn setup(sandbox_binary: &Path, link_mb_per_s: f64, bytes: u64) -> Setup {
    let (sandbox, url) = start_sandbox(sandbox_binary);
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
    // Sign in: the device flow, with the person's approval played here.
    let tokens = sign_in(&options);
    let setup = Setup {
        sandbox,
        options,
        token: tokens["access_token"].clone(),
        bytes,
    };
    setup.call("YandexDisk.CreateFolder", json!({"path": "/bench"}));
    setup
}

fn write_source(path: &Path, size_mib: u64) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let block: Vec<u8> = (0..1024 * 1024).map(|i: usize| (i * 7 + i / 4093) as u8).collect();
    for i in 0..size_mib {
        let mut block = block.clone();
        block[..8].copy_from_slice(&i.to_le_bytes());
        file.write_all(&block).unwrap();
    }
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
    // answers no faster than a link of that speed would carry, per connection.
    let link_mb_per_s: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0.0);
    let uploads = args.next().is_none_or(|steps| steps != "download");
    let bytes = size_mib * 1024 * 1024;
    let s = setup(&sandbox_binary, link_mb_per_s, bytes);
    let dir = std::env::temp_dir().join(format!("diskbridge-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("source.bin");
    write_source(&source, size_mib);
    // Downloads need a file to download when uploads are not measured.
    s.call(
        "YandexDisk.UploadFile",
        json!({"path": "/bench/stored.bin", "file": source}),
    );

    let link = if link_mb_per_s > 0.0 {
        format!("a {link_mb_per_s} MB/s link per connection")
    } else {
        "loopback".into()
    };
    let defaults = call("Library.GetConfiguration", &json!({}));
    println!(
        "Yandex Disk, {size_mib} MiB, {rounds} rounds, over {link}; downloads over {} connections from {} bytes up",
        defaults["transfers"]["download_streams"], defaults["transfers"]["parallel_threshold_bytes"]
    );
    let names = [
        "diskbridge UploadFile",
        "curl PUT",
        "diskbridge DownloadFile",
        "curl GET",
        "diskbridge DownloadFile, 1 stream",
    ];
    let mut figures: Vec<Figures> = names.iter().map(|_| Figures::default()).collect();
    // Round 0 warms up and is not counted: the first use of a virtual machine's memory for the
    // page cache costs far more than later uses, whoever comes first.
    for round in 0..=rounds {
        if round == 0 {
            println!("warm-up round (not counted):");
        }
        let measured = one_round(&s, &dir, &source, round, uploads, link_mb_per_s == 0.0);
        if round > 0 {
            for (step, figure) in measured {
                figures[step].rates.push(figure.0);
                figures[step].cpu_per_gib.push(figure.1);
            }
        }
    }
    report(&s, &dir, &names, &figures, rounds);
    let _ = std::fs::remove_dir_all(&dir);
}

type Step<'a> = Box<dyn FnOnce() -> (usize, (f64, f64)) + 'a>;

/// One round: each step once, curl and diskbridge taking turns going first. Returns (step,
/// (MB/s, CPU s/GiB)).
fn one_round(
    s: &Setup,
    dir: &Path,
    source: &Path,
    round: usize,
    uploads: bool,
    one_stream: bool,
) -> Vec<(usize, (f64, f64))> {
    let (bytes, pid) = (s.bytes, s.pid());
    // Each round uploads under new names, so no upload pays for replacing a stored file; the
    // last round's files are deleted first, outside the timings.
    let (lib_path, curl_path) = (format!("/bench/lib-{round}.bin"), format!("/bench/curl-{round}.bin"));
    if round > 0 && uploads {
        for path in [
            format!("/bench/lib-{}.bin", round - 1),
            format!("/bench/curl-{}.bin", round - 1),
        ] {
            s.call("YandexDisk.DeleteObject", json!({"path": path, "to_trash": false}));
        }
    }
    let (lib_target, curl_target) = (dir.join("lib-download.bin"), dir.join("curl-download.bin"));
    let (lib_stored, curl_stored) = match uploads {
        true => (lib_path.clone(), curl_path.clone()),
        false => ("/bench/stored.bin".to_string(), "/bench/stored.bin".to_string()),
    };
    // Each download writes a new file: replacing the last one would add the time its pages take
    // to free, which depends on the kernel more than on the transfer.
    let download = |name: &'static str, step: usize, streams: u32| -> Step {
        let (stored, target) = (lib_stored.clone(), lib_target.clone());
        Box::new(move || {
            let _ = std::fs::remove_file(&target);
            let mut options = s.options.clone();
            options["transfers"] = json!({"download_streams": streams});
            (
                step,
                timed(name, bytes, pid, false, || {
                    s.call(
                        "YandexDisk.DownloadFile",
                        json!({"path": stored, "save_path": target, "options": options}),
                    );
                }),
            )
        })
    };
    let mut pairs: Vec<(Step, Step)> = Vec::new();
    if uploads {
        let lib: Step = Box::new(|| {
            (
                0,
                timed("diskbridge UploadFile", bytes, pid, false, || {
                    s.call("YandexDisk.UploadFile", json!({"path": lib_path, "file": source}));
                }),
            )
        });
        let curl_put: Step = Box::new(|| {
            let href = s.link("FileUpload", &curl_path);
            (
                1,
                timed("curl PUT", bytes, pid, true, || {
                    curl(&["--upload-file", source.to_str().unwrap(), &href])
                }),
            )
        });
        pairs.push((lib, curl_put));
    }
    let curl_get: Step = Box::new(move || {
        let href = s.link("Download", &curl_stored);
        let _ = std::fs::remove_file(&curl_target);
        (
            3,
            timed("curl GET", bytes, pid, true, || {
                curl(&["--location", "--output", curl_target.to_str().unwrap(), &href])
            }),
        )
    });
    pairs.push((download("diskbridge DownloadFile", 2, 4), curl_get));
    let mut results = Vec::new();
    for (lib, curl_step) in pairs {
        // Who goes first alternates, so neither side always meets a cold or a warm cache.
        if round % 2 == 1 {
            results.push(curl_step());
            results.push(lib());
        } else {
            results.push(lib());
            results.push(curl_step());
        }
    }
    if one_stream {
        results.push(download("diskbridge DownloadFile, 1 stream", 4, 1)());
    }
    results
}

/// The medians side by side, the verifying curl, the sha256 ceiling and the peak RSS.
fn report(s: &Setup, dir: &Path, names: &[&str], figures: &[Figures], rounds: usize) {
    println!("medians of {rounds} rounds:");
    for (name, figure) in names.iter().zip(figures) {
        if !figure.rates.is_empty() {
            println!(
                "  {name:<34} {:>8.1} MB/s   {:.2} CPU s/GiB",
                figure.median_rate(),
                figure.median_cpu()
            );
        }
    }
    if !figures[0].rates.is_empty() {
        println!(
            "upload ratio   diskbridge/curl = {:.2}",
            figures[0].median_rate() / figures[1].median_rate()
        );
    }
    println!(
        "download ratio diskbridge/curl = {:.2}",
        figures[2].median_rate() / figures[3].median_rate()
    );
    if !figures[4].rates.is_empty() {
        println!(
            "download ratio diskbridge 1 stream/curl = {:.2}",
            figures[4].median_rate() / figures[3].median_rate()
        );
    }
    // What diskbridge does on download and curl does not: verify sha256. The fastest way a curl
    // user gets the same assurance: the sum computed while the bytes arrive.
    let href = s.link("Download", "/bench/stored.bin");
    let target = dir.join("curl-verified.bin");
    let (verified, _) = timed("curl GET | tee sha256sum", s.bytes, s.pid(), true, || {
        let status = Command::new("bash")
            .args(["-o", "pipefail", "-c"])
            .arg(r#"curl --silent --show-error --fail --location "$1" | tee >(sha256sum >/dev/null) >"$2""#)
            .args(["bench", &href, target.to_str().unwrap()])
            .status()
            .expect("bash runs");
        assert!(status.success());
    });
    println!("diskbridge/verifying curl = {:.2}", figures[2].median_rate() / verified);
    // diskbridge syncs the file to the disk before the rename; curl leaves its bytes in the page
    // cache, written out after its timing. The same download with the file synced before it
    // counts as done (`sync FILE`: fsync of that file):
    let synced = dir.join("curl-synced.bin");
    let (durable, _) = timed("curl GET, then sync of the file", s.bytes, s.pid(), true, || {
        let status = Command::new("bash")
            .args(["-c"])
            .arg(r#"curl --silent --show-error --fail --location --output "$2" "$1" && sync "$2""#)
            .args(["bench", &href, synced.to_str().unwrap()])
            .status()
            .expect("bash runs");
        assert!(status.success());
    });
    println!("diskbridge/curl with sync = {:.2}", figures[2].median_rate() / durable);
    let ceiling = sha256_rate(s.bytes);
    println!(
        "sha256 of the same size in memory, one core: {ceiling:.1} MB/s (the ceiling of one stream verifying in order)"
    );
    // The other way to verify a parallel download: hash the whole file once its ranges have
    // landed. What that pass costs after the last byte (read back from the page cache), against
    // the hashing thread that follows the landed prefix and is done almost with the last byte.
    let landed = dir.join("lib-download.bin");
    if landed.exists() {
        let (_, _) = timed("final pass: sha256 of the landed file", s.bytes, s.pid(), false, || {
            sha256_file(&landed);
        });
    }
    println!("peak RSS of the library's process: {:.1} MiB", peak_rss_mib());
}
