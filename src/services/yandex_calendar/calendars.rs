//! The user's calendars (docs/protocols-mail.md §4.2–4.3, §4.5): listed by PROPFIND on the
//! calendar home, made by MKCALENDAR (whether Yandex allows it is not known: a refusal says
//! so), deleted by name or id.

use bytes::Bytes;
use serde_json::{json, Value};

use super::dav::refusal;
use super::home::{calendars, encode_segment, find_calendar, home};
use super::profile::PROFILE;
use super::writes::{checked_write, Found, Outcome};
use super::xml::{escape, APPLE, CALDAV};
use crate::error::{Error, ErrorCode, Result};
use crate::schema::Call;
use crate::transport::Request;

/// GetCalendars: every calendar of the user, with its rights and change tokens.
pub(super) async fn get_calendars(call: Call) -> Result<Value> {
    let home = home(&call).await?;
    let list: Vec<Value> = calendars(&call, &home).await?.into_iter().map(|c| c.json).collect();
    Ok(json!({"calendars": list, "home": home.path}))
}

/// `#rgb`-style colours as Yandex writes them (`#49c0a8ff`); `#rrggbb` is completed with `ff`.
fn colour(text: &str) -> Result<String> {
    let hex = text.trim().trim_start_matches('#');
    if !matches!(hex.len(), 6 | 8) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::invalid_params(format!(
            "`color` must be #rrggbb or #rrggbbaa, not {text:?}"
        )));
    }
    Ok(format!(
        "#{}{}",
        hex.to_ascii_lowercase(),
        if hex.len() == 6 { "ff" } else { "" }
    ))
}

fn new_id() -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("the operating system has no random source");
    let number = bytes.iter().fold(0u64, |n, b| n * 256 + u64::from(*b));
    format!("events-{}", number % 10_000_000_000_000)
}

/// CreateCalendar: MKCALENDAR `<home>/<id>/` with its name, colour and kind.
pub(super) async fn create_calendar(call: Call) -> Result<Value> {
    let name = call.args.str("name")?.trim().to_string();
    if name.is_empty() {
        return Err(Error::invalid_params("`name` is empty"));
    }
    let component = call
        .args
        .opt_str("component")
        .unwrap_or("VEVENT")
        .trim()
        .to_ascii_uppercase();
    if component != "VEVENT" && component != "VTODO" {
        return Err(Error::invalid_params(
            "`component` must be VEVENT (events) or VTODO (to-do lists)",
        ));
    }
    let color = call.args.opt_str("color").map(colour).transpose()?;
    let id = match call.args.opt_str("id").map(str::trim).filter(|i| !i.is_empty()) {
        Some(id) if id.contains('/') => return Err(Error::invalid_params("`id` cannot hold `/`")),
        Some(id) => id.to_string(),
        None => new_id(),
    };
    let home = home(&call).await?;
    let href = format!("{}{}/", home.path, encode_segment(&id));
    let color_prop = color
        .as_ref()
        .map(|c| format!("<A:calendar-color>{c}</A:calendar-color>"))
        .unwrap_or_default();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<C:mkcalendar xmlns:D=\"DAV:\" xmlns:C=\"{CALDAV}\" xmlns:A=\"{APPLE}\"><D:set><D:prop><D:displayname>{}</D:displayname>{color_prop}<C:supported-calendar-component-set><C:comp name=\"{component}\"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>",
        escape(&name)
    );
    let url = home.url(&href)?;
    let request = Request::extension("MKCALENDAR", &PROFILE, url, false)
        .bytes("application/xml; charset=utf-8".into(), Bytes::from(body));
    let check = || async {
        let made = calendars(&call, &home)
            .await?
            .into_iter()
            .any(|c| c.id == id && c.name == name);
        Ok(if made { Found::Landed } else { Found::Absent })
    };
    if let Outcome::Answered(reply) = checked_write(&call, request, check).await? {
        match reply.status {
            200..=299 => {}
            405 => {
                return Err(Error::new(
                    ErrorCode::Conflict,
                    format!("a calendar with the id {id:?} exists already"),
                )
                .with_service(PROFILE.id))
            }
            403 => {
                let mut error = refusal(&reply);
                error.message = format!("Yandex Calendar refused to create a calendar over CalDAV (MKCALENDAR); if it does not allow it for this user, create the calendar in the Calendar's web interface ({})", PROFILE.error(&reply).message);
                return Err(error);
            }
            _ => return Err(refusal(&reply)),
        }
    }
    Ok(json!({"id": id, "name": name, "href": href, "color": color, "components": [component]}))
}

/// DeleteCalendar: by id or name ("My calendar"); the default calendar cannot be deleted.
pub(super) async fn delete_calendar(call: Call) -> Result<Value> {
    let home = home(&call).await?;
    let wanted = call.args.str("calendar")?.trim().to_string();
    let calendar = find_calendar(&call, &home, &wanted).await?;
    let url = home.url(&calendar.href)?;
    let check = || async {
        let left = calendars(&call, &home)
            .await?
            .into_iter()
            .any(|c| c.href == calendar.href);
        Ok(if left { Found::Absent } else { Found::Landed })
    };
    if let Outcome::Answered(reply) = checked_write(&call, Request::delete(&PROFILE, url), check).await? {
        if reply.status >= 400 {
            return Err(refusal(&reply));
        }
    }
    Ok(json!({"deleted": {"id": calendar.id, "name": calendar.name, "href": calendar.href}}))
}
