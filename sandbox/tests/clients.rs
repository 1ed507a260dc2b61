//! Independent, widely used clients, unmodified, against a sandbox started here: CPython's
//! imaplib and smtplib and curl (IMAP, SMTP and the CalDAV requests of a CalDAV client). The
//! clients' tests are the Python scripts in `clients/`; python caldav runs in
//! `clients/run-caldav.sh`, which needs a virtual environment from the package index.

use std::process::Command;

use diskbridge_sandbox::Sandbox;

fn run(module: &str) {
    let sandbox = Sandbox::start().expect("sandbox starts");
    let output = Command::new("python3")
        .args(["-m", "unittest", "-v", module])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients"))
        .env("DISKBRIDGE_SANDBOX_URL", sandbox.url())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python3 (3.8 or newer) runs the client tests");
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stderr}");
    assert!(
        output.status.success(),
        "{module} failed:\n{}\n{stderr}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn cpython_imaplib() {
    run("test_imaplib");
}

#[test]
fn cpython_smtplib() {
    run("test_smtplib");
}

#[test]
fn curl_imap_smtp_and_caldav() {
    run("test_curl");
}
