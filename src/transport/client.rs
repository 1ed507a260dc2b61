//! The HTTP client underneath: one pooled reqwest client per network setting, the read timeout
//! as "no byte for this long", and the error of an attempt that got no answer.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use url::Url;

use super::Profile;
use crate::config::Config;
use crate::error::{Error, ErrorCode, Result};
use crate::sync::lock;

/// Why an attempt got no complete answer.
pub(crate) enum Failure {
    Http(reqwest::Error),
    /// Nothing arrived for this long (the read timeout).
    Idle(Duration),
    /// The body grew past the request's cap: asking again would get the same.
    Oversized(usize),
}

impl Failure {
    /// The connection never opened, so the request reached nobody and may always be sent again.
    pub(crate) fn never_sent(&self) -> bool {
        matches!(self, Failure::Http(err) if err.is_connect())
    }

    /// An answer that came whole but is not wanted as it is: sending again changes nothing.
    pub(crate) fn is_final(&self) -> bool {
        matches!(self, Failure::Oversized(_))
    }
}

/// Awaits one step of a request (the answer's head, or the next body chunk), giving up after
/// `idle` of silence: the read timeout, which reqwest would otherwise count from the start of
/// the request, upload time included.
pub(crate) async fn within<T>(
    idle: Duration,
    step: impl std::future::Future<Output = std::result::Result<T, reqwest::Error>>,
) -> std::result::Result<T, Failure> {
    match tokio::time::timeout(idle, step).await {
        Ok(result) => result.map_err(Failure::Http),
        Err(_) => Err(Failure::Idle(idle)),
    }
}

/// The error reply for a failed attempt, naming `host/path` but never the query (which may hold
/// signatures), as reqwest's own message would.
pub(crate) fn failure_error(method: &reqwest::Method, url: &Url, profile: &Profile, failure: &Failure) -> Error {
    let target = target_of(url);
    let (code, detail) = match failure {
        Failure::Idle(idle) => (ErrorCode::Timeout, format!("no data for {} s", idle.as_secs_f64())),
        Failure::Oversized(limit) => (
            ErrorCode::InvalidResponse,
            format!(
                "{} answered more than {limit} bytes, more than the library reads",
                profile.name
            ),
        ),
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
    Error::new(code, format!("{method} {target}: {detail}")).with_service(profile.id)
}

/// `host[:port]/path` of a URL.
pub(crate) fn target_of(url: &Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}{port}{}", url.host_str().unwrap_or(""), url.path())
}

type ClientKey = (Option<String>, Option<String>, u64, usize);

/// One pooled client per distinct network setting (proxy, roots, connect timeout), shared by
/// every call in the process. Read and total timeouts are set per request.
pub(crate) fn client(config: &Config) -> Result<reqwest::Client> {
    client_lane(config, 0)
}

/// As `client`, with a pool of its own per `lane`: the streams of a parallel download each take
/// a lane, so they get connections of their own even where HTTP/2 would put every request on
/// one connection (and a link that holds each connection to a rate would hold them all).
pub(crate) fn client_lane(config: &Config, lane: usize) -> Result<reqwest::Client> {
    static CLIENTS: OnceLock<Mutex<HashMap<ClientKey, reqwest::Client>>> = OnceLock::new();
    let timeouts = &config.timeouts;
    let key: ClientKey = (
        config.proxy.clone(),
        config.ca_file.clone(),
        (timeouts.connect_s * 1000.0) as u64,
        lane,
    );
    let mut clients = lock(CLIENTS.get_or_init(Default::default));
    if let Some(client) = clients.get(&key) {
        return Ok(client.clone());
    }
    let client = build(config)?;
    clients.insert(key, client.clone());
    Ok(client)
}

fn build(config: &Config) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(Duration::from_secs_f64(config.timeouts.connect_s))
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
    builder
        .build()
        .map_err(|e| Error::new(ErrorCode::Internal, format!("cannot build the HTTP client: {e}")))
}
