//! The mailboxes every sandbox starts with. Employees with Russian names get a Russian-language
//! mailbox (the folder names of a real one, docs/protocols-mail.md §2.4), the owner and the
//! outsider an English one; both have a `\Noselect` container and a folder whose name needs an
//! IMAP literal. Twelve messages each: plain, HTML, with an attachment, Cyrillic headers.

use std::sync::Arc;

use base64::Engine;

use super::dates::rfc5322;
use super::model::{Body, Flags, Folder, Mailbox, Role, DRAFT, FLAGGED, SEEN};
use crate::accounts::{self, YandexUser};

/// 2026-03-02 10:00:05 Moscow time: the seeded messages are dated from here.
pub const BASE_DATE: i64 = 1_772_434_805;
/// UIDVALIDITY of the first seeded folder; the others follow.
pub const BASE_UIDVALIDITY: u32 = 1_600_000_000;
/// The first UID in INBOX: older mail was removed long ago, as in a real mailbox.
pub const FIRST_INBOX_UID: u32 = 101;

/// Folder names of a mailbox, in the order of its LIST: name, role, selectable.
type Layout = [(&'static str, Option<Role>, bool); 12];

const RUSSIAN: Layout = [
    ("INBOX", Some(Role::Inbox), true),
    ("Отправленные", Some(Role::Sent), true),
    ("Исходящие", Some(Role::Outbox), true),
    ("Спам", Some(Role::Junk), true),
    ("Удаленные", Some(Role::Trash), true),
    ("Черновики", Some(Role::Drafts), true),
    ("Archives", None, true),
    ("Archives|2017", None, true),
    ("Templates", None, true),
    ("Проекты", None, false),
    ("Проекты|Альфа", None, true),
    ("Отчёты \"2026\"", None, true),
];

/// [unverified] `Outbox` and `Archive`: docs/protocols-mail.md §2.4.
const ENGLISH: Layout = [
    ("INBOX", Some(Role::Inbox), true),
    ("Sent", Some(Role::Sent), true),
    ("Outbox", Some(Role::Outbox), true),
    ("Spam", Some(Role::Junk), true),
    ("Trash", Some(Role::Trash), true),
    ("Drafts", Some(Role::Drafts), true),
    ("Archive", None, true),
    ("Archive|2017", None, true),
    ("Templates", None, true),
    ("Projects", None, false),
    ("Projects|Alpha", None, true),
    ("Reports \"2026\"", None, true),
];

/// Whether a user's mailbox is Russian-language (their name is written in Cyrillic).
pub fn is_russian(user: &YandexUser) -> bool {
    !user.display_name.is_ascii()
}

pub fn mailbox(user: &YandexUser) -> Mailbox {
    let layout = if is_russian(user) { &RUSSIAN } else { &ENGLISH };
    let mut folders: Vec<Folder> = layout
        .iter()
        .enumerate()
        .map(|(index, (name, role, selectable))| {
            let mut folder = Folder::new(name, *role, BASE_UIDVALIDITY + index as u32);
            folder.noselect = !selectable;
            folder
        })
        .collect();
    folders[0].uidnext = FIRST_INBOX_UID;
    let colleague = accounts::YANDEX_USERS
        .iter()
        .find(|u| u.in_org && u.uid != user.uid)
        .unwrap_or(user);
    for (slot, date, flags, bytes) in messages(user, colleague) {
        folders[slot].append(date, flags, Body::Stored(Arc::new(bytes)));
    }
    Mailbox {
        email: user.email.to_string(),
        folders,
    }
}

/// Who sent a seeded message (the recipient is the other party, the user for outsiders).
#[derive(Clone, Copy)]
enum Sender {
    Me,
    Colleague,
    News,
    Spammer,
}

/// One seeded message: its folder's index in the layout, flags, sender, subject, how many hours
/// before [`BASE_DATE`] it was sent (`OLD` for 2017), and its content.
type Seeded = (usize, u8, Sender, &'static str, i64, Part);

/// Hours before [`BASE_DATE`] that land on New Year's Eve 2017.
const OLD: i64 = 9 * 365 * 24;

#[rustfmt::skip]
const SEEDED: [Seeded; 12] = [
    (0, SEEN, Sender::Colleague, "Квартальный отчёт", 50, Part::Plain("Привет!\r\nОтчёт за квартал во вложении следующего письма.\r\n")),
    (0, SEEN | FLAGGED, Sender::News, "Welcome to Yandex 360", 26,
        Part::Html("Welcome to Yandex 360 for Business.", "<p>Welcome to <b>Yandex 360</b> for Business.</p>")),
    (0, 0, Sender::Colleague, "Отчёт: вложение", 2, Part::Attachment("Файл во вложении.", "report.pdf")),
    (0, 0, Sender::Colleague, "Meeting tomorrow", 0, Part::Plain("Shall we meet at 11:00?\r\n")),
    (1, SEEN, Sender::Me, "Re: Квартальный отчёт", 49, Part::Plain("Спасибо, получил.\r\n")),
    (3, 0, Sender::Spammer, "You have won", 5, Part::Plain("Claim your prize.\r\n")),
    (4, SEEN, Sender::Colleague, "Old notice", 100, Part::Plain("This can go.\r\n")),
    (5, SEEN | DRAFT, Sender::Me, "Черновик письма", 1, Part::Plain("Не дописано…\r\n")),
    (7, SEEN, Sender::Colleague, "New Year 2017", OLD, Part::Plain("Happy New Year!\r\n")),
    (7, SEEN, Sender::Me, "Re: New Year 2017", OLD - 1, Part::Plain("And to you!\r\n")),
    (10, SEEN, Sender::Colleague, "Проект «Альфа»", 30, Part::Plain("План проекта.\r\n")),
    (11, 0, Sender::Colleague, "Report \"2026\" draft", 3, Part::Plain("Numbers for 2026.\r\n")),
];

/// The seeded messages: the index of their folder in the layout, date, flags and bytes.
fn messages(user: &YandexUser, colleague: &YandexUser) -> Vec<(usize, i64, Flags, Vec<u8>)> {
    let (me, them) = (address(user), address(colleague));
    SEEDED
        .iter()
        .enumerate()
        .map(|(index, (slot, bits, sender, subject, hours, part))| {
            let (from, to) = match sender {
                Sender::Me => (me.as_str(), them.as_str()),
                Sender::Colleague => (them.as_str(), me.as_str()),
                Sender::News => ("\"Yandex 360\" <news@360.yandex.ru>", me.as_str()),
                Sender::Spammer => ("\"Lottery\" <win@spam.example>", me.as_str()),
            };
            let letter = Letter {
                id: format!("{}.{}", user.login, index + 1),
                from: from.to_string(),
                to: to.to_string(),
                subject: subject.to_string(),
                date: BASE_DATE - hours * 3600,
                part: *part,
            };
            let flags = Flags {
                system: *bits,
                keywords: Vec::new(),
            };
            (*slot, letter.date, flags, letter.render())
        })
        .collect()
}

fn address(user: &YandexUser) -> String {
    format!("{} <{}>", encode_word(user.display_name), user.email)
}

/// An RFC 2047 encoded word for non-ASCII header text.
pub fn encode_word(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    format!("=?UTF-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(text))
}

#[derive(Clone, Copy)]
enum Part {
    Plain(&'static str),
    Html(&'static str, &'static str),
    Attachment(&'static str, &'static str),
}

struct Letter {
    id: String,
    from: String,
    to: String,
    subject: String,
    date: i64,
    part: Part,
}

impl Letter {
    fn render(&self) -> Vec<u8> {
        let mut text = format!(
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{}@sandbox-org.ru>\r\nMIME-Version: 1.0\r\n",
            self.from,
            self.to,
            encode_word(&self.subject),
            rfc5322(self.date),
            self.id
        );
        let boundary = format!("----=_Part_{}", self.id);
        match &self.part {
            Part::Plain(body) => {
                text.push_str("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
                text.push_str(body);
            }
            Part::Html(plain, html) => {
                text.push_str(&format!(
                    "Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n\
                     --{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{plain}\r\n\
                     --{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n\
                     --{boundary}--\r\n"
                ));
            }
            Part::Attachment(note, file) => {
                let data = base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4\n% sandbox attachment\n%%EOF\n");
                text.push_str(&format!(
                    "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n\
                     --{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{note}\r\n\
                     --{boundary}\r\nContent-Type: application/pdf; name=\"{file}\"\r\n\
                     Content-Disposition: attachment; filename=\"{file}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{data}\r\n\
                     --{boundary}--\r\n"
                ));
            }
        }
        text.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_and_english_mailboxes() {
        let ivan = accounts::yandex_user("1130000000000002").unwrap();
        let owner = accounts::default_yandex_user();
        let russian = mailbox(ivan);
        let english = mailbox(owner);
        assert_eq!(russian.folders[1].name, "Отправленные");
        assert_eq!(english.folders[1].name, "Sent");
        for mailbox in [&russian, &english] {
            let count: usize = mailbox.folders.iter().map(|f| f.messages.len()).sum();
            assert_eq!(count, 12);
            assert_eq!(mailbox.folders[0].messages[0].uid, FIRST_INBOX_UID);
            assert_eq!(mailbox.folders[0].messages.len(), 4);
            assert!(mailbox.folders[9].noselect && mailbox.folders[9].messages.is_empty());
            let mut uidvalidities: Vec<u32> = mailbox.folders.iter().map(|f| f.uidvalidity).collect();
            uidvalidities.dedup();
            assert_eq!(uidvalidities.len(), 12);
        }
        let text = String::from_utf8(russian.folders[0].messages[2].body.to_vec()).unwrap();
        assert!(text.contains("Subject: =?UTF-8?B?"));
        assert!(text.contains("filename=\"report.pdf\""));
        assert!(text.contains("To: =?UTF-8?B?"));
    }
}
