//! The token of an API call (docs/design.md §6): a plain `token`, or `credentials` that are
//! renewed ahead of expiry or after one 401 — given with the call (the new tokens are returned
//! in the reply), or kept in a `credentials_file` (renewed and saved under the file's lock).
//!
//! [`Session`] is the transport's [`TokenProvider`]; where its new tokens come from is a
//! [`TokenSource`] chosen by the service layer (a Yandex ID refresh, a Yandex 360 exchange for
//! an employee, a Google refresh), so nothing here names a service.

use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use serde_json::{Map, Value};

use crate::credentials_file::CredentialsFile;
use crate::error::{Error, Result};
use crate::log::Level;
use crate::oauth::{self, unix_now, RefreshGrant, TokenSet, ROTATION_GRACE};
use crate::sync::lock;
use crate::transport::{Context, TokenProvider};

/// Refresh this long before `expires_at`, so a token never expires in flight.
const REFRESH_MARGIN_S: i64 = 60;

/// Where renewed tokens for a caller's credentials come from.
pub(crate) trait TokenSource: Send + Sync {
    /// New tokens for these credentials (their `client_id`, `client_secret` and `refresh_token`
    /// or `subject`, as the source needs).
    fn fetch<'a>(&'a self, ctx: &'a Context, credentials: &'a Map<String, Value>) -> BoxFuture<'a, Result<TokenSet>>;
}

/// Credentials renewed by a provider's refresh-token grant, shared with concurrent callers that
/// hold the same refresh token (and with those arriving just after it was rotated).
pub(crate) struct GrantRefresh(pub &'static RefreshGrant);

impl TokenSource for GrantRefresh {
    fn fetch<'a>(&'a self, ctx: &'a Context, credentials: &'a Map<String, Value>) -> BoxFuture<'a, Result<TokenSet>> {
        let field = |key: &str| credentials.get(key).and_then(Value::as_str).unwrap_or("");
        let (id, secret, refresh_token) = (field("client_id"), field("client_secret"), field("refresh_token"));
        oauth::refresh(ctx, self.0, id, secret, refresh_token, ROTATION_GRACE)
    }
}

/// What credentials may say instead of holding a refresh token.
pub(crate) enum SubjectRule {
    /// A subject is refused with this message.
    Refused(&'static str),
    /// A subject (an employee for a Yandex 360 service application) is checked by this.
    Checked(fn(&Value) -> Result<()>),
}

/// Checks a `credentials` object: `client_id`, `client_secret`, and a `refresh_token` or (where
/// allowed) a `subject`, `expires_at` in Unix seconds. Returns whether it names a subject.
pub(crate) fn check_credentials(map: &Map<String, Value>, subject_rule: SubjectRule) -> Result<bool> {
    let shape = "credentials are {access_token?, refresh_token, client_id, client_secret, expires_at?}, or for a \
                 Yandex 360 service application {client_id, client_secret, subject: {user_id} or {user_email}}";
    let has = |key: &str| map.get(key).and_then(Value::as_str).is_some_and(|v| !v.is_empty());
    let subject = map.get("subject").filter(|s| !s.is_null());
    let mut required = vec!["client_id", "client_secret"];
    match (subject, subject_rule) {
        (Some(_), _) if has("refresh_token") => {
            return Err(Error::invalid_params(
                "`credentials` hold a refresh_token and a subject: give one of them",
            ))
        }
        (Some(_), SubjectRule::Refused(message)) => return Err(Error::invalid_params(message)),
        (Some(subject), SubjectRule::Checked(check)) => check(subject)?,
        (None, _) => required.push("refresh_token"),
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
    Ok(subject.is_some())
}

/// How a caller's credentials are checked and renewed: the sign-in's service checks their
/// shape and picks the [`TokenSource`] (a refresh, or an exchange for an employee).
pub(crate) type SourceFor = fn(&Map<String, Value>) -> Result<Box<dyn TokenSource>>;

/// The session of an API call's `token`, `credentials` or `credentials_file` (the schema
/// refused a file given with either of the others).
pub(crate) fn session(
    scheme: &'static str,
    token: Option<&str>,
    credentials: Option<&Map<String, Value>>,
    credentials_file: Option<&str>,
    source_for: SourceFor,
) -> Result<Arc<Session>> {
    let renewal = match (credentials, credentials_file) {
        (_, Some(path)) => Renewal::File(CredentialsFile::resolve(path)?, source_for),
        (Some(map), None) => Renewal::Given(source_for(map)?),
        (None, None) => Renewal::None,
    };
    Ok(Session::new(scheme, token, credentials.cloned(), renewal))
}

/// Where renewed tokens go.
enum Renewal {
    /// A `token` alone: never renewed.
    None,
    /// `credentials` given with the call: renewed in memory, returned in the reply.
    Given(Box<dyn TokenSource>),
    /// `credentials_file`: read, renewed and written back under the file's lock, so processes
    /// sharing the file renew one at a time and each uses what the last one saved.
    File(CredentialsFile, SourceFor),
}

/// The token side of one call.
pub(crate) struct Session {
    /// `OAuth` or `Bearer`: the word before the token in `Authorization`.
    scheme: &'static str,
    renewal: Renewal,
    state: tokio::sync::Mutex<State>,
    /// Set once the credentials changed and the reply must carry them: always for given
    /// credentials, for a file only when the new ones could not be written to it.
    refreshed: Mutex<Option<Value>>,
    /// The credentials file this call saved renewed tokens to.
    saved_to: Mutex<Option<String>>,
}

struct State {
    access_token: Option<String>,
    /// The caller's credentials object (or the file's, as last read), updated in place (unknown
    /// keys are kept for the host).
    credentials: Option<Map<String, Value>>,
}

impl Session {
    fn new(
        scheme: &'static str,
        token: Option<&str>,
        credentials: Option<Map<String, Value>>,
        renewal: Renewal,
    ) -> Arc<Session> {
        let access_token = token.map(String::from).or_else(|| {
            credentials
                .as_ref()?
                .get("access_token")?
                .as_str()
                .filter(|s| !s.is_empty())
                .map(String::from)
        });
        Arc::new(Session {
            scheme,
            renewal,
            state: tokio::sync::Mutex::new(State {
                access_token,
                credentials,
            }),
            refreshed: Mutex::new(None),
            saved_to: Mutex::new(None),
        })
    }

    /// Renews given credentials in memory.
    async fn refresh(&self, ctx: &Context, state: &mut State) -> Result<()> {
        let (Some(credentials), Renewal::Given(source)) = (state.credentials.as_mut(), &self.renewal) else {
            return Ok(());
        };
        let tokens = source.fetch(ctx, credentials).await?;
        apply(ctx, credentials, &tokens);
        state.access_token = Some(tokens.access_token);
        *lock(&self.refreshed) = Some(Value::Object(credentials.clone()));
        Ok(())
    }

    /// Under the file's lock: reads the file, and renews and saves its tokens unless they are
    /// good — not expiring, and not the token the service just `refused` (another process
    /// may have renewed it already; then its tokens are used as they are).
    async fn sync_with_file(&self, ctx: &Context, state: &mut State, refused: Option<&str>) -> Result<()> {
        let Renewal::File(file, source_for) = &self.renewal else {
            return Ok(());
        };
        let locked = file.lock(ctx.config.timeouts.lock_wait(), &ctx.progress).await?;
        let mut credentials = locked.read()?;
        for key in ["access_token", "refresh_token", "client_secret"] {
            if let Some(secret) = credentials.get(key).and_then(Value::as_str) {
                ctx.add_secret(secret);
            }
        }
        let path = file.path().display().to_string();
        let source = source_for(&credentials)
            .map_err(|error| Error::new(error.code, format!("credentials_file {path}: {}", error.message)))?;
        let current = access_token_of(&credentials);
        if current.is_some() && !expiring(&credentials) && current.as_deref() != refused {
            state.access_token = current;
            state.credentials = Some(credentials);
            return Ok(());
        }
        let staged = locked.stage()?;
        let tokens = source.fetch(ctx, &credentials).await?;
        apply(ctx, &mut credentials, &tokens);
        state.access_token = Some(tokens.access_token);
        let saved = staged.commit(&credentials);
        state.credentials = Some(credentials.clone());
        if let Err(error) = saved {
            // The renewal may have rotated the refresh token: the reply keeps the only copy.
            *lock(&self.refreshed) = Some(Value::Object(credentials));
            return Err(Error::new(
                error.code,
                format!(
                    "{}; the renewed credentials are in the reply's `credentials`: save them to the file",
                    error.message
                ),
            ));
        }
        ctx.log(Level::Info, "auth", &format!("saved the renewed tokens to {path}"));
        *lock(&self.saved_to) = Some(path);
        Ok(())
    }
}

/// Puts renewed tokens into a credentials object (a Google refresh keeps the refresh token).
fn apply(ctx: &Context, credentials: &mut Map<String, Value>, tokens: &TokenSet) {
    ctx.add_secret(&tokens.access_token);
    credentials.insert("access_token".into(), Value::String(tokens.access_token.clone()));
    if let Some(refresh_token) = &tokens.refresh_token {
        ctx.add_secret(refresh_token);
        credentials.insert("refresh_token".into(), Value::String(refresh_token.clone()));
    }
    match tokens.expires_at {
        Some(expires_at) => {
            credentials.insert("expires_at".into(), Value::from(expires_at));
        }
        None => {
            credentials.remove("expires_at");
        }
    }
}

fn access_token_of(credentials: &Map<String, Value>) -> Option<String> {
    credentials
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// Whether the credentials' access token expires within the refresh margin.
fn expiring(credentials: &Map<String, Value>) -> bool {
    credentials
        .get("expires_at")
        .and_then(as_unix_seconds)
        .is_some_and(|at| at.saturating_sub(REFRESH_MARGIN_S) <= unix_now())
}

impl TokenProvider for Session {
    fn authorization<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<String>> {
        async move {
            let mut state = self.state.lock().await;
            let stale =
                |state: &State| state.access_token.is_none() || state.credentials.as_ref().is_some_and(expiring);
            match &self.renewal {
                Renewal::File(..) if state.credentials.is_none() || stale(&state) => {
                    self.sync_with_file(ctx, &mut state, None).await?
                }
                Renewal::Given(_) if stale(&state) => self.refresh(ctx, &mut state).await?,
                _ => {}
            }
            let token = state.access_token.clone().unwrap_or_default();
            Ok(format!("{} {token}", self.scheme))
        }
        .boxed()
    }

    fn refresh_after_unauthorized<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<bool>> {
        async move {
            let mut state = self.state.lock().await;
            if matches!(self.renewal, Renewal::None) {
                return Ok(false);
            }
            match &self.renewal {
                Renewal::File(..) => {
                    let line = "the service refused the access token (401): renewing it unless the credentials file already holds another";
                    ctx.log(Level::Info, "auth", line);
                    let refused = state.access_token.clone();
                    self.sync_with_file(ctx, &mut state, refused.as_deref()).await?
                }
                _ => {
                    let line = "the service refused the access token (401): refreshing it";
                    ctx.log(Level::Info, "auth", line);
                    self.refresh(ctx, &mut state).await?
                }
            }
            Ok(true)
        }
        .boxed()
    }

    fn refreshed_credentials(&self) -> Option<Value> {
        lock(&self.refreshed).clone()
    }

    fn credentials_saved_to(&self) -> Option<String> {
        lock(&self.saved_to).clone()
    }
}

/// `expires_at` as Unix seconds; 1C and Python hosts may store it as a string or a float. A
/// time beyond any calendar (1e300, -2^63) is none: refused, not clamped.
fn as_unix_seconds(value: &Value) -> Option<i64> {
    let seconds = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }?;
    (seconds.abs() <= MAX_UNIX_SECONDS).then_some(seconds as i64)
}

/// The year 30000 or so: far beyond any token's life, far from overflowing.
const MAX_UNIX_SECONDS: f64 = 9e11;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn credentials_need_a_refresh_token_or_an_allowed_subject() {
        let refused = || SubjectRule::Refused("no subjects here");
        let complete = map(json!({"client_id": "a", "client_secret": "b", "refresh_token": "c", "expires_at": "17.5"}));
        assert!(!check_credentials(&complete, refused()).unwrap());
        let missing = map(json!({"client_id": "a", "client_secret": "b"}));
        let error = check_credentials(&missing, refused()).unwrap_err();
        assert!(
            error.message.contains("`credentials.refresh_token` is missing"),
            "{}",
            error.message
        );
        let subject = map(json!({"client_id": "a", "client_secret": "b", "subject": {"user_id": 1}}));
        assert_eq!(
            check_credentials(&subject, refused()).unwrap_err().message,
            "no subjects here"
        );
        assert!(check_credentials(&subject, SubjectRule::Checked(|_| Ok(()))).unwrap());
        let both = map(json!({"client_id": "a", "client_secret": "b", "refresh_token": "c", "subject": {}}));
        assert!(check_credentials(&both, SubjectRule::Checked(|_| Ok(()))).is_err());
        let bad_time = map(json!({"client_id": "a", "client_secret": "b", "refresh_token": "c", "expires_at": "soon"}));
        assert!(check_credentials(&bad_time, refused()).is_err());
    }
}
