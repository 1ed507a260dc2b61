//! The token exchange of Yandex 360 service applications (docs/protocols.md §1.6): a one-hour
//! token for an employee of an organization that registered this client.

use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::handlers::oauth_request;
use super::profile::OAUTH_ENDPOINT;
use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;
use crate::oauth::{self, with_hint, TokenSet};
use crate::schema::Call;
use crate::transport::{send_json, Context};

/// Whom a Yandex 360 service application acts for: an employee by uid or by e-mail.
pub(super) enum Subject {
    UserId(String),
    UserEmail(String),
}

impl Subject {
    /// Exactly one of a uid and an e-mail; `what` names where they came from, for the message.
    pub(super) fn from_pair(user_id: Option<&str>, user_email: Option<&str>, what: &str) -> Result<Subject> {
        let (user_id, user_email) = (
            user_id.map(str::trim).filter(|s| !s.is_empty()),
            user_email.map(str::trim).filter(|s| !s.is_empty()),
        );
        match (user_id, user_email) {
            (Some(id), None) => Ok(Subject::UserId(id.to_string())),
            (None, Some(email)) => Ok(Subject::UserEmail(email.to_string())),
            (Some(_), Some(_)) => Err(Error::invalid_params(format!(
                "give one of {what}user_id and {what}user_email, not both"
            ))),
            (None, None) => Err(Error::invalid_params(format!(
                "{what}user_id or {what}user_email is missing: name the employee by uid (Yandex360.GetUsers) or by e-mail"
            ))),
        }
    }

    /// The `subject` of `credentials`: `{"user_id"}` or `{"user_email"}` (a uid may be a number,
    /// as 1C and Python hosts store it).
    pub(super) fn from_credentials(subject: &Value) -> Result<Subject> {
        let Some(map) = subject.as_object() else {
            return Err(Error::invalid_params(
                "`credentials.subject` must be an object: {\"user_id\"} or {\"user_email\"}",
            ));
        };
        if let Some(key) = map.keys().find(|k| *k != "user_id" && *k != "user_email") {
            return Err(Error::invalid_params(format!(
                "`credentials.subject` has an unknown key `{key}`; accepted: user_id, user_email"
            )));
        }
        let user_id = match map.get("user_id") {
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::String(s)) => Some(s.clone()),
            None | Some(Value::Null) => None,
            Some(_) => return Err(Error::invalid_params("`credentials.subject.user_id` must be a uid")),
        };
        let user_email = match map.get("user_email") {
            Some(Value::String(s)) => Some(s.as_str()),
            None | Some(Value::Null) => None,
            Some(_) => return Err(Error::invalid_params("`credentials.subject.user_email` must be text")),
        };
        Subject::from_pair(user_id.as_deref(), user_email, "credentials.subject.")
    }

    fn token_type(&self) -> &'static str {
        match self {
            Subject::UserId(_) => "urn:yandex:params:oauth:token-type:uid",
            Subject::UserEmail(_) => "urn:yandex:params:oauth:token-type:email",
        }
    }

    fn value(&self) -> &str {
        match self {
            Subject::UserId(value) | Subject::UserEmail(value) => value,
        }
    }
}

/// The token-exchange grant (docs/protocols.md §1.6), once for every concurrent caller asking
/// for the same employee through the same client and service; a caller arriving after it
/// finished exchanges again, since the token that caller holds may be the one just refused.
/// Boxed, as `oauth::refresh` is.
pub(super) fn exchange_shared<'a>(
    ctx: &'a Context,
    client_id: &'a str,
    client_secret: &'a str,
    subject: &'a Subject,
) -> BoxFuture<'a, Result<TokenSet>> {
    let endpoint = ctx.endpoint(&OAUTH_ENDPOINT);
    Box::pin(async move {
        let key = vec![
            "yandex-exchange",
            endpoint.as_str(),
            client_id,
            client_secret,
            subject.token_type(),
            subject.value(),
        ];
        oauth::refresh_once(key, Duration::ZERO, move || async move {
            let form = vec![
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:token-exchange".to_string(),
                ),
                ("subject_token", subject.value().to_string()),
                ("subject_token_type", subject.token_type().to_string()),
                ("client_id", client_id.to_string()),
                ("client_secret", client_secret.to_string()),
            ];
            // Exchanging twice only issues another token, so a lost answer may be asked for again.
            let request = oauth_request(ctx, "/token")?.form(form).idempotent(true);
            let answer = send_json(ctx, &request).await.map_err(explain_exchange)?;
            ctx.log(
                Level::Info,
                "auth",
                &format!("exchanged a Yandex 360 service application token of client {client_id} for a user"),
            );
            TokenSet::from_json(answer)
        })
        .await
    })
}

/// What to do about a refused exchange: set up the service application, or name another user.
fn explain_exchange(error: Error) -> Error {
    let upstream = error
        .upstream
        .as_ref()
        .and_then(|u| u.get("error"))
        .and_then(Value::as_str)
        .unwrap_or("");
    match upstream {
        "unauthorized_client" => with_hint(
            error,
            ErrorCode::InvalidClient,
            "the client is not a service application of the user's organization, or the organization has not activated them (Yandex360.ActivateServiceApplications, Yandex360.AddServiceApplication)",
        ),
        "invalid_grant" => with_hint(
            error,
            ErrorCode::InvalidGrant,
            "the user is not an employee of an organization with service applications: check user_id / user_email against Yandex360.GetUsers",
        ),
        _ => error,
    }
}

pub(super) async fn exchange_token_for_user(call: Call) -> Result<Value> {
    let args = &call.args;
    let subject = Subject::from_pair(args.opt_str("user_id"), args.opt_str("user_email"), "")?;
    let tokens = exchange_shared(&call.ctx, args.str("client_id")?, args.str("client_secret")?, &subject).await?;
    call.ctx.add_secret(&tokens.access_token);
    Ok(tokens.raw)
}
