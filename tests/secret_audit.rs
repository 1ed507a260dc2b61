//! No token, refresh token, client secret or code appears in a log line or an error message.
//!
//! `secrets_stay_out_of_logs_and_errors` runs a scenario of its own. `whole_run_audit` (ignored
//! by default) is what scripts/test.sh runs last: it reads the log file every test process
//! wrote (DISKBRIDGE_LOG_FILE) and every secret every sandbox handed out
//! (DISKBRIDGE_SANDBOX_SECRETS_FILE), and fails on any secret in any line.

mod common;

use common::{err, ok, sandbox};
use diskbridge_sandbox::{YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET};
use serde_json::json;

fn assert_clean(text: &str, secrets: &[String], what: &str) {
    for secret in secrets.iter().filter(|s| s.len() >= 6) {
        assert!(!text.contains(secret.as_str()), "a secret appears in {what}");
    }
}

#[test]
fn secrets_stay_out_of_logs_and_errors() {
    let dir = std::env::temp_dir().join(format!("diskbridge-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log_file = dir.join("library.log");
    // This test binary is its own process, so configuring the global log here is safe.
    ok(common::raw_call(
        "Library.Configure",
        &json!({"log": {"level": "debug", "file": log_file.to_str().unwrap()}}).to_string(),
    ));
    let sb = sandbox();
    let mut errors = Vec::new();
    let tokens = sb.sign_in_as(None, Some("audit-device"));
    let client = json!({"client_id": YANDEX_CLIENT_ID, "client_secret": YANDEX_CLIENT_SECRET});
    // Refresh, a stale refresh, wrong secrets, a refused token, a 401 refresh, a revoke.
    let mut params = client.clone();
    params["refresh_token"] = tokens["refresh_token"].clone();
    let refreshed = ok(sb.call("YandexID.RefreshToken", params.clone()));
    errors.push(err(sb.call("YandexID.RefreshToken", params)));
    let mut wrong = client.clone();
    wrong["client_secret"] = json!("a-very-secret-wrong-secret");
    wrong["refresh_token"] = refreshed["refresh_token"].clone();
    errors.push(err(sb.call("YandexID.RefreshToken", wrong)));
    errors.push(err(
        sb.call("YandexID.GetUserInfo", json!({"token": "y0_refused_token_value"}))
    ));
    let mut credentials = sb.credentials(&refreshed);
    credentials["access_token"] = json!("y0_stale_access_token");
    let reply = sb.call("YandexID.GetUserInfo", json!({"credentials": credentials}));
    ok(reply.clone());
    let mut bad_code = client.clone();
    bad_code["code"] = json!("1234567");
    bad_code["code_verifier"] = json!("verifier-that-is-secret-too-0123456789abcdef");
    errors.push(err(sb.call("YandexID.GetTokenByCode", bad_code)));
    let mut device = client.clone();
    device["device_code"] = json!("0123456789abcdef0123456789abcdef");
    errors.push(err(sb.call("YandexID.ConvertCodeToToken", device)));
    // A credentials file: renewed and saved, then one whose refresh token is refused.
    let file = dir.join("tokens.json");
    let mut in_file = reply["credentials"].clone();
    in_file["expires_at"] = json!(1);
    std::fs::write(&file, in_file.to_string()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let from_file = sb.call(
        "YandexID.GetUserInfo",
        json!({"credentials_file": file.to_str().unwrap()}),
    );
    assert!(ok(from_file.clone()).is_object() && from_file.get("credentials").is_none());
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    in_file["refresh_token"] = json!("1:a-refresh-token-nobody-issued");
    std::fs::write(&file, in_file.to_string()).unwrap();
    errors.push(err(sb.call(
        "YandexID.GetUserInfo",
        json!({"credentials_file": file.to_str().unwrap()}),
    )));
    let mut revoke = client.clone();
    revoke["access_token"] = saved["access_token"].clone();
    ok(sb.call("YandexID.RevokeToken", revoke));

    let mut secrets = sb.secrets();
    secrets.extend(
        [
            "a-very-secret-wrong-secret",
            "y0_refused_token_value",
            "y0_stale_access_token",
            "verifier-that-is-secret-too-0123456789abcdef",
            "0123456789abcdef0123456789abcdef",
            "1:a-refresh-token-nobody-issued",
        ]
        .map(String::from),
    );
    let log = std::fs::read_to_string(&log_file).unwrap();
    assert!(log.lines().count() > 10, "the scenario was logged at debug level");
    assert!(log.contains("failed: invalid_grant"), "error messages are logged too");
    assert_clean(&log, &secrets, "the log file");
    let memory = ok(common::raw_call("Library.GetLog", r#"{"limit": 1000}"#));
    assert_clean(&memory.to_string(), &secrets, "Library.GetLog");
    for error in &errors {
        assert_clean(error["message"].as_str().unwrap(), &secrets, "an error message");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "run by scripts/test.sh after every other suite"]
fn whole_run_audit() {
    let log_file = std::env::var("DISKBRIDGE_LOG_FILE").expect("DISKBRIDGE_LOG_FILE is set by scripts/test.sh");
    let secrets_file = std::env::var("DISKBRIDGE_SANDBOX_SECRETS_FILE")
        .expect("DISKBRIDGE_SANDBOX_SECRETS_FILE is set by scripts/test.sh");
    let log = std::fs::read_to_string(&log_file).expect("the test run wrote a log");
    let mut secrets: Vec<String> = std::fs::read_to_string(&secrets_file)
        .expect("the sandboxes recorded their secrets")
        .lines()
        .map(String::from)
        .collect();
    secrets.extend([
        YANDEX_CLIENT_SECRET.to_string(),
        diskbridge_sandbox::GOOGLE_CLIENT_SECRET.to_string(),
    ]);
    secrets.sort();
    secrets.dedup();
    assert!(
        log.lines().count() > 100,
        "the whole run was logged ({} lines)",
        log.lines().count()
    );
    assert!(
        secrets.len() > 50,
        "the whole run handed out secrets ({})",
        secrets.len()
    );
    let mut leaks = 0;
    for (number, line) in log.lines().enumerate() {
        if secrets.iter().any(|s| s.len() >= 6 && line.contains(s.as_str())) {
            leaks += 1;
            eprintln!("line {} of {log_file} holds a secret", number + 1);
        }
    }
    assert_eq!(leaks, 0, "log lines holding a secret");
    println!(
        "audited {} log lines against {} secrets",
        log.lines().count(),
        secrets.len()
    );
}
