//! The built-in service account's RSA key, and RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signing
//! and checking with it through ring, the crypto provider the TLS stack already uses.
//!
//! SANDBOX-ONLY TEST KEY: generated once for this emulator, published with the source, it
//! protects nothing. Never use it anywhere else. It is a fixed constant rather than made at
//! start because ring cannot generate RSA keys, and a fixed key keeps the key file the sandbox
//! hands out the same across runs (and across `--data-dir` restarts).

use std::sync::OnceLock;

use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256};

pub const PRIVATE_KEY_PEM: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCeh/G/Hvs1Qw6g\n\
pDu1YXtkgbeE/egvs94loJvj9yFLi1cO/IqdwQ82XF+8a9HilqfRd6B3qUjKUTJz\n\
GuzOu66GVabCHGIxnjToX9CoZy6/JDn7L9cZjL304WBfdWb436uZRNnzdwEsE0sq\n\
DhePGSPm78R+wnzeb979fJWpzByRci/rqOMMdL6vcBn08HNaE3hEnP91DW1Jrhx9\n\
k2zH8T7RAO6NaQuqHVFkB6vxxOVivBH5oysfEmCtQnBjsBIkPHkHBPvIWYliwAX3\n\
z9fIP3KpiMOgbG9uTrU90s5mT7AGJ2bfdtRoDukqatlA8ahfivWwSqtLmN/RIBcn\n\
l8BLZIGhAgMBAAECggEADq8r8taVUUktVS7xQutNKTGkxKJaO/TuulCGsBaHlH5L\n\
KZ2130fvN0tWKNdZ4SGwWMQ6bmsVTXw47pWLYtjaoSHU6P0FEXCEmROq+bZZC6Z4\n\
4m37gCfbvo+TxDPVPm9Fb1SD1bvrtV/yIeqdPwmGnFEQQ+eS9m2pW5SLLme0K7qh\n\
HNx2Qw15GNaz8EHUVxETIYmHSAZ9DsZUJelJqFl3ayLSWpWZBQoNPbY9XOhkGoSM\n\
guxjI4zGN4o7y3I7JndFu/9g6ECn53oS5pv1GnqZB+YpzbdI3I6567YLBOO65ZCd\n\
3HffUCkQh5Bih6QJXzCk7wNlAm2bwcSAmq16winZGwKBgQDTrQQrNOteky0eKQOx\n\
GYwnUk7bSoPZ5hMRzRlHz2q48grfD4kpIZUSZNFjonWaT9YWt/cNVXlnef7d1mF/\n\
vB3/dPRqn4wm+BMlCA/JXt5+XQ/Dl2Uheh1+g+E2YhHgHHrBd1tPmVbbWPqckMHR\n\
uz8cMAsVPcB7nc3M+A+7Qt0IRwKBgQC/uhNDvn+Fq/fi2qGbDvBbMHrZsIvD3/O7\n\
H5RqBTFTbg8RhRZ9/dQJcxP+gQo3Z6KHCLQQIG5+7s0ZffoDwSVG7sXy/a37PUdr\n\
hjkOtaMD1sPIOhHi3ewTOIsGG3I4BVv0aSbko9ttdPXvzyM/9GZT8DLvEFQSVJVj\n\
tnRUE74C1wKBgQCUdFRnJQ8p3hiXfXZcX6l+7mflvkXorUaUhn6DcYHMwdxEArZU\n\
hXvyUYjU0tyd4/4nItB+poKlwtavqKnqlvmG7vR4TvtRXUy3/QZtWT676vKiX2yK\n\
5QUIdN+fb3pP7kldpCMDGWzkG2xwH8n/GM6zKzKqrAtx5wOuDA+kaslwAwKBgQCP\n\
UOunnxW5+SNyKxXUT6VxtNqQMT04rQaHIQMTAVCu2b1fzklS4tOGQMR4YUMeyVQf\n\
dm0LBQMz1RPxc07ZUZ6o2EGV8vUDsfnaMVojWblCXF67JFVMbbFTaNfbN9b4c2Ea\n\
YSPWk3mp510T5pWl7+4x3oJkW6NMlHebMr7gPmWxvwKBgBaf9Kq7BLaoiniGaXVn\n\
lc294ZiP7vNLltMPrZxBz6p7PuqhvRISbBfy8nxlZnAyD0AvVwydsvT9vbDY62T5\n\
d6qg2vDN9Ffb+t8/5S4MX2yAAwicWLr2KqQgHGas/AYa9zSnigroO8s1ls2+tDX+\n\
SWG64sOCak4GZICoQn/QTJ/0\n\
-----END PRIVATE KEY-----\n\
";

fn key_pair() -> &'static RsaKeyPair {
    static KEY: OnceLock<RsaKeyPair> = OnceLock::new();
    KEY.get_or_init(|| {
        let body: String = PRIVATE_KEY_PEM.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("the embedded key is base64");
        RsaKeyPair::from_pkcs8(&der).expect("the embedded key is valid PKCS#8")
    })
}

/// The RS256 signature of `message` with the service account's key.
pub fn sign(message: &[u8]) -> Vec<u8> {
    let key = key_pair();
    let mut signature = vec![0u8; key.public().modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut signature)
        .expect("RS256 signing with a valid key");
    signature
}

/// Whether `signature` is the service account key's RS256 signature of `message`.
pub fn verify(message: &[u8], signature: &[u8]) -> bool {
    let public = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key_pair().public().as_ref());
    public.verify(message, signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_tampering_is_caught() {
        let signature = sign(b"header.claims");
        assert_eq!(signature.len(), 256);
        assert!(verify(b"header.claims", &signature));
        assert!(!verify(b"header.claimz", &signature));
        let mut bent = signature.clone();
        bent[10] ^= 1;
        assert!(!verify(b"header.claims", &bent));
    }
}
