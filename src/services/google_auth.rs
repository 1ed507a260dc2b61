//! Google sign-in (api-protocols.md §3): OPI's four functions (FormCodeRetrievalLink,
//! GetTokenByCode, RefreshToken, GetServiceAccountToken) and what OPI lacks: a loopback sign-in
//! that catches the redirect itself and exchanges the code at once, the device flow with polling,
//! and revocation.
//!
//! OPI's users copy `code=` out of the browser's address bar and must exchange it within seconds
//! (Google's copy-paste OOB flow is gone). StartLoopbackAuthorization listens on 127.0.0.1 and
//! exchanges the code the moment the browser delivers it, so there is no race to lose.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::auth::{self, unix_now, TokenSet};
use crate::call::Call;
use crate::error::{Error, ErrorCode, Result, Service};
use crate::http::{self, Request};
use crate::log::Level;
use crate::progress::Progress;
use crate::registry::{Auth, Method, Origin, Param, ParamType};
use crate::services::handler;

const MODULE: &str = "GoogleWorkspace";

/// OPI's scopes, one per flag, in OPI's order.
const CALENDAR_SCOPE: &str = "https://www.googleapis.com/auth/calendar";
const DRIVE_SCOPE: &str = "https://www.googleapis.com/auth/drive";
const SHEETS_SCOPE: &str = "https://www.googleapis.com/auth/spreadsheets";
/// The token URL a service account's assertion is addressed to when its key names none.
const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// Google refuses assertions that live longer than an hour.
const MAX_ASSERTION_LIFETIME_S: u64 = 3600;
/// A key file is a few kilobytes; anything much larger is not one.
const MAX_KEY_FILE_BYTES: u64 = 1024 * 1024;
/// A browser that connects but sends nothing (a speculative pre-connection) is dropped after
/// this long; the listener keeps serving other connections meanwhile.
const REQUEST_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The request line and headers of the redirect; longer heads are refused.
const MAX_REQUEST_HEAD: usize = 16 * 1024;
/// Finished sessions nobody collected are forgotten this long after they expired.
const SESSION_KEEP: Duration = Duration::from_secs(600);
/// The longest a loopback listener may wait for the person.
const MAX_LOOPBACK_TIMEOUT_S: u64 = 3600;

const CLIENT_ID: Param = Param::string("client_id", "The OAuth client's ID (`….apps.googleusercontent.com`).")
    .opi("ClientID", "ClientID", "id")
    .required();
const CLIENT_SECRET: Param = Param::string("client_secret", "The OAuth client's secret.")
    .opi("ClientSecret", "ClientSecret", "secret")
    .required()
    .secret();
const REDIRECT_URI: Param = Param::string(
    "redirect_uri",
    "Where Google sends the browser back; GetTokenByCode needs the same value.",
)
.default("\"http://localhost\"");

pub const METHODS: &[Method] = &[
    Method {
        module: MODULE,
        name: "FormCodeRetrievalLink",
        name_ru: "СформироватьСсылкуПолученияКода",
        aliases: &["GoogleDrive.FormCodeRetrievalLink", "GoogleDrive.СформироватьСсылкуПолученияКода"],
        origin: Origin::Opi,
        auth: Auth::None,
        params: &[
            CLIENT_ID,
            Param::boolean("calendar", "true", "Ask for Google Calendar access.").opi("Calendar", "Calendar", "calendar"),
            Param::boolean("drive", "true", "Ask for Google Drive access.").opi("Drive", "Drive", "drive"),
            Param::boolean("sheets", "true", "Ask for Google Sheets access.").opi("Sheets", "Sheets", "sheets"),
            REDIRECT_URI,
            Param::string("state", "Echoed back in the redirect; added to the URL when given."),
            Param::boolean("pkce", "false", "Add a PKCE S256 challenge; the reply carries the `code_verifier` for GetTokenByCode."),
        ],
        doc: "The consent URL a person opens (OPI's link: with the defaults it is exactly the URL OPI builds). After consent the browser goes to `redirect_uri?code=…`; exchange the code with GetTokenByCode at once, or use StartLoopbackAuthorization, which does it for you.",
        result: "`{\"url\", \"redirect_uri\", \"state\"?, \"code_verifier\"?}`",
        handler: handler!(form_code_retrieval_link),
    },
    Method {
        module: MODULE,
        name: "GetTokenByCode",
        name_ru: "ПолучитьТокенПоКоду",
        aliases: &["GoogleDrive.GetTokenByCode", "GoogleDrive.ПолучитьТокенПоКоду"],
        origin: Origin::Opi,
        auth: Auth::None,
        params: &[
            CLIENT_ID,
            CLIENT_SECRET,
            Param::string("code", "The `code` of the redirect (short-lived, single use).")
                .opi("Code", "Code", "code")
                .required()
                .secret(),
            REDIRECT_URI,
            Param::string("code_verifier", "The `code_verifier` of FormCodeRetrievalLink (PKCE).").secret(),
        ],
        doc: "Exchanges an authorization code for tokens. A used, expired or mismatched code is `invalid_grant`.",
        result: "token JSON: `{\"access_token\", \"expires_in\", \"refresh_token\"?, \"scope\", \"token_type\"}`",
        handler: handler!(get_token_by_code),
    },
    Method {
        module: MODULE,
        name: "RefreshToken",
        name_ru: "ОбновитьТокен",
        aliases: &["GoogleDrive.RefreshToken", "GoogleDrive.ОбновитьТокен"],
        origin: Origin::Opi,
        auth: Auth::None,
        params: &[
            CLIENT_ID,
            CLIENT_SECRET,
            Param::string("refresh_token", "The refresh token (Google keeps it: it stays valid).")
                .opi("RefreshToken", "RefreshToken", "refresh")
                .required()
                .secret(),
        ],
        doc: "A new access token for a refresh token. Google keeps the refresh token, so the answer has none: go on using the one you have.",
        result: "token JSON without `refresh_token`",
        handler: handler!(refresh_token),
    },
    Method {
        module: MODULE,
        name: "GetServiceAccountToken",
        name_ru: "ПолучитьТокенServiceАккаунта",
        aliases: &["GoogleDrive.GetServiceAccountToken", "GoogleDrive.ПолучитьТокенServiceАккаунта"],
        origin: Origin::Opi,
        auth: Auth::None,
        params: &[
            Param::new(
                "key",
                ParamType::ObjectOrString,
                "The service account's key: the key file's JSON object, its text, or the path of the key file.",
            )
            .opi("Data", "Данные", "auth")
            .required()
            .secret(),
            Param::new("scope", ParamType::StringOrArray, "Scopes (an array, or space-separated).")
                .opi("Scope", "ОбластиДействия", "scope")
                .required(),
            Param::integer("expire", "Lifetime of the assertion in seconds (at most 3600).")
                .opi("Expire", "ВремяЖизни", "exp")
                .default("3600"),
            Param::string(
                "subject",
                "A Workspace user to act as (domain-wide delegation: the JWT `sub`).",
            ),
        ],
        doc: "A token for a service account: an RS256 JWT (with the key's `kid`, real Unix times, and `sub` when `subject` is given) exchanged with the JWT-bearer grant. There is no refresh token: call again when it expires. A service account has no Drive storage of its own; give `subject` to act as a Workspace user.",
        result: "token JSON: `{\"access_token\", \"expires_in\", \"token_type\"}`",
        handler: handler!(get_service_account_token),
    },
    Method {
        module: MODULE,
        name: "StartLoopbackAuthorization",
        name_ru: "НачатьАвторизациюЧерезLoopback",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[
            CLIENT_ID,
            CLIENT_SECRET,
            Param::new(
                "scopes",
                ParamType::StringOrArray,
                "Scopes (an array, or space-separated); short names like `drive.file` get Google's prefix.",
            )
            .default("\"https://www.googleapis.com/auth/drive\""),
            Param::integer("port", "Port on 127.0.0.1 to listen on; 0 picks a free one.").default("0"),
            Param::integer("timeout_s", "How long the listener waits for the person.").default("300"),
        ],
        doc: "Starts a sign-in without copy-paste: listens on 127.0.0.1 and returns the consent URL to open in a browser (PKCE S256 and a random state, always). When Google redirects the browser to the listener, the state is checked and the code is exchanged at once; the browser is told it can close the window. Collect the tokens with CompleteLoopbackAuthorization.",
        result: "`{\"url\", \"session\", \"redirect_uri\", \"expires_in\"}`",
        handler: handler!(start_loopback_authorization),
    },
    Method {
        module: MODULE,
        name: "CompleteLoopbackAuthorization",
        name_ru: "ЗавершитьАвторизациюЧерезLoopback",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[
            Param::string("session", "`session` of StartLoopbackAuthorization.").required(),
            Param::integer("timeout_s", "Wait at most this long (the session keeps waiting after a timeout); absent: until the session ends."),
        ],
        doc: "Waits for the sign-in started by StartLoopbackAuthorization and returns its tokens. A redirect with a forged or missing state ends the session with `access_denied`, as does a person who declines; a session nobody completed in time is `expired`. Progress reports seconds waited; cancelling stops the listener.",
        result: "token JSON, as GetTokenByCode",
        handler: handler!(complete_loopback_authorization),
    },
    Method {
        module: MODULE,
        name: "GetDeviceCode",
        name_ru: "ПолучитьКодУстройства",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[
            CLIENT_ID,
            Param::new(
                "scope",
                ParamType::StringOrArray,
                "Scopes; the device flow allows only `openid`, `email`, `profile`, `drive.file` and `drive.appdata` for Drive.",
            )
            .required(),
        ],
        doc: "Starts the device flow (a client of type \"TVs and Limited Input devices\"): show `user_code` and `verification_url` to the person, then call WaitForDeviceToken.",
        result: "Google's JSON: `{\"device_code\", \"user_code\", \"verification_url\", \"expires_in\", \"interval\"}`",
        handler: handler!(get_device_code),
    },
    Method {
        module: MODULE,
        name: "WaitForDeviceToken",
        name_ru: "ОжидатьТокенУстройства",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[
            CLIENT_ID,
            CLIENT_SECRET,
            Param::string("device_code", "`device_code` of GetDeviceCode.").required().secret(),
            Param::integer("interval", "Seconds between polls (`interval` of GetDeviceCode).").default("5"),
            Param::integer("timeout_s", "Give up after this many seconds.").default("1800"),
        ],
        doc: "Polls until the person approves the device code, honouring `interval` and `slow_down` (+5 s). Declined: `access_denied`; expired: `expired`; progress reports seconds waited and can cancel.",
        result: "token JSON",
        handler: handler!(wait_for_device_token),
    },
    Method {
        module: MODULE,
        name: "RevokeToken",
        name_ru: "ОтозватьТокен",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[Param::string(
            "token",
            "An access or refresh token; revoking either ends the whole grant.",
        )
        .opi("Token", "Токен", "token")
        .required()
        .secret()],
        doc: "Revokes a token and the grant it belongs to (the refresh token and its access tokens). An unknown or already revoked token is `bad_request` (upstream `invalid_token`).",
        result: "`{}`",
        handler: handler!(revoke_token),
    },
];

fn token_request(call: &Call, form: Vec<(&str, String)>) -> Result<Request> {
    Ok(Request::post(
        Service::GoogleOAuth,
        http::url(&call.endpoint("google_oauth"), "/token")?,
    )
    .form(form))
}

fn with_hint(mut error: Error, code: ErrorCode, hint: &str) -> Error {
    if error.code == code {
        error.message = format!("{hint} ({})", error.message);
    }
    error
}

/// Random URL-safe text for PKCE verifiers, states and session ids.
pub(crate) fn random_urlsafe(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).expect("the operating system has no random source");
    URL_SAFE_NO_PAD.encode(buffer)
}

fn pkce_pair() -> (String, String) {
    let verifier = random_urlsafe(32);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
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

fn required_scopes(call: &Call, key: &str) -> Result<String> {
    let scopes = scope_list(call.args.value(key));
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

async fn form_code_retrieval_link(call: Call) -> Result<Value> {
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
        call.endpoint("google_accounts"),
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

async fn exchange_code(call: &Call, code: &str, redirect_uri: &str, code_verifier: Option<&str>) -> Result<Value> {
    let mut form = vec![
        ("grant_type", "authorization_code".to_string()),
        ("code", code.to_string()),
        ("client_id", call.args.str("client_id")?.to_string()),
        ("client_secret", call.args.str("client_secret")?.to_string()),
        ("redirect_uri", redirect_uri.to_string()),
    ];
    if let Some(verifier) = code_verifier {
        form.push(("code_verifier", verifier.to_string()));
    }
    // Not idempotent: a code is good once, so an exchange that may have arrived is not repeated.
    let tokens = http::send_json(call, &token_request(call, form)?)
        .await
        .map_err(|error| with_hint(error, ErrorCode::InvalidGrant, CODE_HINT))?;
    remember_tokens(call, &tokens);
    Ok(tokens)
}

/// Keeps the tokens of an answer out of every later log line and message of the call.
fn remember_tokens(call: &Call, tokens: &Value) {
    for key in ["access_token", "refresh_token", "id_token"] {
        if let Some(token) = tokens.get(key).and_then(Value::as_str) {
            call.add_secret(token);
        }
    }
}

async fn get_token_by_code(call: Call) -> Result<Value> {
    let args = &call.args;
    exchange_code(
        &call,
        args.str("code")?,
        args.opt_str("redirect_uri").unwrap_or("http://localhost"),
        args.opt_str("code_verifier"),
    )
    .await
}

/// Refreshes through the shared single-flight slot (DESIGN.md §6), so concurrent callers with
/// one refresh token make one request. Google keeps the refresh token, so the answer carries
/// none and the caller's stays in force. Boxed: refreshing sends a request, and sending may ask
/// the call's token session for a header, which may refresh.
pub fn refresh_shared<'a>(
    call: &'a Call,
    client_id: &'a str,
    client_secret: &'a str,
    refresh_token: &'a str,
    grace: Duration,
) -> BoxFuture<'a, Result<TokenSet>> {
    Box::pin(auth::refresh_once(
        vec!["google", client_id, client_secret, refresh_token],
        grace,
        move || async move {
            let form = vec![
                ("grant_type", "refresh_token".to_string()),
                ("refresh_token", refresh_token.to_string()),
                ("client_id", client_id.to_string()),
                ("client_secret", client_secret.to_string()),
            ];
            // Google does not rotate refresh tokens, so asking twice is harmless.
            let request = token_request(call, form)?.idempotent(true);
            let answer = http::send_json(call, &request).await.map_err(|error| {
                with_hint(
                    error,
                    ErrorCode::InvalidGrant,
                    "the refresh token was refused (revoked, expired — an app in \"Testing\" gets 7-day refresh tokens — or issued to another client); sign in again",
                )
            })?;
            call.log(
                Level::Info,
                "auth",
                &format!("refreshed the Google access token of client {client_id}"),
            );
            TokenSet::from_json(answer)
        },
    ))
}

async fn refresh_token(call: Call) -> Result<Value> {
    let args = &call.args;
    let (id, secret, refresh) = (
        args.str("client_id")?,
        args.str("client_secret")?,
        args.str("refresh_token")?,
    );
    let tokens = refresh_shared(&call, id, secret, refresh, Duration::ZERO).await?;
    call.add_secret(&tokens.access_token);
    Ok(tokens.raw)
}

/// The key file as a JSON object: given inline, as JSON text, or as the path of the file.
fn service_account_key(call: &Call) -> Result<Map<String, Value>> {
    let not_json = || {
        Error::invalid_params("the service account key is not a JSON object (give the key file's JSON, or its path)")
    };
    let parsed = match call.args.value("key") {
        Some(Value::Object(map)) => return Ok(map.clone()),
        Some(Value::String(text)) if text.trim_start().starts_with('{') => {
            serde_json::from_str::<Value>(text).map_err(|_| not_json())?
        }
        Some(Value::String(path)) => {
            // The path is masked like the rest of `key`, so messages do not repeat it.
            let size = std::fs::metadata(path)
                .map_err(|e| Error::local_io("cannot read the service account key file (`key`)", &e))?
                .len();
            if size > MAX_KEY_FILE_BYTES {
                return Err(Error::invalid_params(
                    "`key` names a file too large to be a service account key",
                ));
            }
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::local_io("cannot read the service account key file (`key`)", &e))?;
            let parsed = serde_json::from_str::<Value>(&text).map_err(|_| not_json())?;
            if let Some(private_key) = parsed.get("private_key").and_then(Value::as_str) {
                call.add_secret(private_key);
            }
            parsed
        }
        _ => return Err(not_json()),
    };
    match parsed {
        Value::Object(map) => Ok(map),
        _ => Err(not_json()),
    }
}

fn signing_key(pem: &str) -> Result<rsa::pkcs1v15::SigningKey<Sha256>> {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    // Key files hold PKCS#8 ("BEGIN PRIVATE KEY"); PKCS#1 ("BEGIN RSA PRIVATE KEY") is accepted too.
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(pem))
        .map_err(|_| Error::invalid_params("the key's `private_key` is not a PEM RSA private key"))?;
    Ok(rsa::pkcs1v15::SigningKey::<Sha256>::new(key))
}

/// The RS256 assertion of RFC 7523: `header.claims.signature`, each base64url without padding.
fn sign_assertion(key: &Map<String, Value>, claims: &Value) -> Result<String> {
    use rsa::signature::{SignatureEncoding, Signer};
    let private_key = key
        .get("private_key")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid_params("the service account key has no `private_key`"))?;
    let mut header = json!({"alg": "RS256", "typ": "JWT"});
    // Google picks the public key by `kid`; without it, it tries each key of the account.
    if let Some(kid) = key.get("private_key_id").and_then(Value::as_str) {
        header["kid"] = json!(kid);
    }
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = signing_key(private_key)?.sign(input.as_bytes());
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes())))
}

async fn get_service_account_token(call: Call) -> Result<Value> {
    let key = service_account_key(&call)?;
    let client_email = key
        .get("client_email")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| Error::invalid_params("the service account key has no `client_email`"))?;
    let expire = call.args.opt_u64("expire").unwrap_or(3600);
    if expire == 0 || expire > MAX_ASSERTION_LIFETIME_S {
        return Err(Error::invalid_params("`expire` must be 1 to 3600 seconds"));
    }
    let audience = key
        .get("token_uri")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .unwrap_or(GOOGLE_TOKEN_URI);
    // Real Unix time (OPI's is an hour behind, which makes exp = now with its default).
    let now = unix_now();
    let mut claims = json!({
        "iss": client_email,
        "scope": required_scopes(&call, "scope")?,
        "aud": audience,
        "iat": now,
        "exp": now + expire as i64,
    });
    let subject = call.args.opt_str("subject").filter(|s| !s.is_empty());
    if let Some(subject) = subject {
        claims["sub"] = json!(subject);
    }
    let assertion = sign_assertion(&key, &claims)?;
    call.add_secret(&assertion);
    let form = vec![
        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer".to_string()),
        ("assertion", assertion),
    ];
    // Minting another token is harmless, so a lost answer may be asked for again.
    let request = token_request(&call, form)?.idempotent(true);
    let tokens = http::send_json(&call, &request).await.map_err(|error| {
        let error = with_hint(
            error,
            ErrorCode::InvalidGrant,
            "the assertion was refused: the key is not the account's (revoked, or altered), the clock is off by minutes, or the subject does not exist",
        );
        with_hint(
            error,
            ErrorCode::InvalidClient,
            "the service account may not act for this subject with these scopes: authorize its client ID for domain-wide delegation in the Workspace admin console",
        )
    })?;
    remember_tokens(&call, &tokens);
    call.log(
        Level::Info,
        "auth",
        &format!(
            "service account {client_email} got a token{}",
            if subject.is_some() { " for a delegated user" } else { "" }
        ),
    );
    Ok(tokens)
}

async fn get_device_code(call: Call) -> Result<Value> {
    let form = vec![
        ("client_id", call.args.str("client_id")?.to_string()),
        ("scope", required_scopes(&call, "scope")?),
    ];
    let request = Request::post(
        Service::GoogleOAuth,
        http::url(&call.endpoint("google_oauth"), "/device/code")?,
    )
    .form(form)
    // Asking for another code is harmless, so a lost answer may be asked for again.
    .idempotent(true);
    http::send_json(&call, &request).await.map_err(|error| {
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
    let tokens = http::send_json(call, &token_request(call, form)?)
        .await
        .map_err(|error| {
            let error = with_hint(
                error,
                ErrorCode::Expired,
                "the device code has expired: call GetDeviceCode again",
            );
            with_hint(error, ErrorCode::AccessDenied, "the person declined the request")
        })?;
    remember_tokens(call, &tokens);
    Ok(tokens)
}

async fn wait_for_device_token(call: Call) -> Result<Value> {
    let mut interval = Duration::from_secs(call.args.opt_u64("interval").unwrap_or(5).max(1));
    let timeout = Duration::from_secs(call.args.opt_u64("timeout_s").unwrap_or(1800));
    let started = Instant::now();
    loop {
        match poll_device_token(&call).await {
            Ok(tokens) => return Ok(tokens),
            Err(error) if error.code == ErrorCode::AuthorizationPending => {}
            // RFC 8628 §3.5: every slow_down adds five seconds for good.
            Err(error) if error.code == ErrorCode::SlowDown => interval += Duration::from_secs(5),
            Err(error) => return Err(error),
        }
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            return Err(Error::new(
                ErrorCode::Timeout,
                format!(
                    "nobody approved the device code within {} s: call WaitForDeviceToken again while the code is valid",
                    timeout.as_secs()
                ),
            ));
        }
        call.progress.report(elapsed.as_secs(), timeout.as_secs())?;
        call.progress.sleep(interval.min(timeout - elapsed)).await?;
    }
}

async fn revoke_token(call: Call) -> Result<Value> {
    let request = Request::post(
        Service::GoogleOAuth,
        http::url(&call.endpoint("google_oauth"), "/revoke")?,
    )
    .form(vec![("token", call.args.str("token")?.to_string())]);
    http::send_json(&call, &request).await.map_err(|error| {
        with_hint(
            error,
            ErrorCode::BadRequest,
            "the token is unknown, expired or already revoked",
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Loopback sign-in.

/// One loopback sign-in in progress: the listener task publishes its outcome here.
struct LoopbackSession {
    outcome: watch::Sender<Option<Result<Value>>>,
    deadline: Instant,
    listener: Mutex<Option<tokio::task::AbortHandle>>,
}

impl LoopbackSession {
    fn stop(&self) {
        if let Some(listener) = self.listener.lock().unwrap_or_else(|p| p.into_inner()).take() {
            listener.abort();
        }
    }
}

fn sessions() -> &'static Mutex<HashMap<String, Arc<LoopbackSession>>> {
    static SESSIONS: OnceLock<Mutex<HashMap<String, Arc<LoopbackSession>>>> = OnceLock::new();
    SESSIONS.get_or_init(Default::default)
}

/// Takes a session out of the table, stopping its listener.
fn forget_session(id: &str) {
    let removed = sessions().lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    if let Some(session) = removed {
        session.stop();
    }
}

async fn start_loopback_authorization(call: Call) -> Result<Value> {
    let args = &call.args;
    let timeout_s = args.opt_u64("timeout_s").unwrap_or(300);
    if timeout_s == 0 || timeout_s > MAX_LOOPBACK_TIMEOUT_S {
        return Err(Error::invalid_params("`timeout_s` must be 1 to 3600 seconds"));
    }
    let port = u16::try_from(args.opt_u64("port").unwrap_or(0))
        .map_err(|_| Error::invalid_params("`port` must be 0 to 65535"))?;
    let scopes = required_scopes(&call, "scopes")?;
    // Only 127.0.0.1: nothing off this machine can reach the listener.
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| Error::local_io(&format!("cannot listen on 127.0.0.1:{port}"), &e))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Error::local_io("cannot read the listener's port", &e))?;
    let redirect_uri = format!("http://127.0.0.1:{}/", bound.port());
    let state = random_urlsafe(24);
    let (verifier, challenge) = pkce_pair();
    let mut url = http::url(&call.endpoint("google_accounts"), "/o/oauth2/v2/auth")?;
    url.query_pairs_mut()
        .append_pair("client_id", args.str("client_id")?)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", &scopes)
        .append_pair("state", &state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        // A refresh token is what lets `credentials` work for good; Google hands one out only
        // with offline access, and only on a consent (not when a returning user is waved through).
        .append_pair("access_type", "offline")
        .append_pair("prompt", "consent");
    let session_id = random_urlsafe(18);
    let deadline = Instant::now() + Duration::from_secs(timeout_s);
    let session = Arc::new(LoopbackSession {
        outcome: watch::channel(None).0,
        deadline,
        listener: Mutex::new(None),
    });
    {
        let mut table = sessions().lock().unwrap_or_else(|p| p.into_inner());
        table.retain(|_, s| s.deadline + SESSION_KEEP > Instant::now());
        table.insert(session_id.clone(), session.clone());
    }
    call.log(
        Level::Info,
        "auth",
        &format!("loopback sign-in listening on {redirect_uri} for {timeout_s} s"),
    );
    let pending = Pending {
        state,
        verifier,
        redirect_uri: redirect_uri.clone(),
        timeout_s,
    };
    let mut call = call;
    // The host's progress callback is only valid during this call; the listener outlives it.
    call.progress = Progress::default();
    let task = crate::runtime::runtime().spawn({
        let session = session.clone();
        async move {
            let deadline = tokio::time::Instant::from_std(deadline);
            let outcome = match tokio::time::timeout_at(deadline, serve_redirect(&call, listener, &pending)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(Error::new(
                    ErrorCode::Expired,
                    format!(
                        "nobody signed in within {} s: call StartLoopbackAuthorization again",
                        pending.timeout_s
                    ),
                )),
            };
            if let Err(error) = &outcome {
                call.log(Level::Info, "auth", &format!("loopback sign-in ended: {error}"));
            }
            session.outcome.send_replace(Some(outcome));
        }
    });
    *session.listener.lock().unwrap_or_else(|p| p.into_inner()) = Some(task.abort_handle());
    Ok(json!({
        "url": url.as_str(),
        "session": session_id,
        "redirect_uri": redirect_uri,
        "expires_in": timeout_s,
    }))
}

struct Pending {
    state: String,
    verifier: String,
    redirect_uri: String,
    timeout_s: u64,
}

/// A request that reached the listener.
struct Arrival {
    stream: TcpStream,
    method: String,
    path: String,
    query: Vec<(String, String)>,
}

/// Accepts connections until one carries the redirect, then checks it, exchanges the code and
/// answers the browser. Connections are read concurrently: browsers open speculative
/// connections that send nothing, and those must not hold up the real redirect.
async fn serve_redirect(call: &Call, listener: TcpListener, pending: &Pending) -> Result<Value> {
    let mut reading = FuturesUnordered::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    reading.push(read_request(stream));
                }
            }
            Some(arrival) = reading.next(), if !reading.is_empty() => {
                let Some(arrival) = arrival else { continue };
                if let Some(outcome) = handle_arrival(call, arrival, pending).await {
                    return outcome;
                }
            }
        }
    }
}

/// Reads the request line and headers (a minimal HTTP/1.1 parser: the redirect is one GET).
async fn read_request(mut stream: TcpStream) -> Option<Arrival> {
    let head = tokio::time::timeout(REQUEST_READ_TIMEOUT, async {
        let mut head = Vec::with_capacity(1024);
        let mut buffer = [0u8; 2048];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            if head.len() > MAX_REQUEST_HEAD {
                return None;
            }
            let read = stream.read(&mut buffer).await.ok()?;
            if read == 0 {
                return None;
            }
            head.extend_from_slice(&buffer[..read]);
        }
        Some(head)
    })
    .await
    .ok()??;
    let text = String::from_utf8_lossy(&head);
    let mut request_line = text.lines().next()?.split(' ');
    let method = request_line.next()?.to_string();
    let target = request_line.next()?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Some(Arrival {
        path: path.to_string(),
        query: url::form_urlencoded::parse(query.as_bytes()).into_owned().collect(),
        method,
        stream,
    })
}

/// `None`: not the redirect (another path, a bare visit), keep waiting. `Some`: the session's
/// outcome.
async fn handle_arrival(call: &Call, arrival: Arrival, pending: &Pending) -> Option<Result<Value>> {
    let Arrival {
        mut stream,
        method,
        path,
        query,
    } = arrival;
    let param = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    if method != "GET" {
        respond(
            &mut stream,
            405,
            "Not the sign-in",
            "This address only takes the browser's return from Google.",
        )
        .await;
        return None;
    }
    let is_redirect = param("code").is_some() || param("error").is_some() || param("state").is_some();
    if path != "/" || !is_redirect {
        respond(
            &mut stream,
            404,
            "Waiting for Google",
            "This is the sign-in listener of an application; it is waiting for Google to send your browser back.",
        )
        .await;
        return None;
    }
    if param("state") != Some(pending.state.as_str()) {
        respond(
            &mut stream,
            400,
            "Sign-in refused",
            "This page was not opened by the sign-in the application started. Nothing was signed in; start again from the application.",
        )
        .await;
        return Some(Err(Error::new(
            ErrorCode::AccessDenied,
            "the redirect to the loopback listener carried a missing or different state (a forged or stale request): the sign-in was refused; call StartLoopbackAuthorization again",
        )));
    }
    if let Some(error) = param("error") {
        respond(
            &mut stream,
            200,
            "Sign-in declined",
            "Access was not granted. You can close this window.",
        )
        .await;
        let code = if error == "access_denied" {
            ErrorCode::AccessDenied
        } else {
            ErrorCode::BadRequest
        };
        return Some(Err(Error::new(
            code,
            format!("Google sent the browser back with error `{error}`: nothing was signed in"),
        )));
    }
    let Some(code) = param("code") else {
        respond(
            &mut stream,
            400,
            "Sign-in failed",
            "Google sent no code. Start again from the application.",
        )
        .await;
        return Some(Err(Error::new(
            ErrorCode::InvalidResponse,
            "Google's redirect carried neither a code nor an error",
        )));
    };
    call.add_secret(code);
    let outcome = exchange_code(call, code, &pending.redirect_uri, Some(&pending.verifier)).await;
    match &outcome {
        Ok(_) => {
            respond(
                &mut stream,
                200,
                "Signed in",
                "You are signed in. You can close this window and return to the application.",
            )
            .await
        }
        Err(_) => {
            respond(
                &mut stream,
                502,
                "Sign-in failed",
                "Google did not accept the sign-in. Close this window and start again from the application.",
            )
            .await
        }
    }
    Some(outcome)
}

async fn respond(stream: &mut TcpStream, status: u16, title: &str, text: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Bad Gateway",
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><h1>{title}</h1><p>{text}</p></body></html>"
    );
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // The browser may be gone already; the outcome does not depend on it.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

async fn complete_loopback_authorization(call: Call) -> Result<Value> {
    let id = call.args.str("session")?;
    let session = sessions()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(id)
        .cloned()
        .ok_or_else(|| {
            Error::new(
                ErrorCode::Expired,
                "no loopback sign-in has that session: it was completed already, failed, or expired; call StartLoopbackAuthorization again",
            )
        })?;
    let timeout = call.args.opt_u64("timeout_s").map(Duration::from_secs);
    let mut outcome = session.outcome.subscribe();
    let started = Instant::now();
    loop {
        if let Some(result) = outcome.borrow_and_update().clone() {
            forget_session(id);
            if let Ok(tokens) = &result {
                remember_tokens(&call, tokens);
            }
            return result;
        }
        let elapsed = started.elapsed();
        if timeout.is_some_and(|timeout| elapsed >= timeout) {
            return Err(Error::new(
                ErrorCode::Timeout,
                format!(
                    "nobody completed the sign-in within {} s; the listener goes on waiting until the session expires: call CompleteLoopbackAuthorization again",
                    elapsed.as_secs()
                ),
            ));
        }
        let total = session.deadline.saturating_duration_since(started).as_secs();
        let heartbeat = Duration::from_millis(200);
        let wait = timeout.map_or(heartbeat, |timeout| heartbeat.min(timeout - elapsed));
        tokio::select! {
            _ = outcome.changed() => {}
            slept = call.progress.sleep(wait) => {
                if let Err(error) = slept.and_then(|()| call.progress.report(elapsed.as_secs(), total)) {
                    // Cancelled: the sign-in is abandoned, so its listener goes too.
                    forget_session(id);
                    return Err(error);
                }
            }
        }
    }
}
