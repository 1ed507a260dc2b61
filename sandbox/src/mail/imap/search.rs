//! SEARCH and UID SEARCH (RFC 3501 §6.4.4, docs/protocols-mail.md §2.6): flags, dates, sizes,
//! header and text matches (encoded words decoded), UID and sequence sets, NOT, OR and
//! parentheses. Yandex's `SENTSINCE` also finds mail up to a couple of days older than asked;
//! setting `imap_sentsince_slack_days` reproduces it (0: the RFC's rule).

use std::cell::OnceCell;

use super::super::dates::{local_day, parse_rfc5322, parse_search_date};
use super::super::model::{Flags, Folder, Message, ANSWERED, DELETED, DRAFT, FLAGGED, SEEN};
use super::fetch::header_length;
use super::mime::{decode_words, fields};
use super::parse::{Parser, SequenceSet};
use super::respond::completed;
use super::{Done, Outcome, Session, Stop};
use crate::wire::Stream;

/// Nesting of NOT, OR and parentheses.
const MAX_DEPTH: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum When {
    Before,
    On,
    Since,
}

#[derive(Debug)]
enum Key {
    All,
    Flag(u8, bool),
    Keyword(String, bool),
    /// NEW is RECENT and unseen; nothing is ever RECENT here.
    Never,
    Internal(When, i64),
    Sent(When, i64),
    Larger(u32),
    Smaller(u32),
    Header(String, String),
    Body(String),
    Text(String),
    Uid(SequenceSet),
    Seq(SequenceSet),
    Not(Box<Key>),
    Or(Box<Key>, Box<Key>),
    And(Vec<Key>),
}

fn text(parser: &mut Parser<'_>) -> Result<String, Stop> {
    parser.space()?;
    Ok(String::from_utf8_lossy(&parser.astring()?).to_lowercase())
}

fn day(parser: &mut Parser<'_>) -> Result<i64, Stop> {
    parser.space()?;
    let raw = parser.astring()?;
    parse_search_date(&String::from_utf8_lossy(&raw)).ok_or_else(|| Stop::Syntax("Invalid date".into()))
}

fn flag_key(name: &str) -> Option<Key> {
    let (bit, set) = match name {
        "ANSWERED" => (ANSWERED, true),
        "DELETED" => (DELETED, true),
        "DRAFT" => (DRAFT, true),
        "FLAGGED" => (FLAGGED, true),
        "SEEN" | "OLD" => (SEEN, true),
        "UNANSWERED" => (ANSWERED, false),
        "UNDELETED" => (DELETED, false),
        "UNDRAFT" => (DRAFT, false),
        "UNFLAGGED" => (FLAGGED, false),
        "UNSEEN" => (SEEN, false),
        _ => return None,
    };
    Some(Key::Flag(bit, set))
}

fn key(parser: &mut Parser<'_>, depth: usize) -> Result<Key, Stop> {
    if depth > MAX_DEPTH {
        return Err(Stop::Syntax("Search is nested too deeply".into()));
    }
    if parser.eat(b'(') {
        let keys = keys(parser, depth + 1, Some(b')'))?;
        return Ok(Key::And(keys));
    }
    if matches!(parser.peek(), Some(b'0'..=b'9' | b'*')) {
        return Ok(Key::Seq(parser.sequence_set()?));
    }
    let name = parser.keyword()?;
    if let Some(flag) = flag_key(&name) {
        return Ok(flag);
    }
    Ok(match name.as_str() {
        "ALL" => Key::All,
        "NEW" | "RECENT" => Key::Never,
        "KEYWORD" | "UNKEYWORD" => {
            parser.space()?;
            Key::Keyword(parser.atom()?.to_string(), name == "KEYWORD")
        }
        "BEFORE" => Key::Internal(When::Before, day(parser)?),
        "ON" => Key::Internal(When::On, day(parser)?),
        "SINCE" => Key::Internal(When::Since, day(parser)?),
        "SENTBEFORE" => Key::Sent(When::Before, day(parser)?),
        "SENTON" => Key::Sent(When::On, day(parser)?),
        "SENTSINCE" => Key::Sent(When::Since, day(parser)?),
        "LARGER" | "SMALLER" => {
            parser.space()?;
            let size = parser.number()?;
            if name == "LARGER" {
                Key::Larger(size)
            } else {
                Key::Smaller(size)
            }
        }
        "FROM" | "TO" | "CC" | "BCC" | "SUBJECT" => Key::Header(name.to_ascii_lowercase(), text(parser)?),
        "HEADER" => {
            let field = text(parser)?;
            Key::Header(field, text(parser)?)
        }
        "BODY" => Key::Body(text(parser)?),
        "TEXT" => Key::Text(text(parser)?),
        "UID" => {
            parser.space()?;
            Key::Uid(parser.sequence_set()?)
        }
        "NOT" => {
            parser.space()?;
            Key::Not(Box::new(key(parser, depth + 1)?))
        }
        "OR" => {
            parser.space()?;
            let left = key(parser, depth + 1)?;
            parser.space()?;
            Key::Or(Box::new(left), Box::new(key(parser, depth + 1)?))
        }
        _ => return Err(Stop::Syntax(format!("Unknown search key {name}"))),
    })
}

/// Keys separated by spaces, up to `close` (or the end of the command).
fn keys(parser: &mut Parser<'_>, depth: usize, close: Option<u8>) -> Result<Vec<Key>, Stop> {
    let mut keys = Vec::new();
    loop {
        keys.push(key(parser, depth)?);
        if let Some(close) = close {
            if parser.eat(close) {
                return Ok(keys);
            }
        } else if parser.is_end() {
            return Ok(keys);
        }
        parser.space()?;
        if keys.len() > 100 {
            return Err(Stop::Syntax("Too many search keys".into()));
        }
    }
}

/// A message being tested, its bytes made only when a key needs them.
struct Candidate<'a> {
    seq: u32,
    message: &'a Message,
    bytes: OnceCell<Vec<u8>>,
}

impl Candidate<'_> {
    fn bytes(&self) -> &[u8] {
        self.bytes.get_or_init(|| self.message.body.to_vec())
    }

    fn header(&self) -> &[u8] {
        let bytes = self.bytes();
        &bytes[..header_length(bytes)]
    }
}

struct Context {
    largest_uid: u32,
    count: u32,
    sentsince_slack_days: i64,
}

fn compare(when: When, day: i64, wanted: i64) -> bool {
    match when {
        When::Before => day < wanted,
        When::On => day == wanted,
        When::Since => day >= wanted,
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    needle.is_empty() || String::from_utf8_lossy(haystack).to_lowercase().contains(needle)
}

fn has_keyword(flags: &Flags, keyword: &str) -> bool {
    flags.keywords.iter().any(|k| k.eq_ignore_ascii_case(keyword))
}

fn matches(key: &Key, candidate: &Candidate<'_>, context: &Context) -> bool {
    let message = candidate.message;
    match key {
        Key::All => true,
        Key::Never => false,
        Key::Flag(bit, set) => message.flags.has(*bit) == *set,
        Key::Keyword(keyword, set) => has_keyword(&message.flags, keyword) == *set,
        Key::Internal(when, day) => compare(*when, local_day(message.internal_date), *day),
        Key::Sent(when, day) => {
            let sent = fields(candidate.header())
                .into_iter()
                .find(|(name, _)| name == "date")
                .and_then(|(_, value)| parse_rfc5322(&String::from_utf8_lossy(value.as_slice())));
            let slack = if *when == When::Since {
                context.sentsince_slack_days
            } else {
                0
            };
            sent.is_some_and(|sent| compare(*when, local_day(sent), day - slack))
        }
        Key::Larger(size) => message.size() > *size,
        Key::Smaller(size) => message.size() < *size,
        Key::Header(name, needle) => fields(candidate.header())
            .iter()
            .filter(|(field, _)| field == name)
            .any(|(_, value)| contains(value, needle) || decode_words(value).to_lowercase().contains(needle.as_str())),
        Key::Body(needle) => contains(&candidate.bytes()[candidate.header().len()..], needle),
        Key::Text(needle) => contains(candidate.bytes(), needle),
        Key::Uid(set) => set.contains(message.uid, context.largest_uid),
        Key::Seq(set) => set.contains(candidate.seq, context.count),
        Key::Not(inner) => !matches(inner, candidate, context),
        Key::Or(left, right) => matches(left, candidate, context) || matches(right, candidate, context),
        Key::And(keys) => keys.iter().all(|k| matches(k, candidate, context)),
    }
}

/// The messages of the session's view that match, as (sequence number, UID).
fn run(folder: &Folder, view: &[u32], key: &Key, context: &Context) -> Vec<(u32, u32)> {
    view.iter()
        .enumerate()
        .filter_map(|(index, &uid)| {
            let message = &folder.messages[folder.position(uid)?];
            let candidate = Candidate {
                seq: index as u32 + 1,
                message,
                bytes: OnceCell::new(),
            };
            matches(key, &candidate, context).then_some((index as u32 + 1, uid))
        })
        .collect()
}

impl<S: Stream> Session<S> {
    pub(super) async fn search(&mut self, name: &str, parser: &mut Parser<'_>) -> Outcome {
        parser.space()?;
        let mark = parser.position();
        if parser
            .take_while(|b| b.is_ascii_alphabetic())
            .eq_ignore_ascii_case(b"CHARSET")
        {
            parser.space()?;
            let charset = parser.astring()?;
            if !charset.eq_ignore_ascii_case(b"UTF-8") && !charset.eq_ignore_ascii_case(b"US-ASCII") {
                return Ok(Done::No(format!(
                    "[BADCHARSET (UTF-8 US-ASCII)] {name} Unsupported charset"
                )));
            }
            parser.space()?;
        } else {
            parser.rewind(mark);
        }
        let key = Key::And(keys(parser, 0, None)?);
        let Some(selected) = self.selected.as_ref() else {
            return Ok(Done::Bad(format!("{name} No mailbox selected")));
        };
        let context = Context {
            largest_uid: selected.uids.last().copied().unwrap_or(0),
            count: selected.uids.len() as u32,
            sentsince_slack_days: self.state.settings().imap_sentsince_slack_days as i64,
        };
        let by_uid = name == "UID SEARCH";
        let found = self
            .state
            .mail
            .read(self.owner(), |mb| {
                mb.folder(&selected.name)
                    .map(|f| run(f, &selected.uids, &key, &context))
            })
            .flatten()
            .unwrap_or_default();
        let mut line = String::from("* SEARCH");
        for (seq, uid) in found {
            line.push(' ');
            line.push_str(&if by_uid { uid } else { seq }.to_string());
        }
        self.send(line.as_bytes()).await?;
        Ok(Done::Ok(completed(name)))
    }
}
