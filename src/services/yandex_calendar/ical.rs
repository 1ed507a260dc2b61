//! iCalendar as the calendar writes and reads it (RFC 5545, docs/protocols-mail.md §5): content
//! lines unfolded on reading and folded at 75 octets on writing, TEXT escaped, and a calendar
//! object kept as its lines, so that an update changes the properties it sets and leaves every
//! other one as the server stored it (`X-TELEMOST-*`, alarms, attendees' answers).
//! Written by hand: the few rules below are smaller than a crate, and nothing is lost.

/// Objects longer than this many lines are not calendar events (the answers are capped anyway).
const MAX_LINES: usize = 200_000;

/// One content line: `NAME;PARAM=value:VALUE`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Property {
    pub name: String,
    pub params: Vec<(String, String)>,
    pub value: String,
}

impl Property {
    pub(super) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads a content line; None for a line without a `:` (not a property).
pub(super) fn parse_line(line: &str) -> Option<Property> {
    let mut params = Vec::new();
    let mut quoted = false;
    let mut name_end = None;
    let mut colon = None;
    for (at, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' | ':' if !quoted => {
                if name_end.is_none() {
                    name_end = Some(at);
                }
                if c == ':' {
                    colon = Some(at);
                    break;
                }
            }
            _ => {}
        }
    }
    let colon = colon?;
    let name_end = name_end.unwrap_or(colon);
    let mut rest = &line[name_end..colon];
    while let Some(param) = rest.strip_prefix(';') {
        let mut end = param.len();
        let mut quoted = false;
        for (at, c) in param.char_indices() {
            match c {
                '"' => quoted = !quoted,
                ';' if !quoted => {
                    end = at;
                    break;
                }
                _ => {}
            }
        }
        let (key, value) = param[..end].split_once('=').unwrap_or((&param[..end], ""));
        params.push((key.to_ascii_uppercase(), value.trim_matches('"').to_string()));
        rest = &param[end..];
    }
    Some(Property {
        name: line[..name_end].to_ascii_uppercase(),
        params,
        value: line[colon + 1..].to_string(),
    })
}

/// TEXT as iCalendar writes it: backslash, semicolon, comma and newlines escaped.
pub(super) fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("\\n"),
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// The inverse of `escape_text`.
pub(super) fn unescape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// A parameter value: quoted when it holds `:`, `;` or `,`; `"` and control characters
/// cannot appear in one at all (RFC 5545 §3.1), so they are dropped.
pub(super) fn param_value(text: &str) -> String {
    let clean: String = text.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    if clean.contains([':', ';', ',']) {
        format!("\"{clean}\"")
    } else {
        clean
    }
}

/// A line folded at 75 octets (never inside a UTF-8 character), with CRLF after each part.
fn fold_into(out: &mut String, line: &str) {
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

/// A calendar object as its unfolded lines.
pub(super) struct Object {
    lines: Vec<String>,
}

impl Object {
    /// Unfolds a stored object (CRLF or LF, continuation lines starting with a space or tab).
    pub(super) fn parse(text: &str) -> Result<Object, String> {
        let mut lines: Vec<String> = Vec::new();
        for raw in text.split('\n') {
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            match (raw.strip_prefix([' ', '\t']), lines.last_mut()) {
                (Some(continued), Some(last)) => last.push_str(continued),
                _ if raw.is_empty() => {}
                _ => {
                    if lines.len() >= MAX_LINES {
                        return Err(format!("the calendar object has more than {MAX_LINES} lines"));
                    }
                    lines.push(raw.to_string());
                }
            }
        }
        if !lines.first().is_some_and(|l| l.eq_ignore_ascii_case("BEGIN:VCALENDAR")) {
            return Err("the calendar object does not start with BEGIN:VCALENDAR".into());
        }
        Ok(Object { lines })
    }

    /// A new calendar with one event of this UID, stamped now.
    pub(super) fn new_event(uid: &str, dtstamp: &str) -> Object {
        let lines = [
            "BEGIN:VCALENDAR".to_string(),
            "VERSION:2.0".into(),
            format!("PRODID:-//diskbridge//diskbridge {}//EN", crate::version::VERSION),
            "CALSCALE:GREGORIAN".into(),
            "BEGIN:VEVENT".into(),
            format!("UID:{uid}"),
            format!("DTSTAMP:{dtstamp}"),
            "SEQUENCE:0".into(),
            "END:VEVENT".into(),
            "END:VCALENDAR".into(),
        ];
        Object { lines: lines.into() }
    }

    /// The lines of the main event, `BEGIN:VEVENT` to `END:VEVENT` (the first VEVENT without a
    /// RECURRENCE-ID: a series' overrides follow its master in the same object).
    fn event_range(&self) -> Option<(usize, usize)> {
        let mut at = 0;
        while at < self.lines.len() {
            if !self.lines[at].eq_ignore_ascii_case("BEGIN:VEVENT") {
                at += 1;
                continue;
            }
            let end = self.lines[at..]
                .iter()
                .position(|l| l.eq_ignore_ascii_case("END:VEVENT"))
                .map(|offset| at + offset)?;
            let own = self.own_lines(at, end);
            if !own
                .iter()
                .any(|i| self.lines[*i].to_ascii_uppercase().starts_with("RECURRENCE-ID"))
            {
                return Some((at, end));
            }
            at = end + 1;
        }
        None
    }

    /// The indices of the event's own property lines (not those of a nested VALARM).
    fn own_lines(&self, begin: usize, end: usize) -> Vec<usize> {
        let mut depth = 0usize;
        let mut own = Vec::new();
        for at in begin + 1..end {
            let upper = self.lines[at].to_ascii_uppercase();
            if upper.starts_with("BEGIN:") {
                depth += 1;
            } else if upper.starts_with("END:") {
                depth = depth.saturating_sub(1);
            } else if depth == 0 {
                own.push(at);
            }
        }
        own
    }

    /// The main event's own properties.
    pub(super) fn event(&self) -> Vec<Property> {
        let Some((begin, end)) = self.event_range() else {
            return Vec::new();
        };
        self.own_lines(begin, end)
            .into_iter()
            .filter_map(|at| parse_line(&self.lines[at]))
            .collect()
    }

    /// Replaces every property `name` of the main event by `lines` (none removes it).
    pub(super) fn set(&mut self, name: &str, lines: Vec<String>) {
        let Some((begin, end)) = self.event_range() else { return };
        let doomed: Vec<usize> = self
            .own_lines(begin, end)
            .into_iter()
            .filter(|at| parse_line(&self.lines[*at]).is_some_and(|p| p.name.eq_ignore_ascii_case(name)))
            .collect();
        // Where the first one was (removing the later ones does not move it), else before
        // END:VEVENT.
        let insert_at = doomed.first().copied().unwrap_or(end);
        for at in doomed.iter().rev() {
            self.lines.remove(*at);
        }
        for (offset, line) in lines.into_iter().enumerate() {
            self.lines.insert(insert_at + offset, line);
        }
    }

    /// The object as sent: folded lines ending in CRLF.
    pub(super) fn to_text(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            fold_into(&mut out, line);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_with_quoted_parameters() {
        let p = parse_line("ATTENDEE;CN=\"Petrov: Ivan\";PARTSTAT=ACCEPTED:mailto:ivan@x.ru").unwrap();
        assert_eq!(p.name, "ATTENDEE");
        assert_eq!(p.param("cn"), Some("Petrov: Ivan"));
        assert_eq!(p.param("PARTSTAT"), Some("ACCEPTED"));
        assert_eq!(p.value, "mailto:ivan@x.ru");
        let p = parse_line("DESCRIPTION:a:b").unwrap();
        assert_eq!((p.name.as_str(), p.value.as_str()), ("DESCRIPTION", "a:b"));
        assert!(parse_line("no colon").is_none());
    }

    #[test]
    fn text_escapes_round_trip() {
        let text = "Кафе, 2 этаж; \\ line\r\nnext";
        assert_eq!(escape_text(text), "Кафе\\, 2 этаж\\; \\\\ line\\nnext");
        assert_eq!(unescape_text(&escape_text(text)), text.replace("\r\n", "\n"));
        assert_eq!(param_value("Ivan \"the\" Petrov"), "Ivan the Petrov");
        assert_eq!(param_value("Petrov, Ivan"), "\"Petrov, Ivan\"");
    }

    #[test]
    fn folding_keeps_characters_whole_and_unfolds_back() {
        let long = format!("DESCRIPTION:{}", "Ссылка на видеовстречу ".repeat(10));
        let mut object = Object::new_event("u1", "20261201T000000Z");
        object.set("DESCRIPTION", vec![long.clone()]);
        let text = object.to_text();
        assert!(text.split("\r\n").all(|l| l.len() <= 75), "{text}");
        let back = Object::parse(&text).unwrap();
        assert!(back.event().iter().any(|p| format!("{}:{}", p.name, p.value) == long));
    }

    #[test]
    fn updates_touch_only_the_main_event_and_the_named_property() {
        let stored = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:u1\r\nSUMMARY:Old\r\nX-TELEMOST-CONFERENCE:https://telemost.yandex.ru/j/1\r\nBEGIN:VALARM\r\nDESCRIPTION:alarm\r\nEND:VALARM\r\nDESCRIPTION:old\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:u1\r\nRECURRENCE-ID:20261201T100000Z\r\nSUMMARY:Override\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let mut object = Object::parse(stored).unwrap();
        object.set("SUMMARY", vec!["SUMMARY:New".into()]);
        object.set("DESCRIPTION", vec![]);
        object.set("LOCATION", vec!["LOCATION:Room".into()]);
        let text = object.to_text();
        assert!(text.contains("SUMMARY:New\r\n") && text.contains("SUMMARY:Override\r\n"));
        assert!(!text.contains("DESCRIPTION:old") && text.contains("DESCRIPTION:alarm"));
        assert!(text.contains("X-TELEMOST-CONFERENCE:https://telemost.yandex.ru/j/1"));
        let event = Object::parse(&text).unwrap().event();
        assert!(event.iter().any(|p| p.name == "LOCATION" && p.value == "Room"));
        assert!(Object::parse("garbage").is_err());
    }
}
