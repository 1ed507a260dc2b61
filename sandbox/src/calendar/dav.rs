//! PROPFIND and REPORT answers (docs/protocols-mail.md §4.3–4.4, §4.9): the properties of the
//! root, the principal, the calendar home, the scheduling inbox and outbox, calendars and their
//! objects, each found property in a 200 propstat and each missing one in a 404 propstat;
//! calendar-query (component, time range, property text match), calendar-multiget and
//! sync-collection (`data:,<ms>` tokens, removed members as 404).

use super::ical;
use super::paths::Paths;
use super::store::{Access, Calendar, Object};
use super::xml::{close, empty, href, open, status, text_element, Element, APPLE, CALDAV, CALSERVER, CARDDAV, DAV};

/// What a request asks for.
pub enum Wanted {
    All,
    Names,
    Props(Vec<(String, String)>),
}

impl Wanted {
    /// From a `<D:propfind>` (or a REPORT's root): `prop`, `allprop` or `propname`.
    pub fn from_request(root: &Element) -> Wanted {
        if let Some(prop) = root.child(DAV, "prop") {
            return Wanted::Props(prop.children.iter().map(|c| (c.ns.clone(), c.name.clone())).collect());
        }
        if root.child(DAV, "propname").is_some() {
            return Wanted::Names;
        }
        Wanted::All
    }
}

/// A resource of the CalDAV tree.
pub enum Resource<'a> {
    Root,
    Principal,
    Home,
    Inbox,
    Outbox,
    Calendar(&'a Calendar),
    Object(&'a Object),
}

/// Every property the emulator knows, for allprop and propname.
const KNOWN: &[(&str, &str)] = &[
    (DAV, "resourcetype"),
    (DAV, "current-user-principal"),
    (DAV, "principal-URL"),
    (DAV, "displayname"),
    (DAV, "owner"),
    (DAV, "current-user-privilege-set"),
    (DAV, "sync-token"),
    (DAV, "supported-report-set"),
    (DAV, "getetag"),
    (DAV, "getcontenttype"),
    (DAV, "getcontentlength"),
    (CALDAV, "calendar-home-set"),
    (CALDAV, "calendar-user-address-set"),
    (CALDAV, "schedule-inbox-URL"),
    (CALDAV, "schedule-outbox-URL"),
    (CALDAV, "supported-calendar-component-set"),
    (CALDAV, "calendar-data"),
    (CALSERVER, "getctag"),
    (CALSERVER, "email-address-set"),
    (CARDDAV, "addressbook-home-set"),
    (APPLE, "calendar-color"),
];

/// How ETags are written: Yandex's bare milliseconds, or quoted (setting `caldav_quoted_etags`).
pub fn etag(stamp: i64, quoted: bool) -> String {
    if quoted {
        format!("\"{stamp}\"")
    } else {
        stamp.to_string()
    }
}

pub struct Context<'a> {
    pub paths: &'a Paths,
    pub display_name: &'a str,
    pub quoted_etags: bool,
}

fn wrap(ns: &str, name: &str, inner: &str) -> String {
    format!("{}{inner}{}", open(ns, name), close(ns, name))
}

fn privileges(access: Access) -> String {
    let privilege = |p: &str| format!("<D:privilege><D:{p}/></D:privilege>");
    match access {
        Access::ReadWrite => format!("{}{}", privilege("write"), privilege("read")),
        Access::ReadOnly => privilege("read"),
        Access::Listed => String::new(),
    }
}

fn resourcetype(resource: &Resource<'_>) -> String {
    let inner = match resource {
        Resource::Root | Resource::Home => "<D:collection/>".to_string(),
        Resource::Principal => "<D:collection/><D:principal/>".to_string(),
        Resource::Inbox => format!("<D:collection/>{}", empty(CALDAV, "schedule-inbox")),
        Resource::Outbox => format!("<D:collection/>{}", empty(CALDAV, "schedule-outbox")),
        Resource::Calendar(_) => format!("<D:collection/>{}", empty(CALDAV, "calendar")),
        Resource::Object(_) => String::new(),
    };
    wrap(DAV, "resourcetype", &inner)
}

/// One property of a resource, or None when it has none of that name (a 404 propstat).
fn property(context: &Context<'_>, resource: &Resource<'_>, ns: &str, name: &str) -> Option<String> {
    let paths = context.paths;
    let principal = || href(&paths.principal());
    let value = match (ns, name, resource) {
        (DAV, "resourcetype", _) => resourcetype(resource),
        (DAV, "current-user-principal", _) => wrap(ns, name, &principal()),
        (DAV, "principal-URL", Resource::Principal) => wrap(ns, name, &principal()),
        (DAV, "displayname", Resource::Principal) => text_element(ns, name, context.display_name),
        (DAV, "displayname", Resource::Calendar(c)) => text_element(ns, name, &c.name),
        (DAV, "owner", Resource::Calendar(c)) => wrap(ns, name, &href(&paths.principal_of(&c.owner))),
        (DAV, "owner", Resource::Home) => wrap(ns, name, &principal()),
        (DAV, "current-user-privilege-set", Resource::Calendar(c)) => wrap(ns, name, &privileges(c.access)),
        (DAV, "sync-token", Resource::Calendar(c)) => text_element(ns, name, &format!("data:,{}", c.stamp)),
        (DAV, "supported-report-set", Resource::Calendar(_)) => {
            let report = |r: &str| format!("<D:supported-report><D:report>{}</D:report></D:supported-report>", r);
            let inner = [
                report(&empty(CALDAV, "calendar-query")),
                report(&empty(CALDAV, "calendar-multiget")),
                report("<D:sync-collection/>"),
            ]
            .concat();
            wrap(ns, name, &inner)
        }
        (DAV, "getetag", Resource::Object(o)) => text_element(ns, name, &etag(o.stamp, context.quoted_etags)),
        (DAV, "getcontenttype", Resource::Object(_)) => text_element(ns, name, "text/calendar; charset=utf-8"),
        (DAV, "getcontentlength", Resource::Object(o)) => text_element(ns, name, &o.data.len().to_string()),
        (CALDAV, "calendar-home-set", Resource::Principal | Resource::Root) => wrap(ns, name, &href(&paths.home())),
        (CALDAV, "calendar-user-address-set", Resource::Principal) => {
            wrap(ns, name, &href(&format!("mailto:{}", paths.email)))
        }
        (CALDAV, "schedule-inbox-URL", Resource::Principal) => wrap(ns, name, &href(&paths.inbox())),
        (CALDAV, "schedule-outbox-URL", Resource::Principal) => wrap(ns, name, &href(&paths.outbox())),
        (CALDAV, "supported-calendar-component-set", Resource::Calendar(c)) => wrap(
            ns,
            name,
            &format!("<C:comp xmlns:C=\"{CALDAV}\" name=\"{}\"/>", c.component),
        ),
        (CALDAV, "calendar-data", Resource::Object(o)) => text_element(ns, name, &o.data),
        (CALSERVER, "getctag", Resource::Calendar(c)) => text_element(ns, name, &c.stamp.to_string()),
        (CALSERVER, "email-address-set", Resource::Principal) => {
            wrap(ns, name, &href(&format!("mailto:{}", paths.email)))
        }
        (CARDDAV, "addressbook-home-set", Resource::Principal) => wrap(ns, name, &href(&paths.addressbook())),
        (APPLE, "calendar-color", Resource::Calendar(c)) => text_element(ns, name, &c.color),
        _ => return None,
    };
    Some(value)
}

/// A `<D:response>` for a resource: found properties in a 200 propstat, missing ones in 404.
pub fn response(context: &Context<'_>, path: &str, resource: &Resource<'_>, wanted: &Wanted) -> String {
    let mut found = String::new();
    let mut missing = String::new();
    match wanted {
        Wanted::Props(props) => {
            for (ns, name) in props {
                match property(context, resource, ns, name) {
                    Some(value) => found.push_str(&value),
                    None => missing.push_str(&empty(ns, name)),
                }
            }
        }
        Wanted::All | Wanted::Names => {
            for (ns, name) in KNOWN {
                if let Some(value) = property(context, resource, ns, name) {
                    found.push_str(&if matches!(wanted, Wanted::Names) {
                        empty(ns, name)
                    } else {
                        value
                    });
                }
            }
        }
    }
    let mut out = format!("<D:response>{}", href(path));
    for (props, code, reason) in [(found, 200, "OK"), (missing, 404, "Not Found")] {
        if !props.is_empty() {
            out.push_str(&format!(
                "<D:propstat><D:prop>{props}</D:prop>{}</D:propstat>",
                status(code, reason)
            ));
        }
    }
    out.push_str("</D:response>");
    out
}

/// A `<D:response>` with only a status (a multiget href that does not exist).
pub fn status_response(path: &str, code: u16, reason: &str) -> String {
    format!("<D:response>{}{}</D:response>", href(path), status(code, reason))
}

/// A removed member in a sync-collection answer, as Yandex reports it: the asked properties in
/// a 404 propstat (docs/protocols-mail.md §4.4).
pub fn removed_response(path: &str, wanted: &Wanted) -> String {
    let props: String = match wanted {
        Wanted::Props(props) => props.iter().map(|(ns, name)| empty(ns, name)).collect(),
        _ => empty(DAV, "getetag"),
    };
    format!(
        "<D:response>{}<D:propstat><D:prop>{props}</D:prop>{}</D:propstat></D:response>",
        href(path),
        status(404, "Not Found")
    )
}

/// A property filter of a calendar-query.
struct PropFilter {
    name: String,
    undefined: bool,
    text: Option<(String, bool, bool)>,
}

/// A calendar-query's filter: the component, its time range and property filters.
pub struct Filter {
    kind: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
    props: Vec<PropFilter>,
}

impl Filter {
    pub fn parse(filter: Option<&Element>) -> Result<Filter, String> {
        let mut out = Filter {
            kind: None,
            from: None,
            to: None,
            props: Vec::new(),
        };
        let Some(calendar) = filter.and_then(|f| f.child(CALDAV, "comp-filter")) else {
            return Ok(out);
        };
        let Some(component) = calendar.child(CALDAV, "comp-filter") else {
            return Ok(out);
        };
        out.kind = component.attribute("name").map(str::to_ascii_uppercase);
        if let Some(range) = component.child(CALDAV, "time-range") {
            let bound = |key: &str| match range.attribute(key) {
                None => Ok(None),
                Some(text) => ical::utc(text)
                    .map(Some)
                    .ok_or_else(|| format!("invalid time-range {key}")),
            };
            out.from = bound("start")?;
            out.to = bound("end")?;
        }
        for filter in component.children_named(CALDAV, "prop-filter") {
            let text = filter.child(CALDAV, "text-match").map(|m| {
                let negate = m
                    .attribute("negate-condition")
                    .is_some_and(|v| v.eq_ignore_ascii_case("yes"));
                let caseless = m.attribute("collation") != Some("i;octet");
                (m.text.clone(), negate, caseless)
            });
            out.props.push(PropFilter {
                name: filter.attribute("name").unwrap_or("").to_ascii_uppercase(),
                undefined: filter.child(CALDAV, "is-not-defined").is_some(),
                text,
            });
        }
        Ok(out)
    }

    /// Whether an object passes. `expand` in calendar-data is ignored, as at Yandex.
    pub fn matches(&self, data: &str) -> bool {
        let Ok(calendar) = ical::parse(data) else { return false };
        let Some(kind) = &self.kind else { return true };
        let items: Vec<&ical::Component> = calendar.items().filter(|i| &i.name == kind).collect();
        if items.is_empty() || !ical::in_range(&calendar, kind, self.from, self.to) {
            return false;
        }
        self.props.iter().all(|filter| {
            items.iter().any(|item| {
                let property = item.property(&filter.name);
                match (&filter.text, property) {
                    _ if filter.undefined => property.is_none(),
                    (None, property) => property.is_some(),
                    (Some(_), None) => false,
                    (Some((text, negate, caseless)), Some(p)) => {
                        let found = if *caseless {
                            p.value.to_lowercase().contains(&text.to_lowercase())
                        } else {
                            p.value.contains(text.as_str())
                        };
                        found != *negate
                    }
                }
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> Paths {
        Paths::new("ivan.petrov@sandbox-org.ru")
    }

    #[test]
    fn found_and_missing_properties() {
        let paths = paths();
        let context = Context {
            paths: &paths,
            display_name: "Иван",
            quoted_etags: false,
        };
        let wanted = Wanted::Props(vec![
            (DAV.into(), "current-user-principal".into()),
            (DAV.into(), "displayname".into()),
        ]);
        let answer = response(&context, "/", &Resource::Root, &wanted);
        assert_eq!(
            answer,
            "<D:response><href xmlns=\"DAV:\">/</href><D:propstat><D:prop><D:current-user-principal>\
             <href xmlns=\"DAV:\">/principals/users/ivan.petrov%40sandbox-org.ru/</href></D:current-user-principal>\
             </D:prop><status xmlns=\"DAV:\">HTTP/1.1 200 OK</status></D:propstat><D:propstat><D:prop><D:displayname/>\
             </D:prop><status xmlns=\"DAV:\">HTTP/1.1 404 Not Found</status></D:propstat></D:response>"
        );
    }

    #[test]
    fn filters() {
        let request = super::super::xml::parse(br#"<C:filter xmlns:C="urn:ietf:params:xml:ns:caldav"><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="UID"><C:text-match collation="i;octet">uid-1</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter></C:filter>"#).unwrap();
        let filter = Filter::parse(Some(&request)).unwrap();
        let event = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:uid-1\r\nDTSTART:20261201T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert!(filter.matches(event));
        assert!(!filter.matches(&event.replace("uid-1", "UID-2")));
        assert!(!filter.matches(&event.replace("VEVENT", "VTODO")));
    }
}
