//! Partial responses (`fields`, docs/protocols.md §4.1): `a,b/c,d(e,f)`, `*` for everything.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::ApiError;

/// What to keep of a JSON value: everything, or some keys with their own selections.
#[derive(Clone, Debug, PartialEq)]
pub enum Selection {
    All,
    Keys(BTreeMap<String, Selection>),
}

/// The field names a resource has, to reject a selection of a field that does not exist the
/// way Google does; nested resources are checked with their own schema.
pub struct Schema {
    pub fields: &'static [&'static str],
    pub nested: &'static [(&'static str, &'static Schema)],
}

pub const FILE: Schema = Schema {
    fields: &[
        "appProperties",
        "capabilities",
        "contentHints",
        "contentRestrictions",
        "copyRequiresWriterPermission",
        "createdTime",
        "description",
        "downloadRestrictions",
        "driveId",
        "explicitlyTrashed",
        "exportLinks",
        "fileExtension",
        "folderColorRgb",
        "fullFileExtension",
        "hasAugmentedPermissions",
        "hasThumbnail",
        "headRevisionId",
        "iconLink",
        "id",
        "imageMediaMetadata",
        "inheritedPermissionsDisabled",
        "isAppAuthorized",
        "kind",
        "labelInfo",
        "lastModifyingUser",
        "linkShareMetadata",
        "md5Checksum",
        "mimeType",
        "modifiedByMe",
        "modifiedByMeTime",
        "modifiedTime",
        "name",
        "originalFilename",
        "ownedByMe",
        "owners",
        "parents",
        "permissionIds",
        "permissions",
        "properties",
        "quotaBytesUsed",
        "resourceKey",
        "sha1Checksum",
        "sha256Checksum",
        "shared",
        "sharedWithMeTime",
        "sharingUser",
        "shortcutDetails",
        "size",
        "spaces",
        "starred",
        "teamDriveId",
        "thumbnailLink",
        "thumbnailVersion",
        "trashed",
        "trashedTime",
        "trashingUser",
        "version",
        "videoMediaMetadata",
        "viewedByMe",
        "viewedByMeTime",
        "viewersCanCopyContent",
        "webContentLink",
        "webViewLink",
        "writersCanShare",
    ],
    nested: &[("permissions", &PERMISSION)],
};

pub const FILE_LIST: Schema = Schema {
    fields: &["files", "incompleteSearch", "kind", "nextPageToken"],
    nested: &[("files", &FILE)],
};

pub const PERMISSION: Schema = Schema {
    fields: &[
        "allowFileDiscovery",
        "deleted",
        "displayName",
        "domain",
        "emailAddress",
        "expirationTime",
        "id",
        "inheritedPermissionsDisabled",
        "kind",
        "pendingOwner",
        "permissionDetails",
        "photoLink",
        "role",
        "teamDrivePermissionDetails",
        "type",
        "view",
    ],
    nested: &[],
};

pub const PERMISSION_LIST: Schema = Schema {
    fields: &["kind", "nextPageToken", "permissions"],
    nested: &[("permissions", &PERMISSION)],
};

pub const COMMENT: Schema = Schema {
    fields: &[
        "anchor",
        "assigneeEmailAddress",
        "author",
        "content",
        "createdTime",
        "deleted",
        "htmlContent",
        "id",
        "kind",
        "mentionedEmailAddresses",
        "modifiedTime",
        "quotedFileContent",
        "replies",
        "resolved",
    ],
    nested: &[],
};

pub const COMMENT_LIST: Schema = Schema {
    fields: &["comments", "kind", "nextPageToken"],
    nested: &[("comments", &COMMENT)],
};

pub const DRIVE: Schema = Schema {
    fields: &[
        "backgroundImageFile",
        "backgroundImageLink",
        "capabilities",
        "colorRgb",
        "createdTime",
        "hidden",
        "id",
        "kind",
        "name",
        "orgUnitId",
        "restrictions",
        "themeId",
    ],
    nested: &[],
};

pub const DRIVE_LIST: Schema = Schema {
    fields: &["drives", "kind", "nextPageToken"],
    nested: &[("drives", &DRIVE)],
};

pub const ABOUT: Schema = Schema {
    fields: &[
        "appInstalled",
        "canCreateDrives",
        "canCreateTeamDrives",
        "driveThemes",
        "exportFormats",
        "folderColorPalette",
        "importFormats",
        "kind",
        "maxImportSizes",
        "maxUploadSize",
        "storageQuota",
        "teamDriveThemes",
        "user",
    ],
    nested: &[],
};

/// The selection of `fields`, or `default` when the request has none; 400 when it does not parse
/// or names a field the resource does not have.
pub fn select(fields: Option<&str>, default: &str, schema: &Schema) -> Result<Selection, ApiError> {
    let text = fields.unwrap_or(default);
    let invalid = |what: &str| {
        ApiError::bad_request("invalidParameter", format!("Invalid field selection {what}")).at("fields", "parameter")
    };
    let selection = parse(text).ok_or_else(|| invalid(text))?;
    if let Err(name) = validate(&selection, schema) {
        return Err(invalid(&name));
    }
    Ok(selection)
}

fn parse(text: &str) -> Option<Selection> {
    let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    let mut position = 0;
    let selection = parse_list(&chars, &mut position)?;
    (position == chars.len()).then_some(selection)
}

fn parse_list(chars: &[char], position: &mut usize) -> Option<Selection> {
    let mut keys = BTreeMap::new();
    loop {
        let mut path = Vec::new();
        loop {
            let start = *position;
            while *position < chars.len()
                && (chars[*position].is_ascii_alphanumeric() || "_*$.".contains(chars[*position]))
            {
                *position += 1;
            }
            if start == *position {
                return None;
            }
            path.push(chars[start..*position].iter().collect::<String>());
            if chars.get(*position) != Some(&'/') {
                break;
            }
            *position += 1;
        }
        let mut leaf = Selection::All;
        if chars.get(*position) == Some(&'(') {
            *position += 1;
            leaf = parse_list(chars, position)?;
            if chars.get(*position) != Some(&')') {
                return None;
            }
            *position += 1;
        }
        let nested = path.iter().skip(1).rev().fold(leaf, |inner, key| {
            Selection::Keys(BTreeMap::from([(key.clone(), inner)]))
        });
        merge(&mut keys, path[0].clone(), nested);
        match chars.get(*position) {
            Some(',') => *position += 1,
            _ => return Some(Selection::Keys(keys)),
        }
    }
}

fn merge(keys: &mut BTreeMap<String, Selection>, key: String, selection: Selection) {
    match (keys.get_mut(&key), selection) {
        (None, selection) => {
            keys.insert(key, selection);
        }
        (Some(Selection::Keys(existing)), Selection::Keys(more)) => {
            for (k, v) in more {
                merge(existing, k, v);
            }
        }
        (Some(existing), _) => *existing = Selection::All,
    }
}

fn validate(selection: &Selection, schema: &Schema) -> Result<(), String> {
    let Selection::Keys(keys) = selection else {
        return Ok(());
    };
    for (key, inner) in keys {
        if key != "*" && !schema.fields.contains(&key.as_str()) {
            return Err(key.clone());
        }
        if let Some((_, nested)) = schema.nested.iter().find(|(name, _)| name == key) {
            validate(inner, nested)?;
        }
    }
    Ok(())
}

/// Keeps what `selection` asks for; arrays apply it to each item.
pub fn apply(value: Value, selection: &Selection) -> Value {
    let Selection::Keys(keys) = selection else {
        return value;
    };
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(|item| apply(item, selection)).collect()),
        Value::Object(object) => {
            if keys.contains_key("*") {
                return Value::Object(object);
            }
            let mut kept = Map::new();
            for (key, value) in object {
                if let Some(inner) = keys.get(&key) {
                    kept.insert(key, apply(value, inner));
                }
            }
            Value::Object(kept)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parentheses_and_slashes_select_nested_fields() {
        let value = json!({"kind": "k", "nextPageToken": "t", "files": [{"id": "1", "name": "a", "size": "3"}],
                           "capabilities": {"canEdit": true, "canCopy": false}});
        let selection = parse("nextPageToken,files(id,name),capabilities/canEdit").unwrap();
        assert_eq!(
            apply(value, &selection),
            json!({"nextPageToken": "t", "files": [{"id": "1", "name": "a"}], "capabilities": {"canEdit": true}})
        );
    }

    #[test]
    fn malformed_and_unknown_selections_are_rejected() {
        assert!(parse("files(id").is_none());
        assert!(parse("a,,b").is_none());
        assert!(select(Some("files(id,bogus)"), "", &FILE_LIST).is_err());
        assert!(select(Some("*"), "", &FILE_LIST).is_ok());
        assert!(select(Some("files(*)"), "", &FILE_LIST).is_ok());
    }
}
