//! How Drive's data is rendered as Drive v3 resources: File, Permission, Comment, User, with the
//! capabilities of the caller's role; times in Drive's RFC 3339 form.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::model::{export_formats, Comment, Drive, File, Permission, Role, GOOGLE_APPS};
use crate::google::oauth::Caller;
use crate::google::person;
use crate::util::{encode, utc_time};

impl Drive {
    /// The full File resource as `caller` sees it; `fields` selects from it.
    pub fn resource(&self, file: &File, caller: &Caller, role: Role, base: &str) -> Value {
        let mut value = json!({
            "kind": "drive#file",
            "id": file.id,
            "name": file.name,
            "mimeType": file.mime_type,
            "starred": file.starred,
            "trashed": file.trashed,
            "explicitlyTrashed": file.explicitly_trashed,
            "spaces": ["drive"],
            "version": file.version.to_string(),
            "webViewLink": web_view_link(file),
            "iconLink": format!("https://drive-thirdparty.googleusercontent.com/16/type/{}", file.mime_type),
            "hasThumbnail": false,
            "thumbnailVersion": "0",
            "viewedByMe": true,
            "viewedByMeTime": rfc3339(file.modified_ms),
            "createdTime": rfc3339(file.created_ms),
            "modifiedTime": rfc3339(file.modified_ms),
            "modifiedByMe": file.last_modifying == caller.email,
            "lastModifyingUser": user_json(&file.last_modifying, &caller.email),
            "capabilities": capabilities(file, role),
            "viewersCanCopyContent": !file.copy_requires_writer_permission,
            "copyRequiresWriterPermission": file.copy_requires_writer_permission,
            "writersCanShare": file.writers_can_share,
            "isAppAuthorized": file.app_id == caller.client_id,
            "inheritedPermissionsDisabled": false,
            "linkShareMetadata": {"securityUpdateEligible": false, "securityUpdateEnabled": true},
            "quotaBytesUsed": "0",
        });
        self.add_ownership(&mut value, file, caller, role);
        add_optional(&mut value, file, &self.files);
        if file.is_binary() {
            add_content(&mut value, file);
        } else if let Some(formats) = export_formats(&file.mime_type) {
            let link = |mime: &&str| {
                format!(
                    "{base}/google-apis/drive/v3/files/{}/export?mimeType={}",
                    file.id,
                    encode(mime)
                )
            };
            let links: BTreeMap<&str, String> = formats.iter().map(|mime| (*mime, link(mime))).collect();
            value["exportLinks"] = json!(links);
            value["size"] = json!(file.content.as_ref().map_or(0, |c| c.size).to_string());
        }
        value
    }

    /// Who the file belongs to and who may see it: a person in My Drive; on a shared drive,
    /// the drive (no `owners`), whose members hold its permissions.
    fn add_ownership(&self, value: &mut Value, file: &File, caller: &Caller, role: Role) {
        let can_share = role == Role::Owner || (role == Role::Writer && file.writers_can_share);
        let permissions = self.permissions_json(file);
        let ids: Vec<Value> = permissions
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| p["id"].clone())
            .collect();
        value["permissionIds"] = json!(ids);
        if can_share {
            value["permissions"] = permissions;
        }
        match &file.drive_id {
            Some(drive_id) => {
                value["driveId"] = json!(drive_id);
                value["teamDriveId"] = json!(drive_id);
                value["shared"] = json!(true);
                value["ownedByMe"] = json!(false);
            }
            None => {
                value["owners"] = json!([user_json(&file.owner, &caller.email)]);
                value["shared"] = json!(!file.permissions.is_empty());
                value["ownedByMe"] = json!(file.owner == caller.email);
            }
        }
    }

    /// The permissions of a file: its owner's first, or a shared drive's members'.
    pub fn permissions_json(&self, file: &File) -> Value {
        if let Some(drive) = file.drive_id.as_ref().and_then(|id| self.shared_drives.get(id)) {
            let members = drive.members.iter().map(|(email, role)| member_json(email, role));
            return Value::Array(members.chain(file.permissions.iter().map(permission_json)).collect());
        }
        let owner = person(&file.owner);
        let mut list = vec![json!({
            "kind": "drive#permission",
            "id": owner.permission_id,
            "type": "user",
            "emailAddress": owner.email,
            "role": "owner",
            "displayName": owner.display_name,
            "photoLink": PHOTO_LINK,
            "deleted": false,
            "pendingOwner": false,
        })];
        list.extend(file.permissions.iter().map(permission_json));
        Value::Array(list)
    }
}

/// Fields present only when set: parents, description, properties, colour, shortcut target.
fn add_optional(value: &mut Value, file: &File, files: &BTreeMap<String, File>) {
    if !file.is_any_root() {
        value["parents"] = json!(file.parents);
    }
    if let Some(description) = &file.description {
        value["description"] = json!(description);
    }
    if !file.properties.is_empty() {
        value["properties"] = json!(file.properties);
    }
    if !file.app_properties.is_empty() {
        value["appProperties"] = json!(file.app_properties);
    }
    if let (true, Some(color)) = (file.is_folder(), &file.folder_color_rgb) {
        value["folderColorRgb"] = json!(color);
    }
    if let Some(target) = &file.shortcut_target {
        let target_mime = files.get(target).map(|t| t.mime_type.clone()).unwrap_or_default();
        value["shortcutDetails"] = json!({"targetId": target, "targetMimeType": target_mime});
    }
}

/// The fields of a file with bytes of its own: size, checksums, revision, extensions.
fn add_content(value: &mut Value, file: &File) {
    let content = file.content.as_ref();
    let size = content.map_or(0, |c| c.size);
    value["webContentLink"] = json!(format!("https://drive.google.com/uc?id={}&export=download", file.id));
    value["size"] = json!(size.to_string());
    value["quotaBytesUsed"] = json!(size.to_string());
    value["md5Checksum"] = json!(content.map_or_else(|| EMPTY_MD5.to_string(), |c| c.md5.clone()));
    value["sha256Checksum"] = json!(content.map_or_else(|| EMPTY_SHA256.to_string(), |c| c.sha256.clone()));
    value["headRevisionId"] = json!(content.map_or_else(|| format!("0B{}", &file.id[1..]), |c| c.revision.clone()));
    value["originalFilename"] = json!(file.original_filename.clone().unwrap_or_else(|| file.name.clone()));
    if let Some((full, last)) = extensions(&file.name) {
        value["fullFileExtension"] = json!(full);
        value["fileExtension"] = json!(last);
    }
}

/// A shared drive member's permission on the drive's files (`permissionDetails` not emulated).
fn member_json(email: &str, role: &str) -> Value {
    let who = person(email);
    json!({
        "kind": "drive#permission",
        "id": who.permission_id,
        "type": "user",
        "emailAddress": who.email,
        "role": role,
        "displayName": who.display_name,
        "photoLink": PHOTO_LINK,
        "deleted": false,
        "pendingOwner": false,
    })
}

/// MD5 and SHA-256 of no bytes, for a file created without content.
pub const EMPTY_MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";

pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

pub(super) const PHOTO_LINK: &str = "https://lh3.googleusercontent.com/a/default-user=s64";

pub fn permission_json(permission: &Permission) -> Value {
    let mut value = json!({
        "kind": "drive#permission",
        "id": permission.id,
        "type": permission.kind,
        "role": permission.role.name(),
        "deleted": false,
        "pendingOwner": false,
    });
    if let Some(email) = &permission.email {
        let who = person(email);
        value["emailAddress"] = json!(who.email);
        value["displayName"] = json!(who.display_name);
        value["photoLink"] = json!(PHOTO_LINK);
    }
    if let Some(domain) = &permission.domain {
        value["domain"] = json!(domain);
        value["displayName"] = json!(domain);
    }
    if matches!(permission.kind.as_str(), "anyone" | "domain") {
        value["allowFileDiscovery"] = json!(permission.allow_file_discovery);
    }
    if let Some(expiration) = &permission.expiration {
        value["expirationTime"] = json!(expiration);
    }
    value
}

/// A `drive#user` as seen by `viewer` (`me` is relative to the caller).
pub fn user_json(email: &str, viewer: &str) -> Value {
    let who = person(email);
    json!({
        "kind": "drive#user",
        "displayName": who.display_name,
        "photoLink": PHOTO_LINK,
        "me": who.email == viewer,
        "permissionId": who.permission_id,
        "emailAddress": who.email,
    })
}

pub fn comment_json(comment: &Comment, viewer: &str) -> Value {
    let who = person(&comment.author);
    // The author's e-mail is never populated (docs/protocols.md §4.7).
    let mut value = json!({
        "kind": "drive#comment",
        "id": comment.id,
        "createdTime": rfc3339(comment.created_ms),
        "modifiedTime": rfc3339(comment.modified_ms),
        "author": {"kind": "drive#user", "displayName": who.display_name, "photoLink": PHOTO_LINK, "me": who.email == viewer},
        "deleted": comment.deleted,
        "resolved": comment.resolved,
        "replies": [],
    });
    if !comment.deleted {
        value["content"] = json!(comment.content);
        value["htmlContent"] = json!(crate::util::html_escape(&comment.content).replace('\n', "<br>"));
    }
    if let Some(anchor) = &comment.anchor {
        value["anchor"] = json!(anchor);
    }
    if let Some(quoted) = &comment.quoted {
        value["quotedFileContent"] = quoted.clone();
    }
    value
}

pub(super) fn web_view_link(file: &File) -> String {
    match file.mime_type.strip_prefix(GOOGLE_APPS) {
        Some("folder") => format!("https://drive.google.com/drive/folders/{}", file.id),
        Some("document") => format!("https://docs.google.com/document/d/{}/edit?usp=drivesdk", file.id),
        Some("spreadsheet") => format!("https://docs.google.com/spreadsheets/d/{}/edit?usp=drivesdk", file.id),
        Some("presentation") => format!("https://docs.google.com/presentation/d/{}/edit?usp=drivesdk", file.id),
        _ => format!("https://drive.google.com/file/d/{}/view?usp=drivesdk", file.id),
    }
}

pub(super) fn capabilities(file: &File, role: Role) -> Value {
    let owner = role == Role::Owner;
    let writer = role >= Role::Writer;
    let folder = file.is_folder();
    let can_read = writer || !file.copy_requires_writer_permission;
    json!({
        "canAcceptOwnership": false,
        "canAddChildren": folder && writer,
        "canAddMyDriveParent": false,
        "canChangeCopyRequiresWriterPermission": writer,
        "canChangeViewersCanCopyContent": writer,
        "canComment": role >= Role::Commenter,
        "canCopy": !folder && can_read,
        "canDelete": owner && !file.is_any_root(),
        "canDownload": can_read,
        "canEdit": writer,
        "canListChildren": folder,
        "canModifyContent": writer,
        "canMoveItemWithinDrive": owner,
        "canReadRevisions": writer,
        "canRemoveChildren": folder && writer,
        "canRemoveMyDriveParent": owner,
        "canRename": writer,
        "canShare": owner || (writer && file.writers_can_share),
        "canTrash": owner && !file.is_any_root(),
        "canUntrash": owner && !file.is_any_root(),
    })
}

/// `fullFileExtension` and `fileExtension` of a name (`a.tar.gz` → `tar.gz`, `gz`).
pub(super) fn extensions(name: &str) -> Option<(String, String)> {
    let (_, rest) = name.split_once('.')?;
    let last = name.rsplit('.').next()?;
    let well_formed = |s: &str| !s.is_empty() && s.len() <= 10 && s.chars().all(|c| c.is_ascii_alphanumeric());
    if !well_formed(last) {
        return None;
    }
    let full = if rest.split('.').all(well_formed) { rest } else { last };
    Some((full.to_string(), last.to_string()))
}

/// RFC 3339 UTC with milliseconds, as Drive writes times: `2025-01-09T19:05:16.432Z`.
pub fn rfc3339(ms: i64) -> String {
    format!("{}.{:03}Z", utc_time(ms.div_euclid(1000)), ms.rem_euclid(1000))
}

/// Milliseconds of an RFC 3339 time (`2024-01-01T00:00:00`, optional fraction and zone; UTC
/// when no zone is given, as Drive's `q` documents) or of a bare date.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let (date, time) = text.split_once(['T', 't']).unwrap_or((text, "00:00:00Z"));
    let mut date_parts = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, mo, d) = (date_parts.next()??, date_parts.next()??, date_parts.next()??);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || date.len() != 10 {
        return None;
    }
    let (clock, offset_s) = match time.find(['Z', 'z', '+', '-']) {
        Some(i) if time[i..].eq_ignore_ascii_case("z") => (&time[..i], 0),
        Some(i) => {
            let sign = if time.as_bytes()[i] == b'-' { -1 } else { 1 };
            let (h, m) = time[i + 1..].split_once(':')?;
            (
                &time[..i],
                sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60),
            )
        }
        None => (time, 0),
    };
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut hms_parts = hms.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (h, mi, s) = (hms_parts.next()??, hms_parts.next()??, hms_parts.next()??);
    if h > 23 || mi > 59 || s > 60 || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let millis = format!("{fraction:0<3}")[..3].parse::<i64>().ok()?;
    let days = days_from_civil(y, mo, d);
    Some(((days * 86_400 + h * 3600 + mi * 60 + s) - offset_s) * 1000 + millis)
}

/// Days since 1970-01-01 of a date (Howard Hinnant's algorithm, the inverse of civil_from_days).
pub(super) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        let ms = 1_736_449_516_432;
        assert_eq!(rfc3339(ms), "2025-01-09T19:05:16.432Z");
        assert_eq!(parse_rfc3339("2025-01-09T19:05:16.432Z"), Some(ms));
        assert_eq!(parse_rfc3339("2025-01-09T21:05:16.432+02:00"), Some(ms));
        assert_eq!(parse_rfc3339("2024-01-01T00:00:00"), Some(1_704_067_200_000));
        assert_eq!(parse_rfc3339("2024-01-01"), Some(1_704_067_200_000));
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn extensions_of_names() {
        assert_eq!(extensions("a.tar.gz"), Some(("tar.gz".into(), "gz".into())));
        assert_eq!(extensions("photo.JPG"), Some(("JPG".into(), "JPG".into())));
        assert_eq!(extensions("README"), None);
    }
}
