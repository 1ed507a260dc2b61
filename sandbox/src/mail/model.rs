//! The mailbox model behind the IMAP and SMTP emulators: per user a list of folders, per folder
//! its UIDVALIDITY, UIDNEXT and messages in ascending UID order (docs/protocols-mail.md §2.5–2.7).

use std::sync::Arc;

use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::synthetic::Synthetic;

/// The hierarchy delimiter of every Yandex mailbox (docs/protocols-mail.md §2.4).
pub const DELIMITER: char = '|';

/// The system flags, one bit each.
pub const SEEN: u8 = 1;
pub const ANSWERED: u8 = 2;
pub const FLAGGED: u8 = 4;
pub const DELETED: u8 = 8;
pub const DRAFT: u8 = 16;

const SYSTEM_FLAGS: &[(u8, &str)] = &[
    (ANSWERED, "\\Answered"),
    (FLAGGED, "\\Flagged"),
    (DELETED, "\\Deleted"),
    (SEEN, "\\Seen"),
    (DRAFT, "\\Draft"),
];

/// At most this many keywords on one message: a client cannot grow a message without bound.
pub const MAX_KEYWORDS: usize = 32;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    pub system: u8,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
}

impl Flags {
    pub fn has(&self, bit: u8) -> bool {
        self.system & bit != 0
    }

    /// The bit of a system flag name (`\Seen`, case-insensitive).
    pub fn system_bit(name: &str) -> Option<u8> {
        SYSTEM_FLAGS
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(bit, _)| *bit)
    }

    /// The flags in IMAP syntax without the parentheses: `\Seen \Flagged $Forwarded`.
    pub fn render(&self) -> String {
        let mut names: Vec<&str> = SYSTEM_FLAGS
            .iter()
            .filter(|(bit, _)| self.has(*bit))
            .map(|(_, name)| *name)
            .collect();
        names.extend(self.keywords.iter().map(String::as_str));
        names.join(" ")
    }

    pub fn add(&mut self, other: &Flags) {
        self.system |= other.system;
        for keyword in &other.keywords {
            if !self.keywords.iter().any(|k| k.eq_ignore_ascii_case(keyword)) && self.keywords.len() < MAX_KEYWORDS {
                self.keywords.push(keyword.clone());
            }
        }
    }

    pub fn remove(&mut self, other: &Flags) {
        self.system &= !other.system;
        self.keywords
            .retain(|k| !other.keywords.iter().any(|o| o.eq_ignore_ascii_case(k)));
    }
}

/// What a folder is for. Yandex marks the special folders with RFC 6154 attributes in a plain
/// LIST although it does not advertise SPECIAL-USE (docs/protocols-mail.md §2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Inbox,
    Sent,
    Drafts,
    Junk,
    Trash,
    Outbox,
}

impl Role {
    pub fn attribute(self) -> Option<&'static str> {
        match self {
            Role::Sent => Some("\\Sent"),
            Role::Drafts => Some("\\Drafts"),
            Role::Junk => Some("\\Junk"),
            Role::Trash => Some("\\Trash"),
            Role::Inbox | Role::Outbox => None,
        }
    }
}

/// The bytes of a message: kept as given (delivered, appended, seeded by hand), or a synthetic
/// benchmark message made again from its recipe whenever it is read.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Body {
    Stored(#[serde(serialize_with = "to_base64", deserialize_with = "from_base64")] Arc<Vec<u8>>),
    Synthetic(Synthetic),
}

fn to_base64<S: Serializer>(bytes: &Arc<Vec<u8>>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes.as_slice()))
}

fn from_base64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Arc<Vec<u8>>, D::Error> {
    let text = String::deserialize(deserializer)?;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map(Arc::new)
        .map_err(serde::de::Error::custom)
}

impl Body {
    pub fn size(&self) -> u32 {
        match self {
            Body::Stored(bytes) => bytes.len() as u32,
            Body::Synthetic(recipe) => recipe.size,
        }
    }

    /// The whole message; a synthetic one is written into `scratch` and borrowed from there.
    pub fn bytes<'a>(&'a self, scratch: &'a mut Vec<u8>) -> &'a [u8] {
        match self {
            Body::Stored(bytes) => bytes.as_slice(),
            Body::Synthetic(recipe) => {
                recipe.render(scratch);
                scratch.as_slice()
            }
        }
    }

    /// The whole message as an owned buffer (cheap for stored messages).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut scratch = Vec::new();
        self.bytes(&mut scratch).to_vec()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Message {
    pub uid: u32,
    /// INTERNALDATE, Unix seconds.
    pub internal_date: i64,
    pub flags: Flags,
    pub body: Body,
}

impl Message {
    pub fn size(&self) -> u32 {
        self.body.size()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Folder {
    /// The decoded name, hierarchy levels joined by `|`.
    pub name: String,
    pub role: Option<Role>,
    /// A container that holds folders but no messages (`\Noselect`).
    pub noselect: bool,
    pub subscribed: bool,
    pub uidvalidity: u32,
    pub uidnext: u32,
    /// Ascending by UID.
    pub messages: Vec<Message>,
}

impl Folder {
    pub fn new(name: &str, role: Option<Role>, uidvalidity: u32) -> Folder {
        Folder {
            name: name.to_string(),
            role,
            noselect: false,
            subscribed: true,
            uidvalidity,
            uidnext: 1,
            messages: Vec::new(),
        }
    }

    pub fn is_inbox(&self) -> bool {
        self.role == Some(Role::Inbox)
    }

    /// Adds a message with the next UID and returns that UID.
    pub fn append(&mut self, internal_date: i64, flags: Flags, body: Body) -> u32 {
        let uid = self.uidnext;
        self.uidnext += 1;
        self.messages.push(Message {
            uid,
            internal_date,
            flags,
            body,
        });
        uid
    }

    pub fn unseen(&self) -> usize {
        self.messages.iter().filter(|m| !m.flags.has(SEEN)).count()
    }

    /// The index of the message with this UID.
    pub fn position(&self, uid: u32) -> Option<usize> {
        self.messages.binary_search_by_key(&uid, |m| m.uid).ok()
    }

    /// A new UIDVALIDITY: every message gets a new UID from 1, as a server that lost its UID
    /// map does (RFC 3501 §2.3.1.1). The new value is above the old and above `floor`.
    pub fn renumber(&mut self, floor: u32) -> u32 {
        self.uidvalidity = self.uidvalidity.saturating_add(1).max(floor);
        for (index, message) in self.messages.iter_mut().enumerate() {
            message.uid = index as u32 + 1;
        }
        self.uidnext = self.messages.len() as u32 + 1;
        self.uidvalidity
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Mailbox {
    pub email: String,
    pub folders: Vec<Folder>,
}

impl Mailbox {
    /// A folder by decoded name; INBOX matches case-insensitively (RFC 3501 §5.1).
    pub fn folder(&self, name: &str) -> Option<&Folder> {
        self.folders.iter().find(|f| same_name(&f.name, name))
    }

    pub fn folder_mut(&mut self, name: &str) -> Option<&mut Folder> {
        self.folders.iter_mut().find(|f| same_name(&f.name, name))
    }

    pub fn by_role(&mut self, role: Role) -> Option<&mut Folder> {
        self.folders.iter_mut().find(|f| f.role == Some(role))
    }

    pub fn has_children(&self, name: &str) -> bool {
        let prefix = format!("{name}{DELIMITER}");
        self.folders.iter().any(|f| f.name.starts_with(&prefix))
    }

    /// A UIDVALIDITY for a new folder: above every one in use, so no two folders share one.
    pub fn next_uidvalidity(&self, floor: u32) -> u32 {
        let highest = self.folders.iter().map(|f| f.uidvalidity).max().unwrap_or(0);
        highest.saturating_add(1).max(floor)
    }
}

pub fn same_name(a: &str, b: &str) -> bool {
    a == b || (a.eq_ignore_ascii_case("INBOX") && b.eq_ignore_ascii_case("INBOX"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_render_and_change() {
        let mut flags = Flags {
            system: SEEN,
            keywords: vec!["$Forwarded".into()],
        };
        assert_eq!(flags.render(), "\\Seen $Forwarded");
        flags.add(&Flags {
            system: FLAGGED,
            keywords: vec!["$forwarded".into(), "Work".into()],
        });
        assert_eq!(flags.render(), "\\Flagged \\Seen $Forwarded Work");
        flags.remove(&Flags {
            system: SEEN,
            keywords: vec!["WORK".into()],
        });
        assert_eq!(flags.render(), "\\Flagged $Forwarded");
        assert_eq!(Flags::system_bit("\\draft"), Some(DRAFT));
        assert_eq!(Flags::system_bit("\\Recent"), None);
    }

    #[test]
    fn renumbering_starts_uids_again_under_a_new_uidvalidity() {
        let mut folder = Folder::new("INBOX", Some(Role::Inbox), 100);
        for _ in 0..3 {
            folder.append(0, Flags::default(), Body::Stored(Arc::new(b"x".to_vec())));
        }
        folder.messages.remove(0);
        assert_eq!(folder.renumber(50), 101);
        assert_eq!(folder.messages.iter().map(|m| m.uid).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(folder.uidnext, 3);
        assert_eq!(folder.renumber(500), 500);
    }
}
