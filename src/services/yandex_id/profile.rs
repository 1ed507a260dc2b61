//! How Yandex OAuth and login.yandex.ru are reached and how they answer.

use crate::config::Endpoint;
use crate::oauth::{self, RefreshGrant};
use crate::transport::{read_error_and_description, Profile};

pub(crate) const OAUTH_ENDPOINT: Endpoint = Endpoint::new("yandex_oauth", "https://oauth.yandex.ru", "/yandex-oauth");
pub(crate) const LOGIN_ENDPOINT: Endpoint = Endpoint::new("yandex_login", "https://login.yandex.ru", "/yandex-login");

/// Yandex OAuth answers errors as RFC 6749 says: `error`, `error_description`.
pub(crate) const OAUTH: Profile =
    Profile::new("yandex_oauth", "Yandex OAuth", oauth::read_error).classify(oauth::classify);

/// login.yandex.ru answers errors as the Disk does: `error`, `description` or `message`.
pub(crate) const LOGIN: Profile = Profile::new("yandex_login", "login.yandex.ru", read_error_and_description);

/// Yandex rotates the refresh token at every refresh: a refresh that may have reached Yandex
/// is not sent again (the lost answer held the only valid refresh token).
pub(crate) const REFRESH: RefreshGrant = RefreshGrant {
    provider: "Yandex",
    profile: &OAUTH,
    endpoint: &OAUTH_ENDPOINT,
    path: "/token",
    repeatable: false,
    refused_hint: "the refresh token was refused (revoked, expired, or already rotated: Yandex replaces it at every refresh, store the new one); sign in again",
};
