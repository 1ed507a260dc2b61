//! Meetings with colleagues (docs/protocols-mail.md §4.5): an event whose ATTENDEEs are
//! employees of the sandbox's organization appears in their default calendars too, with the
//! same UID and Telemost link. An attendee's PUT of their copy is answered 2xx but only their
//! own PARTSTAT sticks (the organizer's fields are kept), and after a decline their copy is
//! gone. [unverified] that an organizer's delete removes the copies, and that Yandex sets
//! ORGANIZER to the author of an event with attendees that names none.

use std::collections::BTreeMap;

use super::ical::{Component, Property};
use super::store::{Home, Object};
use crate::accounts::{self, YandexUser};

/// The calendar where invitations land.
const DEFAULT: &str = "events-default";

fn address(property: &Property) -> String {
    let value = property.value.trim();
    let value = value
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("mailto:"))
        .map_or(value, |_| &value[7..]);
    value.to_ascii_lowercase()
}

fn events(calendar: &Component) -> impl Iterator<Item = &Component> {
    calendar.items().filter(|i| i.name == "VEVENT")
}

/// The organizer's address, if the object names one.
pub fn organizer(calendar: &Component) -> Option<String> {
    events(calendar).find_map(|e| e.property("ORGANIZER")).map(address)
}

/// The attendees' addresses (each once).
pub fn attendees(calendar: &Component) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for event in events(calendar) {
        for attendee in event.properties.iter().filter(|p| p.name == "ATTENDEE") {
            let email = address(attendee);
            if !all.contains(&email) {
                all.push(email);
            }
        }
    }
    all
}

/// `ORGANIZER:mailto:<author>` on an event with attendees that names no organizer.
pub fn ensure_organizer(calendar: &mut Component, author: &str) {
    if attendees(calendar).is_empty() || organizer(calendar).is_some() {
        return;
    }
    for event in calendar.components.iter_mut().filter(|c| c.name == "VEVENT") {
        event
            .properties
            .push(Property::new("ORGANIZER", &format!("mailto:{author}")));
    }
}

/// The PARTSTAT of `email`'s ATTENDEE line (NEEDS-ACTION when it names none).
pub fn partstat(calendar: &Component, email: &str) -> Option<String> {
    events(calendar)
        .flat_map(|e| e.properties.iter())
        .find(|p| p.name == "ATTENDEE" && address(p) == email.to_ascii_lowercase())
        .map(|p| p.param("PARTSTAT").unwrap_or("NEEDS-ACTION").to_ascii_uppercase())
}

/// Rewrites `email`'s ATTENDEE lines with this PARTSTAT.
pub fn set_partstat(calendar: &mut Component, email: &str, value: &str) {
    for event in calendar.components.iter_mut().filter(|c| c.name == "VEVENT") {
        for attendee in event.properties.iter_mut().filter(|p| p.name == "ATTENDEE") {
            if address(attendee) != email.to_ascii_lowercase() {
                continue;
            }
            let params: Vec<String> = attendee
                .params
                .iter()
                .filter(|(k, _)| k != "PARTSTAT")
                .map(|(k, v)| {
                    if v.contains([':', ';', ',']) {
                        format!("{k}=\"{v}\"")
                    } else {
                        format!("{k}={v}")
                    }
                })
                .chain(std::iter::once(format!("PARTSTAT={value}")))
                .collect();
            attendee.raw = format!("ATTENDEE;{}:{}", params.join(";"), attendee.value);
            *attendee = Property::parse(&attendee.raw.clone()).unwrap_or_else(|| attendee.clone());
        }
    }
}

/// The sandbox employees among an object's attendees, the organizer aside.
fn colleagues(calendar: &Component, organizer: &str) -> Vec<&'static YandexUser> {
    attendees(calendar)
        .iter()
        .filter(|email| *email != organizer)
        .filter_map(|email| {
            accounts::YANDEX_USERS
                .iter()
                .find(|u| u.in_org && u.email.eq_ignore_ascii_case(email))
        })
        .collect()
}

/// Puts a copy of the organizer's object in each colleague's default calendar, keeping the
/// PARTSTAT a colleague already gave.
pub fn deliver(homes: &mut BTreeMap<String, Home>, organizer: &str, stored: &Component, uid: &str, stamp: i64) {
    for colleague in colleagues(stored, organizer) {
        let Some(calendar) = homes.get_mut(colleague.uid).and_then(|h| h.calendar_mut(DEFAULT)) else {
            continue;
        };
        let name = calendar
            .name_of_uid(uid)
            .map_or_else(|| format!("{uid}.ics"), str::to_string);
        let mut copy = stored.clone();
        let given = calendar
            .objects
            .get(&name)
            .and_then(|o| super::ical::parse(&o.data).ok())
            .and_then(|c| partstat(&c, colleague.email));
        if let Some(given) = given {
            set_partstat(&mut copy, colleague.email, &given);
        }
        let data = copy.to_text();
        calendar.put(
            &name,
            Object {
                data,
                uid: uid.to_string(),
                stamp,
            },
        );
    }
}

/// Removes the colleagues' copies of an object its organizer deleted.
pub fn withdraw(homes: &mut BTreeMap<String, Home>, organizer: &str, stored: &Component, uid: &str, stamp: i64) {
    for colleague in colleagues(stored, organizer) {
        let Some(calendar) = homes.get_mut(colleague.uid).and_then(|h| h.calendar_mut(DEFAULT)) else {
            continue;
        };
        if let Some(name) = calendar.name_of_uid(uid).map(str::to_string) {
            calendar.remove(&name, stamp);
        }
    }
}

/// Records an attendee's answer in the organizer's copy.
pub fn tell_organizer(
    homes: &mut BTreeMap<String, Home>,
    organizer: &str,
    uid: &str,
    attendee: &str,
    answer: &str,
    stamp: i64,
) {
    let Some(user) = accounts::YANDEX_USERS
        .iter()
        .find(|u| u.email.eq_ignore_ascii_case(organizer))
    else {
        return;
    };
    let Some(home) = homes.get_mut(user.uid) else { return };
    for calendar in home.calendars.iter_mut() {
        let Some(name) = calendar.name_of_uid(uid).map(str::to_string) else {
            continue;
        };
        let Some(mut copy) = calendar
            .objects
            .get(&name)
            .and_then(|o| super::ical::parse(&o.data).ok())
        else {
            continue;
        };
        set_partstat(&mut copy, attendee, answer);
        calendar.put(
            &name,
            Object {
                data: copy.to_text(),
                uid: uid.to_string(),
                stamp,
            },
        );
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::super::ical::parse;
    use super::*;

    const MEETING: &str = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:m1\r\nDTSTART:20261201T100000Z\r\nATTENDEE;CN=\"Петров, Иван\";PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:Ivan.Petrov@sandbox-org.ru\r\nATTENDEE:mailto:friend@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn organizer_attendees_and_answers() {
        let mut calendar = parse(MEETING).unwrap();
        assert_eq!(
            attendees(&calendar),
            ["ivan.petrov@sandbox-org.ru", "friend@example.com"]
        );
        assert_eq!(organizer(&calendar), None);
        ensure_organizer(&mut calendar, "maria.ivanova@sandbox-org.ru");
        assert_eq!(organizer(&calendar).as_deref(), Some("maria.ivanova@sandbox-org.ru"));
        assert_eq!(
            partstat(&calendar, "ivan.petrov@sandbox-org.ru").as_deref(),
            Some("NEEDS-ACTION")
        );
        set_partstat(&mut calendar, "ivan.petrov@sandbox-org.ru", "ACCEPTED");
        assert_eq!(
            partstat(&calendar, "IVAN.PETROV@sandbox-org.ru").as_deref(),
            Some("ACCEPTED")
        );
        let lines = super::super::ical::unfold(&calendar.to_text());
        let line = "ATTENDEE;CN=\"Петров, Иван\";RSVP=TRUE;PARTSTAT=ACCEPTED:mailto:Ivan.Petrov@sandbox-org.ru";
        assert!(lines.iter().any(|l| l == line), "{lines:?}");
        let colleagues = colleagues(&calendar, "maria.ivanova@sandbox-org.ru");
        assert_eq!(
            colleagues.iter().map(|u| u.uid).collect::<Vec<_>>(),
            ["1130000000000002"]
        );
    }
}
