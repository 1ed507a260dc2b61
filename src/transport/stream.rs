//! Connections of the line protocols (IMAP, SMTP): TCP with the configured connect timeout,
//! then implicit TLS (`imaps`, `smtps`) with rustls and ring, trusting the platform's roots and
//! `ca_file` as the HTTP client does — or plain TCP, which `Config::check_line_url` allows only to
//! loopback. The proxy setting applies to HTTP only.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;
use url::Url;

use super::client::{read_ca_file, untrusted_detail};
use super::Context;
use crate::config::{Config, Endpoint, Located};
use crate::error::{Error, ErrorCode, Result};
use crate::sync::lock;

/// A connected byte stream, plain or TLS.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

pub(crate) type BoxStream = Pin<Box<dyn Stream>>;

/// Connects to `url` (`imaps://host:port`, `smtp://127.0.0.1:port`, …); `default_port` when the
/// URL names none. Errors name `host:port` and say what failed; they are `network`, `timeout`,
/// or `untrusted_certificate` for a server certificate neither the platform's roots nor
/// `ca_file` vouch for (final: not worth another attempt).
pub(crate) async fn connect(config: &Config, url: &Url, default_port: u16) -> Result<BoxStream> {
    config.check_line_url(url)?;
    let host = url
        .host_str()
        .ok_or_else(|| Error::invalid_params(format!("no host in {url}")))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = url.port().unwrap_or(default_port);
    let target = format!("{host}:{port}");
    let connect_timeout = Duration::from_secs_f64(config.timeouts.connect_s);
    let tcp = match tokio::time::timeout(connect_timeout, TcpStream::connect((host.as_str(), port))).await {
        Err(_) => {
            let message = format!(
                "connecting to {target}: no connection within {} s",
                connect_timeout.as_secs_f64()
            );
            return Err(Error::new(ErrorCode::Timeout, message));
        }
        Ok(Err(e)) => return Err(Error::new(ErrorCode::Network, format!("connecting to {target}: {e}"))),
        Ok(Ok(tcp)) => tcp,
    };
    let _ = tcp.set_nodelay(true);
    if !url.scheme().ends_with('s') {
        return Ok(Box::pin(tcp));
    }
    let name = ServerName::try_from(host.clone())
        .map_err(|_| Error::invalid_params(format!("`{host}` is not a valid TLS server name")))?;
    let connector = TlsConnector::from(tls_config(config)?);
    match tokio::time::timeout(connect_timeout, connector.connect(name, tcp)).await {
        Err(_) => Err(Error::new(
            ErrorCode::Timeout,
            format!(
                "TLS with {target}: no handshake within {} s",
                connect_timeout.as_secs_f64()
            ),
        )),
        Ok(Err(e)) => match invalid_certificate(&e) {
            Some(problem) => Err(Error::new(
                ErrorCode::UntrustedCertificate,
                format!("TLS with {target}: {}", untrusted_detail(&host, &problem)),
            )),
            None => Err(Error::new(ErrorCode::Network, format!("TLS with {target}: {e}"))),
        },
        Ok(Ok(tls)) => Ok(Box::pin(tls)),
    }
}

/// Connects to a line-protocol endpoint where the configuration puts it; a sandbox listener
/// that cannot be reached is forgotten (a sandbox started again on the same port has new ones).
/// Returns the stream and the `host:port` that messages name.
pub(crate) async fn connect_endpoint(
    ctx: &Context,
    endpoint: &Endpoint,
    default_port: u16,
) -> Result<(BoxStream, String)> {
    let url = ctx.locate(endpoint).await?;
    match connect(&ctx.config, &url, default_port).await {
        Ok(stream) => {
            let peer = format!(
                "{}:{}",
                url.host_str().unwrap_or(""),
                url.port().unwrap_or(default_port)
            );
            Ok((stream, peer))
        }
        Err(error) => {
            if let Located::SandboxListener { sandbox, .. } = ctx.config.locate(endpoint) {
                super::listeners::forget(&sandbox);
            }
            Err(error)
        }
    }
}

/// What rustls found wrong with the server's certificate, if that is why the handshake failed
/// (tokio-rustls hands rustls's error inside an `io::Error`).
fn invalid_certificate(error: &std::io::Error) -> Option<String> {
    match error.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::InvalidCertificate(problem) => Some(format!("{problem:?}")),
        _ => None,
    }
}

/// One TLS client configuration per `ca_file`, made once: the platform's roots and the file's.
fn tls_config(config: &Config) -> Result<Arc<ClientConfig>> {
    static CONFIGS: OnceLock<Mutex<HashMap<Option<String>, Arc<ClientConfig>>>> = OnceLock::new();
    let mut configs = lock(CONFIGS.get_or_init(Default::default));
    if let Some(made) = configs.get(&config.ca_file) {
        return Ok(made.clone());
    }
    let mut roots = RootCertStore::empty();
    // Certificates the platform's store holds but rustls cannot parse are skipped, as reqwest does.
    for certificate in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(certificate);
    }
    if let Some(path) = &config.ca_file {
        let no_certificate = || Error::invalid_params(format!("ca_file {path} holds no PEM certificate"));
        let pem = read_ca_file(path)?;
        let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| no_certificate())?;
        if certificates.is_empty() {
            return Err(no_certificate());
        }
        for certificate in certificates {
            roots.add(certificate).map_err(|_| no_certificate())?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let made = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(ErrorCode::Internal, format!("cannot set up TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let made = Arc::new(made);
    configs.insert(config.ca_file.clone(), made.clone());
    Ok(made)
}
