//! The directory: organizations and their employees, every page.

use std::collections::HashSet;

use serde_json::{json, Value};

use super::api::{api_url, endless_listing, items, org_id, send, MAX_PAGES};
use super::profile::PROFILE;
use crate::error::Result;
use crate::schema::Call;
use crate::transport::Request;

/// The largest page the directory is asked for ([unverified] the service's limit; third-party
/// clients use 100 for both lists).
const PAGE_SIZE: &str = "100";

/// `GET /directory/v1/org`, following `nextPageToken` until it is empty.
pub(super) async fn get_organizations(call: Call) -> Result<Value> {
    let mut organizations = Vec::new();
    let mut page_token = String::new();
    for _ in 0..MAX_PAGES {
        let mut request = Request::get(&PROFILE, api_url(&call, "/directory/v1/org")?).query("pageSize", PAGE_SIZE);
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
pub(super) async fn get_users(call: Call) -> Result<Value> {
    let url = api_url(&call, &format!("/directory/v1/org/{}/users", org_id(&call)?))?;
    let mut users: Vec<Value> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for page_number in 1..=MAX_PAGES {
        let request = Request::get(&PROFILE, url.clone())
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
