//! The token of an API call (docs/design.md §6): a plain `token`, or `credentials` that are
//! renewed ahead of expiry or after one 401, with the new tokens returned in the reply.
//!
//! [`Session`] is the transport's [`TokenProvider`]; where its new tokens come from is a
//! [`TokenSource`] chosen by the service layer (a Yandex ID refresh, a Yandex 360 exchange for
//! an employee, a Google refresh), so nothing here names a service.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::log::Level;
use crate::oauth::{self, RefreshGrant, TokenSet, ROTATION_GRACE};
use crate::transport::{Context, TokenProvider};

/// Refresh this long before `expires_at`, so a token never expires in flight.
const REFRESH_MARGIN_S: i64 = 60;

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

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

/// The token side of one call.
pub(crate) struct Session {
    /// `OAuth` or `Bearer`: the word before the token in `Authorization`.
    scheme: &'static str,
    source: Option<Box<dyn TokenSource>>,
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
    /// A session for a `token`, or for checked `credentials` renewed by `source`.
    pub(crate) fn new(
        scheme: &'static str,
        token: Option<&str>,
        credentials: Option<(Map<String, Value>, Box<dyn TokenSource>)>,
    ) -> Arc<Session> {
        let (credentials, source) = match credentials {
            Some((map, source)) => (Some(map), Some(source)),
            None => (None, None),
        };
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
            source,
            state: tokio::sync::Mutex::new(State {
                access_token,
                credentials,
            }),
            refreshed: Mutex::new(None),
        })
    }

    async fn refresh(&self, ctx: &Context, state: &mut State) -> Result<()> {
        let (Some(credentials), Some(source)) = (state.credentials.as_mut(), &self.source) else {
            return Ok(());
        };
        let tokens = source.fetch(ctx, credentials).await?;
        ctx.add_secret(&tokens.access_token);
        credentials.insert("access_token".into(), Value::String(tokens.access_token.clone()));
        if let Some(refresh_token) = &tokens.refresh_token {
            ctx.add_secret(refresh_token);
            credentials.insert("refresh_token".into(), Value::String(refresh_token.clone()));
        }
        match tokens.expires_in {
            Some(expires_in) => {
                // A service's lifetime beyond ten years is read as ten years, so what is stored
                // stays a time the next call accepts.
                let expires_in = expires_in.min(10 * 365 * 86_400) as i64;
                credentials.insert("expires_at".into(), Value::from(unix_now() + expires_in));
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

impl TokenProvider for Session {
    fn authorization<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<String>> {
        async move {
            let mut state = self.state.lock().await;
            let expiring = state.credentials.as_ref().is_some_and(|c| {
                c.get("expires_at")
                    .and_then(as_unix_seconds)
                    .is_some_and(|at| at.saturating_sub(REFRESH_MARGIN_S) <= unix_now())
            });
            if state.credentials.is_some() && (state.access_token.is_none() || expiring) {
                self.refresh(ctx, &mut state).await?;
            }
            let token = state.access_token.clone().unwrap_or_default();
            Ok(format!("{} {token}", self.scheme))
        }
        .boxed()
    }

    fn refresh_after_unauthorized<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<bool>> {
        async move {
            let mut state = self.state.lock().await;
            if state.credentials.is_none() {
                return Ok(false);
            }
            ctx.log(
                Level::Info,
                "auth",
                "the service refused the access token (401): refreshing it",
            );
            self.refresh(ctx, &mut state).await?;
            Ok(true)
        }
        .boxed()
    }

    fn refreshed_credentials(&self) -> Option<Value> {
        self.refreshed.lock().unwrap_or_else(|p| p.into_inner()).clone()
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
