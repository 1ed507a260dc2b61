//! Yandex OAuth (`oauth.yandex.ru`) and `login.yandex.ru/info`, per docs/protocols.md §1: the
//! device flow with its verification page, the authorization-code and implicit flows with PKCE,
//! refresh that rotates the refresh token, revoke for device-bound tokens, and Yandex's errors.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::accounts::{self, YandexClient, YANDEX_VERIFICATION_CODE_URI};
use crate::state::{lock, AppState, Shared};
use crate::util::{
    base_url, basic_auth, bearer_token, encode, field, html_escape, html_page, json_response, parse_form, random_from,
    random_hex, random_token, redirect,
};

/// Lifetime of an authorization code (YID-DOCS: 10 minutes).
const AUTH_CODE_TTL_S: i64 = 600;

#[derive(Default, Serialize, Deserialize)]
pub struct State {
    device_codes: HashMap<String, DeviceCode>,
    auth_codes: HashMap<String, AuthCode>,
    access_tokens: HashMap<String, AccessToken>,
    refresh_tokens: HashMap<String, RefreshToken>,
}

#[derive(Clone, Serialize, Deserialize)]
struct DeviceCode {
    user_code: String,
    client_id: String,
    device_id: Option<String>,
    scopes: Vec<String>,
    expires_at: i64,
    approved_uid: Option<String>,
}

#[derive(Clone, Serialize, Deserialize)]
struct AuthCode {
    client_id: String,
    uid: String,
    scopes: Vec<String>,
    device_id: Option<String>,
    code_challenge: Option<(String, String)>,
    expires_at: i64,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct AccessToken {
    pub uid: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub expires_at: i64,
    device_id: Option<String>,
    revoked: bool,
}

#[derive(Clone, Serialize, Deserialize)]
struct RefreshToken {
    uid: String,
    client_id: String,
    scopes: Vec<String>,
    device_id: Option<String>,
    access_token: String,
    expires_at: i64,
}

/// Whom a valid access token acts for.
#[derive(Clone, Debug)]
pub struct TokenOwner {
    pub uid: String,
    pub client_id: String,
    pub scopes: Vec<String>,
}

/// The owner of the `Authorization: OAuth <token>` of a request (the documented scheme; `Bearer`
/// is accepted too, as docs/protocols.md §5.3 allows), or None when the token is missing,
/// unknown, expired or revoked.
pub fn token_owner(state: &Shared, headers: &HeaderMap) -> Option<TokenOwner> {
    owner_of_token(state, bearer_token(headers, &["OAuth", "Bearer"])?)
}

/// The owner of a valid access token given by itself (IMAP and SMTP XOAUTH2, CalDAV Basic).
pub fn owner_of_token(state: &Shared, token: &str) -> Option<TokenOwner> {
    let now = state.clock.now();
    let yandex = lock(&state.yandex);
    let entry = yandex.access_tokens.get(token)?;
    (!entry.revoked && entry.expires_at > now).then(|| TokenOwner {
        uid: entry.uid.clone(),
        client_id: entry.client_id.clone(),
        scopes: entry.scopes.clone(),
    })
}

/// Issues a token for `uid` outside the OAuth flows: Yandex 360 token exchange issues one-hour
/// tokens without a refresh token through this.
pub fn issue_access_token(state: &Shared, uid: &str, client_id: &str, scopes: &[String], ttl_s: i64) -> String {
    let token = new_access_token();
    state.secrets.record(&token);
    let expires_at = state.clock.now() + ttl_s;
    lock(&state.yandex).access_tokens.insert(
        token.clone(),
        AccessToken {
            uid: uid.into(),
            client_id: client_id.into(),
            scopes: scopes.to_vec(),
            expires_at,
            device_id: None,
            revoked: false,
        },
    );
    token
}

pub fn oauth_router() -> Router<AppState> {
    Router::new()
        .route("/device/code", post(device_code))
        .route("/device", get(device_page).post(device_approve))
        .route("/authorize", get(authorize))
        .route("/verification_code", get(verification_code_page))
        .route("/token", post(token))
        .route("/revoke_token", post(revoke_token))
}

pub fn login_router() -> Router<AppState> {
    Router::new().route("/info", get(info))
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(
        status,
        "application/json",
        &json!({"error": error, "error_description": description}),
    )
}

fn ok_json(body: Value) -> Response {
    json_response(StatusCode::OK, "application/json", &body)
}

fn new_access_token() -> String {
    format!("y0_{}", random_token(42))
}

fn new_refresh_token() -> String {
    format!("1:{}:{}:{}", random_token(12), random_token(48), random_token(16))
}

/// A refused client: the status, `error` and `error_description` of the answer.
struct ClientRefused(StatusCode, &'static str, &'static str);

impl IntoResponse for ClientRefused {
    fn into_response(self) -> Response {
        oauth_error(self.0, self.1, self.2)
    }
}

/// Client authentication: `Authorization: Basic` (then body credentials are ignored, and a bad
/// client is 401) or `client_id` + `client_secret` in the body (a bad client is 400).
fn authenticate_client(headers: &HeaderMap, form: &[(String, String)]) -> Result<&'static YandexClient, ClientRefused> {
    let (id, secret, status) = match basic_auth(headers) {
        Some(Ok((id, secret))) => (id, secret, StatusCode::UNAUTHORIZED),
        Some(Err(problem)) => return Err(ClientRefused(StatusCode::BAD_REQUEST, "invalid_request", problem)),
        None => {
            let Some(id) = field(form, "client_id") else {
                return Err(ClientRefused(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "client_id not specified",
                ));
            };
            let secret = field(form, "client_secret").unwrap_or("");
            (id.to_string(), secret.to_string(), StatusCode::BAD_REQUEST)
        }
    };
    match accounts::yandex_client(&id) {
        None => Err(ClientRefused(status, "invalid_client", "Client not found")),
        Some(client) if client.secret != secret => Err(ClientRefused(status, "invalid_client", "Wrong client secret")),
        Some(client) => Ok(client),
    }
}

/// Requested scopes, which must be among the client's registered rights; all of them if none.
fn requested_scopes(client: &YandexClient, scope: Option<&str>) -> Result<Vec<String>, String> {
    let Some(scope) = scope else {
        return Ok(client.scopes.iter().map(|s| s.to_string()).collect());
    };
    let mut scopes = Vec::new();
    for item in scope.split_whitespace() {
        if !client.scopes.contains(&item) {
            return Err(format!("Invalid scope: {item}"));
        }
        scopes.push(item.to_string());
    }
    Ok(scopes)
}

fn valid_device_id(device_id: &str) -> bool {
    (6..=50).contains(&device_id.len()) && device_id.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// `POST /device/code`: a device code and the user code a person types at `verification_url`.
async fn device_code(AxumState(state): AxumState<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = parse_form(&body);
    let Some(client_id) = field(&form, "client_id") else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "client_id not specified");
    };
    let Some(client) = accounts::yandex_client(client_id) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_client", "Client not found");
    };
    let device_id = field(&form, "device_id").map(String::from);
    if device_id.as_deref().is_some_and(|d| !valid_device_id(d)) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "device_id must be 6 to 50 printable characters",
        );
    }
    let scopes = match requested_scopes(client, field(&form, "scope")) {
        Ok(scopes) => scopes,
        Err(problem) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", &problem),
    };
    let settings = state.settings();
    let device_code = random_hex(16);
    let user_code = random_from(b"abcdefghijklmnopqrstuvwxyz0123456789", 8);
    state.secrets.record(&device_code);
    lock(&state.yandex).device_codes.insert(
        device_code.clone(),
        DeviceCode {
            user_code: user_code.clone(),
            client_id: client.id.into(),
            device_id,
            scopes,
            expires_at: state.clock.now() + settings.yandex_device_expires_in_s as i64,
            approved_uid: None,
        },
    );
    ok_json(json!({
        "device_code": device_code,
        "expires_in": settings.yandex_device_expires_in_s,
        "interval": settings.yandex_device_interval_s,
        "user_code": user_code,
        "verification_url": format!("{}/yandex-oauth/device", base_url(&headers)),
    }))
}

/// `GET /device`: the page where a person types the code shown by the device.
async fn device_page() -> Response {
    html_page(
        StatusCode::OK,
        "Enter the code from your device",
        "<form method=\"post\"><input name=\"user_code\" autofocus>\
         <button type=\"submit\">Allow</button></form>",
    )
}

/// `POST /device` with `user_code` (and optionally `uid`, to act as another built-in user):
/// the person allows the device.
async fn device_approve(AxumState(state): AxumState<AppState>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let user_code = field(&form, "user_code").unwrap_or("").trim().to_ascii_lowercase();
    let uid = field(&form, "uid").unwrap_or(accounts::default_yandex_user().uid);
    if accounts::yandex_user(uid).is_none() {
        return html_page(StatusCode::BAD_REQUEST, "Unknown user", "<p>No such user.</p>");
    }
    let now = state.clock.now();
    let mut yandex = lock(&state.yandex);
    let pending = yandex
        .device_codes
        .values_mut()
        .find(|d| d.user_code == user_code && d.expires_at > now);
    match pending {
        Some(device) => {
            device.approved_uid = Some(uid.to_string());
            html_page(
                StatusCode::OK,
                "Access granted",
                "<p>You can return to your device.</p>",
            )
        }
        None => html_page(
            StatusCode::BAD_REQUEST,
            "Invalid code",
            "<p>The code is wrong or has expired. Request a new one on your device.</p>",
        ),
    }
}

/// `GET /authorize`: consents as the default user and redirects with a code (or, for
/// `response_type=token`, with `#access_token=`).
async fn authorize(AxumState(state): AxumState<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let query = parse_form(query.unwrap_or_default().as_bytes());
    let Some(client) = field(&query, "client_id").and_then(accounts::yandex_client) else {
        return html_page(
            StatusCode::BAD_REQUEST,
            "Unknown application",
            "<p>client_id is invalid.</p>",
        );
    };
    // A redirect_uri that is not registered is ignored and the first registered one is used.
    let requested = field(&query, "redirect_uri").unwrap_or("");
    let registered = client
        .redirect_uris
        .iter()
        .find(|uri| **uri == requested)
        .unwrap_or(&client.redirect_uris[0]);
    let redirect_uri = if *registered == YANDEX_VERIFICATION_CODE_URI {
        format!("{}/yandex-oauth/verification_code", base_url(&headers))
    } else {
        registered.to_string()
    };
    let response_type = field(&query, "response_type").unwrap_or("");
    let back = Redirect {
        separator: if response_type == "token" {
            "#"
        } else if redirect_uri.contains('?') {
            "&"
        } else {
            "?"
        },
        redirect_uri,
        state: field(&query, "state").map(|s| s.chars().take(1024).collect::<String>()),
    };
    let scopes = match requested_scopes(client, field(&query, "scope")) {
        Ok(scopes) => scopes,
        Err(problem) => return back.to(vec![("error", "invalid_scope".into()), ("error_description", problem)]),
    };
    let user = accounts::default_yandex_user();
    match response_type {
        "code" => match authorization_code(&state, &query, client.id, user.uid, scopes) {
            Ok(code) => back.to(vec![("code", code)]),
            Err(problem) => back.to(vec![
                ("error", "invalid_request".into()),
                ("error_description", problem.into()),
            ]),
        },
        "token" => {
            let ttl = state.settings().yandex_token_ttl_s as i64;
            let token = issue_access_token(&state, user.uid, client.id, &scopes, ttl);
            back.to(vec![
                ("access_token", token),
                ("expires_in", ttl.to_string()),
                ("token_type", "bearer".into()),
            ])
        }
        _ => back.to(vec![
            ("error", "unsupported_response_type".into()),
            ("error_description", "response_type must be code or token".into()),
        ]),
    }
}

/// Where the browser goes back to, with the request's `state`.
struct Redirect {
    redirect_uri: String,
    /// `#` for the implicit flow's fragment, else `?` or `&`.
    separator: &'static str,
    state: Option<String>,
}

impl Redirect {
    fn to(&self, mut params: Vec<(&str, String)>) -> Response {
        if let Some(s) = &self.state {
            params.push(("state", s.clone()));
        }
        let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
        redirect(&format!("{}{}{}", self.redirect_uri, self.separator, query.join("&")))
    }
}

/// A new 7-digit authorization code for `uid`, with the request's PKCE challenge and device;
/// Err with the description of a bad `code_challenge_method`.
fn authorization_code(
    state: &Shared,
    query: &[(String, String)],
    client_id: &str,
    uid: &str,
    scopes: Vec<String>,
) -> Result<String, &'static str> {
    let challenge = field(query, "code_challenge").map(|c| {
        let method = field(query, "code_challenge_method").unwrap_or("plain");
        (c.to_string(), method.to_string())
    });
    if challenge.as_ref().is_some_and(|(_, m)| m != "S256" && m != "plain") {
        return Err("code_challenge_method must be S256 or plain");
    }
    let now = state.clock.now();
    let mut yandex = lock(&state.yandex);
    let code = loop {
        let code = random_from(b"0123456789", 7);
        if !code.starts_with('0') && !yandex.auth_codes.contains_key(&code) {
            break code;
        }
    };
    state.secrets.record(&code);
    yandex.auth_codes.insert(
        code.clone(),
        AuthCode {
            client_id: client_id.into(),
            uid: uid.into(),
            scopes,
            device_id: field(query, "device_id").map(String::from),
            code_challenge: challenge,
            expires_at: now + AUTH_CODE_TTL_S,
        },
    );
    Ok(code)
}

/// The page a console app's user lands on: it shows the code to type into the program.
async fn verification_code_page(RawQuery(query): RawQuery) -> Response {
    let query = parse_form(query.unwrap_or_default().as_bytes());
    match field(&query, "code") {
        Some(code) => html_page(
            StatusCode::OK,
            "Confirmation code",
            &format!(
                "<p>Your confirmation code: <code id=\"code\">{}</code></p>",
                html_escape(code)
            ),
        ),
        None => html_page(
            StatusCode::OK,
            "Confirmation code",
            "<p>The token is in this page's address.</p>",
        ),
    }
}

/// `POST /token`: the device-code, authorization-code and refresh-token grants.
async fn token(AxumState(state): AxumState<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = parse_form(&body);
    let grant_type = match field(&form, "grant_type") {
        Some(grant) => grant.to_string(),
        None => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "grant_type not specified"),
    };
    let client = match authenticate_client(&headers, &form) {
        Ok(client) => client,
        Err(refused) => return refused.into_response(),
    };
    match grant_type.as_str() {
        "device_code" => device_code_grant(&state, client, &form),
        "authorization_code" => authorization_code_grant(&state, client, &form),
        "refresh_token" => refresh_token_grant(&state, client, &form),
        "urn:ietf:params:oauth:grant-type:token-exchange" => crate::yandex_360::token_exchange(&state, client, &form),
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Unsupported grant type",
        ),
    }
}

fn device_code_grant(state: &Shared, client: &YandexClient, form: &[(String, String)]) -> Response {
    let code = field(form, "code").unwrap_or("");
    if code.len() != 32 || !code.bytes().all(|b| b.is_ascii_hexdigit()) {
        return oauth_error(StatusCode::BAD_REQUEST, "bad_verification_code", "Invalid code format");
    }
    let now = state.clock.now();
    let mut yandex = lock(&state.yandex);
    let Some(device) = yandex.device_codes.get(code).cloned() else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Code has expired");
    };
    if device.expires_at <= now {
        yandex.device_codes.remove(code);
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Code has expired");
    }
    if device.client_id != client.id {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Code was issued to another application",
        );
    }
    let Some(uid) = device.approved_uid.clone() else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "authorization_pending",
            "User has not yet authorized your application",
        );
    };
    yandex.device_codes.remove(code);
    let device_id = device.device_id.or_else(|| field(form, "device_id").map(String::from));
    ok_json(issue_tokens(
        state,
        &mut yandex,
        &uid,
        client.id,
        device.scopes,
        device_id,
    ))
}

fn authorization_code_grant(state: &Shared, client: &YandexClient, form: &[(String, String)]) -> Response {
    let code = field(form, "code").unwrap_or("");
    if code.len() != 7 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return oauth_error(StatusCode::BAD_REQUEST, "bad_verification_code", "Invalid code format");
    }
    let now = state.clock.now();
    let mut yandex = lock(&state.yandex);
    // A code is good for one exchange, whatever its outcome.
    let Some(grant) = yandex.auth_codes.remove(code) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Code has expired");
    };
    if grant.expires_at <= now {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Code has expired");
    }
    if grant.client_id != client.id {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Code was issued to another application",
        );
    }
    if let Some((challenge, method)) = &grant.code_challenge {
        let Some(verifier) = field(form, "code_verifier") else {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Code verifier is required");
        };
        let computed = if method == "S256" {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
        } else {
            verifier.to_string()
        };
        if computed != *challenge {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Code verifier is invalid");
        }
    }
    let device_id = grant.device_id.or_else(|| field(form, "device_id").map(String::from));
    ok_json(issue_tokens(
        state,
        &mut yandex,
        &grant.uid,
        client.id,
        grant.scopes,
        device_id,
    ))
}

/// Rotates the refresh token (the old one stops working). The access token comes back unchanged
/// while more than half of its life is left, as the real service does.
fn refresh_token_grant(state: &Shared, client: &YandexClient, form: &[(String, String)]) -> Response {
    let Some(refresh) = field(form, "refresh_token") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "refresh_token not specified",
        );
    };
    let now = state.clock.now();
    let ttl = state.settings().yandex_token_ttl_s as i64;
    let mut yandex = lock(&state.yandex);
    let Some(old) = yandex.refresh_tokens.get(refresh).cloned() else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Invalid refresh token");
    };
    if old.client_id != client.id {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Token was issued to another application",
        );
    }
    if old.expires_at <= now {
        yandex.refresh_tokens.remove(refresh);
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Refresh token has expired");
    }
    yandex.refresh_tokens.remove(refresh);
    let kept = yandex
        .access_tokens
        .get(&old.access_token)
        .filter(|t| !t.revoked && t.expires_at - now > ttl / 2)
        .map(|t| (old.access_token.clone(), t.expires_at - now));
    let (access_token, expires_in) = match kept {
        Some(kept) => kept,
        None => {
            let token = new_access_token();
            state.secrets.record(&token);
            yandex.access_tokens.insert(
                token.clone(),
                AccessToken {
                    uid: old.uid.clone(),
                    client_id: old.client_id.clone(),
                    scopes: old.scopes.clone(),
                    expires_at: now + ttl,
                    device_id: old.device_id.clone(),
                    revoked: false,
                },
            );
            (token, ttl)
        }
    };
    let refresh_token = new_refresh_token();
    state.secrets.record(&refresh_token);
    yandex.refresh_tokens.insert(
        refresh_token.clone(),
        RefreshToken {
            access_token: access_token.clone(),
            expires_at: now + ttl,
            ..old
        },
    );
    ok_json(json!({
        "access_token": access_token,
        "expires_in": expires_in,
        "refresh_token": refresh_token,
        "token_type": "bearer",
    }))
}

fn issue_tokens(
    state: &Shared,
    yandex: &mut State,
    uid: &str,
    client_id: &str,
    scopes: Vec<String>,
    device_id: Option<String>,
) -> Value {
    let now = state.clock.now();
    let ttl = state.settings().yandex_token_ttl_s as i64;
    let access_token = new_access_token();
    let refresh_token = new_refresh_token();
    state.secrets.record(&access_token);
    state.secrets.record(&refresh_token);
    yandex.access_tokens.insert(
        access_token.clone(),
        AccessToken {
            uid: uid.into(),
            client_id: client_id.into(),
            scopes: scopes.clone(),
            expires_at: now + ttl,
            device_id: device_id.clone(),
            revoked: false,
        },
    );
    yandex.refresh_tokens.insert(
        refresh_token.clone(),
        RefreshToken {
            uid: uid.into(),
            client_id: client_id.into(),
            scopes,
            device_id,
            access_token: access_token.clone(),
            expires_at: now + ttl,
        },
    );
    json!({
        "access_token": access_token,
        "expires_in": ttl,
        "refresh_token": refresh_token,
        "token_type": "bearer",
    })
}

/// `POST /revoke_token`: only device-bound tokens can be revoked; an unknown token is `ok`.
async fn revoke_token(AxumState(state): AxumState<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = parse_form(&body);
    let client = match authenticate_client(&headers, &form) {
        Ok(client) => client,
        Err(refused) => return refused.into_response(),
    };
    let Some(token) = field(&form, "access_token") else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "access_token not specified");
    };
    let mut yandex = lock(&state.yandex);
    let Some(entry) = yandex.access_tokens.get_mut(token) else {
        return ok_json(json!({"status": "ok"}));
    };
    if entry.client_id != client.id {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Token was issued to another application",
        );
    }
    if entry.device_id.is_none() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_token_type",
            "Only tokens issued for a device (device_id) can be revoked",
        );
    }
    entry.revoked = true;
    yandex.refresh_tokens.retain(|_, r| r.access_token != token);
    ok_json(json!({"status": "ok"}))
}

/// `GET login.yandex.ru/info`: who the token belongs to; e-mail fields need `login:email`.
async fn info(AxumState(state): AxumState<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let query = parse_form(query.unwrap_or_default().as_bytes());
    if field(&query, "format").is_some_and(|f| f != "json") {
        return (StatusCode::BAD_REQUEST, "only format=json is emulated").into_response();
    }
    let Some(owner) = token_owner(&state, &headers) else {
        // [unverified] the body of login.yandex.ru's 401; the status is what clients rely on.
        return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    };
    let Some(user) = accounts::yandex_user(&owner.uid) else {
        return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    };
    let mut body = json!({
        "id": user.uid,
        "login": user.login,
        "client_id": owner.client_id,
        "psuid": format!("1.{}", &random_hex(20)),
        "display_name": user.display_name,
        "real_name": user.display_name,
        "first_name": user.first_name,
        "last_name": user.last_name,
    });
    if owner.scopes.iter().any(|s| s == "login:email") {
        body["default_email"] = json!(user.email);
        body["emails"] = json!([user.email]);
    }
    Json(body).into_response()
}
