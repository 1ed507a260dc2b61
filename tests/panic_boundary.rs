//! The panic boundary: a method that panics (the hidden `Library.Panic` of debug builds run with
//! DISKBRIDGE_TEST_PANIC=1) answers `internal` through `diskbridge_call` and through a
//! background job, and the process goes on serving calls — jobs included — afterwards.

mod common;

use std::sync::Once;

use common::{err, ok, raw_call};
use serde_json::{json, Value};

/// The hidden method is enabled before the library first looks a method up (the variable is
/// read once); every test of this binary comes through here first.
fn enable_the_panicking_method() {
    static ENABLE: Once = Once::new();
    ENABLE.call_once(|| std::env::set_var("DISKBRIDGE_TEST_PANIC", "1"));
}

fn call(method: &str, params: Value) -> Value {
    enable_the_panicking_method();
    raw_call(method, &params.to_string())
}

#[test]
fn a_panic_answers_internal_and_the_library_goes_on() {
    let error = err(call("Library.Panic", json!({})));
    assert_eq!(error["code"], "internal");
    assert_eq!(error["retryable"], false);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("a test of the panic boundary"),
        "{error}"
    );
    // The same thread, and the runtime's workers, serve the next calls.
    for _ in 0..3 {
        assert_eq!(
            ok(call("Library.Version", json!({})))["version"],
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(err(call("Library.Panic", json!({})))["code"], "internal");
    }
    // Many at once: every panicking call answers, and so does everything around them.
    std::thread::scope(|scope| {
        for thread in 0..8 {
            scope.spawn(move || {
                let (method, code) = if thread % 2 == 0 {
                    ("Library.Panic", json!("internal"))
                } else {
                    ("Library.Version", Value::Null)
                };
                let reply = call(method, json!({}));
                assert_eq!(reply["error"]["code"], code, "{method}: {reply}");
            });
        }
    });
}

#[test]
fn a_panic_in_a_background_job_ends_the_job_as_failed() {
    let started = ok(call("Jobs.Start", json!({"method": "Library.Panic"})));
    let status = ok(call("Jobs.Wait", json!({"job_id": started["job_id"], "timeout_s": 60})));
    assert_eq!(status["state"], "failed", "{status}");
    assert_eq!(status["reply"]["error"]["code"], "internal", "{status}");
    // The job table still works: the job can be asked about again, and new jobs run.
    let again = ok(call("Jobs.Status", json!({"job_id": started["job_id"]})));
    assert_eq!(again["state"], "failed");
    let next = ok(call("Jobs.Start", json!({"method": "Library.Version"})));
    let done = ok(call("Jobs.Wait", json!({"job_id": next["job_id"], "timeout_s": 60})));
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["reply"]["result"]["abi"], diskbridge::ABI_VERSION);
}

#[test]
fn the_registry_does_not_list_the_panicking_method() {
    let methods = ok(call("Library.Methods", json!({})));
    let names: Vec<&str> = methods["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"Library.Panic"), "{names:?}");
    assert!(diskbridge::registry::methods()
        .iter()
        .all(|m| m.full_name() != "Library.Panic"));
}

/// Set in the child process of `a_caught_panic_is_logged_not_printed_on_the_hosts_stderr`.
const CHILD: &str = "DISKBRIDGE_TEST_PANIC_CHILD";

#[test]
fn a_caught_panic_is_logged_not_printed_on_the_hosts_stderr() {
    // The child runs `panic_child` alone, with the real stderr (no capture), so what the panic
    // hooks print can be read.
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "panic_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("DISKBRIDGE_TEST_PANIC", "1")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(output.status.success(), "the child: {stdout}\n{stderr}");
    assert!(stdout.contains("child done"), "the child ran: {stdout}");
    assert!(
        !stderr.contains("a test of the panic boundary"),
        "the library's caught panic reached stderr: {stderr}"
    );
    assert!(
        stderr.contains("the host's own panic"),
        "the host's panics still reach its hook: {stderr}"
    );
}

/// Only does something in the child process: a library panic, then the host's own.
#[test]
fn panic_child() {
    if std::env::var(CHILD).is_err() {
        return;
    }
    assert_eq!(err(call("Library.Panic", json!({})))["code"], "internal");
    let started = ok(call("Jobs.Start", json!({"method": "Library.Panic"})));
    let status = ok(call("Jobs.Wait", json!({"job_id": started["job_id"], "timeout_s": 60})));
    assert_eq!(status["state"], "failed", "{status}");
    let log = ok(call("Library.GetLog", json!({"limit": 1000})));
    let lines = log["lines"].as_array().expect("lines").clone();
    assert!(
        lines
            .iter()
            .any(|line| line.as_str().unwrap().contains("panic in library code at")),
        "the panic is in the library's log: {log}"
    );
    let host = std::thread::spawn(|| panic!("the host's own panic"));
    assert!(host.join().is_err());
    println!("child done");
}
