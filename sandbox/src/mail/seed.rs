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

/// The seeded messages: the index of their folder in the layout, date, flags and bytes.
fn messages(user: &YandexUser, colleague: &YandexUser) -> Vec<(usize, i64, Flags, Vec<u8>)> {
    let me = address(user);
    let them = address(colleague);
    let news = "\"Yandex 360\" <news@360.yandex.ru>";
    let hour = 3600;
    let seen = |bits: u8| Flags {
        system: bits,
        keywords: Vec::new(),
    };
    let m = |n: u32, from: &str, to: &str, subject: &str, date: i64, part: Part| Letter {
        id: format!("{}.{n}", user.login),
        from: from.to_string(),
        to: to.to_string(),
        subject: subject.to_string(),
        date,
        part,
    };
    let old = BASE_DATE - 9 * 365 * 86_400;
    let letters = [
        (
            0,
            seen(SEEN),
            m(
                1,
                &them,
                &me,
                "Квартальный отчёт",
                BASE_DATE - 50 * hour,
                Part::Plain("Привет!\r\nОтчёт за квартал во вложении следующего письма.\r\n"),
            ),
        ),
        (
            0,
            seen(SEEN | FLAGGED),
            m(
                2,
                news,
                &me,
                "Welcome to Yandex 360",
                BASE_DATE - 26 * hour,
                Part::Html(
                    "Welcome to Yandex 360 for Business.",
                    "<p>Welcome to <b>Yandex 360</b> for Business.</p>",
                ),
            ),
        ),
        (
            0,
            seen(0),
            m(
                3,
                &them,
                &me,
                "Отчёт: вложение",
                BASE_DATE - 2 * hour,
                Part::Attachment("Файл во вложении.", "report.pdf"),
            ),
        ),
        (
            0,
            seen(0),
            m(
                4,
                &them,
                &me,
                "Meeting tomorrow",
                BASE_DATE,
                Part::Plain("Shall we meet at 11:00?\r\n"),
            ),
        ),
        (
            1,
            seen(SEEN),
            m(
                5,
                &me,
                &them,
                "Re: Квартальный отчёт",
                BASE_DATE - 49 * hour,
                Part::Plain("Спасибо, получил.\r\n"),
            ),
        ),
        (
            3,
            seen(0),
            m(
                6,
                "\"Lottery\" <win@spam.example>",
                &me,
                "You have won",
                BASE_DATE - 5 * hour,
                Part::Plain("Claim your prize.\r\n"),
            ),
        ),
        (
            4,
            seen(SEEN),
            m(
                7,
                &them,
                &me,
                "Old notice",
                BASE_DATE - 100 * hour,
                Part::Plain("This can go.\r\n"),
            ),
        ),
        (
            5,
            seen(SEEN | DRAFT),
            m(
                8,
                &me,
                &them,
                "Черновик письма",
                BASE_DATE - hour,
                Part::Plain("Не дописано…\r\n"),
            ),
        ),
        (
            7,
            seen(SEEN),
            m(9, &them, &me, "New Year 2017", old, Part::Plain("Happy New Year!\r\n")),
        ),
        (
            7,
            seen(SEEN),
            m(
                10,
                &me,
                &them,
                "Re: New Year 2017",
                old + hour,
                Part::Plain("And to you!\r\n"),
            ),
        ),
        (
            10,
            seen(SEEN),
            m(
                11,
                &them,
                &me,
                "Проект «Альфа»",
                BASE_DATE - 30 * hour,
                Part::Plain("План проекта.\r\n"),
            ),
        ),
        (
            11,
            seen(0),
            m(
                12,
                &them,
                &me,
                "Report \"2026\" draft",
                BASE_DATE - 3 * hour,
                Part::Plain("Numbers for 2026.\r\n"),
            ),
        ),
    ];
    letters
        .into_iter()
        .map(|(slot, flags, letter)| (slot, letter.date, flags, letter.render()))
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
