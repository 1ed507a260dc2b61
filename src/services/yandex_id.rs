//! Yandex ID sign-in (api-protocols.md §1): the device flow (OPI's GetConfirmationCode and
//! ConvertCodeToToken, plus WaitForToken that polls for the caller), the authorization-code and
//! implicit flows with PKCE, refresh, revoke and login.yandex.ru/info; and the token exchange of
//! Yandex 360 service applications (§1.6), which gives one-hour tokens for an organization's
//! employees.

use std::time::Duration;

use base64::Engine;
use futures_util::future::BoxFuture;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::auth::{self, TokenSet};
use crate::call::Call;
use crate::error::{Error, ErrorCode, Result, Service};
use crate::http::{self, Request};
use crate::registry::{Auth, Method, Origin, Param, ParamType};
use crate::services::handler;

const MODULE: &str = "YandexID";

const CLIENT_ID: Param = Param::string("client_id", "The OAuth application's ClientID.")
    .opi("ClientId", "ClientId", "id")
    .required();
const CLIENT_SECRET: Param = Param::string("client_secret", "The OAuth application's Client secret.")
    .opi("ClientSecret", "ClientSecret", "secret")
    .required()
    .secret();
const DEVICE_CODE: Param = Param::string("device_code", "`device_code` from GetConfirmationCode.")
    .opi("DeviceCode", "КодУстройства", "device")
    .required()
    .secret();
const DEVICE_ID: Param = Param::string(
    "device_id",
    "A stable id of this device, 6–50 printable characters; makes the token revocable.",
);
const DEVICE_NAME: Param = Param::string(
    "device_name",
    "A name for the device, shown to the person (up to 100 characters).",
);
const SCOPE: Param = Param::new(
    "scope",
    ParamType::StringOrArray,
    "Rights to request (space-separated or an array); all the application's rights when absent.",
);

pub const METHODS: &[Method] = &[
    Method {
        module: MODULE,
        name: "GetConfirmationCode",
        name_ru: "ПолучитьКодПодтверждения",
        aliases: &["YandexDisk.GetConfirmationCode", "YandexDisk.ПолучитьКодПодтверждения"],
        origin: Origin::Opi,
        auth: Auth::None,
        params: &[CLIENT_ID, DEVICE_ID, DEVICE_NAME, SCOPE],
        doc: "Starts the device flow: the person opens `verification_url` and types `user_code`.",
        result: "Yandex's JSON: `{\"device_code\", \"user_code\", \"verification_url\", \"interval\", \"expires_in\"}`",
        handler: handler!(get_confirmation_code),
    },
    Method {
        module: MODULE,
        name: "ConvertCodeToToken",
        name_ru: "ПреобразоватьКодВТокен",
        aliases: &["YandexDisk.ConvertCodeToToken", "YandexDisk.ПреобразоватьКодВТокен"],
        origin: Origin::Opi,
        auth: Auth::None,
        params: &[CLIENT_ID, CLIENT_SECRET, DEVICE_CODE],
        doc: "Exchanges an approved device code for tokens (one attempt; WaitForToken polls). Not yet approved: error `authorization_pending`; expired: `expired`.",
        result: "token JSON: `{\"access_token\", \"refresh_token\", \"expires_in\", \"token_type\"}`",
        handler: handler!(convert_code_to_token),
    },
    Method {
        module: MODULE,
        name: "RefreshToken",
        name_ru: "ОбновитьТокен",
        aliases: &["YandexDisk.RefreshToken", "YandexDisk.ОбновитьТокен"],
        origin: Origin::Opi,
        auth: Auth::None,
        params: &[
            CLIENT_ID,
            CLIENT_SECRET,
            Param::string("refresh_token", "The refresh token (Yandex rotates it: store the new one).")
                .opi("RefreshToken", "RefreshToken", "refresh")
                .required()
                .secret(),
        ],
        doc: "New tokens for a refresh token. Yandex rotates the refresh token: the old one stops working, so store the new one.",
        result: "token JSON with a new `refresh_token`",
        handler: handler!(refresh_token),
    },
    Method {
        module: MODULE,
        name: "WaitForToken",
        name_ru: "ОжидатьТокен",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[
            CLIENT_ID,
            CLIENT_SECRET,
            DEVICE_CODE,
            Param::integer("interval", "Seconds between polls (`interval` of GetConfirmationCode).").default("5"),
            Param::integer("timeout_s", "Give up after this many seconds.").default("600"),
        ],
        doc: "Polls until the person approves the device code, honouring `interval` and `slow_down`. Expired: `expired`; denied: `access_denied`; progress reports seconds waited and can cancel (`cancelled`).",
        result: "token JSON, as ConvertCodeToToken",
        handler: handler!(wait_for_token),
    },
    Method {
        module: MODULE,
        name: "FormAuthorizationLink",
        name_ru: "СформироватьСсылкуАвторизации",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[
            CLIENT_ID,
            Param::string("response_type", "`code` (exchange with GetTokenByCode) or `token` (the implicit flow: the token is in the page address).").default("\"code\""),
            Param::string("redirect_uri", "A redirect URI registered for the application; absent: the first registered one."),
            SCOPE,
            Param::string("state", "Echoed back with the code; a random one is made when absent."),
            Param::string("login_hint", "The account to suggest."),
            Param::boolean("force_confirm", "false", "Ask for consent even if it was given before."),
            Param::boolean("pkce", "true", "Add a PKCE S256 challenge (code flow); the reply carries the `code_verifier` for GetTokenByCode."),
            DEVICE_ID,
            DEVICE_NAME,
        ],
        doc: "The authorization URL for a browser. The implicit (`token`) link is the one a person opens to get a token by hand.",
        result: "`{\"url\", \"state\", \"code_verifier\"?}`",
        handler: handler!(form_authorization_link),
    },
    Method {
        module: MODULE,
        name: "GetTokenByCode",
        name_ru: "ПолучитьТокенПоКоду",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[
            CLIENT_ID,
            CLIENT_SECRET,
            Param::string("code", "The code from the redirect (7 digits; lives 10 minutes).").opi("Code", "Код", "code").required().secret(),
            Param::string("code_verifier", "The `code_verifier` of FormAuthorizationLink (PKCE).").secret(),
            DEVICE_ID,
            DEVICE_NAME,
        ],
        doc: "Exchanges an authorization code for tokens.",
        result: "token JSON",
        handler: handler!(get_token_by_code),
    },
    Method {
        module: MODULE,
        name: "RevokeToken",
        name_ru: "ОтозватьТокен",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[
            CLIENT_ID,
            CLIENT_SECRET,
            Param::string("access_token", "The token to revoke (only tokens issued with a device_id can be revoked).")
                .required()
                .secret(),
        ],
        doc: "Revokes a device-bound access token (and its refresh token). Tokens issued without a device_id cannot be revoked (`bad_request`, upstream `unsupported_token_type`).",
        result: "`{\"status\": \"ok\"}`",
        handler: handler!(revoke_token),
    },
    Method {
        module: MODULE,
        name: "GetUserInfo",
        name_ru: "ПолучитьДанныеПользователя",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[],
        doc: "Who the token belongs to (login.yandex.ru/info).",
        result: "login.yandex.ru JSON: `{\"id\", \"login\", \"client_id\", \"psuid\", ...}`",
        handler: handler!(get_user_info),
    },
    Method {
        module: MODULE,
        name: "ExchangeTokenForUser",
        name_ru: "ПолучитьТокенПользователяОрганизации",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[
            CLIENT_ID,
            CLIENT_SECRET,
            Param::string("user_id", "The employee's uid (`id` of Yandex360.GetUsers); or give `user_email`."),
            Param::string("user_email", "The employee's e-mail address; or give `user_id`."),
        ],
        doc: "A one-hour token for an employee of an organization that registered this client as a service application (Yandex360.AddServiceApplication), with the rights registered there; no refresh token: exchange again, or give API methods `credentials` with `subject` and the library does. Exactly one of `user_id` and `user_email`.",
        result: "token JSON: `{\"access_token\", \"expires_in\": 3600, \"issued_token_type\", \"token_type\"}`",
        handler: handler!(exchange_token_for_user),
    },
];

fn oauth_request(call: &Call, path: &str) -> Result<Request> {
    Ok(Request::post(
        Service::YandexOAuth,
        http::url(&call.endpoint("yandex_oauth"), path)?,
    ))
}

/// `POST /token` with the client credentials in the body, as OPI sends them.
async fn token_request(call: &Call, grant: Vec<(&str, String)>) -> Result<Value> {
    let args = &call.args;
    let mut form = grant;
    form.push(("client_id", args.str("client_id")?.to_string()));
    form.push(("client_secret", args.str("client_secret")?.to_string()));
    http::send_json(call, &oauth_request(call, "/token")?.form(form)).await
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

fn with_hint(mut error: Error, code: ErrorCode, hint: &str) -> Error {
    if error.code == code {
        error.message = format!("{hint} ({})", error.message);
    }
    error
}

async fn get_confirmation_code(call: Call) -> Result<Value> {
    let mut form = vec![("client_id", call.args.str("client_id")?.to_string())];
    form.extend(device_fields(&call)?);
    if let Some(scope) = scope_text(&call) {
        form.push(("scope", scope));
    }
    // Asking for another code twice is harmless, so a lost answer may be asked for again.
    let request = oauth_request(&call, "/device/code")?.form(form).idempotent(true);
    http::send_json(&call, &request).await
}

async fn convert_code_to_token(call: Call) -> Result<Value> {
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

async fn wait_for_token(call: Call) -> Result<Value> {
    let interval = Duration::from_secs(call.args.opt_u64("interval").unwrap_or(5).max(1));
    let timeout = Duration::from_secs(call.args.opt_u64("timeout_s").unwrap_or(600));
    auth::wait_for_approval(&call, interval, timeout, "WaitForToken", || exchange_device_code(&call)).await
}

/// Refreshes through the shared single-flight slot, so concurrent callers with one refresh
/// token make one request (DESIGN.md §6); `grace` lets callers arriving that long after a
/// rotation share it. Boxed: a refresh sends a request, and sending may ask the call's token
/// session for a header, which may refresh.
pub fn refresh_shared<'a>(
    call: &'a Call,
    client_id: &'a str,
    client_secret: &'a str,
    refresh_token: &'a str,
    grace: Duration,
) -> BoxFuture<'a, Result<TokenSet>> {
    Box::pin(auth::refresh_once(
        vec!["yandex", client_id, client_secret, refresh_token],
        grace,
        move || async move {
            let form = vec![
                ("grant_type", "refresh_token".to_string()),
                ("refresh_token", refresh_token.to_string()),
                ("client_id", client_id.to_string()),
                ("client_secret", client_secret.to_string()),
            ];
            // Not idempotent: a refresh that reached Yandex has already rotated the refresh token.
            let answer = http::send_json(call, &oauth_request(call, "/token")?.form(form)).await.map_err(|error| {
            with_hint(
                error,
                ErrorCode::InvalidGrant,
                "the refresh token was refused (revoked, expired, or already rotated: Yandex replaces it at every refresh, store the new one); sign in again",
            )
        })?;
            call.log(
                crate::log::Level::Info,
                "auth",
                &format!("refreshed the Yandex tokens of client {client_id}"),
            );
            TokenSet::from_json(answer)
        },
    ))
}

async fn refresh_token(call: Call) -> Result<Value> {
    let args = &call.args;
    // Concurrent callers share one refresh; a later call with the rotated-out token is refused
    // by Yandex, as the caller asked the service itself.
    let (id, secret, refresh) = (
        args.str("client_id")?,
        args.str("client_secret")?,
        args.str("refresh_token")?,
    );
    let tokens = refresh_shared(&call, id, secret, refresh, Duration::ZERO).await?;
    call.add_secret(&tokens.access_token);
    Ok(tokens.raw)
}

/// Random URL-safe text for PKCE verifiers and states.
fn random_urlsafe(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).expect("the operating system has no random source");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buffer)
}

async fn form_authorization_link(call: Call) -> Result<Value> {
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
    let mut url = http::url(&call.endpoint("yandex_oauth"), "/authorize")?;
    let mut result = json!({"state": state});
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("response_type", response_type);
        query.append_pair("client_id", args.str("client_id")?);
        for (key, value) in device_fields(&call)? {
            query.append_pair(key, &value);
        }
        if let Some(redirect_uri) = args.opt_str("redirect_uri") {
            query.append_pair("redirect_uri", redirect_uri);
        }
        if let Some(login_hint) = args.opt_str("login_hint") {
            query.append_pair("login_hint", login_hint);
        }
        if let Some(scope) = scope_text(&call) {
            query.append_pair("scope", &scope);
        }
        if args.bool("force_confirm") {
            query.append_pair("force_confirm", "yes");
        }
        query.append_pair("state", &state);
        if response_type == "code" && args.bool("pkce") {
            let verifier = random_urlsafe(32);
            let challenge =
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            query.append_pair("code_challenge", &challenge);
            query.append_pair("code_challenge_method", "S256");
            result["code_verifier"] = json!(verifier);
        }
    }
    result["url"] = json!(url.as_str());
    Ok(result)
}

async fn get_token_by_code(call: Call) -> Result<Value> {
    let mut grant = vec![
        ("grant_type", "authorization_code".to_string()),
        ("code", call.args.str("code")?.to_string()),
    ];
    if let Some(verifier) = call.args.opt_str("code_verifier") {
        grant.push(("code_verifier", verifier.to_string()));
    }
    grant.extend(device_fields(&call)?);
    token_request(&call, grant).await.map_err(|error| {
        with_hint(
            error,
            ErrorCode::InvalidGrant,
            "the code was refused: it is wrong, already used, expired (codes live 10 minutes) or its code_verifier does not match; sign in again",
        )
    })
}

async fn revoke_token(call: Call) -> Result<Value> {
    let args = &call.args;
    let form = vec![
        ("access_token", args.str("access_token")?.to_string()),
        ("client_id", args.str("client_id")?.to_string()),
        ("client_secret", args.str("client_secret")?.to_string()),
    ];
    // Revoking twice answers `ok` both times, so a lost answer may be asked for again.
    let request = oauth_request(&call, "/revoke_token")?.form(form).idempotent(true);
    http::send_json(&call, &request).await
}

async fn get_user_info(call: Call) -> Result<Value> {
    let request = Request::get(
        Service::YandexLogin,
        http::url(&call.endpoint("yandex_login"), "/info")?,
    )
    .query("format", "json")
    .authorized();
    http::send_json(&call, &request).await
}

/// Whom a Yandex 360 service application acts for: an employee by uid or by e-mail.
pub enum Subject {
    UserId(String),
    UserEmail(String),
}

impl Subject {
    /// Exactly one of a uid and an e-mail; `what` names where they came from, for the message.
    pub fn from_pair(user_id: Option<&str>, user_email: Option<&str>, what: &str) -> Result<Subject> {
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
    pub fn from_credentials(subject: &Value) -> Result<Subject> {
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

/// The token-exchange grant (api-protocols.md §1.6), once for every concurrent caller asking for
/// the same employee through the same client and service; a caller arriving after it finished
/// exchanges again, since the token that caller holds may be the one just refused. Boxed, as
/// `refresh_shared` is.
pub fn exchange_shared<'a>(
    call: &'a Call,
    client_id: &'a str,
    client_secret: &'a str,
    subject: &'a Subject,
) -> BoxFuture<'a, Result<TokenSet>> {
    let endpoint = call.endpoint("yandex_oauth");
    Box::pin(async move {
        let key = vec![
            "yandex-exchange",
            endpoint.as_str(),
            client_id,
            client_secret,
            subject.token_type(),
            subject.value(),
        ];
        auth::refresh_once(key, Duration::ZERO, move || async move {
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
            let request = oauth_request(call, "/token")?.form(form).idempotent(true);
            let answer = http::send_json(call, &request).await.map_err(explain_exchange)?;
            call.log(
                crate::log::Level::Info,
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

async fn exchange_token_for_user(call: Call) -> Result<Value> {
    let args = &call.args;
    let subject = Subject::from_pair(args.opt_str("user_id"), args.opt_str("user_email"), "")?;
    let tokens = exchange_shared(&call, args.str("client_id")?, args.str("client_secret")?, &subject).await?;
    call.add_secret(&tokens.access_token);
    Ok(tokens.raw)
}
