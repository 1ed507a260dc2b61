//! Yandex Calendar over CalDAV (docs/protocols-mail.md §4): caldav.yandex.ru's URL layout on a
//! port of its own, `Authorization: OAuth <token>` or Basic with the address and the token
//! (401 with `WWW-Authenticate: Basic` first, as python caldav needs), `calendar:all` required,
//! PROPFIND/REPORT/GET/PUT/DELETE/MKCALENDAR/PROPPATCH/OPTIONS, and Telemost links for events
//! that ask for them. Requests go through the sandbox's request log and fault injection.

mod dav;
mod ical;
mod invites;
mod paths;
mod reads;
pub mod store;
mod writes;
mod xml;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine;

use crate::accounts::{self, YandexUser};
use crate::state::{AppState, Shared};
use crate::yandex_oauth::owner_of_token;
use paths::{Paths, Target};

pub use store::Store;

pub const SCOPE_CALENDAR: &str = "calendar:all";
/// [unverified] the realm of Yandex's 401 (docs/protocols-mail.md §4.1).
const REALM: &str = "Basic realm=\"Yandex.Calendar\"";

/// The CalDAV server's routes (every path; the method decides).
pub fn router(state: AppState) -> Router {
    Router::new().fallback(handle).with_state(state)
}

/// The user a request acts for.
pub struct Caller {
    pub user: &'static YandexUser,
    pub paths: Paths,
}

fn xml_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    response
}

/// A status with a `<D:error>` naming the failed precondition.
fn precondition(status: StatusCode, ns: &str, name: &str) -> Response {
    xml_response(status, xml::error_body(ns, name))
}

fn unauthorized() -> Response {
    let mut response = (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(REALM));
    response
}

/// A request without valid credentials (401, with the challenge) or without `calendar:all`
/// (403, [unverified] the status).
enum Refused {
    Unauthorized,
    Forbidden,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Unauthorized => unauthorized(),
            Refused::Forbidden => (StatusCode::FORBIDDEN, "Forbidden").into_response(),
        }
    }
}

/// `OAuth <token>` (`Bearer` too, [unverified]) or `Basic base64(address:token)`.
fn authenticate(state: &Shared, headers: &HeaderMap) -> Result<Caller, Refused> {
    let unauthorized = || Refused::Unauthorized;
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unauthorized)?;
    let (scheme, credentials) = value.split_once(' ').ok_or_else(unauthorized)?;
    let (named, token) = if scheme.eq_ignore_ascii_case("Basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(credentials.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(unauthorized)?;
        let (user, token) = decoded.split_once(':').ok_or_else(unauthorized)?;
        (Some(user.to_string()), token.to_string())
    } else if scheme.eq_ignore_ascii_case("OAuth") || scheme.eq_ignore_ascii_case("Bearer") {
        (None, credentials.trim().to_string())
    } else {
        return Err(unauthorized());
    };
    let owner = owner_of_token(state, &token).ok_or_else(unauthorized)?;
    let user = accounts::yandex_user(&owner.uid).ok_or_else(unauthorized)?;
    if named.is_some_and(|n| !n.eq_ignore_ascii_case(user.email) && !n.eq_ignore_ascii_case(user.login)) {
        return Err(unauthorized());
    }
    if !owner.scopes.iter().any(|s| s == SCOPE_CALENDAR) {
        return Err(Refused::Forbidden);
    }
    Ok(Caller {
        user,
        paths: Paths::new(user.email),
    })
}

/// The address a path names, if any: only the caller's own tree is served ([unverified] what
/// Yandex answers for someone else's, here 403).
fn path_owner(target: &Target) -> Option<&str> {
    match target {
        Target::Principal(email)
        | Target::Home(email)
        | Target::Inbox(email)
        | Target::Outbox(email)
        | Target::Calendar(email, _)
        | Target::Object(email, _, _) => Some(email),
        _ => None,
    }
}

/// `OPTIONS`: [unverified] Yandex's DAV header; the RFC's for a CalDAV server.
fn options() -> Response {
    let mut response = StatusCode::OK.into_response();
    let headers = response.headers_mut();
    headers.insert("DAV", HeaderValue::from_static("1, 3, calendar-access"));
    headers.insert(
        header::ALLOW,
        HeaderValue::from_static("OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, REPORT, MKCALENDAR"),
    );
    response
}

async fn handle(State(state): State<AppState>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let target = paths::target(uri.path());
    if method == Method::OPTIONS {
        return options();
    }
    if target == Target::WellKnown {
        // [unverified] Yandex's answer (RFC 6764 §5: a redirect to the context path).
        let mut response = StatusCode::MOVED_PERMANENTLY.into_response();
        response
            .headers_mut()
            .insert(header::LOCATION, HeaderValue::from_static("/"));
        return response;
    }
    let caller = match authenticate(&state, &headers) {
        Ok(caller) => caller,
        Err(refused) => return refused.into_response(),
    };
    if path_owner(&target).is_some_and(|email| !email.eq_ignore_ascii_case(caller.user.email)) {
        return precondition(StatusCode::FORBIDDEN, xml::DAV, "need-privileges");
    }
    if body.len() > xml::MAX_BODY {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    match method.as_str() {
        "PROPFIND" => reads::propfind(&state, &caller, &target, &headers, &body),
        "REPORT" => reads::report(&state, &caller, &target, &body),
        "GET" | "HEAD" => reads::get(&state, &caller, &target, method == Method::HEAD),
        "PUT" => writes::put(&state, &caller, &target, &headers, &body),
        "DELETE" => writes::delete(&state, &caller, &target, &headers),
        "MKCALENDAR" => writes::mkcalendar(&state, &caller, &target, &body),
        "PROPPATCH" => writes::proppatch(&state, &caller, &target, &body),
        _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}
