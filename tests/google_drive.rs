//! Google Drive through the C ABI against the sandbox.

mod common;

use common::{err, ok, sandbox, TestSandbox};
use serde_json::{json, Value};

/// A signed-in user's access token.
fn token(sb: &TestSandbox) -> Value {
    sb.google_sign_in()["access_token"].clone()
}

fn names(items: &Value) -> Vec<String> {
    let mut names: Vec<String> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn folders_files_and_listings() {
    let sb = sandbox();
    let token = token(&sb);
    let reports = ok(sb.call("GoogleDrive.CreateFolder", json!({"token": token, "name": "Reports"})));
    assert_eq!(reports["mimeType"], "application/vnd.google-apps.folder");
    let root_id = reports["parents"][0].as_str().unwrap().to_string();
    // OPI's names: Имя, Родитель.
    let tricky = ok(sb.call(
        "GoogleDrive.СоздатьПапку",
        json!({"Токен": token, "Имя": "O'Brien \\ archive", "Родитель": reports["id"]}),
    ));
    assert_eq!(tricky["parents"][0], reports["id"]);
    let id = reports["id"].as_str().unwrap();
    for name in ["a.txt", "b.txt", "O'Brien's notes.txt"] {
        sb.drive_put(&token, name, id, name.as_bytes());
    }
    let trashed = sb.drive_put(&token, "old.txt", id, b"old");
    let in_trash = ok(sb.call(
        "GoogleDrive.MoveToTrash",
        json!({"token": token, "file_id": trashed["id"]}),
    ));
    assert_eq!(in_trash["trashed"], true);
    sb.drive_put(&token, "top.txt", &root_id, b"top");

    let files = ok(sb.call("GoogleDrive.GetFilesList", json!({"token": token, "directory": id})));
    assert_eq!(
        names(&files),
        ["O'Brien's notes.txt", "a.txt", "b.txt"],
        "trashed files are left out"
    );
    assert!(files[0]["md5Checksum"].is_string(), "fields=*");
    let all = ok(sb.call("GoogleDrive.GetFilesList", json!({"token": token})));
    assert_eq!(all.as_array().unwrap().len(), 4);
    // Quotes and backslashes in names are escaped in the query.
    let quoted = ok(sb.call(
        "GoogleDrive.ПолучитьСписокФайлов",
        json!({"Token": token, "NameContains": "O'Brien's"}),
    ));
    assert_eq!(names(&quoted), ["O'Brien's notes.txt"]);
    let folders = ok(sb.call(
        "GoogleDrive.GetDirectoriesList",
        json!({"token": token, "name_contains": "O'Brien \\ archive"}),
    ));
    assert_eq!(names(&folders), ["O'Brien \\ archive"]);
    let detailed = ok(sb.call(
        "GoogleDrive.GetDirectoriesList",
        json!({"token": token, "detailed": true}),
    ));
    assert_eq!(names(&detailed), ["O'Brien \\ archive", "Reports"]);
    let reports_entry = detailed
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Reports")
        .unwrap();
    assert_eq!(
        names(&reports_entry["files"]),
        ["O'Brien's notes.txt", "a.txt", "b.txt"]
    );
    let listings: Vec<Value> = sb
        .requests_to("/drive/v3/files")
        .into_iter()
        .filter(|r| r["method"] == "GET")
        .collect();
    assert!(listings.len() >= 5);
    for listing in listings {
        let query = listing["query"].as_str().unwrap_or("");
        let q = url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "q")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        assert!(q.contains("trashed = false"), "{q}");
    }

    let info = ok(sb.call(
        "GoogleDrive.GetObjectInformation",
        json!({"token": token, "Identifier": reports["id"]}),
    ));
    assert_eq!(info["name"], "Reports");
    assert!(info["capabilities"].is_object(), "fields=*");
    let missing = err(sb.call(
        "GoogleDrive.GetObjectInformation",
        json!({"token": token, "file_id": "no-such-file-id"}),
    ));
    assert_eq!(missing["code"], "not_found");
    assert_eq!(missing["http_status"], 404);
    assert_eq!(missing["service"], "google_drive");
    let odd = err(sb.call(
        "GoogleDrive.GetObjectInformation",
        json!({"token": token, "file_id": "../files?q=x"}),
    ));
    assert_eq!(odd["code"], "not_found", "an ID cannot become another path");
    let refused = err(sb.call("GoogleDrive.GetDirectoriesList", json!({"token": "ya29.refused"})));
    assert_eq!(refused["code"], "unauthorized");
    let no_token = err(sb.call("GoogleDrive.GetFilesList", json!({})));
    assert_eq!(no_token["code"], "invalid_params");
    let bad_parent = err(sb.call(
        "GoogleDrive.CreateFolder",
        json!({"token": token, "name": "x", "parent": "no-such-folder"}),
    ));
    assert_eq!(bad_parent["code"], "not_found");
}

#[test]
fn listings_follow_every_page() {
    let sb = sandbox();
    let token = token(&sb);
    let folder = ok(sb.call("GoogleDrive.CreateFolder", json!({"token": token, "name": "many"})));
    // One more than the largest page Drive gives (1000): metadata-only creates are quick.
    let client = reqwest::blocking::Client::new();
    for i in 0..1001 {
        let response = client
            .post(format!("{}/google-apis/drive/v3/files", sb.url()))
            .bearer_auth(token.as_str().unwrap())
            .json(&json!({"name": format!("f{i:04}.txt"), "parents": [folder["id"]], "mimeType": "text/plain"}))
            .send()
            .unwrap();
        assert!(response.status().is_success());
    }
    sb.clear_requests();
    let files = ok(sb.call(
        "GoogleDrive.GetFilesList",
        json!({"token": token, "directory": folder["id"]}),
    ));
    assert_eq!(files.as_array().unwrap().len(), 1001);
    assert_eq!(sb.requests_to("/drive/v3/files").len(), 2, "two pages");
}

#[test]
fn copy_delete_trash_and_opis_description_template() {
    let sb = sandbox();
    let token = token(&sb);
    let folder = ok(sb.call("GoogleDrive.CreateFolder", json!({"token": token, "name": "dest"})));
    let file = sb.drive_put(&token, "orig.bin", "root", b"0123456789");
    let copy = ok(sb.call(
        "GoogleDrive.CopyObject",
        json!({"token": token, "file_id": file["id"], "new_name": "copy.bin", "new_parent": folder["id"]}),
    ));
    assert_eq!(copy["name"], "copy.bin");
    assert_eq!(copy["parents"][0], folder["id"]);
    assert_eq!(copy["md5Checksum"], file["md5Checksum"]);
    let unnamed = ok(sb.call(
        "GoogleDrive.СкопироватьОбъект",
        json!({"Token": token, "Identifier": file["id"]}),
    ));
    assert_eq!(unnamed["name"], "Copy of orig.bin");
    let folder_copy = err(sb.call(
        "GoogleDrive.CopyObject",
        json!({"token": token, "file_id": folder["id"]}),
    ));
    assert_eq!(folder_copy["code"], "forbidden");

    assert_eq!(
        ok(sb.call(
            "GoogleDrive.DeleteObject",
            json!({"token": token, "file_id": copy["id"]})
        )),
        json!({})
    );
    let gone = err(sb.call(
        "GoogleDrive.DeleteObject",
        json!({"token": token, "file_id": copy["id"]}),
    ));
    assert_eq!(gone["code"], "not_found");

    ok(sb.call(
        "GoogleDrive.MoveToTrash",
        json!({"token": token, "file_id": file["id"]}),
    ));
    assert_eq!(
        ok(sb.call("GoogleDrive.EmptyTrash", json!({"token": token}))),
        json!({})
    );
    let emptied = err(sb.call(
        "GoogleDrive.GetObjectInformation",
        json!({"token": token, "file_id": file["id"]}),
    ));
    assert_eq!(emptied["code"], "not_found");
    let missing = err(sb.call("GoogleDrive.MoveToTrash", json!({"token": token, "file_id": "nope"})));
    assert_eq!(missing["code"], "not_found");
    let refused = err(sb.call("GoogleDrive.EmptyTrash", json!({"token": "ya29.invalid"})));
    assert_eq!(refused["code"], "unauthorized");

    let template = ok(sb.call("GoogleDrive.GetFileDescription", json!({})));
    assert_eq!(
        template,
        json!({"MIME": "image/jpeg", "Name": "New file.jpg", "Description": "This is a new file", "Parent": "root"})
    );
    let empty = ok(sb.call("GoogleDrive.ПолучитьОписаниеФайла", json!({"Пустая": true})));
    assert_eq!(empty, json!({"MIME": "", "Name": "", "Description": "", "Parent": ""}));
    let bad = err(sb.call("GoogleDrive.GetFileDescription", json!({"clear": "maybe"})));
    assert_eq!(bad["code"], "invalid_params");
}

#[test]
fn comments_with_every_page() {
    let sb = sandbox();
    let token = token(&sb);
    let file = sb.drive_put(&token, "doc.txt", "root", b"text");
    let comment = ok(sb.call(
        "GoogleDrive.CreateComment",
        json!({"token": token, "Identifier": file["id"], "Comment": "Looks good"}),
    ));
    assert_eq!(comment["content"], "Looks good");
    assert_eq!(comment["kind"], "drive#comment");
    assert!(comment["author"]["displayName"].is_string());
    let fetched = ok(sb.call(
        "GoogleDrive.ПолучитьКомментарий",
        json!({"Токен": token, "ИДОбъекта": file["id"], "ИДКомментария": comment["id"]}),
    ));
    assert_eq!(fetched["id"], comment["id"]);
    // Every comments call sends the `fields` Drive requires.
    for request in sb.requests_to("/comments") {
        assert!(request["query"].as_str().unwrap_or("").contains("fields="), "{request}");
    }
    for i in 0..100 {
        ok(sb.call(
            "GoogleDrive.CreateComment",
            json!({"token": token, "file_id": file["id"], "comment": format!("note {i}")}),
        ));
    }
    let list = ok(sb.call(
        "GoogleDrive.GetCommentList",
        json!({"token": token, "ObjectID": file["id"]}),
    ));
    assert_eq!(list["kind"], "drive#commentList");
    assert_eq!(list["comments"].as_array().unwrap().len(), 101, "all pages");

    assert_eq!(
        ok(sb.call(
            "GoogleDrive.DeleteComment",
            json!({"token": token, "file_id": file["id"], "comment_id": comment["id"]})
        )),
        json!({})
    );
    let list = ok(sb.call(
        "GoogleDrive.GetCommentList",
        json!({"token": token, "file_id": file["id"]}),
    ));
    assert_eq!(list["comments"].as_array().unwrap().len(), 100);
    let missing = err(sb.call(
        "GoogleDrive.GetComment",
        json!({"token": token, "file_id": file["id"], "comment_id": "no-such-comment"}),
    ));
    assert_eq!(missing["code"], "not_found");
    let no_file = err(sb.call(
        "GoogleDrive.CreateComment",
        json!({"token": token, "file_id": "no-such-file", "comment": "x"}),
    ));
    assert_eq!(no_file["code"], "not_found");
    let no_text = err(sb.call(
        "GoogleDrive.CreateComment",
        json!({"token": token, "file_id": file["id"]}),
    ));
    assert_eq!(no_text["code"], "invalid_params");
    let no_list = err(sb.call("GoogleDrive.GetCommentList", json!({"token": token, "file_id": "nope"})));
    assert_eq!(no_list["code"], "not_found");
    let no_delete = err(sb.call(
        "GoogleDrive.DeleteComment",
        json!({"token": token, "file_id": file["id"], "comment_id": "nope"}),
    ));
    assert_eq!(no_delete["code"], "not_found");
}

#[test]
fn permissions() {
    let sb = sandbox();
    let token = token(&sb);
    let file = sb.drive_put(&token, "shared.txt", "root", b"share me");
    let reader = ok(sb.call(
        "GoogleDrive.CreatePermission",
        json!({"token": token, "file_id": file["id"], "role": "reader", "type": "user", "email": "friend@example.com"}),
    ));
    assert_eq!(reader["role"], "reader");
    assert_eq!(reader["emailAddress"], "friend@example.com");
    ok(sb.call(
        "GoogleDrive.CreatePermission",
        json!({"token": token, "file_id": file["id"], "role": "reader", "type": "anyone"}),
    ));
    ok(sb.call(
        "GoogleDrive.CreatePermission",
        json!({"token": token, "file_id": file["id"], "role": "commenter", "type": "domain", "domain": "example.com"}),
    ));
    let list = ok(sb.call(
        "GoogleDrive.GetPermissions",
        json!({"token": token, "file_id": file["id"]}),
    ));
    let roles: Vec<&str> = list["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["role"].as_str().unwrap())
        .collect();
    assert_eq!(list["permissions"].as_array().unwrap().len(), 4, "{roles:?}");
    assert!(roles.contains(&"owner"));

    assert_eq!(
        ok(sb.call(
            "GoogleDrive.DeletePermission",
            json!({"token": token, "file_id": file["id"], "permission_id": reader["id"]})
        )),
        json!({})
    );
    let list = ok(sb.call(
        "GoogleDrive.GetPermissions",
        json!({"token": token, "file_id": file["id"]}),
    ));
    assert_eq!(list["permissions"].as_array().unwrap().len(), 3);

    let no_email = err(sb.call(
        "GoogleDrive.CreatePermission",
        json!({"token": token, "file_id": file["id"], "role": "reader", "type": "user"}),
    ));
    assert_eq!(no_email["code"], "invalid_params");
    let bad_role = err(sb.call(
        "GoogleDrive.CreatePermission",
        json!({"token": token, "file_id": file["id"], "role": "emperor", "type": "anyone"}),
    ));
    assert_eq!(bad_role["code"], "bad_request");
    let owner_id = list["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["role"] == "owner")
        .unwrap()["id"]
        .clone();
    let owner = err(sb.call(
        "GoogleDrive.DeletePermission",
        json!({"token": token, "file_id": file["id"], "permission_id": owner_id}),
    ));
    assert_eq!(owner["code"], "forbidden");
    let no_file = err(sb.call("GoogleDrive.GetPermissions", json!({"token": token, "file_id": "nope"})));
    assert_eq!(no_file["code"], "not_found");
}

#[test]
fn rate_limits_are_retried_and_quota_errors_are_not() {
    let sb = sandbox();
    let token = token(&sb);
    sb.clear_requests();
    let rate_limited = json!({"error": {"code": 403, "message": "User Rate Limit Exceeded",
        "errors": [{"domain": "usageLimits", "reason": "userRateLimitExceeded", "message": "User Rate Limit Exceeded"}]}});
    sb.fault(json!([
        {"method": "GET", "path": "/google-apis/drive/v3/files", "status": 403, "body": rate_limited},
        {"method": "GET", "path": "/google-apis/drive/v3/files", "status": 429},
        {"method": "GET", "path": "/google-apis/drive/v3/files", "status": 403,
         "body": {"error": {"code": 403, "message": "Rate Limit Exceeded", "errors": [{"domain": "usageLimits", "reason": "rateLimitExceeded", "message": "Rate Limit Exceeded"}]}}}
    ]));
    ok(sb.call("GoogleDrive.GetFilesList", json!({"token": token})));
    let attempts = sb.requests_to("/drive/v3/files");
    assert_eq!(attempts.len(), 4, "three refusals, then success");
    assert_eq!(attempts[3]["status"], 200);

    // A create (not idempotent) is retried after a rate-limit refusal too: nothing was done.
    sb.clear_requests();
    sb.fault(json!({"method": "POST", "path": "/google-apis/drive/v3/files", "status": 403, "body": rate_limited}));
    ok(sb.call(
        "GoogleDrive.CreateFolder",
        json!({"token": token, "name": "after a refusal"}),
    ));
    assert_eq!(sb.requests_to("/drive/v3/files").len(), 2);

    for (reason, hint) in [
        ("storageQuotaExceeded", "storage is full"),
        ("dailyLimitExceeded", "daily"),
        ("downloadQuotaExceeded", "download quota"),
    ] {
        sb.clear_requests();
        sb.fault(json!({"method": "POST", "path": "/google-apis/drive/v3/files", "status": 403,
            "body": {"error": {"code": 403, "message": "Quota", "errors": [{"domain": "usageLimits", "reason": reason, "message": "Quota"}]}}}));
        let error = err(sb.call("GoogleDrive.CreateFolder", json!({"token": token, "name": "x"})));
        assert_eq!(error["code"], "quota_exceeded", "{reason}");
        assert_eq!(error["retryable"], false);
        assert!(error["message"].as_str().unwrap().contains(hint), "{error}");
        assert_eq!(sb.requests_to("/drive/v3/files").len(), 1, "{reason} is not retried");
    }

    // Rate limits that do not clear are reported as such after the retries.
    sb.fault(json!({"method": "GET", "path": "/google-apis/drive/v3/files", "status": 429, "times": 10}));
    let mut options = sb.options();
    options["retries"]["max_attempts"] = json!(2);
    let error = err(sb.call("GoogleDrive.GetFilesList", json!({"token": token, "options": options})));
    assert_eq!(error["code"], "rate_limited");
    assert_eq!(error["retryable"], true);
}

/// Deterministic bytes that are not all alike.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &Value) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text.as_str().unwrap())
        .unwrap()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("diskbridge-gdrive-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn small_uploads_are_multipart_and_downloads_are_verified() {
    let sb = sandbox();
    let token = token(&sb);
    let folder = ok(sb.call("GoogleDrive.CreateFolder", json!({"token": token, "name": "in"})));
    let bytes = pattern(100_000);
    sb.clear_requests();
    let file = ok(sb.call(
        "GoogleDrive.ЗагрузитьФайл",
        json!({"Токен": token, "data_base64": b64(&bytes),
               "Описание": {"mime": "application/x-test", "NAME": "data.bin", "Description": "test data", "Parent": folder["id"]}}),
    ));
    assert_eq!(file["name"], "data.bin");
    assert_eq!(file["mimeType"], "application/x-test");
    assert_eq!(file["description"], "test data");
    assert_eq!(file["parents"][0], folder["id"]);
    assert_eq!(file["md5Checksum"], md5_hex(&bytes));
    let uploads = sb.requests_to("/upload/drive/v3/files");
    assert_eq!(uploads.len(), 1);
    assert!(uploads[0]["query"].as_str().unwrap().contains("uploadType=multipart"));
    assert!(uploads[0]["headers"]["content-type"]
        .as_str()
        .unwrap()
        .starts_with("multipart/related; boundary="));

    let inline = ok(sb.call(
        "GoogleDrive.DownloadFile",
        json!({"token": token, "file_id": file["id"]}),
    ));
    assert_eq!(unb64(&inline["data_base64"]), bytes);
    assert_eq!(inline["md5"], md5_hex(&bytes));
    assert_eq!(inline["size"], 100_000);

    // From a local file: its name is the file's.
    let dir = temp_dir("small");
    let local = dir.join("report.txt");
    std::fs::write(&local, b"hello drive").unwrap();
    let uploaded = ok(sb.call(
        "GoogleDrive.UploadFile",
        json!({"token": token, "File": local.to_str().unwrap()}),
    ));
    assert_eq!(uploaded["name"], "report.txt");
    assert_eq!(uploaded["mimeType"], "text/plain");
    let saved = dir.join("copy.txt");
    let result = ok(sb.call(
        "GoogleDrive.СкачатьФайл",
        json!({"Токен": token, "Идентификатор": uploaded["id"], "ПутьСохранения": saved.to_str().unwrap()}),
    ));
    assert_eq!(std::fs::read(&saved).unwrap(), b"hello drive");
    assert_eq!(result["size"], 11);
    assert!(result["path"].as_str().unwrap().ends_with("copy.txt"));
    assert!(result["sha256"].is_string());

    let neither = err(sb.call("GoogleDrive.UploadFile", json!({"token": token})));
    assert_eq!(neither["code"], "invalid_params");
    let unknown_key = err(sb.call(
        "GoogleDrive.UploadFile",
        json!({"token": token, "data_base64": "aGk=", "description": {"Nmae": "typo"}}),
    ));
    assert_eq!(unknown_key["code"], "invalid_params");
    let bad_chunk = err(sb.call(
        "GoogleDrive.UploadFile",
        json!({"token": token, "data_base64": "aGk=", "chunk_size": 1000}),
    ));
    assert_eq!(bad_chunk["code"], "invalid_params");
    let no_file = err(sb.call("GoogleDrive.DownloadFile", json!({"token": token, "file_id": "nope"})));
    assert_eq!(no_file["code"], "not_found");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_resumable_upload_survives_resets_at_a_chunk_boundary_and_mid_chunk() {
    let sb = sandbox();
    let token = token(&sb);
    let dir = temp_dir("resumable");
    let local = dir.join("big.bin");
    let bytes = pattern(3 * 1024 * 1024 + 1000);
    std::fs::write(&local, &bytes).unwrap();
    sb.clear_requests();
    // The first chunk's connection drops just as its last byte arrives; the next status query
    // (an empty body) passes the second fault through, and the chunk after it drops mid-way.
    sb.fault(json!([
        {"method": "PUT", "path": "/google-apis/upload/drive/v3/files", "reset": "request", "after_bytes": 1048576},
        {"method": "PUT", "path": "/google-apis/upload/drive/v3/files", "reset": "request", "after_bytes": 600000, "times": 2}
    ]));
    let mut reports = Vec::new();
    let file = sb.call_with_progress(
        "GoogleDrive.UploadFile",
        json!({"token": token, "file": local.to_str().unwrap(), "chunk_size": 1048576, "resumable_threshold": 0}),
        &mut |done, total| {
            reports.push((done, total));
            false
        },
    );
    let file = ok(file);
    assert_eq!(file["md5Checksum"], md5_hex(&bytes));
    assert_eq!(file["size"], bytes.len().to_string());
    let puts: Vec<Value> = sb
        .requests_to("/upload/drive/v3/files")
        .into_iter()
        .filter(|r| r["method"] == "PUT")
        .collect();
    let ranges: Vec<&str> = puts
        .iter()
        .map(|r| r["headers"]["content-range"].as_str().unwrap())
        .collect();
    assert!(
        ranges.iter().filter(|r| r.starts_with("bytes */")).count() >= 2,
        "{ranges:?}"
    );
    assert_eq!(
        ranges.last().unwrap(),
        &format!("bytes 3145728-{}/{}", bytes.len() - 1, bytes.len())
    );
    let posts = sb
        .requests_to("/upload/drive/v3/files")
        .into_iter()
        .filter(|r| r["method"] == "POST")
        .count();
    assert_eq!(posts, 1, "one session was enough");
    assert_eq!(reports.last().unwrap(), &(bytes.len() as u64, bytes.len() as u64));
    // Exactly one file, with the right bytes.
    let listed = ok(sb.call(
        "GoogleDrive.GetFilesList",
        json!({"token": token, "name_contains": "big"}),
    ));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let back = dir.join("back.bin");
    ok(sb.call(
        "GoogleDrive.DownloadFile",
        json!({"token": token, "file_id": file["id"], "save_path": back.to_str().unwrap()}),
    ));
    assert_eq!(md5_hex(&std::fs::read(&back).unwrap()), md5_hex(&bytes));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_lost_session_starts_over_and_server_errors_resume() {
    let sb = sandbox();
    let token = token(&sb);
    let bytes = pattern(1024 * 1024 + 5);
    sb.clear_requests();
    sb.fault(json!([
        {"method": "PUT", "path": "/google-apis/upload/drive/v3/files", "status": 503},
        {"method": "PUT", "path": "/google-apis/upload/drive/v3/files", "status": 404}
    ]));
    let file = ok(sb.call(
        "GoogleDrive.UploadFile",
        json!({"token": token, "data_base64": b64(&bytes), "description": {"Name": "restart.bin"},
               "chunk_size": 262144, "resumable_threshold": 1000}),
    ));
    assert_eq!(file["md5Checksum"], md5_hex(&bytes));
    let posts = sb
        .requests_to("/upload/drive/v3/files")
        .into_iter()
        .filter(|r| r["method"] == "POST")
        .count();
    assert_eq!(posts, 2, "a new session after the 404");
    let listed = ok(sb.call("GoogleDrive.GetFilesList", json!({"token": token})));
    assert_eq!(names(&listed), ["restart.bin"]);

    // UpdateFile replaces the content (resumable too) and renames.
    let new_bytes = pattern(700_000);
    let updated = ok(sb.call(
        "GoogleDrive.UpdateFile",
        json!({"token": token, "file_id": file["id"], "data_base64": b64(&new_bytes), "new_name": "v2.bin",
               "chunk_size": 262144, "resumable_threshold": 0}),
    ));
    assert_eq!(updated["name"], "v2.bin");
    assert_eq!(updated["id"], file["id"]);
    assert_eq!(updated["md5Checksum"], md5_hex(&new_bytes));
    let small = ok(sb.call(
        "GoogleDrive.ОбновитьФайл",
        json!({"Токен": token, "Идентификатор": file["id"], "data_base64": b64(b"tiny")}),
    ));
    assert_eq!(small["md5Checksum"], md5_hex(b"tiny"));
    assert_eq!(small["name"], "v2.bin");
    let missing = err(sb.call(
        "GoogleDrive.UpdateFile",
        json!({"token": token, "file_id": "nope", "data_base64": "aGk="}),
    ));
    assert_eq!(missing["code"], "not_found");
}

#[test]
fn cancelling_an_upload_leaves_no_file_and_a_failed_download_leaves_the_old_one() {
    let sb = sandbox();
    let token = token(&sb);
    let bytes = pattern(2 * 1024 * 1024);
    let cancelled = sb.call_with_progress(
        "GoogleDrive.UploadFile",
        json!({"token": token, "data_base64": b64(&bytes), "chunk_size": 262144, "resumable_threshold": 0}),
        &mut |done, _| done >= 600_000,
    );
    assert_eq!(err(cancelled)["code"], "cancelled");
    let listed = ok(sb.call("GoogleDrive.GetFilesList", json!({"token": token})));
    assert!(listed.as_array().unwrap().is_empty(), "{listed}");

    let file = ok(sb.call(
        "GoogleDrive.UploadFile",
        json!({"token": token, "data_base64": b64(&bytes), "description": {"Name": "keep.bin"}}),
    ));
    let dir = temp_dir("failed");
    let target = dir.join("keep.bin");
    std::fs::write(&target, b"previous version").unwrap();
    sb.fault(json!({"method": "GET", "path": "/google-apis/drive/v3/files", "status": 500, "times": 10}));
    let mut options = sb.options();
    options["retries"]["max_attempts"] = json!(2);
    let failed = err(sb.call(
        "GoogleDrive.DownloadFile",
        json!({"token": token, "file_id": file["id"], "save_path": target.to_str().unwrap(), "options": options}),
    ));
    assert_eq!(failed["code"], "server_error");
    assert_eq!(std::fs::read(&target).unwrap(), b"previous version");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file is left");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn downloads_resume_with_range_after_a_reset() {
    let sb = sandbox();
    let token = token(&sb);
    let bytes = pattern(3_000_000);
    let file = ok(sb.call(
        "GoogleDrive.UploadFile",
        json!({"token": token, "data_base64": b64(&bytes), "description": {"Name": "r.bin"}}),
    ));
    let id = file["id"].as_str().unwrap();
    sb.clear_requests();
    // The metadata request comes first and passes its fault through (its body is shorter than
    // after_bytes); the content's connection drops after 1 MB.
    sb.fault(json!({"method": "GET", "path": format!("/google-apis/drive/v3/files/{id}"), "reset": "response", "after_bytes": 1_000_000}));
    sb.fault(json!({"method": "GET", "path": format!("/google-apis/drive/v3/files/{id}"), "reset": "response", "after_bytes": 1_000_000}));
    let data = ok(sb.call("GoogleDrive.DownloadFile", json!({"token": token, "file_id": id})));
    assert_eq!(unb64(&data["data_base64"]), bytes);
    let gets = sb.requests_to(&format!("/drive/v3/files/{id}"));
    let ranged: Vec<&Value> = gets.iter().filter(|g| g["headers"]["range"].is_string()).collect();
    assert!(!ranged.is_empty(), "resumed with Range: {gets:?}");
    for request in &gets {
        assert!(request["headers"]["authorization"]
            .as_str()
            .unwrap()
            .starts_with("Bearer "));
    }
}

#[test]
fn google_documents_are_exported() {
    let sb = sandbox();
    let token = token(&sb);
    let doc = ok(sb.call(
        "GoogleDrive.UploadFile",
        json!({"token": token, "data_base64": b64(b"Line one\nLine two"),
               "description": {"Name": "Notes", "MIME": "application/vnd.google-apps.document"}}),
    ));
    assert_eq!(doc["mimeType"], "application/vnd.google-apps.document");
    let text = ok(sb.call(
        "GoogleDrive.ExportFile",
        json!({"token": token, "file_id": doc["id"], "mime_type": "text/plain"}),
    ));
    let exported = String::from_utf8(unb64(&text["data_base64"])).unwrap();
    assert!(
        exported.contains("Line one") && exported.contains("Line two"),
        "{exported}"
    );
    let dir = temp_dir("export");
    let pdf = dir.join("notes.pdf");
    let saved = ok(sb.call(
        "GoogleDrive.ExportFile",
        json!({"token": token, "file_id": doc["id"], "mime_type": "application/pdf", "save_path": pdf.to_str().unwrap()}),
    ));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    assert_eq!(saved["size"], std::fs::metadata(&pdf).unwrap().len());
    let _ = std::fs::remove_dir_all(&dir);

    let unsupported = err(sb.call(
        "GoogleDrive.ExportFile",
        json!({"token": token, "file_id": doc["id"], "mime_type": "image/gif"}),
    ));
    assert_eq!(unsupported["code"], "bad_request");
    let download = err(sb.call(
        "GoogleDrive.DownloadFile",
        json!({"token": token, "file_id": doc["id"]}),
    ));
    assert_eq!(download["code"], "invalid_params");
    assert!(download["message"].as_str().unwrap().contains("ExportFile"));
    let blob = ok(sb.call("GoogleDrive.UploadFile", json!({"token": token, "data_base64": "aGk="})));
    let not_exportable = err(sb.call(
        "GoogleDrive.ExportFile",
        json!({"token": token, "file_id": blob["id"], "mime_type": "text/plain"}),
    ));
    assert_eq!(not_exportable["code"], "forbidden");
}

#[test]
fn a_service_account_has_no_storage_and_is_told_so() {
    let sb = sandbox();
    let key = sb.service_account_key();
    let sa = ok(sb.call(
        "GoogleDrive.GetServiceAccountToken",
        json!({"key": key, "scope": "drive"}),
    ));
    sb.clear_requests();
    let refused = err(sb.call(
        "GoogleDrive.UploadFile",
        json!({"token": sa["access_token"], "data_base64": b64(b"data"), "description": {"Name": "x.txt"}}),
    ));
    assert_eq!(refused["code"], "quota_exceeded");
    assert_eq!(
        refused["upstream"]["error"]["errors"][0]["reason"],
        "storageQuotaExceeded"
    );
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("service account has no Drive storage"),
        "{refused}"
    );
    assert_eq!(sb.requests_to("/upload/drive/v3/files").len(), 1, "not retried");
    // Acting as a Workspace user works.
    let delegated = ok(sb.call(
        "GoogleDrive.GetServiceAccountToken",
        json!({"key": key, "scope": "drive", "subject": "worker@sandbox-workspace.example"}),
    ));
    ok(sb.call(
        "GoogleDrive.UploadFile",
        json!({"token": delegated["access_token"], "data_base64": b64(b"data"), "description": {"Name": "x.txt"}}),
    ));
}
