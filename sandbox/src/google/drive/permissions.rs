//! permissions.create, list, get, update and delete (docs/protocols.md §4.6), with ownership
//! transfer inside the Workspace domain.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::listing::{decode_page_token, encode_page_token};
use super::metadata::{bool_field, string_field};
use super::model::{Drive, Permission, Role};
use super::render::permission_json;
use super::{body_metadata, caller_of, fields, find, no_content, ok, Need, Params, Result, DEFAULT_PERMISSION_FIELDS};
use crate::google::oauth::Caller;
use crate::google::{now_ms, person, ApiError, WORKSPACE_DOMAIN};
use crate::state::AppState;

// ---------------------------------------------------------------------------------------------
// permissions

pub(super) fn can_share(drive: &Drive, id: &str, role: Role) -> bool {
    role == Role::Owner || (role == Role::Writer && drive.files[id].writers_can_share)
}

pub(super) fn permission_not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "notFound",
        format!("Permission not found: {id}."),
    )
    .at("permissionId", "parameter")
}

pub(super) async fn create(
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response> {
    let params = Params::new(query);
    let caller = caller_of(&state, &headers, &params, Need::Write)?;
    let selection = params.select(DEFAULT_PERMISSION_FIELDS, &fields::PERMISSION)?;
    let body = body_metadata(&body)?;
    let role_text = string_field(&body, "role")?.ok_or_else(|| {
        ApiError::bad_request("required", "The permission role field is required.").at("permission.role", "parameter")
    })?;
    let kind = string_field(&body, "type")?.ok_or_else(|| {
        ApiError::bad_request("required", "The permission type field is required.").at("permission.type", "parameter")
    })?;
    let role = Role::parse(role_text).ok_or_else(|| {
        ApiError::bad_request("invalid", "The provided role is not valid.").at("permission.role", "parameter")
    })?;
    let email = string_field(&body, "emailAddress")?.map(|e| e.to_ascii_lowercase());
    let domain = string_field(&body, "domain")?.map(String::from);
    let (permission_id, email, domain) = match kind {
        "user" | "group" => {
            let email = email.ok_or_else(|| {
                ApiError::bad_request("required", "The permission emailAddress field is required.")
                    .at("permission.emailAddress", "parameter")
            })?;
            (person(&email).permission_id, Some(email), None)
        }
        "domain" => {
            let domain = domain.ok_or_else(|| {
                ApiError::bad_request("required", "The permission domain field is required.")
                    .at("permission.domain", "parameter")
            })?;
            (
                format!("{}k", &person(&format!("domain@{domain}")).permission_id[..20]),
                None,
                Some(domain),
            )
        }
        "anyone" => ("anyoneWithLink".to_string(), None, None),
        _ => {
            return Err(
                ApiError::bad_request("invalid", "The provided permission type is not valid.")
                    .at("permission.type", "parameter"),
            )
        }
    };
    let now = now_ms(&state);
    let mut data = state.google.data();
    let (id, caller_role) = find(&mut data.drive, &id, &caller, now)?;
    if !can_share(&data.drive, &id, caller_role) {
        return Err(ApiError::insufficient_file_permissions());
    }
    if role == Role::Owner {
        transfer_ownership(
            &mut data.drive,
            &id,
            &caller,
            caller_role,
            kind,
            email.as_deref(),
            &params,
        )?;
        // The new owner's permission comes first in the file's list.
        let value = data.drive.permissions_json(&data.drive.files[&id])[0].clone();
        return Ok(ok(fields::apply(value, &selection)));
    }
    let file = data
        .drive
        .files
        .get_mut(&id)
        .ok_or_else(|| ApiError::file_not_found(&id))?;
    let permission = Permission {
        id: permission_id.clone(),
        kind: kind.to_string(),
        role,
        email,
        domain,
        allow_file_discovery: bool_field(&body, "allowFileDiscovery")?.unwrap_or(false),
        expiration: string_field(&body, "expirationTime")?.map(String::from),
    };
    // Sharing again with the same grantee changes the existing permission.
    file.permissions.retain(|p| p.id != permission_id);
    file.permissions.push(permission.clone());
    file.version += 1;
    Ok(ok(fields::apply(permission_json(&permission), &selection)))
}

/// `role=owner` needs `transferOwnership=true`; consumer accounts must consent, so only a
/// transfer between users of the sandbox's Workspace domain happens at once.
pub(super) fn transfer_ownership(
    drive: &mut Drive,
    id: &str,
    caller: &Caller,
    caller_role: Role,
    kind: &str,
    email: Option<&str>,
    params: &Params,
) -> Result<()> {
    if !params.flag("transferOwnership") {
        return Err(ApiError::forbidden(
            "forbidden",
            "The transferOwnership parameter must be enabled when the permission role is 'owner'.",
        )
        .at("transferOwnership", "parameter"));
    }
    let (Some(email), "user", Role::Owner) = (email, kind, caller_role) else {
        return Err(ApiError::insufficient_file_permissions());
    };
    let workspace = |e: &str| e.ends_with(&format!("@{WORKSPACE_DOMAIN}"));
    if !workspace(email) || !workspace(&caller.email) {
        return Err(ApiError::forbidden(
            "consentRequiredForOwnershipTransfer",
            "Consent is required to transfer ownership of a file to another user.",
        ));
    }
    let file = drive.files.get_mut(id).ok_or_else(|| ApiError::file_not_found(id))?;
    let previous = std::mem::replace(&mut file.owner, email.to_string());
    file.permissions.retain(|p| p.email.as_deref() != Some(email));
    file.permissions.push(Permission {
        id: person(&previous).permission_id,
        kind: "user".into(),
        role: Role::Writer,
        email: Some(previous),
        domain: None,
        allow_file_discovery: false,
        expiration: None,
    });
    file.version += 1;
    Ok(())
}

pub(super) async fn list(
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let params = Params::new(query);
    let caller = caller_of(&state, &headers, &params, Need::Metadata)?;
    let selection = params.select(
        "kind,nextPageToken,permissions(kind,id,type,role,allowFileDiscovery)",
        &fields::PERMISSION_LIST,
    )?;
    let page_size = params
        .get("pageSize")
        .map(|_| params.int("pageSize", 100, 1..=100))
        .transpose()?;
    let now = now_ms(&state);
    let mut data = state.google.data();
    let (id, role) = find(&mut data.drive, &id, &caller, now)?;
    if !can_share(&data.drive, &id, role) {
        return Err(ApiError::insufficient_file_permissions());
    }
    let all = data.drive.permissions_json(&data.drive.files[&id]);
    let all = all.as_array().cloned().unwrap_or_default();
    let fingerprint = format!("permissions-{id}");
    let offset = match params.get("pageToken") {
        None => 0,
        Some(token) => {
            decode_page_token(token, &fingerprint).ok_or_else(|| ApiError::invalid_parameter("pageToken"))?
        }
    };
    let size = page_size.map_or(all.len(), |n| n as usize);
    let page: Vec<Value> = all.iter().skip(offset).take(size).cloned().collect();
    let mut list = json!({"kind": "drive#permissionList", "permissions": page});
    if offset + size < all.len() {
        list["nextPageToken"] = json!(encode_page_token(offset + size, &fingerprint));
    }
    Ok(ok(fields::apply(list, &selection)))
}

pub(super) async fn get(
    AxumState(state): AxumState<AppState>,
    Path((id, permission_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let params = Params::new(query);
    let caller = caller_of(&state, &headers, &params, Need::Metadata)?;
    let selection = params.select(DEFAULT_PERMISSION_FIELDS, &fields::PERMISSION)?;
    let now = now_ms(&state);
    let mut data = state.google.data();
    let (id, _) = find(&mut data.drive, &id, &caller, now)?;
    let all = data.drive.permissions_json(&data.drive.files[&id]);
    let found = all
        .as_array()
        .and_then(|list| list.iter().find(|p| p["id"] == json!(permission_id)).cloned());
    let permission = found.ok_or_else(|| permission_not_found(&permission_id))?;
    Ok(ok(fields::apply(permission, &selection)))
}

pub(super) async fn update(
    AxumState(state): AxumState<AppState>,
    Path((id, permission_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response> {
    let params = Params::new(query);
    let caller = caller_of(&state, &headers, &params, Need::Write)?;
    let selection = params.select(DEFAULT_PERMISSION_FIELDS, &fields::PERMISSION)?;
    let body = body_metadata(&body)?;
    let now = now_ms(&state);
    let mut data = state.google.data();
    let (id, role) = find(&mut data.drive, &id, &caller, now)?;
    if !can_share(&data.drive, &id, role) {
        return Err(ApiError::insufficient_file_permissions());
    }
    let file = data
        .drive
        .files
        .get_mut(&id)
        .ok_or_else(|| ApiError::file_not_found(&id))?;
    let Some(permission) = file.permissions.iter_mut().find(|p| p.id == permission_id) else {
        if person(&file.owner).permission_id == permission_id {
            return Err(ApiError::forbidden(
                "cannotModifyOwnerPermission",
                "The owner's permission cannot be changed this way.",
            ));
        }
        return Err(permission_not_found(&permission_id));
    };
    if let Some(role_text) = string_field(&body, "role")? {
        permission.role = Role::parse(role_text).filter(|r| *r != Role::Owner).ok_or_else(|| {
            ApiError::bad_request("invalid", "The provided role is not valid.").at("permission.role", "parameter")
        })?;
    }
    if let Some(expiration) = string_field(&body, "expirationTime")? {
        permission.expiration = Some(expiration.to_string());
    }
    if params.flag("removeExpiration") {
        permission.expiration = None;
    }
    let value = permission_json(permission);
    file.version += 1;
    Ok(ok(fields::apply(value, &selection)))
}

pub(super) async fn delete(
    AxumState(state): AxumState<AppState>,
    Path((id, permission_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let params = Params::new(query);
    let caller = caller_of(&state, &headers, &params, Need::Write)?;
    let now = now_ms(&state);
    let mut data = state.google.data();
    let (id, role) = find(&mut data.drive, &id, &caller, now)?;
    if !can_share(&data.drive, &id, role) {
        return Err(ApiError::insufficient_file_permissions());
    }
    let file = data
        .drive
        .files
        .get_mut(&id)
        .ok_or_else(|| ApiError::file_not_found(&id))?;
    if person(&file.owner).permission_id == permission_id {
        // [unverified] reason and message of Google's refusal to remove the owner.
        return Err(ApiError::forbidden(
            "cannotRemoveOwner",
            "The owner of a file cannot be removed.",
        ));
    }
    let before = file.permissions.len();
    file.permissions.retain(|p| p.id != permission_id);
    if file.permissions.len() == before {
        return Err(permission_not_found(&permission_id));
    }
    file.version += 1;
    Ok(no_content())
}
