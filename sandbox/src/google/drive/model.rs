//! Drive's data: files with their owners, permissions and comments, shared drives and their
//! members, and who may do what with them (GD-DISC `File`, `Permission`, `Comment`, `Drive`).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::resumable::Session;
use crate::util::random_from;

pub const FOLDER: &str = "application/vnd.google-apps.folder";

pub const SHORTCUT: &str = "application/vnd.google-apps.shortcut";

pub(super) const GOOGLE_APPS: &str = "application/vnd.google-apps.";

pub(super) const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The shared drive every sandbox starts with: the service account is a content manager
/// (`fileOrganizer`) of it, so it can store files although it has no storage of its own.
pub const SEEDED_DRIVE_ID: &str = "0AGx5nBkUpsSbxdUk9PVA";
const SEEDED_DRIVE_NAME: &str = "Sandbox Backups";
/// The seeded drive's organizer: a user of the sandbox's Workspace domain.
const SEEDED_DRIVE_ORGANIZER: &str = "admin@sandbox-workspace.example";

#[derive(Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Drive {
    pub files: BTreeMap<String, File>,
    /// Each person's My Drive root folder id, made on first use.
    pub roots: BTreeMap<String, String>,
    /// Ids handed out by `files.generateIds` and not used yet.
    pub generated_ids: BTreeSet<String>,
    pub sessions: BTreeMap<String, Session>,
    /// Shared drives by id; each one's root folder is a file with the same id.
    pub shared_drives: BTreeMap<String, SharedDrive>,
}

impl Default for Drive {
    fn default() -> Drive {
        let mut drive = Drive {
            files: BTreeMap::new(),
            roots: BTreeMap::new(),
            generated_ids: BTreeSet::new(),
            sessions: BTreeMap::new(),
            shared_drives: BTreeMap::new(),
        };
        drive.seed();
        drive
    }
}

/// A shared drive: files there belong to the drive, not to a person, and its members' roles
/// say what they may do with all of them.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct SharedDrive {
    pub id: String,
    pub name: String,
    pub created_ms: i64,
    /// E-mail address → `organizer`, `fileOrganizer`, `writer`, `commenter` or `reader`.
    pub members: BTreeMap<String, String>,
}

impl SharedDrive {
    /// What a member may do with the drive's files: organizers and content managers
    /// (`fileOrganizer`) act as owners do in My Drive (trash, delete), the others by their role.
    pub fn role_of(&self, email: &str) -> Option<Role> {
        member_role(self.members.get(email)?)
    }
}

/// The file role of a shared-drive membership role; None for an unknown one.
pub fn member_role(role: &str) -> Option<Role> {
    match role {
        "organizer" | "fileOrganizer" => Some(Role::Owner),
        "writer" => Some(Role::Writer),
        "commenter" => Some(Role::Commenter),
        "reader" => Some(Role::Reader),
        _ => None,
    }
}

#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct File {
    pub id: String,
    pub name: String,
    pub mime_type: String,
    pub parents: Vec<String>,
    pub owner: String,
    /// The OAuth client that created it: what `drive.file` tokens of that client may see.
    pub app_id: String,
    pub created_ms: i64,
    pub modified_ms: i64,
    pub last_modifying: String,
    pub trashed: bool,
    pub explicitly_trashed: bool,
    pub starred: bool,
    pub description: Option<String>,
    pub properties: BTreeMap<String, String>,
    pub app_properties: BTreeMap<String, String>,
    /// Bytes of a binary file, or the imported text of a Docs Editors file.
    pub content: Option<Content>,
    pub original_filename: Option<String>,
    pub version: u64,
    pub writers_can_share: bool,
    pub copy_requires_writer_permission: bool,
    pub folder_color_rgb: Option<String>,
    pub shortcut_target: Option<String>,
    /// Everyone's access but the owner's, whose permission is implied.
    pub permissions: Vec<Permission>,
    pub comments: Vec<Comment>,
    pub is_root: bool,
    /// The shared drive the file is on (None: someone's My Drive). Such a file's `owner` is
    /// the drive's id: it belongs to no person.
    #[serde(default)]
    pub drive_id: Option<String>,
}

#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Content {
    pub blob: String,
    pub size: u64,
    pub md5: String,
    pub sha256: String,
    pub revision: String,
    /// Flagged as malware (content starting with the EICAR test string), so downloading needs
    /// `acknowledgeAbuse=true` from the owner.
    pub abusive: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Role {
    Reader,
    Commenter,
    Writer,
    Owner,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "reader" => Some(Role::Reader),
            "commenter" => Some(Role::Commenter),
            "writer" => Some(Role::Writer),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Commenter => "commenter",
            Role::Writer => "writer",
            Role::Owner => "owner",
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Permission {
    pub id: String,
    /// `user`, `group`, `domain` or `anyone`.
    pub kind: String,
    pub role: Role,
    pub email: Option<String>,
    pub domain: Option<String>,
    pub allow_file_discovery: bool,
    pub expiration: Option<String>,
}

#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Comment {
    pub id: String,
    pub author: String,
    pub content: String,
    pub created_ms: i64,
    pub modified_ms: i64,
    pub deleted: bool,
    pub resolved: bool,
    pub anchor: Option<String>,
    pub quoted: Option<Value>,
}

pub fn is_google_type(mime: &str) -> bool {
    mime.starts_with(GOOGLE_APPS)
}

/// A Drive file id: 33 characters, like `1oUM…` ids of real files.
pub fn new_file_id() -> String {
    format!("1{}", random_from(ID_ALPHABET, 32))
}

impl File {
    pub fn new(id: String, name: String, mime_type: String, owner: &str, app_id: &str, now_ms: i64) -> File {
        File {
            id,
            name,
            mime_type,
            parents: Vec::new(),
            owner: owner.to_string(),
            app_id: app_id.to_string(),
            created_ms: now_ms,
            modified_ms: now_ms,
            last_modifying: owner.to_string(),
            trashed: false,
            explicitly_trashed: false,
            starred: false,
            description: None,
            properties: BTreeMap::new(),
            app_properties: BTreeMap::new(),
            content: None,
            original_filename: None,
            version: 1,
            writers_can_share: true,
            copy_requires_writer_permission: false,
            folder_color_rgb: None,
            shortcut_target: None,
            permissions: Vec::new(),
            comments: Vec::new(),
            is_root: false,
            drive_id: None,
        }
    }

    /// A My Drive or a shared drive's root folder: no parents, not deleted or renamed as files.
    pub fn is_any_root(&self) -> bool {
        self.is_root || self.is_drive_root()
    }

    /// The root folder of a shared drive (its id is the drive's).
    pub fn is_drive_root(&self) -> bool {
        self.drive_id.as_deref() == Some(self.id.as_str())
    }

    pub fn is_folder(&self) -> bool {
        self.mime_type == FOLDER
    }

    /// Has bytes of its own that `alt=media` returns (not a folder, shortcut or Docs file).
    pub fn is_binary(&self) -> bool {
        !is_google_type(&self.mime_type)
    }

    pub fn touch(&mut self, email: &str, now_ms: i64) {
        self.modified_ms = now_ms;
        self.last_modifying = email.to_string();
        self.version += 1;
    }
}

impl Drive {
    /// The id of `email`'s My Drive root folder.
    pub fn root_id(&mut self, email: &str, now_ms: i64) -> String {
        if let Some(id) = self.roots.get(email) {
            return id.clone();
        }
        let id = format!("0A{}Uk9PVA", random_from(&ID_ALPHABET[..62], 11));
        let mut root = File::new(id.clone(), "My Drive".into(), FOLDER.into(), email, "", now_ms);
        root.is_root = true;
        self.files.insert(id.clone(), root);
        self.roots.insert(email.to_string(), id.clone());
        id
    }

    /// A file id from a request: `root` is the caller's My Drive.
    pub fn resolve(&mut self, id: &str, email: &str, now_ms: i64) -> String {
        if id == "root" {
            self.root_id(email, now_ms)
        } else {
            id.to_string()
        }
    }

    /// The role `email` has on a file: ownership, or the best permission on it or on a folder
    /// above it (permissions are inherited). `anyone` links count only with `include_link`:
    /// they open a file but do not put it in anyone's searches.
    pub fn role(&self, file: &File, email: &str, include_link: bool) -> Option<Role> {
        if let Some(drive_id) = &file.drive_id {
            return self.shared_drives.get(drive_id)?.role_of(email);
        }
        let domain = email.rsplit('@').next().unwrap_or_default();
        let mut best: Option<Role> = None;
        let mut current = Some(file);
        for depth in 0..100 {
            let Some(item) = current else { break };
            if item.owner == email {
                // Owning a folder above gives edit rights, not ownership.
                let role = if depth == 0 { Role::Owner } else { Role::Writer };
                best = best.max(Some(role));
            }
            for permission in &item.permissions {
                let applies = match permission.kind.as_str() {
                    "user" | "group" => permission.email.as_deref() == Some(email),
                    "domain" => permission.domain.as_deref() == Some(domain),
                    "anyone" => include_link,
                    _ => false,
                };
                if applies {
                    best = best.max(Some(permission.role));
                }
            }
            if item.is_root {
                break;
            }
            current = item.parents.first().and_then(|p| self.files.get(p));
        }
        best
    }

    /// A file known to exist (found a moment ago), for changing it; 404 otherwise.
    pub fn file_mut(&mut self, id: &str) -> Result<&mut File, crate::google::ApiError> {
        self.files
            .get_mut(id)
            .ok_or_else(|| crate::google::ApiError::file_not_found(id))
    }

    /// Puts back the seeded shared drive and its root folder where they are missing (a fresh
    /// start, or a state file from before shared drives).
    pub fn seed(&mut self) {
        if !self.shared_drives.contains_key(SEEDED_DRIVE_ID) {
            let members = [
                (SEEDED_DRIVE_ORGANIZER.to_string(), "organizer".to_string()),
                (
                    crate::google::SERVICE_ACCOUNT_EMAIL.to_string(),
                    "fileOrganizer".to_string(),
                ),
            ];
            self.add_shared_drive(SEEDED_DRIVE_ID, SEEDED_DRIVE_NAME, members.into(), 1_700_000_000_000);
        }
    }

    /// Adds a shared drive and its root folder.
    pub fn add_shared_drive(&mut self, id: &str, name: &str, members: BTreeMap<String, String>, now_ms: i64) {
        let mut root = File::new(id.into(), name.into(), FOLDER.into(), id, "", now_ms);
        root.drive_id = Some(id.to_string());
        self.files.insert(id.to_string(), root);
        let drive = SharedDrive {
            id: id.to_string(),
            name: name.to_string(),
            created_ms: now_ms,
            members,
        };
        self.shared_drives.insert(id.to_string(), drive);
    }

    /// Ids of a folder's descendants, depth first.
    pub fn descendants(&self, id: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut stack = vec![id.to_string()];
        while let Some(current) = stack.pop() {
            for file in self.files.values().filter(|f| f.parents.contains(&current)) {
                if !found.contains(&file.id) {
                    found.push(file.id.clone());
                    stack.push(file.id.clone());
                }
            }
        }
        found
    }

    /// Whether `ancestor` is `id` or one of the folders above it (moves must not make cycles).
    pub fn is_within(&self, id: &str, ancestor: &str) -> bool {
        let mut current = Some(id.to_string());
        for _ in 0..100 {
            let Some(item) = current else { return false };
            if item == ancestor {
                return true;
            }
            current = self.files.get(&item).and_then(|f| f.parents.first().cloned());
        }
        false
    }

    pub fn usage(&self, email: &str) -> (u64, u64) {
        let mut total = 0;
        let mut trashed = 0;
        for file in self.files.values().filter(|f| f.owner == email && f.is_binary()) {
            let size = file.content.as_ref().map_or(0, |c| c.size);
            total += size;
            if file.trashed {
                trashed += size;
            }
        }
        (total, trashed)
    }
}

/// Drive's guess of a MIME type from a file name, used when nobody says.
pub fn mime_from_name(name: &str) -> &'static str {
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "txt" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "xml" => "text/xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "mp4" => "video/mp4",
        "mp3" => "audio/mpeg",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ => "application/octet-stream",
    }
}

/// The formats a Docs Editors file exports to (About `exportFormats`).
pub fn export_formats(mime: &str) -> Option<&'static [&'static str]> {
    match mime.strip_prefix(GOOGLE_APPS)? {
        "document" => Some(&[
            "application/rtf",
            "application/vnd.oasis.opendocument.text",
            "text/html",
            "application/pdf",
            "text/markdown",
            "application/epub+zip",
            "application/zip",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "text/plain",
        ]),
        "spreadsheet" => Some(&[
            "application/x-vnd.oasis.opendocument.spreadsheet",
            "text/tab-separated-values",
            "application/pdf",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "text/csv",
            "application/zip",
            "application/vnd.oasis.opendocument.spreadsheet",
        ]),
        "presentation" => Some(&[
            "application/vnd.oasis.opendocument.presentation",
            "application/pdf",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "text/plain",
        ]),
        "drawing" => Some(&["image/svg+xml", "image/png", "application/pdf", "image/jpeg"]),
        _ => None,
    }
}
