//! SASL XOAUTH2 as Yandex takes it for IMAP and SMTP (docs/protocols-mail.md §2.3, §3): base64 of
//! `user=<email>` 0x01 `auth=Bearer <token>` 0x01 0x01, with a token of the sandbox's OAuth
//! server that belongs to that user and carries the protocol's scope.

use base64::Engine;

use crate::accounts::YandexUser;
use crate::state::Shared;
use crate::yandex_oauth::owner_of_token;

pub const SCOPE_IMAP_READ: &str = "mail:imap_ro";
pub const SCOPE_IMAP_FULL: &str = "mail:imap_full";
pub const SCOPE_SMTP: &str = "mail:smtp";

/// Why a login failed; both end in the same answer at Yandex, told apart only in SMTP.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not base64, or not `user=…^Aauth=Bearer …^A^A`.
    Malformed,
    /// Unknown, expired or revoked token, another user's token, or a token without the scope.
    Invalid,
}

/// The decoded initial response: the address and the token.
pub struct Xoauth2 {
    pub user: String,
    pub token: String,
}

pub fn parse(encoded: &[u8]) -> Result<Xoauth2, Refused> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim_ascii())
        .map_err(|_| Refused::Malformed)?;
    let text = String::from_utf8(bytes).map_err(|_| Refused::Malformed)?;
    let text = text.strip_suffix("\u{1}\u{1}").ok_or(Refused::Malformed)?;
    let (user, auth) = text.split_once('\u{1}').ok_or(Refused::Malformed)?;
    let user = user.strip_prefix("user=").ok_or(Refused::Malformed)?;
    let auth = auth.strip_prefix("auth=").ok_or(Refused::Malformed)?;
    let (scheme, token) = auth.split_once(' ').ok_or(Refused::Malformed)?;
    if !scheme.eq_ignore_ascii_case("Bearer") || token.trim().is_empty() || user.is_empty() {
        return Err(Refused::Malformed);
    }
    Ok(Xoauth2 {
        user: user.to_string(),
        token: token.trim().to_string(),
    })
}

/// Who logged in, with what rights.
#[derive(Clone)]
pub struct Login {
    pub user: &'static YandexUser,
    pub scopes: Vec<String>,
    /// Kept to tell whether the token has expired since (setting `mail_session_ends_with_token`).
    pub token: String,
}

impl Login {
    pub fn has(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    pub fn email(&self) -> &'static str {
        self.user.email
    }
}

/// Checks an XOAUTH2 initial response: the token must be valid, belong to the named user
/// (address or login, case-insensitive) and carry one of `scopes`.
pub fn check(state: &Shared, encoded: &[u8], scopes: &[&str]) -> Result<Login, Refused> {
    let request = parse(encoded)?;
    let owner = owner_of_token(state, &request.token).ok_or(Refused::Invalid)?;
    let user = crate::accounts::yandex_user(&owner.uid).ok_or(Refused::Invalid)?;
    let named = request.user.eq_ignore_ascii_case(user.email) || request.user.eq_ignore_ascii_case(user.login);
    if !named || !owner.scopes.iter().any(|s| scopes.contains(&s.as_str())) {
        return Err(Refused::Invalid);
    }
    Ok(Login {
        user,
        scopes: owner.scopes,
        token: request.token,
    })
}

/// Whether the token of a login is still valid.
pub fn still_valid(state: &Shared, login: &Login) -> bool {
    owner_of_token(state, &login.token).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(text: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD.encode(text).into_bytes()
    }

    #[test]
    fn parses_the_documented_string() {
        // The documented example decodes to this (docs/protocols-mail.md §2.3).
        let parsed = parse(&encode("user=test@yandex.ru\u{1}auth=Bearer ArdFfig\u{1}\u{1}")).unwrap();
        assert_eq!(
            (parsed.user.as_str(), parsed.token.as_str()),
            ("test@yandex.ru", "ArdFfig")
        );
    }

    #[test]
    fn refuses_malformed_strings() {
        for bad in [
            "user=a\u{1}auth=Bearer t\u{1}",
            "user=a\u{1}auth=OAuth t\u{1}\u{1}",
            "auth=Bearer t\u{1}user=a\u{1}\u{1}",
            "user=\u{1}auth=Bearer t\u{1}\u{1}",
            "user=a\u{1}auth=Bearer \u{1}\u{1}",
        ] {
            assert_eq!(parse(&encode(bad)).err(), Some(Refused::Malformed), "{bad:?}");
        }
        assert_eq!(parse(b"not base64!").err(), Some(Refused::Malformed));
    }
}
