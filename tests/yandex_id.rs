//! Yandex ID sign-in through the C ABI against the sandbox.

mod common;

use std::time::{Duration, Instant};

use common::{err, location_param, ok, sandbox};
use diskbridge_sandbox::{YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET};
use serde_json::{json, Value};

fn client() -> Value {
    json!({"client_id": YANDEX_CLIENT_ID, "client_secret": YANDEX_CLIENT_SECRET})
}

fn with(mut base: Value, extra: Value) -> Value {
    for (key, value) in extra.as_object().unwrap() {
        base[key] = value.clone();
    }
    base
}

#[test]
fn device_flow_is_pending_then_issues_tokens() {
    let sb = sandbox();
    let code = ok(sb.call("YandexID.GetConfirmationCode", json!({"client_id": YANDEX_CLIENT_ID})));
    for key in ["device_code", "user_code", "verification_url", "interval", "expires_in"] {
        assert!(code.get(key).is_some(), "{key} missing in {code}");
    }
    let exchange = with(client(), json!({"device_code": code["device_code"]}));
    let pending = err(sb.call("YandexID.ConvertCodeToToken", exchange.clone()));
    assert_eq!(pending["code"], "authorization_pending");
    assert_eq!(pending["http_status"], 400);
    assert_eq!(pending["service"], "yandex_oauth");
    assert_eq!(pending["upstream"]["error"], "authorization_pending");
    assert_eq!(pending["retryable"], true);

    sb.approve_device(
        code["verification_url"].as_str().unwrap(),
        code["user_code"].as_str().unwrap(),
        None,
    );
    let tokens = ok(sb.call("YandexID.ConvertCodeToToken", exchange.clone()));
    assert_eq!(tokens["token_type"], "bearer");
    assert!(tokens["access_token"].as_str().unwrap().starts_with("y0_"));
    assert!(tokens["refresh_token"].is_string());

    // The code was used up: the same exchange now says it has expired.
    assert_eq!(err(sb.call("YandexID.ConvertCodeToToken", exchange))["code"], "expired");
}

#[test]
fn device_code_expires_after_expires_in() {
    let sb = sandbox();
    let code = ok(sb.call("YandexID.GetConfirmationCode", json!({"ClientId": YANDEX_CLIENT_ID})));
    sb.advance_clock(code["expires_in"].as_i64().unwrap() + 1);
    let expired = err(sb.call(
        "YandexID.ConvertCodeToToken",
        with(client(), json!({"device_code": code["device_code"]})),
    ));
    assert_eq!(expired["code"], "expired");
    assert!(
        expired["message"]
            .as_str()
            .unwrap()
            .contains("GetConfirmationCode again"),
        "{expired}"
    );
    // The person can no longer approve it either.
    let response = reqwest::blocking::Client::new()
        .post(code["verification_url"].as_str().unwrap())
        .form(&[("user_code", code["user_code"].as_str().unwrap())])
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

#[test]
fn wait_for_token_returns_within_one_interval_of_approval() {
    let sb = sandbox();
    sb.settings(json!({"yandex_device_interval_s": 1}));
    let code = ok(sb.call("YandexID.GetConfirmationCode", json!({"client_id": YANDEX_CLIENT_ID})));
    assert_eq!(code["interval"], 1);
    let approval_delay = Duration::from_millis(1500);
    let started = Instant::now();
    let tokens = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(approval_delay);
            sb.approve_device(
                code["verification_url"].as_str().unwrap(),
                code["user_code"].as_str().unwrap(),
                None,
            );
        });
        sb.call(
            "YandexID.WaitForToken",
            with(
                client(),
                json!({"device_code": code["device_code"], "interval": code["interval"]}),
            ),
        )
    });
    let tokens = ok(tokens);
    assert!(tokens["access_token"].is_string());
    let elapsed = started.elapsed();
    assert!(elapsed >= approval_delay, "returned before the approval: {elapsed:?}");
    // Polls happen every interval (1 s), so the answer comes within one interval of approval
    // (plus scheduling slack on a busy machine).
    assert!(
        elapsed < approval_delay + Duration::from_millis(2500),
        "took {elapsed:?}"
    );
}

#[test]
fn wait_for_token_honours_slow_down() {
    let sb = sandbox();
    sb.settings(json!({"yandex_device_interval_s": 1}));
    let code = ok(sb.call("YandexID.GetConfirmationCode", json!({"client_id": YANDEX_CLIENT_ID})));
    sb.approve_device(
        code["verification_url"].as_str().unwrap(),
        code["user_code"].as_str().unwrap(),
        None,
    );
    // The first poll is told to slow down; the next one comes 1 + 5 seconds later.
    sb.fault(json!({
        "method": "POST", "path": "/yandex-oauth/token", "status": 400,
        "body": {"error": "slow_down", "error_description": "Polling too frequently"}
    }));
    let tokens = sb.call(
        "YandexID.WaitForToken",
        with(client(), json!({"device_code": code["device_code"], "interval": 1})),
    );
    ok(tokens);
    let polls = sb.requests_to("/yandex-oauth/token");
    assert_eq!(polls.len(), 2, "{polls:?}");
    let gap = polls[1]["at_ms"].as_u64().unwrap() - polls[0]["at_ms"].as_u64().unwrap();
    assert!(gap >= 5900, "the poll after slow_down came {gap} ms later");
}

#[test]
fn wait_for_token_stops_when_the_progress_callback_cancels() {
    let sb = sandbox();
    let code = ok(sb.call("YandexID.GetConfirmationCode", json!({"client_id": YANDEX_CLIENT_ID})));
    let started = Instant::now();
    let mut calls = 0;
    let reply = sb.call_with_progress(
        "YandexID.WaitForToken",
        with(client(), json!({"device_code": code["device_code"], "interval": 5})),
        &mut |_, _| {
            calls += 1;
            started.elapsed() > Duration::from_millis(300)
        },
    );
    assert_eq!(err(reply)["code"], "cancelled");
    assert!(calls > 1);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "cancellation took {:?}",
        started.elapsed()
    );
}

#[test]
fn wait_for_token_reports_expiry() {
    let sb = sandbox();
    sb.settings(json!({"yandex_device_interval_s": 1, "yandex_device_expires_in_s": 2}));
    let code = ok(sb.call("YandexID.GetConfirmationCode", json!({"client_id": YANDEX_CLIENT_ID})));
    let reply = sb.call(
        "YandexID.WaitForToken",
        with(client(), json!({"device_code": code["device_code"], "interval": 1})),
    );
    assert_eq!(err(reply)["code"], "expired");
}

#[test]
fn refresh_rotates_and_the_old_refresh_token_is_refused() {
    let sb = sandbox();
    let tokens = sb.sign_in();
    let refreshed = ok(sb.call(
        "YandexID.RefreshToken",
        with(client(), json!({"refresh_token": tokens["refresh_token"]})),
    ));
    assert_ne!(refreshed["refresh_token"], tokens["refresh_token"]);
    assert!(refreshed["access_token"].is_string());
    // The old refresh token is now refused, with a clear error.
    let stale = err(sb.call(
        "YandexID.RefreshToken",
        with(client(), json!({"refresh_token": tokens["refresh_token"]})),
    ));
    assert_eq!(stale["code"], "invalid_grant");
    assert_eq!(stale["upstream"]["error"], "invalid_grant");
    assert!(
        stale["message"].as_str().unwrap().contains("store the new one"),
        "{stale}"
    );

    let bogus = err(sb.call(
        "YandexID.RefreshToken",
        with(client(), json!({"refresh_token": "1:not:a:token"})),
    ));
    assert_eq!(bogus["code"], "invalid_grant");
    assert!(bogus["message"].as_str().unwrap().contains("sign in again"), "{bogus}");
    // The newest refresh token works.
    ok(sb.call(
        "YandexID.RefreshToken",
        with(client(), json!({"refresh_token": refreshed["refresh_token"]})),
    ));
}

#[test]
fn authorization_code_with_pkce() {
    let sb = sandbox();
    let link = ok(sb.call(
        "YandexID.FormAuthorizationLink",
        json!({"client_id": YANDEX_CLIENT_ID, "state": "xyz"}),
    ));
    let url = link["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!(
            "{}/yandex-oauth/authorize?response_type=code&client_id=",
            sb.url()
        )),
        "{url}"
    );
    assert!(url.contains("code_challenge_method=S256"));
    assert_eq!(link["state"], "xyz");
    let verifier = link["code_verifier"].as_str().unwrap();
    assert!(verifier.len() >= 43);

    let location = sb.follow_authorization(url);
    assert_eq!(location_param(&location, "state").as_deref(), Some("xyz"));
    let code = location_param(&location, "code").expect("a code in the redirect");
    assert_eq!(code.len(), 7);

    // A wrong verifier is refused as the real service refuses it (and uses the code up).
    let wrong = err(sb.call(
        "YandexID.GetTokenByCode",
        with(client(), json!({"code": code, "code_verifier": "x".repeat(43)})),
    ));
    assert_eq!(wrong["code"], "invalid_grant");
    assert_eq!(wrong["upstream"]["error"], "invalid_grant");

    let link = ok(sb.call("YandexID.FormAuthorizationLink", json!({"client_id": YANDEX_CLIENT_ID})));
    assert!(!link["state"].as_str().unwrap().is_empty(), "a state is always made");
    let location = sb.follow_authorization(link["url"].as_str().unwrap());
    let code = location_param(&location, "code").unwrap();
    let tokens = ok(sb.call(
        "YandexID.GetTokenByCode",
        with(client(), json!({"code": code, "code_verifier": link["code_verifier"]})),
    ));
    assert!(tokens["refresh_token"].is_string());
    // A code is good once.
    let again = err(sb.call(
        "YandexID.GetTokenByCode",
        with(client(), json!({"code": code, "code_verifier": link["code_verifier"]})),
    ));
    assert_eq!(again["code"], "invalid_grant");
}

#[test]
fn implicit_link_puts_the_token_in_the_fragment() {
    let sb = sandbox();
    let link = ok(sb.call(
        "YandexID.FormAuthorizationLink",
        json!({"client_id": YANDEX_CLIENT_ID, "response_type": "token", "scope": ["login:info", "login:email"], "force_confirm": "true"}),
    ));
    assert!(link.get("code_verifier").is_none());
    let url = link["url"].as_str().unwrap();
    assert!(
        url.contains("response_type=token")
            && url.contains("force_confirm=yes")
            && url.contains("scope=login%3Ainfo+login%3Aemail"),
        "{url}"
    );
    let location = sb.follow_authorization(url);
    assert!(location.contains('#'), "{location}");
    let token = location_param(&location, "access_token").unwrap();
    let info = ok(sb.call("YandexID.GetUserInfo", json!({"token": token})));
    assert_eq!(info["default_email"], "owner@sandbox-org.ru");
    let bad = err(sb.call(
        "YandexID.FormAuthorizationLink",
        json!({"client_id": YANDEX_CLIENT_ID, "response_type": "magic"}),
    ));
    assert_eq!(bad["code"], "invalid_params");
}

#[test]
fn user_info_names_the_signed_in_person() {
    let sb = sandbox();
    let tokens = sb.sign_in_as(Some("1130000000000002"), None);
    let info = ok(sb.call("YandexID.GetUserInfo", json!({"token": tokens["access_token"]})));
    assert_eq!(info["id"], "1130000000000002");
    assert_eq!(info["login"], "ivan.petrov");
    assert_eq!(info["client_id"], YANDEX_CLIENT_ID);
    let refused = err(sb.call("YandexID.GetUserInfo", json!({"token": "y0_invalid"})));
    assert_eq!(refused["code"], "unauthorized");
    assert_eq!(refused["http_status"], 401);
}

#[test]
fn revoke_works_for_device_tokens_only() {
    let sb = sandbox();
    let device_tokens = sb.sign_in_as(None, Some("diskbridge-test-device"));
    let revoked = ok(sb.call(
        "YandexID.RevokeToken",
        with(client(), json!({"access_token": device_tokens["access_token"]})),
    ));
    assert_eq!(revoked, json!({"status": "ok"}));
    // Revoking again is still ok, and the token no longer works.
    ok(sb.call(
        "YandexID.RevokeToken",
        with(client(), json!({"access_token": device_tokens["access_token"]})),
    ));
    assert_eq!(
        err(sb.call("YandexID.GetUserInfo", json!({"token": device_tokens["access_token"]})))["code"],
        "unauthorized"
    );

    let plain_tokens = sb.sign_in();
    let refused = err(sb.call(
        "YandexID.RevokeToken",
        with(client(), json!({"access_token": plain_tokens["access_token"]})),
    ));
    assert_eq!(refused["code"], "bad_request");
    assert_eq!(refused["upstream"]["error"], "unsupported_token_type");
    let bad_device = err(sb.call(
        "YandexID.GetConfirmationCode",
        json!({"client_id": YANDEX_CLIENT_ID, "device_id": "abc"}),
    ));
    assert_eq!(bad_device["code"], "invalid_params");
}

#[test]
fn wrong_client_credentials_are_refused() {
    let sb = sandbox();
    let code = ok(sb.call("YandexID.GetConfirmationCode", json!({"client_id": YANDEX_CLIENT_ID})));
    let refused = err(sb.call(
        "YandexID.ConvertCodeToToken",
        json!({"client_id": YANDEX_CLIENT_ID, "client_secret": "wrong-secret", "device_code": code["device_code"]}),
    ));
    assert_eq!(refused["code"], "invalid_client");
    let unknown = err(sb.call("YandexID.GetConfirmationCode", json!({"client_id": "no-such-client"})));
    assert_eq!(unknown["code"], "invalid_client");
}

#[test]
fn concurrent_expired_credentials_refresh_once() {
    let sb = sandbox();
    let tokens = sb.sign_in();
    let mut credentials = sb.credentials(&tokens);
    credentials["expires_at"] = json!(1); // long expired: refresh ahead of the call
    credentials["note"] = json!("kept for the host");
    sb.clear_requests();
    let replies: Vec<Value> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..20)
            .map(|_| scope.spawn(|| sb.call("YandexID.GetUserInfo", json!({"credentials": credentials}))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let first_credentials = replies[0]["credentials"].clone();
    for reply in &replies {
        assert_eq!(ok(reply.clone())["login"], "sandbox-owner");
        let fresh = &reply["credentials"];
        assert_eq!(fresh, &first_credentials, "every caller gets the same new tokens");
        assert_ne!(fresh["refresh_token"], tokens["refresh_token"]);
        assert!(fresh["expires_at"].as_i64().unwrap() > 1_700_000_000);
        assert_eq!(fresh["note"], "kept for the host");
    }
    assert_eq!(sb.requests_to("/yandex-oauth/token").len(), 1, "exactly one refresh");
    assert_eq!(sb.requests_to("/yandex-login/info").len(), 20);

    // A caller arriving later with the rotated-out refresh token gets the same new tokens.
    let late = sb.call("YandexID.GetUserInfo", json!({"credentials": credentials}));
    assert_eq!(late["credentials"], first_credentials);
    assert_eq!(sb.requests_to("/yandex-oauth/token").len(), 1);
}

#[test]
fn credentials_refresh_after_a_401_and_retry_once() {
    let sb = sandbox();
    let tokens = sb.sign_in();
    let mut credentials = sb.credentials(&tokens);
    credentials["access_token"] = json!("y0_stale_token_the_service_refuses");
    let reply = sb.call("YandexID.GetUserInfo", json!({"credentials": credentials}));
    assert_eq!(ok(reply.clone())["login"], "sandbox-owner");
    assert!(reply["credentials"]["access_token"]
        .as_str()
        .unwrap()
        .starts_with("y0_"));
    assert_ne!(reply["credentials"]["access_token"], credentials["access_token"]);
    let infos = sb.requests_to("/yandex-login/info");
    assert_eq!(infos.len(), 2, "one refused call, one retry");

    // A plain token gets no refresh: the 401 is the answer.
    let plain = err(sb.call("YandexID.GetUserInfo", json!({"token": "y0_stale"})));
    assert_eq!(plain["code"], "unauthorized");
    let missing = err(sb.call(
        "YandexID.GetUserInfo",
        json!({"credentials": {"client_id": YANDEX_CLIENT_ID}}),
    ));
    assert_eq!(missing["code"], "invalid_params");
}
