//! Helpers shared by the integration tests: a sandbox per test, calls through the real C ABI,
//! the sandbox's control endpoints, and the person's side of the sign-in flows.

#![allow(dead_code)] // each test binary uses its own subset

pub mod rogue;

use std::ffi::{c_char, c_void, CStr, CString};

use diskbridge::ffi::{diskbridge_call, diskbridge_call_with_progress, diskbridge_free};
use diskbridge_sandbox::{
    Sandbox, SandboxOptions, GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET,
};
use serde_json::{json, Value};

pub struct TestSandbox {
    pub sandbox: Sandbox,
    http: reqwest::blocking::Client,
}

/// A fresh sandbox on a free loopback port.
pub fn sandbox() -> TestSandbox {
    sandbox_with(SandboxOptions::default())
}

/// A fresh sandbox started with `options` (HTTPS, HTTP/1.1 only, …); with TLS, the test's own
/// client and the library's `options()` trust its CA.
pub fn sandbox_with(options: SandboxOptions) -> TestSandbox {
    // A sandbox that serves a certificate nobody trusts is still driven by the test.
    let untrusted = options.untrusted_certificate;
    let sandbox = Sandbox::start_with(options).expect("the sandbox starts");
    let mut http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(untrusted);
    if let Some(ca_file) = sandbox.ca_file() {
        let pem = std::fs::read(ca_file).expect("the sandbox wrote its CA");
        http = http.add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("a PEM certificate"));
    }
    TestSandbox {
        sandbox,
        http: http.build().unwrap(),
    }
}

/// A fresh sandbox serving HTTPS (and IMAP and SMTP over implicit TLS) with a certificate of
/// its own CA; calls and control requests trust that CA (`ca_file`).
pub fn tls_sandbox() -> TestSandbox {
    let options = diskbridge_sandbox::SandboxOptions {
        tls: true,
        ..Default::default()
    };
    let sandbox = Sandbox::start_with(options).expect("the sandbox starts");
    let pem = std::fs::read(sandbox.ca_file().expect("a TLS sandbox has a CA")).unwrap();
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap();
    TestSandbox { sandbox, http }
}

/// Calls a method through `diskbridge_call` with raw C strings and returns the parsed reply.
pub fn raw_call(method: &str, params: &str) -> Value {
    let method = CString::new(method).unwrap();
    let params = CString::new(params).unwrap();
    // SAFETY: valid NUL-terminated strings; the reply is freed once.
    unsafe { take_reply(diskbridge_call(method.as_ptr(), params.as_ptr())) }
}

/// Reads and frees a reply.
///
/// # Safety
/// `reply` must come from a diskbridge call and not have been freed.
pub unsafe fn take_reply(reply: *mut c_char) -> Value {
    assert!(!reply.is_null(), "a reply is never NULL");
    let text = unsafe { CStr::from_ptr(reply) }
        .to_str()
        .expect("replies are UTF-8")
        .to_string();
    unsafe { diskbridge_free(reply) };
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("reply is not JSON ({e}): {text}"))
}

/// The result of a successful reply (panics with the reply otherwise).
pub fn ok(reply: Value) -> Value {
    assert_eq!(reply["ok"], json!(true), "expected success: {reply}");
    reply["result"].clone()
}

/// The error of a failed reply (panics with the reply otherwise).
pub fn err(reply: Value) -> Value {
    assert_eq!(reply["ok"], json!(false), "expected an error: {reply}");
    reply["error"].clone()
}

impl TestSandbox {
    pub fn url(&self) -> &str {
        self.sandbox.url()
    }

    /// Per-call options that point the library at this sandbox (the configuration is
    /// process-wide and tests run in parallel, so no test configures it globally).
    pub fn options(&self) -> Value {
        let mut options = json!({"sandbox": self.url(), "retries": {"base_delay_ms": 50, "max_delay_ms": 200}});
        if let Some(ca_file) = self.sandbox.ca_file() {
            options["ca_file"] = json!(ca_file);
        }
        options
    }

    /// Calls through `diskbridge_call` with this sandbox's options merged into `params`.
    pub fn call(&self, method: &str, mut params: Value) -> Value {
        if params.get("options").is_none() {
            params["options"] = self.options();
        }
        raw_call(method, &params.to_string())
    }

    /// Calls through `diskbridge_call_with_progress`; `on_progress(done, total)` returns true
    /// to cancel.
    pub fn call_with_progress(
        &self,
        method: &str,
        mut params: Value,
        on_progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> Value {
        unsafe extern "C" fn trampoline(user_data: *mut c_void, done: u64, total: u64) -> i32 {
            let callback = unsafe { &mut *(user_data as *mut &mut dyn FnMut(u64, u64) -> bool) };
            i32::from(callback(done, total))
        }
        if params.get("options").is_none() {
            params["options"] = self.options();
        }
        let method = CString::new(method).unwrap();
        let params = CString::new(params.to_string()).unwrap();
        let mut callback: &mut dyn FnMut(u64, u64) -> bool = on_progress;
        let user_data = &mut callback as *mut &mut dyn FnMut(u64, u64) -> bool as *mut c_void;
        // SAFETY: the callback outlives the call; the reply is freed once.
        unsafe {
            take_reply(diskbridge_call_with_progress(
                method.as_ptr(),
                params.as_ptr(),
                Some(trampoline),
                user_data,
            ))
        }
    }

    pub fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}/_sandbox/{path}", self.url()));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().expect("the sandbox answers");
        assert!(response.status().is_success(), "control {path}: {}", response.status());
        response.json().expect("control answers are JSON")
    }

    pub fn fault(&self, fault: Value) {
        self.control(reqwest::Method::POST, "faults", Some(fault));
    }

    pub fn settings(&self, settings: Value) {
        self.control(reqwest::Method::POST, "settings", Some(settings));
    }

    pub fn advance_clock(&self, seconds: i64) {
        self.control(reqwest::Method::POST, "clock", Some(json!({"advance_s": seconds})));
    }

    /// The request log, oldest first.
    pub fn requests(&self) -> Vec<Value> {
        self.control(reqwest::Method::GET, "requests", None)
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn clear_requests(&self) {
        self.control(reqwest::Method::DELETE, "requests", None);
    }

    /// Logged requests whose path ends with `suffix`.
    pub fn requests_to(&self, suffix: &str) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r["path"].as_str().unwrap_or("").ends_with(suffix))
            .collect()
    }

    /// Every secret the sandbox has handed out or knows.
    pub fn secrets(&self) -> Vec<String> {
        serde_json::from_value(self.control(reqwest::Method::GET, "secrets", None)).unwrap()
    }

    /// The person approves a device code on the verification page, as the default user or
    /// another built-in one.
    pub fn approve_device(&self, verification_url: &str, user_code: &str, uid: Option<&str>) {
        let mut form = vec![("user_code", user_code.to_string())];
        if let Some(uid) = uid {
            form.push(("uid", uid.to_string()));
        }
        let response = self.http.post(verification_url).form(&form).send().unwrap();
        assert!(
            response.status().is_success(),
            "approval refused: {}",
            response.status()
        );
    }

    /// Opens an authorization URL as a browser would and returns where it redirects.
    pub fn follow_authorization(&self, url: &str) -> String {
        let response = self.http.get(url).send().unwrap();
        assert_eq!(response.status().as_u16(), 302, "the consent page redirects");
        response.headers()["location"].to_str().unwrap().to_string()
    }

    /// A signed-in default user: the device flow through the C ABI.
    pub fn sign_in(&self) -> Value {
        self.sign_in_as(None, None)
    }

    /// Device flow through the C ABI, optionally with a device_id (revocable tokens) and as
    /// another user.
    pub fn sign_in_as(&self, uid: Option<&str>, device_id: Option<&str>) -> Value {
        let mut params = json!({"client_id": YANDEX_CLIENT_ID});
        if let Some(device_id) = device_id {
            params["device_id"] = json!(device_id);
        }
        let code = ok(self.call("YandexID.GetConfirmationCode", params));
        self.approve_device(
            code["verification_url"].as_str().unwrap(),
            code["user_code"].as_str().unwrap(),
            uid,
        );
        ok(self.call(
            "YandexID.ConvertCodeToToken",
            json!({"client_id": YANDEX_CLIENT_ID, "client_secret": YANDEX_CLIENT_SECRET, "device_code": code["device_code"]}),
        ))
    }

    /// Credentials for `credentials`-style calls from a token answer.
    pub fn credentials(&self, tokens: &Value) -> Value {
        json!({
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "client_id": YANDEX_CLIENT_ID,
            "client_secret": YANDEX_CLIENT_SECRET,
        })
    }
}

impl TestSandbox {
    /// The built-in Google OAuth client.
    pub fn google_client(&self) -> Value {
        json!({"client_id": GOOGLE_CLIENT_ID, "client_secret": GOOGLE_CLIENT_SECRET})
    }

    /// A GET as the person's browser makes it (no redirects followed).
    pub fn browse(&self, url: &str) -> reqwest::Result<reqwest::blocking::Response> {
        self.http.get(url).send()
    }

    /// Starts a loopback sign-in through the C ABI and plays the browser: opens the consent
    /// URL and follows Google's redirect to the listener. Returns the Start result and where
    /// the browser was sent.
    pub fn google_consent(&self, extra: Value) -> (Value, String) {
        let mut params = self.google_client();
        for (key, value) in extra.as_object().unwrap() {
            params[key] = value.clone();
        }
        let started = ok(self.call("GoogleWorkspace.StartLoopbackAuthorization", params));
        let location = self.follow_authorization(started["url"].as_str().unwrap());
        (started, location)
    }

    /// A signed-in default Google user with full Drive access: the loopback flow end to end.
    pub fn google_sign_in(&self) -> Value {
        let (started, location) = self.google_consent(json!({}));
        let page = self.browse(&location).expect("the listener answers");
        assert_eq!(page.status().as_u16(), 200);
        ok(self.call(
            "GoogleWorkspace.CompleteLoopbackAuthorization",
            json!({"session": started["session"]}),
        ))
    }

    /// Google `credentials` for the built-in client.
    pub fn google_credentials(&self, tokens: &Value) -> Value {
        json!({
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "client_id": GOOGLE_CLIENT_ID,
            "client_secret": GOOGLE_CLIENT_SECRET,
        })
    }

    /// The built-in service account's key file.
    pub fn service_account_key(&self) -> Value {
        self.control(reqwest::Method::GET, "google/service-account-key", None)
    }

    /// Puts a file on Drive directly (not through the library), for tests of other methods.
    pub fn drive_put(&self, token: &Value, name: &str, parent: &str, bytes: &[u8]) -> Value {
        let boundary = "test_boundary_0123456789";
        let metadata = json!({"name": name, "parents": [parent]});
        let mut body = format!(
            "--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{metadata}\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--").as_bytes());
        let response = self
            .http
            .post(format!(
                "{}/google-apis/upload/drive/v3/files?uploadType=multipart&fields=*",
                self.url()
            ))
            .bearer_auth(token.as_str().unwrap())
            .header("content-type", format!("multipart/related; boundary={boundary}"))
            .body(body)
            .send()
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "direct upload");
        response.json().unwrap()
    }

    /// The person approves (or declines) a Google device code on the verification page.
    pub fn google_device_decision(&self, verification_url: &str, user_code: &str, approve: bool) {
        let mut form = vec![("user_code", user_code)];
        if !approve {
            form.push(("action", "deny"));
        }
        let response = self.http.post(verification_url).form(&form).send().unwrap();
        assert!(
            response.status().is_success(),
            "decision refused: {}",
            response.status()
        );
    }
}

/// The query (or fragment) parameters of a redirect location.
pub fn location_params(location: &str) -> Vec<(String, String)> {
    let tail = location.split_once(['?', '#']).map(|(_, tail)| tail).unwrap_or("");
    url::form_urlencoded::parse(tail.as_bytes()).into_owned().collect()
}

pub fn location_param(location: &str, key: &str) -> Option<String> {
    location_params(location)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// A temporary local folder, removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let mut random = [0u8; 6];
        getrandom::fill(&mut random).unwrap();
        let name: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let path = std::env::temp_dir().join(format!("diskbridge-{tag}-{name}"));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self, relative: &str) -> std::path::PathBuf {
        self.0.join(relative)
    }

    /// Names of the entries of the folder itself (to prove nothing partial was left).
    pub fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Bytes that are not all the same, so a shifted or truncated copy never matches.
pub fn pattern(size: usize, seed: u8) -> Vec<u8> {
    (0..size)
        .map(|i| ((i * 31 + i / 977) as u8).wrapping_add(seed))
        .collect()
}

/// An RSA key that belongs to no service account (made once with `openssl genpkey -algorithm
/// RSA -pkeyopt rsa_keygen_bits:2048`): signing with it is what a tampered key file does.
pub const UNRELATED_RSA_KEY: &str = concat!(
    "-----BEGIN PRIVATE KEY-----\n",
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDU/zsYRnvaOMUL\n",
    "lyjAOy609J47Xm2hUNNIwAHsWx+sg4B/ak4KwV+FTTrK8rLibLg+zQDOZP3MoEn/\n",
    "QDa7nlxOzwgNwCdrbGS4OoVwBc8IKA21utYnWJ4BcneGWzqrdfMAZ335v+pJQt5o\n",
    "Hv+Pv3m5F4OvP+hxOm9zt7fMP317Hd008pDlOFRNAB7m/m0ucCYCgSEabKzFgJr4\n",
    "uk4RuPRkvoy2IQDKRjvGxgLc0NPMah65uAVAZ5Dc9EOpazb09wkL1eY14U3n8z4e\n",
    "9iAMxW1YHMkv0Jldkh7q2SNszIvFSmC1MyZDs/6nB1pQ/x2phhv9yAqTL10gC54C\n",
    "XOuWRFSnAgMBAAECggEAGlYq0PAaLVv6pVm9/LL0rgRXMmEVLi6nyWWQd1C3JGYo\n",
    "M9kJqFPLw1hOzjxfORcXWxCPKnYbWbtyGuEuQ1mr8USxKr4ZQbOn6o215SmatVf6\n",
    "hf+BrmDLPMOSGudZ5EyTzPd/AKwlxIRDqt02XWhgHS5WpotA6ws+L7FGRTeOhPPt\n",
    "IHz4NPfvbmeT9UJBSmPtkc4sRYIo2XoUe9moCOwgDxRS0wPf6HU5XICr4Ryeph0v\n",
    "ywwBbrbLlQ2jCuzi7UrnTFPZyDkM44f/a3Kn0qFOl1NfzHffyrf36HtWaiHxcYBK\n",
    "kXreGM92u7ZQAyV83yHthpauLtJYazAFULqhsm8HQQKBgQDpjfINEII1SkjhXx+M\n",
    "jyO7tRnIedg2NY2BatVGlySzMzS1qW38xco9lECSeCqhRPhYesZToWgtr/rzfYWC\n",
    "RKMxH+9qA2Y0Mr56msc/N8rXf2A/QmubAVluDCK1IIO27oGEfPV6OYfPAeL/P/SM\n",
    "ski3LwSVT/283OPFtAqUas1IQQKBgQDpd4RrELbuDJZ3/t5GkBCJBHu8ZxH2yXrF\n",
    "FNUYVI3PhYcQI+GJSmhROlbMWLEiscgt8+O7K6aPI8Yd0CB4ZCJ6rCkDT5DhC9lK\n",
    "7yIPNviOd0M9dzCzqOKh2ZI/Dd1W8xEzvBrfLi9L5d8BeZe3L/vuf25n3iHm2h3U\n",
    "lgkZM4+i5wKBgQCuIwe2dfifgyOT5ji/tHoQGpd+wlpTENrRA7bBSzAx7JwAVrOL\n",
    "JG4GO+NpUe93DtWcIu58rHvglLWnlo9U8Zg7qHP5t08c3DjpcT3eBNtYkcBRalSQ\n",
    "3hCv3JyEMBoE6w/mmMTuvLZlwiJd7nGH9eYBryzbpyipCIlLf1HkFz24AQKBgAG3\n",
    "kU/ARbgme4zSYQwfzx9S2x4dm/I2tSJx7sdJB+n4z2989BGwbGf8h9rk5BifOhus\n",
    "aYZc4dK3rqNVfoekJOTGE18k3KnrDmQQsi1ueBGEKwhusfsASPprwTmZfoE/NGcv\n",
    "APuXOV3TiPpXzJfaUH4GjedRqOorvIBtwg9fY7UNAoGAOZkie4FB8VxWvdhhp6pj\n",
    "fvZROphXR3xD58NSw+eAtrT7dftPA0OeiWijGJQQZZBkKyzAlNPJNDn31uQYxBdA\n",
    "WayQRZg+Tk8m4kPPKYYVOhUM2t6aZ419dSe1mb41aKG7hR2RrEsg4hmAQlbUOusE\n",
    "op1TaqG6aP66f/P8R7k9yDE=\n",
    "-----END PRIVATE KEY-----\n",
);
