//! An event's fields as the caller gives them and as the reply shows them: turned into the
//! VEVENT's properties (each set replacing that property, the others kept), and read back from
//! a stored object into JSON.

use serde_json::{json, Map, Value};

use super::ical::{escape_text, param_value, unescape_text, Object, Property};
use super::time;
use crate::error::{Error, Result};
use crate::schema::Call;

/// The changes a CreateEvent or UpdateEvent makes: `(property name, its new lines)`.
pub(super) struct Changes {
    pub set: Vec<(&'static str, Vec<String>)>,
    /// Ask the server for a Telemost meeting (`X-TELEMOST-REQUIRED:TRUE`).
    pub telemost: bool,
}

fn text_property(call: &Call, key: &str, name: &'static str, set: &mut Vec<(&'static str, Vec<String>)>) {
    if let Some(text) = call.args.opt_str(key) {
        let lines = if text.is_empty() {
            Vec::new()
        } else {
            vec![format!("{name}:{}", escape_text(text))]
        };
        set.push((name, lines));
    }
}

fn address(text: &str) -> Result<String> {
    let email = text.trim().trim_start_matches("mailto:").trim();
    let fine = email.contains('@')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "\"<>,;".contains(c));
    if fine {
        Ok(email.to_string())
    } else {
        Err(Error::invalid_params(format!("not an e-mail address: {text:?}")))
    }
}

/// `attendees`: addresses (a string, comma-separated, or an array) or objects
/// `{"email", "name"?, "role"?}` → ATTENDEE lines awaiting an answer.
fn attendee_lines(value: &Value) -> Result<Vec<String>> {
    let items: Vec<Value> = match value {
        Value::String(text) => text
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| json!(s))
            .collect(),
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        _ => {
            return Err(Error::invalid_params(
                "`attendees` must be addresses or [{\"email\", \"name\"?}]",
            ))
        }
    };
    items
        .iter()
        .map(|item| {
            let (email, name, role) = match item {
                Value::String(email) => (address(email)?, None, None),
                Value::Object(map) => (
                    address(map.get("email").and_then(Value::as_str).unwrap_or(""))?,
                    map.get("name").and_then(Value::as_str),
                    map.get("role").and_then(Value::as_str),
                ),
                _ => {
                    return Err(Error::invalid_params(
                        "`attendees` must be addresses or [{\"email\", \"name\"?}]",
                    ))
                }
            };
            let mut line = String::from("ATTENDEE");
            if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
                line.push_str(&format!(";CN={}", param_value(name)));
            }
            let role = role.map_or("REQ-PARTICIPANT".to_string(), |r| param_value(&r.to_ascii_uppercase()));
            line.push_str(&format!(";ROLE={role};PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{email}"));
            Ok(line)
        })
        .collect()
}

/// `rrule` as RFC 5545 §3.3.10 writes it (`FREQ=WEEKLY;BYDAY=MO`), checked for characters only:
/// the server judges the rule.
fn rrule_line(text: &str) -> Result<Vec<String>> {
    let rule = text.trim().trim_start_matches("RRULE:").trim().to_ascii_uppercase();
    if rule.is_empty() {
        return Ok(Vec::new());
    }
    let fine = rule.len() <= 500
        && (rule.starts_with("FREQ=") || rule.contains(";FREQ="))
        && rule
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"=;,:+-".contains(&b));
    if !fine {
        return Err(Error::invalid_params(format!(
            "`rrule` must be a recurrence rule such as FREQ=WEEKLY;BYDAY=MO, not {text:?}"
        )));
    }
    Ok(vec![format!("RRULE:{rule}")])
}

/// The caller's fields. `creating`: `start` is required and `end` defaults to an hour (a day)
/// later; an update changes the times only when both are given.
pub(super) fn changes(call: &Call, creating: bool, organizer: Option<&str>) -> Result<Changes> {
    let mut set = Vec::new();
    text_property(call, "summary", "SUMMARY", &mut set);
    text_property(call, "description", "DESCRIPTION", &mut set);
    text_property(call, "location", "LOCATION", &mut set);
    let zone = call.args.opt_str("timezone").map(str::trim).filter(|z| !z.is_empty());
    let start = call
        .args
        .opt_str("start")
        .map(|s| time::parse("start", s, zone))
        .transpose()?;
    let end = call
        .args
        .opt_str("end")
        .map(|s| time::parse("end", s, zone))
        .transpose()?;
    match (start, end) {
        (Some(start), end) if creating || end.is_some() => {
            let end = end.unwrap_or_else(|| start.default_end());
            start.check_end(&end)?;
            set.push(("DTSTART", vec![start.property("DTSTART")]));
            set.push(("DTEND", vec![end.property("DTEND")]));
            set.push(("DURATION", Vec::new()));
        }
        (None, _) if creating => return Err(Error::invalid_params("`start` is missing")),
        (None, None) => {}
        _ => return Err(Error::invalid_params("give both `start` and `end` to move an event")),
    }
    if let Some(attendees) = call.args.value("attendees") {
        let lines = attendee_lines(attendees)?;
        if let (Some(organizer), false) = (organizer, lines.is_empty()) {
            set.push(("ORGANIZER", vec![format!("ORGANIZER:mailto:{organizer}")]));
        }
        set.push(("ATTENDEE", lines));
    }
    if let Some(rule) = call.args.opt_str("rrule") {
        set.push(("RRULE", rrule_line(rule)?));
    }
    let telemost = matches!(call.args.value("telemost"), Some(Value::Bool(true)));
    Ok(Changes { set, telemost })
}

impl Changes {
    /// Writes the changes into the object's main event. A Telemost meeting is asked for only
    /// when the event has none yet (the server keeps the link on later updates).
    pub(super) fn apply(&self, object: &mut Object, now: &str) {
        for (name, lines) in &self.set {
            object.set(name, lines.clone());
        }
        let event = object.event();
        let has = |name: &str| event.iter().any(|p| p.name == name);
        if self.telemost && !has("X-TELEMOST-CONFERENCE") {
            object.set("X-TELEMOST-REQUIRED", vec!["X-TELEMOST-REQUIRED:TRUE".into()]);
        }
        let sequence = event
            .iter()
            .find(|p| p.name == "SEQUENCE")
            .and_then(|p| p.value.trim().parse::<u64>().ok());
        if let Some(sequence) = sequence.filter(|_| !self.set.is_empty()) {
            object.set("SEQUENCE", vec![format!("SEQUENCE:{}", sequence + 1)]);
        }
        object.set("DTSTAMP", vec![format!("DTSTAMP:{now}")]);
        object.set("LAST-MODIFIED", vec![format!("LAST-MODIFIED:{now}")]);
    }

    /// Whether a stored object carries these changes (a write that answered 5xx but landed).
    /// DESCRIPTION is left out: the server may add the Telemost line to it.
    pub(super) fn landed_in(&self, object: &Object) -> bool {
        let stored: Vec<(String, String)> = object.event().into_iter().map(|p| (p.name, p.value)).collect();
        self.set
            .iter()
            .filter(|(name, _)| *name != "DESCRIPTION")
            .flat_map(|(_, lines)| lines.iter())
            .filter_map(|line| super::ical::parse_line(line))
            .all(|wanted| {
                stored
                    .iter()
                    .any(|(name, value)| *name == wanted.name && *value == wanted.value)
            })
    }
}

fn when_json(out: &mut Map<String, Value>, key: &str, property: Option<&Property>) {
    let Some(property) = property else { return };
    out.insert(key.into(), json!(time::iso(&property.value)));
    if key == "start" {
        let all_day =
            property.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE")) || property.value.trim().len() == 8;
        out.insert("all_day".into(), json!(all_day));
        if let Some(zone) = property.param("TZID") {
            out.insert("timezone".into(), json!(zone));
        }
    }
}

fn mailto(value: &str) -> String {
    let value = value.trim();
    match value.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => value[7..].to_string(),
        _ => value.to_string(),
    }
}

/// The reply's view of a stored event: `href`, `etag`, the calendar's `calendar` id and the
/// main VEVENT's fields (recurring series are not expanded, as Yandex does not: `rrule` says
/// how the event repeats).
pub(super) fn event_json(href: &str, etag: Option<&str>, data: &str) -> Value {
    let mut out = Map::new();
    out.insert("href".into(), json!(href));
    out.insert("etag".into(), json!(etag));
    let calendar = href
        .trim_end_matches('/')
        .rsplit('/')
        .nth(1)
        .map(super::home::last_segment);
    out.insert("calendar".into(), json!(calendar));
    let object = match Object::parse(data) {
        Ok(object) => object,
        Err(problem) => {
            out.insert("unreadable".into(), json!(problem));
            return Value::Object(out);
        }
    };
    let event = object.event();
    let find = |name: &str| event.iter().find(|p| p.name == name);
    let text = |name: &str| find(name).map(|p| unescape_text(&p.value));
    out.insert("uid".into(), json!(text("UID")));
    out.insert("summary".into(), json!(text("SUMMARY")));
    when_json(&mut out, "start", find("DTSTART"));
    when_json(&mut out, "end", find("DTEND"));
    for (key, name) in [("duration", "DURATION"), ("rrule", "RRULE"), ("status", "STATUS")] {
        if let Some(property) = find(name) {
            out.insert(key.into(), json!(property.value));
        }
    }
    out.insert("description".into(), json!(text("DESCRIPTION")));
    out.insert("location".into(), json!(text("LOCATION")));
    out.insert("organizer".into(), json!(find("ORGANIZER").map(|p| mailto(&p.value))));
    let attendees: Vec<Value> = event
        .iter()
        .filter(|p| p.name == "ATTENDEE")
        .map(|p| json!({"email": mailto(&p.value), "name": p.param("CN"), "partstat": p.param("PARTSTAT"), "role": p.param("ROLE")}))
        .collect();
    out.insert("attendees".into(), json!(attendees));
    out.insert(
        "telemost_link".into(),
        json!(find("X-TELEMOST-CONFERENCE").map(|p| p.value.trim().to_string())),
    );
    out.insert(
        "sequence".into(),
        json!(find("SEQUENCE").and_then(|p| p.value.trim().parse::<u64>().ok())),
    );
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_events_read_into_json() {
        let data = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:u1\r\nSUMMARY:Кафе\\, 2 этаж\r\nDTSTART;TZID=Europe/Moscow:20261201T100000\r\nDTEND;TZID=Europe/Moscow:20261201T110000\r\nRRULE:FREQ=WEEKLY;BYDAY=MO\r\nORGANIZER:mailto:a@x.ru\r\nATTENDEE;CN=\"B, B\";PARTSTAT=ACCEPTED:MAILTO:b@x.ru\r\nX-TELEMOST-CONFERENCE:https://telemost.yandex.ru/j/12345678901234\r\nSEQUENCE:2\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let event = event_json("/calendars/a%40x.ru/events-default/u1.ics", Some("17"), data);
        assert_eq!(event["calendar"], "events-default");
        assert_eq!(event["summary"], "Кафе, 2 этаж");
        assert_eq!(event["start"], "2026-12-01T10:00:00");
        assert_eq!(event["timezone"], "Europe/Moscow");
        assert_eq!(event["all_day"], false);
        assert_eq!(event["rrule"], "FREQ=WEEKLY;BYDAY=MO");
        assert_eq!(event["organizer"], "a@x.ru");
        assert_eq!(
            event["attendees"][0],
            json!({"email": "b@x.ru", "name": "B, B", "partstat": "ACCEPTED", "role": null})
        );
        assert_eq!(event["telemost_link"], "https://telemost.yandex.ru/j/12345678901234");
        assert_eq!(event["sequence"], 2);
        let broken = event_json("/x.ics", None, "nonsense");
        assert!(broken["unreadable"].is_string());
    }

    #[test]
    fn attendees_and_rules_are_checked() {
        let lines = attendee_lines(&json!(["b@x.ru", {"email": "c@x.ru", "name": "C: \"the\" one"}])).unwrap();
        assert_eq!(
            lines[0],
            "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:b@x.ru"
        );
        assert!(lines[1].starts_with("ATTENDEE;CN=\"C: the one\";"));
        assert!(attendee_lines(&json!("b@x.ru\r\nX-EVIL:1")).is_err());
        assert!(attendee_lines(&json!(["nobody"])).is_err());
        assert_eq!(
            rrule_line("freq=daily;count=3").unwrap(),
            vec!["RRULE:FREQ=DAILY;COUNT=3"]
        );
        assert!(rrule_line("FREQ=DAILY\r\nX-EVIL:1").is_err());
        assert!(rrule_line("COUNT=3").is_err());
        assert!(rrule_line("").unwrap().is_empty());
    }
}
