//! The OAuth client plumbing shared by every sign-in provider (Yandex ID and Google today):
//! token answers, the single-flight refresh (concurrent callers holding one refresh token make
//! one request, docs/design.md §6), PKCE and random strings, the polling of a device flow
//! (RFC 8628), the standard error codes of a token endpoint, and hints on refused requests.
//! Nothing here names a provider: each declares its [`RefreshGrant`] and profile beside itself.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures_util::future::BoxFuture;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::config::Endpoint;
use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;
use crate::sync::lock;
use crate::transport::{header_safe, send_json, Context, Profile, Request, ServiceError};

/// How long the outcome of a refresh answers `credentials` callers holding the refresh token it
/// used: a caller arriving shortly after the rotation with the rotated-out token gets the new
/// tokens instead of a refused refresh.
pub(crate) const ROTATION_GRACE: Duration = Duration::from_secs(120);
/// How long a failed refresh answers for its concurrent callers before one may try again.
const FAILURE_GRACE: Duration = Duration::from_secs(2);

/// New tokens from a token endpoint.
#[derive(Clone)]
pub(crate) struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// When the access token expires, in Unix seconds: fixed when the answer arrived, so every
    /// caller sharing one refresh hands its host the same value.
    pub expires_at: Option<i64>,
    /// The endpoint's JSON, as returned by the RefreshToken methods.
    pub raw: Value,
}

impl std::fmt::Debug for TokenSet {
    /// Never prints the tokens themselves.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"***")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The longest token lifetime taken from an answer: ten years.
const MAX_LIFETIME_S: u64 = 10 * 365 * 86_400;

/// Seconds since the Unix epoch (0 on a clock set before it).
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl TokenSet {
    /// Reads a token endpoint's answer.
    pub(crate) fn from_json(raw: Value) -> Result<TokenSet> {
        let access_token = raw
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::InvalidResponse,
                    "the token endpoint answered without access_token",
                )
            })?
            .to_string();
        // It goes into a header next: a control character in it is the service's mistake.
        if !header_safe(&access_token) {
            return Err(Error::new(
                ErrorCode::InvalidResponse,
                "the token endpoint answered an access_token no HTTP header can carry",
            ));
        }
        // A lifetime beyond ten years is read as ten years, so what is stored stays a time the
        // next call accepts.
        let expires_in = raw
            .get("expires_in")
            .and_then(Value::as_u64)
            .map(|s| s.min(MAX_LIFETIME_S));
        Ok(TokenSet {
            access_token,
            refresh_token: raw.get("refresh_token").and_then(Value::as_str).map(String::from),
            expires_at: expires_in.map(|seconds| unix_now() + seconds as i64),
            raw,
        })
    }
}

/// Keeps the tokens of a token answer out of every later log line and message of the call.
pub(crate) fn remember_tokens(ctx: &Context, tokens: &Value) {
    for key in ["access_token", "refresh_token", "id_token"] {
        if let Some(token) = tokens.get(key).and_then(Value::as_str) {
            ctx.add_secret(token);
        }
    }
}

/// `error` and `error_description` of a token endpoint's error body (RFC 6749 §5.2).
pub(crate) fn read_error(body: &Value) -> ServiceError {
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(String::from);
    ServiceError {
        code: text("error"),
        description: text("error_description"),
    }
}

/// The catalogue codes of the standard OAuth errors (RFC 6749, RFC 8628).
pub(crate) fn classify(code: &str) -> Option<ErrorCode> {
    Some(match code {
        "authorization_pending" => ErrorCode::AuthorizationPending,
        "slow_down" => ErrorCode::SlowDown,
        "access_denied" => ErrorCode::AccessDenied,
        "expired_token" => ErrorCode::Expired,
        "invalid_client" | "unauthorized_client" => ErrorCode::InvalidClient,
        "invalid_grant" => ErrorCode::InvalidGrant,
        _ => return None,
    })
}

/// Puts `hint` (what to do) before the message of an error with `code`.
pub(crate) fn with_hint(mut error: Error, code: ErrorCode, hint: &str) -> Error {
    if error.code == code {
        error.message = format!("{hint} ({})", error.message);
    }
    error
}

/// Random URL-safe text for PKCE verifiers, states and session ids.
pub(crate) fn random_urlsafe(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).expect("the operating system has no random source");
    URL_SAFE_NO_PAD.encode(buffer)
}

/// A PKCE S256 pair (RFC 7636): the verifier to keep, the challenge for the link.
pub(crate) fn pkce_pair() -> (String, String) {
    let verifier = random_urlsafe(32);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The polling of a device flow (RFC 8628): `poll` once at once and then every `interval`,
/// adding five seconds for good at each `slow_down`, until tokens come, an error other than
/// `authorization_pending` does, or `timeout` passes. Progress reports seconds waited, so the
/// host can cancel. `method` names the call to repeat in the timeout message.
pub(crate) async fn wait_for_approval<F, Fut>(
    ctx: &Context,
    mut interval: Duration,
    timeout: Duration,
    method: &str,
    mut poll: F,
) -> Result<Value>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Value>>,
{
    let started = Instant::now();
    loop {
        match poll().await {
            Ok(tokens) => return Ok(tokens),
            Err(error) if error.code == ErrorCode::AuthorizationPending => {}
            Err(error) if error.code == ErrorCode::SlowDown => interval += Duration::from_secs(5),
            Err(error) => return Err(error),
        }
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            return Err(Error::new(
                ErrorCode::Timeout,
                format!(
                    "nobody approved the device code within {} s: call {method} again while the code is valid",
                    timeout.as_secs()
                ),
            ));
        }
        ctx.progress.report(elapsed.as_secs(), timeout.as_secs())?;
        ctx.progress.sleep(interval.min(timeout - elapsed)).await?;
    }
}

/// A provider's refresh-token grant (RFC 6749 §6).
pub(crate) struct RefreshGrant {
    /// Names the provider in log lines and keeps its single-flight slots apart.
    pub provider: &'static str,
    pub profile: &'static Profile,
    pub endpoint: &'static Endpoint,
    /// The token path under the endpoint.
    pub path: &'static str,
    /// Whether a refresh that may have reached the provider may be sent again: not when the
    /// provider rotates refresh tokens (the lost answer held the only valid one).
    pub repeatable: bool,
    /// What to tell the caller when the refresh token is refused.
    pub refused_hint: &'static str,
}

/// Refreshes through the shared single-flight slot, so concurrent callers with one refresh
/// token make one request; `grace` lets callers arriving that long after a rotation share it.
/// Boxed: a refresh sends a request, and sending may ask the call's token provider for a
/// header, which may refresh.
pub(crate) fn refresh<'a>(
    ctx: &'a Context,
    grant: &'static RefreshGrant,
    client_id: &'a str,
    client_secret: &'a str,
    refresh_token: &'a str,
    grace: Duration,
) -> BoxFuture<'a, Result<TokenSet>> {
    Box::pin(refresh_once(
        vec![grant.provider, client_id, client_secret, refresh_token],
        grace,
        move || async move {
            let form = vec![
                ("grant_type", "refresh_token".to_string()),
                ("refresh_token", refresh_token.to_string()),
                ("client_id", client_id.to_string()),
                ("client_secret", client_secret.to_string()),
            ];
            let request = Request::post(grant.profile, ctx.url(grant.endpoint, grant.path)?)
                .form(form)
                .idempotent(grant.repeatable);
            let answer = send_json(ctx, &request)
                .await
                .map_err(|error| with_hint(error, ErrorCode::InvalidGrant, grant.refused_hint))?;
            let line = format!("refreshed the {} tokens of client {client_id}", grant.provider);
            ctx.log(Level::Info, "auth", &line);
            TokenSet::from_json(answer)
        },
    ))
}

/// A RefreshToken method: the refresh is shared only with callers making it at the same time (a
/// caller arriving later with a rotated-out token is refused, as by the provider itself), and
/// the provider's answer comes back as it came.
pub(crate) async fn refresh_answer(
    ctx: &Context,
    grant: &'static RefreshGrant,
    client_id: &str,
    client_secret: &str,
    refresh_token: &str,
) -> Result<Value> {
    let tokens = refresh(ctx, grant, client_id, client_secret, refresh_token, Duration::ZERO).await?;
    ctx.add_secret(&tokens.access_token);
    Ok(tokens.raw)
}

type Outcome = (Instant, Result<TokenSet>);
type Slot = Arc<tokio::sync::Mutex<Option<Outcome>>>;

/// Runs `refresh` once for every concurrent caller that holds the same refresh token (`key`
/// names the provider, client, secret and refresh token): callers that arrive while it runs
/// share its outcome, and so do callers arriving up to `grace` after it finished.
pub(crate) async fn refresh_once<F, Fut>(key: Vec<&str>, grace: Duration, refresh: F) -> Result<TokenSet>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<TokenSet>>,
{
    static SLOTS: OnceLock<Mutex<HashMap<[u8; 32], Slot>>> = OnceLock::new();
    // Keyed by a hash: the map outlives the call and should not hold refresh tokens as keys.
    let digest: [u8; 32] = Sha256::digest(key.join("\u{0}").as_bytes()).into();
    let slot = {
        let mut slots = lock(SLOTS.get_or_init(Default::default));
        slots.retain(|_, slot| match slot.try_lock() {
            Ok(outcome) => outcome.as_ref().is_none_or(|(at, _)| at.elapsed() < ROTATION_GRACE),
            Err(_) => true,
        });
        slots.entry(digest).or_default().clone()
    };
    let arrived = Instant::now();
    let mut outcome = slot.lock().await;
    if let Some((at, result)) = outcome.as_ref() {
        let grace = if result.is_ok() {
            grace
        } else {
            grace.min(FAILURE_GRACE)
        };
        if *at >= arrived || at.elapsed() < grace {
            return result.clone();
        }
    }
    let result = refresh().await;
    // A cancellation belongs to the caller that made it, not to those waiting on the slot.
    if !matches!(&result, Err(error) if error.code == ErrorCode::Cancelled) {
        *outcome = Some((Instant::now(), result.clone()));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenges_are_the_s256_of_their_verifier() {
        let (verifier, challenge) = pkce_pair();
        assert_eq!(verifier.len(), 43);
        assert_eq!(challenge, URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())));
        assert_ne!(pkce_pair().0, verifier);
    }

    #[test]
    fn standard_errors_have_their_codes() {
        assert_eq!(classify("invalid_grant"), Some(ErrorCode::InvalidGrant));
        assert_eq!(classify("unauthorized_client"), Some(ErrorCode::InvalidClient));
        assert_eq!(classify("DiskNotFoundError"), None);
        let said = read_error(&serde_json::json!({"error": "slow_down", "error_description": "wait"}));
        assert_eq!(said.code.as_deref(), Some("slow_down"));
        assert_eq!(said.description.as_deref(), Some("wait"));
    }
}
