//! Where a user's calendars are: the calendar home `/calendars/<email>/` (docs/protocols-mail.md
//! §4.2), from the address the caller gives or the one `credentials.subject` names, else
//! discovered as a CalDAV client does (`current-user-principal`, then `calendar-home-set`,
//! §4.3) — which needs no right beyond the calendar's own, unlike login.yandex.ru; and a
//! calendar among them by id, name or href.

use serde_json::{json, Value};
use url::Url;

use super::dav::{self, propfind, propfind_body, DavResponse};
use super::profile::{ENDPOINT, PROFILE};
use super::xml::{APPLE, CALDAV, DAV};
use crate::error::{Error, ErrorCode, Result};
use crate::schema::Call;

const CALSERVER: &str = "http://calendarserver.org/ns/";

/// The user's calendar home on the server.
pub(super) struct Home {
    /// The server's root.
    pub base: Url,
    /// The home's href, ending in `/`.
    pub path: String,
    /// The user's address, when known without asking.
    pub email: Option<String>,
}

impl Home {
    pub(super) fn url(&self, href: &str) -> Result<Url> {
        dav::url_of(&self.base, href)
    }
}

/// Percent-encodes a path segment as the server writes its hrefs (`@` as `%40`).
pub(super) fn encode_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The last segment of an href, decoded (`/calendars/a%40b/events-default/` → `events-default`).
pub(super) fn last_segment(href: &str) -> String {
    let segment = href.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    url::form_urlencoded::parse(format!("s={}", segment.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn known_email(call: &Call) -> Result<Option<String>> {
    if let Some(email) = call.args.opt_str("email").map(str::trim).filter(|e| !e.is_empty()) {
        if !email.contains('@') || email.contains(['/', '\\']) || email.chars().any(char::is_control) {
            return Err(Error::invalid_params(format!(
                "`email` is not an e-mail address: {email:?}"
            )));
        }
        return Ok(Some(email.to_string()));
    }
    let subject_email = call
        .args
        .value("credentials")
        .and_then(|c| c.get("subject"))
        .and_then(|s| s.get("user_email"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|e| e.contains('@'));
    Ok(subject_email.map(String::from))
}

/// The user's calendar home.
pub(super) async fn home(call: &Call) -> Result<Home> {
    let base = call.ctx.locate(&ENDPOINT).await?;
    if let Some(email) = known_email(call)? {
        let path = format!("/calendars/{}/", encode_segment(&email));
        return Ok(Home {
            base,
            path,
            email: Some(email),
        });
    }
    let path = discover(call, &base).await?;
    Ok(Home {
        base,
        path,
        email: None,
    })
}

/// `current-user-principal` of the root, then the principal's `calendar-home-set`.
async fn discover(call: &Call, base: &Url) -> Result<String> {
    let href_of = |responses: Vec<DavResponse>, ns: &str, name: &str| -> Result<String> {
        responses
            .iter()
            .find_map(|r| r.prop(ns, name).and_then(|p| p.href()).map(String::from))
            .filter(|href| !href.is_empty())
            .ok_or_else(|| {
                PROFILE.invalid_response(format!(
                    "Yandex Calendar did not say where the user's calendars are (no {name}); give `email`"
                ))
            })
    };
    let root = propfind(call, base.clone(), "0", propfind_body(&["D:current-user-principal"])).await?;
    let principal = href_of(root, DAV, "current-user-principal")?;
    let answer = propfind(
        call,
        dav::url_of(base, &principal)?,
        "0",
        propfind_body(&["C:calendar-home-set"]),
    )
    .await?;
    let home = href_of(answer, CALDAV, "calendar-home-set")?;
    Ok(if home.ends_with('/') { home } else { format!("{home}/") })
}

/// A calendar of the home, as GetCalendars shows it.
pub(super) struct CalendarInfo {
    pub id: String,
    pub href: String,
    pub name: String,
    pub json: Value,
}

fn calendar_info(response: &DavResponse) -> Option<CalendarInfo> {
    let is_calendar = response
        .prop(DAV, "resourcetype")
        .is_some_and(|t| t.child(CALDAV, "calendar").is_some());
    if !is_calendar {
        return None;
    }
    let id = last_segment(&response.href);
    let name = response.text(DAV, "displayname").unwrap_or_else(|| id.clone());
    let components: Vec<&str> = response
        .prop(CALDAV, "supported-calendar-component-set")
        .map(|set| {
            set.children_named(CALDAV, "comp")
                .filter_map(|c| c.attribute("name"))
                .collect()
        })
        .unwrap_or_default();
    let privileges: Vec<&str> = response
        .prop(DAV, "current-user-privilege-set")
        .map(|set| {
            set.children_named(DAV, "privilege")
                .flat_map(|p| p.children.iter().map(|c| c.name.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let writable = privileges
        .iter()
        .any(|p| matches!(*p, "write" | "write-content" | "all"));
    let json = json!({
        "id": id,
        "name": name,
        "href": response.href,
        "color": response.text(APPLE, "calendar-color"),
        "components": components,
        "writable": writable,
        "sync_token": response.text(DAV, "sync-token"),
        "ctag": response.text(CALSERVER, "getctag"),
    });
    Some(CalendarInfo {
        id,
        href: response.href.clone(),
        name,
        json,
    })
}

/// Every calendar of the home (PROPFIND Depth 1; inbox, outbox and the like left out).
pub(super) async fn calendars(call: &Call, home: &Home) -> Result<Vec<CalendarInfo>> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:propfind xmlns:D=\"DAV:\" xmlns:C=\"{CALDAV}\" xmlns:A=\"{APPLE}\" xmlns:CS=\"{CALSERVER}\"><D:prop><D:resourcetype/><D:displayname/><A:calendar-color/><C:supported-calendar-component-set/><D:current-user-privilege-set/><D:sync-token/><CS:getctag/></D:prop></D:propfind>"
    );
    let responses = propfind(call, home.url(&home.path)?, "1", body).await?;
    Ok(responses.iter().filter_map(calendar_info).collect())
}

/// The href of the calendar the caller names (`calendar`: an id, a name or an href), or of
/// the default calendar `events-default` when none is named.
pub(super) async fn calendar_href(call: &Call, home: &Home, required: bool) -> Result<String> {
    let wanted = call.args.opt_str("calendar").map(str::trim).filter(|c| !c.is_empty());
    let Some(wanted) = wanted else {
        if required {
            return Err(Error::invalid_params(
                "`calendar` is missing: give its id or name (GetCalendars)",
            ));
        }
        return Ok(format!("{}events-default/", home.path));
    };
    if wanted.starts_with('/') {
        return Ok(if wanted.ends_with('/') {
            wanted.to_string()
        } else {
            format!("{wanted}/")
        });
    }
    Ok(find_calendar(call, home, wanted).await?.href)
}

/// A calendar by id, else by name (case-insensitively).
pub(super) async fn find_calendar(call: &Call, home: &Home, wanted: &str) -> Result<CalendarInfo> {
    let mut all = calendars(call, home).await?;
    if let Some(at) = all.iter().position(|c| c.id == wanted) {
        return Ok(all.swap_remove(at));
    }
    let lower = wanted.to_lowercase();
    let listed: Vec<String> = all.iter().map(|c| format!("{:?} ({})", c.name, c.id)).collect();
    let mut named: Vec<CalendarInfo> = all.into_iter().filter(|c| c.name.to_lowercase() == lower).collect();
    match named.len() {
        1 => Ok(named.remove(0)),
        0 => Err(Error::new(
            ErrorCode::NotFound,
            format!(
                "no calendar has the id or name {wanted:?}; the user's calendars: {}",
                listed.join(", ")
            ),
        )
        .with_service(PROFILE.id)),
        _ => {
            let ids: Vec<&str> = named.iter().map(|c| c.id.as_str()).collect();
            Err(Error::invalid_params(format!(
                "several calendars are named {wanted:?} ({}): give its id",
                ids.join(", ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments() {
        assert_eq!(
            encode_segment("ivan.petrov@sandbox-org.ru"),
            "ivan.petrov%40sandbox-org.ru"
        );
        assert_eq!(last_segment("/calendars/a%40b/events-default/"), "events-default");
        assert_eq!(last_segment("/calendars/a%40b/ev%20x%2B1"), "ev x+1");
    }
}
