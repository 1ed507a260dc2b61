//! The listeners beside the main HTTP port: IMAP and SMTP (line protocols, their own ports as
//! at Yandex) and CalDAV (HTTP, on a port of its own because its hrefs are absolute paths from
//! the root, docs/protocols-mail.md §7). `GET /_sandbox/listeners` tells clients where they are.

use std::future::Future;
use std::net::SocketAddr;

use serde_json::{json, Value};

use tokio_rustls::TlsAcceptor;

use crate::state::AppState;
use crate::tls::Tls;
use crate::{mail, wire};

pub struct Listeners {
    imap: std::net::TcpListener,
    smtp: std::net::TcpListener,
    caldav: std::net::TcpListener,
    /// With TLS (`--tls`): implicit TLS for IMAP and SMTP (as on ports 993 and 465), HTTPS for
    /// CalDAV, all with the certificate of the main port.
    mail_tls: Option<TlsAcceptor>,
    caldav_tls: Option<TlsAcceptor>,
}

fn bind(port: u16) -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

impl Listeners {
    /// Binds the three on free ports of 127.0.0.1, serving TLS when `tls` is given.
    pub fn bind(tls: Option<&Tls>, http2: bool) -> std::io::Result<Listeners> {
        Ok(Listeners {
            imap: bind(0)?,
            smtp: bind(0)?,
            caldav: bind(0)?,
            mail_tls: tls.map(Tls::acceptor).transpose()?,
            caldav_tls: tls.map(|tls| tls.http_acceptor(http2)).transpose()?,
        })
    }

    /// `{"http", "imap", "smtp", "caldav"}`: the caldav URL is what a CalDAV client is given;
    /// with TLS the URLs are `https` and `"tls": true` says IMAP and SMTP want it too.
    pub fn describe(&self, http: &str) -> std::io::Result<Value> {
        let scheme = if self.caldav_tls.is_some() { "https" } else { "http" };
        let mut described = json!({
            "http": http,
            "imap": self.imap.local_addr()?.to_string(),
            "smtp": self.smtp.local_addr()?.to_string(),
            "caldav": format!("{scheme}://{}/", self.caldav.local_addr()?),
        });
        if self.mail_tls.is_some() {
            described["tls"] = json!(true);
        }
        Ok(described)
    }

    /// Serves the three until the runtime stops; `http` serves CalDAV's port (the sandbox's
    /// HTTP machinery, with the request log and faults).
    pub async fn serve<F, Fut>(self, state: AppState, http: F)
    where
        F: FnOnce(tokio::net::TcpListener, Option<TlsAcceptor>) -> Fut,
        Fut: Future<Output = ()>,
    {
        let (imap, smtp, caldav) = match (
            tokio::net::TcpListener::from_std(self.imap),
            tokio::net::TcpListener::from_std(self.smtp),
            tokio::net::TcpListener::from_std(self.caldav),
        ) {
            (Ok(imap), Ok(smtp), Ok(caldav)) => (imap, smtp, caldav),
            _ => {
                eprintln!("diskbridge-sandbox: cannot serve the IMAP, SMTP and CalDAV listeners");
                return;
            }
        };
        tokio::join!(
            wire::accept_loop(imap, state.clone(), self.mail_tls.clone(), mail::imap::serve),
            wire::accept_loop(smtp, state.clone(), self.mail_tls, mail::smtp::serve),
            http(caldav, self.caldav_tls),
        );
    }
}
