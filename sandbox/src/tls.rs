//! TLS for the sandbox's listeners: a certificate authority and a leaf certificate for
//! `127.0.0.1` and `localhost`, made at start (rcgen on ring), and rustls acceptors that serve
//! the leaf. The CA's certificate is written to a PEM file that clients are given as `ca_file`;
//! its key never leaves memory.
//!
//! The same [`Tls`] serves HTTP ([`Tls::http_acceptor`], HTTP/2 and HTTP/1.1 by ALPN) and raw
//! TCP protocols with implicit TLS ([`Tls::acceptor`], no ALPN), so every listener of one
//! sandbox presents certificates of one CA.
//!
//! [`Tls::generate_untrusted`] makes a leaf signed by a second CA whose certificate is written
//! nowhere: clients given `ca_file` still refuse it, which is how tests see a certificate the
//! client does not trust.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

/// The names the leaf certificate is valid for: the sandbox listens on 127.0.0.1 only.
const LEAF_NAMES: &[&str] = &["127.0.0.1", "localhost"];
/// The file name of the CA certificate in the directory given to [`Tls::generate`].
const CA_FILE: &str = "sandbox-ca.pem";

/// A CA, a leaf certificate signed by it and its key, ready to make acceptors.
pub struct Tls {
    ca_file: PathBuf,
    chain: Vec<CertificateDer<'static>>,
    key: PrivatePkcs8KeyDer<'static>,
}

/// A certificate authority made for this run only.
struct Authority {
    issuer: Issuer<'static, KeyPair>,
    certificate: CertificateDer<'static>,
    pem: String,
}

impl Authority {
    fn generate(name: &str) -> io::Result<Authority> {
        let key = KeyPair::generate().map_err(io::Error::other)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "diskbridge sandbox");
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let certificate = params.self_signed(&key).map_err(io::Error::other)?;
        Ok(Authority {
            pem: certificate.pem(),
            certificate: certificate.der().clone(),
            issuer: Issuer::new(params, key),
        })
    }

    /// A server certificate for [`LEAF_NAMES`] and its key.
    fn leaf(&self) -> io::Result<(CertificateDer<'static>, KeyPair)> {
        let key = KeyPair::generate().map_err(io::Error::other)?;
        let names: Vec<String> = LEAF_NAMES.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).map_err(io::Error::other)?;
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, "diskbridge sandbox");
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let certificate = params.signed_by(&key, &self.issuer).map_err(io::Error::other)?;
        Ok((certificate.der().clone(), key))
    }
}

impl Tls {
    /// A new CA and leaf; the CA's certificate is written to `dir/sandbox-ca.pem` (`dir` is
    /// created if needed).
    pub fn generate(dir: &Path) -> io::Result<Tls> {
        let authority = Authority::generate("diskbridge sandbox CA")?;
        Tls::signed_by(&authority, &authority, dir)
    }

    /// Like [`Tls::generate`], but the leaf is signed by a second CA that is written nowhere:
    /// `ca_file` names the first CA, so a client given it refuses the certificate.
    pub fn generate_untrusted(dir: &Path) -> io::Result<Tls> {
        let reported = Authority::generate("diskbridge sandbox CA")?;
        let unreported = Authority::generate("diskbridge sandbox untrusted CA")?;
        Tls::signed_by(&reported, &unreported, dir)
    }

    fn signed_by(reported: &Authority, signer: &Authority, dir: &Path) -> io::Result<Tls> {
        std::fs::create_dir_all(dir)?;
        let ca_file = dir.join(CA_FILE);
        std::fs::write(&ca_file, &reported.pem)?;
        let (leaf, key) = signer.leaf()?;
        Ok(Tls {
            ca_file,
            chain: vec![leaf, signer.certificate.clone()],
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        })
    }

    /// The PEM file of the CA that clients should trust.
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    /// An acceptor for protocols with implicit TLS and no ALPN (IMAP, SMTP submission, …).
    pub fn acceptor(&self) -> io::Result<TlsAcceptor> {
        self.acceptor_with_alpn(Vec::new())
    }

    /// An acceptor for HTTP: `h2` and `http/1.1` by ALPN, or `http/1.1` alone.
    pub fn http_acceptor(&self, http2: bool) -> io::Result<TlsAcceptor> {
        let mut protocols = Vec::new();
        if http2 {
            protocols.push(b"h2".to_vec());
        }
        protocols.push(b"http/1.1".to_vec());
        self.acceptor_with_alpn(protocols)
    }

    fn acceptor_with_alpn(&self, protocols: Vec<Vec<u8>>) -> io::Result<TlsAcceptor> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), PrivateKeyDer::Pkcs8(self.key.clone_key()))
            .map_err(io::Error::other)?;
        config.alpn_protocols = protocols;
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_file_is_a_pem_certificate_and_the_chain_ends_with_the_signer() {
        let dir = std::env::temp_dir().join(format!("diskbridge-sandbox-tls-test-{}", crate::util::random_hex(6)));
        let tls = Tls::generate(&dir).unwrap();
        let pem = std::fs::read_to_string(tls.ca_file()).unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
        assert_eq!(tls.chain.len(), 2);
        assert!(tls.http_acceptor(true).is_ok() && tls.acceptor().is_ok());
        let untrusted = Tls::generate_untrusted(&dir.join("other")).unwrap();
        assert_ne!(untrusted.chain[1], tls.chain[1]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
