//! Hostile servers through the C ABI (issue 13): answers without end, redirects that are not
//! success, redirects off the https/loopback policy, links of other schemes, and error bodies
//! that echo the token. A small misbehaving server on 127.0.0.1 (tests/common/rogue.rs) or the
//! sandbox's fault injection plays the service.

mod common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::rogue::{rss_bytes, Answer, Rogue};
use common::{err, ok, raw_call, sandbox};
use serde_json::{json, Value};

/// The memory-bound tests run one at a time, so one's buffers do not count against another.
static MEMORY: Mutex<()> = Mutex::new(());

/// Generous: a capped read holds a few MiB; an uncapped one grows by hundreds of MiB a second.
const RSS_GROWTH_BOUND: u64 = 200 << 20;

/// Calls `method` with the Disk API pointed at the rogue server, no retries beyond two attempts.
fn call_rogue(rogue: &Rogue, method: &str, mut params: Value) -> Value {
    params["token"] = json!("y0_token");
    params["options"] = json!({
        "endpoints": {"yandex_disk": rogue.url},
        "retries": {"max_attempts": 2, "base_delay_ms": 10, "max_delay_ms": 20},
        "timeouts": {"total_s": 60, "read_s": 30},
    });
    raw_call(method, &params.to_string())
}

/// Runs `body` and checks it took bounded time and memory.
fn bounded<T>(what: &str, body: impl FnOnce() -> T) -> T {
    let _one_at_a_time = MEMORY.lock().unwrap_or_else(|p| p.into_inner());
    let before = rss_bytes();
    let started = Instant::now();
    let outcome = body();
    let elapsed = started.elapsed();
    let grown = rss_bytes().saturating_sub(before);
    assert!(elapsed < Duration::from_secs(60), "{what}: took {elapsed:?}");
    assert!(grown < RSS_GROWTH_BOUND, "{what}: memory grew by {} MiB", grown >> 20);
    outcome
}

#[test]
fn an_endless_metadata_answer_is_invalid_response() {
    let rogue = Rogue::start(|_| Answer::endless(200, "application/json", &[b' '; 64 * 1024]));
    let error = bounded("endless JSON", || {
        err(call_rogue(&rogue, "YandexDisk.GetDiskInformation", json!({})))
    });
    assert_eq!(error["code"], "invalid_response", "{error}");
    assert!(error["message"].as_str().unwrap().contains("MiB"), "{error}");
    assert_eq!(rogue.asked().len(), 1, "an oversized answer is not asked for again");
}

#[test]
fn an_endless_error_body_is_cut() {
    let rogue = Rogue::start(|_| Answer::endless(400, "application/json", &b"{\"error\": \"x".repeat(4096)));
    let reply = bounded("endless error", || {
        call_rogue(&rogue, "YandexDisk.GetDiskInformation", json!({}))
    });
    let error = err(reply.clone());
    assert_eq!(error["code"], "bad_request", "{error}");
    let upstream = error["upstream"].as_str().expect("a cut body is kept as text");
    assert!(
        upstream.chars().count() <= 4097,
        "upstream of {} chars",
        upstream.chars().count()
    );
    assert!(reply.to_string().len() < 32 * 1024);
}

#[test]
fn a_huge_error_json_is_cut_in_upstream_and_message() {
    let description = "d".repeat(2 << 20);
    let body = json!({"error": "DiskNotFoundError", "description": description});
    let rogue = Rogue::start(move |_| Answer::json(404, &body));
    let reply = bounded("huge error JSON", || {
        call_rogue(&rogue, "YandexDisk.GetObject", json!({"path": "/x"}))
    });
    let error = err(reply.clone());
    assert_eq!(error["code"], "not_found", "{error}");
    assert!(
        error["upstream"].is_string(),
        "a body over the cap is kept as text of its start"
    );
    assert!(reply.to_string().len() < 32 * 1024, "{} bytes", reply.to_string().len());
}

#[test]
fn an_endless_upload_answer_is_invalid_response() {
    let rogue = Rogue::start({
        let url = std::sync::OnceLock::<String>::new();
        move |seen| {
            let base = url.get_or_init(|| format!("http://{}", seen.header("host").unwrap()));
            if seen.path.starts_with("/v1/disk/resources/upload") {
                Answer::json(200, &json!({"href": format!("{base}/upload/target"), "method": "PUT"}))
            } else if seen.path.starts_with("/upload/") {
                Answer::endless(201, "application/json", &[b' '; 64 * 1024])
            } else {
                Answer::json(404, &json!({"error": "DiskNotFoundError"}))
            }
        }
    });
    let error = bounded("endless upload answer", || {
        err(call_rogue(
            &rogue,
            "YandexDisk.UploadFile",
            json!({"path": "/a.bin", "data_base64": "aGVsbG8="}),
        ))
    });
    assert_eq!(error["code"], "invalid_response", "{error}");
}

#[test]
fn only_2xx_is_success() {
    let sb = sandbox();
    let token = sb.sign_in()["access_token"].clone();
    ok(sb.call("YandexDisk.CreateFolder", json!({"token": token, "path": "/stays"})));
    let cases = [
        (
            "DELETE",
            "/yandex-disk/v1/disk/resources",
            302,
            "YandexDisk.DeleteObject",
            json!({"path": "/stays"}),
        ),
        (
            "DELETE",
            "/yandex-disk/v1/disk/resources",
            300,
            "YandexDisk.DeleteObject",
            json!({"path": "/stays"}),
        ),
        (
            "PUT",
            "/yandex-disk/v1/disk/resources",
            304,
            "YandexDisk.CreateFolder",
            json!({"path": "/new"}),
        ),
        (
            "PUT",
            "/yandex-disk/v1/disk/resources",
            300,
            "YandexDisk.CreateFolder",
            json!({"path": "/new"}),
        ),
        (
            "PUT",
            "/yandex-disk/v1/disk/resources/publish",
            302,
            "YandexDisk.PublishObject",
            json!({"path": "/stays"}),
        ),
        (
            "PUT",
            "/yandex-disk/v1/disk/resources/publish",
            304,
            "YandexDisk.PublishObject",
            json!({"path": "/stays"}),
        ),
    ];
    for (verb, path, status, method, mut params) in cases {
        sb.fault(json!({"method": verb, "path": path, "status": status}));
        params["token"] = token.clone();
        let error = err(sb.call(method, params));
        assert_eq!(error["http_status"], status, "{method}: {error}");
        assert_eq!(error["code"], "upstream_error", "{method}: {error}");
        assert!(error["message"].as_str().unwrap().contains("not followed"), "{error}");
    }
    // Nothing happened: the folder is there, unpublished, and no new one was made.
    let kept = ok(sb.call("YandexDisk.GetObject", json!({"token": token, "path": "/stays"})));
    assert!(kept.get("public_url").is_none_or(Value::is_null), "{kept}");
    let missing = err(sb.call("YandexDisk.GetObject", json!({"token": token, "path": "/new"})));
    assert_eq!(missing["code"], "not_found");
}

#[test]
fn redirects_pass_the_endpoint_policy() {
    // A plain-http host that is not loopback: refused before any connection (example.invalid
    // would not resolve either, but the refusal comes first and says why).
    for (location, code) in [
        ("http://example.invalid/steal", "insecure_endpoint"),
        ("ftp://example.invalid/x", "invalid_response"),
    ] {
        let rogue = Rogue::start(move |_| Answer::empty(302).with_header("location", location));
        let started = Instant::now();
        let error = err(call_rogue(&rogue, "YandexDisk.GetDiskInformation", json!({})));
        assert_eq!(error["code"], code, "{location}: {error}");
        assert!(error["message"].as_str().unwrap().contains("redirect"), "{error}");
        assert_eq!(rogue.asked().len(), 1, "{location}: a refusal is not retried");
        assert!(started.elapsed() < Duration::from_secs(10));
    }
    // A redirect the policy allows (to loopback) is followed.
    let rogue = Rogue::start(|seen| {
        if seen.path.starts_with("/v1/disk/moved") {
            Answer::json(200, &json!({"total_space": 1}))
        } else {
            let moved = format!("http://{}/v1/disk/moved", seen.header("host").unwrap());
            Answer::empty(302).with_header("location", &moved)
        }
    });
    let disk = ok(call_rogue(&rogue, "YandexDisk.GetDiskInformation", json!({})));
    assert_eq!(disk["total_space"], 1);
}

#[test]
fn links_of_other_schemes_are_invalid_responses() {
    for (method, params) in [
        (
            "YandexDisk.UploadFile",
            json!({"path": "/a.bin", "data_base64": "aGk="}),
        ),
        ("YandexDisk.DownloadFile", json!({"path": "/a.bin"})),
    ] {
        for href in ["file:///etc/passwd", "data:text/plain,hi"] {
            let rogue = Rogue::start(move |seen| {
                if seen.path.starts_with("/v1/disk/resources/upload")
                    || seen.path.starts_with("/v1/disk/resources/download")
                {
                    Answer::json(200, &json!({"href": href, "method": "PUT"}))
                } else {
                    Answer::json(
                        200,
                        &json!({"type": "file", "size": 2, "md5": "49f68a5c8493ec2c0bf489821c21fc3b", "path": "disk:/a.bin"}),
                    )
                }
            });
            let error = err(call_rogue(&rogue, method, params.clone()));
            assert_eq!(error["code"], "invalid_response", "{method} {href}: {error}");
        }
    }
}

#[test]
fn secrets_are_masked_everywhere_in_the_envelope() {
    let sb = sandbox();
    let token = sb.sign_in()["access_token"].as_str().unwrap().to_string();
    let body = json!({
        "error": "UnauthorizedError",
        "description": format!("the token {token} is not valid"),
        "echo": {"token": token.clone(), token.clone(): [token.clone()]},
    });
    sb.fault(json!({"path": "/yandex-disk/v1/disk", "status": 401, "body": body}));
    let reply = sb.call("YandexDisk.GetDiskInformation", json!({"token": token}));
    let error = err(reply.clone());
    assert_eq!(error["code"], "unauthorized");
    assert!(!reply.to_string().contains(&token), "the token leaks: {reply}");
    assert_eq!(error["upstream"]["echo"]["token"], "***", "{error}");
    assert!(error["message"].as_str().unwrap().contains("***"), "{error}");
}
