//! Every user's calendars as Yandex lays them out (docs/protocols-mail.md §4.2): `events-default`
//! ("Мои события"), a second calendar of their own, a read-only shared one, and a to-do list;
//! objects with millisecond ETags, a CTag and sync token per calendar (`data:,<ms>`), and the
//! removed objects remembered for sync-collection.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ical;
use crate::accounts::{self, YandexUser};
use crate::mail::seed::{is_russian, BASE_DATE};
use crate::state::lock;

/// Limits: objects per calendar, calendars per user, removals remembered for sync.
pub const MAX_OBJECTS: usize = 10_000;
pub const MAX_CALENDARS: usize = 100;
const MAX_REMOVED: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Access {
    ReadWrite,
    ReadOnly,
    /// The to-do list of the recorded traffic: an empty privilege set ([unverified] what it
    /// means; the sandbox lets it be read, not written).
    Listed,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Object {
    pub data: String,
    pub uid: String,
    /// The ETag and the change's sync position, milliseconds.
    pub stamp: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Calendar {
    /// The path segment: `events-default`, `events-12618`, `todos-3946`.
    pub id: String,
    pub name: String,
    /// `#rrggbbaa`.
    pub color: String,
    /// `VEVENT` or `VTODO`.
    pub component: String,
    pub access: Access,
    pub deletable: bool,
    /// The owner's address (a shared calendar belongs to someone else).
    pub owner: String,
    pub objects: BTreeMap<String, Object>,
    /// Names removed, with the stamp of their removal.
    pub removed: Vec<(String, i64)>,
    /// The CTag and sync token: the stamp of the last change.
    pub stamp: i64,
    /// Sync tokens older than this can no longer be answered (removals forgotten).
    pub oldest_token: i64,
}

impl Calendar {
    pub fn writable(&self) -> bool {
        self.access == Access::ReadWrite
    }

    /// The name of the object with this UID, if any.
    pub fn name_of_uid(&self, uid: &str) -> Option<&str> {
        self.objects.iter().find(|(_, o)| o.uid == uid).map(|(n, _)| n.as_str())
    }

    pub fn put(&mut self, name: &str, object: Object) {
        self.stamp = object.stamp;
        self.removed.retain(|(n, _)| n != name);
        self.objects.insert(name.to_string(), object);
    }

    pub fn remove(&mut self, name: &str, stamp: i64) -> bool {
        if self.objects.remove(name).is_none() {
            return false;
        }
        self.stamp = stamp;
        self.removed.push((name.to_string(), stamp));
        if self.removed.len() > MAX_REMOVED {
            let (_, forgotten) = self.removed.remove(0);
            self.oldest_token = forgotten;
        }
        true
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Home {
    pub calendars: Vec<Calendar>,
}

impl Home {
    pub fn calendar(&self, id: &str) -> Option<&Calendar> {
        self.calendars.iter().find(|c| c.id == id)
    }

    pub fn calendar_mut(&mut self, id: &str) -> Option<&mut Calendar> {
        self.calendars.iter_mut().find(|c| c.id == id)
    }
}

#[derive(Default, Serialize, Deserialize)]
struct Data {
    homes: BTreeMap<String, Home>,
    last_stamp: i64,
}

pub struct Store {
    data: Mutex<Data>,
}

/// Milliseconds of the sandbox's clock (real time plus its offset).
pub fn now_ms(clock_offset_s: i64) -> i64 {
    let real = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    real + clock_offset_s * 1000
}

impl Store {
    pub fn new() -> Store {
        let store = Store {
            data: Mutex::new(Data::default()),
        };
        store.reset();
        store
    }

    pub fn reset(&self) {
        let mut data = lock(&self.data);
        *data = Data {
            // Above every seeded stamp, so that a change always moves a calendar's token on.
            last_stamp: BASE_DATE * 1000 + 1000,
            ..Data::default()
        };
        for (index, user) in accounts::YANDEX_USERS.iter().enumerate() {
            data.homes.insert(user.uid.to_string(), seed(user, index));
        }
    }

    pub fn snapshot(&self) -> Value {
        serde_json::to_value(&*lock(&self.data)).unwrap_or_default()
    }

    pub fn restore(&self, snapshot: Value) {
        if let Ok(data) = serde_json::from_value::<Data>(snapshot) {
            if !data.homes.is_empty() {
                *lock(&self.data) = data;
            }
        }
    }

    pub fn read<R>(&self, uid: &str, f: impl FnOnce(&Home) -> R) -> Option<R> {
        lock(&self.data).homes.get(uid).map(f)
    }

    /// Changes a user's calendars; `f` gets a fresh stamp, above every earlier one.
    pub fn write<R>(&self, uid: &str, now_ms: i64, f: impl FnOnce(&mut Home, i64) -> R) -> Option<R> {
        self.write_all(now_ms, |homes, stamp| homes.get_mut(uid).map(|home| f(home, stamp)))
    }

    /// Changes several users' calendars at once (meetings reach the attendees' calendars).
    pub fn write_all<R>(&self, now_ms: i64, f: impl FnOnce(&mut BTreeMap<String, Home>, i64) -> R) -> R {
        let mut data = lock(&self.data);
        let stamp = now_ms.max(data.last_stamp + 1);
        data.last_stamp = stamp;
        f(&mut data.homes, stamp)
    }
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

fn calendar(id: String, name: &str, color: &str, component: &str, access: Access, owner: &str) -> Calendar {
    let stamp = BASE_DATE * 1000;
    Calendar {
        id,
        name: name.to_string(),
        color: color.to_string(),
        component: component.to_string(),
        access,
        deletable: access == Access::ReadWrite,
        owner: owner.to_string(),
        objects: BTreeMap::new(),
        removed: Vec::new(),
        stamp,
        oldest_token: stamp,
    }
}

/// A seeded object: the text made canonical, stamped at the seed time plus `n` ms.
fn seeded_object(text: &str, n: i64) -> (String, Object) {
    let mut parsed = ical::parse(text).expect("seeded objects are valid");
    ical::normalise(&mut parsed);
    let uid = ical::check(&parsed, if text.contains("VTODO") { "VTODO" } else { "VEVENT" }).expect("seeded UID");
    let object = Object {
        data: parsed.to_text(),
        uid: uid.clone(),
        stamp: BASE_DATE * 1000 + n,
    };
    (format!("{uid}.ics"), object)
}

fn event(uid: &str, summary: &str, lines: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260301T090000Z\r\nSUMMARY:{summary}\r\n{lines}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// The seeded objects of the default calendar: a weekly stand-up and a vacation.
fn default_objects(index: usize, ru: bool) -> [String; 2] {
    let t = |ru_text: &'static str, en_text: &'static str| if ru { ru_text } else { en_text };
    let stand_up = event(
        &format!("standup{index}yandex.ru"),
        t("Планёрка", "Stand-up"),
        "DTSTART;TZID=Europe/Moscow:20260302T100000\r\nDTEND;TZID=Europe/Moscow:20260302T101500\r\nRRULE:FREQ=WEEKLY;BYDAY=MO\r\n",
    );
    let vacation = event(
        &format!("vacation{index}yandex.ru"),
        t("Отпуск", "Vacation"),
        "DTSTART;VALUE=DATE:20260701\r\nDTEND;VALUE=DATE:20260715\r\n",
    );
    [stand_up, vacation]
}

/// The calendars every user starts with.
fn seed(user: &YandexUser, index: usize) -> Home {
    let ru = is_russian(user);
    let t = |ru_text: &'static str, en_text: &'static str| if ru { ru_text } else { en_text };
    let number = 12_600 + 10 * index;
    let colleague = accounts::YANDEX_USERS
        .iter()
        .find(|u| u.in_org && u.uid != user.uid)
        .unwrap_or(user);
    let mine = |id: String, name, color| calendar(id, name, color, "VEVENT", Access::ReadWrite, user.email);
    let mut default = mine("events-default".into(), t("Мои события", "My events"), "#49c0a8ff");
    default.deletable = false;
    for (n, text) in default_objects(index, ru).iter().enumerate() {
        let (name, object) = seeded_object(text, n as i64);
        default.put(&name, object);
    }
    let own = mine(
        format!("events-{}", number + 1),
        t("Мой календарь", "My calendar"),
        "#ff6666ff",
    );
    let holidays = t("Праздники", "Holidays");
    let mut shared = calendar(
        format!("events-{}", number + 2),
        holidays,
        "#f6ad00ff",
        "VEVENT",
        Access::ReadOnly,
        colleague.email,
    );
    let holiday = event(
        &format!("newyear{index}yandex.ru"),
        t("Новый год", "New Year"),
        "DTSTART;VALUE=DATE:20270101\r\nDTEND;VALUE=DATE:20270102\r\n",
    );
    let (name, object) = seeded_object(&holiday, 2);
    shared.put(&name, object);
    let list = t("Не забыть", "Don't forget");
    let mut todos = calendar(
        format!("todos-{}", number + 3),
        list,
        "#8c8c8cff",
        "VTODO",
        Access::Listed,
        user.email,
    );
    let todo = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTODO\r\nUID:todo{index}yandex.ru\r\nDTSTAMP:20260301T090000Z\r\nSUMMARY:{}\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
        t("Купить билеты", "Buy tickets")
    );
    let (name, object) = seeded_object(&todo, 3);
    todos.put(&name, object);
    Home {
        calendars: vec![default, own, shared, todos],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_layout_and_sync_bookkeeping() {
        let store = Store::new();
        let ivan = store.read("1130000000000002", |home| home.clone()).unwrap();
        let ids: Vec<&str> = ivan.calendars.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["events-default", "events-12611", "events-12612", "todos-12613"]);
        assert_eq!(ivan.calendars[0].name, "Мои события");
        assert_eq!(ivan.calendars[0].objects.len(), 2);
        let stamp = store
            .write("1130000000000002", 5, |home, stamp| {
                let calendar = home.calendar_mut("events-default").unwrap();
                assert!(calendar.remove("standup1yandex.ru.ics", stamp));
                assert!(!calendar.remove("standup1yandex.ru.ics", stamp));
                stamp
            })
            .unwrap();
        assert!(stamp > BASE_DATE * 1000, "stamps never go back");
        let calendar = store
            .read("1130000000000002", |h| h.calendar("events-default").unwrap().clone())
            .unwrap();
        assert_eq!((calendar.stamp, calendar.removed.len()), (stamp, 1));
    }
}
