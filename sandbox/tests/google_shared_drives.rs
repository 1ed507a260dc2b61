//! Drive for backups: shared drives (drives.list/get, files on a shared drive, the
//! `supportsAllDrives`/`includeItemsFromAllDrives`/`corpora=drive` rules, membership), a service
//! account's refused My Drive upload beside its accepted shared-drive upload, `appProperties` and
//! `sha256Checksum`.

mod common_google;

use common_google::{multipart_body, pattern, reason, start, Env};
use diskbridge_sandbox::{GOOGLE_SERVICE_ACCOUNT_EMAIL, GOOGLE_SHARED_DRIVE_ID};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const ALL: &str = "supportsAllDrives=true";

async fn get(env: &Env, token: &str, path: &str) -> (StatusCode, Value) {
    let response = env.api(Method::GET, path, token).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A multipart upload with `query` and the file JSON (all fields).
async fn upload(env: &Env, token: &str, query: &str, metadata: Value, bytes: &[u8]) -> (StatusCode, Value) {
    let response = env
        .api(
            Method::POST,
            &format!("/upload/drive/v3/files?uploadType=multipart&fields=*&{query}"),
            token,
        )
        .header("content-type", "multipart/related; boundary=b")
        .body(multipart_body("b", &metadata, "application/octet-stream", bytes))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn names(list: &Value) -> Vec<&str> {
    list["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_service_account_stores_on_its_shared_drive_but_not_in_its_own_my_drive() {
    let env = start();
    let token = env.service_token(None).await;
    let (status, drives) = get(&env, &token, "/drive/v3/drives").await;
    assert_eq!(status, 200);
    assert_eq!(drives["kind"], "drive#driveList");
    assert_eq!(drives["drives"][0]["id"], GOOGLE_SHARED_DRIVE_ID);
    assert_eq!(drives["drives"].as_array().unwrap().len(), 1);
    let (status, body) = upload(&env, &token, "", json!({"name": "mine.bin"}), b"data").await;
    assert_eq!((status, reason(&body)), (StatusCode::FORBIDDEN, "storageQuotaExceeded"));
    // Without supportsAllDrives the shared drive's root is not found.
    let on_drive = json!({"name": "backup.bin", "parents": [GOOGLE_SHARED_DRIVE_ID]});
    let (status, body) = upload(&env, &token, "", on_drive.clone(), b"data").await;
    assert_eq!((status, reason(&body)), (StatusCode::NOT_FOUND, "notFound"));
    let bytes = pattern(100_000);
    let (status, file) = upload(&env, &token, ALL, on_drive, &bytes).await;
    assert_eq!(status, 200, "{file}");
    assert_eq!(file["driveId"], GOOGLE_SHARED_DRIVE_ID);
    assert_eq!(file["parents"], json!([GOOGLE_SHARED_DRIVE_ID]));
    assert!(file.get("owners").is_none(), "shared-drive files belong to the drive");
    assert_eq!(file["ownedByMe"], false);
    assert_eq!(file["lastModifyingUser"]["emailAddress"], GOOGLE_SERVICE_ACCOUNT_EMAIL);
    let id = file["id"].as_str().unwrap();
    // Shared-drive items exist only for requests that support them.
    let (status, _) = get(&env, &token, &format!("/drive/v3/files/{id}")).await;
    assert_eq!(status, 404);
    let (status, meta) = get(
        &env,
        &token,
        &format!("/drive/v3/files/{id}?{ALL}&fields=sha256Checksum,size"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(meta["sha256Checksum"], hex::encode(Sha256::digest(&bytes)));
    let media = env
        .api(Method::GET, &format!("/drive/v3/files/{id}?alt=media&{ALL}"), &token)
        .header("Range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(media.status(), 206);
    assert_eq!(media.bytes().await.unwrap(), &bytes[10..20]);
    // A shared drive's files count against no one's storage.
    let (_, about) = get(&env, &token, "/drive/v3/about?fields=storageQuota").await;
    assert_eq!(about["storageQuota"]["usage"], "0");
}

#[tokio::test]
async fn files_list_takes_a_shared_drive_corpus() {
    let env = start();
    let token = env.service_token(None).await;
    let folder = json!({"name": "nightly", "mimeType": "application/vnd.google-apps.folder", "parents": [GOOGLE_SHARED_DRIVE_ID]});
    let created = env
        .api(Method::POST, &format!("/drive/v3/files?{ALL}"), &token)
        .json(&folder)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let folder_id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = upload(
        &env,
        &token,
        ALL,
        json!({"name": "db.bak", "parents": [folder_id]}),
        b"x",
    )
    .await;
    assert_eq!(status, 200);
    let drive_query = format!("corpora=drive&driveId={GOOGLE_SHARED_DRIVE_ID}&includeItemsFromAllDrives=true&{ALL}");
    let (status, list) = get(&env, &token, &format!("/drive/v3/files?{drive_query}&orderBy=name")).await;
    assert_eq!(status, 200);
    assert_eq!(names(&list), ["db.bak", "nightly"]);
    let in_folder = format!(
        "/drive/v3/files?{drive_query}&q={}",
        common_google::enc(&format!("'{folder_id}' in parents"))
    );
    assert_eq!(names(&get(&env, &token, &in_folder).await.1), ["db.bak"]);
    // Shared-drive items stay out of the default corpus, and the parameters must agree.
    assert!(names(&get(&env, &token, "/drive/v3/files").await.1).is_empty());
    let without_include = format!("/drive/v3/files?corpora=drive&driveId={GOOGLE_SHARED_DRIVE_ID}&{ALL}");
    assert_eq!(get(&env, &token, &without_include).await.0, 403);
    let (status, body) = get(
        &env,
        &token,
        &format!("/drive/v3/files?driveId={GOOGLE_SHARED_DRIVE_ID}&includeItemsFromAllDrives=true"),
    )
    .await;
    assert_eq!(
        (status, reason(&body)),
        (StatusCode::BAD_REQUEST, "teamDriveIdRequiresTeamDriveCorpora")
    );
    let all = format!("/drive/v3/files?corpora=allDrives&includeItemsFromAllDrives=true&{ALL}&orderBy=name");
    assert_eq!(names(&get(&env, &token, &all).await.1), ["db.bak", "nightly"]);
    // The default user is no member: the drive does not exist for them.
    let user = env.user_token().await;
    assert_eq!(get(&env, &user, "/drive/v3/drives").await.1["drives"], json!([]));
    let (status, _) = get(&env, &user, &format!("/drive/v3/files?{drive_query}")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn membership_is_set_through_the_control_endpoint_and_resumable_uploads_reach_a_drive() {
    let env = start();
    let response = env
        .request(Method::POST, "/_sandbox/google/shared-drives")
        .json(&json!({"name": "Team", "members": {"sandbox-user@gmail.com": "writer"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let drive_id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = env.user_token().await;
    let (_, drives) = get(
        &env,
        &token,
        "/drive/v3/drives?fields=drives(id,name,capabilities/canAddChildren)",
    )
    .await;
    assert_eq!(
        drives["drives"],
        json!([{"id": drive_id, "name": "Team", "capabilities": {"canAddChildren": true}}])
    );
    let bytes = pattern(300 * 1024);
    let start = env
        .api(
            Method::POST,
            &format!("/upload/drive/v3/files?uploadType=resumable&{ALL}&fields=id,driveId,size"),
            &token,
        )
        .json(&json!({"name": "big.bin", "parents": [drive_id]}))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 200);
    let session = start.headers()["location"].to_str().unwrap().to_string();
    let done = env.http.put(&session).body(bytes.clone()).send().await.unwrap();
    assert_eq!(done.status(), 201);
    let file: Value = done.json().await.unwrap();
    assert_eq!(
        (file["driveId"].as_str(), file["size"].as_str()),
        (Some(drive_id.as_str()), Some("307200"))
    );
    // A writer may add but not delete; an unknown role is refused by the control endpoint.
    let id = file["id"].as_str().unwrap();
    let delete = env
        .api(Method::DELETE, &format!("/drive/v3/files/{id}?{ALL}"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 403);
    let bad = env
        .request(Method::POST, "/_sandbox/google/shared-drives")
        .json(&json!({"name": "x", "members": {"a@b.c": "boss"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn app_properties_are_set_returned_when_asked_and_searchable() {
    let env = start();
    let token = env.user_token().await;
    let metadata = json!({"name": "report.txt", "appProperties": {"mtime": "1700000000", "size": "4"}});
    let (status, file) = upload(&env, &token, "", metadata, b"data").await;
    assert_eq!(status, 200);
    assert_eq!(file["appProperties"], json!({"mtime": "1700000000", "size": "4"}));
    let id = file["id"].as_str().unwrap();
    // Not in the default fields; present when asked.
    let (_, plain) = get(&env, &token, &format!("/drive/v3/files/{id}")).await;
    assert!(plain.get("appProperties").is_none());
    let (_, asked) = get(
        &env,
        &token,
        &format!("/drive/v3/files/{id}?fields=appProperties,sha256Checksum,md5Checksum"),
    )
    .await;
    assert_eq!(asked["appProperties"]["mtime"], "1700000000");
    assert_eq!(asked["sha256Checksum"], hex::encode(Sha256::digest(b"data")));
    assert_eq!(asked["md5Checksum"], "8d777f385d3dfec8815d20f7496026dc");
    let patched = env
        .api(
            Method::PATCH,
            &format!("/drive/v3/files/{id}?fields=appProperties"),
            &token,
        )
        .json(&json!({"appProperties": {"mtime": "1800000000", "size": null}}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        patched.json::<Value>().await.unwrap()["appProperties"],
        json!({"mtime": "1800000000"})
    );
    let search = |q: &str| format!("/drive/v3/files?q={}", common_google::enc(q));
    let found = get(
        &env,
        &token,
        &search("appProperties has { key='mtime' and value='1800000000' }"),
    )
    .await
    .1;
    assert_eq!(names(&found), ["report.txt"]);
    let missed = get(
        &env,
        &token,
        &search("appProperties has { key='mtime' and value='1700000000' }"),
    )
    .await
    .1;
    assert!(names(&missed).is_empty());
}

/// Lowercase hex, for the tests' own checksums.
mod hex {
    pub fn encode(bytes: impl AsRef<[u8]>) -> String {
        bytes.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }
}
