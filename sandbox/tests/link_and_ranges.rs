//! What parallel ranged downloads and realistic links need of the sandbox: concurrent ranges
//! answered 206, faults that reset some of those range connections, a download host that
//! ignores `Range`, the link latency `rtt_ms`, and the request log's record of the user agent
//! that asked for an upload link.

mod common_disk;

use std::time::{Duration, Instant};

use common_disk::{json_of, pattern, Disk};
use futures_util::future::join_all;
use serde_json::{json, Value};

const MIB: usize = 1024 * 1024;

/// Fetches `ranges` of `href` at once; each result is the body, or None when it broke.
async fn fetch_ranges(disk: &Disk, href: &str, ranges: &[(usize, usize)]) -> Vec<Option<Vec<u8>>> {
    let requests = ranges.iter().map(|(first, last)| async move {
        let response = disk
            .http
            .get(href)
            .header("Range", format!("bytes={first}-{last}"))
            .send()
            .await
            .ok()?;
        assert_eq!(response.status(), 206);
        let expected = format!("bytes {first}-{last}/");
        assert!(response.headers()["content-range"]
            .to_str()
            .unwrap()
            .starts_with(&expected));
        response.bytes().await.ok().map(|b| b.to_vec())
    });
    join_all(requests).await
}

async fn download_href(disk: &Disk, path: &str) -> String {
    let link = disk.get("/resources/download", &[("path", path)]).await;
    link.json["href"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn concurrent_ranges_are_206_and_a_fault_resets_exactly_two_of_them() {
    let disk = Disk::start().await;
    let bytes = pattern(4 * MIB);
    assert_eq!(disk.upload("/big.bin", bytes.clone()).await, 201);
    let href = download_href(&disk, "/big.bin").await;
    disk.control(
        "faults",
        json!({"method": "GET", "path": "/yandex-disk-download", "with_range": true,
               "reset": "response", "after_bytes": 64 * 1024, "times": 2}),
    )
    .await;
    // A request without Range is not matched by the fault.
    assert_eq!(disk.download("/big.bin").await, bytes);
    let ranges: Vec<(usize, usize)> = (0..4).map(|i| (i * MIB, (i + 1) * MIB - 1)).collect();
    let results = fetch_ranges(&disk, &href, &ranges).await;
    assert_eq!(
        results.iter().filter(|r| r.is_none()).count(),
        2,
        "two ranges are reset"
    );
    for (result, (first, last)) in results.iter().zip(&ranges) {
        if let Some(body) = result {
            assert_eq!(body, &bytes[*first..=*last]);
        }
    }
    // The faults are used up: the broken ranges come whole on a second try.
    let broken: Vec<(usize, usize)> = ranges
        .iter()
        .zip(&results)
        .filter(|(_, r)| r.is_none())
        .map(|(r, _)| *r)
        .collect();
    for (result, (first, last)) in fetch_ranges(&disk, &href, &broken).await.iter().zip(&broken) {
        assert_eq!(result.as_deref(), Some(&bytes[*first..=*last]));
    }
}

#[tokio::test]
async fn a_host_that_ignores_range_answers_200_with_the_whole_file() {
    let disk = Disk::start().await;
    let bytes = pattern(100_000);
    assert_eq!(disk.upload("/f.bin", bytes.clone()).await, 201);
    let href = download_href(&disk, "/f.bin").await;
    disk.set(json!({"ignore_range": true})).await;
    let response = disk
        .http
        .get(&href)
        .header("Range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("content-range").is_none());
    assert_eq!(response.bytes().await.unwrap(), bytes);
    disk.set(json!({"ignore_range": false})).await;
    let response = disk
        .http
        .get(&href)
        .header("Range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 206);
}

#[tokio::test]
async fn drive_downloads_take_concurrent_ranges_faults_and_ignore_range() {
    let env = common_google_env().await;
    let (http, url, token) = (&env.0, &env.1, &env.2);
    let bytes = pattern(2 * MIB);
    let created = http
        .post(format!("{url}/google-apis/upload/drive/v3/files?uploadType=media"))
        .bearer_auth(token)
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    let id = json_of(created).await["id"].as_str().unwrap().to_string();
    let media = format!("{url}/google-apis/drive/v3/files/{id}?alt=media");
    let fault = json!({"path": format!("/google-apis/drive/v3/files/{id}"), "with_range": true,
                       "reset": "response", "after_bytes": 1000});
    control(http, url, "faults", fault).await;
    let ranged = |first: usize, last: usize| {
        http.get(&media)
            .bearer_auth(token)
            .header("Range", format!("bytes={first}-{last}"))
            .send()
    };
    let (a, b) = tokio::join!(ranged(0, MIB - 1), ranged(MIB, 2 * MIB - 1));
    let mut whole = 0;
    for (response, first) in [(a, 0), (b, MIB)] {
        // A reset may come before the headers were flushed: then the request itself fails.
        let Ok(response) = response else { continue };
        assert_eq!(response.status(), 206);
        if let Ok(body) = response.bytes().await {
            assert_eq!(body, &bytes[first..first + MIB]);
            whole += 1;
        }
    }
    assert_eq!(whole, 1, "one of the two ranges is reset");
    control(http, url, "settings", json!({"ignore_range": true})).await;
    let response = ranged(5, 9).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().len(), bytes.len());
}

#[tokio::test]
async fn rtt_ms_delays_every_request_and_every_new_connection() {
    let disk = Disk::start().await;
    disk.set(json!({"rtt_ms": 150})).await;
    // A new connection: its handshake, then the request (lower bounds only: they cannot flake).
    let fresh = reqwest::Client::new();
    let started = Instant::now();
    let response = fresh
        .get(format!("{}/yandex-disk/v1/disk/", disk.url))
        .header("Authorization", format!("OAuth {}", disk.token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "took {:?}",
        started.elapsed()
    );
    // The same connection again: one round trip.
    let started = Instant::now();
    let again = fresh
        .get(format!("{}/yandex-disk/v1/disk/", disk.url))
        .header("Authorization", format!("OAuth {}", disk.token))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "took {:?}",
        started.elapsed()
    );
    let settings: Value = json_of(
        disk.http
            .get(format!("{}/_sandbox/settings", disk.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(settings["rtt_ms"], 150);
}

#[tokio::test]
async fn the_request_log_shows_the_user_agent_that_asked_for_an_upload_link() {
    let disk = Disk::start().await;
    let agent = "Yandex.Disk {\"os\":\"windows\",\"dtype\":\"ydisk3\",\"vsn\":\"3.2.37.4977\"}";
    let link = disk
        .http
        .get(format!("{}/yandex-disk/v1/disk/resources/upload", disk.url))
        .query(&[("path", "/ua.bin")])
        .header("Authorization", format!("OAuth {}", disk.token))
        .header("User-Agent", agent)
        .send()
        .await
        .unwrap();
    assert_eq!(link.status(), 200);
    let log = json_of(
        disk.http
            .get(format!("{}/_sandbox/requests", disk.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let entry = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "/yandex-disk/v1/disk/resources/upload")
        .expect("the upload-link request is logged");
    assert_eq!(entry["headers"]["user-agent"], agent);
    assert_eq!(entry["status"], 200);
}

/// A sandbox, a client and a Google access token of the default user with full Drive access.
async fn common_google_env() -> (reqwest::Client, String, String, diskbridge_sandbox::Sandbox) {
    let disk = Disk::start().await;
    let url = disk.url.clone();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let consent = http
        .get(format!("{url}/google-accounts/o/oauth2/v2/auth"))
        .query(&[
            ("client_id", diskbridge_sandbox::GOOGLE_CLIENT_ID),
            ("redirect_uri", "http://127.0.0.1:9/cb"),
            ("response_type", "token"),
            ("scope", "https://www.googleapis.com/auth/drive"),
        ])
        .send()
        .await
        .unwrap();
    let location = consent.headers()["location"].to_str().unwrap().replace('#', "?");
    let token = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    (http, url, token, disk.sandbox)
}

async fn control(http: &reqwest::Client, url: &str, path: &str, body: Value) {
    let response = http
        .post(format!("{url}/_sandbox/{path}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "control {path}");
}
