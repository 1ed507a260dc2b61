//! The HTTP client underneath: one pooled reqwest client per network setting, the read timeout
//! as "no byte for this long", and the error of an attempt that got no answer.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use url::Url;

use super::Profile;
use crate::config::{check_target, Config};
use crate::error::{excerpt, Error, ErrorCode, Result};
use crate::sync::lock;

/// Redirects followed at most, per request.
const MAX_REDIRECTS: usize = 10;

/// Why an attempt got no complete answer.
pub(crate) enum Failure {
    Http(reqwest::Error),
    /// Nothing arrived for this long (the read timeout).
    Idle(Duration),
    /// A successful answer went past this many bytes, the most the library reads of one.
    Oversize(usize),
}

impl Failure {
    /// The connection never opened, so the request reached nobody and may always be sent again.
    pub(crate) fn never_sent(&self) -> bool {
        matches!(self, Failure::Http(err) if err.is_connect())
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
        Failure::Oversize(cap) => (
            ErrorCode::InvalidResponse,
            format!(
                "the answer is more than {}, the most the library reads of one (ask for fewer items or fields)",
                shown_bytes(*cap)
            ),
        ),
        Failure::Http(err) if refused_redirect(err).is_some() => {
            let refused = refused_redirect(err)
                .cloned()
                .unwrap_or_else(|| Error::new(ErrorCode::InvalidResponse, ""));
            return Error::new(refused.code, format!("{method} {target}: {}", refused.message))
                .with_service(profile.id);
        }
        Failure::Http(err) if untrusted_certificate(err).is_some() => {
            let problem = untrusted_certificate(err).unwrap_or_default();
            let detail = untrusted_detail(url.host_str().unwrap_or(""), &problem);
            (ErrorCode::UntrustedCertificate, detail)
        }
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

/// Why a server's certificate was refused and what to do, the same for HTTPS and for the line
/// protocols (`transport::connect_endpoint`).
pub(super) fn untrusted_detail(host: &str, problem: &str) -> String {
    format!(
        "the TLS certificate of {host} is not trusted ({problem}); if the server's certificate comes from a \
         private certificate authority, give that authority's PEM file as the `ca_file` setting"
    )
}

/// A cap as people read it: whole MiB as MiB, anything else in bytes.
fn shown_bytes(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// The refusal of the redirect policy behind an error, if that is what it is.
fn refused_redirect(err: &reqwest::Error) -> Option<&Error> {
    if !err.is_redirect() {
        return None;
    }
    causes(err).find_map(|cause| cause.downcast_ref::<Error>())
}

/// What rustls found wrong with the server's certificate, if that is why the connection failed.
pub(super) fn untrusted_certificate(err: &reqwest::Error) -> Option<String> {
    causes(err).find_map(|cause| match cause.downcast_ref::<rustls::Error>() {
        Some(rustls::Error::InvalidCertificate(problem)) => Some(format!("{problem:?}")),
        _ => None,
    })
}

/// An error and its sources, outermost first. An `io::Error` that wraps another error hides it
/// from `source()` (it reports the wrapped one's source instead), so it is looked into here.
fn causes<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |cause| {
        let wrapped = cause.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref());
        match wrapped {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => cause.source(),
        }
    })
}

/// Every hop of a redirect passes the check a configured endpoint passes, and none goes from
/// https to plain http: the policy is the same for the first URL and the last.
fn redirect_policy(allow_insecure_http: bool) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        let refusal = redirect_refusal(attempt.previous(), attempt.url(), allow_insecure_http);
        match refusal {
            None => attempt.follow(),
            Some(error) => attempt.error(error),
        }
    })
}

/// Why a redirect to `to` may not be followed after the URLs of `previous` (the first request's
/// included), if it may not.
fn redirect_refusal(previous: &[Url], to: &Url, allow_insecure_http: bool) -> Option<Error> {
    if previous.len() > MAX_REDIRECTS {
        return Some(Error::new(
            ErrorCode::InvalidResponse,
            format!("more than {MAX_REDIRECTS} redirects"),
        ));
    }
    let from_https = previous.last().is_some_and(|from| from.scheme() == "https");
    if from_https && to.scheme() != "https" {
        let message = format!(
            "a redirect from https to plain {}://{} was refused",
            excerpt(to.scheme(), 20),
            to.host_str().unwrap_or("")
        );
        return Some(Error::new(ErrorCode::InsecureEndpoint, message));
    }
    check_target(to, allow_insecure_http)
        .err()
        .map(|error| Error::new(error.code, format!("a redirect was refused: {}", error.message)))
}

/// `host[:port]/path` of a URL.
pub(crate) fn target_of(url: &Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}{port}{}", url.host_str().unwrap_or(""), url.path())
}

type ClientKey = (Option<String>, Option<String>, u64, bool, usize);

/// One pooled client per distinct network setting (proxy, roots, connect timeout, redirect
/// policy), shared by every call in the process. Read and total timeouts are set per request.
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
        config.allow_insecure_http,
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
        .redirect(redirect_policy(config.allow_insecure_http))
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
        let pem = read_ca_file(path)?;
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

/// The PEM text of `ca_file`, read up to a size no bundle of roots comes near (a device such as
/// /dev/zero given by mistake must not fill the memory).
pub(super) fn read_ca_file(path: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    const MAX_CA_FILE_BYTES: u64 = 16 << 20;
    let cannot = |e: std::io::Error| Error::local_io(&format!("cannot read ca_file {path}"), &e);
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .map_err(cannot)?
        .take(MAX_CA_FILE_BYTES + 1)
        .read_to_end(&mut pem)
        .map_err(cannot)?;
    if pem.len() as u64 > MAX_CA_FILE_BYTES {
        return Err(Error::invalid_params(format!(
            "ca_file {path} is larger than any bundle of certificates (16 MiB)"
        )));
    }
    Ok(pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn redirects_follow_the_endpoint_policy() {
        let https = [url("https://cloud-api.yandex.net/v1/disk")];
        let local = [url("http://127.0.0.1:8080/x")];
        // (after, to, allow_insecure_http) -> refused with
        let table: [(&[Url], &str, bool, Option<ErrorCode>); 8] = [
            (&https, "https://downloader.disk.yandex.ru/d", false, None),
            (
                &https,
                "http://downloader.disk.yandex.ru/d",
                false,
                Some(ErrorCode::InsecureEndpoint),
            ),
            (&https, "http://127.0.0.1:1/d", true, Some(ErrorCode::InsecureEndpoint)),
            (&local, "http://localhost:2/y", false, None),
            (
                &local,
                "http://example.invalid/y",
                false,
                Some(ErrorCode::InsecureEndpoint),
            ),
            (&local, "http://example.invalid/y", true, None),
            (&local, "file:///etc/passwd", true, Some(ErrorCode::InvalidResponse)),
            (&local, "data:text/plain,x", false, Some(ErrorCode::InvalidResponse)),
        ];
        for (previous, to, allow, refused) in table {
            let verdict = redirect_refusal(previous, &url(to), allow).map(|e| e.code);
            assert_eq!(verdict, refused, "{to} after {previous:?}, allow_insecure_http {allow}");
        }
        let chain: Vec<Url> = (0..=MAX_REDIRECTS).map(|_| url("https://a.example/")).collect();
        let too_many = redirect_refusal(&chain, &url("https://a.example/"), false);
        assert_eq!(too_many.map(|e| e.code), Some(ErrorCode::InvalidResponse));
    }
}
