//! The WebDAV requests of the calendar (RFC 4918, RFC 4791; docs/protocols-mail.md §4.3–4.5):
//! PROPFIND and REPORT answered by a multistatus, GET of an object with its ETag, and the
//! errors of the server said in the calendar's terms. Listings are capped
//! ([`MAX_LISTING`]); every request carries the call's token.

use bytes::Bytes;
use url::Url;

use super::profile::PROFILE;
use super::xml::{self, Element, DAV};
use crate::error::{Error, ErrorCode, Result};
use crate::schema::Call;
use crate::transport::{send, Reply, Request};

/// The largest multistatus read: thousands of events with their data. A longer answer is an
/// `invalid_response` asking for a shorter time range.
pub(super) const MAX_LISTING: usize = 32 * 1024 * 1024;
/// The largest calendar object read (the sandbox, like a sane server, takes at most 1 MiB).
pub(super) const MAX_OBJECT: usize = 4 * 1024 * 1024;

const XML: &str = "application/xml; charset=utf-8";

/// One `<D:response>` of a multistatus: its href and the properties found (a 200 propstat).
pub(super) struct DavResponse {
    pub href: String,
    pub props: Vec<Element>,
}

impl DavResponse {
    pub(super) fn prop(&self, ns: &str, name: &str) -> Option<&Element> {
        self.props.iter().find(|p| p.is(ns, name))
    }

    pub(super) fn text(&self, ns: &str, name: &str) -> Option<String> {
        self.prop(ns, name)
            .map(|p| p.text.trim().to_string())
            .filter(|t| !t.is_empty())
    }
}

/// `HTTP/1.1 200 OK` → 200.
fn status_code(text: &str) -> Option<u16> {
    text.split_whitespace().nth(1)?.parse().ok()
}

/// Reads a 207 answer.
fn multistatus(reply: &Reply) -> Result<Vec<DavResponse>> {
    let root = xml::parse(&reply.body).map_err(|problem| {
        PROFILE.invalid_response(format!(
            "Yandex Calendar answered a multistatus that cannot be read: {problem}"
        ))
    })?;
    if !root.is(DAV, "multistatus") {
        return Err(PROFILE.invalid_response(format!(
            "Yandex Calendar answered <{}> where a multistatus was expected",
            root.name
        )));
    }
    let mut responses = Vec::new();
    for mut response in root.children.into_iter().filter(|c| c.is(DAV, "response")) {
        let href = response.href().unwrap_or("").to_string();
        let mut props = Vec::new();
        for mut propstat in std::mem::take(&mut response.children)
            .into_iter()
            .filter(|c| c.is(DAV, "propstat"))
        {
            let fine = propstat.child(DAV, "status").and_then(|s| status_code(&s.text)) == Some(200);
            if let Some(prop) = propstat
                .children
                .iter_mut()
                .find(|c| c.is(DAV, "prop"))
                .filter(|_| fine)
            {
                props.append(&mut prop.children);
            }
        }
        responses.push(DavResponse { href, props });
    }
    Ok(responses)
}

/// The URL of a server href (an absolute path; the endpoint is the server's root).
pub(super) fn url_of(base: &Url, href: &str) -> Result<Url> {
    if !href.starts_with('/') || href.starts_with("//") {
        return Err(PROFILE.invalid_response(format!("Yandex Calendar gave an href that is not a path: {href:?}")));
    }
    base.join(href)
        .map_err(|e| PROFILE.invalid_response(format!("Yandex Calendar gave an unusable href {href:?}: {e}")))
}

/// PROPFIND with this Depth and body; the responses of its 207.
pub(super) async fn propfind(call: &Call, url: Url, depth: &str, body: String) -> Result<Vec<DavResponse>> {
    let request = Request::extension("PROPFIND", &PROFILE, url, true)
        .header("Depth", depth.into())
        .bytes(XML.into(), Bytes::from(body))
        .max_body(MAX_LISTING)
        .authorized();
    expect_multistatus(call, request).await
}

/// REPORT (Depth 1) with this body; the responses of its 207.
pub(super) async fn report(call: &Call, url: Url, body: String) -> Result<Vec<DavResponse>> {
    let request = Request::extension("REPORT", &PROFILE, url, true)
        .header("Depth", "1".into())
        .bytes(XML.into(), Bytes::from(body))
        .max_body(MAX_LISTING)
        .authorized();
    expect_multistatus(call, request).await
}

async fn expect_multistatus(call: &Call, request: Request) -> Result<Vec<DavResponse>> {
    let reply = send(&call.ctx, &request).await?;
    if reply.status != 207 {
        return Err(refusal(&reply));
    }
    multistatus(&reply)
}

/// A calendar object as GET answers it.
pub(super) struct Fetched {
    pub etag: Option<String>,
    pub data: String,
}

/// GET of an object: None when it does not exist (404 or 410).
pub(super) async fn get(call: &Call, url: Url) -> Result<Option<Fetched>> {
    let request = Request::get(&PROFILE, url).max_body(MAX_OBJECT).authorized();
    let reply = send(&call.ctx, &request).await?;
    match reply.status {
        200 => {}
        404 | 410 => return Ok(None),
        _ => return Err(refusal(&reply)),
    }
    let data = String::from_utf8(reply.body.to_vec())
        .map_err(|_| PROFILE.invalid_response("Yandex Calendar answered a calendar object that is not UTF-8"))?;
    Ok(Some(Fetched {
        etag: reply.header("etag").map(String::from),
        data,
    }))
}

/// The error of a refused request, said in the calendar's terms: a changed event is a
/// `conflict`, a refusal names the right it needs.
pub(super) fn refusal(reply: &Reply) -> Error {
    let mut error = PROFILE.error(reply);
    let said = error.message.clone();
    match reply.status {
        412 => {
            error.code = ErrorCode::Conflict;
            error.message = format!("the event was changed (or created) meanwhile: its ETag is no longer the one given; read it again ({said})");
        }
        403 if error
            .upstream
            .as_ref()
            .and_then(|u| u.as_str())
            .is_some_and(|b| b.contains("need-privileges")) =>
        {
            error.message =
                format!("the calendar or event is read-only for this user, or belongs to someone else ({said})");
        }
        403 => {
            error.message = format!(
                "the token lacks the right calendar:all (for an employee: add it to the service application with Yandex360.AddServiceApplication, then exchange again) ({said})"
            );
        }
        _ => {}
    }
    error
}

/// A `<D:propfind>` asking for these properties (`prefix:name`, prefixes D, C, A).
pub(super) fn propfind_body(props: &[&str]) -> String {
    let props: String = props.iter().map(|p| format!("<{p}/>")).collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:propfind xmlns:D=\"DAV:\" xmlns:C=\"{}\" xmlns:A=\"{}\"><D:prop>{props}</D:prop></D:propfind>",
        xml::CALDAV,
        xml::APPLE
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: HeaderMap::new(),
            body: Bytes::from(body.to_string()),
        }
    }

    #[test]
    fn multistatus_keeps_found_properties_only() {
        let body = r#"<?xml version="1.0" encoding="utf-8"?><D:multistatus xmlns:D="DAV:"><D:response><href xmlns="DAV:">/calendars/a%40b/events-default/</href><D:propstat><D:prop><D:displayname>My</D:displayname></D:prop><status xmlns="DAV:">HTTP/1.1 200 OK</status></D:propstat><D:propstat><D:prop><D:getetag/></D:prop><status xmlns="DAV:">HTTP/1.1 404 Not Found</status></D:propstat></D:response><D:response><D:href>/x.ics</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response></D:multistatus>"#;
        let responses = multistatus(&reply(207, body)).unwrap();
        assert_eq!(responses.len(), 2);
        assert_eq!(responses[0].href, "/calendars/a%40b/events-default/");
        assert_eq!(responses[0].text(DAV, "displayname").as_deref(), Some("My"));
        assert!(responses[0].prop(DAV, "getetag").is_none());
        assert!(responses[1].props.is_empty());
        assert_eq!(
            multistatus(&reply(207, "<x/>")).err().unwrap().code,
            ErrorCode::InvalidResponse
        );
    }

    #[test]
    fn refusals_in_calendar_terms() {
        assert_eq!(refusal(&reply(412, "")).code, ErrorCode::Conflict);
        let scope = refusal(&reply(403, "Forbidden"));
        assert_eq!(scope.code, ErrorCode::Forbidden);
        assert!(scope.message.contains("calendar:all"), "{}", scope.message);
        let read_only = refusal(&reply(403, "<D:error xmlns:D=\"DAV:\"><D:need-privileges/></D:error>"));
        assert!(read_only.message.contains("read-only"), "{}", read_only.message);
        assert_eq!(refusal(&reply(404, "")).code, ErrorCode::NotFound);
    }

    #[test]
    fn hrefs_stay_on_the_server() {
        let base = Url::parse("https://caldav.yandex.ru").unwrap();
        assert_eq!(
            url_of(&base, "/calendars/a%40b/").unwrap().as_str(),
            "https://caldav.yandex.ru/calendars/a%40b/"
        );
        assert!(url_of(&base, "https://evil.example/").is_err());
        assert!(url_of(&base, "//evil.example/x").is_err());
    }
}
