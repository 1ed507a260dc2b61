//! OPI command lines for `yandex` and `yadisk` through the real binary against the sandbox:
//! sign-in with `login yandex`, an upload and a verified download with `--out`, Russian method
//! names, `--json`, credentials kept up to date in their file, and the exit codes of errors.

mod common;

use common::{pattern, Cli, TempDir};
use diskbridge_sandbox::{YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET};
use serde_json::{json, Value};

#[test]
fn opi_command_lines_upload_download_and_browse_the_disk() {
    let cli = Cli::new();
    let dir = TempDir::new("yadisk");
    let token = cli.token();
    let t = token.as_str();

    // OPI's own examples, word for word but for the name of the binary.
    let info = cli.run(&["yadisk", "GetDiskInformation", "--token", t]).ok();
    assert_eq!(info["user"]["login"], "sandbox-owner");
    let folder = cli
        .run(&["yadisk", "CreateFolder", "--token", t, "--path", "/cli"])
        .ok();
    assert_eq!(folder["path"], "disk:/cli");

    let bytes = pattern(300 * 1024 + 7);
    std::fs::write(dir.path("data.bin"), &bytes).unwrap();
    let upload = cli.run(&[
        "yadisk",
        "UploadFile",
        "--token",
        t,
        "--path",
        "/cli/data.bin",
        "--file",
        &dir.arg("data.bin"),
        "--rewrite",
        "true",
    ]);
    assert_eq!(upload.stderr, "", "quiet when stderr is not a terminal");
    let stored = upload.ok();
    assert_eq!(stored["size"], bytes.len());

    let download = cli.run(&[
        "yadisk",
        "DownloadFile",
        "--token",
        t,
        "--path",
        "/cli/data.bin",
        "--out",
        &dir.arg("copy.bin"),
    ]);
    let downloaded = download.ok();
    assert_eq!(
        std::fs::read(dir.path("copy.bin")).unwrap(),
        bytes,
        "the file went to --out"
    );
    assert_eq!(downloaded["size"], bytes.len());
    assert_eq!(downloaded["md5"], stored["md5"]);

    // OPI's short flags, Russian and lower-case method names.
    let object = cli.run(&["yadisk", "GetObject", "-t", t, "-p", "/cli/data.bin"]).ok();
    assert_eq!(object["type"], "file");
    let listing = cli
        .run(&["yadisk", "ПолучитьОбъект", "--token", t, "--path", "/cli"])
        .ok();
    assert_eq!(listing["_embedded"]["items"][0]["name"], "data.bin");
    let lower = cli
        .run(&["yadisk", "getobject", "--token", t, "--path", "/cli/data.bin"])
        .ok();
    assert_eq!(lower["md5"], stored["md5"]);

    // --json with canonical keys, inline and from a file; flags and JSON together.
    let fields = json!({"path": "/cli/data.bin", "fields": "name,size"});
    let inline = cli
        .run(&["yadisk", "GetObject", "--token", t, "--json", &fields.to_string()])
        .ok();
    assert_eq!(
        (&inline["name"], &inline["size"]),
        (&json!("data.bin"), &json!(bytes.len()))
    );
    assert!(inline.get("md5").is_none(), "only the fields asked for: {inline}");
    std::fs::write(
        dir.path("params.json"),
        json!({"token": t, "path": "/cli", "limit": 1}).to_string(),
    )
    .unwrap();
    let from_file = cli
        .run(&["yadisk", "GetObject", "--json", &format!("@{}", dir.arg("params.json"))])
        .ok();
    assert_eq!(from_file["_embedded"]["limit"], 1);

    // --out of a JSON result writes the JSON there too.
    let out = cli
        .run(&[
            "yadisk",
            "GetFilesList",
            "--token",
            t,
            "--amount",
            "5",
            "--out",
            &dir.arg("files.json"),
        ])
        .ok();
    let written: Value = serde_json::from_str(&std::fs::read_to_string(dir.path("files.json")).unwrap()).unwrap();
    assert_eq!(written, out);
    assert!(
        out["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item["name"] == "data.bin"),
        "{out}"
    );

    // Copy with OPI's flags, then a move with --flag=value.
    let copy = cli
        .run(&[
            "yadisk",
            "CreateObjectCopy",
            "--token",
            t,
            "--from",
            "/cli/data.bin",
            "--to",
            "/cli/copy.bin",
        ])
        .ok();
    assert_eq!(copy["path"], "disk:/cli/copy.bin");
    let moved = cli
        .run(&[
            "yadisk",
            "MoveObject",
            "--token",
            t,
            "--from=/cli/copy.bin",
            "--to=/cli/moved.bin",
        ])
        .ok();
    assert_eq!(moved["path"], "disk:/cli/moved.bin");
    let deleted = cli
        .run(&[
            "yadisk",
            "DeleteObject",
            "--token",
            t,
            "--path",
            "/cli/moved.bin",
            "--can",
            "false",
        ])
        .ok();
    assert_eq!(deleted, json!({}));
}

#[test]
fn login_saves_credentials_that_methods_use_and_keep_fresh() {
    let cli = Cli::new();
    let dir = TempDir::new("login");
    let saved = dir.path("tokens.json");
    let login = cli.login_yandex(Some(&saved));
    assert_eq!(login.ok(), json!({"saved": saved.to_str().unwrap()}));
    assert!(login.stderr.contains("Open "), "{login:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let mut credentials: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    for key in ["access_token", "refresh_token", "expires_at"] {
        assert!(credentials.get(key).is_some(), "{key} saved");
    }
    assert_eq!(credentials["client_id"], YANDEX_CLIENT_ID);
    assert!(
        !login.stderr.contains(credentials["access_token"].as_str().unwrap()),
        "no token on stderr"
    );

    // An expired access token in the file: the library refreshes it and the file is updated.
    let old_refresh = credentials["refresh_token"].clone();
    credentials["expires_at"] = json!(1);
    std::fs::write(&saved, credentials.to_string()).unwrap();
    let credentials_arg = format!("@{}", saved.to_str().unwrap());
    let info = cli.run(&["yadisk", "GetDiskInformation", "--credentials", &credentials_arg]);
    assert_eq!(info.ok()["user"]["login"], "sandbox-owner");
    assert!(
        info.stderr.contains("the tokens were refreshed and saved to"),
        "{info:?}"
    );
    let refreshed: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_ne!(
        refreshed["refresh_token"], old_refresh,
        "Yandex rotated the refresh token"
    );
    assert!(refreshed["expires_at"].as_u64().unwrap() > 1);
    assert!(!info.stderr.contains(refreshed["refresh_token"].as_str().unwrap()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // The `yandex` library with OPI's flags: GetConfirmationCode and RefreshToken.
    let code = cli
        .run(&["yandex", "GetConfirmationCode", "--id", YANDEX_CLIENT_ID])
        .ok();
    assert!(code["user_code"].is_string() && code["verification_url"].is_string());
    let refresh = refreshed["refresh_token"].as_str().unwrap();
    let tokens = cli
        .run(&[
            "yandex",
            "RefreshToken",
            "--id",
            YANDEX_CLIENT_ID,
            "--secret",
            YANDEX_CLIENT_SECRET,
            "--refresh",
            refresh,
        ])
        .ok();
    assert!(tokens["access_token"].is_string());
}

#[test]
fn errors_end_with_the_envelope_one_line_and_their_exit_code() {
    let cli = Cli::new();
    let dir = TempDir::new("errors");
    let token = cli.token();

    let missing = cli.run(&["yadisk", "GetObject", "--token", &token, "--path", "/no/such/file"]);
    let error = missing.failed(1);
    assert_eq!(error["code"], "not_found");
    assert_eq!(error["http_status"], 404);
    assert!(error["upstream"].is_object(), "the service's own error body");
    assert!(
        missing.stderr.starts_with("diskbridge: ") && missing.stderr.contains("[not_found, HTTP 404]"),
        "{missing:?}"
    );

    let refused = cli.run(&["yadisk", "GetDiskInformation", "--token", "y0_refused_by_the_sandbox"]);
    assert_eq!(refused.failed(1)["code"], "unauthorized");
    assert!(
        !refused.stdout.contains("y0_refused_by_the_sandbox") && !refused.stderr.contains("y0_refused_by_the_sandbox")
    );

    let local = cli.run(&[
        "yadisk",
        "UploadFile",
        "--token",
        &token,
        "--path",
        "/x.bin",
        "--file",
        &dir.arg("absent.bin"),
    ]);
    assert_eq!(local.failed(3)["code"], "local_io");

    let unwritable = cli.run(&[
        "yadisk",
        "GetDiskInformation",
        "--token",
        &token,
        "--out",
        &dir.arg("no/such/folder/info.json"),
    ]);
    assert_eq!(unwritable.failed(3)["code"], "local_io");

    let no_sandbox = common::run(&[
        "--sandbox",
        "http://127.0.0.1:9",
        "yandex",
        "GetConfirmationCode",
        "--id",
        "x",
        "--options",
        "{\"retries\": {\"max_attempts\": 1}}",
    ]);
    assert_eq!(no_sandbox.failed(3)["code"], "network");

    let bad_grant = cli.run(&[
        "yandex",
        "ConvertCodeToToken",
        "--id",
        YANDEX_CLIENT_ID,
        "--secret",
        YANDEX_CLIENT_SECRET,
        "--device",
        "0123456789abcdef",
    ]);
    assert_eq!(
        bad_grant.code, 1,
        "unlike OPI, an API error is never exit 0: {bad_grant:?}"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_cancels_a_sign_in_with_exit_4() {
    let cli = Cli::new();
    let running = cli.spawn(&[
        "login",
        "yandex",
        "--id",
        YANDEX_CLIENT_ID,
        "--secret",
        YANDEX_CLIENT_SECRET,
    ]);
    running.line_starting("Open ");
    running.line_starting("Waiting");
    let status = std::process::Command::new("kill")
        .args(["-INT", &running.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let run = running.finish();
    assert_eq!(run.code, 4, "{run:?}");
    assert_eq!(run.json()["error"]["code"], "cancelled");
}

#[test]
fn the_sandbox_from_the_environment() {
    let cli = Cli::new();
    let mut command = common::command();
    command
        .env("DISKBRIDGE_SANDBOX", cli.url())
        .args(["yandex", "GetConfirmationCode", "--id", YANDEX_CLIENT_ID]);
    let code = common::run_command(command).ok();
    assert!(code["verification_url"].as_str().unwrap().starts_with(cli.url()));
}
