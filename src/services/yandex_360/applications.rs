//! The organization's service applications. The API replaces the whole list on every write, so
//! adding or removing one application reads the list, changes it and writes all of it back.

use serde_json::{json, Map, Value};

use super::api::{applications_url, items, send};
use super::profile::PROFILE;
use crate::error::{Error, Result};
use crate::schema::Call;
use crate::transport::Request;

pub(super) async fn activate(call: Call) -> Result<Value> {
    switch(&call, "/activate").await
}

pub(super) async fn deactivate(call: Call) -> Result<Value> {
    switch(&call, "/deactivate").await
}

/// Turning the feature on or off twice is harmless, so a lost answer may be asked for again.
async fn switch(call: &Call, suffix: &str) -> Result<Value> {
    let request = Request::post(&PROFILE, applications_url(call, suffix)?)
        .json(json!({}))
        .idempotent(true);
    send(call, request).await
}

async fn read_list(call: &Call) -> Result<Vec<Value>> {
    let answer = send(call, Request::get(&PROFILE, applications_url(call, "")?)).await?;
    items(&answer, "applications")
}

/// Writes the whole list: POST replaces it, and an empty list is a DELETE, which the service
/// allows even while the feature is off. Writing the same list twice is harmless, so a lost
/// answer may be asked for again.
async fn write_list(call: &Call, applications: Vec<Value>) -> Result<Value> {
    if applications.is_empty() {
        send(call, Request::delete(&PROFILE, applications_url(call, "")?)).await?;
        return Ok(json!({"applications": []}));
    }
    let request = Request::post(&PROFILE, applications_url(call, "")?)
        .json(json!({"applications": applications}))
        .idempotent(true);
    let answer = send(call, request).await?;
    // The answer is the new list [unverified shape]; when it is not, read the list back.
    match answer.get("applications") {
        Some(Value::Array(list)) => Ok(json!({"applications": list})),
        _ => Ok(json!({"applications": read_list(call).await?})),
    }
}

/// Scopes given as an array or as space-separated text, as a non-empty array.
fn scope_list(value: &Value, what: &str) -> Result<Vec<Value>> {
    let scopes: Vec<Value> = match value {
        Value::String(text) => text.split_whitespace().map(|s| json!(s)).collect(),
        Value::Array(items) if items.iter().all(Value::is_string) => items
            .iter()
            .filter(|s| !s.as_str().unwrap_or("").trim().is_empty())
            .cloned()
            .collect(),
        _ => {
            return Err(Error::invalid_params(format!(
                "{what} must be an array of rights or space-separated rights"
            )))
        }
    };
    if scopes.is_empty() {
        return Err(Error::invalid_params(format!(
            "{what} is empty: name the rights the application may use, e.g. cloud_api:disk.read"
        )));
    }
    Ok(scopes)
}

fn application(id: &str, scopes: Vec<Value>) -> Value {
    json!({"id": id, "scopes": scopes})
}

/// The `applications` parameter as the API's list: `[{"id", "scopes": [...]}]`.
fn applications_param(call: &Call) -> Result<Vec<Value>> {
    let items = call
        .args
        .value("applications")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut list: Vec<Value> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let entry: &Map<String, Value> = item.as_object().ok_or_else(|| {
            Error::invalid_params(format!(
                "applications[{index}] must be an object {{\"id\", \"scopes\"}}"
            ))
        })?;
        if let Some(key) = entry.keys().find(|k| *k != "id" && *k != "scopes") {
            return Err(Error::invalid_params(format!(
                "applications[{index}] has an unknown key `{key}`; accepted: id, scopes"
            )));
        }
        let id = entry.get("id").and_then(Value::as_str).map(str::trim).unwrap_or("");
        if id.is_empty() {
            return Err(Error::invalid_params(format!(
                "applications[{index}].id must be the application's client_id"
            )));
        }
        if list.iter().any(|a| a["id"] == id) {
            return Err(Error::invalid_params(format!("application {id} is listed twice")));
        }
        let scopes = scope_list(
            entry.get("scopes").unwrap_or(&Value::Null),
            &format!("applications[{index}].scopes"),
        )?;
        list.push(application(id, scopes));
    }
    Ok(list)
}

pub(super) async fn get_service_applications(call: Call) -> Result<Value> {
    Ok(json!({"applications": read_list(&call).await?}))
}

pub(super) async fn set_service_applications(call: Call) -> Result<Value> {
    let list = applications_param(&call)?;
    write_list(&call, list).await
}

pub(super) async fn add_service_application(call: Call) -> Result<Value> {
    let id = call.args.str("client_id")?.trim().to_string();
    let scopes = scope_list(call.args.value("scopes").unwrap_or(&Value::Null), "`scopes`")?;
    let mut list = read_list(&call).await?;
    match list.iter_mut().find(|a| a["id"] == id.as_str()) {
        Some(existing) => existing["scopes"] = json!(scopes),
        None => list.push(application(&id, scopes)),
    }
    write_list(&call, list).await
}

pub(super) async fn remove_service_application(call: Call) -> Result<Value> {
    let id = call.args.str("client_id")?.trim().to_string();
    let mut list = read_list(&call).await?;
    let before = list.len();
    list.retain(|a| a["id"] != id.as_str());
    if list.len() == before {
        return Ok(json!({"applications": list}));
    }
    write_list(&call, list).await
}
