//! The tour: diskbridge end to end through its C ABI against a sandbox it starts itself.
//! `cargo run --example tour` — no account anywhere, no network beyond 127.0.0.1.

use std::ffi::{CStr, CString};

use diskbridge::ffi::{diskbridge_call, diskbridge_free, diskbridge_version};
use diskbridge_sandbox::{Sandbox, YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET};
use serde_json::{json, Value};

/// One call through the C ABI, exactly as a C host makes it.
fn call(method: &str, params: Value) -> Value {
    let method_c = CString::new(method).unwrap();
    let params_c = CString::new(params.to_string()).unwrap();
    // SAFETY: valid C strings; the reply is read once and freed once.
    let reply = unsafe {
        let raw = diskbridge_call(method_c.as_ptr(), params_c.as_ptr());
        let text = CStr::from_ptr(raw).to_string_lossy().into_owned();
        diskbridge_free(raw);
        text
    };
    let reply: Value = serde_json::from_str(&reply).expect("replies are JSON");
    if reply["ok"] != json!(true) {
        panic!("{method} failed: {}", reply["error"]);
    }
    reply
}

/// Shows the beginning of a secret only.
fn masked(secret: &Value) -> String {
    let text = secret.as_str().unwrap_or("");
    format!("{}…", text.chars().take(6).collect::<String>())
}

fn step(title: &str) {
    println!("\n== {title}");
}

/// Yandex Disk: upload, list, download with verification, publish, back up a folder.
fn disk_tour(token: &Value) {
    let work = std::env::temp_dir().join(format!("diskbridge-tour-{}", std::process::id()));
    std::fs::create_dir_all(work.join("documents/2024")).unwrap();
    let report = work.join("documents/report.txt");
    std::fs::write(&report, "Quarterly report\n".repeat(1000)).unwrap();
    std::fs::write(work.join("documents/2024/отчёт.txt"), "Годовой отчёт").unwrap();

    step("YandexDisk.GetDiskInformation");
    let info = call("YandexDisk.GetDiskInformation", json!({"token": token}))["result"].clone();
    println!("{} of {} bytes used", info["used_space"], info["total_space"]);

    step("YandexDisk.UploadFile: streamed, no token on the upload host, size and md5 confirmed");
    call("YandexDisk.CreateFolder", json!({"token": token, "path": "/Tour"}));
    let stored = call(
        "YandexDisk.UploadFile",
        json!({"token": token, "path": "/Tour/report.txt", "file": report}),
    )["result"]
        .clone();
    println!(
        "stored {} ({} bytes, md5 {})",
        stored["path"], stored["size"], stored["md5"]
    );

    step("YandexDisk.GetFolderItems: every item, all pages");
    let items = call("YandexDisk.GetFolderItems", json!({"token": token, "path": "/Tour"}))["result"].clone();
    for item in items["items"].as_array().unwrap() {
        println!("  {} {}", item["type"], item["name"]);
    }

    step("YandexDisk.DownloadFile: verified by size, md5 and sha256, then renamed into place");
    let copy = work.join("report-copy.txt");
    let downloaded = call(
        "YandexDisk.DownloadFile",
        json!({"token": token, "path": "/Tour/report.txt", "save_path": copy}),
    )["result"]
        .clone();
    println!("{} bytes, sha256 {}", downloaded["size"], downloaded["sha256"]);

    step("YandexDisk.PublishObject");
    let published = call(
        "YandexDisk.PublishObject",
        json!({"token": token, "path": "/Tour/report.txt"}),
    )["result"]
        .clone();
    println!("public URL {}", published["public_url"]);

    step("YandexDisk.UploadDirectory: a backup into the app folder; the second run sends nothing");
    let params = json!({"token": token, "local_dir": work.join("documents"), "path": "app:/backup", "overwrite": true});
    let first = call("YandexDisk.UploadDirectory", params.clone())["result"].clone();
    let second = call("YandexDisk.UploadDirectory", params)["result"].clone();
    println!(
        "first run: {} uploaded; second run: {} uploaded, {} unchanged",
        first["uploaded"], second["uploaded"], second["skipped"]
    );
    let _ = std::fs::remove_dir_all(&work);
}

fn main() {
    let sandbox = Sandbox::start().expect("the sandbox starts");
    // SAFETY: a static C string.
    let version = unsafe { CStr::from_ptr(diskbridge_version()) }.to_string_lossy();
    println!("diskbridge {version}, sandbox at {}", sandbox.url());

    step("Library.Configure: every endpoint goes to the sandbox");
    let config = call("Library.Configure", json!({"sandbox": sandbox.url()}))["result"].clone();
    println!("yandex_oauth = {}", config["endpoints"]["yandex_oauth"]);

    step("YandexID.GetConfirmationCode: the device flow starts");
    let code = call(
        "YandexID.GetConfirmationCode",
        json!({"client_id": YANDEX_CLIENT_ID, "device_id": "diskbridge-tour"}),
    )["result"]
        .clone();
    println!("open {} and type {}", code["verification_url"], code["user_code"]);

    step("YandexID.ConvertCodeToToken before the person approves");
    let client = json!({"client_id": YANDEX_CLIENT_ID, "client_secret": YANDEX_CLIENT_SECRET, "device_code": code["device_code"]});
    let method = CString::new("YandexID.ConvertCodeToToken").unwrap();
    let params = CString::new(client.to_string()).unwrap();
    // SAFETY: as in `call`; this reply is an error on purpose.
    let pending: Value = unsafe {
        let raw = diskbridge_call(method.as_ptr(), params.as_ptr());
        let text = CStr::from_ptr(raw).to_string_lossy().into_owned();
        diskbridge_free(raw);
        serde_json::from_str(&text).unwrap()
    };
    println!(
        "error code {} — {}",
        pending["error"]["code"], pending["error"]["message"]
    );

    step("The person approves on the verification page (played by the tour)");
    let approval = reqwest::blocking::Client::new()
        .post(code["verification_url"].as_str().unwrap())
        .form(&[("user_code", code["user_code"].as_str().unwrap())])
        .send()
        .expect("the verification page answers");
    println!("verification page answered {}", approval.status());

    step("YandexID.WaitForToken: polls until approved");
    let tokens = call("YandexID.WaitForToken", client.clone())["result"].clone();
    println!(
        "access_token {}  refresh_token {}  expires_in {}",
        masked(&tokens["access_token"]),
        masked(&tokens["refresh_token"]),
        tokens["expires_in"]
    );

    step("YandexID.GetUserInfo");
    let info = call("YandexID.GetUserInfo", json!({"token": tokens["access_token"]}))["result"].clone();
    println!("signed in as {} (id {})", info["login"], info["id"]);

    step("YandexID.RefreshToken: Yandex rotates the refresh token");
    let refreshed = call(
        "YandexID.RefreshToken",
        json!({"client_id": YANDEX_CLIENT_ID, "client_secret": YANDEX_CLIENT_SECRET, "refresh_token": tokens["refresh_token"]}),
    )["result"]
        .clone();
    println!(
        "new refresh_token {} (the old one no longer works)",
        masked(&refreshed["refresh_token"])
    );

    step("credentials: an expired token is refreshed by the library and handed back");
    let credentials = json!({
        "access_token": refreshed["access_token"],
        "refresh_token": refreshed["refresh_token"],
        "client_id": YANDEX_CLIENT_ID,
        "client_secret": YANDEX_CLIENT_SECRET,
        "expires_at": 0,
    });
    let reply = call("YandexID.GetUserInfo", json!({"credentials": credentials}));
    println!(
        "still {}; store the new credentials: refresh_token {}, expires_at {}",
        reply["result"]["login"],
        masked(&reply["credentials"]["refresh_token"]),
        reply["credentials"]["expires_at"]
    );

    let token = reply["credentials"]["access_token"].clone();
    disk_tour(&token);

    step("YandexID.RevokeToken: device-bound tokens can be revoked");
    let revoked = call(
        "YandexID.RevokeToken",
        json!({"client_id": YANDEX_CLIENT_ID, "client_secret": YANDEX_CLIENT_SECRET, "access_token": reply["credentials"]["access_token"]}),
    );
    println!("{}", revoked["result"]);

    println!("\nTour complete.");
}
