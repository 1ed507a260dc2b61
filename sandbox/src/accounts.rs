//! Built-in accounts: OAuth clients, people and the Yandex 360 organization. Every sandbox starts
//! with these; `GET /_sandbox/accounts` lists them.

use serde_json::{json, Value};

/// The Yandex OAuth client of docs/design.md §8.
pub const YANDEX_CLIENT_ID: &str = "sandbox-yandex-client";
pub const YANDEX_CLIENT_SECRET: &str = "sandbox-yandex-secret";
/// A second Yandex client, meant to be registered as a Yandex 360 service application.
pub const YANDEX_SERVICE_CLIENT_ID: &str = "sandbox-yandex-service-app";
pub const YANDEX_SERVICE_CLIENT_SECRET: &str = "sandbox-yandex-service-secret";
/// The Google OAuth client of docs/design.md §8.
pub const GOOGLE_CLIENT_ID: &str = "sandbox-google-client.apps.googleusercontent.com";
pub const GOOGLE_CLIENT_SECRET: &str = "sandbox-google-secret";

/// The page a console app registers as its redirect URI; the sandbox serves its own copy.
pub const YANDEX_VERIFICATION_CODE_URI: &str = "https://oauth.yandex.ru/verification_code";

pub struct YandexClient {
    pub id: &'static str,
    pub secret: &'static str,
    /// Rights the client was registered with; a request for anything else is `invalid_scope`.
    pub scopes: &'static [&'static str],
    /// Registered redirect URIs; the first one is used when the requested one does not match.
    pub redirect_uris: &'static [&'static str],
}

const YANDEX_USER_SCOPES: &[&str] = &[
    "cloud_api:disk.read",
    "cloud_api:disk.write",
    "cloud_api:disk.app_folder",
    "cloud_api:disk.info",
    "login:info",
    "login:email",
    "directory:read_organization",
    "directory:read_users",
    "ya360_security:service_applications_read",
    "ya360_security:service_applications_write",
    "mail:imap_ro",
    "mail:imap_full",
    "mail:smtp",
    "calendar:all",
    "telemost-api:conferences.create",
    "telemost-api:conferences.read",
    "telemost-api:conferences.update",
];

pub const YANDEX_CLIENTS: &[YandexClient] = &[
    YandexClient {
        id: YANDEX_CLIENT_ID,
        secret: YANDEX_CLIENT_SECRET,
        scopes: YANDEX_USER_SCOPES,
        redirect_uris: &[YANDEX_VERIFICATION_CODE_URI, "http://localhost/callback"],
    },
    YandexClient {
        id: YANDEX_SERVICE_CLIENT_ID,
        secret: YANDEX_SERVICE_CLIENT_SECRET,
        scopes: &[
            "cloud_api:disk.read",
            "cloud_api:disk.write",
            "cloud_api:disk.info",
            "login:info",
            "mail:imap_ro",
            "mail:imap_full",
            "mail:smtp",
            "calendar:all",
            "telemost-api:conferences.create",
            "telemost-api:conferences.read",
            "telemost-api:conferences.update",
        ],
        redirect_uris: &[YANDEX_VERIFICATION_CODE_URI],
    },
];

pub fn yandex_client(id: &str) -> Option<&'static YandexClient> {
    YANDEX_CLIENTS.iter().find(|c| c.id == id)
}

/// A person with a Yandex account.
pub struct YandexUser {
    pub uid: &'static str,
    pub login: &'static str,
    pub display_name: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub email: &'static str,
    /// Member of the sandbox's Yandex 360 organization.
    pub in_org: bool,
}

/// The first user is the default one: who consents in the browser pages, and the organization's
/// owner. The last one is outside the organization.
pub const YANDEX_USERS: &[YandexUser] = &[
    YandexUser {
        uid: "1130000000000001",
        login: "sandbox-owner",
        display_name: "Sandbox Owner",
        first_name: "Sandbox",
        last_name: "Owner",
        email: "owner@sandbox-org.ru",
        in_org: true,
    },
    YandexUser {
        uid: "1130000000000002",
        login: "ivan.petrov",
        display_name: "Иван Петров",
        first_name: "Иван",
        last_name: "Петров",
        email: "ivan.petrov@sandbox-org.ru",
        in_org: true,
    },
    YandexUser {
        uid: "1130000000000003",
        login: "maria.ivanova",
        display_name: "Мария Иванова",
        first_name: "Мария",
        last_name: "Иванова",
        email: "maria.ivanova@sandbox-org.ru",
        in_org: true,
    },
    YandexUser {
        uid: "1130000000000099",
        login: "outsider",
        display_name: "Outside Person",
        first_name: "Outside",
        last_name: "Person",
        email: "outsider@yandex.ru",
        in_org: false,
    },
];

pub fn default_yandex_user() -> &'static YandexUser {
    &YANDEX_USERS[0]
}

pub fn yandex_user(uid: &str) -> Option<&'static YandexUser> {
    YANDEX_USERS.iter().find(|u| u.uid == uid)
}

/// The Yandex 360 organization, owned by the default user.
pub const ORG_ID: u64 = 7_654_321;
pub const ORG_NAME: &str = "Sandbox Org";

pub fn describe() -> Value {
    json!({
        "yandex_clients": YANDEX_CLIENTS.iter().map(|c| json!({
            "client_id": c.id,
            "client_secret": c.secret,
            "scopes": c.scopes,
            "redirect_uris": c.redirect_uris,
        })).collect::<Vec<_>>(),
        "yandex_users": YANDEX_USERS.iter().map(|u| json!({
            "uid": u.uid,
            "login": u.login,
            "email": u.email,
            "display_name": u.display_name,
            "in_org": u.in_org,
        })).collect::<Vec<_>>(),
        "yandex_360_org": {"id": ORG_ID, "name": ORG_NAME, "owner_uid": default_yandex_user().uid},
        "google_client": {"client_id": GOOGLE_CLIENT_ID, "client_secret": GOOGLE_CLIENT_SECRET},
    })
}

/// The secrets every sandbox knows from the start.
pub fn builtin_secrets() -> Vec<&'static str> {
    let mut secrets: Vec<&str> = YANDEX_CLIENTS.iter().map(|c| c.secret).collect();
    secrets.push(GOOGLE_CLIENT_SECRET);
    secrets
}
