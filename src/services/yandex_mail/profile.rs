//! How Yandex Mail is reached: IMAP and SMTP with implicit TLS on ports 993 and 465
//! (docs/protocols-mail.md §2.1, §3); the sandbox serves each on a listener of its own.

use crate::config::Endpoint;

pub(crate) const IMAP_ENDPOINT: Endpoint = Endpoint::listener("yandex_imap", "imaps://imap.yandex.com:993", "imap");
pub(crate) const SMTP_ENDPOINT: Endpoint = Endpoint::listener("yandex_smtp", "smtps://smtp.yandex.com:465", "smtp");

/// `error.service` of IMAP and SMTP errors.
pub(super) const SERVICE: &str = "yandex_mail";

/// The message size Yandex's SMTP server announces (`SIZE 42991616`, docs/protocols-mail.md §3).
pub(super) const SIZE_LIMIT: u64 = 42_991_616;
