//! OPI command lines for `google` and `gdrive` through the real binary against the sandbox:
//! `login google` with the browser played by the test, an upload and a verified download with
//! `--out`, OPI's re-exported sign-in functions under `gdrive`, and an API error.

mod common;

use common::{pattern, Cli, TempDir};
use diskbridge_sandbox::{GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET};
use serde_json::{json, Value};

/// `login google` through the binary: it prints the consent address, the test's "browser"
/// opens it and follows the redirect back to the loopback listener.
fn login_google(cli: &Cli, extra: &[&str]) -> common::Run {
    let mut args = vec![
        "login",
        "google",
        "--id",
        GOOGLE_CLIENT_ID,
        "--secret",
        GOOGLE_CLIENT_SECRET,
    ];
    args.extend(extra);
    let running = cli.spawn(&args);
    running.line_starting("Open this address in a browser");
    let url = running.next_line();
    cli.consent_in_browser(&url);
    running.finish()
}

#[test]
fn login_google_then_drive_upload_download_and_browse() {
    let cli = Cli::new();
    let dir = TempDir::new("gdrive");
    let login = login_google(&cli, &[]);
    let credentials = login.ok();
    assert_eq!(credentials["client_id"], GOOGLE_CLIENT_ID);
    assert!(credentials["refresh_token"].is_string() && credentials["expires_at"].is_u64());
    let token = credentials["access_token"].as_str().unwrap().to_string();
    assert!(!login.stderr.contains(&token), "no token on stderr");
    let t = token.as_str();

    let bytes = pattern(200 * 1024 + 3);
    std::fs::write(dir.path("report.bin"), &bytes).unwrap();
    // OPI: oint gdrive UploadFile --token … --file … --props '{"Name": …, "Parent": "root"}'
    let uploaded = cli
        .run(&[
            "gdrive",
            "UploadFile",
            "--token",
            t,
            "--file",
            &dir.arg("report.bin"),
            "--props",
            r#"{"MIME": "application/octet-stream", "Name": "report.bin", "Parent": "root"}"#,
        ])
        .ok();
    assert_eq!(uploaded["name"], "report.bin");
    let id = uploaded["id"].as_str().unwrap();

    let download = cli.run(&[
        "gdrive",
        "DownloadFile",
        "--token",
        t,
        "--object",
        id,
        "--out",
        &dir.arg("copy.bin"),
    ]);
    assert_eq!(download.stderr, "", "quiet when stderr is not a terminal");
    download.ok();
    assert_eq!(std::fs::read(dir.path("copy.bin")).unwrap(), bytes);

    let info = cli
        .run(&["gdrive", "ПолучитьИнформациюОбОбъекте", "--token", t, "--object", id])
        .ok();
    assert_eq!(info["size"], bytes.len().to_string());
    let listed = cli
        .run(&["gdrive", "GetFilesList", "--token", t, "--query", "report"])
        .ok();
    assert!(listed.as_array().unwrap().iter().any(|f| f["id"] == id), "{listed}");
    let folder = cli
        .run(&["gdrive", "CreateFolder", "--token", t, "--title", "Reports"])
        .ok();
    assert_eq!(folder["mimeType"], "application/vnd.google-apps.folder");
    let comment = cli
        .run(&[
            "gdrive",
            "CreateComment",
            "--token",
            t,
            "--object",
            id,
            "--text",
            "checked",
        ])
        .ok();
    assert_eq!(comment["content"], "checked");

    let missing = cli.run(&[
        "gdrive",
        "GetObjectInformation",
        "--token",
        t,
        "--object",
        "no-such-file",
    ]);
    let error = missing.failed(1);
    assert_eq!(error["code"], "not_found");
    assert_eq!(error["http_status"], 404);

    // OPI's gdrive re-exports the Google sign-in functions.
    let refresh = credentials["refresh_token"].as_str().unwrap();
    let refreshed = cli
        .run(&[
            "gdrive",
            "RefreshToken",
            "--id",
            GOOGLE_CLIENT_ID,
            "--secret",
            GOOGLE_CLIENT_SECRET,
            "--refresh",
            refresh,
        ])
        .ok();
    assert!(refreshed["access_token"].is_string());
}

#[test]
fn opi_google_link_and_saved_google_credentials() {
    let cli = Cli::new();
    let dir = TempDir::new("google");
    // OPI: oint google FormCodeRetrievalLink --id … (all three scopes by default).
    let link = cli
        .run(&[
            "google",
            "FormCodeRetrievalLink",
            "--id",
            GOOGLE_CLIENT_ID,
            "--calendar",
            "false",
        ])
        .ok();
    let url = link["url"].as_str().unwrap();
    assert!(
        url.contains("redirect_uri=http://localhost") && !url.contains("calendar"),
        "{url}"
    );

    let saved = dir.path("google.json");
    let login = login_google(&cli, &["--save", saved.to_str().unwrap()]);
    assert_eq!(login.ok(), json!({"saved": saved.to_str().unwrap()}));
    let credentials_arg = format!("@{}", saved.to_str().unwrap());
    let about = cli
        .run(&["gdrive", "GetDirectoriesList", "--credentials", &credentials_arg])
        .ok();
    assert!(about.is_array());
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(stored["client_secret"], GOOGLE_CLIENT_SECRET);
}
