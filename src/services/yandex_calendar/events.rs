//! Events (docs/protocols-mail.md §4.4–4.6): listed by a calendar-query REPORT over a time
//! range, read by GET, created by a PUT with `If-None-Match: *` and read back (the PUT answer
//! has neither an ETag nor the Telemost link the server adds), changed by a PUT with `If-Match`
//! (412: `conflict`), deleted with `If-Match` when an ETag is known.

use bytes::Bytes;
use serde_json::{json, Value};
use url::Url;

use super::dav::{self, refusal, report, Fetched};
use super::fields::{changes, event_json, Changes};
use super::home::{calendar_href, encode_segment, home, Home};
use super::ical::Object;
use super::profile::PROFILE;
use super::time::{range_bound, utc_stamp};
use super::writes::{checked_write, Found, Outcome};
use super::xml::{escape, CALDAV, DAV};
use crate::error::{Error, ErrorCode, Result};
use crate::schema::Call;
use crate::transport::Request;

const ICS: &str = "text/calendar; charset=utf-8";

/// A calendar-query for VEVENTs, with a time range and a UID filter when given.
fn query_body(range: Option<(Option<String>, Option<String>)>, uid: Option<&str>) -> String {
    let mut filter = String::new();
    if let Some((start, end)) = range {
        let start = start.map(|s| format!(" start=\"{s}\"")).unwrap_or_default();
        let end = end.map(|e| format!(" end=\"{e}\"")).unwrap_or_default();
        filter.push_str(&format!("<C:time-range{start}{end}/>"));
    }
    if let Some(uid) = uid {
        filter.push_str(&format!(
            "<C:prop-filter name=\"UID\"><C:text-match collation=\"i;octet\">{}</C:text-match></C:prop-filter>",
            escape(uid)
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<C:calendar-query xmlns:D=\"DAV:\" xmlns:C=\"{CALDAV}\"><D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter><C:comp-filter name=\"VCALENDAR\"><C:comp-filter name=\"VEVENT\">{filter}</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
    )
}

fn now_stamp() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    utc_stamp(seconds)
}

/// GetEvents: the calendar's events that overlap `from`–`to` (either may be left out).
pub(super) async fn get_events(call: Call) -> Result<Value> {
    let home = home(&call).await?;
    let calendar = calendar_href(&call, &home, false).await?;
    let from = call.args.opt_str("from").map(|t| range_bound("from", t)).transpose()?;
    let to = call.args.opt_str("to").map(|t| range_bound("to", t)).transpose()?;
    if let (Some(from), Some(to)) = (&from, &to) {
        if to <= from {
            return Err(Error::invalid_params("`to` must be after `from`"));
        }
    }
    let range = (from.is_some() || to.is_some()).then_some((from, to));
    let responses = report(&call, home.url(&calendar)?, query_body(range, None)).await?;
    let events: Vec<Value> = responses
        .iter()
        .filter_map(|r| {
            let data = r.text(CALDAV, "calendar-data")?;
            Some(event_json(&r.href, r.text(DAV, "getetag").as_deref(), &data))
        })
        .collect();
    Ok(json!({"events": events}))
}

/// The event the caller names: by `href`, else by `uid` in `calendar`. Its href and state.
async fn find_event(call: &Call, home: &Home) -> Result<(String, Fetched)> {
    let not_found = |what: String| Error::new(ErrorCode::NotFound, what).with_service(PROFILE.id);
    if let Some(href) = call.args.opt_str("href").map(str::trim).filter(|h| !h.is_empty()) {
        let fetched = dav::get(call, home.url(href)?).await?;
        return fetched
            .map(|f| (href.to_string(), f))
            .ok_or_else(|| not_found(format!("no event at {href}")));
    }
    let Some(uid) = call.args.opt_str("uid").map(str::trim).filter(|u| !u.is_empty()) else {
        return Err(Error::invalid_params(
            "name the event: give `href` (GetEvents) or `uid`",
        ));
    };
    let calendar = calendar_href(call, home, false).await?;
    let responses = report(call, home.url(&calendar)?, query_body(None, Some(uid))).await?;
    let found = responses.into_iter().find_map(|r| {
        let data = r.text(CALDAV, "calendar-data")?;
        let etag = r.text(DAV, "getetag");
        Some((r.href, Fetched { etag, data }))
    });
    found.ok_or_else(|| not_found(format!("no event with UID {uid:?} in {calendar}")))
}

/// GetEvent: one event, with its iCalendar text as stored (`ics`).
pub(super) async fn get_event(call: Call) -> Result<Value> {
    let home = home(&call).await?;
    let (href, fetched) = find_event(&call, &home).await?;
    let mut event = event_json(&href, fetched.etag.as_deref(), &fetched.data);
    event["ics"] = json!(fetched.data);
    Ok(event)
}

/// Reads an event back after a write: what the server made of it.
async fn read_back(call: &Call, home: &Home, href: &str) -> Result<Value> {
    let fetched = dav::get(call, home.url(href)?).await?.ok_or_else(|| {
        PROFILE.invalid_response(format!(
            "Yandex Calendar accepted the event but does not show it at {href}"
        ))
    })?;
    Ok(event_json(href, fetched.etag.as_deref(), &fetched.data))
}

fn put(url: Url, object: &Object) -> Request {
    Request::put(&PROFILE, url).bytes(ICS.into(), Bytes::from(object.to_text()))
}

fn random_uid() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system has no random source");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// CreateEvent: a new event (`<uid>.ics` in the calendar); with `telemost` the server adds a
/// meeting, whose link the reply reads back.
pub(super) async fn create_event(call: Call) -> Result<Value> {
    let home = home(&call).await?;
    let changes: Changes = changes(&call, true, home.email.as_deref())?;
    let calendar = calendar_href(&call, &home, false).await?;
    let uid = random_uid();
    let href = format!("{calendar}{}", encode_segment(&format!("{uid}.ics")));
    let now = now_stamp();
    let mut object = Object::new_event(&uid, &now);
    changes.apply(&mut object, &now);
    object.set("SEQUENCE", vec!["SEQUENCE:0".into()]);
    let url = home.url(&href)?;
    let request = put(url.clone(), &object).header("If-None-Match", "*".into());
    // The UID is new, so an object at this href can only be this write.
    let check = || async {
        Ok(match dav::get(&call, url.clone()).await? {
            Some(_) => Found::Landed,
            None => Found::Absent,
        })
    };
    if let Outcome::Answered(reply) = checked_write(&call, request, check).await? {
        if reply.status >= 400 {
            return Err(refusal(&reply));
        }
    }
    read_back(&call, &home, &href).await
}

/// UpdateEvent: the fields given change, everything else stays as stored (the Telemost link
/// too). Conditional on `etag` (or on the ETag just read): a change made meanwhile is
/// `conflict`.
pub(super) async fn update_event(call: Call) -> Result<Value> {
    let home = home(&call).await?;
    let (href, current) = find_event(&call, &home).await?;
    let changes = changes(&call, false, home.email.as_deref())?;
    if changes.set.is_empty() && !changes.telemost {
        return Err(Error::invalid_params(
            "nothing to change: give summary, description, location, start and end, attendees, rrule or telemost",
        ));
    }
    let mut object = Object::parse(&current.data)
        .map_err(|problem| PROFILE.invalid_response(format!("the stored event cannot be read: {problem}")))?;
    let now = now_stamp();
    changes.apply(&mut object, &now);
    let etag = call.args.opt_str("etag").map(String::from).or(current.etag.clone());
    let url = home.url(&href)?;
    let mut request = put(url.clone(), &object);
    if let Some(etag) = &etag {
        request = request.header("If-Match", etag.clone());
    }
    let check = || async {
        match dav::get(&call, url.clone()).await? {
            None => Err(Error::new(ErrorCode::Conflict, "the event was deleted meanwhile").with_service(PROFILE.id)),
            Some(now) if now.etag.is_some() && now.etag == etag => Ok(Found::Absent),
            Some(now) => match Object::parse(&now.data) {
                Ok(stored) if changes.landed_in(&stored) => Ok(Found::Landed),
                _ => Err(
                    Error::new(ErrorCode::Conflict, "the event was changed meanwhile by someone else")
                        .with_service(PROFILE.id),
                ),
            },
        }
    };
    if let Outcome::Answered(reply) = checked_write(&call, request, check).await? {
        if reply.status >= 400 {
            return Err(refusal(&reply));
        }
    }
    read_back(&call, &home, &href).await
}

/// DeleteEvent: removes the event (its colleagues' copies go with it when the user organised
/// it); with `etag`, only if unchanged.
pub(super) async fn delete_event(call: Call) -> Result<Value> {
    let home = home(&call).await?;
    let given_href = call.args.opt_str("href").map(str::trim).filter(|h| !h.is_empty());
    let etag = call.args.opt_str("etag").map(String::from);
    let href = match given_href {
        Some(href) => href.to_string(),
        None => find_event(&call, &home).await?.0,
    };
    let url = home.url(&href)?;
    let mut request = Request::delete(&PROFILE, url.clone());
    if let Some(etag) = &etag {
        request = request.header("If-Match", etag.clone());
    }
    let check = || async {
        Ok(match dav::get(&call, url.clone()).await? {
            None => Found::Landed,
            Some(_) => Found::Absent,
        })
    };
    if let Outcome::Answered(reply) = checked_write(&call, request, check).await? {
        if reply.status >= 400 {
            return Err(refusal(&reply));
        }
    }
    Ok(json!({"deleted": href}))
}
