//! Implicit TLS on the IMAP and SMTP listeners (as on ports 993 and 465) and HTTPS on CalDAV's,
//! with the certificate the sandbox makes at start (`--tls`): a client that trusts the sandbox's
//! CA logs in; a certificate of a CA the client does not trust is refused.

mod common_mail;

use std::sync::Arc;

use common_mail::{xoauth2, Env, IVAN};
use diskbridge_sandbox::{Sandbox, SandboxOptions};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// A TLS connection to `address` trusting only the CA in `ca_file`.
async fn connect(address: &str, ca_file: &std::path::Path) -> std::io::Result<TlsStream<TcpStream>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(ca_file).unwrap()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(address).await?;
    let name = ServerName::try_from("127.0.0.1").unwrap();
    TlsConnector::from(Arc::new(config)).connect(name, tcp).await
}

/// Sends `line` (unless empty) and reads the answer's lines up to one starting with `until`.
async fn exchange(stream: &mut BufReader<TlsStream<TcpStream>>, line: &str, until: &str) -> Vec<String> {
    if !line.is_empty() {
        stream
            .get_mut()
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .unwrap();
    }
    let mut lines = Vec::new();
    loop {
        let mut text = String::new();
        assert!(stream.read_line(&mut text).await.unwrap() > 0, "closed after {lines:?}");
        let done = text.starts_with(until);
        lines.push(text.trim_end().to_string());
        if done {
            return lines;
        }
    }
}

#[tokio::test]
async fn imap_smtp_and_caldav_speak_tls_with_the_sandbox_s_certificate() {
    let env = Env::start_tls().await;
    let ca_file = env.sandbox.ca_file().unwrap().to_path_buf();
    let listeners = env.get("listeners").await;
    assert_eq!(listeners["tls"], true);
    assert!(listeners["http"].as_str().unwrap().starts_with("https://127.0.0.1:"));
    assert!(listeners["caldav"].as_str().unwrap().starts_with("https://127.0.0.1:"));
    let token = env.token(IVAN, None).await;
    let mut imap = BufReader::new(connect(&env.imap, &ca_file).await.expect("IMAPS handshake"));
    assert!(exchange(&mut imap, "", "* OK").await[0].starts_with("* OK Yandex IMAP4rev1"));
    let login = exchange(
        &mut imap,
        &format!("a1 AUTHENTICATE XOAUTH2 {}", xoauth2(IVAN, &token)),
        "a1 ",
    )
    .await;
    assert_eq!(login.last().unwrap(), "a1 OK AUTHENTICATE Completed.");
    let status = exchange(&mut imap, "a2 STATUS INBOX (MESSAGES)", "a2 ").await;
    assert_eq!(status, ["* STATUS INBOX (MESSAGES 4)", "a2 OK STATUS Completed."]);
    let mut smtp = BufReader::new(connect(&env.smtp, &ca_file).await.expect("SMTPS handshake"));
    assert!(exchange(&mut smtp, "", "220 ").await[0].starts_with("220 smtp-sandbox.mail.yandex.net ESMTP"));
    assert_eq!(exchange(&mut smtp, "EHLO client", "250 ").await.len(), 7);
    let auth = exchange(&mut smtp, &format!("AUTH XOAUTH2 {}", xoauth2(IVAN, &token)), "2").await;
    assert_eq!(auth, ["235 2.7.0 Authentication successful."]);
    let propfind = env.http.request(
        reqwest::Method::from_bytes(b"PROPFIND").unwrap(),
        listeners["caldav"].as_str().unwrap(),
    );
    let answer = propfind
        .header("Depth", "0")
        .header("Authorization", format!("OAuth {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 207);
}

#[tokio::test]
async fn a_certificate_the_client_does_not_trust_is_refused() {
    let sandbox = Sandbox::start_with(SandboxOptions {
        tls: true,
        untrusted_certificate: true,
        ..SandboxOptions::default()
    })
    .expect("sandbox starts");
    let ca_file = sandbox.ca_file().unwrap().to_path_buf();
    let listeners = sandbox.listeners().clone();
    for key in ["imap", "smtp"] {
        let refused = connect(listeners[key].as_str().unwrap(), &ca_file).await;
        let err = refused
            .err()
            .unwrap_or_else(|| panic!("{key}: an untrusted certificate was accepted"));
        assert!(err.to_string().contains("certificate"), "{key}: {err}");
    }
    let caldav = listeners["caldav"]
        .as_str()
        .unwrap()
        .trim_start_matches("https://")
        .trim_end_matches('/')
        .to_string();
    assert!(connect(&caldav, &ca_file).await.is_err());
}

#[tokio::test]
async fn without_tls_the_listeners_are_plain() {
    let sandbox = Sandbox::start().expect("sandbox starts");
    let listeners = sandbox.listeners();
    assert!(listeners.get("tls").is_none());
    assert!(listeners["caldav"].as_str().unwrap().starts_with("http://127.0.0.1:"));
    let mut plain = TcpStream::connect(listeners["imap"].as_str().unwrap()).await.unwrap();
    let mut greeting = String::new();
    BufReader::new(&mut plain).read_line(&mut greeting).await.unwrap();
    assert!(greeting.starts_with("* OK Yandex IMAP4rev1"));
}
