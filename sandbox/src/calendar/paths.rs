//! The URL layout of caldav.yandex.ru (docs/protocols-mail.md §4.2): hrefs written with `@` as
//! `%40`, requests taken with either form.

/// A request path, decoded.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    Root,
    WellKnown,
    Principal(String),
    Home(String),
    Inbox(String),
    Outbox(String),
    Calendar(String, String),
    Object(String, String, String),
    Other,
}

fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| bytes[i] == b'%' && h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match hex {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a path segment (everything but unreserved characters).
pub fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn target(path: &str) -> Target {
    if path == "/.well-known/caldav" || path == "/.well-known/caldav/" {
        return Target::WellKnown;
    }
    let segments: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(decode).collect();
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    let owned = |s: &str| s.to_string();
    match parts.as_slice() {
        [] => Target::Root,
        ["principals", "users", email] => Target::Principal(owned(email)),
        ["calendars", email] => Target::Home(owned(email)),
        ["calendars", email, "inbox"] => Target::Inbox(owned(email)),
        ["calendars", email, "outbox"] => Target::Outbox(owned(email)),
        ["calendars", email, calendar] => Target::Calendar(owned(email), owned(calendar)),
        ["calendars", email, calendar, name] => Target::Object(owned(email), owned(calendar), owned(name)),
        _ => Target::Other,
    }
}

/// The hrefs of one user's tree.
pub struct Paths {
    pub email: String,
    encoded: String,
}

impl Paths {
    pub fn new(email: &str) -> Paths {
        Paths {
            email: email.to_string(),
            encoded: encode(email),
        }
    }

    pub fn principal(&self) -> String {
        format!("/principals/users/{}/", self.encoded)
    }

    pub fn principal_of(&self, email: &str) -> String {
        format!("/principals/users/{}/", encode(email))
    }

    pub fn home(&self) -> String {
        format!("/calendars/{}/", self.encoded)
    }

    pub fn inbox(&self) -> String {
        format!("{}inbox/", self.home())
    }

    pub fn outbox(&self) -> String {
        format!("{}outbox/", self.home())
    }

    pub fn calendar(&self, id: &str) -> String {
        format!("{}{}/", self.home(), encode(id))
    }

    pub fn object(&self, id: &str, name: &str) -> String {
        format!("{}{}", self.calendar(id), encode(name))
    }

    pub fn addressbook(&self) -> String {
        format!("/addressbook/{}/", self.encoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_of_the_address_reach_the_same_place() {
        let email = "ivan.petrov@sandbox-org.ru".to_string();
        assert_eq!(
            target("/calendars/ivan.petrov%40sandbox-org.ru/"),
            Target::Home(email.clone())
        );
        assert_eq!(
            target("/calendars/ivan.petrov@sandbox-org.ru"),
            Target::Home(email.clone())
        );
        assert_eq!(
            target("/calendars/ivan.petrov%40sandbox-org.ru/events-default/a%20b.ics"),
            Target::Object(email.clone(), "events-default".into(), "a b.ics".into())
        );
        assert_eq!(
            target("/principals/users/ivan.petrov%40sandbox-org.ru/"),
            Target::Principal(email)
        );
        assert_eq!(target("/"), Target::Root);
        assert_eq!(target("/addressbook/x/"), Target::Other);
        let paths = Paths::new("ivan.petrov@sandbox-org.ru");
        assert_eq!(
            paths.object("events-default", "uid 1.ics"),
            "/calendars/ivan.petrov%40sandbox-org.ru/events-default/uid%201.ics"
        );
    }
}
