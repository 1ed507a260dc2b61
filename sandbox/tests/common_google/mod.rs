//! Helpers of the Google emulator tests: a sandbox with a client, tokens by each flow, and
//! service-account assertions signed with the key the sandbox hands out.

#![allow(dead_code)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diskbridge_sandbox::{Sandbox, GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET};
use reqwest::{Client, Method, RequestBuilder, Response};
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const DRIVE: &str = "https://www.googleapis.com/auth/drive";
pub const REDIRECT: &str = "http://127.0.0.1:8765/callback";

pub struct Env {
    // Kept alive for the test; dropped last.
    _sandbox: Sandbox,
    pub url: String,
    pub http: Client,
}

pub fn start() -> Env {
    Env::attach(Sandbox::start().expect("sandbox starts"))
}

impl Env {
    pub fn attach(sandbox: Sandbox) -> Env {
        let url = sandbox.url().to_string();
        let http = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Env {
            _sandbox: sandbox,
            url,
            http,
        }
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.url))
    }

    /// A Drive API request (`path` under `/google-apis`) with a bearer token.
    pub fn api(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.request(method, &format!("/google-apis{path}")).bearer_auth(token)
    }

    pub async fn control(&self, path: &str, body: Value) {
        let response = self
            .request(Method::POST, &format!("/_sandbox/{path}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "control {path}: {}", response.status());
    }

    pub async fn advance_clock(&self, seconds: i64) {
        self.control("clock", json!({"advance_s": seconds})).await;
    }

    /// Consents at the authorization URL and returns the `code` of the redirect.
    pub async fn consent(&self, extra: &str) -> String {
        let location = self.authorize(&format!("scope={}&{extra}", enc(DRIVE))).await;
        query_param(&location, "code").expect("a code in the redirect")
    }

    /// GET of an authorization URL of the built-in client; returns `Location`.
    pub async fn authorize(&self, query: &str) -> String {
        let response = self
            .request(
                Method::GET,
                &format!(
                    "/google-accounts/o/oauth2/v2/auth?client_id={}&redirect_uri={}&response_type=code&{query}",
                    enc(GOOGLE_CLIENT_ID),
                    enc(REDIRECT)
                ),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            302,
            "authorization: {}",
            response.text().await.unwrap()
        );
        response.headers()["location"].to_str().unwrap().to_string()
    }

    pub async fn token_request(&self, form: &[(&str, &str)]) -> Response {
        self.request(Method::POST, "/google-oauth/token")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// An access and refresh token of the default user with full Drive access.
    pub async fn user_tokens(&self) -> Value {
        let code = self.consent("access_type=offline").await;
        let response = self
            .token_request(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", GOOGLE_CLIENT_ID),
                ("client_secret", GOOGLE_CLIENT_SECRET),
                ("redirect_uri", REDIRECT),
            ])
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn user_token(&self) -> String {
        self.user_tokens().await["access_token"].as_str().unwrap().to_string()
    }

    pub async fn service_account_key(&self) -> Value {
        self.request(Method::GET, "/_sandbox/google/service-account-key")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Exchanges an assertion of the built-in service account with these claims.
    pub async fn jwt_grant(&self, claims: Value) -> Response {
        let key = self.service_account_key().await;
        let assertion = sign_jwt(&key, &claims);
        self.token_request(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", &assertion),
        ])
        .await
    }

    /// Standard claims for `scope`, impersonating `sub` if given.
    pub async fn claims(&self, scope: &str, sub: Option<&str>) -> Value {
        let key = self.service_account_key().await;
        let now = self.now().await;
        let mut claims = json!({
            "iss": key["client_email"], "scope": scope, "aud": key["token_uri"], "iat": now, "exp": now + 3600,
        });
        if let Some(sub) = sub {
            claims["sub"] = json!(sub);
        }
        claims
    }

    pub async fn service_token(&self, sub: Option<&str>) -> String {
        let claims = self.claims(DRIVE, sub).await;
        let response = self.jwt_grant(claims).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    pub async fn now(&self) -> i64 {
        let clock: Value = self
            .request(Method::GET, "/_sandbox/clock")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        clock["now"].as_i64().unwrap()
    }

    /// Creates a file or folder from metadata and returns its JSON (`fields` as given).
    pub async fn create(&self, token: &str, metadata: Value) -> Value {
        let response = self
            .api(Method::POST, "/drive/v3/files?fields=*", token)
            .json(&metadata)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "create");
        response.json().await.unwrap()
    }

    /// Uploads bytes with uploadType=multipart and returns the file JSON (all fields).
    pub async fn upload(&self, token: &str, metadata: Value, bytes: &[u8]) -> Value {
        let response = self
            .api(
                Method::POST,
                "/upload/drive/v3/files?uploadType=multipart&fields=*",
                token,
            )
            .header("content-type", "multipart/related; boundary=sandbox_boundary")
            .body(multipart_body(
                "sandbox_boundary",
                &metadata,
                "application/octet-stream",
                bytes,
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "upload");
        response.json().await.unwrap()
    }
}

pub fn multipart_body(boundary: &str, metadata: &Value, media_type: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{metadata}\r\n\
         --{boundary}\r\nContent-Type: {media_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--").as_bytes());
    body
}

/// An RS256 JWT signed with the key file's PKCS#8 PEM key (ring, as the sandbox checks it).
pub fn sign_jwt(key: &Value, claims: &Value) -> String {
    let pem = key["private_key"].as_str().unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(body).unwrap();
    let private = RsaKeyPair::from_pkcs8(&der).unwrap();
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": key["private_key_id"]});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signature = vec![0u8; private.public().modulus_len()];
    private
        .sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            input.as_bytes(),
            &mut signature,
        )
        .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    let parsed = url::Url::parse(&url.replace('#', "?")).ok()?;
    let value = parsed
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned());
    value
}

/// Deterministic test bytes.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

pub fn reason(body: &Value) -> &str {
    body["error"]["errors"][0]["reason"].as_str().unwrap_or("")
}
