//! Calls back into the library from a progress callback, and the memory of background jobs
//! (issue 13, items 1 and 7), through the C ABI.

mod common;

use std::ffi::{c_void, CString};
use std::sync::mpsc;
use std::time::Duration;

use common::rogue::rss_bytes;
use common::{err, ok, raw_call, sandbox, take_reply, TestSandbox};
use diskbridge::ffi::diskbridge_call_with_progress;
use diskbridge_sandbox::{YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET};
use serde_json::{json, Value};

/// Runs `body` on a thread and fails the test if it does not end within `limit` (a deadlock
/// would otherwise hang the whole test run).
fn within<T: Send + 'static>(limit: Duration, body: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(body());
    });
    finished
        .recv_timeout(limit)
        .unwrap_or_else(|_| panic!("did not end within {limit:?}: a deadlock"))
}

/// A progress callback that calls back into the library on every report, and cancels after
/// `reports` of them. `user_data` points to its state.
struct Nested {
    reports: u32,
    method: &'static str,
    params: String,
    answers: Vec<Value>,
}

unsafe extern "C" fn call_back_in(user_data: *mut c_void, _done: u64, _total: u64) -> i32 {
    let nested = unsafe { &mut *(user_data as *mut Nested) };
    nested.answers.push(raw_call(nested.method, &nested.params));
    i32::from(nested.answers.len() as u32 >= nested.reports)
}

/// Calls `method` with a callback that makes nested calls; returns the reply and the nested
/// answers.
fn call_with_nested_calls(method: &str, params: &Value, nested: Nested) -> (Value, Vec<Value>) {
    let mut nested = Box::new(nested);
    let method = CString::new(method).unwrap();
    let params = CString::new(params.to_string()).unwrap();
    let user_data = &mut *nested as *mut Nested as *mut c_void;
    // SAFETY: the state outlives the call; the reply is freed once.
    let reply = unsafe {
        take_reply(diskbridge_call_with_progress(
            method.as_ptr(),
            params.as_ptr(),
            Some(call_back_in),
            user_data,
        ))
    };
    (reply, nested.answers)
}

fn pending_device_code(sb: &TestSandbox) -> Value {
    let code = ok(sb.call("YandexID.GetConfirmationCode", json!({"client_id": YANDEX_CLIENT_ID})));
    json!({
        "client_id": YANDEX_CLIENT_ID,
        "client_secret": YANDEX_CLIENT_SECRET,
        "device_code": code["device_code"],
        "interval": 1,
        "options": sb.options(),
    })
}

#[test]
fn a_callback_may_call_the_library() {
    let sb = sandbox();
    let params = pending_device_code(&sb);
    // Library.Version from the callback of a wait: the outer call goes on and is cancelled by
    // the callback on its third report.
    let (reply, answers) = within(Duration::from_secs(60), move || {
        let nested = Nested {
            reports: 3,
            method: "Library.Version",
            params: "{}".into(),
            answers: Vec::new(),
        };
        call_with_nested_calls("YandexID.WaitForToken", &params, nested)
    });
    assert_eq!(err(reply)["code"], "cancelled");
    assert_eq!(answers.len(), 3);
    for answer in answers {
        assert_eq!(ok(answer)["version"], env!("CARGO_PKG_VERSION"));
    }
}

#[test]
fn callbacks_of_many_calls_may_call_the_network_at_once() {
    // More callers than the runtime has workers, each blocked in a callback making a call
    // that itself needs the network: none may starve the others.
    let sb = std::sync::Arc::new(sandbox());
    let threads: Vec<_> = (0..12)
        .map(|_| {
            let sb = sb.clone();
            std::thread::spawn(move || {
                let params = pending_device_code(&sb);
                let nested_params = json!({"client_id": YANDEX_CLIENT_ID, "options": sb.options()}).to_string();
                within(Duration::from_secs(120), move || {
                    let nested = Nested {
                        reports: 2,
                        method: "YandexID.GetConfirmationCode",
                        params: nested_params,
                        answers: Vec::new(),
                    };
                    call_with_nested_calls("YandexID.WaitForToken", &params, nested)
                })
            })
        })
        .collect();
    for thread in threads {
        let (reply, answers) = thread.join().unwrap();
        assert_eq!(err(reply)["code"], "cancelled");
        for answer in answers {
            assert!(ok(answer)["user_code"].is_string());
        }
    }
}

#[test]
fn a_job_started_from_a_callback_can_be_waited_for_there() {
    let sb = sandbox();
    let params = pending_device_code(&sb);
    let (reply, answers) = within(Duration::from_secs(60), move || {
        let nested = Nested {
            reports: 1,
            method: "Jobs.Start",
            params: json!({"method": "Library.Version"}).to_string(),
            answers: Vec::new(),
        };
        call_with_nested_calls("YandexID.WaitForToken", &params, nested)
    });
    assert_eq!(err(reply)["code"], "cancelled");
    let job = ok(answers[0].clone())["job_id"].clone();
    let waited = ok(raw_call(
        "Jobs.Wait",
        &json!({"job_id": job, "timeout_s": 30}).to_string(),
    ));
    assert_eq!(waited["state"], "done");
}

#[test]
fn a_delivered_reply_is_released() {
    let sb = sandbox();
    let token = sb.sign_in()["access_token"].clone();
    let content = vec![b'z'; 4 << 20];
    let data = base64_of(&content);
    ok(sb.call(
        "YandexDisk.UploadFile",
        json!({"token": token, "path": "/big.bin", "data_base64": data}),
    ));
    let download = json!({"method": "YandexDisk.DownloadFile", "params": {"token": token, "path": "/big.bin", "options": sb.options()}});

    // A watcher's wait without the reply leaves it for the one who asks.
    let job = ok(raw_call("Jobs.Start", &download.to_string()))["job_id"].clone();
    let watched = ok(raw_call(
        "Jobs.Wait",
        &json!({"job_id": job, "timeout_s": 60, "reply": false}).to_string(),
    ));
    assert_eq!(watched["state"], "done", "{watched}");
    assert!(
        watched.get("reply").is_none() && watched.get("released").is_none(),
        "{watched}"
    );
    let delivered = ok(raw_call("Jobs.Status", &json!({"job_id": job}).to_string()));
    assert_eq!(
        delivered["reply"]["result"]["data_base64"].as_str().unwrap().len(),
        data.len()
    );
    // Handed out once; afterwards the state remains and says the reply was released.
    for method in ["Jobs.Status", "Jobs.Wait"] {
        let again = ok(raw_call(method, &json!({"job_id": job}).to_string()));
        assert_eq!(again["state"], "done", "{again}");
        assert_eq!(again["released"], true, "{again}");
        assert!(again.get("reply").is_none(), "{again}");
    }

    // Many downloads of 4 MiB delivered one after the other: memory does not keep them.
    let before = rss_bytes();
    for _ in 0..40 {
        let job = ok(raw_call("Jobs.Start", &download.to_string()))["job_id"].clone();
        let done = ok(raw_call(
            "Jobs.Wait",
            &json!({"job_id": job, "timeout_s": 60}).to_string(),
        ));
        assert_eq!(done["state"], "done", "{done}");
    }
    let grown = rss_bytes().saturating_sub(before);
    // 40 kept replies would be over 200 MiB of base64; released ones leave little behind.
    assert!(grown < 120 << 20, "memory grew by {} MiB", grown >> 20);
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
