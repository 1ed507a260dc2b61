//! Google's code, refresh, device-flow and revoke methods.

use std::time::Duration;

use serde_json::{json, Value};

use super::profile::{ACCOUNTS_ENDPOINT, OAUTH, OAUTH_ENDPOINT, REFRESH};
use crate::error::{Error, ErrorCode, Result};
use crate::oauth::{self, pkce_pair, remember_tokens, with_hint};
use crate::schema::{Args, Call};
use crate::transport::{send_json, Context, Request};

/// OPI's scopes, one per flag, in OPI's order.
const CALENDAR_SCOPE: &str = "https://www.googleapis.com/auth/calendar";
const DRIVE_SCOPE: &str = "https://www.googleapis.com/auth/drive";
const SHEETS_SCOPE: &str = "https://www.googleapis.com/auth/spreadsheets";

fn token_request(ctx: &Context, form: Vec<(&str, String)>) -> Result<Request> {
    Ok(Request::post(&OAUTH, ctx.url(&OAUTH_ENDPOINT, "/token")?).form(form))
}

/// Scopes from a string (space-separated) or an array; short Drive-style names (`drive.file`)
/// get Google's `https://www.googleapis.com/auth/` prefix, the OpenID names stay as they are.
fn scope_list(value: Option<&Value>) -> Vec<String> {
    let names: Vec<String> = match value {
        Some(Value::String(text)) => text.split_whitespace().map(String::from).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .flat_map(str::split_whitespace)
            .map(String::from)
            .collect(),
        _ => Vec::new(),
    };
    names
        .into_iter()
        .map(|name| {
            if name.contains("://") || matches!(name.as_str(), "openid" | "email" | "profile") {
                name
            } else {
                format!("https://www.googleapis.com/auth/{name}")
            }
        })
        .collect()
}

pub(super) fn required_scopes(args: &Args, key: &str) -> Result<String> {
    let scopes = scope_list(args.value(key));
    if scopes.is_empty() {
        return Err(Error::invalid_params(format!("`{key}` names no scope")));
    }
    Ok(scopes.join(" "))
}

/// Percent-encodes a query value the way OPI's links read: everything but unreserved
/// characters and `:` `/` (so `http://localhost` and scope URLs stay legible), space as `%20`.
fn opi_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' | b'/' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

pub(super) async fn form_code_retrieval_link(call: Call) -> Result<Value> {
    let args = &call.args;
    let scopes: Vec<&str> = [
        (args.bool("calendar"), CALENDAR_SCOPE),
        (args.bool("drive"), DRIVE_SCOPE),
        (args.bool("sheets"), SHEETS_SCOPE),
    ]
    .into_iter()
    .filter_map(|(wanted, scope)| wanted.then_some(scope))
    .collect();
    if scopes.is_empty() {
        return Err(Error::invalid_params(
            "at least one of `calendar`, `drive` and `sheets` must be true",
        ));
    }
    let redirect_uri = args.opt_str("redirect_uri").unwrap_or("http://localhost");
    // Built by hand, not with a URL serializer: with the defaults the link must be OPI's,
    // character for character (parameter order, `%20` between scopes, `:` and `/` unencoded).
    let mut url = format!(
        "{}/o/oauth2/auth?response_type=code&client_id={}&redirect_uri={}&access_type=offline&scope={}",
        call.ctx.endpoint(&ACCOUNTS_ENDPOINT),
        opi_encode(args.str("client_id")?),
        opi_encode(redirect_uri),
        opi_encode(&scopes.join(" ")),
    );
    let mut result = json!({"redirect_uri": redirect_uri});
    if let Some(state) = args.opt_str("state") {
        url.push_str(&format!("&state={}", opi_encode(state)));
        result["state"] = json!(state);
    }
    if args.bool("pkce") {
        let (verifier, challenge) = pkce_pair();
        url.push_str(&format!("&code_challenge={challenge}&code_challenge_method=S256"));
        result["code_verifier"] = json!(verifier);
    }
    result["url"] = json!(url);
    Ok(result)
}

const CODE_HINT: &str = "the code was refused: it is wrong, already used, expired (Google's codes live minutes), or its redirect_uri or code_verifier differs from the link's; sign in again (StartLoopbackAuthorization exchanges the code at once)";

/// The application's OAuth client, as a code exchange needs it.
pub(super) struct Client {
    pub id: String,
    pub secret: String,
}

impl Client {
    pub(super) fn of(args: &Args) -> Result<Client> {
        Ok(Client {
            id: args.str("client_id")?.to_string(),
            secret: args.str("client_secret")?.to_string(),
        })
    }
}

/// Exchanges an authorization code (RFC 6749 §4.1.3), with its PKCE verifier when it has one.
pub(super) async fn exchange_code(
    ctx: &Context,
    client: &Client,
    code: &str,
    redirect_uri: &str,
    code_verifier: Option<&str>,
) -> Result<Value> {
    let mut form = vec![
        ("grant_type", "authorization_code".to_string()),
        ("code", code.to_string()),
        ("client_id", client.id.clone()),
        ("client_secret", client.secret.clone()),
        ("redirect_uri", redirect_uri.to_string()),
    ];
    if let Some(verifier) = code_verifier {
        form.push(("code_verifier", verifier.to_string()));
    }
    // Not idempotent: a code is good once, so an exchange that may have arrived is not repeated.
    let tokens = send_json(ctx, &token_request(ctx, form)?)
        .await
        .map_err(|error| with_hint(error, ErrorCode::InvalidGrant, CODE_HINT))?;
    remember_tokens(ctx, &tokens);
    Ok(tokens)
}

pub(super) async fn get_token_by_code(call: Call) -> Result<Value> {
    let args = &call.args;
    exchange_code(
        &call.ctx,
        &Client::of(args)?,
        args.str("code")?,
        args.opt_str("redirect_uri").unwrap_or("http://localhost"),
        args.opt_str("code_verifier"),
    )
    .await
}

pub(super) async fn refresh_token(call: Call) -> Result<Value> {
    let args = &call.args;
    let (id, secret) = (args.str("client_id")?, args.str("client_secret")?);
    oauth::refresh_answer(&call.ctx, &REFRESH, id, secret, args.str("refresh_token")?).await
}

pub(super) async fn get_device_code(call: Call) -> Result<Value> {
    let form = vec![
        ("client_id", call.args.str("client_id")?.to_string()),
        ("scope", required_scopes(&call.args, "scope")?),
    ];
    let request = Request::post(&OAUTH, call.ctx.url(&OAUTH_ENDPOINT, "/device/code")?)
        .form(form)
        // Asking for another code is harmless, so a lost answer may be asked for again.
        .idempotent(true);
    send_json(&call.ctx, &request).await.map_err(|error| {
        with_hint(
            error,
            ErrorCode::BadRequest,
            "the device flow allows only openid, email, profile, drive.file and drive.appdata (not full drive) and a client of type \"TVs and Limited Input devices\"",
        )
    })
}

async fn poll_device_token(call: &Call) -> Result<Value> {
    let args = &call.args;
    let form = vec![
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code".to_string()),
        ("device_code", args.str("device_code")?.to_string()),
        ("client_id", args.str("client_id")?.to_string()),
        ("client_secret", args.str("client_secret")?.to_string()),
    ];
    let tokens = send_json(&call.ctx, &token_request(&call.ctx, form)?)
        .await
        .map_err(|error| {
            let error = with_hint(
                error,
                ErrorCode::Expired,
                "the device code has expired: call GetDeviceCode again",
            );
            with_hint(error, ErrorCode::AccessDenied, "the person declined the request")
        })?;
    remember_tokens(&call.ctx, &tokens);
    Ok(tokens)
}

pub(super) async fn wait_for_device_token(call: Call) -> Result<Value> {
    let interval = Duration::from_secs(call.args.opt_u64("interval").unwrap_or(5).max(1));
    let timeout = Duration::from_secs(call.args.opt_u64("timeout_s").unwrap_or(1800));
    oauth::wait_for_approval(&call.ctx, interval, timeout, "WaitForDeviceToken", || {
        poll_device_token(&call)
    })
    .await
}

pub(super) async fn revoke_token(call: Call) -> Result<Value> {
    let request = Request::post(&OAUTH, call.ctx.url(&OAUTH_ENDPOINT, "/revoke")?)
        .form(vec![("token", call.args.str("token")?.to_string())]);
    send_json(&call.ctx, &request).await.map_err(|error| {
        with_hint(
            error,
            ErrorCode::BadRequest,
            "the token is unknown, expired or already revoked",
        )
    })
}
