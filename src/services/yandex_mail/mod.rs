//! YandexMail: the mailbox of a Yandex user (an employee, through a Yandex 360 service
//! application's per-user token) over IMAP and SMTP with SASL XOAUTH2
//! (docs/protocols-mail.md §2, §3).
//!
//! Here: the registry declarations; `session` finds the mailbox's address and opens an
//! authenticated IMAP session, `folders` lists and counts, `messages` lists and downloads,
//! `backup` (with its state in `backup_state`) backs a mailbox up, `send` sends over SMTP.

mod backup;
mod backup_state;
mod files;
mod folders;
mod messages;
mod profile;
mod send;
mod session;
mod writers;

use backup::*;
use folders::*;
use messages::*;
use send::*;

use crate::schema::{handler, Auth, Method, Origin, Param, ParamType};

pub(crate) use profile::{IMAP_ENDPOINT, SMTP_ENDPOINT};

const MODULE: &str = "YandexMail";

const EMAIL: Param = Param::string(
    "email",
    "The mailbox's address; absent: the credentials' subject.user_email, else the token's user (login.yandex.ru, for tokens with login:email).",
)
.opi("Email", "Почта", "email");
const FOLDER: Param = Param::string(
    "folder",
    "The folder's name as GetFolders shows it (levels separated by `|`).",
)
.opi("Folder", "Папка", "folder")
.default("\"INBOX\"");

pub(crate) const METHODS: &[Method] = &[
    Method {
        module: MODULE,
        name: "GetFolders",
        name_ru: "ПолучитьПапки",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[EMAIL],
        doc: "The mailbox's folders with their counts (IMAP LIST and STATUS; right `mail:imap_ro`). Names are decoded; roles come from the special-use flags, as names depend on the account's language.",
        result: "`{\"email\", \"folders\": [{\"name\", \"flags\", \"delimiter\", \"role\", \"selectable\", \"messages\", \"unseen\", \"uidvalidity\", \"uidnext\"}]}`",
        handler: handler!(get_folders),
    },
    Method {
        module: MODULE,
        name: "GetMessageCount",
        name_ru: "ПолучитьКоличествоПисем",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[
            EMAIL,
            Param::string("folder", "Count this folder only; absent: every selectable folder.").opi("Folder", "Папка", "folder"),
        ],
        doc: "How many messages the mailbox holds, per folder and in total (one IMAP STATUS per folder).",
        result: "`{\"email\", \"total\", \"unseen\", \"folders\": [{\"name\", \"messages\", \"unseen\"}]}`",
        handler: handler!(get_message_count),
    },
    Method {
        module: MODULE,
        name: "GetMessages",
        name_ru: "ПолучитьПисьма",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[
            FOLDER,
            Param::integer("after_uid", "Messages with a greater UID only: the previous page's next_after_uid.")
                .default("0"),
            Param::integer("limit", "At most this many messages (1 to 1000).").default("100"),
            EMAIL,
        ],
        doc: "One page of a folder's messages in UID order: sender, recipients, subject and date decoded from their headers, size and flags. The folder is opened read-only: nothing is marked seen.",
        result: "`{\"email\", \"folder\", \"uidvalidity\", \"uidnext\", \"exists\", \"messages\": [{\"uid\", \"from\", \"to\", \"cc\", \"subject\", \"date\", \"internal_date\", \"size\", \"flags\", \"message_id\"}], \"next_after_uid\"}` (null on the last page)",
        handler: handler!(get_messages),
    },
    Method {
        module: MODULE,
        name: "DownloadMessage",
        name_ru: "СкачатьПисьмо",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[
            FOLDER,
            Param::integer("uid", "The message's UID (GetMessages).").opi("UID", "UID", "uid").required(),
            Param::string(
                "save_path",
                "Local file to write the raw message to (.eml, replaced atomically); absent: the bytes come back as base64 up to transfers.inline_max_bytes.",
            )
            .opi("SavePath", "ПутьСохранения", "out"),
            EMAIL,
        ],
        doc: "One message exactly as the server keeps it (RFC 822), without marking it seen.",
        result: "with save_path `{\"folder\", \"uid\", \"uidvalidity\", \"size\", \"path\"}`; without `{…, \"data_base64\"}`",
        handler: handler!(download_message),
    },
    Method {
        module: MODULE,
        name: "BackupMailbox",
        name_ru: "СохранитьПочтовыйЯщик",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[
            Param::string("local_dir", "The local folder of the backup: one folder per mail folder, one <uid>.eml per message, and the state file .diskbridge-mail-backup.json.")
                .opi("LocalDir", "ЛокальнаяПапка", "local-dir")
                .required(),
            Param::new("folders", ParamType::StringOrArray, "Only these folders (names as GetFolders shows them); absent: every selectable folder.")
                .opi("Folders", "Папки", "folders"),
            EMAIL,
        ],
        doc: "Backs the mailbox up into local_dir, incrementally: a run fetches only the messages that arrived since the last (by UIDVALIDITY and UID), in batches, each written atomically; a folder whose UIDVALIDITY changed is fetched again and its earlier copies kept in old-uidvalidity-<n>/. An interrupted run resumes where it stopped; a broken connection or an expired token opens the session again (credentials are renewed); one folder's problem is listed in `errors` while the others go on. Progress counts messages.",
        result: "`{\"email\", \"local_dir\", \"fetched\", \"bytes\", \"folders\": [{\"name\", \"dir\", \"uidvalidity\", \"last_uid\", \"messages\", \"fetched\", \"resynced\"}], \"errors\": [{\"folder\", \"code\", \"message\"}]}`",
        handler: handler!(backup_mailbox),
    },
    Method {
        module: MODULE,
        name: "SendMessage",
        name_ru: "ОтправитьПисьмо",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[
            Param::new("to", ParamType::StringOrArray, "Recipients: an address, comma-separated addresses or an array.")
                .opi("Recipients", "Получатели", "to"),
            Param::string("subject", "The subject.").opi("Subject", "Тема", "subject"),
            Param::string("text", "The plain-text body (give text, html or both).").opi("Text", "Текст", "text"),
            Param::string("html", "The HTML body.").opi("HTML", "HTML", "html"),
            Param::new("attachments", ParamType::StringOrArray, "Local files to attach: a path or an array of paths.")
                .opi("Attachments", "Вложения", "attachments"),
            Param::new("cc", ParamType::StringOrArray, "Copy recipients.").opi("CC", "Копия", "cc"),
            Param::new("bcc", ParamType::StringOrArray, "Blind copy recipients (in the envelope only, never in the message).")
                .opi("BCC", "СкрытаяКопия", "bcc"),
            Param::string("from", "The sender's address; absent: the mailbox's. The server refuses an address the user does not own.")
                .opi("From", "Отправитель", "from"),
            EMAIL,
        ],
        doc: "Sends a message over SMTP with XOAUTH2 (right `mail:smtp`): text and/or HTML, file attachments. Its size is checked against the server's limit (41 MiB at Yandex) before anything is sent. The server files it in the sender's Sent folder.",
        result: "`{\"message_id\", \"from\", \"recipients\", \"size\", \"queued\"}`",
        handler: handler!(send_message),
    },
];
