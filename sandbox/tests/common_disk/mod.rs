//! Helpers for the Yandex Disk emulator tests: a sandbox, tokens from the device flow over
//! HTTP, and short calls of the REST API and the data hosts.

#![allow(dead_code)]

use std::time::Duration;

use diskbridge_sandbox::{Sandbox, YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET};
use md5::Md5;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const SECOND_USER: &str = "1130000000000002";
pub const OUTSIDER: &str = "1130000000000099";

pub struct Disk {
    pub sandbox: Sandbox,
    pub url: String,
    pub http: reqwest::Client,
    /// A token of the default user with every Disk right.
    pub token: String,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub json: Value,
}

impl Disk {
    pub async fn start() -> Disk {
        Disk::on(Sandbox::start().expect("sandbox starts")).await
    }

    pub async fn on(sandbox: Sandbox) -> Disk {
        Disk::with_client(sandbox, reqwest::Client::new()).await
    }

    /// With a client of the test's own (one that trusts a TLS sandbox's CA, say).
    pub async fn with_client(sandbox: Sandbox, http: reqwest::Client) -> Disk {
        let url = sandbox.url().to_string();
        let mut disk = Disk {
            sandbox,
            url,
            http,
            token: String::new(),
        };
        disk.token = disk.token_for(None, None).await;
        disk
    }

    /// A token from the device flow, approved as `uid` (the default user when None), for
    /// `scope` (every right of the client when None).
    pub async fn token_for(&self, uid: Option<&str>, scope: Option<&str>) -> String {
        let mut form = vec![("client_id", YANDEX_CLIENT_ID)];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        let code: Value = self.post_form("/yandex-oauth/device/code", &form).await;
        let user_code = code["user_code"].as_str().unwrap();
        let mut approval = vec![("user_code", user_code)];
        if let Some(uid) = uid {
            approval.push(("uid", uid));
        }
        let approved = self
            .http
            .post(format!("{}/yandex-oauth/device", self.url))
            .form(&approval)
            .send()
            .await
            .unwrap();
        assert_eq!(approved.status(), 200);
        let token: Value = self
            .post_form(
                "/yandex-oauth/token",
                &[
                    ("grant_type", "device_code"),
                    ("code", code["device_code"].as_str().unwrap()),
                    ("client_id", YANDEX_CLIENT_ID),
                    ("client_secret", YANDEX_CLIENT_SECRET),
                ],
            )
            .await;
        token["access_token"].as_str().expect("a token").to_string()
    }

    async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .form(form)
            .send()
            .await
            .unwrap();
        json_of(response).await
    }

    /// Calls `/yandex-disk/v1/disk<path>` with the default token and query pairs.
    pub async fn api(&self, method: Method, path: &str, query: &[(&str, &str)]) -> Reply {
        self.api_as(&self.token, method, path, query).await
    }

    pub async fn api_as(&self, token: &str, method: Method, path: &str, query: &[(&str, &str)]) -> Reply {
        let mut request = self
            .http
            .request(method, format!("{}/yandex-disk/v1/disk{path}", self.url))
            .query(query);
        if !token.is_empty() {
            request = request.header("Authorization", format!("OAuth {token}"));
        }
        reply(request.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Reply {
        self.api(Method::GET, path, query).await
    }

    pub async fn control(&self, path: &str, body: Value) {
        let response = self
            .http
            .post(format!("{}/_sandbox/{path}", self.url))
            .body(body.to_string());
        let response = response
            .header("Content-Type", "application/json")
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "control {path}: {}", response.status());
    }

    pub async fn mkdir(&self, path: &str) {
        let reply = self.api(Method::PUT, "/resources", &[("path", path)]).await;
        assert_eq!(reply.status, 201, "mkdir {path}: {}", reply.json);
    }

    /// Uploads `bytes` to `path` the two-step way and returns the PUT's status.
    pub async fn upload(&self, path: &str, bytes: Vec<u8>) -> StatusCode {
        self.upload_as(&self.token, path, bytes).await
    }

    pub async fn upload_as(&self, token: &str, path: &str, bytes: Vec<u8>) -> StatusCode {
        let link = self
            .api_as(
                token,
                Method::GET,
                "/resources/upload",
                &[("path", path), ("overwrite", "true")],
            )
            .await;
        assert_eq!(link.status, 200, "upload link for {path}: {}", link.json);
        self.put_bytes(link.json["href"].as_str().unwrap(), bytes)
            .await
            .status()
    }

    /// PUTs raw bytes with no Authorization header, as clients of the upload host do.
    pub async fn put_bytes(&self, href: &str, bytes: Vec<u8>) -> reqwest::Response {
        self.http.put(href).body(bytes).send().await.unwrap()
    }

    /// The content of the file at `path`, through its download link.
    pub async fn download(&self, path: &str) -> Vec<u8> {
        let link = self.get("/resources/download", &[("path", path)]).await;
        assert_eq!(link.status, 200, "download link for {path}: {}", link.json);
        let response = self.http.get(link.json["href"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap().to_vec()
    }

    /// Polls an operation Link until it is no longer `in-progress`.
    pub async fn wait(&self, operation: &Value) -> String {
        let href = operation["href"].as_str().expect("an operation link");
        for _ in 0..100 {
            let response = self
                .http
                .get(href)
                .header("Authorization", format!("OAuth {}", self.token))
                .send()
                .await
                .unwrap();
            let status = json_of(response).await;
            if status["status"] != "in-progress" {
                return status["status"].as_str().unwrap().to_string();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("operation {href} never finished");
    }

    pub async fn exists(&self, path: &str) -> bool {
        self.get("/resources", &[("path", path)]).await.status == 200
    }

    pub async fn set(&self, settings: Value) {
        self.control("settings", settings).await;
    }

    pub async fn advance_clock(&self, seconds: i64) {
        self.control("clock", json!({"advance_s": seconds})).await;
    }
}

/// A response body as JSON (reqwest's `json` feature is not enabled in this crate).
pub async fn json_of(response: reqwest::Response) -> Value {
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or(Value::Null)
}

pub async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply { status, headers, json }
}

/// Deterministic bytes that are not all alike.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

pub fn md5_hex(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
