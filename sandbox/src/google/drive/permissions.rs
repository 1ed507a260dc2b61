//! permissions.create, list, get, update and delete (docs/protocols.md §4.6), with ownership
//! transfer inside the Workspace domain.

use std::sync::MutexGuard;

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::metadata::{bool_field, string_field};
use super::model::{Drive, Permission, Role};
use super::render::permission_json;
use super::{body_metadata, fields, no_content, ok, Need, Params, Request, Result, DEFAULT_PERMISSION_FIELDS};
use crate::google::oauth::Caller;
use crate::google::Data;
use crate::google::{person, ApiError, WORKSPACE_DOMAIN};

/// The file whose permissions the caller manages (its owner, or a writer where writers may
/// share), with the data locked.
fn sharing<'a>(req: &'a Request, caller: &Caller, id: &str) -> Result<(MutexGuard<'a, Data>, String)> {
    let (data, id, role) = req.open(caller, id)?;
    if !can_share(&data.drive, &id, role) {
        return Err(ApiError::insufficient_file_permissions());
    }
    Ok((data, id))
}

fn can_share(drive: &Drive, id: &str, role: Role) -> bool {
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

pub(super) async fn create(req: Request, Path(id): Path<String>, body: Bytes) -> Result<Response> {
    let caller = req.caller(Need::Write)?;
    let selection = req.params.select(DEFAULT_PERMISSION_FIELDS, &fields::PERMISSION)?;
    let body = body_metadata(&body)?;
    let (role, permission) = requested_permission(&body)?;
    let (mut data, id, caller_role) = req.open(&caller, &id)?;
    if !can_share(&data.drive, &id, caller_role) {
        return Err(ApiError::insufficient_file_permissions());
    }
    if role == Role::Owner {
        transfer_ownership(
            &mut data.drive,
            &id,
            &caller,
            caller_role,
            &permission.kind,
            permission.email.as_deref(),
            &req.params,
        )?;
        // The new owner's permission comes first in the file's list.
        let value = data.drive.permissions_json(&data.drive.files[&id])[0].clone();
        return Ok(ok(fields::apply(value, &selection)));
    }
    let file = data.drive.file_mut(&id)?;
    // Sharing again with the same grantee changes the existing permission.
    file.permissions.retain(|p| p.id != permission.id);
    file.permissions.push(permission.clone());
    file.version += 1;
    Ok(ok(fields::apply(permission_json(&permission), &selection)))
}

/// The role and grantee a permissions.create body asks for (the permission's id is derived
/// from the grantee, so sharing again with the same grantee changes the same permission).
fn requested_permission(body: &Value) -> Result<(Role, Permission)> {
    let required = |field: &str| {
        ApiError::bad_request("required", format!("The permission {field} field is required."))
            .at(&format!("permission.{field}"), "parameter")
    };
    let role_text = string_field(body, "role")?.ok_or_else(|| required("role"))?;
    let kind = string_field(body, "type")?.ok_or_else(|| required("type"))?;
    let role = Role::parse(role_text).ok_or_else(|| {
        ApiError::bad_request("invalid", "The provided role is not valid.").at("permission.role", "parameter")
    })?;
    let email = string_field(body, "emailAddress")?.map(|e| e.to_ascii_lowercase());
    let domain = string_field(body, "domain")?.map(String::from);
    let (id, email, domain) = match kind {
        "user" | "group" => {
            let email = email.ok_or_else(|| required("emailAddress"))?;
            (person(&email).permission_id, Some(email), None)
        }
        "domain" => {
            let domain = domain.ok_or_else(|| required("domain"))?;
            let id = format!("{}k", &person(&format!("domain@{domain}")).permission_id[..20]);
            (id, None, Some(domain))
        }
        "anyone" => ("anyoneWithLink".to_string(), None, None),
        _ => {
            return Err(
                ApiError::bad_request("invalid", "The provided permission type is not valid.")
                    .at("permission.type", "parameter"),
            )
        }
    };
    let permission = Permission {
        id,
        kind: kind.to_string(),
        role,
        email,
        domain,
        allow_file_discovery: bool_field(body, "allowFileDiscovery")?.unwrap_or(false),
        expiration: string_field(body, "expirationTime")?.map(String::from),
    };
    Ok((role, permission))
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
    let file = drive.file_mut(id)?;
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

pub(super) async fn list(req: Request, Path(id): Path<String>) -> Result<Response> {
    let caller = req.caller(Need::Metadata)?;
    let selection = req.params.select(
        "kind,nextPageToken,permissions(kind,id,type,role,allowFileDiscovery)",
        &fields::PERMISSION_LIST,
    )?;
    let (data, id, role) = req.open(&caller, &id)?;
    if !can_share(&data.drive, &id, role) {
        return Err(ApiError::insufficient_file_permissions());
    }
    // Without `pageSize`, the whole list (docs/protocols.md §4.6).
    let paging = req.paging(format!("permissions-{id}"), u64::MAX, 100)?;
    let all = data.drive.permissions_json(&data.drive.files[&id]);
    let all = all.as_array().cloned().unwrap_or_default();
    Ok(ok(fields::apply(
        paging.list("drive#permissionList", "permissions", &all),
        &selection,
    )))
}

pub(super) async fn get(req: Request, Path((id, permission_id)): Path<(String, String)>) -> Result<Response> {
    let caller = req.caller(Need::Metadata)?;
    let selection = req.params.select(DEFAULT_PERMISSION_FIELDS, &fields::PERMISSION)?;
    let (data, id, _) = req.open(&caller, &id)?;
    let all = data.drive.permissions_json(&data.drive.files[&id]);
    let found = all
        .as_array()
        .and_then(|list| list.iter().find(|p| p["id"] == json!(permission_id)).cloned());
    let permission = found.ok_or_else(|| permission_not_found(&permission_id))?;
    Ok(ok(fields::apply(permission, &selection)))
}

pub(super) async fn update(
    req: Request,
    Path((id, permission_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let caller = req.caller(Need::Write)?;
    let selection = req.params.select(DEFAULT_PERMISSION_FIELDS, &fields::PERMISSION)?;
    let body = body_metadata(&body)?;
    let (mut data, id) = sharing(&req, &caller, &id)?;
    let file = data.drive.file_mut(&id)?;
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
    if req.params.flag("removeExpiration") {
        permission.expiration = None;
    }
    let value = permission_json(permission);
    file.version += 1;
    Ok(ok(fields::apply(value, &selection)))
}

pub(super) async fn delete(req: Request, Path((id, permission_id)): Path<(String, String)>) -> Result<Response> {
    let caller = req.caller(Need::Write)?;
    let (mut data, id) = sharing(&req, &caller, &id)?;
    let file = data.drive.file_mut(&id)?;
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
