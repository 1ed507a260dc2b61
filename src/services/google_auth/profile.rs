//! How Google's sign-in is reached (the consent page at accounts.google.com, the token endpoint
//! at oauth2.googleapis.com) and how it answers: RFC 6749 errors.

use crate::config::Endpoint;
use crate::oauth::{self, RefreshGrant};
use crate::transport::Profile;

pub(crate) const ACCOUNTS_ENDPOINT: Endpoint =
    Endpoint::new("google_accounts", "https://accounts.google.com", "/google-accounts");
pub(crate) const OAUTH_ENDPOINT: Endpoint =
    Endpoint::new("google_oauth", "https://oauth2.googleapis.com", "/google-oauth");

pub(crate) const OAUTH: Profile =
    Profile::new("google_oauth", "Google OAuth", oauth::read_error).classify(oauth::classify);

/// Google keeps the refresh token (the answer carries none), so asking twice is harmless.
pub(crate) const REFRESH: RefreshGrant = RefreshGrant {
    provider: "Google",
    profile: &OAUTH,
    endpoint: &OAUTH_ENDPOINT,
    path: "/token",
    repeatable: true,
    refused_hint: "the refresh token was refused (revoked, expired — an app in \"Testing\" gets 7-day refresh tokens — or issued to another client); sign in again",
};
