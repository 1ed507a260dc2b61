//! Tokens of API calls (DESIGN.md §6): a plain `token`, or `credentials` that the library
//! refreshes ahead of expiry or after one 401, returning the new tokens in the reply. Credentials
//! of a Yandex 360 service application name an employee (`subject`) instead of holding a refresh
//! token, and are renewed by exchanging a new token for that employee. Concurrent
//! refreshes of one refresh token are collapsed into one request, and callers that arrive with a
//! refresh token that was just rotated get the tokens it was rotated into.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::call::Call;
use crate::error::{Error, Result};
use crate::log::Level;
use crate::registry::{Args, Auth, Method};
use crate::services::{google_auth, yandex_id};

/// Refresh this long before `expires_at`, so a token never expires in flight.
const REFRESH_MARGIN_S: i64 = 60;
/// How long the outcome of a refresh answers `credentials` callers holding the refresh token it
/// used: a caller arriving shortly after the rotation with the rotated-out token gets the new
/// tokens instead of a refused refresh.
pub const ROTATION_GRACE: Duration = Duration::from_secs(120);
/// How long a failed refresh answers for its concurrent callers before one may try again.
const FAILURE_GRACE: Duration = Duration::from_secs(2);

/// New tokens from a token endpoint.
#[derive(Clone)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: Option<u64>,
    /// The endpoint's JSON, as returned by the RefreshToken methods.
    pub raw: Value,
}

impl std::fmt::Debug for TokenSet {
    /// Never prints the tokens themselves.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"***")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

impl TokenSet {
    /// Reads a token endpoint's answer.
    pub fn from_json(raw: Value) -> Result<TokenSet> {
        let access_token = raw
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Error::new(
                    crate::error::ErrorCode::InvalidResponse,
                    "the token endpoint answered without access_token",
                )
            })?
            .to_string();
        Ok(TokenSet {
            access_token,
            refresh_token: raw.get("refresh_token").and_then(Value::as_str).map(String::from),
            expires_in: raw.get("expires_in").and_then(Value::as_u64),
            raw,
        })
    }
}

/// The polling of a device flow (RFC 8628), shared by Yandex and Google: `poll` once at once and
/// then every `interval`, adding five seconds for good at each `slow_down`, until tokens come, an
/// error other than `authorization_pending` does, or `timeout` passes. Progress reports seconds
/// waited, so the host can cancel. `method` names the call to repeat in the timeout message.
pub async fn wait_for_approval<F, Fut>(
    call: &Call,
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
            Err(error) if error.code == crate::error::ErrorCode::AuthorizationPending => {}
            Err(error) if error.code == crate::error::ErrorCode::SlowDown => interval += Duration::from_secs(5),
            Err(error) => return Err(error),
        }
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            return Err(Error::new(
                crate::error::ErrorCode::Timeout,
                format!(
                    "nobody approved the device code within {} s: call {method} again while the code is valid",
                    timeout.as_secs()
                ),
            ));
        }
        call.progress.report(elapsed.as_secs(), timeout.as_secs())?;
        call.progress.sleep(interval.min(timeout - elapsed)).await?;
    }
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The token side of one call.
pub struct Session {
    provider: Auth,
    state: tokio::sync::Mutex<State>,
    /// Set once the credentials changed, for the reply.
    refreshed: Mutex<Option<Value>>,
}

struct State {
    access_token: Option<String>,
    /// The caller's credentials object, updated in place (unknown keys are kept for the host).
    credentials: Option<Map<String, Value>>,
}

impl Session {
    pub fn from_args(method: &Method, args: &Args) -> Result<Option<Arc<Session>>> {
        let given = args.value("token").is_some() || args.value("credentials").is_some();
        if method.auth == Auth::None || (method.auth == Auth::YandexOptional && !given) {
            return Ok(None);
        }
        let credentials = match args.value("credentials") {
            Some(Value::Object(map)) => Some(validate_credentials(map, method.auth)?),
            _ => None,
        };
        let access_token = args
            .opt_str("token")
            .map(String::from)
            .or_else(|| credential(&credentials, "access_token"));
        Ok(Some(Arc::new(Session {
            provider: method.auth,
            state: tokio::sync::Mutex::new(State {
                access_token,
                credentials,
            }),
            refreshed: Mutex::new(None),
        })))
    }

    /// The `Authorization` header value, refreshing first when the credentials have no access
    /// token or it expires within the margin.
    pub async fn authorization(&self, call: &Call) -> Result<String> {
        let mut state = self.state.lock().await;
        let expiring = state.credentials.as_ref().is_some_and(|c| {
            c.get("expires_at")
                .and_then(as_unix_seconds)
                .is_some_and(|at| at - REFRESH_MARGIN_S <= unix_now())
        });
        if state.credentials.is_some() && (state.access_token.is_none() || expiring) {
            self.refresh(call, &mut state).await?;
        }
        let token = state.access_token.clone().unwrap_or_default();
        Ok(match self.provider {
            Auth::Yandex | Auth::YandexOptional | Auth::None => format!("OAuth {token}"),
            Auth::Google => format!("Bearer {token}"),
        })
    }

    /// After a 401: refresh when credentials allow it. `Ok(true)` means: send again.
    pub async fn refresh_after_unauthorized(&self, call: &Call) -> Result<bool> {
        let mut state = self.state.lock().await;
        if state.credentials.is_none() {
            return Ok(false);
        }
        call.log(
            Level::Info,
            "auth",
            "the service refused the access token (401): refreshing it",
        );
        self.refresh(call, &mut state).await?;
        Ok(true)
    }

    /// The updated credentials for the reply, when they changed.
    pub fn refreshed_credentials(&self) -> Option<Value> {
        self.refreshed.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    async fn refresh(&self, call: &Call, state: &mut State) -> Result<()> {
        let credentials = state.credentials.as_mut().expect("refresh needs credentials");
        let field = |key: &str| credentials.get(key).and_then(Value::as_str).unwrap_or("").to_string();
        let (client_id, client_secret, refresh_token) =
            (field("client_id"), field("client_secret"), field("refresh_token"));
        // Credentials of a Yandex 360 service application name the employee instead of holding a
        // refresh token: a new token is exchanged for them.
        let subject = match credentials.get("subject").filter(|s| !s.is_null()) {
            Some(subject) => Some(yandex_id::Subject::from_credentials(subject)?),
            None => None,
        };
        let tokens = match (self.provider, &subject) {
            (Auth::Yandex | Auth::YandexOptional, Some(subject)) => {
                yandex_id::exchange_shared(call, &client_id, &client_secret, subject).await?
            }
            (Auth::Yandex | Auth::YandexOptional, None) => {
                yandex_id::refresh_shared(call, &client_id, &client_secret, &refresh_token, ROTATION_GRACE).await?
            }
            // Google keeps the refresh token: the answer has none and the caller's stays.
            (Auth::Google, _) => {
                google_auth::refresh_shared(call, &client_id, &client_secret, &refresh_token, ROTATION_GRACE).await?
            }
            (Auth::None, _) => unreachable!("methods without auth have no session"),
        };
        call.add_secret(&tokens.access_token);
        credentials.insert("access_token".into(), Value::String(tokens.access_token.clone()));
        if let Some(refresh_token) = &tokens.refresh_token {
            call.add_secret(refresh_token);
            credentials.insert("refresh_token".into(), Value::String(refresh_token.clone()));
        }
        match tokens.expires_in {
            Some(expires_in) => {
                credentials.insert("expires_at".into(), Value::from(unix_now() + expires_in as i64));
            }
            None => {
                credentials.remove("expires_at");
            }
        }
        state.access_token = Some(tokens.access_token);
        *self.refreshed.lock().unwrap_or_else(|p| p.into_inner()) = Some(Value::Object(credentials.clone()));
        Ok(())
    }
}

fn credential(credentials: &Option<Map<String, Value>>, key: &str) -> Option<String> {
    credentials
        .as_ref()?
        .get(key)?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// `expires_at` as Unix seconds; 1C and Python hosts may store it as a string or a float.
fn as_unix_seconds(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse::<f64>().ok().map(|f| f as i64),
        _ => None,
    }
}

fn validate_credentials(map: &Map<String, Value>, provider: Auth) -> Result<Map<String, Value>> {
    let shape = "credentials are {access_token?, refresh_token, client_id, client_secret, expires_at?}, or for a \
                 Yandex 360 service application {client_id, client_secret, subject: {user_id} or {user_email}}";
    let has = |key: &str| map.get(key).and_then(Value::as_str).is_some_and(|v| !v.is_empty());
    let subject = map.get("subject").filter(|s| !s.is_null());
    let mut required = vec!["client_id", "client_secret"];
    match subject {
        Some(_) if has("refresh_token") => {
            return Err(Error::invalid_params(
                "`credentials` hold a refresh_token and a subject: give one of them",
            ))
        }
        Some(_) if provider == Auth::Google => {
            return Err(Error::invalid_params(
                "`credentials.subject` names an employee for a Yandex 360 service application; Google methods take {access_token?, refresh_token, client_id, client_secret, expires_at?}",
            ))
        }
        Some(subject) => {
            yandex_id::Subject::from_credentials(subject)?;
        }
        None => required.push("refresh_token"),
    }
    if let Some(key) = required.into_iter().find(|key| !has(key)) {
        return Err(Error::invalid_params(format!(
            "`credentials.{key}` is missing: {shape}"
        )));
    }
    if map
        .get("expires_at")
        .is_some_and(|v| !v.is_null() && as_unix_seconds(v).is_none())
    {
        return Err(Error::invalid_params("`credentials.expires_at` must be Unix seconds"));
    }
    Ok(map.clone())
}

type Outcome = (Instant, Result<TokenSet>);
type Slot = Arc<tokio::sync::Mutex<Option<Outcome>>>;

/// Runs `refresh` once for every concurrent caller that holds the same refresh token (`key`
/// names the provider, client, secret and refresh token): callers that arrive while it runs share its
/// outcome, and so do callers arriving up to `grace` after it finished.
pub async fn refresh_once<F, Fut>(key: Vec<&str>, grace: Duration, refresh: F) -> Result<TokenSet>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<TokenSet>>,
{
    static SLOTS: OnceLock<Mutex<HashMap<[u8; 32], Slot>>> = OnceLock::new();
    // Keyed by a hash: the map outlives the call and should not hold refresh tokens as keys.
    let digest: [u8; 32] = Sha256::digest(key.join("\u{0}").as_bytes()).into();
    let slot = {
        let mut slots = SLOTS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
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
    if !matches!(&result, Err(error) if error.code == crate::error::ErrorCode::Cancelled) {
        *outcome = Some((Instant::now(), result.clone()));
    }
    result
}
