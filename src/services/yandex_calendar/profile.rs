//! How Yandex Calendar's CalDAV server is reached and how it answers (docs/protocols-mail.md §4):
//! errors are a WebDAV `<D:error>` naming the failed precondition (`need-privileges`,
//! `no-uid-conflict`, …) or a line of text, never JSON.

use serde_json::Value;

use super::xml;
use crate::config::Endpoint;
use crate::transport::{Profile, ServiceError};

/// The server's root: hrefs in its answers are absolute paths (`/calendars/<email>/…`), so the
/// endpoint is the root, never a path under it; the sandbox serves it on a listener of its own.
pub(crate) const ENDPOINT: Endpoint = Endpoint::listener("yandex_caldav", "https://caldav.yandex.ru/", "caldav");

pub(crate) const PROFILE: Profile = Profile::new("yandex_caldav", "Yandex Calendar", read_error);

/// The transport hands over a body that is not JSON as a string (its first 1,000 characters).
fn read_error(body: &Value) -> ServiceError {
    let Some(text) = body.as_str().map(str::trim) else {
        return ServiceError::default();
    };
    if text.starts_with('<') {
        let precondition = xml::parse(text.as_bytes())
            .ok()
            .filter(|root| root.is(xml::DAV, "error"))
            .and_then(|root| root.children.first().map(|c| c.name.clone()));
        return ServiceError {
            code: precondition,
            description: None,
        };
    }
    let line = text.lines().next().unwrap_or("").chars().take(200).collect::<String>();
    ServiceError {
        code: None,
        description: Some(line).filter(|l| !l.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preconditions_and_text_are_read() {
        let xml =
            Value::String("<?xml version=\"1.0\"?><D:error xmlns:D=\"DAV:\"><D:need-privileges/></D:error>".into());
        assert_eq!(read_error(&xml).code.as_deref(), Some("need-privileges"));
        let text = read_error(&Value::String("Forbidden\nmore".into()));
        assert_eq!((text.code, text.description.as_deref()), (None, Some("Forbidden")));
        assert!(read_error(&Value::String("<broken".into())).code.is_none());
        assert!(read_error(&serde_json::json!({"a": 1})).code.is_none());
    }
}
