//! Opening a mailbox: the IMAP listener (the real server, a configured one, or the sandbox's),
//! the connection, and the XOAUTH2 login with the call's token — renewed and tried once more
//! when the server refuses it and `credentials` allow a renewal. The mailbox's address comes
//! from `email`, the credentials' `subject.user_email`, or the token's user (login.yandex.ru).

use std::time::Duration;

use serde_json::Value;

use super::profile::{IMAP_ENDPOINT, SERVICE};
use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;
use crate::mail::imap::{self, LoginError};
use crate::schema::Call;
use crate::services::yandex_id::{LOGIN, LOGIN_ENDPOINT};
use crate::transport::{connect_endpoint, send_json, Context, Request};

/// The mailbox a call works on: the address XOAUTH2 names.
pub(super) async fn address(call: &Call) -> Result<String> {
    if let Some(email) = call.args.opt_str("email").map(str::trim).filter(|e| !e.is_empty()) {
        return Ok(email.to_string());
    }
    let subject_email = call
        .args
        .value("credentials")
        .and_then(|c| c.get("subject"))
        .and_then(|s| s.get("user_email"))
        .and_then(Value::as_str)
        .filter(|e| !e.trim().is_empty());
    if let Some(email) = subject_email {
        return Ok(email.trim().to_string());
    }
    // The token's user: login.yandex.ru answers default_email for tokens with login:email.
    let request = Request::get(&LOGIN, call.ctx.url(&LOGIN_ENDPOINT, "/info")?)
        .query("format", "json")
        .authorized();
    let info = send_json(&call.ctx, &request).await?;
    match info.get("default_email").and_then(Value::as_str).filter(|e| !e.is_empty()) {
        Some(email) => Ok(email.to_string()),
        None => Err(Error::invalid_params(
            "give `email`: the mailbox's address could not be told from the token (login.yandex.ru names it only for tokens with login:email)",
        )),
    }
}

/// An authenticated IMAP session of `email`'s mailbox.
pub(super) async fn open(ctx: &Context, email: &str) -> Result<imap::Session> {
    let mut session = connect_imap(ctx).await?;
    let provider = ctx
        .auth
        .clone()
        .ok_or_else(|| Error::invalid_params("give `token` or `credentials`"))?;
    let mut renewed = false;
    loop {
        let token = provider.token(ctx).await?;
        match session.authenticate(&imap::xoauth2(email, &token)).await {
            Ok(()) => return Ok(session),
            Err(LoginError::Other(error)) => return Err(error.with_service(SERVICE)),
            Err(LoginError::Refused(text)) => {
                if !renewed && provider.refresh_after_unauthorized(ctx).await? {
                    renewed = true;
                    ctx.log(
                        Level::Info,
                        "imap",
                        "the IMAP server refused the token: renewed it, logging in again",
                    );
                    continue;
                }
                let message = format!("IMAP login of {email} at {} refused: {text}", session.peer());
                return Err(Error::new(ErrorCode::Unauthorized, message).with_service(SERVICE));
            }
        }
    }
}

async fn connect_imap(ctx: &Context) -> Result<imap::Session> {
    let (stream, peer) = connect_endpoint(ctx, &IMAP_ENDPOINT, 993)
        .await
        .map_err(|e| e.with_service(SERVICE))?;
    let read_timeout = Duration::from_secs_f64(ctx.config.timeouts.read_s);
    imap::Session::start(stream, read_timeout, peer)
        .await
        .map_err(|e| e.with_service(SERVICE))
}
