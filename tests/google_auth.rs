//! Google sign-in (GoogleWorkspace) through the C ABI against the sandbox.

mod common;

use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{err, location_param, ok, raw_call, sandbox, TestSandbox};
use diskbridge_sandbox::{GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET};
use serde_json::{json, Value};

fn with(mut base: Value, extra: Value) -> Value {
    for (key, value) in extra.as_object().unwrap() {
        base[key] = value.clone();
    }
    base
}

/// The claims of the JWT assertion the library sent in its last jwt-bearer request.
fn last_assertion(sb: &TestSandbox) -> (Value, Value) {
    let request = sb.requests_to("/google-oauth/token").pop().expect("a token request");
    let form: Vec<(String, String)> = url::form_urlencoded::parse(request["body"].as_str().unwrap().as_bytes())
        .into_owned()
        .collect();
    let assertion = &form.iter().find(|(k, _)| k == "assertion").expect("an assertion").1;
    let parts: Vec<&str> = assertion.split('.').collect();
    assert_eq!(parts.len(), 3);
    let decode = |part: &str| serde_json::from_slice::<Value>(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap();
    (decode(parts[0]), decode(parts[1]))
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn the_default_link_is_opis_character_for_character() {
    // OPI's FormCodeRetrievalLink (docs/peers.md §6.3): endpoint /o/oauth2/auth, parameters in
    // the order response_type, client_id, redirect_uri, access_type, scope; the three scopes in
    // the order calendar, drive, sheets, joined by %20; `:` and `/` left unencoded. This is the
    // URL OPI builds for this client ID with its defaults:
    const OPI_URL: &str = "https://accounts.google.com/o/oauth2/auth?response_type=code&client_id=345947435167-3m4k5n6o7p8q9r0s.apps.googleusercontent.com&redirect_uri=http://localhost&access_type=offline&scope=https://www.googleapis.com/auth/calendar%20https://www.googleapis.com/auth/drive%20https://www.googleapis.com/auth/spreadsheets";
    let params = json!({"client_id": "345947435167-3m4k5n6o7p8q9r0s.apps.googleusercontent.com"});
    // No options: the real endpoints (scripts/test.sh leaves DISKBRIDGE_SANDBOX unset).
    let link = ok(raw_call("GoogleWorkspace.FormCodeRetrievalLink", &params.to_string()));
    assert_eq!(link["url"], OPI_URL);
    assert!(link.get("code_verifier").is_none() && link.get("state").is_none());
    // The same through GoogleDrive's Russian alias with OPI's parameter names.
    let opi = json!({"ClientID": "345947435167-3m4k5n6o7p8q9r0s.apps.googleusercontent.com", "Calendar": "true"});
    let link = ok(raw_call(
        "GoogleDrive.СформироватьСсылкуПолученияКода",
        &opi.to_string(),
    ));
    assert_eq!(link["url"], OPI_URL);

    // Flags drop their scopes; state and PKCE are appended after OPI's parameters.
    let link = ok(raw_call(
        "GoogleWorkspace.FormCodeRetrievalLink",
        &json!({"client_id": "id", "calendar": false, "sheets": "false", "state": "s 1", "pkce": true}).to_string(),
    ));
    let url = link["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://accounts.google.com/o/oauth2/auth?response_type=code&client_id=id&redirect_uri=http://localhost&access_type=offline&scope=https://www.googleapis.com/auth/drive&state=s%201&code_challenge="),
        "{url}"
    );
    assert!(url.ends_with("&code_challenge_method=S256"));
    assert!(link["code_verifier"].as_str().unwrap().len() >= 43);
    let none = err(raw_call(
        "GoogleWorkspace.FormCodeRetrievalLink",
        &json!({"client_id": "id", "calendar": false, "drive": false, "sheets": false}).to_string(),
    ));
    assert_eq!(none["code"], "invalid_params");
}

#[test]
fn opis_copy_paste_flow_works_and_a_code_is_good_once() {
    let sb = sandbox();
    let link = ok(sb.call(
        "GoogleDrive.FormCodeRetrievalLink",
        json!({"client_id": GOOGLE_CLIENT_ID}),
    ));
    // The person consents; the browser lands on http://localhost?code=… (which fails to load).
    let location = sb.follow_authorization(link["url"].as_str().unwrap());
    assert!(location.starts_with("http://localhost?"), "{location}");
    let code = location_param(&location, "code").unwrap();
    let exchange = with(sb.google_client(), json!({"Code": code}));
    let tokens = ok(sb.call("GoogleDrive.ПолучитьТокенПоКоду", exchange.clone()));
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["refresh_token"].is_string());
    assert!(tokens["scope"].as_str().unwrap().contains("auth/drive"));
    let again = err(sb.call("GoogleWorkspace.GetTokenByCode", exchange));
    assert_eq!(again["code"], "invalid_grant");
    assert_eq!(again["upstream"]["error"], "invalid_grant");
    assert!(again["message"]
        .as_str()
        .unwrap()
        .contains("StartLoopbackAuthorization"));
}

#[test]
fn link_with_pkce_needs_its_verifier() {
    let sb = sandbox();
    let link = ok(sb.call(
        "GoogleWorkspace.FormCodeRetrievalLink",
        json!({"client_id": GOOGLE_CLIENT_ID, "pkce": true, "state": "st", "redirect_uri": "http://127.0.0.1:9/cb"}),
    ));
    let location = sb.follow_authorization(link["url"].as_str().unwrap());
    assert_eq!(location_param(&location, "state").as_deref(), Some("st"));
    let code = location_param(&location, "code").unwrap();
    let base = with(
        sb.google_client(),
        json!({"code": code, "redirect_uri": "http://127.0.0.1:9/cb"}),
    );
    let missing = err(sb.call("GoogleWorkspace.GetTokenByCode", base.clone()));
    assert_eq!(missing["code"], "invalid_grant");
    // With the verifier of its link, a code is accepted.
    let link2 = ok(sb.call(
        "GoogleWorkspace.FormCodeRetrievalLink",
        json!({"client_id": GOOGLE_CLIENT_ID, "pkce": true, "redirect_uri": "http://127.0.0.1:9/cb"}),
    ));
    let code2 = location_param(&sb.follow_authorization(link2["url"].as_str().unwrap()), "code").unwrap();
    let tokens = ok(sb.call(
        "GoogleWorkspace.GetTokenByCode",
        with(base, json!({"code": code2, "code_verifier": link2["code_verifier"]})),
    ));
    assert!(tokens["access_token"].is_string());
}

#[test]
fn loopback_sign_in_end_to_end() {
    let sb = sandbox();
    let (started, location) = sb.google_consent(json!({"scopes": ["drive", "openid"]}));
    let url = started["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/google-accounts/o/oauth2/v2/auth?", sb.url())),
        "{url}"
    );
    for part in [
        "code_challenge_method=S256",
        "access_type=offline",
        "state=",
        "response_type=code",
    ] {
        assert!(url.contains(part), "{part} missing in {url}");
    }
    let redirect_uri = started["redirect_uri"].as_str().unwrap();
    assert!(redirect_uri.starts_with("http://127.0.0.1:") && redirect_uri.ends_with('/'));
    assert!(location.starts_with(redirect_uri), "{location}");

    // Browsers also ask for other things, and open connections that send nothing.
    let idle = std::net::TcpStream::connect(redirect_uri.trim_start_matches("http://").trim_end_matches('/')).unwrap();
    let favicon = sb.browse(&format!("{redirect_uri}favicon.ico")).unwrap();
    assert_eq!(favicon.status().as_u16(), 404);

    let page = sb.browse(&location).unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().unwrap().contains("close this window"));
    drop(idle);
    let tokens = ok(sb.call(
        "GoogleWorkspace.CompleteLoopbackAuthorization",
        json!({"session": started["session"]}),
    ));
    assert!(
        tokens["refresh_token"].is_string(),
        "offline access gives a refresh token"
    );
    assert!(tokens["id_token"].is_string());
    // The exchange sent the exact redirect URI and the PKCE verifier.
    let exchange = sb.requests_to("/google-oauth/token").pop().unwrap();
    let body = exchange["body"].as_str().unwrap();
    assert!(body.contains("code_verifier=") && body.contains("grant_type=authorization_code"));
    assert!(body.contains(&format!(
        "redirect_uri={}",
        url::form_urlencoded::byte_serialize(redirect_uri.as_bytes()).collect::<String>()
    )));
    // The tokens work.
    ok(sb.call("GoogleDrive.GetFilesList", json!({"token": tokens["access_token"]})));

    // The code cannot be used twice: it was exchanged already.
    let code = location_param(&location, "code").unwrap();
    let reused = err(sb.call(
        "GoogleWorkspace.GetTokenByCode",
        with(sb.google_client(), json!({"code": code, "redirect_uri": redirect_uri})),
    ));
    assert_eq!(reused["code"], "invalid_grant");
    // The listener is gone, and the session was collected.
    assert!(sb.browse(&location).is_err(), "the listener closed");
    let gone = err(sb.call(
        "GoogleWorkspace.CompleteLoopbackAuthorization",
        json!({"session": started["session"]}),
    ));
    assert_eq!(gone["code"], "expired");
}

#[test]
fn loopback_refuses_a_forged_or_missing_state() {
    let sb = sandbox();
    let (started, location) = sb.google_consent(json!({}));
    let state = location_param(&location, "state").unwrap();
    let forged = location.replace(&format!("state={state}"), "state=forged-by-someone-else");
    sb.clear_requests();
    let page = sb.browse(&forged).unwrap();
    assert_eq!(page.status().as_u16(), 400);
    let refused = err(sb.call(
        "GoogleWorkspace.CompleteLoopbackAuthorization",
        json!({"session": started["session"]}),
    ));
    assert_eq!(refused["code"], "access_denied");
    assert!(refused["message"].as_str().unwrap().contains("state"));
    assert!(
        sb.requests_to("/google-oauth/token").is_empty(),
        "no code was exchanged"
    );
    // The genuine redirect comes too late: the session is over.
    assert!(sb.browse(&location).is_err());

    let (started, location) = sb.google_consent(json!({}));
    let code = location_param(&location, "code").unwrap();
    let listener = started["redirect_uri"].as_str().unwrap();
    let page = sb.browse(&format!("{listener}?code={code}")).unwrap();
    assert_eq!(page.status().as_u16(), 400);
    let refused = err(sb.call(
        "GoogleWorkspace.CompleteLoopbackAuthorization",
        json!({"session": started["session"]}),
    ));
    assert_eq!(refused["code"], "access_denied");
}

#[test]
fn loopback_reports_a_declined_consent() {
    let sb = sandbox();
    let started = ok(sb.call("GoogleWorkspace.StartLoopbackAuthorization", sb.google_client()));
    let declined = format!("{}&sandbox_consent=deny", started["url"].as_str().unwrap());
    let location = sb.follow_authorization(&declined);
    assert_eq!(location_param(&location, "error").as_deref(), Some("access_denied"));
    assert_eq!(sb.browse(&location).unwrap().status().as_u16(), 200);
    let denied = err(sb.call(
        "GoogleWorkspace.CompleteLoopbackAuthorization",
        json!({"session": started["session"]}),
    ));
    assert_eq!(denied["code"], "access_denied");
}

#[test]
fn loopback_sessions_time_out_and_can_be_cancelled() {
    let sb = sandbox();
    // Complete's own timeout leaves the session waiting.
    let (started, location) = sb.google_consent(json!({}));
    let waited = err(sb.call(
        "GoogleWorkspace.CompleteLoopbackAuthorization",
        json!({"session": started["session"], "timeout_s": 1}),
    ));
    assert_eq!(waited["code"], "timeout");
    assert_eq!(sb.browse(&location).unwrap().status().as_u16(), 200);
    ok(sb.call(
        "GoogleWorkspace.CompleteLoopbackAuthorization",
        json!({"session": started["session"]}),
    ));

    // A session nobody completes expires.
    let started = ok(sb.call(
        "GoogleWorkspace.StartLoopbackAuthorization",
        with(sb.google_client(), json!({"timeout_s": 1})),
    ));
    let expired = err(sb.call(
        "GoogleWorkspace.CompleteLoopbackAuthorization",
        json!({"session": started["session"]}),
    ));
    assert_eq!(expired["code"], "expired");
    assert!(
        sb.browse(started["redirect_uri"].as_str().unwrap()).is_err(),
        "the listener closed"
    );

    // Cancelling the wait stops the listener.
    let started = ok(sb.call("GoogleWorkspace.StartLoopbackAuthorization", sb.google_client()));
    let begun = Instant::now();
    let cancelled = sb.call_with_progress(
        "GoogleWorkspace.CompleteLoopbackAuthorization",
        json!({"session": started["session"]}),
        &mut |_, _| begun.elapsed() > Duration::from_millis(300),
    );
    assert_eq!(err(cancelled)["code"], "cancelled");
    assert!(begun.elapsed() < Duration::from_secs(3));
    assert!(sb.browse(started["redirect_uri"].as_str().unwrap()).is_err());

    let unknown = err(sb.call(
        "GoogleWorkspace.CompleteLoopbackAuthorization",
        json!({"session": "nope"}),
    ));
    assert_eq!(unknown["code"], "expired");
    let bad = err(sb.call(
        "GoogleWorkspace.StartLoopbackAuthorization",
        with(sb.google_client(), json!({"port": 70000})),
    ));
    assert_eq!(bad["code"], "invalid_params");
}

#[test]
fn service_account_token_for_a_valid_key_and_refused_for_a_tampered_one() {
    let sb = sandbox();
    let key = sb.service_account_key();
    let before = unix_now();
    let tokens = ok(sb.call(
        "GoogleWorkspace.GetServiceAccountToken",
        json!({"key": key, "scope": ["https://www.googleapis.com/auth/drive"]}),
    ));
    assert!(tokens["access_token"].as_str().unwrap().starts_with("ya29."));
    assert!(tokens.get("refresh_token").is_none());
    let (header, claims) = last_assertion(&sb);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], key["private_key_id"]);
    assert_eq!(claims["iss"], key["client_email"]);
    assert_eq!(claims["aud"], key["token_uri"]);
    let iat = claims["iat"].as_i64().unwrap();
    assert!(iat >= before && iat <= unix_now(), "real Unix time: {iat}");
    assert_eq!(claims["exp"].as_i64().unwrap(), iat + 3600);
    assert!(claims.get("sub").is_none());
    // A service account can make folders (it owns no files: see the Drive tests).
    ok(sb.call(
        "GoogleDrive.CreateFolder",
        json!({"token": tokens["access_token"], "name": "sa folder"}),
    ));

    // OPI's names, the key as a file path, a delegated subject, a shorter life.
    let path = std::env::temp_dir().join(format!("diskbridge-sa-{}.json", std::process::id()));
    std::fs::write(&path, key.to_string()).unwrap();
    let delegated = ok(sb.call(
        "GoogleDrive.ПолучитьТокенServiceАккаунта",
        json!({"Данные": path.to_str().unwrap(), "ОбластиДействия": "drive", "ВремяЖизни": "600", "subject": "anna@sandbox-workspace.example"}),
    ));
    assert!(delegated["access_token"].is_string());
    let (_, claims) = last_assertion(&sb);
    assert_eq!(claims["sub"], "anna@sandbox-workspace.example");
    assert_eq!(claims["scope"], "https://www.googleapis.com/auth/drive");
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 600);
    let _ = std::fs::remove_file(&path);
    // The key as JSON text works too.
    ok(sb.call(
        "GoogleWorkspace.GetServiceAccountToken",
        json!({"key": key.to_string(), "scope": "https://www.googleapis.com/auth/drive.file"}),
    ));

    // A tampered key: another RSA key in the file. Google checks the signature and refuses.
    let mut tampered = key.clone();
    tampered["private_key"] = json!(common::UNRELATED_RSA_KEY);
    let refused = err(sb.call(
        "GoogleWorkspace.GetServiceAccountToken",
        json!({"key": tampered, "scope": "drive"}),
    ));
    assert_eq!(refused["code"], "invalid_grant");
    assert_eq!(refused["upstream"]["error"], "invalid_grant");
    // A key whose account was altered is refused just the same.
    let mut impostor = key.clone();
    impostor["client_email"] = json!("someone-else@sandbox-project.iam.gserviceaccount.com");
    assert_eq!(
        err(sb.call(
            "GoogleWorkspace.GetServiceAccountToken",
            json!({"key": impostor, "scope": "drive"})
        ))["code"],
        "invalid_grant"
    );
    // A consumer account cannot be impersonated.
    let refused = err(sb.call(
        "GoogleWorkspace.GetServiceAccountToken",
        json!({"key": key, "scope": "drive", "subject": "someone@gmail.com"}),
    ));
    assert_eq!(refused["code"], "invalid_client");
    assert!(refused["message"].as_str().unwrap().contains("domain-wide delegation"));

    // Local checks: a broken PEM, a missing field, a lifetime beyond Google's hour, no file.
    let mut broken = key.clone();
    broken["private_key"] = json!("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");
    let error = err(sb.call(
        "GoogleWorkspace.GetServiceAccountToken",
        json!({"key": broken, "scope": "drive"}),
    ));
    assert_eq!(error["code"], "invalid_params");
    assert!(!error["message"].as_str().unwrap().contains("not a key"));
    let mut nameless = key.clone();
    nameless.as_object_mut().unwrap().remove("client_email");
    assert_eq!(
        err(sb.call(
            "GoogleWorkspace.GetServiceAccountToken",
            json!({"key": nameless, "scope": "drive"})
        ))["code"],
        "invalid_params"
    );
    assert_eq!(
        err(sb.call(
            "GoogleWorkspace.GetServiceAccountToken",
            json!({"key": key, "scope": "drive", "expire": 7200})
        ))["code"],
        "invalid_params"
    );
    assert_eq!(
        err(sb.call(
            "GoogleWorkspace.GetServiceAccountToken",
            json!({"key": "/no/such/key.json", "scope": "drive"})
        ))["code"],
        "local_io"
    );
}

#[test]
fn refresh_keeps_the_refresh_token() {
    let sb = sandbox();
    let tokens = sb.google_sign_in();
    let refreshed = ok(sb.call(
        "GoogleDrive.RefreshToken",
        with(sb.google_client(), json!({"RefreshToken": tokens["refresh_token"]})),
    ));
    assert!(refreshed.get("refresh_token").is_none());
    assert_ne!(refreshed["access_token"], tokens["access_token"]);
    // Google does not rotate: the same refresh token works again.
    ok(sb.call(
        "GoogleWorkspace.RefreshToken",
        with(sb.google_client(), json!({"refresh_token": tokens["refresh_token"]})),
    ));
    let refused = err(sb.call(
        "GoogleWorkspace.RefreshToken",
        with(sb.google_client(), json!({"refresh_token": "1//not-a-refresh-token"})),
    ));
    assert_eq!(refused["code"], "invalid_grant");
    assert!(refused["message"].as_str().unwrap().contains("sign in again"));
    let wrong_secret = err(sb.call(
        "GoogleWorkspace.RefreshToken",
        json!({"client_id": GOOGLE_CLIENT_ID, "client_secret": "wrong", "refresh_token": tokens["refresh_token"]}),
    ));
    assert_eq!(wrong_secret["code"], "invalid_client");
}

#[test]
fn drive_credentials_refresh_ahead_of_expiry_and_after_a_401() {
    let sb = sandbox();
    let tokens = sb.google_sign_in();
    let mut credentials = sb.google_credentials(&tokens);
    credentials["expires_at"] = json!(1);
    sb.clear_requests();
    let reply = sb.call("GoogleDrive.GetFilesList", json!({"credentials": credentials}));
    ok(reply.clone());
    let fresh = &reply["credentials"];
    assert_ne!(fresh["access_token"], tokens["access_token"]);
    assert_eq!(
        fresh["refresh_token"], tokens["refresh_token"],
        "Google keeps the refresh token"
    );
    assert!(fresh["expires_at"].as_i64().unwrap() > unix_now() + 3000);
    assert_eq!(sb.requests_to("/google-oauth/token").len(), 1);
    let listing = sb.requests_to("/drive/v3/files").pop().unwrap();
    assert_eq!(
        listing["headers"]["authorization"],
        format!("Bearer {}", fresh["access_token"].as_str().unwrap())
    );

    let mut stale = sb.google_credentials(&tokens);
    stale["access_token"] = json!("ya29.stale-token-the-service-refuses");
    let reply = sb.call("GoogleDrive.GetFilesList", json!({"credentials": stale}));
    ok(reply.clone());
    assert!(reply["credentials"]["access_token"]
        .as_str()
        .unwrap()
        .starts_with("ya29."));
    assert_ne!(reply["credentials"]["access_token"], stale["access_token"]);

    let plain = err(sb.call("GoogleDrive.GetFilesList", json!({"token": "ya29.stale"})));
    assert_eq!(plain["code"], "unauthorized");
}

#[test]
fn device_flow_waits_for_approval_and_honours_slow_down() {
    let sb = sandbox();
    sb.settings(json!({"google_device_interval_s": 1}));
    let code = ok(sb.call(
        "GoogleWorkspace.GetDeviceCode",
        json!({"client_id": GOOGLE_CLIENT_ID, "scope": ["drive.file", "email"]}),
    ));
    for key in ["device_code", "user_code", "verification_url", "expires_in", "interval"] {
        assert!(code.get(key).is_some(), "{key} missing in {code}");
    }
    let wait = with(
        sb.google_client(),
        json!({"device_code": code["device_code"], "interval": 1}),
    );
    // A poll sooner than the interval is told to slow down; the next one comes 5 s later.
    sb.fault(json!({
        "method": "POST", "path": "/google-oauth/token", "status": 403,
        "body": {"error": "slow_down", "error_description": "Forbidden"}
    }));
    sb.clear_requests();
    let tokens = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(1500));
            sb.google_device_decision(
                code["verification_url"].as_str().unwrap(),
                code["user_code"].as_str().unwrap(),
                true,
            );
        });
        sb.call("GoogleWorkspace.WaitForDeviceToken", wait.clone())
    });
    let tokens = ok(tokens);
    assert!(tokens["access_token"].is_string());
    let polls = sb.requests_to("/google-oauth/token");
    assert!(polls.len() >= 2, "{polls:?}");
    let gap = polls[1]["at_ms"].as_u64().unwrap() - polls[0]["at_ms"].as_u64().unwrap();
    assert!(gap >= 5900, "the poll after slow_down came {gap} ms later");
    // The device code is used up.
    assert!(err(sb.call("GoogleWorkspace.WaitForDeviceToken", wait))["code"] != "authorization_pending");
}

#[test]
fn device_flow_errors() {
    let sb = sandbox();
    sb.settings(json!({"google_device_interval_s": 1}));
    let full_drive = err(sb.call(
        "GoogleWorkspace.GetDeviceCode",
        json!({"client_id": GOOGLE_CLIENT_ID, "scope": "https://www.googleapis.com/auth/drive"}),
    ));
    assert_eq!(full_drive["upstream"]["error"], "invalid_scope");
    assert!(full_drive["message"].as_str().unwrap().contains("drive.file"));

    let code = ok(sb.call(
        "GoogleWorkspace.GetDeviceCode",
        json!({"client_id": GOOGLE_CLIENT_ID, "scope": "drive.file"}),
    ));
    sb.google_device_decision(
        code["verification_url"].as_str().unwrap(),
        code["user_code"].as_str().unwrap(),
        false,
    );
    let denied = err(sb.call(
        "GoogleWorkspace.WaitForDeviceToken",
        with(
            sb.google_client(),
            json!({"device_code": code["device_code"], "interval": 1}),
        ),
    ));
    assert_eq!(denied["code"], "access_denied");

    let code = ok(sb.call(
        "GoogleWorkspace.GetDeviceCode",
        json!({"client_id": GOOGLE_CLIENT_ID, "scope": "drive.file"}),
    ));
    sb.advance_clock(code["expires_in"].as_i64().unwrap() + 1);
    let expired = err(sb.call(
        "GoogleWorkspace.WaitForDeviceToken",
        with(
            sb.google_client(),
            json!({"device_code": code["device_code"], "interval": 1}),
        ),
    ));
    assert_eq!(expired["code"], "expired");
    assert!(expired["message"].as_str().unwrap().contains("GetDeviceCode again"));

    let code = ok(sb.call(
        "GoogleWorkspace.GetDeviceCode",
        json!({"client_id": GOOGLE_CLIENT_ID, "scope": "drive.file"}),
    ));
    let pending = err(sb.call(
        "GoogleWorkspace.WaitForDeviceToken",
        with(
            sb.google_client(),
            json!({"device_code": code["device_code"], "interval": 1, "timeout_s": 1}),
        ),
    ));
    assert_eq!(pending["code"], "timeout");
}

#[test]
fn revoke_ends_the_grant() {
    let sb = sandbox();
    let tokens = sb.google_sign_in();
    assert_eq!(
        ok(sb.call("GoogleWorkspace.RevokeToken", json!({"token": tokens["refresh_token"]}))),
        json!({})
    );
    let refused = err(sb.call("GoogleDrive.GetFilesList", json!({"token": tokens["access_token"]})));
    assert_eq!(refused["code"], "unauthorized");
    let again = err(sb.call("GoogleWorkspace.RevokeToken", json!({"token": tokens["access_token"]})));
    assert_eq!(again["code"], "bad_request");
    assert_eq!(again["upstream"]["error"], "invalid_token");
    let missing = err(sb.call("GoogleWorkspace.RevokeToken", json!({})));
    assert_eq!(missing["code"], "invalid_params");
    // GoogleWorkspace's secret: not in the reply of a refused exchange.
    let wrong = err(sb.call(
        "GoogleWorkspace.GetTokenByCode",
        json!({"client_id": GOOGLE_CLIENT_ID, "client_secret": GOOGLE_CLIENT_SECRET, "code": "4/0not-a-code"}),
    ));
    assert!(!wrong.to_string().contains(GOOGLE_CLIENT_SECRET));
}
