//! FETCH and UID FETCH (docs/protocols-mail.md §2.7): UID, FLAGS, INTERNALDATE, RFC822.SIZE,
//! RFC822, RFC822.HEADER, RFC822.TEXT, BODY[…] and BODY.PEEK[…] with HEADER, TEXT,
//! HEADER.FIELDS (.NOT) and partial ranges, BINARY[] / BINARY.SIZE[], ENVELOPE and
//! BODYSTRUCTURE. Messages are read under the lock, then written one by one without it; a
//! drop fault cuts the stream in the middle of a literal.

use std::time::Duration;

use tokio::io::AsyncWriteExt;

use super::super::dates::imap_datetime;
use super::super::faults::Action;
use super::super::model::{Message, SEEN};
use super::mime;
use super::parse::{Parser, SequenceSet};
use super::respond::completed;
use super::{Done, Outcome, Session, Stop};
use crate::wire::Stream;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Section {
    Full,
    Header,
    Text,
    Fields { names: Vec<String>, not: bool },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Item {
    Uid,
    Flags,
    InternalDate,
    Size,
    Envelope,
    BodyStructure {
        extensible: bool,
    },
    Rfc822,
    Rfc822Header,
    Rfc822Text,
    BinarySize,
    /// `BODY[…]`, `BODY.PEEK[…]`, `BINARY[…]`, `BINARY.PEEK[…]`; `label` is the name the answer
    /// uses (`BODY[HEADER.FIELDS (FROM)]`).
    Section {
        section: Section,
        peek: bool,
        partial: Option<(u32, u32)>,
        label: String,
    },
}

impl Item {
    /// Whether fetching it marks the message `\Seen` (RFC 3501 §6.4.5).
    fn sets_seen(&self) -> bool {
        match self {
            Item::Rfc822 | Item::Rfc822Text => true,
            Item::Section { peek, .. } => !peek,
            _ => false,
        }
    }
}

/// A fetch attribute's name: letters, digits and dots (`BODY.PEEK`, `RFC822.SIZE`).
fn item_name(parser: &mut Parser<'_>) -> Result<String, Stop> {
    let name = parser.take_while(|b| b.is_ascii_alphanumeric() || b == b'.');
    if name.is_empty() {
        return Err(Stop::Syntax("Expected a fetch attribute".into()));
    }
    Ok(String::from_utf8_lossy(name).to_ascii_uppercase())
}

/// The inside of `[…]`, and its text for the answer's label.
fn section(parser: &mut Parser<'_>) -> Result<(Section, String), Stop> {
    parser.expect(b'[')?;
    if parser.eat(b']') {
        return Ok((Section::Full, String::new()));
    }
    let keyword = item_name(parser)?;
    let section = match keyword.as_str() {
        "HEADER" => Section::Header,
        "TEXT" => Section::Text,
        "HEADER.FIELDS" | "HEADER.FIELDS.NOT" => {
            parser.space()?;
            parser.expect(b'(')?;
            let mut names = Vec::new();
            while !parser.eat(b')') {
                if !names.is_empty() {
                    parser.space()?;
                }
                names.push(String::from_utf8_lossy(&parser.astring()?).into_owned());
                if names.len() > 100 {
                    return Err(Stop::Syntax("Too many header fields".into()));
                }
            }
            Section::Fields {
                names,
                not: keyword.ends_with(".NOT"),
            }
        }
        _ => return Err(Stop::Syntax(format!("Section {keyword} is not emulated"))),
    };
    parser.expect(b']')?;
    let label = match &section {
        Section::Fields { names, .. } => format!("{keyword} ({})", names.join(" ")),
        _ => keyword,
    };
    Ok((section, label))
}

fn partial(parser: &mut Parser<'_>) -> Result<Option<(u32, u32)>, Stop> {
    if !parser.eat(b'<') {
        return Ok(None);
    }
    let origin = parser.number()?;
    parser.expect(b'.')?;
    let count = parser.number()?;
    parser.expect(b'>')?;
    Ok(Some((origin, count)))
}

fn item(parser: &mut Parser<'_>) -> Result<Vec<Item>, Stop> {
    let name = item_name(parser)?;
    let simple = match name.as_str() {
        "UID" => Item::Uid,
        "FLAGS" => Item::Flags,
        "INTERNALDATE" => Item::InternalDate,
        "RFC822.SIZE" => Item::Size,
        "RFC822" => Item::Rfc822,
        "RFC822.HEADER" => Item::Rfc822Header,
        "RFC822.TEXT" => Item::Rfc822Text,
        "ENVELOPE" => Item::Envelope,
        "BODYSTRUCTURE" => Item::BodyStructure { extensible: true },
        "ALL" => return Ok(vec![Item::Flags, Item::InternalDate, Item::Size, Item::Envelope]),
        "FAST" => return Ok(vec![Item::Flags, Item::InternalDate, Item::Size]),
        "FULL" => {
            return Ok(vec![
                Item::Flags,
                Item::InternalDate,
                Item::Size,
                Item::Envelope,
                Item::BodyStructure { extensible: false },
            ])
        }
        "BODY" if parser.peek() != Some(b'[') => Item::BodyStructure { extensible: false },
        "BINARY.SIZE" => {
            let (section, _) = section(parser)?;
            if section != Section::Full {
                return Err(Stop::Syntax("Only BINARY.SIZE[] is emulated".into()));
            }
            Item::BinarySize
        }
        "BODY" | "BODY.PEEK" | "BINARY" | "BINARY.PEEK" => {
            let (section, text) = section(parser)?;
            let binary = name.starts_with("BINARY");
            if binary && section != Section::Full {
                return Err(Stop::Syntax("Only BINARY[] is emulated".into()));
            }
            let base = if binary { "BINARY" } else { "BODY" };
            Item::Section {
                section,
                peek: name.ends_with(".PEEK"),
                partial: partial(parser)?,
                label: format!("{base}[{text}]"),
            }
        }
        _ => return Err(Stop::Syntax(format!("Unknown fetch attribute {name}"))),
    };
    Ok(vec![simple])
}

fn items(parser: &mut Parser<'_>) -> Result<Vec<Item>, Stop> {
    if !parser.eat(b'(') {
        return item(parser);
    }
    let mut items = Vec::new();
    while !parser.eat(b')') {
        if !items.is_empty() {
            parser.space()?;
        }
        items.extend(item(parser)?);
        if items.len() > 64 {
            return Err(Stop::Syntax("Too many fetch attributes".into()));
        }
    }
    Ok(items)
}

/// One message to answer: its sequence number, a copy, and whether this FETCH set `\Seen`.
struct Fetched {
    seq: usize,
    message: Message,
    newly_seen: bool,
}

/// The length of the header, blank line included (the whole message when there is none).
pub fn header_length(bytes: &[u8]) -> usize {
    let crlf = bytes.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(bytes.len()),
    }
}

/// The header lines (with their continuation lines) whose field name is (or is not) listed,
/// then the blank line.
fn header_fields(header: &[u8], names: &[String], not: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut keep = false;
    for line in header.split_inclusive(|&b| b == b'\n') {
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        if !matches!(line.first(), Some(b' ') | Some(b'\t')) {
            let field = line.split(|&b| b == b':').next().unwrap_or(b"");
            let listed = names
                .iter()
                .any(|n| n.as_bytes().eq_ignore_ascii_case(field.trim_ascii()));
            keep = listed != not;
        }
        if keep {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

impl<S: Stream> Session<S> {
    pub(super) async fn fetch(&mut self, name: &str, parser: &mut Parser<'_>) -> Outcome {
        parser.space()?;
        let set = parser.sequence_set()?;
        parser.space()?;
        let mut items = items(parser)?;
        parser.end()?;
        let by_uid = name == "UID FETCH";
        if by_uid && !items.contains(&Item::Uid) {
            items.insert(0, Item::Uid);
        }
        let fetched = self.fetch_messages(&set, by_uid, items.iter().any(Item::sets_seen));
        let drop_at = self
            .fault
            .take()
            .filter(|f| f.action == Action::Drop)
            .map(|f| (f.after_messages as usize, f.after_bytes as usize));
        let mut scratch = Vec::new();
        for (index, entry) in fetched.iter().enumerate() {
            let (response, literal_at) = self.fetch_response(entry, &items, &mut scratch);
            if let Some((after_messages, after_bytes)) = drop_at.filter(|(m, _)| *m == index) {
                let _ = after_messages;
                let cut = (literal_at.unwrap_or(0) + after_bytes).min(response.len());
                self.writer.write_all(&response[..cut]).await?;
                self.writer.flush().await?;
                // Let the bytes leave before the connection is dropped.
                tokio::time::sleep(Duration::from_millis(20)).await;
                return Err(Stop::End);
            }
            self.writer.write_all(&response).await?;
        }
        Ok(Done::Ok(completed(name)))
    }

    /// Copies the messages of a set out of the store, marking them `\Seen` when asked to (in
    /// a read-write folder).
    fn fetch_messages(&mut self, set: &SequenceSet, by_uid: bool, mark_seen: bool) -> Vec<Fetched> {
        let Some(selected) = self.selected.as_ref() else {
            return Vec::new();
        };
        let mark_seen = mark_seen && !selected.read_only;
        let largest = if by_uid {
            selected.uids.last().copied().unwrap_or(0)
        } else {
            selected.uids.len() as u32
        };
        let wanted: Vec<(usize, u32)> = selected
            .uids
            .iter()
            .enumerate()
            .filter(|(i, uid)| set.contains(if by_uid { **uid } else { *i as u32 + 1 }, largest))
            .map(|(i, uid)| (i + 1, *uid))
            .collect();
        let copy = |folder: &mut super::super::model::Folder| -> Vec<Fetched> {
            wanted
                .iter()
                .filter_map(|&(seq, uid)| {
                    let index = folder.position(uid)?;
                    let message = &mut folder.messages[index];
                    let newly_seen = mark_seen && !message.flags.has(SEEN);
                    if newly_seen {
                        message.flags.system |= SEEN;
                    }
                    Some(Fetched {
                        seq,
                        message: message.clone(),
                        newly_seen,
                    })
                })
                .collect()
        };
        let name = selected.name.clone();
        let owner = self.owner();
        self.dirty |= mark_seen;
        let fetched = self
            .state
            .mail
            .update(owner, mark_seen, |mb| mb.folder_mut(&name).map(copy));
        fetched.flatten().unwrap_or_default()
    }

    /// One `* n FETCH (…)` response, and where its first literal's bytes start.
    fn fetch_response(&self, entry: &Fetched, items: &[Item], scratch: &mut Vec<u8>) -> (Vec<u8>, Option<usize>) {
        let message = &entry.message;
        let bytes = message.body.bytes(scratch);
        let mut out = format!("* {} FETCH (", entry.seq).into_bytes();
        let mut literal_at = None;
        let mut literal = |out: &mut Vec<u8>, label: &str, data: &[u8]| {
            out.extend_from_slice(format!("{label} {{{}}}\r\n", data.len()).as_bytes());
            literal_at.get_or_insert(out.len());
            out.extend_from_slice(data);
        };
        let mut wrote_flags = false;
        for (index, item) in items.iter().enumerate() {
            if index > 0 {
                out.push(b' ');
            }
            match item {
                Item::Uid => out.extend_from_slice(format!("UID {}", message.uid).as_bytes()),
                Item::Flags => {
                    wrote_flags = true;
                    out.extend_from_slice(format!("FLAGS ({})", message.flags.render()).as_bytes());
                }
                Item::InternalDate => out
                    .extend_from_slice(format!("INTERNALDATE \"{}\"", imap_datetime(message.internal_date)).as_bytes()),
                Item::Size => out.extend_from_slice(format!("RFC822.SIZE {}", bytes.len()).as_bytes()),
                Item::BinarySize => out.extend_from_slice(format!("BINARY.SIZE[] {}", bytes.len()).as_bytes()),
                Item::Envelope => {
                    out.extend_from_slice(b"ENVELOPE ");
                    out.extend_from_slice(&mime::envelope(&bytes[..header_length(bytes)]));
                }
                Item::BodyStructure { extensible } => {
                    out.extend_from_slice(if *extensible { b"BODYSTRUCTURE " } else { b"BODY " });
                    out.extend_from_slice(&mime::body_structure(bytes, *extensible));
                }
                Item::Rfc822 => literal(&mut out, "RFC822", bytes),
                Item::Rfc822Header => literal(&mut out, "RFC822.HEADER", &bytes[..header_length(bytes)]),
                Item::Rfc822Text => literal(&mut out, "RFC822.TEXT", &bytes[header_length(bytes)..]),
                Item::Section {
                    section,
                    partial,
                    label,
                    ..
                } => {
                    let data = section_data(bytes, section);
                    match partial {
                        Some((origin, count)) => {
                            let start = (*origin as usize).min(data.len());
                            let end = start.saturating_add(*count as usize).min(data.len());
                            literal(&mut out, &format!("{label}<{origin}>"), &data[start..end]);
                        }
                        None => literal(&mut out, label, &data),
                    }
                }
            }
        }
        if entry.newly_seen && !wrote_flags {
            out.extend_from_slice(format!(" FLAGS ({})", message.flags.render()).as_bytes());
        }
        out.extend_from_slice(b")\r\n");
        (out, literal_at)
    }
}

fn section_data<'a>(bytes: &'a [u8], section: &Section) -> std::borrow::Cow<'a, [u8]> {
    let header = header_length(bytes);
    match section {
        Section::Full => bytes.into(),
        Section::Header => bytes[..header].into(),
        Section::Text => bytes[header..].into(),
        Section::Fields { names, not } => header_fields(&bytes[..header], names, *not).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Item>, String> {
        items(&mut Parser::new(text.as_bytes())).map_err(|e| match e {
            Stop::Syntax(text) => text,
            Stop::End => "end".into(),
        })
    }

    #[test]
    fn parses_what_backup_tools_send() {
        assert_eq!(
            parse("(UID RFC822.SIZE INTERNALDATE FLAGS)").unwrap(),
            [Item::Uid, Item::Size, Item::InternalDate, Item::Flags]
        );
        let items = parse("(BODY.PEEK[HEADER.FIELDS (From To Date)]<0.100>)").unwrap();
        assert_eq!(
            items,
            [Item::Section {
                section: Section::Fields {
                    names: vec!["From".into(), "To".into(), "Date".into()],
                    not: false
                },
                peek: true,
                partial: Some((0, 100)),
                label: "BODY[HEADER.FIELDS (From To Date)]".into(),
            }]
        );
        assert_eq!(parse("FAST").unwrap().len(), 3);
        assert!(matches!(parse("BODY[]").unwrap()[0], Item::Section { peek: false, .. }));
        assert!(parse("(BODY[1.2])").is_err());
        assert!(parse("(FOO)").is_err());
    }

    #[test]
    fn headers_and_fields() {
        let message = b"From: a\r\nSubject: long\r\n subject\r\nTo: b\r\n\r\nbody\r\n";
        assert_eq!(header_length(message), message.len() - 6);
        let header = &message[..header_length(message)];
        assert_eq!(
            header_fields(header, &["subject".into()], false),
            b"Subject: long\r\n subject\r\n\r\n"
        );
        assert_eq!(
            header_fields(header, &["Subject".into()], true),
            b"From: a\r\nTo: b\r\n\r\n"
        );
        assert_eq!(header_length(b"no header end"), 13);
    }
}
