//! Benchmark: YandexMail.BackupMailbox of 10,000 messages (2–50 KiB) through the C ABI from the
//! sandbox's IMAP listener on loopback, then the incremental second run. Prints messages/s,
//! MB/s, the second run's time and the peak RSS of this process (the library's; the sandbox
//! runs as its own process), beside the targets: ≥ 1,000 messages/s, the second run under 2 s,
//! peak RSS ≤ 64 MiB plus the largest message. The reference beside it is the raw protocol:
//! CPython's imaplib logging in with the same XOAUTH2 token and fetching the same folder in
//! batches of 500 (`UID FETCH a:b BODY.PEEK[]`), writing one file per message — synced, as
//! diskbridge syncs each message before it counts it as saved, and not synced — with nothing
//! verified, no state and no atomic renames.
//!
//! `./scripts/bench-mail.sh [COUNT]` builds everything in release mode and runs this.

use std::process::Command;
use std::time::Instant;

use serde_json::{json, Value};

mod common;
use common::{call, peak_rss_mib, sign_in, start_sandbox};

/// The reference: the same backup over the raw protocol with CPython's imaplib. Prints
/// `messages bytes seconds`; the token comes in the environment, not on the command line.
const RAW_IMAP_BACKUP: &str = r#"
import imaplib, os, sys, time
host, port, email, folder, out, sync = sys.argv[1:7]
started = time.monotonic()
imap = imaplib.IMAP4(host, int(port))
auth = "user=%s\x01auth=Bearer %s\x01\x01" % (email, os.environ["BENCH_TOKEN"])
imap.authenticate("XOAUTH2", lambda _: auth.encode())
imap.select(folder, readonly=True)
uids = imap.uid("SEARCH", None, "ALL")[1][0].split()
count = size = 0
for start in range(0, len(uids), 500):
    batch = uids[start:start + 500]
    typ, data = imap.uid("FETCH", b"%s:%s" % (batch[0], batch[-1]), "(BODY.PEEK[])")
    for item in data:
        if isinstance(item, tuple):
            count += 1
            size += len(item[1])
            with open(os.path.join(out, "%d.eml" % count), "wb") as f:
                f.write(item[1])
                if sync == "sync":
                    f.flush()
                    os.fsync(f.fileno())
imap.logout()
print(count, size, time.monotonic() - started)
"#;

fn raw_imap_backup(url: &str, email: &str, token: &str, out: &std::path::Path, sync: bool) -> (u64, u64, f64) {
    let listeners: Value = serde_json::from_slice(
        &Command::new("curl")
            .args(["--silent", "--fail"])
            .arg(format!("{url}/_sandbox/listeners"))
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let (host, port) = listeners["imap"].as_str().unwrap().rsplit_once(':').unwrap();
    std::fs::create_dir_all(out).unwrap();
    let output = Command::new("python3")
        .args(["-c", RAW_IMAP_BACKUP, host, port, email, "INBOX"])
        .arg(out)
        .arg(if sync { "sync" } else { "no-sync" })
        .env("BENCH_TOKEN", token)
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    let mut fields = text.split_whitespace();
    let mut next = || fields.next().unwrap_or("0").to_string();
    (
        next().parse().unwrap(),
        next().parse().unwrap(),
        next().parse().unwrap(),
    )
}

/// A sandbox control request with curl (the library's own HTTP client stays out of the figures).
fn control(url: &str, path: &str, body: &Value) -> Value {
    let output = Command::new("curl")
        .args([
            "--silent",
            "--fail",
            "-H",
            "content-type: application/json",
            "--data-binary",
        ])
        .arg(body.to_string())
        .arg(format!("{url}/_sandbox/{path}"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{path}");
    serde_json::from_slice(&output.stdout).unwrap_or(Value::Null)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let count: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let binary = args
        .next()
        .unwrap_or_else(|| "target/release/diskbridge-sandbox".into());
    let (_sandbox, url) = start_sandbox(std::path::Path::new(&binary));
    let options = json!({"sandbox": url});

    // The owner signs in (device flow, the approval played with curl) and backs up their own
    // mailbox, seeded with `count` messages of 2–50 KiB.
    let tokens = sign_in(&options);
    let email = call(
        "YandexID.GetUserInfo",
        &json!({"token": tokens["access_token"], "options": options}),
    )["default_email"]
        .as_str()
        .expect("the owner's address")
        .to_string();
    let seeded = control(
        &url,
        "mail/seed",
        &json!({"user": email, "folder": "INBOX", "count": count, "min_size": 2048, "max_size": 51200}),
    );
    let bytes = seeded["bytes"].as_u64().unwrap_or(0);
    println!(
        "seeded {count} messages ({:.1} MB) into INBOX of {email}",
        bytes as f64 / 1e6
    );

    let local_dir = std::env::temp_dir().join(format!("diskbridge-bench-mail-{}", std::process::id()));
    let params =
        json!({"token": tokens["access_token"], "local_dir": local_dir, "folders": ["INBOX"], "options": options});
    let started = Instant::now();
    let first = call("YandexMail.BackupMailbox", &params);
    let first_s = started.elapsed().as_secs_f64();
    let fetched = first["fetched"].as_u64().unwrap();
    let started = Instant::now();
    let second = call("YandexMail.BackupMailbox", &params);
    let second_s = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&local_dir);
    let token = tokens["access_token"].as_str().unwrap();
    let raw_run = |sync: bool| {
        let dir = std::env::temp_dir().join(format!("diskbridge-bench-mail-raw-{}", std::process::id()));
        let figures = raw_imap_backup(&url, &email, token, &dir, sync);
        let _ = std::fs::remove_dir_all(&dir);
        figures
    };
    let references = [
        ("each file synced, as diskbridge does", raw_run(true)),
        ("nothing synced", raw_run(false)),
    ];

    let rate = fetched as f64 / first_s;
    let largest_mib = 51200.0 / 1048576.0;
    println!(
        "first run:  {fetched} messages, {:.1} MB in {first_s:.2} s = {rate:.0} messages/s, {:.1} MB/s (target >= 1000 messages/s)",
        first["bytes"].as_u64().unwrap_or(0) as f64 / 1e6,
        first["bytes"].as_u64().unwrap_or(0) as f64 / 1e6 / first_s
    );
    for (what, (raw_count, raw_bytes, raw_s)) in references {
        println!(
            "reference:  {raw_count} messages, {:.1} MB in {raw_s:.2} s = {:.0} messages/s (imaplib, UID FETCH in batches of 500, {what}; diskbridge at {:.2}x)",
            raw_bytes as f64 / 1e6,
            raw_count as f64 / raw_s,
            rate / (raw_count as f64 / raw_s)
        );
    }
    println!(
        "second run: {} fetched in {second_s:.3} s (target < 2 s)",
        second["fetched"]
    );
    println!(
        "peak RSS of the library's process: {:.1} MiB (target <= {:.1} MiB: 64 MiB plus the largest message)",
        peak_rss_mib(),
        64.0 + largest_mib
    );
}
