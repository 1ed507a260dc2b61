//! The commands that change a mailbox, allowed only with `mail:imap_full` and in a read-write
//! folder (docs/protocols-mail.md §2.5, §2.8): STORE, COPY and MOVE with `[COPYUID …]`, EXPUNGE
//! and UID EXPUNGE, APPEND with `[APPENDUID …]` (RFC 4315, RFC 6851).

use std::sync::Arc;

use super::super::dates::parse_imap_datetime;
use super::super::model::{Body, Flags, Folder, Mailbox, Message, DELETED, MAX_KEYWORDS};
use super::super::MAX_FOLDER_MESSAGES;
use super::parse::{Parser, SequenceSet};
use super::respond::completed;
use super::{refusal, Done, Outcome, Session, Stop};
use crate::wire::Stream;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Change {
    Replace,
    Add,
    Remove,
}

/// Flag names to flags; `\Recent` and unknown system flags cannot be stored.
fn to_flags(names: &[String]) -> Result<Flags, Stop> {
    let mut flags = Flags::default();
    for name in names {
        if name.starts_with('\\') {
            let bit = Flags::system_bit(name).ok_or_else(|| Stop::Syntax(format!("Invalid flag {name}")))?;
            flags.system |= bit;
        } else if !flags.keywords.iter().any(|k| k.eq_ignore_ascii_case(name)) && flags.keywords.len() < MAX_KEYWORDS {
            flags.keywords.push(name.clone());
        }
    }
    Ok(flags)
}

/// `101:103,105` for ascending UIDs.
pub fn uid_set(uids: &[u32]) -> String {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for &uid in uids {
        match ranges.last_mut() {
            Some((_, last)) if *last + 1 == uid => *last = uid,
            _ => ranges.push((uid, uid)),
        }
    }
    ranges
        .iter()
        .map(|(a, b)| if a == b { a.to_string() } else { format!("{a}:{b}") })
        .collect::<Vec<_>>()
        .join(",")
}

/// The (sequence number, UID) of the session's view in a set.
fn in_set(view: &[u32], set: &SequenceSet, by_uid: bool) -> Vec<(usize, u32)> {
    let largest = if by_uid {
        view.last().copied().unwrap_or(0)
    } else {
        view.len() as u32
    };
    view.iter()
        .enumerate()
        .filter(|(i, uid)| set.contains(if by_uid { **uid } else { *i as u32 + 1 }, largest))
        .map(|(i, uid)| (i + 1, *uid))
        .collect()
}

impl<S: Stream> Session<S> {
    /// NO unless the token may change mail and the folder was SELECTed read-write.
    fn need_writable(&self, command: &str) -> Option<Done> {
        self.need_full(command).or_else(|| {
            self.selected
                .as_ref()
                .is_some_and(|s| s.read_only)
                .then(|| Done::No(format!("[READ-ONLY] {command} Folder is opened read-only")))
        })
    }

    pub(super) async fn store(&mut self, name: &str, parser: &mut Parser<'_>) -> Outcome {
        parser.space()?;
        let set = parser.sequence_set()?;
        parser.space()?;
        let operation = String::from_utf8_lossy(parser.take_while(|b| b.is_ascii_alphabetic() || b"+-.".contains(&b)))
            .to_ascii_uppercase();
        let (change, silent) = match operation.as_str() {
            "FLAGS" | "FLAGS.SILENT" => (Change::Replace, operation.ends_with(".SILENT")),
            "+FLAGS" | "+FLAGS.SILENT" => (Change::Add, operation.ends_with(".SILENT")),
            "-FLAGS" | "-FLAGS.SILENT" => (Change::Remove, operation.ends_with(".SILENT")),
            _ => return Err(Stop::Syntax(format!("Invalid STORE operation {operation}"))),
        };
        parser.space()?;
        let flags = to_flags(&parser.flags()?)?;
        parser.end()?;
        if let Some(refused) = self.need_writable(name) {
            return Ok(refused);
        }
        let by_uid = name == "UID STORE";
        let Some(selected) = self.selected.as_ref() else {
            return Ok(Done::Bad("No mailbox selected".into()));
        };
        let wanted = in_set(&selected.uids, &set, by_uid);
        let folder_name = selected.name.clone();
        let changed = self.state.mail.write(self.owner(), |mb| {
            let Some(folder) = mb.folder_mut(&folder_name) else {
                return Vec::new();
            };
            wanted
                .iter()
                .filter_map(|&(seq, uid)| {
                    let index = folder.position(uid)?;
                    let message = &mut folder.messages[index];
                    match change {
                        Change::Replace => message.flags = flags.clone(),
                        Change::Add => message.flags.add(&flags),
                        Change::Remove => message.flags.remove(&flags),
                    }
                    Some((seq, uid, message.flags.render()))
                })
                .collect()
        });
        self.dirty = true;
        if !silent {
            for (seq, uid, flags) in changed.unwrap_or_default() {
                let uid = if by_uid { format!("UID {uid} ") } else { String::new() };
                self.send(format!("* {seq} FETCH ({uid}FLAGS ({flags}))").as_bytes())
                    .await?;
            }
        }
        Ok(Done::Ok(completed(name)))
    }

    pub(super) async fn copy(&mut self, name: &str, parser: &mut Parser<'_>) -> Outcome {
        parser.space()?;
        let set = parser.sequence_set()?;
        parser.space()?;
        let target = Self::folder_arg(parser)?;
        parser.end()?;
        let moving = name.ends_with("MOVE");
        let refused = if moving {
            self.need_writable(name)
        } else {
            self.need_full(name)
        };
        if let Some(refused) = refused {
            return Ok(refused);
        }
        let Some(target) = target else {
            return Ok(Done::No(format!("{name} Folder encoding error")));
        };
        let Some(selected) = self.selected.as_ref() else {
            return Ok(Done::Bad("No mailbox selected".into()));
        };
        let wanted = in_set(&selected.uids, &set, name.starts_with("UID"));
        let source = selected.name.clone();
        let uids: Vec<u32> = wanted.iter().map(|&(_, uid)| uid).collect();
        let copied = self
            .state
            .mail
            .write(self.owner(), |mb| copy_messages(mb, &source, &target, &uids, moving))
            .unwrap_or(Err("No mailbox"));
        self.dirty = true;
        let (uidvalidity, old, new) = match copied {
            Ok(copied) => copied,
            Err(text) => return Ok(refusal(name, text)),
        };
        let code = if old.is_empty() {
            String::new()
        } else {
            format!("[COPYUID {uidvalidity} {} {}] ", uid_set(&old), uid_set(&new))
        };
        if !moving {
            return Ok(Done::Ok(format!("{code}{}", completed(name))));
        }
        if !code.is_empty() {
            self.send(format!("* OK {code}Moved").as_bytes()).await?;
        }
        self.report_removed(&old).await?;
        Ok(Done::Ok(completed(name)))
    }

    /// `* n EXPUNGE` for messages this session removed (`removed` ascending), highest first,
    /// and the view updated.
    async fn report_removed(&mut self, removed: &[u32]) -> Result<(), Stop> {
        let Some(selected) = self.selected.as_mut() else {
            return Ok(());
        };
        let positions: Vec<usize> = (0..selected.uids.len())
            .filter(|&i| removed.binary_search(&selected.uids[i]).is_ok())
            .collect();
        selected.uids.retain(|uid| removed.binary_search(uid).is_err());
        for index in positions.into_iter().rev() {
            self.send(format!("* {} EXPUNGE", index + 1).as_bytes()).await?;
        }
        Ok(())
    }

    pub(super) async fn expunge(&mut self, name: &str, parser: &mut Parser<'_>) -> Outcome {
        let set = if name == "UID EXPUNGE" {
            parser.space()?;
            Some(parser.sequence_set()?)
        } else {
            None
        };
        parser.end()?;
        if let Some(refused) = self.need_writable(name) {
            return Ok(refused);
        }
        let Some(selected) = self.selected.as_ref() else {
            return Ok(Done::Bad("No mailbox selected".into()));
        };
        let largest = selected.uids.last().copied().unwrap_or(0);
        let folder_name = selected.name.clone();
        let removed = self.state.mail.write(self.owner(), |mb| {
            let Some(folder) = mb.folder_mut(&folder_name) else {
                return Vec::new();
            };
            let doomed = |m: &Message| m.flags.has(DELETED) && set.as_ref().is_none_or(|s| s.contains(m.uid, largest));
            let removed: Vec<u32> = folder.messages.iter().filter(|m| doomed(m)).map(|m| m.uid).collect();
            folder.messages.retain(|m| !doomed(m));
            removed
        });
        self.dirty = true;
        let mut removed = removed.unwrap_or_default();
        removed.sort_unstable();
        self.report_removed(&removed).await?;
        Ok(Done::Ok(completed(name)))
    }

    pub(super) async fn append(&mut self, parser: &mut Parser<'_>) -> Outcome {
        parser.space()?;
        let target = Self::folder_arg(parser)?;
        parser.space()?;
        let flags = if parser.peek() == Some(b'(') {
            let flags = to_flags(&parser.flags()?)?;
            parser.space()?;
            flags
        } else {
            Flags::default()
        };
        let date = if parser.peek() == Some(b'"') {
            let text = parser.quoted()?;
            parser.space()?;
            let date = parse_imap_datetime(&String::from_utf8_lossy(&text));
            Some(date.ok_or_else(|| Stop::Syntax("Invalid date-time".into()))?)
        } else {
            None
        };
        let message = parser.literal()?.to_vec();
        parser.end()?;
        if let Some(refused) = self.need_full("APPEND") {
            return Ok(refused);
        }
        let Some(target) = target else {
            return Ok(Done::No("APPEND Folder encoding error".into()));
        };
        if message.is_empty() {
            return Ok(Done::No("APPEND Empty message".into()));
        }
        let date = date.unwrap_or_else(|| self.state.clock.now());
        let appended = self
            .state
            .mail
            .write(self.owner(), |mb| {
                append_to(mb.folder_mut(&target), date, flags, message)
            })
            .unwrap_or(Err("No mailbox"));
        self.dirty = true;
        Ok(match appended {
            Ok((uidvalidity, uid)) => Done::Ok(format!("[APPENDUID {uidvalidity} {uid}] APPEND Completed.")),
            Err(text) => refusal("APPEND", text),
        })
    }
}

/// Copies the messages with these UIDs from `source` to the end of `target` (removing them from
/// `source` when `moving`): the target's UIDVALIDITY, the old UIDs and the new ones.
fn copy_messages(
    mailbox: &mut Mailbox,
    source: &str,
    target: &str,
    uids: &[u32],
    moving: bool,
) -> Result<(u32, Vec<u32>, Vec<u32>), &'static str> {
    let taken: Vec<Message> = {
        let folder = mailbox.folder(source).ok_or("[NONEXISTENT] Source folder is gone")?;
        uids.iter()
            .filter_map(|&uid| folder.position(uid).map(|i| folder.messages[i].clone()))
            .collect()
    };
    let target = mailbox.folder_mut(target).ok_or("[TRYCREATE] No such folder")?;
    if target.noselect {
        return Err("Nonselectable folder");
    }
    if target.messages.len() + taken.len() > MAX_FOLDER_MESSAGES {
        return Err("[LIMIT] Folder is full");
    }
    let new: Vec<u32> = taken
        .iter()
        .map(|m| target.append(m.internal_date, m.flags.clone(), m.body.clone()))
        .collect();
    let old: Vec<u32> = taken.iter().map(|m| m.uid).collect();
    let uidvalidity = target.uidvalidity;
    if moving {
        if let Some(folder) = mailbox.folder_mut(source) {
            folder.messages.retain(|m| old.binary_search(&m.uid).is_err());
        }
    }
    Ok((uidvalidity, old, new))
}

fn append_to(
    folder: Option<&mut Folder>,
    date: i64,
    flags: Flags,
    message: Vec<u8>,
) -> Result<(u32, u32), &'static str> {
    let folder = folder.ok_or("[TRYCREATE] No such folder")?;
    if folder.noselect {
        return Err("Nonselectable folder");
    }
    if folder.messages.len() >= MAX_FOLDER_MESSAGES {
        return Err("[LIMIT] Folder is full");
    }
    let uid = folder.append(date, flags, Body::Stored(Arc::new(message)));
    Ok((folder.uidvalidity, uid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_are_compressed() {
        assert_eq!(uid_set(&[101, 102, 103, 105, 107, 108]), "101:103,105,107:108");
        assert_eq!(uid_set(&[7]), "7");
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn flags_from_names() {
        let flags = to_flags(&["\\Seen".into(), "$Label1".into(), "$label1".into()]).unwrap();
        assert_eq!(flags.render(), "\\Seen $Label1");
        assert!(to_flags(&["\\Recent".into()]).is_err());
    }
}
