//! The sign-in methods of Yandex ID.

use std::time::Duration;

use serde_json::{json, Value};

use super::profile::{LOGIN, LOGIN_ENDPOINT, OAUTH, OAUTH_ENDPOINT, REFRESH};
use crate::error::{Error, ErrorCode, Result};
use crate::oauth::{self, pkce_pair, random_urlsafe, remember_tokens, with_hint};
use crate::schema::Call;
use crate::transport::{send_json, Context, Request};

pub(super) fn oauth_request(ctx: &Context, path: &str) -> Result<Request> {
    Ok(Request::post(&OAUTH, ctx.url(&OAUTH_ENDPOINT, path)?))
}

/// `POST /token` with the client credentials in the body, as OPI sends them.
async fn token_request(call: &Call, grant: Vec<(&str, String)>) -> Result<Value> {
    let args = &call.args;
    let mut form = grant;
    form.push(("client_id", args.str("client_id")?.to_string()));
    form.push(("client_secret", args.str("client_secret")?.to_string()));
    send_json(&call.ctx, &oauth_request(&call.ctx, "/token")?.form(form)).await
}

fn scope_text(call: &Call) -> Option<String> {
    match call.args.value("scope")? {
        Value::String(scope) => Some(scope.clone()),
        Value::Array(items) => Some(items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" ")),
        _ => None,
    }
}

fn device_fields(call: &Call) -> Result<Vec<(&'static str, String)>> {
    let mut fields = Vec::new();
    if let Some(device_id) = call.args.opt_str("device_id") {
        if !(6..=50).contains(&device_id.len()) || !device_id.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(Error::invalid_params(
                "`device_id` must be 6 to 50 printable ASCII characters",
            ));
        }
        fields.push(("device_id", device_id.to_string()));
        if let Some(name) = call.args.opt_str("device_name") {
            fields.push(("device_name", name.chars().take(100).collect()));
        }
    }
    Ok(fields)
}

pub(super) async fn get_confirmation_code(call: Call) -> Result<Value> {
    let mut form = vec![("client_id", call.args.str("client_id")?.to_string())];
    form.extend(device_fields(&call)?);
    if let Some(scope) = scope_text(&call) {
        form.push(("scope", scope));
    }
    // Asking for another code twice is harmless, so a lost answer may be asked for again.
    let request = oauth_request(&call.ctx, "/device/code")?.form(form).idempotent(true);
    send_json(&call.ctx, &request).await
}

pub(super) async fn convert_code_to_token(call: Call) -> Result<Value> {
    exchange_device_code(&call).await
}

async fn exchange_device_code(call: &Call) -> Result<Value> {
    let grant = vec![
        ("grant_type", "device_code".to_string()),
        ("code", call.args.str("device_code")?.to_string()),
    ];
    token_request(call, grant).await.map_err(|error| {
        // Yandex says `invalid_grant` for a device code that has expired (or never existed).
        let error = if error.code == ErrorCode::InvalidGrant {
            Error {
                code: ErrorCode::Expired,
                ..error
            }
        } else {
            error
        };
        let error = with_hint(
            error,
            ErrorCode::Expired,
            "the device code has expired or is unknown: call GetConfirmationCode again",
        );
        with_hint(
            error,
            ErrorCode::AuthorizationPending,
            "the person has not entered the code yet: call again after `interval` seconds, or use WaitForToken",
        )
    })
}

pub(super) async fn wait_for_token(call: Call) -> Result<Value> {
    let interval = Duration::from_secs(call.args.opt_u64("interval").unwrap_or(5).max(1));
    let timeout = Duration::from_secs(call.args.opt_u64("timeout_s").unwrap_or(600));
    oauth::wait_for_approval(&call.ctx, interval, timeout, "WaitForToken", || {
        exchange_device_code(&call)
    })
    .await
}

pub(super) async fn refresh_token(call: Call) -> Result<Value> {
    let args = &call.args;
    let (id, secret) = (args.str("client_id")?, args.str("client_secret")?);
    oauth::refresh_answer(&call.ctx, &REFRESH, id, secret, args.str("refresh_token")?).await
}

pub(super) async fn form_authorization_link(call: Call) -> Result<Value> {
    let args = &call.args;
    let response_type = args.opt_str("response_type").unwrap_or("code");
    if response_type != "code" && response_type != "token" {
        return Err(Error::invalid_params("`response_type` must be \"code\" or \"token\""));
    }
    let state = args
        .opt_str("state")
        .map(String::from)
        .unwrap_or_else(|| random_urlsafe(16));
    if state.chars().count() > 1024 {
        return Err(Error::invalid_params("`state` is longer than 1024 characters"));
    }
    let mut url = call.ctx.url(&OAUTH_ENDPOINT, "/authorize")?;
    let mut result = json!({"state": state});
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("response_type", response_type);
        query.append_pair("client_id", args.str("client_id")?);
        for (key, value) in device_fields(&call)? {
            query.append_pair(key, &value);
        }
        let optional = [
            ("redirect_uri", args.opt_str("redirect_uri")),
            ("login_hint", args.opt_str("login_hint")),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                query.append_pair(key, value);
            }
        }
        if let Some(scope) = scope_text(&call) {
            query.append_pair("scope", &scope);
        }
        if args.bool("force_confirm") {
            query.append_pair("force_confirm", "yes");
        }
        query.append_pair("state", &state);
        if response_type == "code" && args.bool("pkce") {
            let (verifier, challenge) = pkce_pair();
            query.append_pair("code_challenge", &challenge);
            query.append_pair("code_challenge_method", "S256");
            result["code_verifier"] = json!(verifier);
        }
    }
    result["url"] = json!(url.as_str());
    Ok(result)
}

pub(super) async fn get_token_by_code(call: Call) -> Result<Value> {
    let mut grant = vec![
        ("grant_type", "authorization_code".to_string()),
        ("code", call.args.str("code")?.to_string()),
    ];
    if let Some(verifier) = call.args.opt_str("code_verifier") {
        grant.push(("code_verifier", verifier.to_string()));
    }
    grant.extend(device_fields(&call)?);
    let tokens = token_request(&call, grant).await.map_err(|error| {
        with_hint(
            error,
            ErrorCode::InvalidGrant,
            "the code was refused: it is wrong, already used, expired (codes live 10 minutes) or its code_verifier does not match; sign in again",
        )
    })?;
    remember_tokens(&call.ctx, &tokens);
    Ok(tokens)
}

pub(super) async fn revoke_token(call: Call) -> Result<Value> {
    let args = &call.args;
    let form = vec![
        ("access_token", args.str("access_token")?.to_string()),
        ("client_id", args.str("client_id")?.to_string()),
        ("client_secret", args.str("client_secret")?.to_string()),
    ];
    // Revoking twice answers `ok` both times, so a lost answer may be asked for again.
    let request = oauth_request(&call.ctx, "/revoke_token")?.form(form).idempotent(true);
    send_json(&call.ctx, &request).await
}

pub(super) async fn get_user_info(call: Call) -> Result<Value> {
    let request = Request::get(&LOGIN, call.ctx.url(&LOGIN_ENDPOINT, "/info")?)
        .query("format", "json")
        .authorized();
    send_json(&call.ctx, &request).await
}
