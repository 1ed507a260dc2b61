//! Google sign-in (docs/protocols.md §3): OPI's four functions (FormCodeRetrievalLink,
//! GetTokenByCode, RefreshToken, GetServiceAccountToken) and what OPI lacks: a loopback sign-in
//! that catches the redirect itself and exchanges the code at once, the device flow with polling,
//! and revocation.
//!
//! OPI's users copy `code=` out of the browser's address bar and must exchange it within seconds
//! (Google's copy-paste OOB flow is gone). StartLoopbackAuthorization listens on 127.0.0.1 and
//! exchanges the code the moment the browser delivers it, so there is no race to lose.
//!
//! Here: the registry declarations. `profile` says how Google OAuth answers, `handlers` runs the
//! code, refresh, device and revoke methods, `service_account` signs JWT assertions, `loopback`
//! is the sign-in listener, and `tokens` renews the `credentials` of every Google API method.

mod handlers;
mod loopback;
mod profile;
mod service_account;
mod tokens;

use handlers::*;
use loopback::{complete_loopback_authorization, start_loopback_authorization};
use service_account::get_service_account_token;

use crate::schema::{handler, Auth, Method, Origin, Param, ParamType};

pub(crate) use profile::{ACCOUNTS_ENDPOINT, OAUTH_ENDPOINT};
pub(crate) use tokens::token_provider;

const MODULE: &str = "GoogleWorkspace";

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

pub(crate) const METHODS: &[Method] = &[
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
            Param::seconds("timeout_s", "How long the listener waits for the person.").default("300"),
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
            Param::seconds("timeout_s", "Wait at most this long (the session keeps waiting after a timeout); absent: until the session ends."),
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
            Param::seconds("interval", "Seconds between polls (`interval` of GetDeviceCode).").default("5"),
            Param::seconds("timeout_s", "Give up after this many seconds.").default("1800"),
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
