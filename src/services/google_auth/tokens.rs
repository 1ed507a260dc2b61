//! The tokens of Google API methods: `Authorization: Bearer <token>`, and `credentials`
//! renewed by a refresh at Google OAuth (Google keeps the refresh token, so the caller's stays).

use std::sync::Arc;

use serde_json::Value;

use super::profile::REFRESH;
use crate::auth::{check_credentials, GrantRefresh, Session, SubjectRule, TokenSource};
use crate::error::Result;
use crate::schema::Args;
use crate::transport::TokenProvider;

const NO_SUBJECT: &str = "`credentials.subject` names an employee for a Yandex 360 service application; Google methods take {access_token?, refresh_token, client_id, client_secret, expires_at?}";

/// The token provider of a Google method's `token` or `credentials`.
pub(crate) fn token_provider(args: &Args) -> Result<Arc<dyn TokenProvider>> {
    let renewal = match args.value("credentials") {
        Some(Value::Object(map)) => {
            check_credentials(map, SubjectRule::Refused(NO_SUBJECT))?;
            Some((map.clone(), Box::new(GrantRefresh(&REFRESH)) as Box<dyn TokenSource>))
        }
        _ => None,
    };
    Ok(Session::new("Bearer", args.opt_str("token"), renewal))
}
