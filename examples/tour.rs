//! The tour: diskbridge end to end through its C ABI against a sandbox it starts itself.
//! `cargo run --example tour` — no account anywhere, no network beyond 127.0.0.1.

use std::ffi::{CStr, CString};

use base64::Engine;

use diskbridge::ffi::{diskbridge_call, diskbridge_free, diskbridge_version};
use diskbridge_sandbox::{Sandbox, GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET};
use diskbridge_sandbox::{YANDEX_SERVICE_CLIENT_ID, YANDEX_SERVICE_CLIENT_SECRET};
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

    step("YandexDisk.UploadFile: streamed, no token on the upload host, size and sha256 confirmed");
    call("YandexDisk.CreateFolder", json!({"token": token, "path": "/Tour"}));
    let stored = call(
        "YandexDisk.UploadFile",
        json!({"token": token, "path": "/Tour/report.txt", "file": report}),
    )["result"]
        .clone();
    println!(
        "stored {} ({} bytes, sha256 {})",
        stored["path"], stored["size"], stored["sha256"]
    );

    step("YandexDisk.GetFolderItems: every item, all pages");
    let items = call("YandexDisk.GetFolderItems", json!({"token": token, "path": "/Tour"}))["result"].clone();
    for item in items["items"].as_array().unwrap() {
        println!("  {} {}", item["type"], item["name"]);
    }

    step("YandexDisk.DownloadFile: verified by size and sha256, then renamed into place");
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

    google_tour();

    administrator_tour();

    println!("\nTour complete.");
}

/// One call through the C ABI that is meant to fail: its error.
fn call_refused(method: &str, params: Value) -> Value {
    let method_c = CString::new(method).unwrap();
    let params_c = CString::new(params.to_string()).unwrap();
    // SAFETY: as in `call`.
    let reply: Value = unsafe {
        let raw = diskbridge_call(method_c.as_ptr(), params_c.as_ptr());
        let text = CStr::from_ptr(raw).to_string_lossy().into_owned();
        diskbridge_free(raw);
        serde_json::from_str(&text).unwrap()
    };
    assert_eq!(reply["ok"], json!(false), "{method} was meant to fail");
    reply["error"].clone()
}

/// Yandex 360: the organization's owner registers a service application, which then gets
/// tokens for every employee and backs up their Disks (docs/yandex360.md).
fn administrator_tour() {
    step("Yandex 360 administrator: the organization's owner signs in");
    let code = call("YandexID.GetConfirmationCode", json!({"client_id": YANDEX_CLIENT_ID}))["result"].clone();
    reqwest::blocking::Client::new()
        .post(code["verification_url"].as_str().unwrap())
        .form(&[("user_code", code["user_code"].as_str().unwrap())])
        .send()
        .expect("the verification page answers");
    let owner = call(
        "YandexID.WaitForToken",
        json!({"client_id": YANDEX_CLIENT_ID, "client_secret": YANDEX_CLIENT_SECRET, "device_code": code["device_code"], "interval": 1}),
    )["result"]["access_token"]
        .clone();

    step("Yandex360.GetOrganizations");
    let orgs = call("Yandex360.GetOrganizations", json!({"token": owner}))["result"].clone();
    let org_id = orgs["organizations"][0]["id"].clone();
    println!("{} (id {org_id})", orgs["organizations"][0]["name"]);

    step("Yandex360.GetUsers: every employee, all pages");
    let users = call("Yandex360.GetUsers", json!({"token": owner, "org_id": org_id}))["result"]["users"].clone();
    for user in users.as_array().unwrap() {
        println!(
            "  {} {} <{}>{}",
            user["id"],
            user["nickname"],
            user["email"],
            if user["isAdmin"] == json!(true) {
                " (administrator)"
            } else {
                ""
            }
        );
    }

    step("Yandex360.ActivateServiceApplications");
    call(
        "Yandex360.ActivateServiceApplications",
        json!({"token": owner, "org_id": org_id}),
    );
    println!("service applications are on");

    step("Yandex360.AddServiceApplication: the service app may read and write employees' Disks");
    let list = call(
        "Yandex360.AddServiceApplication",
        json!({"token": owner, "org_id": org_id, "client_id": YANDEX_SERVICE_CLIENT_ID,
               "scopes": "cloud_api:disk.read cloud_api:disk.write cloud_api:disk.info"}),
    )["result"]
        .clone();
    println!("{}", list["applications"]);

    let service_app = json!({"client_id": YANDEX_SERVICE_CLIENT_ID, "client_secret": YANDEX_SERVICE_CLIENT_SECRET});
    let employees: Vec<Value> = users
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["isAdmin"] != json!(true))
        .cloned()
        .collect();

    step("YandexID.ExchangeTokenForUser: a one-hour token for an employee, by id or by e-mail");
    let mut by_id = service_app.clone();
    by_id["user_id"] = employees[0]["id"].clone();
    let token = call("YandexID.ExchangeTokenForUser", by_id.clone())["result"].clone();
    println!(
        "access_token {} expires_in {} (no refresh token)",
        masked(&token["access_token"]),
        token["expires_in"]
    );
    let info = call("YandexDisk.GetDiskInformation", json!({"token": token["access_token"]}))["result"].clone();
    println!("that token opens the Disk of {}", info["user"]["login"]);
    let mut by_email = service_app.clone();
    by_email["user_email"] = employees[1]["email"].clone();
    let token = call("YandexID.ExchangeTokenForUser", by_email)["result"].clone();
    let info = call("YandexDisk.GetDiskInformation", json!({"token": token["access_token"]}))["result"].clone();
    println!("by e-mail: the Disk of {}", info["user"]["login"]);

    step("Back up every employee's Disk with credentials that exchange by themselves");
    let backup = std::env::temp_dir().join(format!("diskbridge-tour-360-{}", std::process::id()));
    for employee in &employees {
        let mut credentials = service_app.clone();
        credentials["subject"] = json!({"user_id": employee["id"]});
        // Something on their Disk to back up (played by the tour).
        let note = format!("Notes of {}", employee["nickname"]);
        let reply = call(
            "YandexDisk.UploadFile",
            json!({"credentials": credentials, "path": "/notes.txt", "data_base64": base64::engine::general_purpose::STANDARD.encode(&note), "overwrite": true}),
        );
        // The reply carries the exchanged token: the next call reuses it for its hour.
        let credentials = reply["credentials"].clone();
        let nickname = employee["nickname"].as_str().unwrap();
        let saved = call(
            "YandexDisk.DownloadDirectory",
            json!({"credentials": credentials, "path": "disk:/", "local_dir": backup.join(nickname)}),
        )["result"]
            .clone();
        println!("  {nickname}: {} files, {} bytes", saved["downloaded"], saved["bytes"]);
    }
    let _ = std::fs::remove_dir_all(&backup);

    step("Yandex360.RemoveServiceApplication: no more tokens for it");
    call(
        "Yandex360.RemoveServiceApplication",
        json!({"token": owner, "org_id": org_id, "client_id": YANDEX_SERVICE_CLIENT_ID}),
    );
    let refused = call_refused("YandexID.ExchangeTokenForUser", by_id);
    println!("error code {} — {}", refused["code"], refused["message"]);
    call(
        "Yandex360.DeactivateServiceApplications",
        json!({"token": owner, "org_id": org_id}),
    );
}

/// Google: sign-in without copy-paste (the tour plays the browser), then Drive.
fn google_tour() {
    step("GoogleWorkspace.StartLoopbackAuthorization: a listener on 127.0.0.1 waits for the browser");
    let started = call(
        "GoogleWorkspace.StartLoopbackAuthorization",
        json!({"client_id": GOOGLE_CLIENT_ID, "client_secret": GOOGLE_CLIENT_SECRET, "scopes": ["drive"]}),
    )["result"]
        .clone();
    println!("open in a browser: {}…", &started["url"].as_str().unwrap()[..80]);

    step("The person consents; Google sends the browser to the listener (played by the tour)");
    let browser = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let consent = browser
        .get(started["url"].as_str().unwrap())
        .send()
        .expect("the consent page answers");
    let listener = consent.headers()["location"].to_str().unwrap().to_string();
    let page = browser.get(&listener).send().expect("the listener answers");
    println!(
        "the browser is sent to {} and shows: {}",
        started["redirect_uri"],
        if page.text().unwrap_or_default().contains("close this window") {
            "\"You are signed in. You can close this window…\""
        } else {
            "?"
        }
    );

    step("GoogleWorkspace.CompleteLoopbackAuthorization: the code was exchanged the moment it arrived");
    let tokens = call(
        "GoogleWorkspace.CompleteLoopbackAuthorization",
        json!({"session": started["session"]}),
    )["result"]
        .clone();
    println!(
        "access_token {}  refresh_token {}  expires_in {}",
        masked(&tokens["access_token"]),
        masked(&tokens["refresh_token"]),
        tokens["expires_in"]
    );
    let credentials = json!({
        "access_token": tokens["access_token"],
        "refresh_token": tokens["refresh_token"],
        "client_id": GOOGLE_CLIENT_ID,
        "client_secret": GOOGLE_CLIENT_SECRET,
    });

    step("GoogleDrive.CreateFolder and GoogleDrive.UploadFile (resumable above the threshold)");
    let folder = call(
        "GoogleDrive.CreateFolder",
        json!({"credentials": credentials, "name": "diskbridge tour"}),
    )["result"]
        .clone();
    let dir = std::env::temp_dir().join(format!("diskbridge-tour-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let local = dir.join("tour.bin");
    let bytes: Vec<u8> = (0..3 * 1024 * 1024 + 17).map(|i: u32| (i % 251) as u8).collect();
    std::fs::write(&local, &bytes).unwrap();
    let file = call(
        "GoogleDrive.UploadFile",
        json!({"credentials": credentials, "file": local.to_str().unwrap(),
               "description": {"Parent": folder["id"], "Description": "uploaded by the tour"},
               "resumable_threshold": 1048576, "chunk_size": 1048576}),
    )["result"]
        .clone();
    println!(
        "{} stored: {} bytes, md5 {}",
        file["name"], file["size"], file["md5Checksum"]
    );

    step("GoogleDrive.GetFilesList: every page, trashed files left out");
    let files = call(
        "GoogleDrive.GetFilesList",
        json!({"credentials": credentials, "directory": folder["id"]}),
    )["result"]
        .clone();
    for item in files.as_array().unwrap() {
        println!("{}  {}", item["id"], item["name"]);
    }

    step("GoogleDrive.DownloadFile: streamed, verified against sha256Checksum, replaced atomically");
    let saved = dir.join("tour-copy.bin");
    let downloaded = call(
        "GoogleDrive.DownloadFile",
        json!({"credentials": credentials, "file_id": file["id"], "save_path": saved.to_str().unwrap()}),
    )["result"]
        .clone();
    println!("{} bytes, sha256 {}", downloaded["size"], downloaded["sha256"]);

    step("GoogleDrive.CreateComment and GetCommentList");
    call(
        "GoogleDrive.CreateComment",
        json!({"credentials": credentials, "file_id": file["id"], "comment": "Checked by the tour"}),
    );
    let comments = call(
        "GoogleDrive.GetCommentList",
        json!({"credentials": credentials, "file_id": file["id"]}),
    )["result"]
        .clone();
    for comment in comments["comments"].as_array().unwrap() {
        println!("{}: {}", comment["author"]["displayName"], comment["content"]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
