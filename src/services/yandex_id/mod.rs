//! Yandex ID sign-in (docs/protocols.md §1): the device flow (OPI's GetConfirmationCode and
//! ConvertCodeToToken, plus WaitForToken that polls for the caller), the authorization-code and
//! implicit flows with PKCE, refresh, revoke and login.yandex.ru/info; and the token exchange of
//! Yandex 360 service applications (§1.6), which gives one-hour tokens for an organization's
//! employees.
//!
//! Here: the registry declarations. `profile` says how Yandex OAuth and login.yandex.ru answer,
//! `handlers` runs the sign-in methods, `exchange` the token exchange, and `tokens` renews the
//! `credentials` of every Yandex API method.

mod exchange;
mod handlers;
mod profile;
mod tokens;

use handlers::*;

use crate::schema::{handler, Auth, Method, Origin, Param, ParamType};

pub(crate) use profile::{LOGIN, LOGIN_ENDPOINT, OAUTH_ENDPOINT};
pub(crate) use tokens::token_provider;

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

pub(crate) const METHODS: &[Method] = &[
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
            Param::seconds("interval", "Seconds between polls (`interval` of GetConfirmationCode).").default("5"),
            Param::seconds("timeout_s", "Give up after this many seconds.").default("600"),
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
        handler: handler!(exchange::exchange_token_for_user),
    },
];
