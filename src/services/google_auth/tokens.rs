//! The tokens of Google API methods: `Authorization: Bearer <token>`, and `credentials` (given,
//! or in a `credentials_file`) renewed by a refresh at Google OAuth (Google keeps the refresh token, so the caller's stays).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::profile::REFRESH;
use crate::auth::{check_credentials, session, GrantRefresh, SubjectRule, TokenSource};
use crate::error::Result;
use crate::schema::Args;
use crate::transport::TokenProvider;

const NO_SUBJECT: &str = "`credentials.subject` names an employee for a Yandex 360 service application; Google methods take {access_token?, refresh_token, client_id, client_secret, expires_at?}";

/// The token provider of a Google method's `token`, `credentials` or `credentials_file`.
pub(crate) fn token_provider(args: &Args) -> Result<Arc<dyn TokenProvider>> {
    let credentials = match args.value("credentials") {
        Some(Value::Object(map)) => Some(map),
        _ => None,
    };
    let session = session(
        "Bearer",
        args.opt_str("token"),
        credentials,
        args.opt_str("credentials_file"),
        source_for,
    )?;
    Ok(session)
}

/// Checks the credentials: Google's are renewed by a refresh.
fn source_for(map: &Map<String, Value>) -> Result<Box<dyn TokenSource>> {
    check_credentials(map, SubjectRule::Refused(NO_SUBJECT))?;
    Ok(Box::new(GrantRefresh(&REFRESH)))
}
