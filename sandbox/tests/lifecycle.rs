//! The sandbox's temporary directory: removed when an in-process sandbox is dropped and when
//! the binary gets SIGTERM or SIGINT; left by a sandbox killed outright, and then reclaimed by
//! the next sandbox, which never touches the directory of a sandbox still running (its lock is
//! held), whatever process or PID namespace it runs in.

#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diskbridge_sandbox::Sandbox;

/// The binary with TLS, and its temporary directory (the CA file is in `<dir>/tls/`).
fn spawn_binary() -> (Child, PathBuf) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_diskbridge-sandbox"))
        .args(["--port", "0", "--tls"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines.next().unwrap().unwrap();
    assert!(url.starts_with("https://"), "{url}");
    let ca_file = PathBuf::from(lines.next().unwrap().unwrap());
    let dir = ca_file.parent().unwrap().parent().unwrap().to_path_buf();
    assert!(dir.exists());
    (child, dir)
}

fn signal(child: &Child, signal: i32) {
    // SAFETY: kill(2) on a child of this test; no memory is involved.
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
}

/// Waits (at most a generous minute) for the child to exit; its status.
fn exited(child: &mut Child) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the sandbox did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_and_sigint_stop_the_binary_and_remove_its_directory() {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        let (mut child, dir) = spawn_binary();
        signal(&child, sig);
        assert!(exited(&mut child).success(), "signal {sig}");
        assert!(!dir.exists(), "signal {sig}: {} is left", dir.display());
    }
}

#[test]
fn dropping_an_in_process_sandbox_removes_its_directory() {
    let sandbox = Sandbox::start().unwrap();
    let dir = sandbox.work_dir().to_path_buf();
    assert!(dir.join("yandex-disk-blobs").is_dir() && dir.join("google-drive-blobs").is_dir());
    drop(sandbox);
    assert!(!dir.exists());
}

#[test]
fn a_running_sandboxs_directory_is_never_reclaimed_and_a_killed_ones_is() {
    let (mut child, dir) = spawn_binary();
    // A new sandbox reclaims what it can, but the binary is running and holds its lock.
    let first = Sandbox::start().unwrap();
    assert!(dir.exists(), "a live sandbox's directory was reclaimed");
    // Killed outright it cannot clean up: its directory stays until the next sandbox starts.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(dir.exists());
    let second = Sandbox::start().unwrap();
    // Another sandbox on the machine (tests share the temporary directory) may be the one
    // reclaiming it, still removing it as this one starts: wait for it to go, within bounds.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while dir.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(!dir.exists(), "the killed sandbox's directory is reclaimed");
    assert!(first.work_dir().exists() && second.work_dir().exists());
}
