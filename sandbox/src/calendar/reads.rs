//! The reading methods: PROPFIND (Depth 0 or 1), REPORT (calendar-query, calendar-multiget,
//! sync-collection) and GET/HEAD of objects and calendars (docs/protocols-mail.md §4.3–4.4).

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::dav::{self, etag, Context, Filter, Resource, Wanted};
use super::paths::{self, Target};
use super::store::{Calendar, Home};
use super::xml::{self, text_element, Element, CALDAV, DAV};
use super::{precondition, xml_response, Caller};
use crate::state::Shared;

fn home_of(state: &Shared, caller: &Caller) -> Home {
    state.calendar.read(caller.user.uid, Home::clone).unwrap_or_default()
}

fn context<'a>(state: &Shared, caller: &'a Caller) -> Context<'a> {
    Context {
        paths: &caller.paths,
        display_name: caller.user.display_name,
        quoted_etags: state.settings().caldav_quoted_etags,
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not Found").into_response()
}

/// The request body's root element; an empty body is None; malformed XML is the problem.
fn body_root(body: &[u8]) -> Result<Option<Element>, String> {
    if body.trim_ascii().is_empty() {
        return Ok(None);
    }
    xml::parse(body).map(Some)
}

pub fn propfind(state: &Shared, caller: &Caller, target: &Target, headers: &HeaderMap, body: &[u8]) -> Response {
    let depth = match headers.get("Depth").and_then(|v| v.to_str().ok()).map(str::trim) {
        Some("0") => 0,
        Some("1") => 1,
        // RFC 4918 §9.1: absent means infinity, which a server may refuse.
        _ => return precondition(StatusCode::FORBIDDEN, DAV, "propfind-finite-depth"),
    };
    let wanted = match body_root(body) {
        Ok(None) => Wanted::All,
        Ok(Some(root)) if root.is(DAV, "propfind") => Wanted::from_request(&root),
        Ok(Some(_)) => return (StatusCode::BAD_REQUEST, "expected DAV:propfind").into_response(),
        Err(problem) => return (StatusCode::BAD_REQUEST, problem).into_response(),
    };
    let home = home_of(state, caller);
    let context = context(state, caller);
    let paths = &caller.paths;
    let respond = |path: String, resource: Resource<'_>| dav::response(&context, &path, &resource, &wanted);
    let mut responses = Vec::new();
    match target {
        Target::Root => responses.push(respond("/".into(), Resource::Root)),
        Target::Principal(_) => responses.push(respond(paths.principal(), Resource::Principal)),
        Target::Inbox(_) => responses.push(respond(paths.inbox(), Resource::Inbox)),
        Target::Outbox(_) => responses.push(respond(paths.outbox(), Resource::Outbox)),
        Target::Home(_) => {
            responses.push(respond(paths.home(), Resource::Home));
            if depth == 1 {
                responses.push(respond(paths.inbox(), Resource::Inbox));
                responses.push(respond(paths.outbox(), Resource::Outbox));
                for calendar in &home.calendars {
                    responses.push(respond(paths.calendar(&calendar.id), Resource::Calendar(calendar)));
                }
            }
        }
        Target::Calendar(_, id) => {
            let Some(calendar) = home.calendar(id) else {
                return not_found();
            };
            responses.push(respond(paths.calendar(id), Resource::Calendar(calendar)));
            if depth == 1 {
                for (name, object) in &calendar.objects {
                    responses.push(respond(paths.object(id, name), Resource::Object(object)));
                }
            }
        }
        Target::Object(_, id, name) => {
            let Some(object) = home.calendar(id).and_then(|c| c.objects.get(name)) else {
                return not_found();
            };
            responses.push(respond(paths.object(id, name), Resource::Object(object)));
        }
        Target::WellKnown | Target::Other => return not_found(),
    }
    xml_response(StatusCode::MULTI_STATUS, xml::multistatus(&responses, ""))
}

pub fn report(state: &Shared, caller: &Caller, target: &Target, body: &[u8]) -> Response {
    let root = match body_root(body) {
        Ok(Some(root)) => root,
        Ok(None) => return (StatusCode::BAD_REQUEST, "a REPORT needs a body").into_response(),
        Err(problem) => return (StatusCode::BAD_REQUEST, problem).into_response(),
    };
    let Target::Calendar(_, id) = target else {
        return precondition(StatusCode::FORBIDDEN, DAV, "supported-report");
    };
    let home = home_of(state, caller);
    let Some(calendar) = home.calendar(id) else {
        return not_found();
    };
    let context = context(state, caller);
    let wanted = Wanted::from_request(&root);
    let object_response = |name: &str| {
        let object = calendar.objects.get(name)?;
        let path = caller.paths.object(id, name);
        Some(dav::response(&context, &path, &Resource::Object(object), &wanted))
    };
    let (responses, tail) = if root.is(CALDAV, "calendar-query") {
        let filter = match Filter::parse(root.child(CALDAV, "filter")) {
            Ok(filter) => filter,
            Err(problem) => return (StatusCode::BAD_REQUEST, problem).into_response(),
        };
        let names = calendar
            .objects
            .iter()
            .filter(|(_, o)| filter.matches(&o.data))
            .map(|(n, _)| n);
        (names.filter_map(|n| object_response(n)).collect(), String::new())
    } else if root.is(CALDAV, "calendar-multiget") {
        let responses = root
            .children_named(DAV, "href")
            .map(|href| {
                match paths::target(href.text.trim()) {
                    Target::Object(_, other, name) if other == *id => object_response(&name),
                    _ => None,
                }
                .unwrap_or_else(|| dav::status_response(href.text.trim(), 404, "Not Found"))
            })
            .collect();
        (responses, String::new())
    } else if root.is(DAV, "sync-collection") {
        match sync(calendar, &root, &caller.paths, id, &wanted, &object_response) {
            Some(answer) => answer,
            None => return precondition(StatusCode::FORBIDDEN, DAV, "valid-sync-token"),
        }
    } else {
        return precondition(StatusCode::FORBIDDEN, DAV, "supported-report");
    };
    xml_response(StatusCode::MULTI_STATUS, xml::multistatus(&responses, &tail))
}

/// RFC 6578: what changed since the client's token (everything for an empty one), removals as
/// 404 propstats, then the new token; None for a token the sandbox cannot answer (403
/// valid-sync-token).
fn sync(
    calendar: &Calendar,
    root: &Element,
    paths: &paths::Paths,
    id: &str,
    wanted: &Wanted,
    object_response: &dyn Fn(&str) -> Option<String>,
) -> Option<(Vec<String>, String)> {
    let token = root.child(DAV, "sync-token").map(|t| t.text.trim()).unwrap_or("");
    let since = if token.is_empty() {
        None
    } else {
        let stamp = token.strip_prefix("data:,").and_then(|n| n.parse::<i64>().ok());
        match stamp {
            Some(stamp) if stamp >= calendar.oldest_token && stamp <= calendar.stamp => Some(stamp),
            _ => return None,
        }
    };
    let changed = calendar
        .objects
        .iter()
        .filter(|(_, o)| since.is_none_or(|s| o.stamp > s))
        .filter_map(|(name, _)| object_response(name));
    let removed = calendar
        .removed
        .iter()
        .filter(|(_, stamp)| since.is_some_and(|s| *stamp > s))
        .map(|(name, _)| dav::removed_response(&paths.object(id, name), wanted));
    let responses = changed.chain(removed).collect();
    Some((
        responses,
        text_element(DAV, "sync-token", &format!("data:,{}", calendar.stamp)),
    ))
}

/// An object as `text/calendar` with its ETag; a calendar as a list of its objects' hrefs, one
/// per line ([unverified] the format, docs/protocols-mail.md §4.3).
pub fn get(state: &Shared, caller: &Caller, target: &Target, head: bool) -> Response {
    let home = home_of(state, caller);
    let (content_type, body, tag) = match target {
        Target::Object(_, id, name) => {
            let Some(object) = home.calendar(id).and_then(|c| c.objects.get(name)) else {
                return not_found();
            };
            let tag = etag(object.stamp, state.settings().caldav_quoted_etags);
            ("text/calendar; charset=utf-8", object.data.clone(), Some(tag))
        }
        Target::Calendar(_, id) => {
            let Some(calendar) = home.calendar(id) else {
                return not_found();
            };
            let list: String = calendar
                .objects
                .keys()
                .map(|n| format!("{}\n", caller.paths.object(id, n)))
                .collect();
            ("text/plain; charset=utf-8", list, None)
        }
        _ => return not_found(),
    };
    let length = body.len();
    let mut response = if head {
        StatusCode::OK.into_response()
    } else {
        (StatusCode::OK, body).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if let Some(tag) = tag.and_then(|t| HeaderValue::from_str(&t).ok()) {
        headers.insert(header::ETAG, tag);
    }
    response
}
