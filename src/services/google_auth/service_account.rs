//! Service-account tokens (RFC 7523): an RS256-signed JWT assertion exchanged with the
//! JWT-bearer grant. The key is signed with ring, the crypto provider the TLS stack already
//! brings; its PEM is read with the TLS stack's own PEM reader.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivateKeyDer;
use serde_json::{json, Map, Value};

use super::handlers::required_scopes;
use super::profile::{OAUTH, OAUTH_ENDPOINT};
use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;
use crate::oauth::{remember_tokens, unix_now, with_hint};
use crate::schema::Call;
use crate::transport::{send_json, Request};

/// The token URL a service account's assertion is addressed to when its key names none.
const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// Google refuses assertions that live longer than an hour.
const MAX_ASSERTION_LIFETIME_S: u64 = 3600;
/// A key file is a few kilobytes; anything much larger is not one.
const MAX_KEY_FILE_BYTES: u64 = 1024 * 1024;

/// The key file as a JSON object: given inline, as JSON text, or as the path of the file.
fn service_account_key(call: &Call) -> Result<Map<String, Value>> {
    let not_json = || {
        Error::invalid_params("the service account key is not a JSON object (give the key file's JSON, or its path)")
    };
    let parsed = match call.args.value("key") {
        Some(Value::Object(map)) => return Ok(map.clone()),
        Some(Value::String(text)) if text.trim_start().starts_with('{') => {
            serde_json::from_str::<Value>(text).map_err(|_| not_json())?
        }
        Some(Value::String(path)) => {
            // The path is masked like the rest of `key`, so messages do not repeat it.
            let size = std::fs::metadata(path)
                .map_err(|e| Error::local_io("cannot read the service account key file (`key`)", &e))?
                .len();
            if size > MAX_KEY_FILE_BYTES {
                return Err(Error::invalid_params(
                    "`key` names a file too large to be a service account key",
                ));
            }
            // Read no further than a key file could be, even from a device that never ends.
            let mut text = String::new();
            std::fs::File::open(path)
                .and_then(|file| {
                    std::io::Read::read_to_string(&mut std::io::Read::take(file, MAX_KEY_FILE_BYTES), &mut text)
                })
                .map_err(|e| Error::local_io("cannot read the service account key file (`key`)", &e))?;
            let parsed = serde_json::from_str::<Value>(&text).map_err(|_| not_json())?;
            if let Some(private_key) = parsed.get("private_key").and_then(Value::as_str) {
                call.ctx.add_secret(private_key);
            }
            parsed
        }
        _ => return Err(not_json()),
    };
    match parsed {
        Value::Object(map) => Ok(map),
        _ => Err(not_json()),
    }
}

/// The RSA key of a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, what key files hold) or
/// PKCS#1 (`BEGIN RSA PRIVATE KEY`).
fn signing_key(pem: &str) -> Result<RsaKeyPair> {
    let not_rsa = || Error::invalid_params("the key's `private_key` is not a PEM RSA private key");
    let key = match PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|_| not_rsa())? {
        PrivateKeyDer::Pkcs8(key) => RsaKeyPair::from_pkcs8(key.secret_pkcs8_der()),
        PrivateKeyDer::Pkcs1(key) => RsaKeyPair::from_der(key.secret_pkcs1_der()),
        _ => return Err(not_rsa()),
    };
    key.map_err(|_| not_rsa())
}

/// The RS256 assertion of RFC 7523: `header.claims.signature`, each base64url without padding.
fn sign_assertion(key: &Map<String, Value>, claims: &Value) -> Result<String> {
    let private_key = key
        .get("private_key")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid_params("the service account key has no `private_key`"))?;
    let mut header = json!({"alg": "RS256", "typ": "JWT"});
    // Google picks the public key by `kid`; without it, it tries each key of the account.
    if let Some(kid) = key.get("private_key_id").and_then(Value::as_str) {
        header["kid"] = json!(kid);
    }
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let key_pair = signing_key(private_key)?;
    let mut signature = vec![0u8; key_pair.public().modulus_len()];
    key_pair
        .sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            input.as_bytes(),
            &mut signature,
        )
        .map_err(|_| Error::new(ErrorCode::Internal, "the assertion could not be signed"))?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// The JWT claims of an assertion for `scope`, addressed to the key's token URL.
fn claims(call: &Call, key: &Map<String, Value>, client_email: &str) -> Result<Value> {
    let expire = call.args.opt_u64("expire").unwrap_or(3600);
    if expire == 0 || expire > MAX_ASSERTION_LIFETIME_S {
        return Err(Error::invalid_params("`expire` must be 1 to 3600 seconds"));
    }
    let audience = key
        .get("token_uri")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .unwrap_or(GOOGLE_TOKEN_URI);
    // Real Unix time (OPI's is an hour behind, which makes exp = now with its default).
    let now = unix_now();
    let mut claims = json!({
        "iss": client_email,
        "scope": required_scopes(&call.args, "scope")?,
        "aud": audience,
        "iat": now,
        "exp": now + expire as i64,
    });
    if let Some(subject) = call.args.opt_str("subject").filter(|s| !s.is_empty()) {
        claims["sub"] = json!(subject);
    }
    Ok(claims)
}

pub(super) async fn get_service_account_token(call: Call) -> Result<Value> {
    let key = service_account_key(&call)?;
    let client_email = key
        .get("client_email")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| Error::invalid_params("the service account key has no `client_email`"))?;
    let claims = claims(&call, &key, client_email)?;
    let assertion = sign_assertion(&key, &claims)?;
    call.ctx.add_secret(&assertion);
    let form = vec![
        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer".to_string()),
        ("assertion", assertion),
    ];
    // Minting another token is harmless, so a lost answer may be asked for again.
    let request = Request::post(&OAUTH, call.ctx.url(&OAUTH_ENDPOINT, "/token")?)
        .form(form)
        .idempotent(true);
    let tokens = send_json(&call.ctx, &request).await.map_err(|error| {
        let error = with_hint(
            error,
            ErrorCode::InvalidGrant,
            "the assertion was refused: the key is not the account's (revoked, or altered), the clock is off by minutes, or the subject does not exist",
        );
        with_hint(
            error,
            ErrorCode::InvalidClient,
            "the service account may not act for this subject with these scopes: authorize its client ID for domain-wide delegation in the Workspace admin console",
        )
    })?;
    remember_tokens(&call.ctx, &tokens);
    let delegated = if claims.get("sub").is_some() {
        " for a delegated user"
    } else {
        ""
    };
    let line = format!("service account {client_email} got a token{delegated}");
    call.ctx.log(Level::Info, "auth", &line);
    Ok(tokens)
}
