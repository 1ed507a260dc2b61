//! The tokens of Google API methods: `Authorization: Bearer <token>`, and `credentials`
//! renewed by a refresh at Google OAuth (Google keeps the refresh token, so the caller's stays).

use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};

use super::profile::REFRESH;
use crate::auth::{check_credentials, Session, SubjectRule, TokenSource};
use crate::error::Result;
use crate::oauth::{self, TokenSet, ROTATION_GRACE};
use crate::schema::Args;
use crate::transport::{Context, TokenProvider};

const NO_SUBJECT: &str = "`credentials.subject` names an employee for a Yandex 360 service application; Google methods take {access_token?, refresh_token, client_id, client_secret, expires_at?}";

/// The token provider of a Google method's `token` or `credentials`.
pub(crate) fn token_provider(args: &Args) -> Result<Arc<dyn TokenProvider>> {
    let renewal = match args.value("credentials") {
        Some(Value::Object(map)) => {
            check_credentials(map, SubjectRule::Refused(NO_SUBJECT))?;
            Some((map.clone(), Box::new(Refresh) as Box<dyn TokenSource>))
        }
        _ => None,
    };
    Ok(Session::new("Bearer", args.opt_str("token"), renewal))
}

/// A refresh at Google OAuth, shared with concurrent callers holding the same refresh token.
struct Refresh;

impl TokenSource for Refresh {
    fn fetch<'a>(&'a self, ctx: &'a Context, credentials: &'a Map<String, Value>) -> BoxFuture<'a, Result<TokenSet>> {
        let field = |key: &str| credentials.get(key).and_then(Value::as_str).unwrap_or("");
        oauth::refresh(
            ctx,
            &REFRESH,
            field("client_id"),
            field("client_secret"),
            field("refresh_token"),
            ROTATION_GRACE,
        )
    }
}
