//! Helpers of the mail, calendar and Telemost emulator tests: a sandbox with the service
//! application registered for the mail and calendar scopes, per-employee tokens from the token
//! exchange, and small raw IMAP and SMTP clients that show the wire as it is.

#![allow(dead_code)]

use std::time::Duration;

use base64::Engine;
use diskbridge_sandbox::{
    Sandbox, SandboxOptions, ORG_ID, YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET, YANDEX_SERVICE_CLIENT_ID,
    YANDEX_SERVICE_CLIENT_SECRET,
};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

pub const OWNER: &str = "owner@sandbox-org.ru";
pub const IVAN: &str = "ivan.petrov@sandbox-org.ru";
pub const MARIA: &str = "maria.ivanova@sandbox-org.ru";
pub const OUTSIDER_UID: &str = "1130000000000099";
pub const ALL_SCOPES: [&str; 7] = [
    "mail:imap_ro",
    "mail:imap_full",
    "mail:smtp",
    "calendar:all",
    "telemost-api:conferences.create",
    "telemost-api:conferences.read",
    "telemost-api:conferences.update",
];
const WAIT: Duration = Duration::from_secs(20);

pub struct Env {
    pub sandbox: Sandbox,
    pub url: String,
    pub http: reqwest::Client,
    pub imap: String,
    pub smtp: String,
    pub caldav: String,
    /// A token of the owner with every right of the sandbox's own client (device flow).
    pub owner_token: String,
}

impl Env {
    /// A sandbox whose organization has the service application registered for `scopes`.
    pub async fn start_with(scopes: &[&str]) -> Env {
        Env::on(
            Sandbox::start().expect("sandbox starts"),
            reqwest::Client::new(),
            scopes,
        )
        .await
    }

    /// A sandbox serving TLS everywhere, and an HTTP client that trusts its CA alone.
    pub async fn start_tls() -> Env {
        let options = SandboxOptions {
            tls: true,
            ..SandboxOptions::default()
        };
        let sandbox = Sandbox::start_with(options).expect("sandbox starts");
        let pem = std::fs::read(sandbox.ca_file().expect("a CA file")).unwrap();
        let http = reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .build()
            .unwrap();
        Env::on(sandbox, http, &ALL_SCOPES).await
    }

    async fn on(sandbox: Sandbox, http: reqwest::Client, scopes: &[&str]) -> Env {
        let url = sandbox.url().to_string();
        let listeners = sandbox.listeners().clone();
        let text = |key: &str| listeners[key].as_str().expect("a listener").to_string();
        let mut env = Env {
            imap: text("imap"),
            smtp: text("smtp"),
            caldav: text("caldav"),
            sandbox,
            url,
            http,
            owner_token: String::new(),
        };
        env.owner_token = env.device_token(None).await;
        let apps = format!("/yandex-360/security/v1/org/{ORG_ID}/service_applications");
        let auth = format!("OAuth {}", env.owner_token);
        for (path, body) in [
            (format!("{apps}/activate"), json!({})),
            (
                apps.clone(),
                json!({"applications": [{"id": YANDEX_SERVICE_CLIENT_ID, "scopes": scopes}]}),
            ),
        ] {
            let response = env
                .http
                .post(format!("{}{path}", env.url))
                .header("Authorization", &auth)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{path}");
        }
        env
    }

    pub async fn start() -> Env {
        Env::start_with(&ALL_SCOPES).await
    }

    /// A device-flow token of the sandbox's own client, approved as `uid` (the owner when None).
    pub async fn device_token(&self, uid: Option<&str>) -> String {
        let code: Value = self
            .form("/yandex-oauth/device/code", &[("client_id", YANDEX_CLIENT_ID)])
            .await
            .1;
        let mut approval = vec![("user_code", code["user_code"].as_str().unwrap())];
        if let Some(uid) = uid {
            approval.push(("uid", uid));
        }
        assert_eq!(self.form("/yandex-oauth/device", &approval).await.0, 200);
        let device_code = code["device_code"].as_str().unwrap().to_string();
        let form = [
            ("grant_type", "device_code"),
            ("code", device_code.as_str()),
            ("client_id", YANDEX_CLIENT_ID),
            ("client_secret", YANDEX_CLIENT_SECRET),
        ];
        self.form("/yandex-oauth/token", &form).await.1["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// (status, JSON or Null) of a form POST.
    pub async fn form(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A one-hour token for an employee by the token exchange, narrowed to `scope` if given.
    pub async fn token(&self, email: &str, scope: Option<&str>) -> String {
        let mut form = vec![
            ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"),
            ("client_id", YANDEX_SERVICE_CLIENT_ID),
            ("client_secret", YANDEX_SERVICE_CLIENT_SECRET),
            ("subject_token", email),
            ("subject_token_type", "urn:yandex:params:oauth:token-type:email"),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        let (status, answer) = self.form("/yandex-oauth/token", &form).await;
        assert_eq!(status, 200, "{answer}");
        answer["access_token"].as_str().unwrap().to_string()
    }

    /// A control call (`/_sandbox/<path>`); the status and JSON.
    pub async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}/_sandbox/{path}", self.url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        let (status, answer) = self.control(reqwest::Method::POST, path, Some(body)).await;
        assert_eq!(status, 200, "{path}: {answer}");
        answer
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, answer) = self.control(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "{path}: {answer}");
        answer
    }

    /// An IMAP session logged in as `email` with `token` (continuation form).
    pub async fn imap_as(&self, email: &str, token: &str) -> Imap {
        let mut imap = Imap::connect(&self.imap).await;
        imap.send_line("a0 AUTHENTICATE XOAUTH2").await;
        assert_eq!(imap.line().await, "+ ");
        imap.send_line(&xoauth2(email, token)).await;
        let lines = imap.until_tagged("a0").await;
        assert!(lines.last().unwrap().starts_with("a0 OK"), "{lines:?}");
        imap
    }
}

/// Base64 of the XOAUTH2 string.
pub fn xoauth2(email: &str, token: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("user={email}\x01auth=Bearer {token}\x01\x01"))
}

/// A raw IMAP client: lines in, lines out, literals folded into their line.
pub struct Imap {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    pub greeting: String,
    tag: u32,
}

impl Imap {
    pub async fn connect(address: &str) -> Imap {
        let stream = TcpStream::connect(address).await.unwrap();
        let (reader, writer) = stream.into_split();
        let mut imap = Imap {
            reader: BufReader::new(reader),
            writer,
            greeting: String::new(),
            tag: 0,
        };
        imap.greeting = imap.line().await;
        imap
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.unwrap();
    }

    pub async fn send_line(&mut self, line: &str) {
        self.send_raw(format!("{line}\r\n").as_bytes()).await;
    }

    /// One line without CRLF; "" at the end of the stream.
    pub async fn line(&mut self) -> String {
        let mut line = Vec::new();
        tokio::time::timeout(WAIT, self.reader.read_until(b'\n', &mut line))
            .await
            .expect("an answer in time")
            .unwrap();
        String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_string()
    }

    /// A response line with any literals it announces read into it.
    pub async fn response(&mut self) -> String {
        let mut text = self.line().await;
        while let Some(length) = literal_length(&text) {
            let mut literal = vec![0u8; length];
            tokio::time::timeout(WAIT, self.reader.read_exact(&mut literal))
                .await
                .expect("literal in time")
                .unwrap();
            text.push_str("\r\n");
            text.push_str(&String::from_utf8_lossy(&literal));
            let rest = self.line().await;
            text.push_str(&rest);
        }
        text
    }

    /// Every response up to and including the tagged one.
    pub async fn until_tagged(&mut self, tag: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self.response().await;
            assert!(!line.is_empty(), "the connection closed; so far: {lines:?}");
            let done = line.starts_with(&format!("{tag} "));
            lines.push(line);
            if done {
                return lines;
            }
        }
    }

    /// Sends `command` with a new tag; the responses, the tagged one last.
    pub async fn command(&mut self, command: &str) -> Vec<String> {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        self.send_line(&format!("{tag} {command}")).await;
        self.until_tagged(&tag).await
    }

    /// Reads whatever arrives until the peer closes; the bytes.
    pub async fn rest(&mut self) -> Vec<u8> {
        let mut bytes = Vec::new();
        let _ = tokio::time::timeout(WAIT, self.reader.read_to_end(&mut bytes))
            .await
            .expect("the peer closes");
        bytes
    }
}

pub fn literal_length(line: &str) -> Option<usize> {
    let inner = line.strip_suffix('}')?;
    let open = inner.rfind('{')?;
    inner[open + 1..].parse().ok()
}

/// The tagged line's status and text, without the tag.
pub fn done(lines: &[String]) -> &str {
    tagged(lines).split_once(' ').map_or("", |(_, rest)| rest)
}

/// The tagged line of a command's responses.
pub fn tagged(lines: &[String]) -> &str {
    lines.last().map(String::as_str).unwrap_or("")
}

/// A raw SMTP client.
pub struct Smtp {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    pub greeting: String,
}

impl Smtp {
    pub async fn connect(address: &str) -> Smtp {
        let stream = TcpStream::connect(address).await.unwrap();
        let (reader, writer) = stream.into_split();
        let mut smtp = Smtp {
            reader: BufReader::new(reader),
            writer,
            greeting: String::new(),
        };
        smtp.greeting = smtp.reply().await.join("\n");
        smtp
    }

    /// A reply's lines (`250-…` continuation lines included).
    pub async fn reply(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let mut line = Vec::new();
            tokio::time::timeout(WAIT, self.reader.read_until(b'\n', &mut line))
                .await
                .expect("a reply in time")
                .unwrap();
            let line = String::from_utf8_lossy(&line)
                .trim_end_matches(['\r', '\n'])
                .to_string();
            let last = line.len() < 4 || line.as_bytes()[3] != b'-';
            lines.push(line);
            if last {
                return lines;
            }
        }
    }

    pub async fn send(&mut self, text: &str) {
        self.writer.write_all(text.as_bytes()).await.unwrap();
    }

    /// Sends a command line; its reply, lines joined by `\n`.
    pub async fn command(&mut self, line: &str) -> String {
        self.send(&format!("{line}\r\n")).await;
        self.reply().await.join("\n")
    }

    /// EHLO and AUTH XOAUTH2 inline.
    pub async fn login(address: &str, email: &str, token: &str) -> Smtp {
        let mut smtp = Smtp::connect(address).await;
        assert!(smtp.command("EHLO client.example").await.starts_with("250-"));
        let answer = smtp.command(&format!("AUTH XOAUTH2 {}", xoauth2(email, token))).await;
        assert_eq!(answer, "235 2.7.0 Authentication successful.");
        smtp
    }
}
