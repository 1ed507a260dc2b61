//! The iCalendar the CalDAV emulator needs (RFC 5545, docs/protocols-mail.md §5): content lines
//! unfolded and folded again at 75 octets, components nested (bounded), the checks of a PUT, the
//! time span of an event or to-do for time-range queries, and the Telemost link that Yandex adds
//! to an event carrying `X-TELEMOST-REQUIRED:TRUE` (§4.6).

use crate::mail::dates::days_from_civil;

/// The PRODID of objects as Yandex stores them (docs/protocols-mail.md §4.7).
pub const PRODID: &str = "-//Yandex LLC//Yandex Calendar//EN";
/// [unverified] the wording of the DESCRIPTION line Yandex adds (docs/protocols-mail.md §4.6).
pub const TELEMOST_LINE: &str = "Ссылка на видеовстречу: ";

const MAX_DEPTH: usize = 8;
const MAX_LINES: usize = 20_000;

#[derive(Clone, Debug)]
pub struct Property {
    /// The whole unfolded line, as received (or as made here).
    pub raw: String,
    /// Upper-case name.
    pub name: String,
    pub params: Vec<(String, String)>,
    pub value: String,
}

impl Property {
    pub fn parse(line: &str) -> Option<Property> {
        let mut quoted = false;
        let colon = line.char_indices().find(|&(_, c)| {
            if c == '"' {
                quoted = !quoted;
            }
            c == ':' && !quoted
        })?;
        let (head, value) = (&line[..colon.0], &line[colon.0 + 1..]);
        let mut parts = split_unquoted(head, ';').into_iter();
        let name = parts.next()?.trim().to_ascii_uppercase();
        if name.is_empty() {
            return None;
        }
        let params = parts
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.trim().to_ascii_uppercase(), v.trim_matches('"').to_string()))
            .collect();
        Some(Property {
            raw: line.to_string(),
            name,
            params,
            value: value.to_string(),
        })
    }

    pub fn new(name: &str, value: &str) -> Property {
        Property {
            raw: format!("{name}:{value}"),
            name: name.to_string(),
            params: Vec::new(),
            value: value.to_string(),
        }
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Splits on `separator` outside double quotes (parameter values may quote `;` and `:`).
fn split_unquoted(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            parts.push(&text[start..i]);
            start = i + 1;
        }
    }
    parts.push(&text[start..]);
    parts
}

#[derive(Clone, Debug, Default)]
pub struct Component {
    pub name: String,
    pub properties: Vec<Property>,
    pub components: Vec<Component>,
}

impl Component {
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    fn render(&self, out: &mut String) {
        fold(&format!("BEGIN:{}", self.name), out);
        for property in &self.properties {
            fold(&property.raw, out);
        }
        for component in &self.components {
            component.render(out);
        }
        fold(&format!("END:{}", self.name), out);
    }

    /// The object as text: CRLF line ends, lines folded at 75 octets.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.render(&mut out);
        out
    }

    /// The components that are not time zones (the events or to-dos of an object).
    pub fn items(&self) -> impl Iterator<Item = &Component> {
        self.components.iter().filter(|c| c.name != "VTIMEZONE")
    }
}

/// Unfolds content lines: a line starting with a space or tab continues the one before.
pub fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        match (line.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some(last)) => last.push_str(rest),
            _ if line.is_empty() => {}
            _ => lines.push(line.to_string()),
        }
    }
    lines
}

/// Writes a content line folded at 75 octets (never inside a UTF-8 character), CRLF-ended.
pub fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// Parses an object: one VCALENDAR holding components (nesting bounded).
pub fn parse(text: &str) -> Result<Component, String> {
    let lines = unfold(text);
    if lines.len() > MAX_LINES {
        return Err("too many lines".into());
    }
    let mut stack: Vec<Component> = Vec::new();
    let mut root = None;
    for line in &lines {
        let property = Property::parse(line).ok_or_else(|| format!("not a content line: {line:.40}"))?;
        match property.name.as_str() {
            "BEGIN" if root.is_some() => return Err("content after END:VCALENDAR".into()),
            "BEGIN" if stack.len() >= MAX_DEPTH => return Err("components nested too deeply".into()),
            "BEGIN" => stack.push(Component {
                name: property.value.trim().to_ascii_uppercase(),
                ..Component::default()
            }),
            "END" => {
                let done = stack.pop().ok_or("END without BEGIN")?;
                if !done.name.eq_ignore_ascii_case(property.value.trim()) {
                    return Err(format!("END:{} closes {}", property.value, done.name));
                }
                match stack.last_mut() {
                    Some(parent) => parent.components.push(done),
                    None => root = Some(done),
                }
            }
            _ => stack
                .last_mut()
                .ok_or("a property outside BEGIN:VCALENDAR")?
                .properties
                .push(property),
        }
    }
    match (root, stack.is_empty()) {
        (Some(root), true) if root.name == "VCALENDAR" => Ok(root),
        _ => Err("not one complete VCALENDAR".into()),
    }
}

/// Why a PUT body is refused: the CalDAV precondition (RFC 4791 §5.3.2.1).
#[derive(Debug, PartialEq, Eq)]
pub enum Invalid {
    /// A component the calendar does not take.
    Component,
    /// More than one UID, or none.
    Object,
}

/// Checks an object for a calendar of `kind` components (VEVENT or VTODO); its UID.
pub fn check(calendar: &Component, kind: &str) -> Result<String, Invalid> {
    let mut uid: Option<&str> = None;
    let mut any = false;
    for item in calendar.items() {
        if item.name != kind {
            return Err(Invalid::Component);
        }
        any = true;
        let this = item.property("UID").map(|p| p.value.trim()).filter(|u| !u.is_empty());
        match (uid, this) {
            (_, None) => return Err(Invalid::Object),
            (None, Some(this)) => uid = Some(this),
            (Some(first), Some(this)) if first != this => return Err(Invalid::Object),
            _ => {}
        }
    }
    match uid {
        Some(uid) if any => Ok(uid.to_string()),
        _ => Err(Invalid::Component),
    }
}

/// Replaces PRODID with Yandex's, as objects read back from Yandex carry it.
pub fn normalise(calendar: &mut Component) {
    calendar.properties.retain(|p| p.name != "PRODID");
    calendar.properties.insert(0, Property::new("PRODID", PRODID));
}

/// RFC 5545 TEXT escaping.
pub fn escape_text(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

fn wants_telemost(item: &Component) -> bool {
    item.name == "VEVENT"
        && item
            .property("X-TELEMOST-REQUIRED")
            .is_some_and(|p| p.value.trim().eq_ignore_ascii_case("TRUE"))
}

/// The Telemost link an object already carries.
pub fn telemost_link(calendar: &Component) -> Option<String> {
    calendar
        .items()
        .find_map(|i| i.property("X-TELEMOST-CONFERENCE"))
        .map(|p| p.value.trim().to_string())
}

/// Whether an event asks for a Telemost meeting that it does not have yet.
pub fn needs_telemost(calendar: &Component) -> bool {
    calendar
        .items()
        .any(|i| wants_telemost(i) && i.property("X-TELEMOST-CONFERENCE").is_none())
}

/// Adds `X-TELEMOST-CONFERENCE:<link>` and a DESCRIPTION line with the link to every event
/// that asks for a meeting and lacks the link (the request flag itself is kept, [unverified]).
pub fn add_telemost(calendar: &mut Component, link: &str) {
    for item in calendar.components.iter_mut() {
        if !wants_telemost(item) || item.property("X-TELEMOST-CONFERENCE").is_some() {
            continue;
        }
        item.properties.push(Property::new("X-TELEMOST-CONFERENCE", link));
        let line = escape_text(&format!("{TELEMOST_LINE}{link}"));
        match item.properties.iter_mut().find(|p| p.name == "DESCRIPTION") {
            Some(description) => {
                description.value = format!("{}\\n\\n{line}", description.value);
                description.raw = format!("{}\\n\\n{line}", description.raw);
            }
            None => item.properties.push(Property::new("DESCRIPTION", &line)),
        }
    }
}

/// A DATE or DATE-TIME value as Unix seconds: `…Z` is UTC, a TZID is looked up (a few zones by
/// name, else the object's VTIMEZONE's standard offset), floating time is taken as UTC.
fn instant(property: &Property, calendar: &Component) -> Option<i64> {
    let value = property.value.trim();
    let digits = |range: std::ops::Range<usize>| value.get(range)?.parse::<i64>().ok();
    let days = days_from_civil(digits(0..4)?, digits(4..6)? as u32, digits(6..8)? as u32);
    if value.len() == 8 {
        return Some(days * 86_400);
    }
    if value.as_bytes().get(8) != Some(&b'T') {
        return None;
    }
    let clock = digits(9..11)? * 3600 + digits(11..13)? * 60 + digits(13..15)?;
    let local = days * 86_400 + clock;
    if value.ends_with('Z') {
        return Some(local);
    }
    let offset = property.param("TZID").map_or(0, |tz| zone_offset(tz, calendar));
    Some(local - offset)
}

/// Seconds east of UTC for a TZID.
fn zone_offset(tzid: &str, calendar: &Component) -> i64 {
    const ZONES: &[(&str, i64)] = &[
        ("Europe/Moscow", 3),
        ("Europe/Kaliningrad", 2),
        ("Europe/Samara", 4),
        ("Asia/Yekaterinburg", 5),
        ("Asia/Omsk", 6),
        ("Asia/Novosibirsk", 7),
        ("Asia/Krasnoyarsk", 7),
        ("Asia/Irkutsk", 8),
        ("Asia/Yakutsk", 9),
        ("Asia/Vladivostok", 10),
        ("Asia/Magadan", 11),
        ("Asia/Kamchatka", 12),
        ("UTC", 0),
        ("Etc/UTC", 0),
    ];
    if let Some((_, hours)) = ZONES.iter().find(|(name, _)| *name == tzid) {
        return hours * 3600;
    }
    let standard = calendar
        .components
        .iter()
        .filter(|c| c.name == "VTIMEZONE" && c.property("TZID").is_some_and(|p| p.value == tzid))
        .flat_map(|c| c.components.iter())
        .find(|c| c.name == "STANDARD")
        .and_then(|c| c.property("TZOFFSETTO"));
    standard.and_then(|p| utc_offset(&p.value)).unwrap_or(0)
}

/// `+0300` → 10800.
fn utc_offset(text: &str) -> Option<i64> {
    let text = text.trim();
    let sign = if text.starts_with('-') { -1 } else { 1 };
    let digits = text.trim_start_matches(['+', '-']);
    let hours: i64 = digits.get(0..2)?.parse().ok()?;
    let minutes: i64 = digits.get(2..4)?.parse().ok()?;
    Some(sign * (hours * 3600 + minutes * 60))
}

/// An RFC 5545 DURATION (`P1D`, `PT1H30M`, `-PT15M`, `P2W`) in seconds.
pub fn duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.trim_start_matches('+')),
    };
    let rest = rest.strip_prefix('P')?;
    let mut total = 0i64;
    let mut number = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' => number.push(c),
            'T' => {}
            unit => {
                let n: i64 = number.parse().ok()?;
                number.clear();
                total += n * match unit {
                    'W' => 604_800,
                    'D' => 86_400,
                    'H' => 3600,
                    'M' => 60,
                    'S' => 1,
                    _ => return None,
                };
            }
        }
    }
    number.is_empty().then_some(sign * total)
}

/// When a recurring item's last instance can end at the latest: UNTIL, or COUNT steps of the
/// frequency (months and years taken at their longest), or never.
fn series_end(rule: &str, start: i64, length: i64, calendar: &Component) -> Option<i64> {
    let part = |key: &str| {
        rule.split(';')
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.to_string())
    };
    if let Some(until) = part("UNTIL") {
        return instant(&Property::new("UNTIL", &until), calendar).map(|u| u + length);
    }
    let count: i64 = part("COUNT")?.parse().ok()?;
    let interval: i64 = part("INTERVAL").and_then(|i| i.parse().ok()).unwrap_or(1);
    let step = match part("FREQ")?.to_ascii_uppercase().as_str() {
        "SECONDLY" => 1,
        "MINUTELY" => 60,
        "HOURLY" => 3600,
        "DAILY" => 86_400,
        "WEEKLY" => 604_800,
        "MONTHLY" => 31 * 86_400,
        _ => 366 * 86_400,
    };
    Some(start + (count.max(1) - 1) * interval * step + length)
}

/// The span an item occupies, `None` for an open end (a series without end).
fn span(item: &Component, calendar: &Component) -> Option<(i64, Option<i64>)> {
    let start_property = item.property("DTSTART").or_else(|| item.property("DUE"))?;
    let start = instant(start_property, calendar)?;
    let all_day = start_property.value.trim().len() == 8;
    let end = match (item.property("DTEND"), item.property("DURATION")) {
        (Some(end), _) => instant(end, calendar).unwrap_or(start),
        (None, Some(d)) => start + duration(&d.value).unwrap_or(0),
        (None, None) if all_day => start + 86_400,
        _ => start,
    };
    let length = end - start;
    match item.property("RRULE") {
        Some(rule) => Some((start, series_end(&rule.value, start, length, calendar))),
        None => Some((start, Some(end))),
    }
}

/// Whether an object has an item of `kind` in the range (RFC 4791 §9.9, recurrence taken
/// loosely: a series counts from its start to its last possible end). Items without dates
/// (to-dos) are in every range.
pub fn in_range(calendar: &Component, kind: &str, from: Option<i64>, to: Option<i64>) -> bool {
    calendar
        .items()
        .filter(|i| i.name == kind)
        .any(|item| match span(item, calendar) {
            None => true,
            Some((start, end)) => {
                let starts_before_to = to.is_none_or(|to| start < to);
                let ends_after_from = from.is_none_or(|from| match end {
                    None => true,
                    Some(end) if end == start => start >= from,
                    Some(end) => end > from,
                });
                starts_before_to && ends_after_from
            }
        })
}

/// A CalDAV time-range bound `20261129T000000Z`.
pub fn utc(text: &str) -> Option<i64> {
    let property = Property::new("X", text);
    text.ends_with('Z')
        .then(|| instant(&property, &Component::default()))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//python-caldav//caldav//en_DK\r\nBEGIN:VEVENT\r\nUID:uid-1\r\nDTSTAMP:20261101T000000Z\r\nDTSTART;TZID=Europe/Moscow:20261201T100000\r\nDTEND;TZID=Europe/Moscow:20261201T110000\r\nSUMMARY:Standup\r\nX-TELEMOST-REQUIRED:TRUE\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn parses_checks_and_renders() {
        let mut calendar = parse(EVENT).unwrap();
        assert_eq!(check(&calendar, "VEVENT"), Ok("uid-1".into()));
        assert_eq!(check(&calendar, "VTODO"), Err(Invalid::Component));
        normalise(&mut calendar);
        assert!(calendar
            .to_text()
            .starts_with("BEGIN:VCALENDAR\r\nPRODID:-//Yandex LLC//Yandex Calendar//EN\r\n"));
        assert!(parse("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n").is_err());
        assert!(parse("hello").is_err());
        let two = EVENT.replace(
            "END:VEVENT\r\n",
            "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:other\r\nEND:VEVENT\r\n",
        );
        assert_eq!(check(&parse(&two).unwrap(), "VEVENT"), Err(Invalid::Object));
    }

    #[test]
    fn folding_round_trips_long_utf8_lines() {
        let long = format!("DESCRIPTION:{}", "Встреча ".repeat(30));
        let mut out = String::new();
        fold(&long, &mut out);
        assert!(out.split("\r\n").all(|l| l.len() <= 75));
        assert_eq!(unfold(&out), [long]);
    }

    #[test]
    fn telemost_link_is_added_once() {
        let mut calendar = parse(EVENT).unwrap();
        assert!(needs_telemost(&calendar));
        add_telemost(&mut calendar, "https://telemost.yandex.ru/j/12345678901234");
        assert!(!needs_telemost(&calendar));
        assert_eq!(
            telemost_link(&calendar).as_deref(),
            Some("https://telemost.yandex.ru/j/12345678901234")
        );
        let text = calendar.to_text();
        assert!(text.contains("X-TELEMOST-CONFERENCE:https://telemost.yandex.ru/j/12345678901234\r\n"));
        assert!(unfold(&text).contains(&format!(
            "DESCRIPTION:{TELEMOST_LINE}https://telemost.yandex.ru/j/12345678901234"
        )));
    }

    #[test]
    fn time_ranges() {
        let calendar = parse(EVENT).unwrap();
        // 10:00–11:00 Moscow is 07:00–08:00 UTC.
        let at = |t: &str| utc(t);
        assert!(in_range(
            &calendar,
            "VEVENT",
            at("20261201T070000Z"),
            at("20261201T070001Z")
        ));
        assert!(!in_range(
            &calendar,
            "VEVENT",
            at("20261201T080000Z"),
            at("20261202T000000Z")
        ));
        assert!(!in_range(
            &calendar,
            "VEVENT",
            at("20261130T000000Z"),
            at("20261201T070000Z")
        ));
        let weekly = EVENT.replace("SUMMARY", "RRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY");
        let weekly = parse(&weekly).unwrap();
        assert!(in_range(
            &weekly,
            "VEVENT",
            at("20261215T000000Z"),
            at("20261216T000000Z")
        ));
        assert!(!in_range(&weekly, "VEVENT", at("20261220T000000Z"), None));
        let all_day = parse(&EVENT.replace(
            "DTSTART;TZID=Europe/Moscow:20261201T100000\r\nDTEND;TZID=Europe/Moscow:20261201T110000",
            "DTSTART;VALUE=DATE:20261201",
        ))
        .unwrap();
        assert!(in_range(&all_day, "VEVENT", at("20261201T230000Z"), None));
        assert_eq!(duration("-PT15M"), Some(-900));
        assert_eq!(duration("P1DT2H"), Some(93_600));
        assert_eq!(duration("1D"), None);
    }
}
