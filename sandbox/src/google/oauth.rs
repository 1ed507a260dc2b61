//! Google OAuth 2.0 (docs/protocols.md §3): the consent page of the installed-app flow with PKCE
//! and loopback redirects, the device flow and its verification page, the token endpoint with the
//! authorization-code, refresh-token, device-code and JWT-bearer (service account) grants,
//! revoke, tokeninfo and userinfo, and the bearer-token check the Drive API uses.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{
    is_service_account, json_response, key, person, ApiError, DEFAULT_USER_EMAIL, SERVICE_ACCOUNT_EMAIL,
    SERVICE_ACCOUNT_KEY_ID, WORKSPACE_DOMAIN,
};
use crate::accounts::{GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET};
use crate::state::{AppState, Shared};
use crate::util::{
    base_url, basic_auth, bearer_token, encode, field, html_escape, html_page, parse_form, random_from, random_token,
    redirect,
};

/// Lifetime of an authorization code. [unverified] Google documents none; ten minutes is common.
const AUTH_CODE_TTL_S: i64 = 600;
/// Clock skew tolerated on JWT `iat`/`exp`. [unverified] OPI's assertions (iat an hour in the
/// past, exp = now) are accepted by Google, so some leeway exists.
const JWT_SKEW_S: i64 = 300;
const GRANT_DEVICE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// YUP's legacy device grant; Google still answers it, so clients using it work here too.
const GRANT_DEVICE_LEGACY: &str = "http://oauth.net/grant_type/device/1.0";
const GRANT_JWT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const SCOPE_PREFIX: &str = "https://www.googleapis.com/auth/";
/// Scopes the device flow allows (docs/protocols.md §3.2): no full `drive`.
const DEVICE_SCOPES: &[&str] = &[
    "openid",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
    "https://www.googleapis.com/auth/drive.appdata",
    "https://www.googleapis.com/auth/drive.file",
    "https://www.googleapis.com/auth/youtube",
    "https://www.googleapis.com/auth/youtube.readonly",
];

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct OAuthState {
    codes: HashMap<String, AuthCode>,
    devices: HashMap<String, DeviceGrant>,
    /// Consents that came with a refresh token, keyed by it.
    grants: HashMap<String, Grant>,
    tokens: HashMap<String, AccessToken>,
}

#[derive(Serialize, Deserialize)]
struct AuthCode {
    client_id: String,
    redirect_uri: String,
    email: String,
    scopes: Vec<String>,
    /// (challenge, method)
    challenge: Option<(String, String)>,
    with_refresh_token: bool,
    expires_at: i64,
}

#[derive(Serialize, Deserialize)]
struct DeviceGrant {
    user_code: String,
    client_id: String,
    scopes: Vec<String>,
    expires_at: i64,
    interval: i64,
    last_poll: Option<i64>,
    decision: Option<Decision>,
}

#[derive(Clone, Copy, PartialEq, Serialize, Deserialize)]
enum Decision {
    Allowed,
    Denied,
}

#[derive(Serialize, Deserialize)]
struct Grant {
    email: String,
    client_id: String,
    scopes: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct AccessToken {
    email: String,
    client_id: String,
    scopes: Vec<String>,
    expires_at: i64,
    /// The refresh token of the consent it came from; revoking either revokes both.
    grant: Option<String>,
}

/// Who a Drive request acts for.
#[derive(Clone)]
pub(crate) struct Caller {
    pub email: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    /// The request says `supportsAllDrives=true`: shared-drive items exist for it.
    pub all_drives: bool,
}

impl Caller {
    pub fn has_scope(&self, short: &str) -> bool {
        self.scopes.iter().any(|s| s.strip_prefix(SCOPE_PREFIX) == Some(short))
    }
}

/// The caller of a Drive request from `Authorization: Bearer`, or Google's 401.
pub(crate) fn authenticate(state: &Shared, headers: &HeaderMap) -> Result<Caller, ApiError> {
    if !headers.contains_key(axum::http::header::AUTHORIZATION) {
        let mut error = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "required",
            "Request is missing required authentication credential. Expected OAuth 2 access token, \
             login cookie or other valid authentication credential. See \
             https://developers.google.com/identity/sign-in/web/devconsole-project.",
        )
        .at("Authorization", "header");
        error.detail = Some("Login Required.");
        error.canonical = Some("UNAUTHENTICATED");
        return Err(error);
    }
    let now = state.clock.now();
    let data = state.google.data();
    let found = bearer_token(headers, &["Bearer"])
        .and_then(|token| data.oauth.tokens.get(token))
        .filter(|token| token.expires_at > now);
    match found {
        Some(token) => Ok(Caller {
            email: token.email.clone(),
            client_id: token.client_id.clone(),
            scopes: token.scopes.clone(),
            all_drives: false,
        }),
        None => {
            let mut error = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "authError",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, \
                 login cookie or other valid authentication credential. See \
                 https://developers.google.com/identity/sign-in/web/devconsole-project.",
            )
            .at("Authorization", "header");
            error.detail = Some("Invalid Credentials");
            error.canonical = Some("UNAUTHENTICATED");
            Err(error)
        }
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(status, &json!({"error": error, "error_description": description}))
}

fn bad_request(error: &str, description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, error, description)
}

/// An OAuth error answer, small enough to travel in a `Result`.
struct Refusal {
    status: StatusCode,
    error: &'static str,
    description: String,
}

fn refuse(status: StatusCode, error: &'static str, description: impl Into<String>) -> Refusal {
    Refusal {
        status,
        error,
        description: description.into(),
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        oauth_error(self.status, self.error, &self.description)
    }
}

/// The page Google shows instead of redirecting when the request itself is wrong.
fn error_page(status: StatusCode, error: &str, description: &str) -> Response {
    html_page(
        status,
        "Access blocked: Authorization Error",
        &format!(
            "<p>{}</p><p>Error {}: <code id=\"error\">{}</code></p>",
            html_escape(description),
            status.as_u16(),
            html_escape(error)
        ),
    )
}

/// `email` and `profile` are granted as their full names, the way Google reports them.
fn canonical_scope(scope: &str) -> String {
    match scope {
        "email" => format!("{SCOPE_PREFIX}userinfo.email"),
        "profile" => format!("{SCOPE_PREFIX}userinfo.profile"),
        other => other.to_string(),
    }
}

/// Space-separated scopes, canonical and deduplicated; Err with the invalid ones.
fn parse_scopes(scope: &str) -> Result<Vec<String>, Vec<String>> {
    let mut scopes: Vec<String> = Vec::new();
    let mut invalid = Vec::new();
    for item in scope.split_whitespace() {
        let scope = canonical_scope(item);
        let known = scope == "openid"
            || scope.strip_prefix(SCOPE_PREFIX).is_some_and(|rest| !rest.is_empty())
            || scope == "https://mail.google.com/";
        if !known {
            invalid.push(item.to_string());
        } else if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if invalid.is_empty() {
        Ok(scopes)
    } else {
        Err(invalid)
    }
}

/// A loopback redirect URI of a desktop client (docs/protocols.md §3.1): plain http to
/// 127.0.0.1, [::1] or localhost, any port, any path.
fn is_loopback_redirect(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    url.scheme() == "http"
        && url.fragment().is_none()
        && matches!(url.host_str(), Some("127.0.0.1") | Some("[::1]") | Some("localhost"))
}

/// `GET /o/oauth2/v2/auth` (and the legacy `/o/oauth2/auth`): the default user consents at once
/// and is sent back to the redirect URI with `code` (or the implicit flow's `#access_token`).
/// A sandbox-only `sandbox_consent=deny` makes the user refuse (`error=access_denied`).
pub(crate) async fn authorize(AxumState(state): AxumState<AppState>, RawQuery(query): RawQuery) -> Response {
    let query = parse_form(query.unwrap_or_default().as_bytes());
    let consent = match Consent::of(&query) {
        Ok(consent) => consent,
        Err(page) => return *page,
    };
    let separator = if consent.response_type == "token" {
        "#"
    } else if consent.redirect_uri.contains('?') {
        "&"
    } else {
        "?"
    };
    let mut params: Vec<(&str, String)> = Vec::new();
    if let Some(s) = field(&query, "state") {
        params.push(("state", s.to_string()));
    }
    if field(&query, "sandbox_consent") == Some("deny") {
        params.push(("error", "access_denied".into()));
    } else if consent.response_type == "code" {
        let offline = field(&query, "access_type") == Some("offline");
        let forced = field(&query, "prompt").is_some_and(|p| p.split_whitespace().any(|p| p == "consent"));
        params.push(("code", consent.issue_code(&state, offline, forced)));
        params.push(("scope", consent.scopes.join(" ")));
    } else {
        let ttl = state.settings().google_token_ttl_s as i64;
        let token = issue_access_token(&state, DEFAULT_USER_EMAIL, &consent.client_id, &consent.scopes, None);
        params.push(("access_token", token));
        params.push(("token_type", "Bearer".into()));
        params.push(("expires_in", ttl.to_string()));
        params.push(("scope", consent.scopes.join(" ")));
    }
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    redirect(&format!("{}{separator}{}", consent.redirect_uri, query.join("&")))
}

/// A consent request that passed Google's checks.
struct Consent {
    client_id: String,
    redirect_uri: String,
    response_type: String,
    scopes: Vec<String>,
    /// (challenge, method)
    challenge: Option<(String, String)>,
}

impl Consent {
    /// The request's client, redirect URI, response type, scopes and PKCE challenge, or the
    /// error page Google shows instead of redirecting.
    fn of(query: &[(String, String)]) -> Result<Consent, Box<Response>> {
        let bad = |error: &str, description: &str| Box::new(error_page(StatusCode::BAD_REQUEST, error, description));
        let client_id =
            field(query, "client_id").ok_or_else(|| bad("invalid_request", "Missing required parameter: client_id"))?;
        if client_id != GOOGLE_CLIENT_ID {
            return Err(Box::new(error_page(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "The OAuth client was not found.",
            )));
        }
        let redirect_uri = field(query, "redirect_uri")
            .ok_or_else(|| bad("invalid_request", "Missing required parameter: redirect_uri"))?;
        if redirect_uri.starts_with("urn:ietf:wg:oauth:2.0:oob") || redirect_uri == "oob" {
            return Err(bad(
                "invalid_request",
                "The out-of-band (OOB) flow has been blocked in order to keep users secure.",
            ));
        }
        if !is_loopback_redirect(redirect_uri) {
            return Err(bad(
                "redirect_uri_mismatch",
                &format!("The redirect URI in the request, {redirect_uri}, does not match the ones authorized for the OAuth client."),
            ));
        }
        let response_type = field(query, "response_type").unwrap_or("");
        if response_type.is_empty() {
            return Err(bad("invalid_request", "Required parameter is missing: response_type"));
        }
        if response_type != "code" && response_type != "token" {
            return Err(bad(
                "unsupported_response_type",
                &format!("Invalid response_type: {response_type}"),
            ));
        }
        let scopes = match field(query, "scope").map(parse_scopes) {
            Some(Ok(scopes)) if !scopes.is_empty() => scopes,
            Some(Err(invalid)) => {
                let description = format!(
                    "Some requested scopes were invalid. {{invalid=[{}]}}",
                    invalid.join(", ")
                );
                return Err(bad("invalid_scope", &description));
            }
            _ => return Err(bad("invalid_request", "Missing required parameter: scope")),
        };
        let challenge = match (field(query, "code_challenge"), field(query, "code_challenge_method")) {
            (None, None) => None,
            (None, Some(_)) => return Err(bad("invalid_request", "Missing code_challenge.")),
            (Some(challenge), method) => match method.unwrap_or("plain") {
                method @ ("S256" | "plain") => Some((challenge.to_string(), method.to_string())),
                _ => return Err(bad("invalid_request", "Invalid code_challenge_method value.")),
            },
        };
        Ok(Consent {
            client_id: client_id.to_string(),
            redirect_uri: redirect_uri.to_string(),
            response_type: response_type.to_string(),
            scopes,
            challenge,
        })
    }

    /// A new authorization code of the default user. Without prompt=consent a returning user
    /// is not asked again and no new refresh token comes with the code (docs/protocols.md §3.1).
    fn issue_code(&self, state: &Shared, offline: bool, forced: bool) -> String {
        let code = format!("4/0{}", random_token(54));
        state.secrets.record(&code);
        let now = state.clock.now();
        let mut data = state.google.data();
        let consented_before = data
            .oauth
            .grants
            .values()
            .any(|g| g.email == DEFAULT_USER_EMAIL && g.client_id == self.client_id);
        data.oauth.codes.insert(
            code.clone(),
            AuthCode {
                client_id: self.client_id.clone(),
                redirect_uri: self.redirect_uri.clone(),
                email: DEFAULT_USER_EMAIL.to_string(),
                scopes: self.scopes.clone(),
                challenge: self.challenge.clone(),
                with_refresh_token: offline && (forced || !consented_before),
                expires_at: now + AUTH_CODE_TTL_S,
            },
        );
        code
    }
}

/// Client credentials from HTTP Basic or the form; Err is Google's answer.
fn authenticate_client(headers: &HeaderMap, form: &[(String, String)]) -> Result<String, Refusal> {
    let (id, secret) = match basic_auth(headers) {
        Some(Ok((id, secret))) => (id, Some(secret)),
        Some(Err(problem)) => return Err(refuse(StatusCode::BAD_REQUEST, "invalid_request", problem)),
        None => match field(form, "client_id") {
            Some(id) => (id.to_string(), field(form, "client_secret").map(String::from)),
            None => {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Could not determine client ID from request.",
                ))
            }
        },
    };
    if id != GOOGLE_CLIENT_ID {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The OAuth client was not found.",
        ));
    }
    match secret {
        None => Err(refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_secret is missing.",
        )),
        Some(secret) if secret != GOOGLE_CLIENT_SECRET => {
            Err(refuse(StatusCode::UNAUTHORIZED, "invalid_client", "Unauthorized"))
        }
        Some(_) => Ok(id),
    }
}

/// `POST /token`: every grant Google's token endpoint answers.
pub(crate) async fn token(AxumState(state): AxumState<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = parse_form(&body);
    let Some(grant_type) = field(&form, "grant_type") else {
        return bad_request("unsupported_grant_type", "Invalid grant_type: ");
    };
    if grant_type == GRANT_JWT {
        return jwt_bearer_grant(&state, &headers, &form);
    }
    let client_id = match authenticate_client(&headers, &form) {
        Ok(id) => id,
        Err(refusal) => return refusal.into_response(),
    };
    match grant_type {
        "authorization_code" => authorization_code_grant(&state, &client_id, &form),
        "refresh_token" => refresh_token_grant(&state, &client_id, &form),
        GRANT_DEVICE | GRANT_DEVICE_LEGACY => device_code_grant(&state, &client_id, &form),
        other => bad_request("unsupported_grant_type", &format!("Invalid grant_type: {other}")),
    }
}

fn authorization_code_grant(state: &Shared, client_id: &str, form: &[(String, String)]) -> Response {
    let Some(code) = field(form, "code") else {
        return bad_request("invalid_request", "Missing required parameter: code");
    };
    let Some(redirect_uri) = field(form, "redirect_uri") else {
        return bad_request("invalid_request", "Missing required parameter: redirect_uri");
    };
    let now = state.clock.now();
    let mut data = state.google.data();
    // A code is good for one exchange, whatever its outcome.
    let Some(grant) = data.oauth.codes.remove(code) else {
        return bad_request("invalid_grant", "Bad Request");
    };
    if grant.expires_at <= now || grant.client_id != client_id {
        return bad_request("invalid_grant", "Bad Request");
    }
    if grant.redirect_uri != redirect_uri {
        return bad_request("redirect_uri_mismatch", "Bad Request");
    }
    if let Some((challenge, method)) = &grant.challenge {
        let Some(verifier) = field(form, "code_verifier") else {
            return bad_request("invalid_grant", "Missing code verifier.");
        };
        let computed = if method == "S256" {
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
        } else {
            verifier.to_string()
        };
        if computed != *challenge {
            return bad_request("invalid_grant", "Invalid code verifier.");
        }
    }
    drop(data);
    json_response(
        StatusCode::OK,
        &issue_tokens(state, &grant.email, client_id, grant.scopes, grant.with_refresh_token),
    )
}

/// The access token (and optionally a refresh token) of a fresh consent.
fn issue_tokens(state: &Shared, email: &str, client_id: &str, scopes: Vec<String>, with_refresh: bool) -> Value {
    let refresh_token = with_refresh.then(|| {
        let refresh = format!("1//0{}", random_token(75));
        state.secrets.record(&refresh);
        state.google.data().oauth.grants.insert(
            refresh.clone(),
            Grant {
                email: email.to_string(),
                client_id: client_id.to_string(),
                scopes: scopes.clone(),
            },
        );
        refresh
    });
    let access_token = issue_access_token(state, email, client_id, &scopes, refresh_token.clone());
    let mut body = json!({
        "access_token": access_token,
        "expires_in": state.settings().google_token_ttl_s,
        "scope": scopes.join(" "),
        "token_type": "Bearer",
    });
    if let Some(refresh) = refresh_token {
        body["refresh_token"] = json!(refresh);
    }
    if scopes.iter().any(|s| s == "openid") {
        body["id_token"] = json!(id_token(state, email, client_id, &scopes));
    }
    body
}

fn issue_access_token(
    state: &Shared,
    email: &str,
    client_id: &str,
    scopes: &[String],
    grant: Option<String>,
) -> String {
    // Service-account tokens carry Google's `ya29.c.` prefix.
    let prefix = if is_service_account(email) {
        "ya29.c."
    } else {
        "ya29.a0"
    };
    let token = format!("{prefix}{}", random_token(120));
    state.secrets.record(&token);
    let expires_at = state.clock.now() + state.settings().google_token_ttl_s as i64;
    state.google.data().oauth.tokens.insert(
        token.clone(),
        AccessToken {
            email: email.to_string(),
            client_id: client_id.to_string(),
            scopes: scopes.to_vec(),
            expires_at,
            grant,
        },
    );
    token
}

/// An OpenID Connect ID token, signed RS256 with the sandbox's key.
fn id_token(state: &Shared, email: &str, client_id: &str, scopes: &[String]) -> String {
    let now = state.clock.now();
    let who = person(email);
    let mut claims = json!({
        "iss": "https://accounts.google.com",
        "azp": client_id,
        "aud": client_id,
        "sub": who.sub,
        "iat": now,
        "exp": now + 3600,
    });
    if scopes.iter().any(|s| s.ends_with("userinfo.email")) {
        claims["email"] = json!(who.email);
        claims["email_verified"] = json!(true);
    }
    if scopes.iter().any(|s| s.ends_with("userinfo.profile")) {
        claims["name"] = json!(who.display_name);
    }
    let header = json!({"alg": "RS256", "kid": SERVICE_ACCOUNT_KEY_ID, "typ": "JWT"});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = key::sign(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Refresh keeps the refresh token: the answer has none (docs/protocols.md §3.1).
fn refresh_token_grant(state: &Shared, client_id: &str, form: &[(String, String)]) -> Response {
    let Some(refresh) = field(form, "refresh_token") else {
        return bad_request("invalid_request", "Missing required parameter: refresh_token");
    };
    let (email, scopes) = {
        let data = state.google.data();
        match data.oauth.grants.get(refresh) {
            None => return bad_request("invalid_grant", "Token has been expired or revoked."),
            Some(grant) if grant.client_id != client_id => return bad_request("unauthorized_client", "Unauthorized"),
            Some(grant) => (grant.email.clone(), grant.scopes.clone()),
        }
    };
    let access_token = issue_access_token(state, &email, client_id, &scopes, Some(refresh.to_string()));
    let mut body = json!({
        "access_token": access_token,
        "expires_in": state.settings().google_token_ttl_s,
        "scope": scopes.join(" "),
        "token_type": "Bearer",
    });
    if scopes.iter().any(|s| s == "openid") {
        body["id_token"] = json!(id_token(state, &email, client_id, &scopes));
    }
    json_response(StatusCode::OK, &body)
}

/// `POST /device/code`: a device code and the user code a person types at `verification_url`.
pub(crate) async fn device_code(AxumState(state): AxumState<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = parse_form(&body);
    let client_id = match basic_auth(&headers) {
        Some(Ok((id, _))) => Some(id),
        _ => field(&form, "client_id").map(String::from),
    };
    let Some(client_id) = client_id else {
        return bad_request("invalid_request", "Could not determine client ID from request.");
    };
    if client_id != GOOGLE_CLIENT_ID {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The OAuth client was not found.",
        );
    }
    let Some(scope) = field(&form, "scope") else {
        return bad_request("invalid_request", "Missing required parameter: scope");
    };
    let scopes = match parse_scopes(scope) {
        Ok(scopes) => scopes,
        Err(invalid) => return bad_request("invalid_scope", &format!("Invalid scope: {}", invalid.join(" "))),
    };
    if let Some(refused) = scopes.iter().find(|s| !DEVICE_SCOPES.contains(&s.as_str())) {
        return bad_request("invalid_scope", &format!("Invalid device flow scope: {refused}"));
    }
    let settings = state.settings();
    let device_code = format!("AH-1Ng{}", random_token(60));
    let letters = b"BCDFGHJKLMNPQRSTVWXZ";
    let user_code = format!("{}-{}", random_from(letters, 4), random_from(letters, 4));
    state.secrets.record(&device_code);
    state.google.data().oauth.devices.insert(
        device_code.clone(),
        DeviceGrant {
            user_code: user_code.clone(),
            client_id,
            scopes,
            expires_at: state.clock.now() + settings.google_device_expires_in_s as i64,
            interval: settings.google_device_interval_s as i64,
            last_poll: None,
            decision: None,
        },
    );
    json_response(
        StatusCode::OK,
        &json!({
            "device_code": device_code,
            "user_code": user_code,
            "expires_in": settings.google_device_expires_in_s,
            "interval": settings.google_device_interval_s,
            "verification_url": format!("{}/google-accounts/device", base_url(&headers)),
        }),
    )
}

/// Polling. Statuses per Google's device-flow page: 428 pending, 403 slow_down and
/// access_denied, 400 expired_token ([unverified] in the reference; clients branch on `error`).
fn device_code_grant(state: &Shared, client_id: &str, form: &[(String, String)]) -> Response {
    let Some(code) = field(form, "device_code").or_else(|| field(form, "code")) else {
        return bad_request("invalid_request", "Missing required parameter: device_code");
    };
    let now = state.clock.now();
    let mut data = state.google.data();
    let Some(device) = data.oauth.devices.get_mut(code) else {
        return bad_request("invalid_grant", "Malformed auth code.");
    };
    if device.client_id != client_id {
        return bad_request("invalid_grant", "Bad Request");
    }
    if device.expires_at <= now {
        return bad_request("expired_token", "Bad Request");
    }
    let too_fast = device.last_poll.is_some_and(|last| now - last < device.interval);
    device.last_poll = Some(now);
    if too_fast {
        device.interval += 5;
        return oauth_error(StatusCode::FORBIDDEN, "slow_down", "Forbidden");
    }
    match device.decision {
        None => oauth_error(
            StatusCode::PRECONDITION_REQUIRED,
            "authorization_pending",
            "Precondition Required",
        ),
        Some(Decision::Denied) => oauth_error(StatusCode::FORBIDDEN, "access_denied", "Forbidden"),
        Some(Decision::Allowed) => {
            let scopes = device.scopes.clone();
            data.oauth.devices.remove(code);
            drop(data);
            json_response(
                StatusCode::OK,
                &issue_tokens(state, DEFAULT_USER_EMAIL, client_id, scopes, true),
            )
        }
    }
}

/// `GET /device`: the page where a person types the code shown by the device.
pub(crate) async fn device_page() -> Response {
    html_page(
        StatusCode::OK,
        "Connect a device",
        "<form method=\"post\"><label>Enter the code displayed on your device \
         <input name=\"user_code\" autofocus></label>\
         <button type=\"submit\" name=\"action\" value=\"allow\">Allow</button>\
         <button type=\"submit\" name=\"action\" value=\"deny\">Deny</button></form>",
    )
}

/// Form POST of `user_code` (and `action=deny` to refuse): the default user decides.
pub(crate) async fn device_decide(AxumState(state): AxumState<AppState>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let typed: String = field(&form, "user_code")
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let decision = if field(&form, "action") == Some("deny") {
        Decision::Denied
    } else {
        Decision::Allowed
    };
    let now = state.clock.now();
    let mut data = state.google.data();
    let device = data
        .oauth
        .devices
        .values_mut()
        .find(|d| d.user_code.replace('-', "") == typed && d.expires_at > now && d.decision.is_none());
    let Some(device) = device else {
        return html_page(
            StatusCode::BAD_REQUEST,
            "Invalid code",
            "<p>Check the code and try again.</p>",
        );
    };
    device.decision = Some(decision);
    match decision {
        Decision::Allowed => html_page(StatusCode::OK, "Success!", "<p>You can return to your device.</p>"),
        Decision::Denied => html_page(StatusCode::OK, "Access denied", "<p>The device was not connected.</p>"),
    }
}

/// The JWT-bearer grant of service accounts (docs/protocols.md §3.3).
fn jwt_bearer_grant(state: &Shared, headers: &HeaderMap, form: &[(String, String)]) -> Response {
    let Some(assertion) = field(form, "assertion") else {
        return bad_request("invalid_request", "Missing required parameter: assertion");
    };
    state.secrets.record(assertion);
    let claims = match verify_assertion(state, headers, assertion) {
        Ok(claims) => claims,
        Err(refusal) => return refusal.into_response(),
    };
    let scopes = match claims.get("scope").and_then(Value::as_str).map(parse_scopes) {
        None => return bad_request("invalid_scope", "Empty or missing scope not allowed."),
        Some(Ok(scopes)) if !scopes.is_empty() => scopes,
        Some(_) => return bad_request("invalid_scope", "Invalid OAuth scope or ID token audience provided."),
    };
    let email = match claims.get("sub").and_then(Value::as_str) {
        None => SERVICE_ACCOUNT_EMAIL.to_string(),
        Some(sub) if sub.eq_ignore_ascii_case(SERVICE_ACCOUNT_EMAIL) => SERVICE_ACCOUNT_EMAIL.to_string(),
        // Domain-wide delegation is granted for the sandbox's Workspace domain only.
        Some(sub) if sub.to_ascii_lowercase().ends_with(&format!("@{WORKSPACE_DOMAIN}")) => sub.to_ascii_lowercase(),
        Some(_) => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "unauthorized_client",
                "Client is unauthorized to retrieve access tokens using this method, or client not \
                 authorized for any of the scopes requested.",
            )
        }
    };
    let token = issue_access_token(state, &email, super::SERVICE_ACCOUNT_CLIENT_ID, &scopes, None);
    json_response(
        StatusCode::OK,
        &json!({
            "access_token": token,
            "expires_in": state.settings().google_token_ttl_s,
            "token_type": "Bearer",
        }),
    )
}

/// Checks an RS256 assertion of the built-in service account; Ok with its claims.
fn verify_assertion(state: &Shared, headers: &HeaderMap, assertion: &str) -> Result<Value, Refusal> {
    let invalid_signature = || refuse(StatusCode::BAD_REQUEST, "invalid_grant", "Invalid JWT Signature.");
    let parts: Vec<&str> = assertion.split('.').collect();
    let [header_b64, claims_b64, signature_b64] = parts[..] else {
        return Err(invalid_signature());
    };
    let decode_json = |part: &str| -> Option<Value> {
        let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
        serde_json::from_slice(&bytes).ok()
    };
    let (Some(header), Some(claims)) = (decode_json(header_b64), decode_json(claims_b64)) else {
        return Err(invalid_signature());
    };
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(invalid_signature());
    }
    if claims.get("iss").and_then(Value::as_str) != Some(SERVICE_ACCOUNT_EMAIL) {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Invalid grant: account not found",
        ));
    }
    if header
        .get("kid")
        .and_then(Value::as_str)
        .is_some_and(|kid| kid != SERVICE_ACCOUNT_KEY_ID)
    {
        return Err(invalid_signature());
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64.trim_end_matches('='))
        .map_err(|_| invalid_signature())?;
    let signed = &assertion[..header_b64.len() + 1 + claims_b64.len()];
    if !key::verify(signed.as_bytes(), &signature) {
        return Err(invalid_signature());
    }
    let own_token_uri = format!("{}/google-oauth/token", base_url(headers));
    let audiences = [
        own_token_uri.clone(),
        format!("{}/google-accounts/o/oauth2/token", base_url(headers)),
        format!("{}/google-apis/oauth2/v4/token", base_url(headers)),
        "https://oauth2.googleapis.com/token".to_string(),
        "https://www.googleapis.com/oauth2/v4/token".to_string(),
        "https://accounts.google.com/o/oauth2/token".to_string(),
    ];
    if !claims
        .get("aud")
        .and_then(Value::as_str)
        .is_some_and(|aud| audiences.iter().any(|a| a == aud))
    {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            format!("Invalid JWT: Failed audience check. The right audience is {own_token_uri}"),
        ));
    }
    let now = state.clock.now();
    let (iat, exp) = (
        claims.get("iat").and_then(Value::as_i64),
        claims.get("exp").and_then(Value::as_i64),
    );
    let timely = matches!((iat, exp), (Some(iat), Some(exp))
        if exp > iat && exp - iat <= 3600 && iat <= now + JWT_SKEW_S && exp >= now - JWT_SKEW_S);
    if !timely {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. \
             Check your iat and exp values in the JWT claim.",
        ));
    }
    Ok(claims)
}

/// `POST /revoke` with `token` in the form or the query: an access or refresh token; either
/// revokes the whole consent it belongs to.
pub(crate) async fn revoke(AxumState(state): AxumState<AppState>, RawQuery(query): RawQuery, body: Bytes) -> Response {
    let mut pairs = parse_form(query.unwrap_or_default().as_bytes());
    pairs.extend(parse_form(&body));
    let Some(token) = field(&pairs, "token") else {
        return bad_request("invalid_request", "Missing required parameter: token");
    };
    let now = state.clock.now();
    let mut data = state.google.data();
    let grant = if data.oauth.grants.contains_key(token) {
        Some(token.to_string())
    } else {
        match data.oauth.tokens.get(token) {
            Some(access) if access.expires_at > now => access.grant.clone(),
            _ => return bad_request("invalid_token", "Token expired or revoked"),
        }
    };
    data.oauth.tokens.remove(token);
    if let Some(grant) = grant {
        data.oauth.grants.remove(&grant);
        data.oauth
            .tokens
            .retain(|_, t| t.grant.as_deref() != Some(grant.as_str()));
    }
    json_response(StatusCode::OK, &json!({}))
}

/// `GET /tokeninfo?access_token=…`: what a token is good for.
pub(crate) async fn tokeninfo(
    AxumState(state): AxumState<AppState>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let mut pairs = parse_form(query.unwrap_or_default().as_bytes());
    pairs.extend(parse_form(&body));
    let now = state.clock.now();
    let data = state.google.data();
    let found = field(&pairs, "access_token")
        .and_then(|t| data.oauth.tokens.get(t))
        .filter(|t| t.expires_at > now);
    let Some(token) = found else {
        return bad_request("invalid_token", "Invalid Value");
    };
    let who = person(&token.email);
    let mut body = json!({
        "azp": token.client_id,
        "aud": token.client_id,
        "sub": who.sub,
        "scope": token.scopes.join(" "),
        "exp": token.expires_at.to_string(),
        "expires_in": (token.expires_at - now).to_string(),
        "access_type": if token.grant.is_some() { "offline" } else { "online" },
    });
    if token.scopes.iter().any(|s| s.ends_with("userinfo.email")) || is_service_account(&token.email) {
        body["email"] = json!(who.email);
        body["email_verified"] = json!("true");
    }
    json_response(StatusCode::OK, &body)
}

/// `GET /oauth2/v3/userinfo`: the OpenID Connect profile the granted scopes allow.
pub(crate) async fn userinfo(AxumState(state): AxumState<AppState>, headers: HeaderMap) -> Response {
    let caller = match authenticate(&state, &headers) {
        Ok(caller) => caller,
        Err(_) => return oauth_error(StatusCode::UNAUTHORIZED, "invalid_request", "Invalid Credentials"),
    };
    let who = person(&caller.email);
    let mut body = json!({"sub": who.sub});
    if caller.has_scope("userinfo.profile") {
        body["name"] = json!(who.display_name);
        body["picture"] = json!("https://lh3.googleusercontent.com/a/default-user=s96-c");
    }
    if caller.has_scope("userinfo.email") {
        body["email"] = json!(who.email);
        body["email_verified"] = json!(true);
    }
    json_response(StatusCode::OK, &body).into_response()
}
