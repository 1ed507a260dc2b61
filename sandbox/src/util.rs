//! Small helpers shared by the emulated services.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;

/// `n` random bytes from the operating system.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("the operating system has no random source");
    bytes
}

/// Lowercase hex of `n` random bytes.
pub fn random_hex(n: usize) -> String {
    hex(&random_bytes(n))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random string of `len` characters drawn from `alphabet`.
pub fn random_from(alphabet: &[u8], len: usize) -> String {
    random_bytes(len)
        .iter()
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect()
}

/// URL-safe base64 without padding of `n` random bytes (token bodies).
pub fn random_token(n: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(n))
}

/// The base URL the client used to reach the sandbox (`http://host:port`, `https://` over
/// TLS), from `Host` and the `X-Forwarded-Proto` the server sets on every request.
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let scheme = match headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

/// A JSON response with an exact status and `Content-Type`.
pub fn json_response(status: StatusCode, content_type: &'static str, body: &serde_json::Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// An HTML page (the pages a person sees in a browser: device verification, consent, codes).
pub fn html_page(status: StatusCode, title: &str, body_html: &str) -> Response {
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body><h1>{}</h1>{body_html}</body></html>",
        html_escape(title),
        html_escape(title)
    );
    let mut response = (status, page).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A 302 redirect to `location`.
pub fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Client credentials from `Authorization: Basic base64(id:secret)`, if that header is present.
/// `Err` means the header is present but malformed (the caller answers with its own error).
pub fn basic_auth(headers: &HeaderMap) -> Option<Result<(String, String), &'static str>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return Some(Err("Basic auth required"));
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    match decoded.as_deref().and_then(|text| text.split_once(':')) {
        Some((id, secret)) => Some(Ok((url_decode(id), url_decode(secret)))),
        None => Some(Err("Malformed Authorization header")),
    }
}

/// The token of `Authorization: <scheme> <token>` for any of `schemes` (case-insensitive).
pub fn bearer_token<'a>(headers: &'a HeaderMap, schemes: &[&str]) -> Option<&'a str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    schemes
        .iter()
        .any(|s| s.eq_ignore_ascii_case(scheme))
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Decodes `%XX` and `+` of a form value.
pub fn url_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Parses an `application/x-www-form-urlencoded` body into ordered pairs.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// The first value of `key` among form or query pairs.
pub fn field<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Percent-encodes a query value.
pub fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// RFC 3339 / ISO 8601 UTC time of Unix seconds, with `+00:00` as Yandex writes it.
pub fn iso8601(unix: i64) -> String {
    format!("{}+00:00", utc_time(unix))
}

/// `YYYY-MM-DDTHH:MM:SS` of Unix seconds, in UTC.
pub fn utc_time(unix: i64) -> String {
    let (date, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(date);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Days since 1970-01-01 to a (year, month, day) date (Howard Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// One object or an array of them, each read as a `T` and checked by `validate`; all or none.
pub fn one_or_many<T: serde::de::DeserializeOwned>(
    body: serde_json::Value,
    validate: impl Fn(&T) -> Result<(), String>,
) -> Result<Vec<T>, String> {
    let items = match body {
        serde_json::Value::Array(items) => items,
        other => vec![other],
    };
    items
        .into_iter()
        .map(|item| {
            let parsed: T = serde_json::from_value(item).map_err(|err| err.to_string())?;
            validate(&parsed)?;
            Ok(parsed)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_formats_known_instants() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00+00:00");
        assert_eq!(iso8601(1_720_300_004), "2024-07-06T21:06:44+00:00");
    }

    #[test]
    fn url_decode_handles_plus_and_percent() {
        assert_eq!(url_decode("a+b%3Ac"), "a b:c");
    }
}
