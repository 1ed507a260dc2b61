//! Running the real `diskbridge` binary against a sandbox started by the test, and playing the
//! person who approves a sign-in.

#![allow(dead_code)] // each test binary uses its own subset

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use diskbridge_sandbox::{Sandbox, YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET};
use serde_json::{json, Value};

pub const BIN: &str = env!("CARGO_BIN_EXE_diskbridge");

/// What a finished run printed.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// The result of a successful run (panics with the run otherwise).
    pub fn ok(&self) -> Value {
        assert_eq!(self.code, 0, "expected success: {self:?}");
        self.json()
    }

    /// The error envelope of a failed run, checked to end with `code` and one stderr line.
    pub fn failed(&self, exit: i32) -> Value {
        assert_eq!(self.code, exit, "expected exit {exit}: {self:?}");
        let reply = self.json();
        assert_eq!(reply["ok"], json!(false), "an error envelope: {self:?}");
        assert_eq!(self.stderr.lines().count(), 1, "one line on stderr: {self:?}");
        reply["error"].clone()
    }
}

/// The binary with a clean environment: English, no sandbox from the environment.
pub fn command() -> Command {
    let mut command = Command::new(BIN);
    for name in ["DISKBRIDGE_SANDBOX", "LC_ALL", "LC_MESSAGES"] {
        command.env_remove(name);
    }
    command.env("LANG", "C");
    command
}

pub fn run_command(mut command: Command) -> Run {
    let output = command.output().expect("the binary runs");
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

/// Runs the binary with these arguments and no sandbox.
pub fn run(args: &[&str]) -> Run {
    let mut command = command();
    command.args(args);
    run_command(command)
}

/// A sandbox for one test, and the binary pointed at it with `--sandbox`.
pub struct Cli {
    pub sandbox: Sandbox,
    http: reqwest::blocking::Client,
}

impl Cli {
    pub fn new() -> Cli {
        let cli = Cli {
            sandbox: Sandbox::start().expect("the sandbox starts"),
            http: reqwest::blocking::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        };
        // Poll the device flow every second rather than every five.
        cli.control(
            reqwest::Method::POST,
            "settings",
            Some(json!({"yandex_device_interval_s": 1})),
        );
        cli
    }

    pub fn url(&self) -> &str {
        self.sandbox.url()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = command();
        command.arg("--sandbox").arg(self.url()).args(args);
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run_command(self.command(args))
    }

    /// Starts the binary and reads its stderr line by line as it comes.
    pub fn spawn(&self, args: &[&str]) -> Running {
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let (sender, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut all = Vec::new();
            for line in BufReader::new(stderr).lines() {
                let line = line.expect("UTF-8 stderr");
                let _ = sender.send(line.clone());
                all.push(line);
            }
            all
        });
        Running { child, lines, reader }
    }

    pub fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}/_sandbox/{path}", self.url()));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().expect("the sandbox answers");
        assert!(response.status().is_success(), "control {path}: {}", response.status());
        response.json().expect("control answers are JSON")
    }

    /// The person enters the code on the verification page.
    pub fn approve(&self, address: &str, code: &str) {
        let response = self.http.post(address).form(&[("user_code", code)]).send().unwrap();
        assert!(
            response.status().is_success(),
            "approval refused: {}",
            response.status()
        );
    }

    /// The person opens a consent address in a browser, which follows the redirect back to
    /// the loopback listener.
    pub fn consent_in_browser(&self, url: &str) {
        let consent = self.http.get(url).send().unwrap();
        assert_eq!(consent.status().as_u16(), 302, "the consent page redirects");
        let location = consent.headers()["location"].to_str().unwrap().to_string();
        let back = self.http.get(location).send().unwrap();
        assert!(
            back.status().is_success(),
            "the listener answers the browser: {}",
            back.status()
        );
    }

    /// `login yandex` through the binary, the person approving on the sandbox's page; the
    /// credentials are saved to `save` when given, else printed.
    pub fn login_yandex(&self, save: Option<&Path>) -> Run {
        let mut args = vec![
            "login",
            "yandex",
            "--id",
            YANDEX_CLIENT_ID,
            "--secret",
            YANDEX_CLIENT_SECRET,
        ];
        if let Some(save) = save {
            args.extend(["--save", save.to_str().unwrap()]);
        }
        let running = self.spawn(&args);
        let prompt = running.line_starting("Open ");
        let words: Vec<&str> = prompt.split_whitespace().collect();
        self.approve(words[1], words[words.len() - 1]);
        running.finish()
    }

    /// A signed-in access token.
    pub fn token(&self) -> String {
        let run = self.login_yandex(None);
        run.ok()["access_token"].as_str().unwrap().to_string()
    }
}

/// A binary still running.
pub struct Running {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    reader: JoinHandle<Vec<String>>,
}

impl Running {
    /// Waits for the stderr line that starts with `prefix`.
    pub fn line_starting(&self, prefix: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no stderr line starting with {prefix:?}"));
            if line.starts_with(prefix) {
                return line;
            }
        }
    }

    /// The stderr line after the one just read.
    pub fn next_line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(30))
            .expect("another stderr line")
    }

    pub fn finish(self) -> Run {
        let output = self.child.wait_with_output().unwrap();
        let stderr = self.reader.join().unwrap().join("\n");
        Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr,
        }
    }
}

/// A temporary folder, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "diskbridge-cli-{tag}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// The path as a command-line argument.
    pub fn arg(&self, name: &str) -> String {
        self.path(name).to_str().unwrap().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Bytes that are not all the same, so a shifted or truncated copy never matches.
pub fn pattern(size: usize) -> Vec<u8> {
    (0..size).map(|i| ((i * 31 + i / 977) % 251) as u8).collect()
}
