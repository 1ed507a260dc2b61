//! Telemost conferences (docs/protocols-mail.md §6): create one, read it, change its settings,
//! add co-hosts. Creating is not repeated after it may have reached the service (a second
//! attempt would make a second meeting); reading and changing are.

use serde_json::{json, Map, Value};

use super::profile::{ENDPOINT, PROFILE};
use crate::error::{Error, ErrorCode, Result};
use crate::schema::Call;
use crate::transport::{send, send_json, Request};

/// `…/v1/telemost-api/conferences[/<id>[/<tail>]]`, the id percent-encoded as a segment.
fn conference_url(call: &Call, tail: Option<&str>) -> Result<url::Url> {
    let mut url = call.ctx.url(&ENDPOINT, "/v1/telemost-api/conferences")?;
    if let Some(tail) = tail {
        let id = call.args.str("conference_id")?.trim();
        if id.is_empty() {
            return Err(Error::invalid_params("`conference_id` is empty"));
        }
        let mut segments = url
            .path_segments_mut()
            .map_err(|()| Error::invalid_params("the yandex_telemost endpoint is not a base URL"))?;
        segments.push(id);
        if !tail.is_empty() {
            segments.push(tail);
        }
    }
    Ok(url)
}

/// `cohosts` as the API takes them: `[{"email"}]`, from addresses or such objects.
fn cohosts(value: &Value) -> Result<Value> {
    let bad = || {
        Error::invalid_params(
            "`cohosts` must be e-mail addresses (a string, comma-separated, or an array) or [{\"email\"}]",
        )
    };
    let one = |item: &Value| match item {
        Value::String(email) if email.contains('@') => Ok(json!({"email": email.trim()})),
        Value::Object(map)
            if map
                .get("email")
                .and_then(Value::as_str)
                .is_some_and(|e| e.contains('@')) =>
        {
            Ok(item.clone())
        }
        _ => Err(bad()),
    };
    let items: Vec<Value> = match value {
        Value::String(text) => text
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| one(&json!(e)))
            .collect::<Result<_>>()?,
        Value::Array(items) => items.iter().map(one).collect::<Result<_>>()?,
        _ => return Err(bad()),
    };
    Ok(Value::Array(items))
}

/// The settings a create or an update sends: only those given.
fn settings(call: &Call) -> Result<Map<String, Value>> {
    let mut body = Map::new();
    for key in ["waiting_room_level", "access_level"] {
        if let Some(level) = call.args.opt_str(key) {
            body.insert(key.into(), json!(level.trim().to_ascii_uppercase()));
        }
    }
    if let Some(stream) = call.args.value("live_stream") {
        body.insert("live_stream".into(), stream.clone());
    }
    if let Some(list) = call.args.value("cohosts") {
        body.insert("cohosts".into(), cohosts(list)?);
    }
    if let Some(Value::Bool(on)) = call.args.value("is_auto_summarization_enabled") {
        body.insert("is_auto_summarization_enabled".into(), json!(on));
    }
    Ok(body)
}

/// Sends with the call's token, naming the right a refusal is about.
async fn send_api(call: &Call, request: Request, right: &str) -> Result<Value> {
    send_json(&call.ctx, &request.authorized())
        .await
        .map_err(|error| explain(error, right))
}

fn explain(mut error: Error, right: &str) -> Error {
    if error.code == ErrorCode::Forbidden {
        error.message = format!(
            "the token needs the right telemost-api:conferences.{right} (for an employee: add it to the service application with Yandex360.AddServiceApplication); organization-only meetings and live streams also need an organization account ({})",
            error.message
        );
    }
    error
}

pub(super) async fn create_conference(call: Call) -> Result<Value> {
    let body = settings(&call)?;
    let request = Request::post(&PROFILE, conference_url(&call, None)?).json(Value::Object(body));
    send_api(&call, request, "create").await
}

pub(super) async fn get_conference(call: Call) -> Result<Value> {
    let request = Request::get(&PROFILE, conference_url(&call, Some(""))?);
    send_api(&call, request, "read").await
}

pub(super) async fn update_conference(call: Call) -> Result<Value> {
    let body = settings(&call)?;
    if body.is_empty() {
        return Err(Error::invalid_params(
            "nothing to change: give waiting_room_level, live_stream, cohosts or is_auto_summarization_enabled",
        ));
    }
    let request = Request::patch(&PROFILE, conference_url(&call, Some(""))?).json(Value::Object(body));
    send_api(&call, request, "update").await
}

/// `PATCH …/cohosts` adds without touching the others (204); the conference is read back.
pub(super) async fn add_cohosts(call: Call) -> Result<Value> {
    let list = cohosts(call.args.value("cohosts").unwrap_or(&Value::Null))?;
    let request = Request::patch(&PROFILE, conference_url(&call, Some("cohosts"))?)
        .json(json!({"cohosts": list}))
        .authorized();
    let reply = send(&call.ctx, &request).await?;
    if reply.status >= 400 {
        return Err(explain(PROFILE.error(&reply), "update"));
    }
    get_conference(call).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohosts_in_every_accepted_form() {
        let want = json!([{"email": "a@x.ru"}, {"email": "b@x.ru"}]);
        assert_eq!(cohosts(&json!("a@x.ru, b@x.ru")).unwrap(), want);
        assert_eq!(cohosts(&json!(["a@x.ru", {"email": "b@x.ru"}])).unwrap(), want);
        assert!(cohosts(&json!(["not an address"])).is_err());
        assert!(cohosts(&json!(5)).is_err());
    }
}
