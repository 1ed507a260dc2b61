//! Yandex 360 for an organization's administrator (api-protocols.md §5): the directory
//! (organizations and employees, every page) and the organization's service applications, whose
//! registered clients then get one-hour tokens for any employee (YandexID.ExchangeTokenForUser).
//!
//! The API replaces the whole list of service applications on every write, so adding or removing
//! one application reads the list, changes it and writes all of it back.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use crate::call::Call;
use crate::error::{Error, ErrorCode, Result, Service};
use crate::http::{self, Request};
use crate::registry::{Auth, Method, Origin, Param, ParamType};
use crate::services::handler;

const MODULE: &str = "Yandex360";

/// The largest page the directory is asked for ([unverified] the service's limit; third-party
/// clients use 100 for both lists).
const PAGE_SIZE: &str = "100";
/// A listing that has not ended after this many pages is a service that keeps answering the
/// same page, not a directory (100 per page: a million entries).
const MAX_PAGES: usize = 10_000;

const ORG_ID: Param = Param::integer("org_id", "The organization's id (`id` of GetOrganizations).").required();
const CLIENT_ID: Param = Param::string(
    "client_id",
    "The service application's ClientID (an OAuth application of yours).",
)
.required();

pub const METHODS: &[Method] = &[
    Method {
        module: MODULE,
        name: "GetOrganizations",
        name_ru: "ПолучитьОрганизации",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[],
        doc: "The organizations the token's user belongs to, every page (right `directory:read_organization`).",
        result: "`{\"organizations\": [{\"id\", \"name\", ...}]}`",
        handler: handler!(get_organizations),
    },
    Method {
        module: MODULE,
        name: "GetUsers",
        name_ru: "ПолучитьПользователей",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[ORG_ID],
        doc: "The organization's employees, every page (an administrator's token with `directory:read_users`). Their `id` is the `user_id` of YandexID.ExchangeTokenForUser.",
        result: "`{\"users\": [{\"id\", \"nickname\", \"email\", \"name\", \"isAdmin\", ...}]}`",
        handler: handler!(get_users),
    },
    Method {
        module: MODULE,
        name: "ActivateServiceApplications",
        name_ru: "АктивироватьСервисныеПриложения",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[ORG_ID],
        doc: "Turns service applications on for the organization (the owner's token with `ya360_security:service_applications_write`). Harmless when already on.",
        result: "`{}`",
        handler: handler!(activate),
    },
    Method {
        module: MODULE,
        name: "DeactivateServiceApplications",
        name_ru: "ДеактивироватьСервисныеПриложения",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[ORG_ID],
        doc: "Turns service applications off: no more tokens are exchanged, and the list can only be cleared until they are turned on again.",
        result: "`{}`",
        handler: handler!(deactivate),
    },
    Method {
        module: MODULE,
        name: "GetServiceApplications",
        name_ru: "ПолучитьСервисныеПриложения",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[ORG_ID],
        doc: "The organization's service applications and the rights each may use (the owner's token with `ya360_security:service_applications_read`).",
        result: "`{\"applications\": [{\"id\", \"scopes\"}]}`",
        handler: handler!(get_service_applications),
    },
    Method {
        module: MODULE,
        name: "SetServiceApplications",
        name_ru: "УстановитьСервисныеПриложения",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[ORG_ID, Param::new(
            "applications",
            ParamType::Array,
            "The whole new list: [{\"id\": client_id, \"scopes\": [rights] or \"space-separated rights\"}], at most 20; an empty list clears it.",
        )
        .required()],
        doc: "Replaces the whole list of service applications (the service refuses this while they are not activated, except clearing).",
        result: "`{\"applications\": [{\"id\", \"scopes\"}]}`, the list as now registered",
        handler: handler!(set_service_applications),
    },
    Method {
        module: MODULE,
        name: "AddServiceApplication",
        name_ru: "ДобавитьСервисноеПриложение",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[
            ORG_ID,
            CLIENT_ID,
            Param::new(
                "scopes",
                ParamType::StringOrArray,
                "The rights it may use for employees (space-separated or an array), e.g. cloud_api:disk.read cloud_api:disk.write cloud_api:disk.info.",
            )
            .required(),
        ],
        doc: "Adds one service application, or replaces the rights of one already listed, keeping the others (reads the list, changes it, writes it all back).",
        result: "`{\"applications\": [{\"id\", \"scopes\"}]}`, the list as now registered",
        handler: handler!(add_service_application),
    },
    Method {
        module: MODULE,
        name: "RemoveServiceApplication",
        name_ru: "УдалитьСервисноеПриложение",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[ORG_ID, CLIENT_ID],
        doc: "Removes one service application, keeping the others; its tokens can no longer be exchanged. Removing one that is not listed changes nothing.",
        result: "`{\"applications\": [{\"id\", \"scopes\"}]}`, the list as now registered",
        handler: handler!(remove_service_application),
    },
];

fn org_id(call: &Call) -> Result<u64> {
    call.args
        .opt_u64("org_id")
        .ok_or_else(|| Error::invalid_params("missing parameter `org_id`"))
}

fn api_url(call: &Call, path: &str) -> Result<url::Url> {
    http::url(&call.endpoint("yandex_360"), path)
}

fn applications_url(call: &Call, suffix: &str) -> Result<url::Url> {
    api_url(
        call,
        &format!("/security/v1/org/{}/service_applications{suffix}", org_id(call)?),
    )
}

/// Sends an API request with the call's token, explaining the refusals an administrator meets.
async fn send(call: &Call, request: Request) -> Result<Value> {
    http::send_json(call, &request.authorized()).await.map_err(explain)
}

fn explain(mut error: Error) -> Error {
    let hint = match error.code {
        ErrorCode::Forbidden => Some(
            "only the organization's owner may do this, with a token carrying the right it needs \
             (directory:read_organization, directory:read_users, ya360_security:service_applications_read \
             or _write)",
        ),
        // 9 is FAILED_PRECONDITION: the feature is off.
        ErrorCode::BadRequest if error.upstream.as_ref().and_then(|u| u.get("code")) == Some(&json!(9)) => {
            Some("service applications are not activated: call Yandex360.ActivateServiceApplications first")
        }
        _ => None,
    };
    if let Some(hint) = hint {
        error.message = format!("{hint} ({})", error.message);
    }
    error
}

/// The array under `key` of a page, or an invalid-response error.
fn items(page: &Value, key: &str) -> Result<Vec<Value>> {
    match page.get(key) {
        Some(Value::Array(items)) => Ok(items.clone()),
        // An empty listing may leave the array out.
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(_) => Err(Error::new(
            ErrorCode::InvalidResponse,
            format!("Yandex 360 answered a page whose `{key}` is not an array"),
        )
        .with_service(Service::Yandex360)),
    }
}

fn endless_listing() -> Error {
    Error::new(
        ErrorCode::InvalidResponse,
        format!("Yandex 360 kept answering pages (more than {MAX_PAGES}) without reaching the end"),
    )
    .with_service(Service::Yandex360)
}

/// `GET /directory/v1/org`, following `nextPageToken` until it is empty.
async fn get_organizations(call: Call) -> Result<Value> {
    let mut organizations = Vec::new();
    let mut page_token = String::new();
    for _ in 0..MAX_PAGES {
        let mut request =
            Request::get(Service::Yandex360, api_url(&call, "/directory/v1/org")?).query("pageSize", PAGE_SIZE);
        if !page_token.is_empty() {
            request = request.query("pageToken", &page_token);
        }
        let page = send(&call, request).await?;
        organizations.extend(items(&page, "organizations")?);
        let next = page.get("nextPageToken").and_then(Value::as_str).unwrap_or("");
        if next.is_empty() {
            return Ok(json!({"organizations": organizations}));
        }
        if next == page_token {
            return Err(endless_listing());
        }
        page_token = next.to_string();
    }
    Err(endless_listing())
}

/// `GET /directory/v1/org/{orgId}/users`, page after page until `pages`. An employee added
/// while the pages are read may shift one onto the next page: each appears once.
async fn get_users(call: Call) -> Result<Value> {
    let url = api_url(&call, &format!("/directory/v1/org/{}/users", org_id(&call)?))?;
    let mut users: Vec<Value> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for page_number in 1..=MAX_PAGES {
        let request = Request::get(Service::Yandex360, url.clone())
            .query("page", &page_number.to_string())
            .query("perPage", PAGE_SIZE);
        let page = send(&call, request).await?;
        let found = items(&page, "users")?;
        let last = found.is_empty()
            || page
                .get("pages")
                .and_then(Value::as_u64)
                .is_none_or(|pages| page_number as u64 >= pages);
        for user in found {
            // Compared as JSON text, so ids given as strings or as numbers both work.
            if user.get("id").is_none_or(|id| seen.insert(id.to_string())) {
                users.push(user);
            }
        }
        if last {
            return Ok(json!({"users": users}));
        }
    }
    Err(endless_listing())
}

async fn activate(call: Call) -> Result<Value> {
    switch(&call, "/activate").await
}

async fn deactivate(call: Call) -> Result<Value> {
    switch(&call, "/deactivate").await
}

/// Turning the feature on or off twice is harmless, so a lost answer may be asked for again.
async fn switch(call: &Call, suffix: &str) -> Result<Value> {
    let request = Request::post(Service::Yandex360, applications_url(call, suffix)?)
        .json(json!({}))
        .idempotent(true);
    send(call, request).await
}

async fn read_list(call: &Call) -> Result<Vec<Value>> {
    let answer = send(call, Request::get(Service::Yandex360, applications_url(call, "")?)).await?;
    items(&answer, "applications")
}

/// Writes the whole list: POST replaces it, and an empty list is a DELETE, which the service
/// allows even while the feature is off. Writing the same list twice is harmless, so a lost
/// answer may be asked for again.
async fn write_list(call: &Call, applications: Vec<Value>) -> Result<Value> {
    if applications.is_empty() {
        send(call, Request::delete(Service::Yandex360, applications_url(call, "")?)).await?;
        return Ok(json!({"applications": []}));
    }
    let request = Request::post(Service::Yandex360, applications_url(call, "")?)
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

async fn get_service_applications(call: Call) -> Result<Value> {
    Ok(json!({"applications": read_list(&call).await?}))
}

async fn set_service_applications(call: Call) -> Result<Value> {
    let list = applications_param(&call)?;
    write_list(&call, list).await
}

async fn add_service_application(call: Call) -> Result<Value> {
    let id = call.args.str("client_id")?.trim().to_string();
    let scopes = scope_list(call.args.value("scopes").unwrap_or(&Value::Null), "`scopes`")?;
    let mut list = read_list(&call).await?;
    match list.iter_mut().find(|a| a["id"] == id.as_str()) {
        Some(existing) => existing["scopes"] = json!(scopes),
        None => list.push(application(&id, scopes)),
    }
    write_list(&call, list).await
}

async fn remove_service_application(call: Call) -> Result<Value> {
    let id = call.args.str("client_id")?.trim().to_string();
    let mut list = read_list(&call).await?;
    let before = list.len();
    list.retain(|a| a["id"] != id.as_str());
    if list.len() == before {
        return Ok(json!({"applications": list}));
    }
    write_list(&call, list).await
}
