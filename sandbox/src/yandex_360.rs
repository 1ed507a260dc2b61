//! Yandex 360 API (`api360.yandex.net`, docs/protocols.md §5): the directory (organizations and
//! employees, paged as in §5.4) and the service applications of the organization (activate,
//! deactivate, read, replace and clear the list), plus the token-exchange grant of
//! `oauth.yandex.ru/token` (§1.6) that issues one-hour tokens for employees to a registered
//! service application.
//!
//! Every organization-scoped call is the owner's alone: anyone else gets 403 in the 360 API's
//! grpc-gateway error shape `{"code", "message", "details"}`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::accounts::{self, YandexClient, YandexUser, ORG_ID, ORG_NAME};
use crate::state::{lock, AppState, Shared};
use crate::util::{field, iso8601, json_response, parse_form};
use crate::yandex_oauth::{issue_access_token, token_owner, TokenOwner};

/// Lifetime of an exchanged token (docs/protocols.md §1.6: `expires_in` 3600, no refresh token).
const EXCHANGED_TOKEN_TTL_S: i64 = 3600;
/// At most this many service applications per organization (Y360-DOCS).
const MAX_APPLICATIONS: usize = 20;
/// `perPage` of the users list when the request names none. [unverified]
const DEFAULT_PER_PAGE: usize = 10;
/// When the organization and its employees were created, as the directory shows it.
const CREATED_AT: i64 = 1_700_000_000;

const SCOPE_READ_ORGANIZATION: &str = "directory:read_organization";
const SCOPE_READ_USERS: &str = "directory:read_users";
const SCOPE_APPS_READ: &str = "ya360_security:service_applications_read";
const SCOPE_APPS_WRITE: &str = "ya360_security:service_applications_write";

/// The organization's service-application settings, kept by `state.rs` with the rest.
#[derive(Default, Serialize, Deserialize)]
pub struct State {
    /// The owner turned the feature on (and has not turned it off since).
    activated: bool,
    /// The registered list, in the order it was written.
    applications: Vec<Application>,
}

#[derive(Clone, Serialize, Deserialize)]
struct Application {
    id: String,
    scopes: Vec<String>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/directory/v1/org", get(organizations))
        .route("/directory/v1/org/{org_id}/users", get(users))
        .route(
            "/security/v1/org/{org_id}/service_applications",
            get(get_applications).post(set_applications).delete(clear_applications),
        )
        .route(
            "/security/v1/org/{org_id}/service_applications/activate",
            post(activate),
        )
        .route(
            "/security/v1/org/{org_id}/service_applications/deactivate",
            post(deactivate),
        )
}

/// grpc-gateway status numbers the 360 API puts in `code`.
const INVALID_ARGUMENT: u32 = 3;
const PERMISSION_DENIED: u32 = 7;
const FAILED_PRECONDITION: u32 = 9;
const UNAUTHENTICATED: u32 = 16;

/// A refusal in the 360 API's error body. [unverified] the texts; the shape and statuses are
/// per §5.1.
struct ApiError {
    status: StatusCode,
    code: u32,
    message: String,
}

type ApiResult<T> = Result<T, ApiError>;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(
            self.status,
            "application/json",
            &json!({"code": self.code, "message": self.message, "details": []}),
        )
    }
}

fn api_error(status: StatusCode, code: u32, message: &str) -> ApiError {
    ApiError {
        status,
        code,
        message: message.into(),
    }
}

fn invalid_argument(message: &str) -> ApiError {
    api_error(StatusCode::BAD_REQUEST, INVALID_ARGUMENT, message)
}

fn ok_json(body: Value) -> Response {
    json_response(StatusCode::OK, "application/json", &body)
}

/// The caller of an API request: a valid token (else 401) that carries `scope` (else 403).
fn caller(state: &Shared, headers: &HeaderMap, scope: &str) -> ApiResult<TokenOwner> {
    let owner = token_owner(state, headers)
        .ok_or_else(|| api_error(StatusCode::UNAUTHORIZED, UNAUTHENTICATED, "Unauthenticated"))?;
    if !owner.scopes.iter().any(|s| s == scope) {
        return Err(api_error(
            StatusCode::FORBIDDEN,
            PERMISSION_DENIED,
            &format!("The token lacks the {scope} permission"),
        ));
    }
    Ok(owner)
}

/// The caller of an organization-scoped request, who must be the organization's owner: anyone
/// else, and any organization the caller does not own, gets 403. [unverified] that an
/// organization nobody owns answers 403 rather than 404; telling them apart would reveal which
/// organizations exist.
fn owner_of(state: &Shared, headers: &HeaderMap, scope: &str, org_id: &str) -> ApiResult<TokenOwner> {
    let caller = caller(state, headers, scope)?;
    let Ok(org_id) = org_id.parse::<u64>() else {
        return Err(invalid_argument("orgId must be an integer"));
    };
    if org_id != ORG_ID || caller.uid != accounts::default_yandex_user().uid {
        return Err(api_error(
            StatusCode::FORBIDDEN,
            PERMISSION_DENIED,
            "Only the organization's owner may do this",
        ));
    }
    Ok(caller)
}

/// A non-negative integer query value, or its default when absent.
fn query_number(query: &[(String, String)], key: &str, default: usize) -> ApiResult<usize> {
    match field(query, key) {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| invalid_argument(&format!("{key} must be a non-negative integer"))),
    }
}

/// The largest page the directory serves (`yandex_360_max_page_size`); a larger `pageSize` or
/// `perPage` is served as this many, so clients must follow the paging.
fn max_page_size(state: &Shared) -> usize {
    (state.settings().yandex_360_max_page_size as usize).max(1)
}

fn members() -> impl Iterator<Item = &'static YandexUser> {
    accounts::YANDEX_USERS.iter().filter(|u| u.in_org)
}

fn is_owner(user: &YandexUser) -> bool {
    user.uid == accounts::default_yandex_user().uid
}

/// `GET /directory/v1/org?pageSize=&pageToken=`: the organizations the caller belongs to
/// ([unverified] whether employees who are not administrators see theirs), paged with an opaque
/// token (here the offset) that is empty on the last page.
async fn organizations(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let caller = caller(&state, &headers, SCOPE_READ_ORGANIZATION)?;
    let query = parse_form(query.unwrap_or_default().as_bytes());
    let size = match query_number(&query, "pageSize", 100)? {
        0 => 100,
        size => size.min(max_page_size(&state)),
    };
    let offset = match field(&query, "pageToken").map(str::parse::<usize>) {
        None => 0,
        Some(Ok(offset)) => offset,
        Some(Err(_)) => return Err(invalid_argument("invalid pageToken")),
    };
    let member = accounts::yandex_user(&caller.uid).is_some_and(|u| u.in_org);
    let owner = accounts::default_yandex_user();
    let all: Vec<Value> = member
        .then(|| {
            json!({
                "id": ORG_ID,
                "name": ORG_NAME,
                "email": owner.email,
                "phone": "",
                "fax": "",
                "language": "ru",
                "subscriptionPlan": "business",
            })
        })
        .into_iter()
        .collect();
    let page: Vec<Value> = all.iter().skip(offset).take(size).cloned().collect();
    let next = if offset + size < all.len() {
        (offset + size).to_string()
    } else {
        String::new()
    };
    Ok(ok_json(json!({"organizations": page, "nextPageToken": next})))
}

fn user_json(user: &YandexUser) -> Value {
    let created = iso8601(CREATED_AT);
    json!({
        "id": user.uid,
        "nickname": user.login,
        "departmentId": 1,
        "email": user.email,
        "name": {"first": user.first_name, "last": user.last_name, "middle": ""},
        "gender": "",
        "position": if is_owner(user) { "Owner" } else { "" },
        "avatarId": "",
        "about": "",
        "birthday": "",
        "externalId": "",
        "isAdmin": is_owner(user),
        "isRobot": false,
        "isDismissed": false,
        "isEnabled": true,
        "timezone": "Europe/Moscow",
        "language": "ru",
        "createdAt": created,
        "updatedAt": created,
        "contacts": [{"type": "email", "value": user.email, "main": true, "alias": false, "synthetic": true}],
        "aliases": [],
        "groups": [],
    })
}

/// `GET /directory/v1/org/{orgId}/users?page=&perPage=`: the employees, with `page` (from 1),
/// `pages`, `perPage` and `total`.
async fn users(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path(org_id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    owner_of(&state, &headers, SCOPE_READ_USERS, &org_id)?;
    let query = parse_form(query.unwrap_or_default().as_bytes());
    let page = match query_number(&query, "page", 1)? {
        0 => return Err(invalid_argument("page starts at 1")),
        page => page,
    };
    let per_page = match query_number(&query, "perPage", DEFAULT_PER_PAGE)? {
        0 => DEFAULT_PER_PAGE,
        per_page => per_page.min(max_page_size(&state)),
    };
    let all: Vec<&YandexUser> = members().collect();
    let users: Vec<Value> = all
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(|u| user_json(u))
        .collect();
    Ok(ok_json(json!({
        "users": users,
        "page": page,
        "pages": all.len().div_ceil(per_page),
        "perPage": per_page,
        "total": all.len(),
    })))
}

fn applications_json(applications: &[Application]) -> Value {
    json!({
        "applications": applications
            .iter()
            .map(|a| json!({"id": a.id, "scopes": a.scopes}))
            .collect::<Vec<_>>(),
    })
}

/// `GET .../service_applications`: the registered list (whether or not the feature is on).
async fn get_applications(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path(org_id): Path<String>,
) -> ApiResult<Response> {
    owner_of(&state, &headers, SCOPE_APPS_READ, &org_id)?;
    Ok(ok_json(applications_json(&lock(&state.y360).applications)))
}

/// Reads `{"applications": [{"id", "scopes": [...]}]}`; each id must be a known OAuth client and
/// each scope one of that client's rights. [unverified] how the real service refuses an unknown
/// client or scope; here 400 INVALID_ARGUMENT naming it.
fn parse_applications(body: &[u8]) -> ApiResult<Vec<Application>> {
    let body: Value = serde_json::from_slice(body).map_err(|_| invalid_argument("the body must be a JSON object"))?;
    let Some(items) = body.get("applications").and_then(Value::as_array) else {
        return Err(invalid_argument("applications: an array is required"));
    };
    if items.len() > MAX_APPLICATIONS {
        return Err(invalid_argument(&format!(
            "at most {MAX_APPLICATIONS} service applications are allowed"
        )));
    }
    let mut applications: Vec<Application> = Vec::new();
    for item in items {
        let Some(id) = item.get("id").and_then(Value::as_str).filter(|id| !id.is_empty()) else {
            return Err(invalid_argument("applications[].id: a client id is required"));
        };
        let Some(client) = accounts::yandex_client(id) else {
            return Err(invalid_argument(&format!("application {id} not found")));
        };
        if applications.iter().any(|a| a.id == id) {
            return Err(invalid_argument(&format!("application {id} is listed twice")));
        }
        let scopes: Vec<String> = match item.get("scopes").and_then(Value::as_array) {
            Some(scopes) if !scopes.is_empty() && scopes.iter().all(Value::is_string) => {
                scopes.iter().filter_map(Value::as_str).map(String::from).collect()
            }
            _ => {
                return Err(invalid_argument(&format!(
                    "applications[].scopes of {id}: a non-empty array of scopes is required"
                )))
            }
        };
        if let Some(unknown) = scopes.iter().find(|s| !client.scopes.contains(&s.as_str())) {
            return Err(invalid_argument(&format!(
                "scope {unknown} is not a permission of application {id}"
            )));
        }
        applications.push(Application { id: id.into(), scopes });
    }
    Ok(applications)
}

/// `POST .../service_applications`: replaces the whole list and answers it. Refused while the
/// feature is off (deactivated: "only clearing the list is allowed"); [unverified] that it is
/// 400 FAILED_PRECONDITION, as grpc-gateway maps that status.
async fn set_applications(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path(org_id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    owner_of(&state, &headers, SCOPE_APPS_WRITE, &org_id)?;
    let applications = parse_applications(&body)?;
    let mut y360 = lock(&state.y360);
    if !y360.activated {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            FAILED_PRECONDITION,
            "Service applications are not activated for the organization",
        ));
    }
    y360.applications = applications;
    Ok(ok_json(applications_json(&y360.applications)))
}

/// `DELETE .../service_applications`: clears the list, allowed whether or not the feature is on.
async fn clear_applications(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path(org_id): Path<String>,
) -> ApiResult<Response> {
    owner_of(&state, &headers, SCOPE_APPS_WRITE, &org_id)?;
    lock(&state.y360).applications.clear();
    Ok(ok_json(json!({})))
}

async fn activate(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path(org_id): Path<String>,
) -> ApiResult<Response> {
    switch(&state, &headers, &org_id, true)
}

async fn deactivate(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path(org_id): Path<String>,
) -> ApiResult<Response> {
    switch(&state, &headers, &org_id, false)
}

/// `POST .../activate` and `.../deactivate`: `{}`, also when the feature already was that way.
fn switch(state: &Shared, headers: &HeaderMap, org_id: &str, on: bool) -> ApiResult<Response> {
    owner_of(state, headers, SCOPE_APPS_WRITE, org_id)?;
    lock(&state.y360).activated = on;
    Ok(ok_json(json!({})))
}

const SUBJECT_UID: &str = "urn:yandex:params:oauth:token-type:uid";
const SUBJECT_EMAIL: &str = "urn:yandex:params:oauth:token-type:email";

fn oauth_error(error: &str, description: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        "application/json",
        &json!({"error": error, "error_description": description}),
    )
}

/// The optional `scope` of an exchange narrows the token to those of the registered scopes
/// (admin scripts ask for `mail:imap_ro` alone, docs/protocols-mail.md §1). [unverified] that a
/// scope outside the registered set is `invalid_scope`.
fn narrowed(registered: Vec<String>, requested: Option<&str>) -> Result<Vec<String>, String> {
    let Some(requested) = requested else {
        return Ok(registered);
    };
    let mut scopes = Vec::new();
    for scope in requested.split_whitespace() {
        if !registered.iter().any(|s| s == scope) {
            return Err(scope.to_string());
        }
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_string());
        }
    }
    Ok(scopes)
}

/// The token-exchange grant of `POST oauth.yandex.ru/token` (docs/protocols.md §1.6), called once
/// the client has authenticated: a one-hour token, without a refresh token, for the employee
/// named by `subject_token` (a uid or an e-mail), with the scopes the organization registered
/// for the client (or those of them that `scope` names).
///
/// Refusals [unverified] beyond "400 …unauthorized… when the app is not registered": a subject
/// that is no employee of an organization (unknown, or outside every organization) is
/// `invalid_grant`; a client the subject's organization has not registered, or an organization
/// that has not activated service applications, is `unauthorized_client`.
pub fn token_exchange(state: &Shared, client: &YandexClient, form: &[(String, String)]) -> Response {
    let Some(subject) = field(form, "subject_token") else {
        return oauth_error("invalid_request", "subject_token not specified");
    };
    let user = match field(form, "subject_token_type") {
        Some(SUBJECT_UID) => accounts::yandex_user(subject),
        Some(SUBJECT_EMAIL) => accounts::YANDEX_USERS
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(subject)),
        Some(_) => return oauth_error("invalid_request", "Unsupported subject_token_type"),
        None => return oauth_error("invalid_request", "subject_token_type not specified"),
    };
    let Some(user) = user.filter(|u| u.in_org) else {
        return oauth_error(
            "invalid_grant",
            "The user is not an employee of an organization with service applications",
        );
    };
    let scopes = {
        let y360 = lock(&state.y360);
        let registered = y360.applications.iter().find(|a| a.id == client.id);
        match registered {
            Some(app) if y360.activated => app.scopes.clone(),
            _ => {
                return oauth_error(
                    "unauthorized_client",
                    "The client is not a service application of the user's organization",
                )
            }
        }
    };
    let scopes = match narrowed(scopes, field(form, "scope")) {
        Ok(scopes) => scopes,
        Err(unknown) => return oauth_error("invalid_scope", &format!("Invalid scope: {unknown}")),
    };
    let token = issue_access_token(state, user.uid, client.id, &scopes, EXCHANGED_TOKEN_TTL_S);
    ok_json(json!({
        "access_token": token,
        "expires_in": EXCHANGED_TOKEN_TTL_S,
        "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
        "token_type": "bearer",
    }))
}
