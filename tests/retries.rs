//! The HTTP engine against injected faults: what is retried, how long it waits, and what is not.

mod common;

use common::{err, ok, sandbox};
use diskbridge_sandbox::{YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET};
use serde_json::json;

#[test]
fn an_idempotent_call_survives_503s_and_a_reset_honouring_retry_after() {
    let sb = sandbox();
    let tokens = sb.sign_in();
    sb.clear_requests();
    sb.fault(json!([
        {"method": "GET", "path": "/yandex-login/info", "status": 503, "retry_after": 1, "times": 2},
        {"method": "GET", "path": "/yandex-login/info", "reset": "response", "after_bytes": 0}
    ]));
    let info = ok(sb.call("YandexID.GetUserInfo", json!({"token": tokens["access_token"]})));
    assert_eq!(info["login"], "sandbox-owner");
    let attempts = sb.requests_to("/yandex-login/info");
    assert_eq!(attempts.len(), 4, "two 503s, one reset, one success: {attempts:?}");
    let at: Vec<u64> = attempts.iter().map(|a| a["at_ms"].as_u64().unwrap()).collect();
    assert!(at[1] - at[0] >= 1000, "Retry-After: 1 honoured ({} ms)", at[1] - at[0]);
    assert!(at[2] - at[1] >= 1000, "Retry-After: 1 honoured ({} ms)", at[2] - at[1]);
    assert_eq!(attempts[0]["status"], 503);
    assert_eq!(attempts[3]["status"], 200);
    let log = ok(sb.call("Library.GetLog", json!({"limit": 1000})));
    assert!(log["lines"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l.as_str().unwrap().contains("(Retry-After)")));
}

#[test]
fn a_400_is_not_retried() {
    let sb = sandbox();
    let tokens = sb.sign_in();
    sb.clear_requests();
    sb.fault(json!({"method": "GET", "path": "/yandex-login/info", "status": 400, "body": {"error": "bad"}}));
    let error = err(sb.call("YandexID.GetUserInfo", json!({"token": tokens["access_token"]})));
    assert_eq!(error["code"], "bad_request");
    assert_eq!(error["upstream"], json!({"error": "bad"}));
    assert_eq!(sb.requests_to("/yandex-login/info").len(), 1);
}

#[test]
fn retries_stop_at_max_attempts_with_a_retryable_error() {
    let sb = sandbox();
    let tokens = sb.sign_in();
    sb.clear_requests();
    sb.fault(json!({"method": "GET", "path": "/yandex-login/info", "status": 500, "times": 10}));
    let mut options = sb.options();
    options["retries"]["max_attempts"] = json!(3);
    let error = err(sb.call(
        "YandexID.GetUserInfo",
        json!({"token": tokens["access_token"], "options": options}),
    ));
    assert_eq!(error["code"], "server_error");
    assert_eq!(error["retryable"], true);
    assert_eq!(sb.requests_to("/yandex-login/info").len(), 3);
}

#[test]
fn a_refresh_is_not_replayed_after_it_may_have_reached_the_service() {
    let sb = sandbox();
    let tokens = sb.sign_in();
    sb.clear_requests();
    // The refresh arrives, rotates the token, and the answer is lost: sending it again would
    // spend the rotated-out token for nothing, so the library reports the failure instead.
    sb.fault(json!({"method": "POST", "path": "/yandex-oauth/token", "reset": "response", "after_bytes": 0}));
    let params = json!({"client_id": YANDEX_CLIENT_ID, "client_secret": YANDEX_CLIENT_SECRET, "refresh_token": tokens["refresh_token"]});
    let error = err(sb.call("YandexID.RefreshToken", params.clone()));
    assert_eq!(error["code"], "network");
    assert_eq!(sb.requests_to("/yandex-oauth/token").len(), 1);
    // A 503 on a POST is not retried either; a 429 (refused before any work) is.
    sb.fault(json!({"method": "POST", "path": "/yandex-oauth/device/code", "status": 429, "retry_after": 0}));
    ok(sb.call("YandexID.GetConfirmationCode", json!({"client_id": YANDEX_CLIENT_ID})));
    sb.clear_requests();
    sb.fault(json!({"method": "POST", "path": "/yandex-oauth/token", "status": 503}));
    let code = ok(sb.call("YandexID.GetConfirmationCode", json!({"client_id": YANDEX_CLIENT_ID})));
    let error = err(sb.call(
        "YandexID.ConvertCodeToToken",
        json!({"client_id": YANDEX_CLIENT_ID, "client_secret": YANDEX_CLIENT_SECRET, "device_code": code["device_code"]}),
    ));
    assert_eq!(error["code"], "server_error");
    assert_eq!(sb.requests_to("/yandex-oauth/token").len(), 1);
}

#[test]
fn a_dead_endpoint_is_a_network_error_after_retries() {
    let sb = sandbox();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut options = sb.options();
    options["sandbox"] = json!(dead);
    options["retries"]["max_attempts"] = json!(2);
    let error = err(sb.call(
        "YandexID.GetConfirmationCode",
        json!({"client_id": YANDEX_CLIENT_ID, "options": options}),
    ));
    assert_eq!(error["code"], "network");
    assert_eq!(error["retryable"], true);
}

#[test]
fn a_slow_service_times_out() {
    let sb = sandbox();
    sb.fault(json!({"method": "POST", "path": "/yandex-oauth/device/code", "delay_ms": 3000, "times": 3}));
    let mut options = sb.options();
    options["timeouts"] = json!({"total_s": 0.5});
    options["retries"]["max_attempts"] = json!(1);
    let error = err(sb.call(
        "YandexID.GetConfirmationCode",
        json!({"client_id": YANDEX_CLIENT_ID, "options": options}),
    ));
    assert_eq!(error["code"], "timeout");
}

#[test]
fn concurrent_refresh_token_calls_share_one_refresh() {
    let sb = sandbox();
    let tokens = sb.sign_in();
    sb.clear_requests();
    // Hold the first refresh for a moment so the others arrive while it runs.
    sb.fault(json!({"method": "POST", "path": "/yandex-oauth/token", "delay_ms": 500}));
    let params = json!({"client_id": YANDEX_CLIENT_ID, "client_secret": YANDEX_CLIENT_SECRET, "refresh_token": tokens["refresh_token"]});
    let replies: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| sb.call("YandexID.RefreshToken", params.clone())))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let first = ok(replies[0].clone());
    for reply in replies {
        assert_eq!(ok(reply)["refresh_token"], first["refresh_token"]);
    }
    assert_eq!(sb.requests_to("/yandex-oauth/token").len(), 1);
}

#[test]
fn a_configured_proxy_carries_the_requests() {
    // A second sandbox plays the HTTP proxy: requests for a dead endpoint reach it in absolute
    // form, and it answers them as the emulated service.
    let proxy = sandbox();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let options = json!({"sandbox": dead, "proxy": proxy.url(), "retries": {"max_attempts": 1}});
    let code = ok(proxy.call(
        "YandexID.GetConfirmationCode",
        json!({"client_id": YANDEX_CLIENT_ID, "options": options}),
    ));
    assert!(code["device_code"].is_string());
    assert_eq!(proxy.requests_to("/yandex-oauth/device/code").len(), 1);
    let direct = json!({"sandbox": dead, "proxy": "none", "retries": {"max_attempts": 1}});
    let error = err(proxy.call(
        "YandexID.GetConfirmationCode",
        json!({"client_id": YANDEX_CLIENT_ID, "options": direct}),
    ));
    assert_eq!(error["code"], "network");
}

#[test]
fn extra_ca_certificates_are_checked() {
    let sb = sandbox();
    let dir = std::env::temp_dir().join(format!("diskbridge-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let not_pem = dir.join("not-a-cert.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let mut options = sb.options();
    options["ca_file"] = json!(not_pem);
    let error = err(sb.call(
        "YandexID.GetConfirmationCode",
        json!({"client_id": YANDEX_CLIENT_ID, "options": options}),
    ));
    assert_eq!(error["code"], "invalid_params");
    let mut options = sb.options();
    options["ca_file"] = json!(dir.join("missing.pem"));
    let error = err(sb.call(
        "YandexID.GetConfirmationCode",
        json!({"client_id": YANDEX_CLIENT_ID, "options": options}),
    ));
    assert_eq!(error["code"], "local_io");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_user_agent_is_configurable() {
    let sb = sandbox();
    let mut options = sb.options();
    options["user_agent"] = json!("my-1c-app/2.0");
    ok(sb.call(
        "YandexID.GetConfirmationCode",
        json!({"client_id": YANDEX_CLIENT_ID, "options": options}),
    ));
    ok(sb.call("YandexID.GetConfirmationCode", json!({"client_id": YANDEX_CLIENT_ID})));
    let requests = sb.requests_to("/yandex-oauth/device/code");
    assert_eq!(requests[0]["headers"]["user-agent"], "my-1c-app/2.0");
    assert_eq!(
        requests[1]["headers"]["user-agent"],
        format!("diskbridge/{}", env!("CARGO_PKG_VERSION"))
    );
}
