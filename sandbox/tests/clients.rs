//! Independent, widely used clients, unmodified, against a sandbox started here: CPython's
//! imaplib and smtplib and curl (IMAP, SMTP and the CalDAV requests of a CalDAV client), in
//! plain TCP and over TLS with the sandbox's CA. The
//! clients' tests are the Python scripts in `clients/`; python caldav runs in
//! `clients/run-caldav.sh`, which needs a virtual environment from the package index.

use std::process::Command;

use diskbridge_sandbox::{Sandbox, SandboxOptions};

fn run(module: &str) {
    run_on(Sandbox::start().expect("sandbox starts"), module);
}

fn run_on(sandbox: Sandbox, module: &str) {
    let mut command = Command::new("python3");
    command
        .args(["-m", "unittest", "-v", module])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients"))
        .env("DISKBRIDGE_SANDBOX_URL", sandbox.url())
        .env("PYTHONDONTWRITEBYTECODE", "1");
    if let Some(ca_file) = sandbox.ca_file() {
        command.env("DISKBRIDGE_SANDBOX_CA_FILE", ca_file);
    }
    let output = command.output().expect("python3 (3.8 or newer) runs the client tests");
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

#[test]
fn the_same_clients_over_tls_with_the_sandbox_s_ca() {
    let options = SandboxOptions {
        tls: true,
        ..SandboxOptions::default()
    };
    run_on(Sandbox::start_with(options).expect("sandbox starts"), "test_tls");
}
