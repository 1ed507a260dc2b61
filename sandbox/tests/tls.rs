//! HTTPS: the sandbox serves TLS on request, HTTP/2 or HTTP/1.1 by ALPN, with a CA whose file it
//! reports; links it hands out are https; faults still cut bodies; a certificate of an
//! unreported CA is refused by a client that trusts the reported one.

mod common_disk;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common_disk::{json_of, pattern, Disk};
use diskbridge_sandbox::{Sandbox, SandboxOptions};
use reqwest::Version;
use serde_json::json;

fn tls_sandbox(http1_only: bool) -> Sandbox {
    Sandbox::start_with(SandboxOptions {
        tls: true,
        http1_only,
        ..SandboxOptions::default()
    })
    .expect("sandbox starts")
}

/// A client that trusts the sandbox's CA and nothing else.
fn trusting(sandbox: &Sandbox) -> reqwest::Client {
    let pem = std::fs::read(sandbox.ca_file().expect("a CA file")).unwrap();
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap()
}

/// Uploads and downloads a file through the data hosts and returns the HTTP versions seen on
/// the API, the upload host and the download host.
async fn round_trip(disk: &Disk) -> Vec<Version> {
    let bytes = pattern(300_000);
    let link = disk.get("/resources/upload", &[("path", "/tls.bin")]).await;
    let href = link.json["href"].as_str().unwrap();
    assert!(href.starts_with("https://127.0.0.1:"), "{href}");
    let put = disk.put_bytes(href, bytes.clone()).await;
    assert_eq!(put.status(), 201);
    let download = disk.get("/resources/download", &[("path", "/tls.bin")]).await.json;
    let href = download["href"].as_str().unwrap();
    assert!(href.starts_with("https://"), "{href}");
    let ranged = disk.http.get(href).header("Range", "bytes=10-19").send().await.unwrap();
    assert_eq!(ranged.status(), 206);
    let ranged_version = ranged.version();
    assert_eq!(ranged.bytes().await.unwrap(), &bytes[10..20]);
    assert_eq!(disk.download("/tls.bin").await, bytes);
    let info = disk.http.get(format!("{}/yandex-disk/v1/disk/", disk.url));
    let info = info
        .header("Authorization", format!("OAuth {}", disk.token))
        .send()
        .await
        .unwrap();
    vec![info.version(), put.version(), ranged_version]
}

#[tokio::test]
async fn https_speaks_http2_by_alpn_and_hands_out_https_links() {
    let sandbox = tls_sandbox(false);
    assert!(sandbox.url().starts_with("https://127.0.0.1:"));
    let ca_file = sandbox.ca_file().unwrap().to_path_buf();
    let http = trusting(&sandbox);
    let reported = json_of(
        http.get(format!("{}/_sandbox/tls", sandbox.url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reported, json!({"ca_file": ca_file.to_str().unwrap()}));
    let disk = Disk::with_client(sandbox, http).await;
    assert_eq!(round_trip(&disk).await, vec![Version::HTTP_2; 3]);
    drop(disk);
    assert!(!ca_file.exists(), "the CA file goes with the sandbox");
}

#[tokio::test]
async fn https_can_offer_http1_only() {
    let sandbox = tls_sandbox(true);
    let http = trusting(&sandbox);
    let disk = Disk::with_client(sandbox, http).await;
    assert_eq!(round_trip(&disk).await, vec![Version::HTTP_11; 3]);
}

#[tokio::test]
async fn a_reset_mid_body_works_over_tls_on_both_versions() {
    for http1_only in [false, true] {
        let sandbox = tls_sandbox(http1_only);
        let http = trusting(&sandbox);
        let disk = Disk::with_client(sandbox, http).await;
        let bytes = pattern(2 * 1024 * 1024);
        assert_eq!(disk.upload("/big.bin", bytes.clone()).await, 201);
        let href = disk.get("/resources/download", &[("path", "/big.bin")]).await.json["href"]
            .as_str()
            .unwrap()
            .to_string();
        disk.control(
            "faults",
            json!({"method": "GET", "path": "/yandex-disk-download", "reset": "response", "after_bytes": 100_000}),
        )
        .await;
        // Over HTTP/2 the stream is reset (RST_STREAM), which may reach the client before the
        // headers it already sent: the request fails either way.
        let cut = match disk.http.get(&href).send().await {
            Err(_) => true,
            Ok(response) => response.status() == 200 && response.bytes().await.is_err(),
        };
        assert!(cut, "http1_only {http1_only}: the body is cut");
        // The next request is whole.
        assert_eq!(disk.download("/big.bin").await, bytes);
    }
}

#[tokio::test]
async fn a_certificate_of_an_unreported_ca_is_refused() {
    let sandbox = Sandbox::start_with(SandboxOptions {
        tls: true,
        untrusted_certificate: true,
        ..SandboxOptions::default()
    })
    .unwrap();
    let refused = trusting(&sandbox)
        .get(format!("{}/_sandbox/clock", sandbox.url()))
        .send()
        .await
        .expect_err("the certificate is not trusted");
    assert!(refused.is_connect(), "{refused:?}");
    // Without the CA, a client trusting only the machine's roots refuses the usual sandbox too.
    let usual = tls_sandbox(false);
    let http = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .build()
        .unwrap();
    assert!(http
        .get(format!("{}/_sandbox/clock", usual.url()))
        .send()
        .await
        .is_err());
}

#[test]
fn the_binary_prints_the_ca_file_on_its_second_line() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_diskbridge-sandbox"))
        .args(["--port", "0", "--tls"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines.next().unwrap().unwrap();
    let ca_file = lines.next().unwrap().unwrap();
    let pem = std::fs::read_to_string(&ca_file).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    assert!(ca_file.ends_with("sandbox-ca.pem"), "{ca_file}");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    // Killed, it could not clean up; the next sandbox reclaims its directory (tests/lifecycle.rs).
}
