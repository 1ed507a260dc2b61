//! Yandex Mail over IMAP and SMTP (docs/protocols-mail.md §2–§3): every user of the sandbox has
//! a mailbox, served by an IMAP listener and fed by an SMTP listener on their own loopback ports,
//! both authenticating with XOAUTH2 and the sandbox's OAuth tokens. Control endpoints under
//! `/_sandbox/mail/` seed benchmark messages, bump a folder's UIDVALIDITY and inject faults.

pub mod auth;
pub mod control;
pub mod dates;
pub mod faults;
pub mod imap;
pub mod model;
pub mod mutf7;
pub mod seed;
pub mod smtp;
pub mod synthetic;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;

use crate::accounts::{self, YandexUser};
use crate::state::lock;
use model::Mailbox;

/// At most this many messages in one folder: a benchmark seeds thousands, never millions.
pub const MAX_FOLDER_MESSAGES: usize = 200_000;
/// At most this many folders in one mailbox.
pub const MAX_FOLDERS: usize = 1000;
/// Messages SMTP accepted for addresses outside the sandbox, the latest kept for inspection.
const MAX_OUTGOING: usize = 100;

/// A message SMTP relayed to an address that has no sandbox mailbox.
#[derive(Clone, Serialize, Deserialize)]
pub struct Outgoing {
    pub from: String,
    pub to: Vec<String>,
    pub size: usize,
    pub at: i64,
}

#[derive(Default, Serialize, Deserialize)]
struct Data {
    /// Mailboxes by the owner's uid.
    mailboxes: BTreeMap<String, Mailbox>,
    outgoing: VecDeque<Outgoing>,
    /// The series number of the next benchmark seeding.
    next_series: u64,
}

/// Every mailbox of the sandbox. Sessions hold the lock only between awaits; a change wakes the
/// sessions that are idling (IDLE) through a counter they watch.
pub struct Store {
    data: Mutex<Data>,
    changes: watch::Sender<u64>,
    pub faults: faults::Faults,
}

impl Store {
    pub fn new() -> Store {
        let (changes, _) = watch::channel(0);
        let store = Store {
            data: Mutex::new(Data::default()),
            changes,
            faults: faults::Faults::default(),
        };
        store.reset();
        store
    }

    /// Every user's mailbox as seeded at start.
    pub fn reset(&self) {
        let mut data = lock(&self.data);
        *data = Data {
            next_series: 1,
            ..Data::default()
        };
        for user in accounts::YANDEX_USERS {
            data.mailboxes.insert(user.uid.to_string(), seed::mailbox(user));
        }
        drop(data);
        self.faults.clear();
        self.changed();
    }

    pub fn snapshot(&self) -> Value {
        serde_json::to_value(&*lock(&self.data)).unwrap_or_default()
    }

    pub fn restore(&self, snapshot: Value) {
        if let Ok(data) = serde_json::from_value::<Data>(snapshot) {
            if !data.mailboxes.is_empty() {
                *lock(&self.data) = data;
            }
        }
    }

    /// Reads the mailbox of `uid`.
    pub fn read<R>(&self, uid: &str, f: impl FnOnce(&Mailbox) -> R) -> Option<R> {
        lock(&self.data).mailboxes.get(uid).map(f)
    }

    /// Changes the mailbox of `uid` and wakes the idling sessions.
    pub fn write<R>(&self, uid: &str, f: impl FnOnce(&mut Mailbox) -> R) -> Option<R> {
        self.update(uid, true, f)
    }

    /// Changes the mailbox of `uid`; wakes the idling sessions only when `notify`.
    pub fn update<R>(&self, uid: &str, notify: bool, f: impl FnOnce(&mut Mailbox) -> R) -> Option<R> {
        let result = lock(&self.data).mailboxes.get_mut(uid).map(f);
        if notify {
            self.changed();
        }
        result
    }

    fn changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that sees every change (IDLE waits on it).
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// A new series number for benchmark seeding.
    pub fn next_series(&self) -> u64 {
        let mut data = lock(&self.data);
        let series = data.next_series.max(1);
        data.next_series = series + 1;
        series
    }

    pub fn record_outgoing(&self, outgoing: Outgoing) {
        let mut data = lock(&self.data);
        if data.outgoing.len() == MAX_OUTGOING {
            data.outgoing.pop_front();
        }
        data.outgoing.push_back(outgoing);
    }

    pub fn outgoing(&self) -> Vec<Outgoing> {
        lock(&self.data).outgoing.iter().cloned().collect()
    }
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

/// The sandbox user who owns an address (case-insensitive).
pub fn user_by_email(email: &str) -> Option<&'static YandexUser> {
    accounts::YANDEX_USERS
        .iter()
        .find(|u| u.email.eq_ignore_ascii_case(email))
}

/// A user named by uid or e-mail address (control endpoints accept either).
pub fn user_by_name(name: &str) -> Option<&'static YandexUser> {
    accounts::yandex_user(name).or_else(|| user_by_email(name))
}
