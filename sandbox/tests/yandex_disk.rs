//! The Yandex Disk emulator against docs/protocols.md §2, over HTTP as a client sees it.

mod common_disk;

use std::time::Duration;

use common_disk::{json_of, md5_hex, pattern, reply, sha256_hex, Disk, OUTSIDER, SECOND_USER};
use diskbridge_sandbox::{Sandbox, SandboxOptions};
use reqwest::Method;
use serde_json::{json, Value};

fn names(listing: &Value) -> Vec<String> {
    listing["_embedded"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn missing_or_bad_token_is_401_with_the_services_body() {
    let disk = Disk::start().await;
    for token in ["", "y0_not-a-token"] {
        let reply = disk.api_as(token, Method::GET, "/resources", &[("path", "/")]).await;
        assert_eq!(reply.status, 401);
        assert_eq!(reply.headers["content-type"], "application/json");
        assert_eq!(
            reply.json,
            json!({"message": "Не авторизован.", "description": "Unauthorized", "error": "UnauthorizedError"})
        );
    }
}

#[tokio::test]
async fn disk_info_tracks_stored_bytes_and_the_trash() {
    let disk = Disk::start().await;
    let info = disk.get("/", &[]).await;
    assert_eq!(info.status, 200);
    assert_eq!(info.headers["content-type"], "application/json; charset=utf-8");
    assert_eq!(info.json["used_space"], 0);
    assert_eq!(info.json["max_file_size"], 1_073_741_824u64);
    assert_eq!(info.json["paid_max_file_size"], 53_687_091_200u64);
    assert_eq!(info.json["system_folders"]["applications"], "disk:/Приложения");
    assert_eq!(info.json["user"]["login"], "sandbox-owner");
    assert_eq!(disk.upload("/a.bin", pattern(1000)).await, 201);
    assert_eq!(disk.get("", &[]).await.json["used_space"], 1000);
    assert_eq!(
        disk.api(Method::DELETE, "/resources", &[("path", "/a.bin")])
            .await
            .status,
        204
    );
    let info = disk.get("/", &[("fields", "used_space,trash_size")]).await;
    assert_eq!(info.json, json!({"used_space": 1000, "trash_size": 1000}));
}

#[tokio::test]
async fn scopes_limit_what_a_token_may_do() {
    let disk = Disk::start().await;
    let app_only = disk.token_for(None, Some("cloud_api:disk.app_folder")).await;
    let root = disk
        .api_as(&app_only, Method::GET, "/resources", &[("path", "disk:/")])
        .await;
    assert_eq!(root.status, 403);
    assert_eq!(root.json["error"], "ForbiddenError");
    assert_eq!(disk.api_as(&app_only, Method::GET, "/", &[]).await.status, 403);
    // app:/ is created on first use and always shown as an absolute disk:/ path.
    let made = disk
        .api_as(&app_only, Method::PUT, "/resources", &[("path", "app:/inbox")])
        .await;
    assert_eq!(made.status, 201, "{}", made.json);
    let inbox = disk
        .api_as(&app_only, Method::GET, "/resources", &[("path", "app:/inbox")])
        .await;
    assert_eq!(inbox.json["path"], "disk:/Приложения/diskbridge sandbox/inbox");
    let same = disk
        .api_as(
            &app_only,
            Method::GET,
            "/resources",
            &[("path", "disk:/Приложения/diskbridge sandbox")],
        )
        .await;
    assert_eq!(same.status, 200);
    assert_eq!(names(&same.json), ["inbox"]);
    let read_only = disk.token_for(None, Some("cloud_api:disk.read")).await;
    assert_eq!(
        disk.api_as(&read_only, Method::PUT, "/resources", &[("path", "/x")])
            .await
            .status,
        403
    );
    assert_eq!(
        disk.api_as(&read_only, Method::GET, "/resources", &[("path", "/")])
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn folders_page_sort_and_filter_fields() {
    let disk = Disk::start().await;
    disk.mkdir("/dir").await;
    let again = disk.api(Method::PUT, "/resources", &[("path", "disk:/dir")]).await;
    assert_eq!(again.status, 409);
    assert_eq!(again.json["error"], "DiskPathPointsToExistentDirectoryError");
    assert_eq!(
        again.json["description"],
        "Specified path \"disk:/dir\" points to existent directory."
    );
    let orphan = disk.api(Method::PUT, "/resources", &[("path", "/no/such")]).await;
    assert_eq!(
        (orphan.status.as_u16(), orphan.json["error"].as_str()),
        (409, Some("DiskPathDoesntExistsError"))
    );
    for i in 0..25 {
        disk.mkdir(&format!("/dir/d{i:02}")).await;
    }
    assert_eq!(disk.upload("/dir/big.txt", pattern(300)).await, 201);
    let first = disk.get("/resources", &[("path", "dir")]).await;
    let embedded = &first.json["_embedded"];
    assert_eq!(
        (embedded["limit"].as_u64(), embedded["total"].as_u64()),
        (Some(20), Some(26))
    );
    assert_eq!(
        (embedded["sort"].as_str(), embedded["path"].as_str()),
        (Some(""), Some("disk:/dir"))
    );
    assert_eq!(names(&first.json)[0], "big.txt");
    let page = disk
        .get(
            "/resources",
            &[("path", "/dir"), ("limit", "3"), ("offset", "24"), ("sort", "-name")],
        )
        .await;
    assert_eq!(names(&page.json), ["d00", "big.txt"]);
    let by_size = disk
        .get("/resources", &[("path", "/dir"), ("limit", "1"), ("sort", "-size")])
        .await;
    assert_eq!(names(&by_size.json), ["big.txt"]);
    let bad_sort = disk.get("/resources", &[("path", "/dir"), ("sort", "colour")]).await;
    assert_eq!(
        (bad_sort.status.as_u16(), bad_sort.json["error"].as_str()),
        (400, Some("FieldValidationError"))
    );
    let fields = disk
        .get(
            "/resources",
            &[
                ("path", "/dir"),
                ("limit", "1"),
                ("fields", "name,_embedded.items.path,_embedded.total"),
            ],
        )
        .await;
    assert_eq!(
        fields.json,
        json!({"type": "dir", "name": "dir", "_embedded": {"items": [{"type": "file", "path": "disk:/dir/big.txt"}], "total": 26}})
    );
    let file = disk
        .get(
            "/resources",
            &[("path", "/dir/big.txt"), ("fields", "_embedded.items.path")],
        )
        .await;
    assert_eq!(file.json, json!({"type": "file"}));
    let missing = disk.get("/resources", &[("path", "/nope")]).await;
    assert_eq!(
        missing.json,
        json!({"message": "Не удалось найти запрошенный ресурс.", "description": "Resource not found.", "error": "DiskNotFoundError"})
    );
    let no_path = disk.get("/resources", &[]).await;
    assert_eq!(
        (no_path.status.as_u16(), no_path.json["error"].as_str()),
        (400, Some("FieldValidationError"))
    );
}

#[tokio::test]
async fn uploads_store_checksums_and_downloads_honour_range() {
    let disk = Disk::start().await;
    let bytes = pattern(3 * 1024 * 1024 + 17);
    let link = disk.get("/resources/upload", &[("path", "/data.bin")]).await;
    assert_eq!(link.json["method"], "PUT");
    assert!(link.json["operation_id"].as_str().is_some_and(|id| id.len() == 64));
    assert!(link.json["href"]
        .as_str()
        .unwrap()
        .contains("/yandex-disk-upload/upload-target/"));
    // The data hosts need no Authorization header.
    let put = disk.put_bytes(link.json["href"].as_str().unwrap(), bytes.clone()).await;
    assert_eq!(put.status(), 201);
    assert_eq!(put.bytes().await.unwrap().len(), 0);
    let operation = format!("/operations/{}", link.json["operation_id"].as_str().unwrap());
    assert_eq!(disk.get(&operation, &[]).await.json, json!({"status": "success"}));
    let meta = disk.get("/resources", &[("path", "/data.bin")]).await.json;
    assert_eq!(meta["size"], bytes.len());
    assert_eq!(meta["md5"], md5_hex(&bytes));
    assert_eq!(meta["sha256"], sha256_hex(&bytes));
    assert_eq!(
        (meta["mime_type"].as_str(), meta["media_type"].as_str()),
        (Some("application/octet-stream"), Some("data"))
    );
    assert!(meta["resource_id"].as_str().unwrap().starts_with("1130000000000001:"));
    assert_eq!(disk.download("/data.bin").await, bytes);
    // `file` in the resource is a download link too.
    let whole = disk.http.get(meta["file"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(whole.headers()["content-length"], bytes.len().to_string().as_str());
    assert!(whole.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("filename*=UTF-8''data.bin"));
    let etag = whole.headers()["etag"].to_str().unwrap().to_string();
    let href = disk.get("/resources/download", &[("path", "/data.bin")]).await.json["href"]
        .as_str()
        .unwrap()
        .to_string();
    let partial = disk
        .http
        .get(&href)
        .header("Range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(partial.status(), 206);
    assert_eq!(
        partial.headers()["content-range"],
        format!("bytes 1000-1999/{}", bytes.len()).as_str()
    );
    assert_eq!(partial.bytes().await.unwrap(), &bytes[1000..2000]);
    let tail = disk.http.get(&href).header("Range", "bytes=-5").send().await.unwrap();
    assert_eq!(tail.bytes().await.unwrap(), &bytes[bytes.len() - 5..]);
    let beyond = disk
        .http
        .get(&href)
        .header("Range", format!("bytes={}-", bytes.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), 416);
    assert_eq!(
        beyond.headers()["content-range"],
        format!("bytes */{}", bytes.len()).as_str()
    );
    let stale = disk
        .http
        .get(&href)
        .header("Range", "bytes=0-0")
        .header("If-Range", "\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);
    let cached = disk
        .http
        .get(&href)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
    let tampered = href.replace("filename=data.bin", "filename=evil.bin");
    let refused = disk.http.get(&tampered).send().await.unwrap();
    assert_eq!(refused.status(), 404);
    assert_eq!(refused.headers()["content-type"], "text/html");
    let folder = disk.get("/resources/download", &[("path", "/")]).await;
    assert_eq!(folder.status, 501);
}

#[tokio::test]
async fn links_expire_by_the_sandbox_clock() {
    let disk = Disk::start().await;
    assert_eq!(disk.upload("/f.txt", b"hello".to_vec()).await, 201);
    let download = disk.get("/resources/download", &[("path", "/f.txt")]).await.json["href"]
        .as_str()
        .unwrap()
        .to_string();
    let upload = disk.get("/resources/upload", &[("path", "/g.txt")]).await.json;
    // Upload links live 30 minutes; download links `link_ttl_s` (an hour by default).
    disk.advance_clock(1801).await;
    let put = disk.put_bytes(upload["href"].as_str().unwrap(), b"late".to_vec()).await;
    assert_eq!(put.status(), 404);
    let operation = format!("/operations/{}", upload["operation_id"].as_str().unwrap());
    assert_eq!(disk.get(&operation, &[]).await.json["status"], "failed");
    assert!(!disk.exists("/g.txt").await);
    assert_eq!(disk.http.get(&download).send().await.unwrap().status(), 200);
    disk.advance_clock(1800).await;
    let gone = disk.http.get(&download).send().await.unwrap();
    assert_eq!(gone.status(), 410);
    assert!(gone.text().await.unwrap().contains("410 Gone"));
}

#[tokio::test]
async fn a_reset_upload_leaves_nothing_and_the_link_can_be_retried() {
    let disk = Disk::start().await;
    let bytes = pattern(200_000);
    let link = disk.get("/resources/upload", &[("path", "/reset.bin")]).await.json;
    let href = link["href"].as_str().unwrap();
    disk.control(
        "faults",
        json!({"method": "PUT", "path": "/yandex-disk-upload", "reset": "request", "after_bytes": 1000}),
    )
    .await;
    assert!(disk.http.put(href).body(bytes.clone()).send().await.is_err());
    assert!(!disk.exists("/reset.bin").await);
    assert_eq!(disk.get("/", &[]).await.json["used_space"], 0);
    let operation = format!("/operations/{}", link["operation_id"].as_str().unwrap());
    assert_eq!(disk.get(&operation, &[]).await.json["status"], "in-progress");
    assert_eq!(disk.put_bytes(href, bytes.clone()).await.status(), 201);
    assert_eq!(disk.download("/reset.bin").await, bytes);
    // A used link is gone.
    assert_eq!(disk.put_bytes(href, bytes).await.status(), 404);
}

#[tokio::test]
async fn an_upload_whose_reply_is_lost_is_still_stored() {
    use tokio::io::AsyncWriteExt;
    let disk = Disk::start().await;
    let href = disk.get("/resources/upload", &[("path", "/lost.bin")]).await.json["href"]
        .as_str()
        .unwrap()
        .to_string();
    let url = url::Url::parse(&href).unwrap();
    let body = pattern(100_000);
    let mut socket = tokio::net::TcpStream::connect((url.host_str().unwrap(), url.port().unwrap()))
        .await
        .unwrap();
    let head = format!(
        "PUT {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Length: {}\r\n\r\n",
        url.path(),
        url.host_str().unwrap(),
        url.port().unwrap(),
        body.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&body).await.unwrap();
    drop(socket);
    for _ in 0..100 {
        if disk.exists("/lost.bin").await {
            assert_eq!(disk.download("/lost.bin").await, body);
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the upload was not stored");
}

#[tokio::test]
async fn overwriting_is_atomic_and_conflicts_are_409() {
    let disk = Disk::start().await;
    assert_eq!(disk.upload("/f.txt", b"old".to_vec()).await, 201);
    let refused = disk
        .get("/resources/upload", &[("path", "/f.txt"), ("overwrite", "false")])
        .await;
    assert_eq!(
        (refused.status.as_u16(), refused.json["error"].as_str()),
        (409, Some("DiskResourceAlreadyExistsError"))
    );
    disk.mkdir("/dir").await;
    let onto_dir = disk
        .get("/resources/upload", &[("path", "/dir"), ("overwrite", "true")])
        .await;
    assert_eq!(onto_dir.json["error"], "DiskPathPointsToExistentDirectoryError");
    let orphan = disk.get("/resources/upload", &[("path", "/none/f.txt")]).await;
    assert_eq!(orphan.json["error"], "DiskPathDoesntExistsError");
    let id = disk.get("/resources", &[("path", "/f.txt")]).await.json["resource_id"].clone();
    let link = disk
        .get("/resources/upload", &[("path", "/f.txt"), ("overwrite", "true")])
        .await
        .json;
    assert_eq!(disk.download("/f.txt").await, b"old");
    assert_eq!(
        disk.put_bytes(link["href"].as_str().unwrap(), b"new content".to_vec())
            .await
            .status(),
        201
    );
    assert_eq!(disk.download("/f.txt").await, b"new content");
    let meta = disk.get("/resources", &[("path", "/f.txt")]).await.json;
    assert_eq!((&meta["resource_id"], &meta["size"]), (&id, &json!(11)));
    assert_eq!(disk.get("/", &[]).await.json["used_space"], 11);
}

#[tokio::test]
async fn copy_move_and_delete() {
    let disk = Disk::start().await;
    disk.mkdir("/src").await;
    assert_eq!(disk.upload("/src/a.txt", b"aaa".to_vec()).await, 201);
    let copied = disk
        .api(
            Method::POST,
            "/resources/copy",
            &[("from", "/src/a.txt"), ("path", "/b.txt")],
        )
        .await;
    assert_eq!(copied.status, 201);
    assert!(copied.json["href"]
        .as_str()
        .unwrap()
        .ends_with("/yandex-disk/v1/disk/resources?path=disk%3A%2Fb.txt"));
    assert_eq!(
        (copied.json["method"].as_str(), copied.json["templated"].as_bool()),
        (Some("GET"), Some(false))
    );
    assert_eq!(disk.download("/b.txt").await, b"aaa");
    let again = disk
        .api(
            Method::POST,
            "/resources/copy",
            &[("from", "/src/a.txt"), ("path", "/b.txt")],
        )
        .await;
    assert_eq!(
        (again.status.as_u16(), again.json["error"].as_str()),
        (409, Some("DiskResourceAlreadyExistsError"))
    );
    let missing = disk
        .api(Method::POST, "/resources/copy", &[("from", "/nope"), ("path", "/c")])
        .await;
    assert_eq!(
        (missing.status.as_u16(), missing.json["error"].as_str()),
        (404, Some("DiskNotFoundError"))
    );
    let orphan = disk
        .api(
            Method::POST,
            "/resources/move",
            &[("from", "/b.txt"), ("path", "/x/y.txt")],
        )
        .await;
    assert_eq!(
        (orphan.status.as_u16(), orphan.json["error"].as_str()),
        (409, Some("DiskPathDoesntExistsError"))
    );
    let into_itself = disk
        .api(
            Method::POST,
            "/resources/move",
            &[("from", "/src"), ("path", "/src/inner")],
        )
        .await;
    assert_eq!(into_itself.status, 409);
    let moved = disk
        .api(
            Method::POST,
            "/resources/move",
            &[("from", "/b.txt"), ("path", "/src/a.txt"), ("overwrite", "true")],
        )
        .await;
    assert_eq!(moved.status, 201);
    assert!(!disk.exists("/b.txt").await);
    let empty = disk.api(Method::PUT, "/resources", &[("path", "/empty")]).await;
    assert_eq!(empty.status, 201);
    let renamed = disk
        .api(
            Method::POST,
            "/resources/move",
            &[("from", "/empty"), ("path", "/renamed")],
        )
        .await;
    assert_eq!(renamed.status, 201, "an empty folder moves synchronously");
    // A non-empty folder is answered with an operation even without force_async [verified-traffic].
    let deleted = disk
        .api(
            Method::DELETE,
            "/resources",
            &[("path", "/src"), ("permanently", "true")],
        )
        .await;
    assert_eq!(deleted.status, 202);
    assert_eq!(disk.wait(&deleted.json).await, "success");
    assert!(!disk.exists("/src").await);
    assert_eq!(disk.get("/", &[]).await.json["used_space"], 0);
    let md5 = disk.upload("/m.txt", b"m".to_vec()).await;
    assert_eq!(md5, 201);
    let wrong = disk
        .api(Method::DELETE, "/resources", &[("path", "/m.txt"), ("md5", "00")])
        .await;
    assert_eq!(wrong.json["error"], "MD5DifferError");
}

#[tokio::test]
async fn trash_renames_restores_and_clears() {
    let disk = Disk::start().await;
    disk.mkdir("/dir").await;
    assert_eq!(disk.upload("/dir/f.txt", b"content".to_vec()).await, 201);
    let id = disk.get("/resources", &[("path", "/dir/f.txt")]).await.json["resource_id"].clone();
    assert_eq!(
        disk.api(Method::DELETE, "/resources", &[("path", "/dir/f.txt")])
            .await
            .status,
        204
    );
    let trash = disk.get("/trash/resources", &[("path", "trash:/")]).await.json;
    let item = &trash["_embedded"]["items"][0];
    let trash_path = item["path"].as_str().unwrap().to_string();
    let suffix = trash_path.strip_prefix("trash:/f.txt_").expect("renamed with a suffix");
    assert!(suffix.len() == 40 && suffix.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        (item["name"].as_str(), item["origin_path"].as_str()),
        (Some("f.txt"), Some("disk:/dir/f.txt"))
    );
    assert!(item["deleted"].as_str().unwrap().ends_with("+00:00"));
    assert_eq!(item["resource_id"], id);
    let restored = disk
        .api(Method::PUT, "/trash/resources/restore", &[("path", &trash_path)])
        .await;
    assert_eq!(restored.status, 201);
    assert_eq!(disk.download("/dir/f.txt").await, b"content");
    assert_eq!(
        disk.get("/resources", &[("path", "/dir/f.txt")]).await.json["resource_id"],
        id
    );
    // Restoring over an existing resource needs overwrite; `name` renames.
    assert_eq!(
        disk.api(Method::DELETE, "/resources", &[("path", "/dir/f.txt")])
            .await
            .status,
        204
    );
    assert_eq!(disk.upload("/dir/f.txt", b"newer".to_vec()).await, 201);
    let trash_path = disk.get("/trash/resources", &[]).await.json["_embedded"]["items"][0]["path"]
        .as_str()
        .unwrap()
        .to_string();
    let clash = disk
        .api(Method::PUT, "/trash/resources/restore", &[("path", &trash_path)])
        .await;
    assert_eq!(clash.json["error"], "DiskResourceAlreadyExistsError");
    let renamed = disk
        .api(
            Method::PUT,
            "/trash/resources/restore",
            &[("path", &trash_path), ("name", "old.txt")],
        )
        .await;
    assert_eq!(renamed.status, 201);
    assert_eq!(disk.download("/dir/old.txt").await, b"content");
    // Clearing one entry, then everything.
    for name in ["/dir/old.txt", "/dir/f.txt"] {
        assert_eq!(
            disk.api(Method::DELETE, "/resources", &[("path", name)]).await.status,
            204
        );
    }
    let first = disk.get("/trash/resources", &[]).await.json["_embedded"]["items"][0]["path"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        disk.api(Method::DELETE, "/trash/resources", &[("path", &first)])
            .await
            .status,
        204
    );
    assert_eq!(disk.get("/trash/resources", &[]).await.json["_embedded"]["total"], 1);
    let cleared = disk.api(Method::DELETE, "/trash/resources", &[]).await;
    assert_eq!(cleared.status, 202, "emptying a non-empty Trash is an operation");
    assert_eq!(disk.wait(&cleared.json).await, "success");
    assert_eq!(disk.get("/", &[]).await.json["trash_size"], 0);
    let unknown = disk
        .api(Method::DELETE, "/trash/resources", &[("path", "trash:/nothing")])
        .await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn async_mode_answers_202_and_applies_later() {
    let disk = Disk::start().await;
    assert_eq!(disk.upload("/a.txt", b"a".to_vec()).await, 201);
    disk.set(json!({"yandex_disk_async": true, "async_delay_ms": 150}))
        .await;
    let copied = disk
        .api(
            Method::POST,
            "/resources/copy",
            &[("from", "/a.txt"), ("path", "/b.txt")],
        )
        .await;
    assert_eq!(copied.status, 202);
    assert!(copied.json["href"]
        .as_str()
        .unwrap()
        .contains("/yandex-disk/v1/disk/operations/"));
    assert!(
        !disk.exists("/b.txt").await,
        "nothing is visible before the operation ends"
    );
    let status = disk
        .http
        .get(copied.json["href"].as_str().unwrap())
        .header("Authorization", format!("OAuth {}", disk.token))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(status).await, json!({"status": "in-progress"}));
    assert_eq!(disk.wait(&copied.json).await, "success");
    assert!(disk.exists("/b.txt").await);
    // Errors are still answered at once.
    let missing = disk
        .api(Method::POST, "/resources/copy", &[("from", "/nope"), ("path", "/c")])
        .await;
    assert_eq!(missing.status, 404);
    // The upload host answers 202 and the file appears when the link's operation succeeds.
    let link = disk.get("/resources/upload", &[("path", "/up.txt")]).await.json;
    assert_eq!(
        disk.put_bytes(link["href"].as_str().unwrap(), b"later".to_vec())
            .await
            .status(),
        202
    );
    assert!(!disk.exists("/up.txt").await);
    let operation = json!({"href": format!("{}/yandex-disk/v1/disk/operations/{}", disk.url, link["operation_id"].as_str().unwrap())});
    assert_eq!(disk.wait(&operation).await, "success");
    assert_eq!(disk.download("/up.txt").await, b"later");
    let deleted = disk.api(Method::DELETE, "/resources", &[("path", "/a.txt")]).await;
    assert_eq!(deleted.status, 202);
    assert_eq!(disk.wait(&deleted.json).await, "success");
    // force_async asks for an operation in synchronous mode too.
    disk.set(json!({"yandex_disk_async": false})).await;
    let forced = disk
        .api(
            Method::POST,
            "/resources/move",
            &[("from", "/b.txt"), ("path", "/c.txt"), ("force_async", "true")],
        )
        .await;
    assert_eq!(forced.status, 202);
    assert_eq!(disk.wait(&forced.json).await, "success");
    let unknown = disk.get(&format!("/operations/{}", "0".repeat(64)), &[]).await;
    assert_eq!(
        (unknown.status.as_u16(), unknown.json["error"].as_str()),
        (404, Some("DiskOperationNotFoundError"))
    );
}

#[tokio::test]
async fn publishing_and_public_resources() {
    let disk = Disk::start().await;
    disk.mkdir("/shared").await;
    assert_eq!(disk.upload("/shared/first.txt", b"first file".to_vec()).await, 201);
    let published = disk
        .api(Method::PUT, "/resources/publish", &[("path", "/shared")])
        .await;
    assert_eq!(published.status, 200);
    let meta = disk.get("/resources", &[("path", "/shared")]).await.json;
    let public_key = meta["public_key"].as_str().unwrap().to_string();
    let public_url = meta["public_url"].as_str().unwrap().to_string();
    assert_eq!(public_key.len(), 88);
    let list = disk.get("/resources/public", &[]).await.json;
    assert_eq!(list["items"][0]["path"], "disk:/shared");
    assert_eq!(
        disk.get("/resources/public", &[("type", "file")]).await.json["items"],
        json!([])
    );
    // Public endpoints need no token; paths inside are relative to the public root.
    for key in [public_key.as_str(), public_url.as_str()] {
        let root = disk
            .api_as("", Method::GET, "/public/resources", &[("public_key", key)])
            .await;
        assert_eq!(root.status, 200, "{}", root.json);
        assert_eq!(root.json["path"], "/");
        assert_eq!(root.json["_embedded"]["items"][0]["path"], "/first.txt");
        assert_eq!(root.json["_embedded"]["public_key"], public_key.as_str());
    }
    let inside = disk
        .api_as(
            "",
            Method::GET,
            "/public/resources",
            &[("public_key", &public_key), ("path", "/first.txt")],
        )
        .await;
    assert_eq!(inside.json["size"], 10);
    let link = disk
        .api_as(
            "",
            Method::GET,
            "/public/resources/download",
            &[("public_key", &public_key), ("path", "/first.txt")],
        )
        .await;
    let href = link.json["href"].as_str().unwrap();
    assert!(href.contains("uid=0"));
    assert_eq!(
        disk.http.get(href).send().await.unwrap().bytes().await.unwrap(),
        b"first file".as_slice()
    );
    assert_eq!(disk.http.get(&public_url).send().await.unwrap().status(), 200);
    // Another user saves it into their Downloads folder, twice.
    let ivan = disk.token_for(Some(SECOND_USER), None).await;
    for expected in ["disk:/Загрузки/first.txt", "disk:/Загрузки/first (1).txt"] {
        let saved = disk
            .api_as(
                &ivan,
                Method::POST,
                "/public/resources/save-to-disk",
                &[("public_key", &public_key), ("path", "/first.txt")],
            )
            .await;
        assert_eq!(saved.status, 201, "{}", saved.json);
        let target = disk
            .http
            .get(saved.json["href"].as_str().unwrap())
            .header("Authorization", format!("OAuth {ivan}"))
            .send()
            .await
            .unwrap();
        assert_eq!(json_of(target).await["path"], expected);
    }
    let folder = disk
        .api_as(
            &ivan,
            Method::POST,
            "/public/resources/save-to-disk",
            &[("public_key", &public_key), ("save_path", "/"), ("name", "copy")],
        )
        .await;
    assert_eq!(folder.status, 202, "a non-empty folder is saved behind an operation");
    let done = disk
        .http
        .get(folder.json["href"].as_str().unwrap())
        .header("Authorization", format!("OAuth {ivan}"));
    assert_eq!(json_of(done.send().await.unwrap()).await["status"], "in-progress");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let copy = disk
        .api_as(&ivan, Method::GET, "/resources", &[("path", "/copy")])
        .await
        .json;
    assert_eq!(names(&copy), ["first.txt"]);
    assert_eq!(
        disk.api(Method::PUT, "/resources/unpublish", &[("path", "/shared")])
            .await
            .status,
        200
    );
    let gone = disk
        .api_as("", Method::GET, "/public/resources", &[("public_key", &public_key)])
        .await;
    assert_eq!(
        (gone.status.as_u16(), gone.json["error"].as_str()),
        (404, Some("DiskNotFoundError"))
    );
    assert!(disk
        .get("/resources", &[("path", "/shared")])
        .await
        .json
        .get("public_key")
        .is_none());
}

#[tokio::test]
async fn flat_file_lists() {
    let disk = Disk::start().await;
    disk.mkdir("/docs").await;
    for (path, bytes) in [("/docs/b.txt", 1), ("/a.jpg", 2), ("/c.txt", 3)] {
        assert_eq!(disk.upload(path, pattern(bytes)).await, 201);
    }
    let files = disk.get("/resources/files", &[]).await.json;
    let listed: Vec<&str> = files["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["a.jpg", "b.txt", "c.txt"]);
    assert_eq!((files["limit"].as_u64(), files["offset"].as_u64()), (Some(20), Some(0)));
    let documents = disk
        .get(
            "/resources/files",
            &[("media_type", "document"), ("limit", "1"), ("offset", "1")],
        )
        .await
        .json;
    assert_eq!(documents["items"][0]["path"], "disk:/c.txt");
    let images = disk
        .get(
            "/resources/files",
            &[("media_type", "image,video"), ("fields", "items.mime_type")],
        )
        .await
        .json;
    assert_eq!(images, json!({"items": [{"type": "file", "mime_type": "image/jpeg"}]}));
    let last = disk.get("/resources/last-uploaded", &[("limit", "2")]).await.json;
    let recent: Vec<&str> = last["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!((recent, last["limit"].as_u64()), (vec!["c.txt", "a.jpg"], Some(2)));
}

#[tokio::test]
async fn special_characters_in_names_round_trip() {
    let disk = Disk::start().await;
    let dir = "disk:/Папка с пробелами";
    disk.mkdir(dir).await;
    let path = format!("{dir}/a:b%c+d #e?f.txt");
    assert_eq!(disk.upload(&path, b"odd".to_vec()).await, 201);
    let meta = disk.get("/resources", &[("path", &path)]).await.json;
    assert_eq!(
        (meta["name"].as_str(), meta["path"].as_str()),
        (Some("a:b%c+d #e?f.txt"), Some(path.as_str()))
    );
    assert_eq!(disk.download(&path).await, b"odd");
    let copy = format!("{dir}/копия+1.txt");
    assert_eq!(
        disk.api(Method::POST, "/resources/copy", &[("from", &path), ("path", &copy)])
            .await
            .status,
        201
    );
    let listing = disk.get("/resources", &[("path", dir)]).await.json;
    assert_eq!(names(&listing), ["a:b%c+d #e?f.txt", "копия+1.txt"]);
    // A `:` in a name needs the explicit disk:/ scheme.
    assert_eq!(disk.get("/resources", &[("path", "a:b")]).await.status, 400);
}

#[tokio::test]
async fn every_user_has_their_own_disk() {
    let disk = Disk::start().await;
    assert_eq!(disk.upload("/mine.txt", pattern(10)).await, 201);
    let ivan = disk.token_for(Some(SECOND_USER), None).await;
    assert_eq!(
        disk.api_as(&ivan, Method::GET, "/resources", &[("path", "/mine.txt")])
            .await
            .status,
        404
    );
    let info = disk.api_as(&ivan, Method::GET, "/", &[]).await.json;
    assert_eq!(
        (info["used_space"].as_u64(), info["user"]["uid"].as_str()),
        (Some(0), Some(SECOND_USER))
    );
    let operation = disk.get("/resources/upload", &[("path", "/other.txt")]).await.json["operation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let foreign = disk
        .api_as(&ivan, Method::GET, &format!("/operations/{operation}"), &[])
        .await;
    assert_eq!(foreign.status, 404);
    // The outsider has a free plan: 1 GiB per file.
    let outsider = disk.token_for(Some(OUTSIDER), None).await;
    let plan = disk.api_as(&outsider, Method::GET, "/", &[]).await.json;
    assert_eq!(
        (plan["is_paid"].as_bool(), plan["total_space"].as_u64()),
        (Some(false), Some(10 << 30))
    );
}

#[tokio::test]
async fn upload_from_a_url_takes_only_sandbox_links() {
    let disk = Disk::start().await;
    assert_eq!(disk.upload("/source.txt", b"from a link".to_vec()).await, 201);
    let href = disk.get("/resources/download", &[("path", "/source.txt")]).await.json["href"]
        .as_str()
        .unwrap()
        .to_string();
    let started = disk
        .api(
            Method::POST,
            "/resources/upload",
            &[("url", &href), ("path", "/fetched.txt")],
        )
        .await;
    assert_eq!(started.status, 202);
    assert_eq!(disk.wait(&started.json).await, "success");
    assert_eq!(disk.download("/fetched.txt").await, b"from a link");
    let outside = disk
        .api(
            Method::POST,
            "/resources/upload",
            &[("url", "https://example.com/x.txt"), ("path", "/x.txt")],
        )
        .await;
    assert_eq!(outside.status, 202);
    assert_eq!(disk.wait(&outside.json).await, "failed");
    assert!(!disk.exists("/x.txt").await);
}

#[tokio::test]
async fn custom_properties_merge() {
    let disk = Disk::start().await;
    disk.mkdir("/p").await;
    let patch = |body: Value| {
        let request = disk
            .http
            .patch(format!("{}/yandex-disk/v1/disk/resources?path=%2Fp", disk.url));
        let request = request.header("Authorization", format!("OAuth {}", disk.token));
        request
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
    };
    let first = reply(patch(json!({"custom_properties": {"a": "1", "b": "2"}})).await.unwrap()).await;
    assert_eq!(first.json["custom_properties"], json!({"a": "1", "b": "2"}));
    let second = reply(patch(json!({"custom_properties": {"a": null}})).await.unwrap()).await;
    assert_eq!(second.json["custom_properties"], json!({"b": "2"}));
    let cleared = reply(patch(json!({"custom_properties": {"b": null}})).await.unwrap()).await;
    assert!(cleared.json.get("custom_properties").is_none_or(Value::is_null));
}

/// What a backup compares without reading content: size, sha256 (and md5) and the properties
/// it recorded, in the metadata and in every listing.
#[tokio::test]
async fn checksums_and_custom_properties_show_in_metadata_and_listings() {
    let disk = Disk::start().await;
    disk.mkdir("/backup").await;
    let bytes = pattern(5000);
    assert_eq!(disk.upload("/backup/a.bin", bytes.clone()).await, 201);
    let patched = disk
        .http
        .patch(format!("{}/yandex-disk/v1/disk/resources", disk.url))
        .query(&[("path", "/backup/a.bin")])
        .header("Authorization", format!("OAuth {}", disk.token))
        .header("Content-Type", "application/json")
        .body(json!({"custom_properties": {"mtime": "1700000000"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let expected = |item: &Value| {
        assert_eq!(item["sha256"], sha256_hex(&bytes));
        assert_eq!(item["md5"], md5_hex(&bytes));
        assert_eq!(item["size"], 5000);
        assert_eq!(item["custom_properties"], json!({"mtime": "1700000000"}));
    };
    expected(&disk.get("/resources", &[("path", "/backup/a.bin")]).await.json);
    let folder = disk.get("/resources", &[("path", "/backup")]).await.json;
    expected(&folder["_embedded"]["items"][0]);
    let flat = disk.get("/resources/files", &[]).await.json;
    expected(&flat["items"][0]);
    let selected = disk
        .get(
            "/resources",
            &[
                ("path", "/backup"),
                ("fields", "_embedded.items.sha256,_embedded.items.custom_properties"),
            ],
        )
        .await
        .json;
    assert_eq!(selected["_embedded"]["items"][0]["sha256"], sha256_hex(&bytes));
}

#[tokio::test]
async fn files_survive_a_restart_with_a_data_dir() {
    let dir = std::env::temp_dir().join(format!("diskbridge-disk-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let options = SandboxOptions {
        port: 0,
        data_dir: Some(dir.clone()),
        ..SandboxOptions::default()
    };
    let bytes = pattern(70_000);
    let (token, href) = {
        let disk = Disk::on(Sandbox::start_with(options.clone()).unwrap()).await;
        assert_eq!(disk.upload("/kept.bin", bytes.clone()).await, 201);
        assert_eq!(disk.upload("/dropped.bin", pattern(5)).await, 201);
        let dropped = disk
            .api(
                Method::DELETE,
                "/resources",
                &[("path", "/dropped.bin"), ("permanently", "true")],
            )
            .await;
        assert_eq!(dropped.status, 204);
        let href = disk.get("/resources/download", &[("path", "/kept.bin")]).await.json["href"]
            .as_str()
            .unwrap()
            .to_string();
        (disk.token.clone(), href)
    };
    let sandbox = Sandbox::start_with(options).unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/yandex-disk/v1/disk/resources?path=%2Fkept.bin", sandbox.url());
    let meta = json_of(
        http.get(url)
            .header("Authorization", format!("OAuth {token}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(meta["md5"], md5_hex(&bytes));
    let content = http
        .get(meta["file"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(content, bytes.as_slice());
    // A link handed out before the restart points at the old port, but its signature holds.
    let old_path = &href[href.find("/yandex-disk-download").unwrap()..];
    let again = http.get(format!("{}{old_path}", sandbox.url())).send().await.unwrap();
    assert_eq!(again.status(), 200);
    let blobs = std::fs::read_dir(dir.join("yandex-disk-blobs")).unwrap().count();
    assert_eq!(blobs, 1, "the permanently deleted file's content is gone");
    drop(sandbox);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `link_bytes_per_s` holds new connections to a link's bandwidth both ways (for benchmarks at a
/// given link speed). Only lower bounds are asserted: a busy machine may be slower, never faster.
/// 512 KiB at 1 MiB/s is half a second, less at most 10 ms for the last piece.
#[tokio::test]
async fn a_link_speed_holds_transfers_to_it() {
    let disk = Disk::start().await;
    let bytes = pattern(512 * 1024);
    disk.set(json!({"link_bytes_per_s": 1024 * 1024})).await;
    // A new client: connections pooled before the setting keep loopback's speed.
    let fresh = reqwest::Client::new();
    let link = disk.get("/resources/upload", &[("path", "/paced.bin")]).await;
    let started = std::time::Instant::now();
    let put = fresh
        .put(link.json["href"].as_str().unwrap())
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201);
    assert!(
        started.elapsed().as_secs_f64() >= 0.45,
        "upload took {:?}",
        started.elapsed()
    );
    let link = disk.get("/resources/download", &[("path", "/paced.bin")]).await;
    let started = std::time::Instant::now();
    let got = fresh
        .get(link.json["href"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        started.elapsed().as_secs_f64() >= 0.45,
        "download took {:?}",
        started.elapsed()
    );
    assert_eq!(got.to_vec(), bytes);
}
