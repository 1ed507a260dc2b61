//! Folder commands (docs/protocols-mail.md §2.4–2.5): LIST/LSUB/XLIST with Yandex's attributes,
//! SELECT/EXAMINE in the RFC's order, STATUS, CREATE/DELETE/RENAME/SUBSCRIBE, CLOSE/UNSELECT,
//! and the untagged EXISTS/EXPUNGE that tell a session about changes made elsewhere.

use super::super::auth::SCOPE_IMAP_FULL;
use super::super::model::{same_name, Folder, Mailbox, Role, DELETED, DELIMITER};
use super::super::{mutf7, MAX_FOLDERS};
use super::parse::Parser;
use super::respond::{completed, mailbox as wire_name};
use super::{refusal, Done, Outcome, Selected, Session, Stop};
use crate::wire::Stream;

/// What SELECT reports about a folder.
struct Summary {
    exists: usize,
    first_unseen: Option<usize>,
    uidvalidity: u32,
    uidnext: u32,
    keywords: Vec<String>,
    uids: Vec<u32>,
}

impl Summary {
    fn of(folder: &Folder) -> Summary {
        let mut keywords: Vec<String> = Vec::new();
        for message in &folder.messages {
            for keyword in &message.flags.keywords {
                if !keywords.contains(keyword) && keywords.len() < 64 {
                    keywords.push(keyword.clone());
                }
            }
        }
        Summary {
            exists: folder.messages.len(),
            first_unseen: folder
                .messages
                .iter()
                .position(|m| !m.flags.has(super::super::model::SEEN)),
            uidvalidity: folder.uidvalidity,
            uidnext: folder.uidnext,
            keywords,
            uids: folder.messages.iter().map(|m| m.uid).collect(),
        }
    }
}

/// Whether an encoded name matches a LIST pattern: `*` any text, `%` any text but the
/// delimiter (RFC 3501 §6.3.8).
fn wildcard(pattern: &[u8], name: &[u8]) -> bool {
    let close = |states: &mut Vec<bool>| {
        for i in 0..pattern.len() {
            if states[i] && matches!(pattern[i], b'*' | b'%') {
                states[i + 1] = true;
            }
        }
    };
    let mut current = vec![false; pattern.len() + 1];
    current[0] = true;
    close(&mut current);
    for &c in name {
        let mut next = vec![false; pattern.len() + 1];
        for i in (0..pattern.len()).filter(|&i| current[i]) {
            match pattern[i] {
                b'*' => next[i] = true,
                b'%' if c != DELIMITER as u8 => next[i] = true,
                b'%' => {}
                p if p == c => next[i + 1] = true,
                _ => {}
            }
        }
        close(&mut next);
        current = next;
    }
    current[pattern.len()]
}

fn list_matches(pattern: &[u8], folder: &Folder) -> bool {
    let encoded = mutf7::encode(&folder.name);
    wildcard(pattern, encoded.as_bytes()) || (folder.is_inbox() && wildcard(&pattern.to_ascii_uppercase(), b"INBOX"))
}

/// `(\Unmarked \HasNoChildren \Sent)`: marked when it holds unseen mail; INBOX `\NoInferiors`.
fn attributes(mailbox: &Mailbox, folder: &Folder) -> String {
    let mut attributes = vec![if folder.unseen() > 0 { "\\Marked" } else { "\\Unmarked" }];
    if folder.noselect {
        attributes.push("\\Noselect");
    }
    if folder.is_inbox() {
        attributes.push("\\NoInferiors");
    } else if mailbox.has_children(&folder.name) {
        attributes.push("\\HasChildren");
    } else {
        attributes.push("\\HasNoChildren");
    }
    attributes.extend(folder.role.and_then(Role::attribute));
    attributes.join(" ")
}

impl<S: Stream> Session<S> {
    /// The logged-in user's uid (every caller runs after authentication).
    pub(super) fn owner(&self) -> &'static str {
        self.login.as_ref().map_or("", |l| l.user.uid)
    }

    /// NO unless the token carries `mail:imap_full` ([unverified] the wording,
    /// docs/protocols-mail.md §2.5).
    pub(super) fn need_full(&self, command: &str) -> Option<Done> {
        let full = self.login.as_ref().is_some_and(|l| l.has(SCOPE_IMAP_FULL));
        (!full).then(|| Done::No(format!("[NOPERM] {command} Access denied")))
    }

    /// A mailbox argument, decoded from modified UTF-7.
    pub(super) fn folder_arg(parser: &mut Parser<'_>) -> Result<Option<String>, Stop> {
        let raw = parser.astring()?;
        Ok(mutf7::decode(&raw))
    }

    pub(super) async fn select(&mut self, name: &str, parser: &mut Parser<'_>) -> Outcome {
        parser.space()?;
        let folder = Self::folder_arg(parser)?;
        parser.end()?;
        self.selected = None;
        let Some(folder) = folder else {
            return Ok(Done::No(format!("{name} Folder encoding error")));
        };
        let found = self.state.mail.read(self.owner(), |mb| {
            mb.folder(&folder).map(|f| (f.noselect, f.name.clone(), Summary::of(f)))
        });
        let (noselect, folder, summary) = match found.flatten() {
            None => return Ok(Done::No(format!("[NONEXISTENT] {name} No such folder"))),
            Some((true, ..)) => return Ok(Done::No(format!("{name} Nonselectable folder"))),
            Some(found) => found,
        };
        let _ = noselect;
        let read_only = name == "EXAMINE" || self.need_full(name).is_some();
        let mut flags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft".to_string();
        for keyword in &summary.keywords {
            flags.push(' ');
            flags.push_str(keyword);
        }
        let mut lines = vec![format!("* FLAGS ({flags})")];
        lines.push(if read_only {
            "* OK [PERMANENTFLAGS ()] No permanent flags permitted".to_string()
        } else {
            format!("* OK [PERMANENTFLAGS ({flags} \\*)] Limited")
        });
        lines.push(format!("* {} EXISTS", summary.exists));
        lines.push("* 0 RECENT".into());
        if let Some(index) = summary.first_unseen {
            lines.push(format!("* OK [UNSEEN {}] First unseen.", index + 1));
        }
        lines.push(format!("* OK [UIDVALIDITY {}] UIDs valid", summary.uidvalidity));
        lines.push(format!("* OK [UIDNEXT {}] Predicted next UID", summary.uidnext));
        for line in lines {
            self.send(line.as_bytes()).await?;
        }
        self.selected = Some(Selected {
            name: folder,
            uidvalidity: summary.uidvalidity,
            uids: summary.uids,
            read_only,
        });
        let mode = if read_only { "READ-ONLY" } else { "READ-WRITE" };
        Ok(Done::Ok(format!("[{mode}] {name} Completed.")))
    }

    pub(super) async fn list(&mut self, name: &str, parser: &mut Parser<'_>) -> Outcome {
        parser.space()?;
        let reference = parser.astring()?;
        parser.space()?;
        let pattern = parser.list_mailbox()?;
        parser.end()?;
        if pattern.is_empty() {
            self.send(format!("* {name} (\\Noselect) \"|\" \"\"").as_bytes())
                .await?;
            return Ok(Done::Ok(completed(name)));
        }
        let pattern = [reference, pattern].concat();
        if pattern.len() > 1024 {
            return Err(Stop::Syntax("Pattern is too long".into()));
        }
        let subscribed_only = name == "LSUB";
        let lines = self
            .state
            .mail
            .read(self.owner(), |mb| {
                mb.folders
                    .iter()
                    .filter(|f| (!subscribed_only || f.subscribed) && list_matches(&pattern, f))
                    .map(|f| {
                        let head = format!("* {name} ({}) \"|\" ", attributes(mb, f));
                        [head.into_bytes(), wire_name(&f.name)].concat()
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        for line in lines {
            self.send(&line).await?;
        }
        Ok(Done::Ok(completed(name)))
    }

    pub(super) async fn status(&mut self, parser: &mut Parser<'_>) -> Outcome {
        parser.space()?;
        let folder = Self::folder_arg(parser)?;
        parser.space()?;
        parser.expect(b'(')?;
        let mut items = Vec::new();
        while !parser.eat(b')') {
            if !items.is_empty() {
                parser.space()?;
            }
            let item = parser.keyword()?;
            if !matches!(
                item.as_str(),
                "MESSAGES" | "RECENT" | "UIDNEXT" | "UIDVALIDITY" | "UNSEEN"
            ) {
                return Err(Stop::Syntax(format!("Unknown status item {item}")));
            }
            items.push(item);
        }
        parser.end()?;
        let Some(folder) = folder else {
            return Ok(Done::No("STATUS Folder encoding error".into()));
        };
        let found = self.state.mail.read(self.owner(), |mb| {
            mb.folder(&folder).map(|f| {
                let values: Vec<String> = items
                    .iter()
                    .map(|item| {
                        let value = match item.as_str() {
                            "MESSAGES" => f.messages.len() as u64,
                            "UIDNEXT" => u64::from(f.uidnext),
                            "UIDVALIDITY" => u64::from(f.uidvalidity),
                            "UNSEEN" => f.unseen() as u64,
                            _ => 0,
                        };
                        format!("{item} {value}")
                    })
                    .collect();
                (f.noselect, f.name.clone(), values.join(" "))
            })
        });
        match found.flatten() {
            None => Ok(Done::No("[NONEXISTENT] STATUS No such folder".into())),
            Some((true, ..)) => Ok(Done::No("STATUS Nonselectable folder".into())),
            Some((false, name, values)) => {
                let line = [
                    b"* STATUS ".to_vec(),
                    wire_name(&name),
                    format!(" ({values})").into_bytes(),
                ]
                .concat();
                self.send(&line).await?;
                Ok(Done::Ok(completed("STATUS")))
            }
        }
    }

    pub(super) async fn create(&mut self, parser: &mut Parser<'_>) -> Outcome {
        parser.space()?;
        let name = Self::folder_arg(parser)?;
        parser.end()?;
        if let Some(refused) = self.need_full("CREATE") {
            return Ok(refused);
        }
        let Some(name) = name else {
            return Ok(Done::No("CREATE Folder encoding error".into()));
        };
        let name = name.trim_end_matches(DELIMITER).to_string();
        if name.is_empty() || name.contains(['*', '%']) || name.split(DELIMITER).any(str::is_empty) {
            return Ok(Done::No("CREATE Bad folder name".into()));
        }
        let floor = self.state.clock.now() as u32;
        let created = self
            .state
            .mail
            .write(self.owner(), |mb| create_folder(mb, &name, floor));
        self.dirty = true;
        Ok(match created {
            Some(Ok(())) => Done::Ok(completed("CREATE")),
            Some(Err(text)) => refusal("CREATE", text),
            None => refusal("CREATE", "No mailbox"),
        })
    }

    pub(super) async fn delete(&mut self, parser: &mut Parser<'_>) -> Outcome {
        parser.space()?;
        let name = Self::folder_arg(parser)?;
        parser.end()?;
        if let Some(refused) = self.need_full("DELETE") {
            return Ok(refused);
        }
        let Some(name) = name else {
            return Ok(Done::No("DELETE Folder encoding error".into()));
        };
        let deleted = self.state.mail.write(self.owner(), |mb| {
            let index = mb
                .folders
                .iter()
                .position(|f| same_name(&f.name, &name))
                .ok_or("[NONEXISTENT] No such folder")?;
            if mb.folders[index].role.is_some() {
                return Err("[CANNOT] System folders cannot be deleted");
            }
            if mb.has_children(&mb.folders[index].name) {
                return Err("[INUSE] Folder has subfolders");
            }
            mb.folders.remove(index);
            Ok(())
        });
        if self.selected.as_ref().is_some_and(|s| same_name(&s.name, &name)) && matches!(deleted, Some(Ok(()))) {
            self.selected = None;
        }
        self.dirty = true;
        Ok(match deleted.unwrap_or(Err("No mailbox")) {
            Ok(()) => Done::Ok(completed("DELETE")),
            Err(text) => refusal("DELETE", text),
        })
    }

    pub(super) async fn rename(&mut self, parser: &mut Parser<'_>) -> Outcome {
        parser.space()?;
        let from = Self::folder_arg(parser)?;
        parser.space()?;
        let to = Self::folder_arg(parser)?;
        parser.end()?;
        if let Some(refused) = self.need_full("RENAME") {
            return Ok(refused);
        }
        let (Some(from), Some(to)) = (from, to) else {
            return Ok(Done::No("RENAME Folder encoding error".into()));
        };
        let to = to.trim_end_matches(DELIMITER).to_string();
        let renamed = self.state.mail.write(self.owner(), |mb| rename_folder(mb, &from, &to));
        if let (Some(Ok(())), Some(selected)) = (&renamed, self.selected.as_mut()) {
            if let Some(rest) = selected.name.strip_prefix(from.as_str()) {
                if rest.is_empty() || rest.starts_with(DELIMITER) {
                    selected.name = format!("{to}{rest}");
                }
            }
        }
        self.dirty = true;
        Ok(match renamed.unwrap_or(Err("No mailbox")) {
            Ok(()) => Done::Ok(completed("RENAME")),
            Err(text) => refusal("RENAME", text),
        })
    }

    pub(super) async fn subscribe(&mut self, name: &str, parser: &mut Parser<'_>) -> Outcome {
        parser.space()?;
        let folder = Self::folder_arg(parser)?;
        parser.end()?;
        let on = name == "SUBSCRIBE";
        let found = folder.and_then(|folder| {
            self.state
                .mail
                .write(self.owner(), |mb| mb.folder_mut(&folder).map(|f| f.subscribed = on))
                .flatten()
        });
        self.dirty = true;
        Ok(match found {
            Some(()) => Done::Ok(completed(name)),
            None => Done::No(format!("[NONEXISTENT] {name} No such folder")),
        })
    }

    /// CLOSE removes the `\Deleted` messages silently (in a read-write folder); UNSELECT does not.
    pub(super) async fn close(&mut self, name: &str, parser: &mut Parser<'_>) -> Outcome {
        parser.end()?;
        let Some(selected) = self.selected.take() else {
            return Ok(Done::Bad(format!("{name} No mailbox selected")));
        };
        if name == "CLOSE" && !selected.read_only {
            self.state.mail.write(self.owner(), |mb| {
                if let Some(folder) = mb.folder_mut(&selected.name) {
                    folder.messages.retain(|m| !m.flags.has(DELETED));
                }
            });
            self.dirty = true;
        }
        Ok(Done::Ok(completed(name)))
    }

    /// Untagged news about the selected folder: EXPUNGE for messages removed elsewhere (not
    /// during FETCH, STORE, SEARCH and COPY, RFC 3501 §7.4.1) and EXISTS for new ones. A folder
    /// deleted or renumbered under the session ends it ([unverified] what Yandex does).
    pub(super) async fn report_changes(&mut self, expunges: bool) -> Result<(), Stop> {
        let owner = self.owner();
        let Some(selected) = self.selected.as_mut() else {
            return Ok(());
        };
        let current = self.state.mail.read(owner, |mb| {
            mb.folder(&selected.name)
                .map(|f| (f.uidvalidity, f.messages.iter().map(|m| m.uid).collect::<Vec<u32>>()))
        });
        let Some((uidvalidity, uids)) = current.flatten().filter(|(v, _)| *v == selected.uidvalidity) else {
            self.send(b"* BYE [UNAVAILABLE] The selected folder has changed, please reconnect")
                .await?;
            return Err(Stop::End);
        };
        let _ = uidvalidity;
        let mut lines = Vec::new();
        if expunges {
            let gone: Vec<usize> = (0..selected.uids.len())
                .filter(|&i| uids.binary_search(&selected.uids[i]).is_err())
                .collect();
            for &index in gone.iter().rev() {
                lines.push(format!("* {} EXPUNGE", index + 1));
            }
            selected.uids.retain(|uid| uids.binary_search(uid).is_ok());
        }
        let last = selected.uids.last().copied().unwrap_or(0);
        let before = selected.uids.len();
        selected.uids.extend(uids.iter().filter(|&&uid| uid > last));
        if selected.uids.len() != before {
            lines.push(format!("* {} EXISTS", selected.uids.len()));
        }
        for line in lines {
            self.send(line.as_bytes()).await?;
        }
        Ok(())
    }
}

/// Creates `name` and any missing parents; INBOX has no children (`\NoInferiors`).
fn create_folder(mailbox: &mut Mailbox, name: &str, floor: u32) -> Result<(), &'static str> {
    if mailbox.folder(name).is_some() {
        return Err("[ALREADYEXISTS] Folder already exists");
    }
    let levels: Vec<&str> = name.split(DELIMITER).collect();
    if levels[0].eq_ignore_ascii_case("INBOX") {
        return Err("[CANNOT] INBOX cannot have subfolders");
    }
    for depth in 1..=levels.len() {
        let path = levels[..depth].join(&DELIMITER.to_string());
        if mailbox.folder(&path).is_some() {
            continue;
        }
        if mailbox.folders.len() >= MAX_FOLDERS {
            return Err("[LIMIT] Too many folders");
        }
        let uidvalidity = mailbox.next_uidvalidity(floor);
        mailbox.folders.push(Folder::new(&path, None, uidvalidity));
    }
    Ok(())
}

/// Renames a folder and its subfolders; system folders and INBOX keep their names.
fn rename_folder(mailbox: &mut Mailbox, from: &str, to: &str) -> Result<(), &'static str> {
    let folder = mailbox.folder(from).ok_or("[NONEXISTENT] No such folder")?;
    if folder.role.is_some() {
        return Err("[CANNOT] System folders cannot be renamed");
    }
    let from = folder.name.clone();
    if to.is_empty() || to.contains(['*', '%']) || to.split(DELIMITER).any(str::is_empty) {
        return Err("Bad folder name");
    }
    if mailbox.folder(to).is_some() {
        return Err("[ALREADYEXISTS] Folder already exists");
    }
    if to.starts_with(&format!("{from}{DELIMITER}")) || to.eq_ignore_ascii_case("INBOX") {
        return Err("[CANNOT] Bad target name");
    }
    let prefix = format!("{from}{DELIMITER}");
    for folder in &mut mailbox.folders {
        if folder.name == from {
            folder.name = to.to_string();
        } else if let Some(rest) = folder.name.strip_prefix(&prefix) {
            folder.name = format!("{to}{DELIMITER}{rest}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_patterns() {
        assert!(wildcard(b"*", b"Archives|2017"));
        assert!(!wildcard(b"%", b"Archives|2017"));
        assert!(wildcard(b"%", b"Archives"));
        assert!(wildcard(b"Archives|%", b"Archives|2017"));
        assert!(wildcard(b"A*7", b"Archives|2017"));
        assert!(!wildcard(b"A*8", b"Archives|2017"));
        assert!(wildcard(b"INBOX", b"INBOX"));
        assert!(!wildcard(b"", b"INBOX"));
    }

    #[test]
    fn folders_are_created_with_parents_and_renamed_with_children() {
        let mut mailbox = Mailbox {
            email: "a@b".into(),
            folders: vec![Folder::new("INBOX", Some(Role::Inbox), 10)],
        };
        create_folder(&mut mailbox, "Работа|2026|Q1", 5).unwrap();
        let names: Vec<&str> = mailbox.folders.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["INBOX", "Работа", "Работа|2026", "Работа|2026|Q1"]);
        assert_eq!(mailbox.folders[3].uidvalidity, 13);
        assert!(create_folder(&mut mailbox, "Работа", 5).is_err());
        assert!(create_folder(&mut mailbox, "inbox|x", 5).is_err());
        rename_folder(&mut mailbox, "Работа|2026", "Архив").unwrap();
        let names: Vec<&str> = mailbox.folders.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["INBOX", "Работа", "Архив", "Архив|Q1"]);
        assert!(rename_folder(&mut mailbox, "INBOX", "Other").is_err());
        assert!(rename_folder(&mut mailbox, "Работа", "Работа|x").is_err());
    }
}
