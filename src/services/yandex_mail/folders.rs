//! GetFolders and GetMessageCount: `LIST "" "*"` and one STATUS per selectable folder
//! (docs/protocols-mail.md §2.4, §2.5). Names are decoded from modified UTF-7; `|` separates
//! levels, as Yandex lists them.

use serde_json::{json, Value};

use super::session::{address, open};
use crate::error::{Error, ErrorCode, Result};
use crate::mail::imap::{self, quote_folder, Session};
use crate::mail::mutf7;
use crate::schema::Call;

/// A folder as LIST shows it.
#[derive(Debug, Clone)]
pub(super) struct Folder {
    pub name: String,
    pub flags: Vec<String>,
    pub delimiter: Option<String>,
}

impl Folder {
    pub(super) fn selectable(&self) -> bool {
        !self
            .flags
            .iter()
            .any(|f| f.eq_ignore_ascii_case("\\Noselect") || f.eq_ignore_ascii_case("\\NonExistent"))
    }

    /// The folder's role by its special-use flag (names depend on the account's language).
    fn role(&self) -> Option<&'static str> {
        if self.name.eq_ignore_ascii_case("INBOX") {
            return Some("inbox");
        }
        let roles = [
            ("\\Sent", "sent"),
            ("\\Drafts", "drafts"),
            ("\\Junk", "junk"),
            ("\\Trash", "trash"),
            ("\\Archive", "archive"),
        ];
        roles
            .iter()
            .find(|(flag, _)| self.flags.iter().any(|f| f.eq_ignore_ascii_case(flag)))
            .map(|(_, role)| *role)
    }
}

/// What STATUS tells of a folder.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Counts {
    pub messages: u64,
    pub unseen: u64,
    pub uidvalidity: u64,
    pub uidnext: u64,
}

/// Every folder of the mailbox, in the server's order.
pub(super) async fn list(session: &mut Session) -> Result<Vec<Folder>> {
    let mut folders = Vec::new();
    session
        .run_ok("LIST \"\" \"*\"", "listing the folders", |untagged| {
            if untagged.name() != "LIST" {
                return Ok(());
            }
            let values = &untagged.values;
            let flags = values.get(1).and_then(imap::Value::list).unwrap_or(&[]);
            let flags = flags.iter().filter_map(imap::Value::atom).map(String::from).collect();
            let delimiter = values.get(2).and_then(imap::Value::text).filter(|d| !d.is_empty());
            let encoded = values
                .get(3)
                .and_then(imap::Value::text)
                .ok_or_else(|| Error::new(ErrorCode::InvalidResponse, "a LIST response without a folder name"))?;
            let name = mutf7::decode(&encoded).unwrap_or(encoded);
            folders.push(Folder { name, flags, delimiter });
            Ok(())
        })
        .await?;
    Ok(folders)
}

/// STATUS of one folder.
pub(super) async fn status(session: &mut Session, name: &str) -> Result<Counts> {
    let mut counts = Counts::default();
    let command = format!("STATUS {} (MESSAGES UNSEEN UIDVALIDITY UIDNEXT)", quote_folder(name));
    session
        .run_ok(&command, &format!("STATUS of folder `{name}`"), |untagged| {
            if untagged.name() != "STATUS" {
                return Ok(());
            }
            let items = untagged.values.get(2).and_then(imap::Value::list).unwrap_or(&[]);
            for pair in items.chunks(2) {
                let (Some(key), Some(value)) = (pair[0].atom(), pair.get(1).and_then(imap::Value::number)) else {
                    continue;
                };
                match key.to_ascii_uppercase().as_str() {
                    "MESSAGES" => counts.messages = value,
                    "UNSEEN" => counts.unseen = value,
                    "UIDVALIDITY" => counts.uidvalidity = value,
                    "UIDNEXT" => counts.uidnext = value,
                    _ => {}
                }
            }
            Ok(())
        })
        .await?;
    Ok(counts)
}

fn folder_json(folder: &Folder, counts: Option<Counts>) -> Value {
    let mut shown = json!({
        "name": folder.name,
        "flags": folder.flags,
        "delimiter": folder.delimiter,
        "role": folder.role(),
        "selectable": folder.selectable(),
    });
    if let Some(counts) = counts {
        shown["messages"] = json!(counts.messages);
        shown["unseen"] = json!(counts.unseen);
        shown["uidvalidity"] = json!(counts.uidvalidity);
        shown["uidnext"] = json!(counts.uidnext);
    }
    shown
}

pub(super) async fn get_folders(call: Call) -> Result<Value> {
    let email = address(&call).await?;
    let mut session = open(&call.ctx, &email).await?;
    let folders = list(&mut session).await?;
    let mut shown = Vec::with_capacity(folders.len());
    for folder in &folders {
        call.ctx.progress.check()?;
        let counts = match folder.selectable() {
            true => Some(status(&mut session, &folder.name).await?),
            false => None,
        };
        shown.push(folder_json(folder, counts));
    }
    session.logout().await;
    Ok(json!({"email": email, "folders": shown}))
}

pub(super) async fn get_message_count(call: Call) -> Result<Value> {
    let email = address(&call).await?;
    let mut session = open(&call.ctx, &email).await?;
    let chosen = call.args.opt_str("folder").map(String::from);
    let folders = match &chosen {
        Some(name) => vec![Folder {
            name: name.clone(),
            flags: Vec::new(),
            delimiter: None,
        }],
        None => list(&mut session).await?,
    };
    let (mut total, mut unseen, mut counted) = (0, 0, Vec::new());
    for folder in folders.iter().filter(|f| f.selectable()) {
        call.ctx.progress.check()?;
        let counts = status(&mut session, &folder.name).await?;
        total += counts.messages;
        unseen += counts.unseen;
        counted.push(json!({"name": folder.name, "messages": counts.messages, "unseen": counts.unseen}));
    }
    session.logout().await;
    Ok(json!({"email": email, "total": total, "unseen": unseen, "folders": counted}))
}
