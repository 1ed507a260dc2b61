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
