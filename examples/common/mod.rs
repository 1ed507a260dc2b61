//! What the benchmarks share: a call through the C ABI, the Yandex sign-in, the peak RSS of this
//! process, and a sandbox run as its own process (so its CPU and memory stay out of the
//! library's figures).
#![allow(dead_code)] // each benchmark uses its own subset

use std::ffi::{CStr, CString};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use diskbridge::ffi::{diskbridge_call, diskbridge_free};
use diskbridge_sandbox::{YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET};
use serde_json::{json, Value};

/// Calls `method` through the C ABI; its `result`, or a panic naming the error.
pub fn call(method: &str, params: &Value) -> Value {
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

/// The sandbox owner's Yandex tokens: the device flow, the person's approval played with curl
/// (the library's own HTTP client stays out of the figures).
pub fn sign_in(options: &Value) -> Value {
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
    call(
        "YandexID.WaitForToken",
        &json!({"client_id": YANDEX_CLIENT_ID, "client_secret": YANDEX_CLIENT_SECRET, "device_code": code["device_code"], "options": options}),
    )
}

/// A figure of /proc/self/<file>: the number after `key` (0 where there is none).
pub fn proc_self(file: &str, key: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/self/{file}")).unwrap_or_default();
    text.lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Peak resident set size of this process, in MiB (Linux: VmHWM).
pub fn peak_rss_mib() -> f64 {
    proc_self("status", "VmHWM:") as f64 / 1024.0
}

/// A sandbox process, killed when dropped.
pub struct SandboxProcess(pub Child);

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the sandbox binary on a free loopback port; the process and its URL.
pub fn start_sandbox(binary: &Path) -> (SandboxProcess, String) {
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
