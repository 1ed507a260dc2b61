//! YandexMail: the mailbox of a Yandex user (an employee, through a Yandex 360 service
//! application's per-user token) over IMAP and SMTP with SASL XOAUTH2.

mod profile;

pub(crate) use profile::{IMAP_ENDPOINT, SMTP_ENDPOINT};
