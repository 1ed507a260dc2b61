//! The tokens of Yandex API methods: `Authorization: OAuth <token>`, and `credentials` (given,
//! or in a `credentials_file`) renewed by a refresh at Yandex OAuth, or — for a Yandex 360 service application, whose credentials
//! name an employee instead of holding a refresh token — by a new exchange for that employee.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};

use super::exchange::{exchange_shared, Subject};
use super::profile::REFRESH;
use crate::auth::{check_credentials, session, GrantRefresh, SubjectRule, TokenSource};
use crate::error::Result;
use crate::oauth::TokenSet;
use crate::schema::Args;
use crate::transport::{Context, TokenProvider};

/// The token provider of a Yandex method's `token`, `credentials` or `credentials_file`; none
/// for an `optional` sign-in (public resources) given none of them.
pub(crate) fn token_provider(args: &Args, optional: bool) -> Result<Option<Arc<dyn TokenProvider>>> {
    let credentials = match args.value("credentials") {
        Some(Value::Object(map)) => Some(map),
        _ => None,
    };
    let (token, file) = (args.opt_str("token"), args.opt_str("credentials_file"));
    if optional && token.is_none() && credentials.is_none() && file.is_none() {
        return Ok(None);
    }
    Ok(Some(session("OAuth", token, credentials, file, source_for)?))
}

/// Checks the credentials and picks how they are renewed.
fn source_for(map: &Map<String, Value>) -> Result<Box<dyn TokenSource>> {
    let names_subject = check_credentials(
        map,
        SubjectRule::Checked(|subject| Subject::from_credentials(subject).map(drop)),
    )?;
    Ok(if names_subject {
        Box::new(Exchange)
    } else {
        Box::new(GrantRefresh(&REFRESH))
    })
}

/// A new exchange for the employee the credentials name.
struct Exchange;

impl TokenSource for Exchange {
    fn fetch<'a>(&'a self, ctx: &'a Context, credentials: &'a Map<String, Value>) -> BoxFuture<'a, Result<TokenSet>> {
        Box::pin(async move {
            let field = |key: &str| credentials.get(key).and_then(Value::as_str).unwrap_or("");
            let subject = Subject::from_credentials(credentials.get("subject").unwrap_or(&Value::Null))?;
            exchange_shared(ctx, field("client_id"), field("client_secret"), &subject).await
        })
    }
}
