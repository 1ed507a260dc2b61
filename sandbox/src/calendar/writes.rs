//! The writing methods (docs/protocols-mail.md §4.5–4.6): PUT of an object (preconditions
//! If-Match / If-None-Match, one UID per calendar, the calendar's component only, 201 or 204
//! without an ETag, a Telemost meeting for `X-TELEMOST-REQUIRED:TRUE`), DELETE of objects and
//! calendars, MKCALENDAR (setting `caldav_mkcalendar`) and PROPPATCH of name and colour.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::ical::{self, Component, Invalid};
use super::invites;
use super::paths::Target;
use super::store::{now_ms, Access, Calendar, Home, Object, MAX_CALENDARS, MAX_OBJECTS};
use super::xml::{self, empty, href, status, Element, APPLE, CALDAV, DAV};
use super::{precondition, xml_response, Caller};
use crate::state::Shared;

/// The largest calendar object taken.
const MAX_OBJECT: usize = 1024 * 1024;

fn plain(status: StatusCode) -> Response {
    status.into_response()
}

/// Whether an If-Match value names this ETag (quotes and `W/` aside: clients send back what
/// they were given, quoted or not).
fn same_tag(header: &str, stamp: i64) -> bool {
    header.split(',').any(|tag| {
        let tag = tag.trim().trim_start_matches("W/").trim_matches('"');
        tag == "*" || tag == stamp.to_string()
    })
}

/// The If-Match / If-None-Match checks of a write against the current object's stamp.
fn preconditions_hold(headers: &HeaderMap, current: Option<i64>) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(if_match) = header("If-Match") {
        if !current.is_some_and(|stamp| same_tag(if_match, stamp)) {
            return false;
        }
    }
    if let Some(if_none_match) = header("If-None-Match") {
        if current.is_some() && (if_none_match.trim() == "*" || current.is_some_and(|s| same_tag(if_none_match, s))) {
            return false;
        }
    }
    true
}

pub fn put(state: &Shared, caller: &Caller, target: &Target, headers: &HeaderMap, body: &[u8]) -> Response {
    let Target::Object(_, id, name) = target else {
        return plain(StatusCode::METHOD_NOT_ALLOWED);
    };
    if body.len() > MAX_OBJECT {
        return plain(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let Some(parsed) = std::str::from_utf8(body).ok().and_then(|text| ical::parse(text).ok()) else {
        return precondition(StatusCode::FORBIDDEN, CALDAV, "valid-calendar-data");
    };
    let now = now_ms(state.clock.offset_s.load(std::sync::atomic::Ordering::SeqCst));
    let written = state.calendar.write_all(now, |homes, stamp| {
        let write = Write {
            state,
            caller,
            id,
            name,
            headers,
            stamp,
        };
        write.run(homes, parsed)
    });
    state.save();
    match written {
        Ok(true) => plain(StatusCode::CREATED),
        Ok(false) => plain(StatusCode::NO_CONTENT),
        Err(refusal) => refusal.response(&caller.paths, id),
    }
}

/// One PUT, run under the calendars' lock.
struct Write<'a> {
    state: &'a Shared,
    caller: &'a Caller,
    id: &'a str,
    name: &'a str,
    headers: &'a HeaderMap,
    stamp: i64,
}

impl Write<'_> {
    /// Checks the PUT against the target calendar, then stores it (or, from an attendee, takes
    /// only their answer). Whether the object is new.
    fn run(&self, homes: &mut BTreeMap<String, Home>, mut parsed: Component) -> Result<bool, Refusal> {
        let me = self.caller.user.email;
        let calendar = homes
            .get_mut(self.caller.user.uid)
            .and_then(|h| h.calendar_mut(self.id))
            .ok_or(Refusal::NoCalendar)?;
        if !calendar.writable() {
            return Err(Refusal::Forbidden);
        }
        let object_uid = ical::check(&parsed, &calendar.component).map_err(Refusal::Invalid)?;
        let existing = calendar.objects.get(self.name).cloned();
        if !preconditions_hold(self.headers, existing.as_ref().map(|o| o.stamp)) {
            return Err(Refusal::Precondition);
        }
        if let Some(other) = calendar.name_of_uid(&object_uid).filter(|other| *other != self.name) {
            return Err(Refusal::UidConflict(other.to_string()));
        }
        if existing.is_none() && calendar.objects.len() >= MAX_OBJECTS {
            return Err(Refusal::Full);
        }
        let stored = existing.as_ref().and_then(|o| ical::parse(&o.data).ok());
        if let Some(organizer) = stored
            .as_ref()
            .and_then(invites::organizer)
            .filter(|o| !o.eq_ignore_ascii_case(me))
        {
            return Ok(self.answer(homes, stored.unwrap_or_default(), &parsed, &organizer, &object_uid));
        }
        invites::ensure_organizer(&mut parsed, me);
        if ical::needs_telemost(&parsed) {
            let earlier = stored.as_ref().and_then(ical::telemost_link);
            let link = earlier.unwrap_or_else(|| self.state.telemost.create_for_event(self.caller.user.uid));
            ical::add_telemost(&mut parsed, &link);
        }
        ical::normalise(&mut parsed);
        let object = Object {
            data: parsed.to_text(),
            uid: object_uid.clone(),
            stamp: self.stamp,
        };
        calendar.put(self.name, object);
        invites::deliver(homes, me, &parsed, &object_uid, self.stamp);
        Ok(existing.is_none())
    }

    /// An attendee's PUT of their copy: only their PARTSTAT is taken, the organizer hears of it,
    /// and a decline removes the copy (docs/protocols-mail.md §4.5).
    fn answer(
        &self,
        homes: &mut BTreeMap<String, Home>,
        mut copy: Component,
        sent: &Component,
        organizer: &str,
        uid: &str,
    ) -> bool {
        let me = self.caller.user.email;
        let Some(answer) = invites::partstat(sent, me) else {
            return false;
        };
        invites::set_partstat(&mut copy, me, &answer);
        invites::tell_organizer(homes, organizer, uid, me, &answer, self.stamp);
        let Some(calendar) = homes
            .get_mut(self.caller.user.uid)
            .and_then(|h| h.calendar_mut(self.id))
        else {
            return false;
        };
        if answer == "DECLINED" {
            calendar.remove(self.name, self.stamp);
        } else {
            let object = Object {
                data: copy.to_text(),
                uid: uid.to_string(),
                stamp: self.stamp,
            };
            calendar.put(self.name, object);
        }
        false
    }
}

/// Why a write is refused.
enum Refusal {
    NoCalendar,
    Forbidden,
    Invalid(Invalid),
    Precondition,
    UidConflict(String),
    Full,
}

impl Refusal {
    fn response(self, paths: &super::paths::Paths, id: &str) -> Response {
        match self {
            // RFC 4918 §9.7.1: a PUT into a collection that does not exist.
            Refusal::NoCalendar => plain(StatusCode::CONFLICT),
            Refusal::Forbidden => precondition(StatusCode::FORBIDDEN, DAV, "need-privileges"),
            Refusal::Invalid(Invalid::Component) => {
                precondition(StatusCode::FORBIDDEN, CALDAV, "supported-calendar-component")
            }
            Refusal::Invalid(Invalid::Object) => {
                precondition(StatusCode::FORBIDDEN, CALDAV, "valid-calendar-object-resource")
            }
            Refusal::Precondition => plain(StatusCode::PRECONDITION_FAILED),
            Refusal::UidConflict(other) => {
                let body = format!(
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\"><C:no-uid-conflict xmlns:C=\"{CALDAV}\">{}</C:no-uid-conflict></D:error>",
                    href(&paths.object(id, &other))
                );
                xml_response(StatusCode::FORBIDDEN, body)
            }
            Refusal::Full => plain(StatusCode::INSUFFICIENT_STORAGE),
        }
    }
}

/// DELETE of an object (If-Match checked) or of a calendar of one's own; 204 ([unverified]
/// whether Yandex answers 200 or 204).
pub fn delete(state: &Shared, caller: &Caller, target: &Target, headers: &HeaderMap) -> Response {
    let now = now_ms(state.clock.offset_s.load(std::sync::atomic::Ordering::SeqCst));
    let uid = caller.user.uid;
    let deleted = state.calendar.write_all(now, |homes, stamp| match target {
        Target::Object(_, id, name) => delete_object(homes, caller, id, name, headers, stamp),
        Target::Calendar(_, id) => {
            let home = homes.get_mut(uid).ok_or(StatusCode::NOT_FOUND)?;
            let index = home
                .calendars
                .iter()
                .position(|c| c.id == *id)
                .ok_or(StatusCode::NOT_FOUND)?;
            if !home.calendars[index].deletable {
                return Err(StatusCode::FORBIDDEN);
            }
            home.calendars.remove(index);
            Ok(())
        }
        _ => Err(StatusCode::METHOD_NOT_ALLOWED),
    });
    state.save();
    match deleted {
        Ok(()) => plain(StatusCode::NO_CONTENT),
        Err(StatusCode::FORBIDDEN) => precondition(StatusCode::FORBIDDEN, DAV, "need-privileges"),
        Err(status) => plain(status),
    }
}

/// Removes an object (If-Match checked); the organizer's delete takes the colleagues' copies.
fn delete_object(
    homes: &mut BTreeMap<String, Home>,
    caller: &Caller,
    id: &str,
    name: &str,
    headers: &HeaderMap,
    stamp: i64,
) -> Result<(), StatusCode> {
    let calendar = homes
        .get_mut(caller.user.uid)
        .and_then(|h| h.calendar_mut(id))
        .ok_or(StatusCode::NOT_FOUND)?;
    if !calendar.writable() {
        return Err(StatusCode::FORBIDDEN);
    }
    let object = calendar.objects.get(name).cloned().ok_or(StatusCode::NOT_FOUND)?;
    if !preconditions_hold(headers, Some(object.stamp)) {
        return Err(StatusCode::PRECONDITION_FAILED);
    }
    calendar.remove(name, stamp);
    if let Ok(stored) = ical::parse(&object.data) {
        if invites::organizer(&stored).is_some_and(|o| o.eq_ignore_ascii_case(caller.user.email)) {
            invites::withdraw(homes, caller.user.email, &stored, &object.uid, stamp);
        }
    }
    Ok(())
}

/// The `D:set/D:prop` children of a MKCALENDAR or PROPPATCH body.
fn set_props(root: &Element) -> Vec<&Element> {
    root.children_named(DAV, "set")
        .filter_map(|set| set.child(DAV, "prop"))
        .flat_map(|prop| prop.children.iter())
        .collect()
}

/// MKCALENDAR `<home>/<id>/`: refused unless `caldav_mkcalendar` is on ([unverified] whether
/// Yandex allows it, docs/protocols-mail.md §4.5).
pub fn mkcalendar(state: &Shared, caller: &Caller, target: &Target, body: &[u8]) -> Response {
    if !state.settings().caldav_mkcalendar {
        return precondition(StatusCode::FORBIDDEN, DAV, "need-privileges");
    }
    let Target::Calendar(_, id) = target else {
        return plain(StatusCode::METHOD_NOT_ALLOWED);
    };
    let root = match body.trim_ascii().is_empty() {
        true => None,
        false => match xml::parse(body) {
            Ok(root) => Some(root),
            Err(problem) => return (StatusCode::BAD_REQUEST, problem).into_response(),
        },
    };
    let props = root.as_ref().map(set_props).unwrap_or_default();
    let text = |ns: &str, name: &str| props.iter().find(|p| p.is(ns, name)).map(|p| p.text.trim().to_string());
    let component = props
        .iter()
        .find(|p| p.is(CALDAV, "supported-calendar-component-set"))
        .and_then(|set| set.child(CALDAV, "comp"))
        .and_then(|comp| comp.attribute("name"))
        .map_or("VEVENT".to_string(), str::to_ascii_uppercase);
    if component != "VEVENT" && component != "VTODO" {
        return precondition(StatusCode::FORBIDDEN, CALDAV, "supported-calendar-component");
    }
    let calendar = Calendar {
        id: id.clone(),
        name: text(DAV, "displayname").unwrap_or_else(|| id.clone()),
        color: text(APPLE, "calendar-color").unwrap_or_else(|| "#49c0a8ff".into()),
        component,
        access: Access::ReadWrite,
        deletable: true,
        owner: caller.user.email.to_string(),
        objects: BTreeMap::new(),
        removed: Vec::new(),
        stamp: 0,
        oldest_token: 0,
    };
    let now = now_ms(state.clock.offset_s.load(std::sync::atomic::Ordering::SeqCst));
    let made = state.calendar.write(caller.user.uid, now, |home, stamp| {
        if home.calendar(id).is_some() {
            return Err(StatusCode::METHOD_NOT_ALLOWED);
        }
        if home.calendars.len() >= MAX_CALENDARS {
            return Err(StatusCode::INSUFFICIENT_STORAGE);
        }
        home.calendars.push(Calendar {
            stamp,
            oldest_token: stamp,
            ..calendar
        });
        Ok(())
    });
    state.save();
    match made.unwrap_or(Err(StatusCode::NOT_FOUND)) {
        Ok(()) => plain(StatusCode::CREATED),
        Err(status) => plain(status),
    }
}

/// PROPPATCH of a calendar: `displayname` and `calendar-color` are set; any other property is
/// refused in its propstat (403), and then nothing is changed (RFC 4918 §9.2 is all or none).
pub fn proppatch(state: &Shared, caller: &Caller, target: &Target, body: &[u8]) -> Response {
    let Target::Calendar(_, id) = target else {
        return precondition(StatusCode::FORBIDDEN, DAV, "cannot-modify-protected-property");
    };
    let root = match xml::parse(body) {
        Ok(root) if root.is(DAV, "propertyupdate") => root,
        _ => return (StatusCode::BAD_REQUEST, "expected DAV:propertyupdate").into_response(),
    };
    let props = set_props(&root);
    let settable = |p: &&Element| p.is(DAV, "displayname") || p.is(APPLE, "calendar-color");
    let all_settable = props.iter().all(&settable);
    let now = now_ms(state.clock.offset_s.load(std::sync::atomic::Ordering::SeqCst));
    let changed = state.calendar.write(caller.user.uid, now, |home, stamp| {
        let calendar = home.calendar_mut(id).ok_or(StatusCode::NOT_FOUND)?;
        if !calendar.writable() {
            return Err(StatusCode::FORBIDDEN);
        }
        if all_settable {
            for prop in &props {
                let value = prop.text.trim().to_string();
                if prop.is(DAV, "displayname") {
                    calendar.name = value;
                } else {
                    calendar.color = value;
                }
            }
            calendar.stamp = stamp;
        }
        Ok(())
    });
    state.save();
    match changed {
        Some(Ok(())) => {}
        Some(Err(StatusCode::FORBIDDEN)) => return precondition(StatusCode::FORBIDDEN, DAV, "need-privileges"),
        Some(Err(status)) => return plain(status),
        None => return plain(StatusCode::NOT_FOUND),
    }
    let mut propstats = String::new();
    for prop in &props {
        let (code, reason) = match (settable(prop), all_settable) {
            (true, true) => (200, "OK"),
            (true, false) => (424, "Failed Dependency"),
            (false, _) => (403, "Forbidden"),
        };
        propstats.push_str(&format!(
            "<D:propstat><D:prop>{}</D:prop>{}</D:propstat>",
            empty(&prop.ns, &prop.name),
            status(code, reason)
        ));
    }
    let response = format!(
        "<D:response>{}{propstats}</D:response>",
        href(&caller.paths.calendar(id))
    );
    xml_response(StatusCode::MULTI_STATUS, xml::multistatus(&[response], ""))
}
