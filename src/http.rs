//! The HTTP engine: one pooled reqwest client per network setting, retries with exponential
//! back-off and jitter, `Retry-After`, the token header with one refresh after a 401, and the
//! mapping of service error bodies to the error catalogue.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{HeaderMap, AUTHORIZATION, RETRY_AFTER, USER_AGENT};
use serde_json::Value;
use url::Url;

use crate::call::Call;
use crate::config::Config;
use crate::error::{Error, ErrorCode, Result, Service};
use crate::log::Level;

/// A request to a service, rebuilt for every attempt.
pub struct Request {
    pub method: reqwest::Method,
    pub url: Url,
    pub service: Service,
    body: Body,
    headers: Vec<(&'static str, String)>,
    /// Safe to send again after it may have reached the server.
    idempotent: bool,
    /// Carries the call's token (`Authorization: OAuth` / `Bearer`).
    authorized: bool,
}

enum Body {
    Empty,
    Form(Vec<(String, String)>),
    Json(Value),
    /// A small body held in memory (a multipart upload below its threshold), cheap to resend.
    Bytes(String, Bytes),
}

impl Request {
    fn new(method: reqwest::Method, service: Service, url: Url, idempotent: bool) -> Request {
        Request {
            method,
            url,
            service,
            body: Body::Empty,
            headers: Vec::new(),
            idempotent,
            authorized: false,
        }
    }

    pub fn get(service: Service, url: Url) -> Request {
        Request::new(reqwest::Method::GET, service, url, true)
    }

    /// A POST is not replayed after it may have reached the server, unless marked idempotent.
    pub fn post(service: Service, url: Url) -> Request {
        Request::new(reqwest::Method::POST, service, url, false)
    }

    pub fn put(service: Service, url: Url) -> Request {
        Request::new(reqwest::Method::PUT, service, url, true)
    }

    pub fn delete(service: Service, url: Url) -> Request {
        Request::new(reqwest::Method::DELETE, service, url, true)
    }

    /// A PATCH of metadata sets fields to given values, so sending it again changes nothing more.
    pub fn patch(service: Service, url: Url) -> Request {
        Request::new(reqwest::Method::PATCH, service, url, true)
    }

    pub fn query(mut self, key: &str, value: &str) -> Request {
        self.url.query_pairs_mut().append_pair(key, value);
        self
    }

    pub fn form(mut self, pairs: Vec<(&str, String)>) -> Request {
        self.body = Body::Form(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
        self
    }

    pub fn json(mut self, body: Value) -> Request {
        self.body = Body::Json(body);
        self
    }

    /// A body of `content_type` held in memory.
    pub fn bytes(mut self, content_type: String, body: Bytes) -> Request {
        self.body = Body::Bytes(content_type, body);
        self
    }

    pub fn header(mut self, name: &'static str, value: String) -> Request {
        self.headers.push((name, value));
        self
    }

    pub fn idempotent(mut self, idempotent: bool) -> Request {
        self.idempotent = idempotent;
        self
    }

    pub fn authorized(mut self) -> Request {
        self.authorized = true;
        self
    }

    /// `host/path`, what log lines and messages name (never the query: it may hold signatures).
    fn target(&self) -> String {
        target_of(&self.url)
    }
}

/// A service URL: `base` (an endpoint) joined with `path`.
pub fn url(base: &str, path: &str) -> Result<Url> {
    let text = format!("{}{}", base.trim_end_matches('/'), path);
    Url::parse(&text).map_err(|e| Error::invalid_params(format!("bad service URL {text}: {e}")))
}

pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    /// The body as JSON; an empty body is `{}` (as OPI returns it).
    pub fn json(&self, service: Service) -> Result<Value> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_slice(&self.body).map_err(|_| {
            Error::new(
                ErrorCode::InvalidResponse,
                format!(
                    "{} answered HTTP {} with a body that is not JSON",
                    service_name(service),
                    self.status
                ),
            )
            .with_service(service)
        })
    }
}

/// Sends the request and returns the JSON of a successful answer; an HTTP error status becomes
/// an error reply.
pub async fn send_json(call: &Call, request: &Request) -> Result<Value> {
    let response = send(call, request).await?;
    if response.status >= 400 {
        return Err(status_error(request.service, &response));
    }
    response.json(request.service)
}

/// Sends the request with the call's token (refreshing once after a 401 when `credentials`
/// allow it) and retries; returns whatever status the service finally answered.
pub async fn send(call: &Call, request: &Request) -> Result<Response> {
    let session = if request.authorized { call.auth.as_ref() } else { None };
    let mut refreshed_after_401 = false;
    loop {
        let authorization = match session {
            Some(session) => Some(session.authorization(call).await?),
            None => None,
        };
        let response = send_with_retries(call, request, authorization.as_deref()).await?;
        if response.status == 401 && !refreshed_after_401 {
            if let Some(session) = session {
                if session.refresh_after_unauthorized(call).await? {
                    refreshed_after_401 = true;
                    continue;
                }
            }
        }
        return Ok(response);
    }
}

/// What to do after an attempt.
enum Next {
    Done(Response),
    Retry {
        after: Option<Duration>,
        last: Result<Response>,
    },
}

async fn send_with_retries(call: &Call, request: &Request, authorization: Option<&str>) -> Result<Response> {
    call.config.check_url(&request.url)?;
    let client = client(&call.config)?;
    let policy = &call.config.retries;
    let mut attempt = 1;
    loop {
        call.progress.check()?;
        let started = Instant::now();
        let outcome = attempt_once(&client, call, request, authorization).await;
        let elapsed_ms = started.elapsed().as_millis();
        let next = match outcome {
            Ok(response) => {
                call.log(
                    Level::Info,
                    "http",
                    &format!(
                        "{} {} -> {} in {elapsed_ms} ms",
                        request.method,
                        request.target(),
                        response.status
                    ),
                );
                if should_retry_status(request, &response) {
                    Next::Retry {
                        after: retry_after(&response.headers),
                        last: Ok(response),
                    }
                } else {
                    Next::Done(response)
                }
            }
            Err(failure) => {
                let error = failure_error(&request.method, &request.url, request.service, &failure);
                call.log(
                    Level::Info,
                    "http",
                    &format!(
                        "{} {} failed in {elapsed_ms} ms: {}",
                        request.method,
                        request.target(),
                        error.message
                    ),
                );
                // A connection that never opened carried nothing, so any request may go again.
                if request.idempotent || failure.never_sent() {
                    Next::Retry {
                        after: None,
                        last: Err(error),
                    }
                } else {
                    return Err(error);
                }
            }
        };
        let (after, last) = match next {
            Next::Done(response) => return Ok(response),
            Next::Retry { after, last } => (after, last),
        };
        if attempt >= policy.max_attempts {
            return last;
        }
        if after.is_some_and(|after| after > Duration::from_secs(policy.max_retry_after_s)) {
            return last;
        }
        let wait = after.unwrap_or_else(|| backoff(&call.config, attempt));
        call.log(
            Level::Warn,
            "http",
            &format!(
                "{} {}: retry {attempt}/{} in {:.1} s{}",
                request.method,
                request.target(),
                policy.max_attempts - 1,
                wait.as_secs_f64(),
                if after.is_some() { " (Retry-After)" } else { "" }
            ),
        );
        call.progress.sleep(wait).await?;
        attempt += 1;
    }
}

async fn attempt_once(
    client: &reqwest::Client,
    call: &Call,
    request: &Request,
    authorization: Option<&str>,
) -> std::result::Result<Response, Failure> {
    let mut builder = client
        .request(request.method.clone(), request.url.clone())
        .timeout(Duration::from_secs_f64(call.config.timeouts.total_s));
    if !request
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("user-agent"))
    {
        builder = builder.header(USER_AGENT, &call.config.user_agent);
    }
    if let Some(authorization) = authorization {
        builder = builder.header(AUTHORIZATION, authorization);
    }
    for (name, value) in &request.headers {
        builder = builder.header(*name, value);
    }
    builder = match &request.body {
        Body::Empty => builder,
        Body::Form(pairs) => builder
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs)
                    .finish(),
            ),
        Body::Json(value) => builder
            .header(reqwest::header::CONTENT_TYPE, "application/json; charset=utf-8")
            .body(value.to_string()),
        Body::Bytes(content_type, bytes) => builder
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes.clone()),
    };
    let idle = Duration::from_secs_f64(call.config.timeouts.read_s);
    let mut response = within(idle, builder.send()).await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = within(idle, response.chunk()).await? {
        body.extend_from_slice(&chunk);
    }
    Ok(Response {
        status,
        headers,
        body: Bytes::from(body),
    })
}

/// Why an attempt got no complete answer.
pub enum Failure {
    Http(reqwest::Error),
    /// Nothing arrived for this long (the read timeout).
    Idle(Duration),
}

impl Failure {
    /// The connection never opened, so the request reached nobody and may always be sent again.
    pub fn never_sent(&self) -> bool {
        matches!(self, Failure::Http(err) if err.is_connect())
    }
}

/// Awaits one step of a request (the answer's head, or the next body chunk), giving up after
/// `idle` of silence: the read timeout, which reqwest would otherwise count from the start of
/// the request, upload time included.
pub async fn within<T>(
    idle: Duration,
    step: impl std::future::Future<Output = std::result::Result<T, reqwest::Error>>,
) -> std::result::Result<T, Failure> {
    match tokio::time::timeout(idle, step).await {
        Ok(result) => result.map_err(Failure::Http),
        Err(_) => Err(Failure::Idle(idle)),
    }
}

/// 429 and 5xx (and Google's rate-limit 403s) are retried; a request that is not idempotent
/// only on 429 and the rate-limit 403s, which say the request was refused before any work was
/// done.
fn should_retry_status(request: &Request, response: &Response) -> bool {
    let status = response.status;
    let refused = status == 429 || is_rate_limit_403(request.service, response);
    refused || (matches!(status, 500 | 502 | 503 | 504) && request.idempotent)
}

/// Google's 403 that says "too many requests" (retried like a 429), not "forbidden".
pub fn is_rate_limit_403(service: Service, response: &Response) -> bool {
    response.status == 403
        && service == Service::GoogleDrive
        && matches!(
            google_reason(&serde_json::from_slice(&response.body).unwrap_or(Value::Null)).as_deref(),
            Some("userRateLimitExceeded" | "rateLimitExceeded")
        )
}

/// `Retry-After` in seconds (the HTTP-date form falls back to the back-off schedule).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Exponential back-off with jitter: a random wait between half and all of
/// `base * 2^(attempt-1)`, capped.
pub fn backoff(config: &Config, attempt: u32) -> Duration {
    let policy = &config.retries;
    let ceiling = policy
        .base_delay_ms
        .saturating_mul(1u64 << (attempt - 1).min(20))
        .min(policy.max_delay_ms);
    let mut random = [0u8; 8];
    let _ = getrandom::fill(&mut random);
    let jitter = u64::from_le_bytes(random) % (ceiling / 2 + 1);
    Duration::from_millis(ceiling - jitter)
}

/// The error reply for a failed attempt, naming `host/path` but never the query (which may hold
/// signatures), as reqwest's own message would.
pub fn failure_error(method: &reqwest::Method, url: &Url, service: Service, failure: &Failure) -> Error {
    let target = target_of(url);
    let (code, detail) = match failure {
        Failure::Idle(idle) => (ErrorCode::Timeout, format!("no data for {} s", idle.as_secs_f64())),
        Failure::Http(err) => {
            let mut detail = err.to_string();
            let mut source = std::error::Error::source(err);
            while let Some(inner) = source {
                detail.push_str(": ");
                detail.push_str(&inner.to_string());
                source = inner.source();
            }
            let code = if err.is_timeout() {
                ErrorCode::Timeout
            } else {
                ErrorCode::Network
            };
            (code, detail.replace(url.as_str(), &target))
        }
    };
    Error::new(code, format!("{method} {target}: {detail}")).with_service(service)
}

/// `host[:port]/path` of a URL.
pub fn target_of(url: &Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}{port}{}", url.host_str().unwrap_or(""), url.path())
}

type ClientKey = (Option<String>, Option<String>, u64);

/// One pooled client per distinct network setting (proxy, roots, connect timeout), shared by
/// every call in the process. Read and total timeouts are set per request.
pub fn client(config: &Config) -> Result<reqwest::Client> {
    static CLIENTS: OnceLock<Mutex<HashMap<ClientKey, reqwest::Client>>> = OnceLock::new();
    let timeouts = &config.timeouts;
    let key: ClientKey = (
        config.proxy.clone(),
        config.ca_file.clone(),
        (timeouts.connect_s * 1000.0) as u64,
    );
    let mut clients = CLIENTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(client) = clients.get(&key) {
        return Ok(client.clone());
    }
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(Duration::from_secs_f64(timeouts.connect_s))
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true);
    match config.proxy.as_deref() {
        None => {}
        Some("none") => builder = builder.no_proxy(),
        Some(proxy) => {
            let proxy =
                reqwest::Proxy::all(proxy).map_err(|_| Error::invalid_params("`proxy` is not a usable proxy URL"))?;
            builder = builder.proxy(proxy);
        }
    }
    if let Some(path) = &config.ca_file {
        let pem = std::fs::read(path).map_err(|e| Error::local_io(&format!("cannot read ca_file {path}"), &e))?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|_| Error::invalid_params(format!("ca_file {path} holds no PEM certificate")))?;
        if certificates.is_empty() {
            return Err(Error::invalid_params(format!(
                "ca_file {path} holds no PEM certificate"
            )));
        }
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    let client = builder
        .build()
        .map_err(|e| Error::new(ErrorCode::Internal, format!("cannot build the HTTP client: {e}")))?;
    clients.insert(key, client.clone());
    Ok(client)
}

pub fn service_name(service: Service) -> &'static str {
    match service {
        Service::YandexOAuth => "Yandex OAuth",
        Service::YandexLogin => "login.yandex.ru",
        Service::YandexDisk => "Yandex Disk",
        Service::Yandex360 => "Yandex 360",
        Service::GoogleOAuth => "Google OAuth",
        Service::GoogleDrive => "Google Drive",
    }
}

fn google_reason(body: &Value) -> Option<String> {
    let error = body.get("error")?;
    error
        .pointer("/errors/0/reason")
        .or_else(|| error.get("status"))
        .and_then(Value::as_str)
        .map(String::from)
}

/// The error reply for an HTTP error status: the service's own code and text, mapped to the
/// catalogue, with the body kept in `upstream`.
pub fn status_error(service: Service, response: &Response) -> Error {
    let body: Value = serde_json::from_slice(&response.body).unwrap_or_else(|_| {
        let text = String::from_utf8_lossy(&response.body);
        Value::String(text.chars().take(1000).collect())
    });
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(String::from);
    let (service_code, description) = match service {
        Service::YandexOAuth | Service::GoogleOAuth => (text("error"), text("error_description")),
        Service::YandexDisk | Service::YandexLogin => (text("error"), text("description").or_else(|| text("message"))),
        Service::GoogleDrive => (
            google_reason(&body),
            body.pointer("/error/message").and_then(Value::as_str).map(String::from),
        ),
        Service::Yandex360 => (body.get("code").map(|c| c.to_string()), text("message")),
    };
    let code = service_code
        .as_deref()
        .and_then(code_for_service_error)
        .unwrap_or_else(|| code_for_status(response.status));
    let mut message = format!("{} answered HTTP {}", service_name(service), response.status);
    if let Some(service_code) = &service_code {
        message.push_str(&format!(" {service_code}"));
    }
    if let Some(description) = description.filter(|d| !d.is_empty()) {
        message.push_str(&format!(": {description}"));
    }
    Error {
        code,
        message,
        http_status: Some(response.status),
        service: Some(service),
        upstream: Some(body),
    }
}

/// Codes the services name in their bodies that mean more than the status alone.
fn code_for_service_error(service_code: &str) -> Option<ErrorCode> {
    Some(match service_code {
        "authorization_pending" => ErrorCode::AuthorizationPending,
        "slow_down" => ErrorCode::SlowDown,
        "access_denied" => ErrorCode::AccessDenied,
        "expired_token" => ErrorCode::Expired,
        "invalid_client" | "unauthorized_client" => ErrorCode::InvalidClient,
        "invalid_grant" => ErrorCode::InvalidGrant,
        "userRateLimitExceeded" | "rateLimitExceeded" => ErrorCode::RateLimited,
        "storageQuotaExceeded" | "dailyLimitExceeded" | "downloadQuotaExceeded" | "quotaExceeded" => {
            ErrorCode::QuotaExceeded
        }
        _ => return None,
    })
}

fn code_for_status(status: u16) -> ErrorCode {
    match status {
        400 => ErrorCode::BadRequest,
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        409 => ErrorCode::Conflict,
        410 => ErrorCode::Expired,
        413 => ErrorCode::PayloadTooLarge,
        423 => ErrorCode::Locked,
        429 => ErrorCode::RateLimited,
        507 => ErrorCode::QuotaExceeded,
        500..=599 => ErrorCode::ServerError,
        _ => ErrorCode::UpstreamError,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_within_the_cap() {
        let config = Config::default();
        for attempt in 1..30 {
            let wait = backoff(&config, attempt).as_millis() as u64;
            let ceiling = (500u64 << (attempt - 1).min(20)).min(30_000);
            assert!(wait >= ceiling / 2 && wait <= ceiling, "attempt {attempt}: {wait}");
        }
    }

    #[test]
    fn oauth_error_bodies_map_to_their_codes() {
        let response = Response {
            status: 400,
            headers: HeaderMap::new(),
            body: Bytes::from_static(br#"{"error":"authorization_pending","error_description":"User has not yet authorized your application"}"#),
        };
        let error = status_error(Service::YandexOAuth, &response);
        assert_eq!(error.code, ErrorCode::AuthorizationPending);
        assert_eq!(error.http_status, Some(400));
        assert!(error.message.contains("User has not yet authorized"));
    }

    #[test]
    fn disk_errors_map_by_status() {
        let response = Response {
            status: 409,
            headers: HeaderMap::new(),
            body: Bytes::from_static(
                br#"{"message":"m","description":"exists","error":"DiskResourceAlreadyExistsError"}"#,
            ),
        };
        let error = status_error(Service::YandexDisk, &response);
        assert_eq!(error.code, ErrorCode::Conflict);
        assert!(error.message.contains("DiskResourceAlreadyExistsError: exists"));
    }
}
