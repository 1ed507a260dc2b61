//! Google Drive v3 (api-protocols.md §4): OPI's functions and the ones it lacks (trash,
//! permissions, export). Listings follow `nextPageToken` to the end and leave trashed items out;
//! names in queries are escaped; quota errors say what ran out, and for a service account that
//! it has no storage of its own.

use std::path::{Path, PathBuf};

use base64::Engine;
use bytes::Bytes;
use serde_json::{json, Map, Value};
use url::Url;

use crate::call::Call;
use crate::error::{Error, ErrorCode, Result, Service};
use crate::http::{self, Request};
use crate::log::Level;
use crate::registry::{Auth, Method, Origin, Param, ParamType};
use crate::services::handler;
use crate::transfer::{self, Access, Checksums, Expected, Hashers, Sink, Source, DATA, FILE, SAVE_PATH};

const MODULE: &str = "GoogleDrive";
const FOLDER_MIME: &str = "application/vnd.google-apps.folder";
/// The largest page Drive gives for files, comments and permissions (fewer round trips).
const FILES_PAGE: &str = "1000";
const COMMENTS_PAGE: &str = "100";
const PERMISSIONS_PAGE: &str = "100";

const FILE_ID: Param = Param::string("file_id", "The file's or folder's ID.")
    .opi("Identifier", "Идентификатор", "object")
    .required();
/// The same key under the name OPI gives it in the comment functions.
const OBJECT_ID: Param = Param::string("file_id", "The file's ID.")
    .opi("ObjectID", "ИДОбъекта", "object")
    .required();
const COMMENT_ID: Param = Param::string("comment_id", "The comment's ID.")
    .opi("CommentID", "ИДКомментария", "comment")
    .required();
const CHUNK_SIZE: Param = Param::integer(
    "chunk_size",
    "Bytes per request of a resumable upload: a multiple of 256 KiB (262144).",
)
.default("8388608");
const THRESHOLD: Param = Param::integer(
    "resumable_threshold",
    "Files up to this size go in one multipart request; larger ones resumable, chunk by chunk.",
)
.default("5242880");
const NAME_CONTAINS: Param = Param::string(
    "name_contains",
    "Only items whose name contains this text (Drive matches word prefixes).",
)
.opi("NameContains", "ИмяСодержит", "query");

pub const METHODS: &[Method] = &[
    Method {
        module: MODULE,
        name: "GetObjectInformation",
        name_ru: "ПолучитьИнформациюОбОбъекте",
        aliases: &[],
        origin: Origin::Opi,
        auth: Auth::Google,
        params: &[FILE_ID],
        doc: "Everything Drive knows about a file or folder (`fields=*`).",
        result: "file JSON",
        handler: handler!(get_object_information),
    },
    Method {
        module: MODULE,
        name: "GetDirectoriesList",
        name_ru: "ПолучитьСписокКаталогов",
        aliases: &[],
        origin: Origin::Opi,
        auth: Auth::Google,
        params: &[
            NAME_CONTAINS,
            Param::boolean("detailed", "false", "Add each folder's files under `files`.").opi("Detailed", "Подробно", "depth"),
        ],
        doc: "Every folder (all pages; trashed ones left out), optionally filtered by name.",
        result: "array of file JSON (folders), each with `files` when `detailed`",
        handler: handler!(get_directories_list),
    },
    Method {
        module: MODULE,
        name: "GetFilesList",
        name_ru: "ПолучитьСписокФайлов",
        aliases: &[],
        origin: Origin::Opi,
        auth: Auth::Google,
        params: &[
            NAME_CONTAINS,
            Param::string("directory", "Only the files directly in this folder (its ID, or `root`).").opi("Directory", "Каталог", "catalog"),
        ],
        doc: "Every file that is not a folder (all pages; trashed ones left out), optionally filtered by name and folder.",
        result: "array of file JSON",
        handler: handler!(get_files_list),
    },
    Method {
        module: MODULE,
        name: "UploadFile",
        name_ru: "ЗагрузитьФайл",
        aliases: &[],
        origin: Origin::Opi,
        auth: Auth::Google,
        params: &[
            FILE,
            Param::new(
                "description",
                ParamType::Object,
                "OPI's description (GetFileDescription): `MIME`, `Name`, `Description`, `Parent`, any case. Without a name the file's own is used.",
            )
            .opi("Description", "Описание", "props"),
            DATA,
            CHUNK_SIZE,
            THRESHOLD,
        ],
        doc: "Uploads a file: one multipart/related request up to `resumable_threshold`, a resumable upload above it (chunks of `chunk_size`, resumed from the offset Drive confirms after a failure, a new session if Drive lost it). The stored file's md5 is checked against what was sent.",
        result: "file JSON of the stored file",
        handler: handler!(upload_file),
    },
    Method {
        module: MODULE,
        name: "UpdateFile",
        name_ru: "ОбновитьФайл",
        aliases: &[],
        origin: Origin::Opi,
        auth: Auth::Google,
        params: &[
            FILE_ID,
            FILE,
            Param::string("new_name", "A new name for the file.").opi("NewName", "НовоеИмя", "title"),
            DATA,
            CHUNK_SIZE,
            THRESHOLD,
        ],
        doc: "Replaces a file's content (and optionally its name), as UploadFile sends it; the new content's md5 is checked.",
        result: "file JSON of the updated file",
        handler: handler!(update_file),
    },
    Method {
        module: MODULE,
        name: "DownloadFile",
        name_ru: "СкачатьФайл",
        aliases: &[],
        origin: Origin::Opi,
        auth: Auth::Google,
        params: &[FILE_ID, SAVE_PATH],
        doc: "Downloads a file, streamed and resumed with Range after a broken connection, and verified against Drive's size, md5Checksum and sha256Checksum before anything is replaced. Google Docs, Sheets and Slides have no bytes of their own: use ExportFile.",
        result: "with save_path `{\"path\", \"size\", \"md5\", \"sha256\"}`; without `{\"data_base64\", \"size\", \"md5\", \"sha256\"}`",
        handler: handler!(download_file),
    },
    Method {
        module: MODULE,
        name: "ExportFile",
        name_ru: "ЭкспортироватьФайл",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Google,
        params: &[
            FILE_ID,
            Param::string("mime_type", "The format, e.g. `application/pdf`, `text/plain`, `text/csv` (Drive lists them in the file's `exportLinks`).").required(),
            SAVE_PATH,
        ],
        doc: "Exports a Google document (Docs, Sheets, Slides) to a format; up to 10 MB, as Drive allows.",
        result: "as DownloadFile",
        handler: handler!(export_file),
    },
    Method {
        module: MODULE,
        name: "CreateFolder",
        name_ru: "СоздатьПапку",
        aliases: &[],
        origin: Origin::Opi,
        auth: Auth::Google,
        params: &[
            Param::string("name", "The folder's name.").opi("Name", "Имя", "title").required(),
            Param::string("parent", "The ID of the folder to create it in.").opi("Parent", "Родитель", "catalog").default("\"root\""),
        ],
        doc: "Creates a folder.",
        result: "file JSON of the folder",
        handler: handler!(create_folder),
    },
    Method {
        module: MODULE,
        name: "CopyObject",
        name_ru: "СкопироватьОбъект",
        aliases: &[],
        origin: Origin::Opi,
        auth: Auth::Google,
        params: &[
            FILE_ID,
            Param::string("new_name", "The copy's name (Drive's default: \"Copy of …\").").opi("NewName", "НовоеИмя", "title"),
            Param::string("new_parent", "The ID of the folder for the copy.").opi("NewParent", "НовыйРодитель", "catalog"),
        ],
        doc: "Copies a file (folders cannot be copied).",
        result: "file JSON of the copy",
        handler: handler!(copy_object),
    },
    Method {
        module: MODULE,
        name: "DeleteObject",
        name_ru: "УдалитьОбъект",
        aliases: &[],
        origin: Origin::Opi,
        auth: Auth::Google,
        params: &[FILE_ID],
        doc: "Deletes a file or folder for good, bypassing the trash (MoveToTrash keeps it restorable).",
        result: "`{}`",
        handler: handler!(delete_object),
    },
    Method {
        module: MODULE,
        name: "GetFileDescription",
        name_ru: "ПолучитьОписаниеФайла",
        aliases: &[],
        origin: Origin::Opi,
        auth: Auth::None,
        params: &[Param::boolean("clear", "false", "Empty values instead of the example ones.").opi("Clear", "Пустая", "empty")],
        doc: "OPI's description template for UploadFile: `MIME`, `Name`, `Description`, `Parent`.",
        result: "`{\"MIME\", \"Name\", \"Description\", \"Parent\"}`",
        handler: handler!(get_file_description),
    },
    Method {
        module: MODULE,
        name: "CreateComment",
        name_ru: "СоздатьКомментарий",
        aliases: &[],
        origin: Origin::Opi,
        auth: Auth::Google,
        params: &[
            FILE_ID,
            Param::string("comment", "The comment's text.").opi("Comment", "Комментарий", "text").required(),
        ],
        doc: "Adds a comment to a file.",
        result: "comment JSON",
        handler: handler!(create_comment),
    },
    Method {
        module: MODULE,
        name: "GetComment",
        name_ru: "ПолучитьКомментарий",
        aliases: &[],
        origin: Origin::Opi,
        auth: Auth::Google,
        params: &[OBJECT_ID, COMMENT_ID],
        doc: "One comment of a file.",
        result: "comment JSON",
        handler: handler!(get_comment),
    },
    Method {
        module: MODULE,
        name: "GetCommentList",
        name_ru: "ПолучитьСписокКомментариев",
        aliases: &[],
        origin: Origin::Opi,
        auth: Auth::Google,
        params: &[OBJECT_ID],
        doc: "Every comment of a file (all pages).",
        result: "`{\"kind\": \"drive#commentList\", \"comments\": [...]}`",
        handler: handler!(get_comment_list),
    },
    Method {
        module: MODULE,
        name: "DeleteComment",
        name_ru: "УдалитьКомментарий",
        aliases: &[],
        origin: Origin::Opi,
        auth: Auth::Google,
        params: &[OBJECT_ID, COMMENT_ID],
        doc: "Deletes a comment.",
        result: "`{}`",
        handler: handler!(delete_comment),
    },
    Method {
        module: MODULE,
        name: "MoveToTrash",
        name_ru: "ПереместитьВКорзину",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Google,
        params: &[FILE_ID],
        doc: "Moves a file or folder to the trash (restorable; EmptyTrash deletes for good).",
        result: "file JSON with `trashed: true`",
        handler: handler!(move_to_trash),
    },
    Method {
        module: MODULE,
        name: "EmptyTrash",
        name_ru: "ОчиститьКорзину",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Google,
        params: &[],
        doc: "Deletes for good everything the user owns in the trash.",
        result: "`{}`",
        handler: handler!(empty_trash),
    },
    Method {
        module: MODULE,
        name: "CreatePermission",
        name_ru: "СоздатьРазрешение",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Google,
        params: &[
            FILE_ID,
            Param::string("role", "`reader`, `commenter`, `writer` or `owner` (…).").required(),
            Param::string("type", "`user`, `group`, `domain` or `anyone`.").required(),
            Param::string("email", "The user's or group's e-mail address (types `user` and `group`)."),
            Param::string("domain", "The domain (type `domain`)."),
        ],
        doc: "Shares a file or folder.",
        result: "permission JSON",
        handler: handler!(create_permission),
    },
    Method {
        module: MODULE,
        name: "GetPermissions",
        name_ru: "ПолучитьРазрешения",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Google,
        params: &[FILE_ID],
        doc: "Everyone a file or folder is shared with (all pages).",
        result: "`{\"kind\": \"drive#permissionList\", \"permissions\": [...]}`",
        handler: handler!(get_permissions),
    },
    Method {
        module: MODULE,
        name: "DeletePermission",
        name_ru: "УдалитьРазрешение",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Google,
        params: &[
            FILE_ID,
            Param::string("permission_id", "The permission's ID (from GetPermissions).").required(),
        ],
        doc: "Stops sharing with one grantee.",
        result: "`{}`",
        handler: handler!(delete_permission),
    },
];

/// A path segment: an ID as given, with anything that is not URL-safe escaped, so an odd ID
/// cannot turn into another path or a query.
fn segment(id: &str) -> Result<String> {
    if id.trim().is_empty() {
        return Err(Error::invalid_params("an ID is empty"));
    }
    let mut out = String::with_capacity(id.len());
    for byte in id.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    Ok(out)
}

/// A Drive v3 URL (`path` under `/drive/v3`).
fn api(call: &Call, path: &str) -> Result<Url> {
    http::url(&call.endpoint("google_apis"), &format!("/drive/v3{path}"))
}

fn file_path(call: &Call, suffix: &str) -> Result<String> {
    Ok(format!("/files/{}{suffix}", segment(call.args.str("file_id")?)?))
}

/// Quota errors are final (never retried); say what ran out and what to do. A service account
/// has no Drive storage at all, which surprises many (OPI's issue #15 was exactly this).
pub(crate) fn explain(mut error: Error) -> Error {
    if error.code != ErrorCode::QuotaExceeded {
        return error;
    }
    let upstream = error.upstream.as_ref();
    let reason = upstream
        .and_then(|u| u.pointer("/error/errors/0/reason"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let text = upstream
        .and_then(|u| u.pointer("/error/message"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let hint = match reason {
        "storageQuotaExceeded" if text.contains("Service Account") => {
            "a service account has no Drive storage of its own, so it cannot own files: upload into a shared drive, or act as a Workspace user (GetServiceAccountToken with `subject`)"
        }
        "storageQuotaExceeded" => "the owner's Drive storage is full: free space (EmptyTrash counts) or get more storage",
        "dailyLimitExceeded" => "the project's daily Drive API limit is used up: try again tomorrow or raise the quota in the Google Cloud console",
        "downloadQuotaExceeded" => "this file's download quota is used up (Google limits downloads of a file per day): try again later",
        _ => "a Drive quota is used up; retrying now will not help",
    };
    error.message = format!("{hint} ({})", error.message);
    error
}

async fn send(call: &Call, request: Request) -> Result<Value> {
    http::send_json(call, &request.authorized()).await.map_err(explain)
}

/// Every item of a paged list: follows `nextPageToken` until there is none (pages may be
/// partial or empty before the end).
async fn list_all(call: &Call, path: &str, query: &[(&str, String)], items_key: &str) -> Result<Vec<Value>> {
    let mut items = Vec::new();
    let mut page_token: Option<String> = None;
    loop {
        let mut request = Request::get(Service::GoogleDrive, api(call, path)?);
        for (key, value) in query {
            request = request.query(key, value);
        }
        if let Some(token) = &page_token {
            request = request.query("pageToken", token);
        }
        let page = send(call, request).await?;
        if let Some(list) = page.get(items_key).and_then(Value::as_array) {
            items.extend(list.iter().cloned());
        }
        match page
            .get("nextPageToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            Some(next) if page_token.as_deref() == Some(next) => {
                return Err(Error::new(
                    ErrorCode::InvalidResponse,
                    "Google Drive answered the same page token twice",
                )
                .with_service(Service::GoogleDrive))
            }
            Some(next) => page_token = Some(next.to_string()),
            None => return Ok(items),
        }
    }
}

/// A string literal of Drive's query language: single quotes, `\` and `'` escaped.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Files or folders (not trashed), by name and parent.
async fn search(call: &Call, folders: bool, name_contains: Option<&str>, parent: Option<&str>) -> Result<Vec<Value>> {
    let mut q = format!(
        "mimeType {} {} and trashed = false",
        if folders { "=" } else { "!=" },
        quoted(FOLDER_MIME)
    );
    if let Some(name) = name_contains.filter(|n| !n.is_empty()) {
        q.push_str(&format!(" and name contains {}", quoted(name)));
    }
    if let Some(parent) = parent.filter(|p| !p.is_empty()) {
        q.push_str(&format!(" and {} in parents", quoted(parent)));
    }
    let query = [
        ("q", q),
        ("fields", "*".to_string()),
        ("pageSize", FILES_PAGE.to_string()),
    ];
    list_all(call, "/files", &query, "files").await
}

async fn get_object_information(call: Call) -> Result<Value> {
    let request = Request::get(Service::GoogleDrive, api(&call, &file_path(&call, "")?)?).query("fields", "*");
    send(&call, request).await
}

async fn get_directories_list(call: Call) -> Result<Value> {
    let name = call.args.opt_str("name_contains");
    let mut folders = search(&call, true, name, None).await?;
    if call.args.bool("detailed") {
        for folder in &mut folders {
            let id = folder.get("id").and_then(Value::as_str).unwrap_or("").to_string();
            let files = search(&call, false, None, Some(&id)).await?;
            folder["files"] = Value::Array(files);
        }
    }
    Ok(Value::Array(folders))
}

async fn get_files_list(call: Call) -> Result<Value> {
    let args = &call.args;
    let files = search(&call, false, args.opt_str("name_contains"), args.opt_str("directory")).await?;
    Ok(Value::Array(files))
}

async fn create_folder(call: Call) -> Result<Value> {
    let args = &call.args;
    let metadata = json!({
        "name": args.str("name")?,
        "mimeType": FOLDER_MIME,
        "parents": [args.opt_str("parent").filter(|p| !p.is_empty()).unwrap_or("root")],
    });
    // Not idempotent: a create that may have arrived is not sent again (it would make two).
    let request = Request::post(Service::GoogleDrive, api(&call, "/files")?)
        .query("fields", "*")
        .json(metadata);
    send(&call, request).await
}

async fn copy_object(call: Call) -> Result<Value> {
    let args = &call.args;
    let mut metadata = Map::new();
    if let Some(name) = args.opt_str("new_name").filter(|n| !n.is_empty()) {
        metadata.insert("name".into(), json!(name));
    }
    if let Some(parent) = args.opt_str("new_parent").filter(|p| !p.is_empty()) {
        metadata.insert("parents".into(), json!([parent]));
    }
    let request = Request::post(Service::GoogleDrive, api(&call, &file_path(&call, "/copy")?)?)
        .query("fields", "*")
        .json(Value::Object(metadata));
    send(&call, request).await
}

async fn delete_object(call: Call) -> Result<Value> {
    send(
        &call,
        Request::delete(Service::GoogleDrive, api(&call, &file_path(&call, "")?)?),
    )
    .await
}

async fn get_file_description(call: Call) -> Result<Value> {
    // OPI's template, with its example values (or empty ones).
    Ok(if call.args.bool("clear") {
        json!({"MIME": "", "Name": "", "Description": "", "Parent": ""})
    } else {
        json!({"MIME": "image/jpeg", "Name": "New file.jpg", "Description": "This is a new file", "Parent": "root"})
    })
}

fn comments_path(call: &Call) -> Result<String> {
    file_path(call, "/comments")
}

fn comment_path(call: &Call) -> Result<String> {
    Ok(format!(
        "{}/{}",
        comments_path(call)?,
        segment(call.args.str("comment_id")?)?
    ))
}

async fn create_comment(call: Call) -> Result<Value> {
    // `fields` is required by every comments method but delete.
    let request = Request::post(Service::GoogleDrive, api(&call, &comments_path(&call)?)?)
        .query("fields", "*")
        .json(json!({"content": call.args.str("comment")?}));
    send(&call, request).await
}

async fn get_comment(call: Call) -> Result<Value> {
    let request = Request::get(Service::GoogleDrive, api(&call, &comment_path(&call)?)?).query("fields", "*");
    send(&call, request).await
}

async fn get_comment_list(call: Call) -> Result<Value> {
    let query = [("fields", "*".to_string()), ("pageSize", COMMENTS_PAGE.to_string())];
    let comments = list_all(&call, &comments_path(&call)?, &query, "comments").await?;
    Ok(json!({"kind": "drive#commentList", "comments": comments}))
}

async fn delete_comment(call: Call) -> Result<Value> {
    send(
        &call,
        Request::delete(Service::GoogleDrive, api(&call, &comment_path(&call)?)?),
    )
    .await
}

async fn move_to_trash(call: Call) -> Result<Value> {
    let request = Request::patch(Service::GoogleDrive, api(&call, &file_path(&call, "")?)?)
        .query("fields", "*")
        .json(json!({"trashed": true}));
    send(&call, request).await
}

async fn empty_trash(call: Call) -> Result<Value> {
    send(
        &call,
        Request::delete(Service::GoogleDrive, api(&call, "/files/trash")?),
    )
    .await
}

async fn create_permission(call: Call) -> Result<Value> {
    let args = &call.args;
    let kind = args.str("type")?;
    let mut permission = json!({"role": args.str("role")?, "type": kind});
    match kind {
        "user" | "group" => {
            let email = args
                .opt_str("email")
                .filter(|e| !e.is_empty())
                .ok_or_else(|| Error::invalid_params(format!("a `{kind}` permission needs `email`")))?;
            permission["emailAddress"] = json!(email);
        }
        "domain" => {
            let domain = args
                .opt_str("domain")
                .filter(|d| !d.is_empty())
                .ok_or_else(|| Error::invalid_params("a `domain` permission needs `domain`"))?;
            permission["domain"] = json!(domain);
        }
        "anyone" => {}
        other => {
            return Err(Error::invalid_params(format!(
                "`type` must be user, group, domain or anyone, not `{other}`"
            )))
        }
    }
    let request = Request::post(Service::GoogleDrive, api(&call, &file_path(&call, "/permissions")?)?)
        .query("fields", "*")
        .json(permission);
    send(&call, request).await
}

async fn get_permissions(call: Call) -> Result<Value> {
    let query = [("fields", "*".to_string()), ("pageSize", PERMISSIONS_PAGE.to_string())];
    let permissions = list_all(&call, &file_path(&call, "/permissions")?, &query, "permissions").await?;
    Ok(json!({"kind": "drive#permissionList", "permissions": permissions}))
}

async fn delete_permission(call: Call) -> Result<Value> {
    let path = format!(
        "{}/{}",
        file_path(&call, "/permissions")?,
        segment(call.args.str("permission_id")?)?
    );
    send(&call, Request::delete(Service::GoogleDrive, api(&call, &path)?)).await
}

// ---------------------------------------------------------------------------------------------
// Uploads.

/// Every chunk of a resumable upload but the last is a multiple of this (api-protocols.md §4.5).
const CHUNK_UNIT: u64 = 256 * 1024;
/// A lost session (404/410) is started again at most this many times per upload.
const MAX_NEW_SESSIONS: u32 = 3;

/// Where uploaded bytes go.
enum Target {
    Create(Map<String, Value>),
    Update { id: String, metadata: Map<String, Value> },
}

impl Target {
    fn upload_url(&self, call: &Call, upload_type: &str) -> Result<Url> {
        let path = match self {
            Target::Create(_) => "/upload/drive/v3/files".to_string(),
            Target::Update { id, .. } => format!("/upload/drive/v3/files/{}", segment(id)?),
        };
        let mut url = http::url(&call.endpoint("google_apis"), &path)?;
        url.query_pairs_mut()
            .append_pair("uploadType", upload_type)
            .append_pair("fields", "*");
        Ok(url)
    }

    fn metadata(&self) -> Value {
        match self {
            Target::Create(metadata) | Target::Update { metadata, .. } => Value::Object(metadata.clone()),
        }
    }

    /// A request to the upload URL: a create is not idempotent (sent twice, it makes two files).
    fn request(&self, call: &Call, upload_type: &str) -> Result<Request> {
        let url = self.upload_url(call, upload_type)?;
        Ok(match self {
            Target::Create(_) => Request::post(Service::GoogleDrive, url),
            Target::Update { .. } => Request::patch(Service::GoogleDrive, url),
        })
    }
}

/// OPI's description keys (any case, English or Russian) as Drive fields.
fn description_metadata(call: &Call) -> Result<Map<String, Value>> {
    let mut metadata = Map::new();
    let Some(Value::Object(description)) = call.args.value("description") else {
        return Ok(metadata);
    };
    for (key, value) in description {
        let text = match value {
            Value::String(text) => text.clone(),
            Value::Null => continue,
            other => other.to_string(),
        };
        if text.is_empty() {
            continue;
        }
        match key.to_lowercase().as_str() {
            "mime" | "mimetype" => metadata.insert("mimeType".into(), json!(text)),
            "name" | "имя" => metadata.insert("name".into(), json!(text)),
            "description" | "описание" => metadata.insert("description".into(), json!(text)),
            "parent" | "родитель" => metadata.insert("parents".into(), json!([text])),
            _ => {
                return Err(Error::invalid_params(format!(
                    "unknown key `{key}` in `description`; accepted: MIME, Name, Description, Parent"
                )))
            }
        };
    }
    Ok(metadata)
}

/// A media type for a file name, for the common kinds; Drive shows and previews by it.
fn media_type_for(name: &str) -> &'static str {
    let extension = Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "xml" => "application/xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

struct UploadOptions {
    chunk: u64,
    threshold: u64,
}

fn upload_options(call: &Call) -> Result<UploadOptions> {
    let chunk = call.args.opt_u64("chunk_size").unwrap_or(8 * 1024 * 1024);
    if chunk == 0 || chunk % CHUNK_UNIT != 0 {
        return Err(Error::invalid_params(
            "`chunk_size` must be a multiple of 256 KiB (262144 bytes), as Drive requires",
        ));
    }
    Ok(UploadOptions {
        chunk,
        threshold: call.args.opt_u64("resumable_threshold").unwrap_or(5 * 1024 * 1024),
    })
}

async fn upload_file(call: Call) -> Result<Value> {
    let source = Source::from_args(&call)?;
    let mut metadata = description_metadata(&call)?;
    if !metadata.contains_key("name") {
        let name = call
            .args
            .opt_str("file")
            .and_then(|path| Path::new(path).file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "Untitled".into());
        metadata.insert("name".into(), json!(name));
    }
    let media_type = metadata
        .get("mimeType")
        .and_then(Value::as_str)
        .map(String::from)
        .unwrap_or_else(|| media_type_for(metadata["name"].as_str().unwrap_or("")).to_string());
    let options = upload_options(&call)?;
    upload(&call, Target::Create(metadata), &source, &media_type, &options).await
}

async fn update_file(call: Call) -> Result<Value> {
    let source = Source::from_args(&call)?;
    let options = upload_options(&call)?;
    let id = call.args.str("file_id")?.to_string();
    // The new content keeps the file's type, as OPI does (and Drive would guess otherwise).
    let request = Request::get(Service::GoogleDrive, api(&call, &format!("/files/{}", segment(&id)?))?)
        .query("fields", "mimeType");
    let current = send(&call, request).await?;
    let media_type = current
        .get("mimeType")
        .and_then(Value::as_str)
        .unwrap_or("application/octet-stream")
        .to_string();
    if media_type.starts_with("application/vnd.google-apps.") {
        return Err(Error::invalid_params(
            "the file is a folder or a Google document: it has no content to replace",
        ));
    }
    let mut metadata = Map::new();
    if let Some(name) = call.args.opt_str("new_name").filter(|n| !n.is_empty()) {
        metadata.insert("name".into(), json!(name));
    }
    upload(&call, Target::Update { id, metadata }, &source, &media_type, &options).await
}

/// Uploads the source and checks the stored file's size and md5 against what was sent.
async fn upload(
    call: &Call,
    target: Target,
    source: &Source,
    media_type: &str,
    options: &UploadOptions,
) -> Result<Value> {
    let (file, sent) = if source.size() <= options.threshold {
        upload_multipart(call, &target, source, media_type).await?
    } else {
        upload_resumable(call, &target, source, media_type, options.chunk).await?
    };
    let stored_size = file
        .get("size")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<u64>().ok());
    let stored_md5 = file.get("md5Checksum").and_then(Value::as_str);
    let matches = stored_size.is_none_or(|size| size == sent.size)
        && stored_md5.is_none_or(|md5| md5.eq_ignore_ascii_case(&sent.md5));
    if !matches {
        // Nothing wrong is left behind: a new file that does not hold what was sent goes.
        if let (Target::Create(_), Some(id)) = (&target, file.get("id").and_then(Value::as_str)) {
            if let Ok(url) = api(call, &format!("/files/{}", segment(id)?)) {
                let _ = send(call, Request::delete(Service::GoogleDrive, url)).await;
            }
        }
        return Err(Error::new(
            ErrorCode::ChecksumMismatch,
            format!(
                "Drive stored {} bytes with md5 {}, but {} bytes with md5 {} were sent",
                stored_size.map_or("?".into(), |s| s.to_string()),
                stored_md5.unwrap_or("?"),
                sent.size,
                sent.md5
            ),
        )
        .with_service(Service::GoogleDrive));
    }
    Ok(file)
}

/// One multipart/related request: the JSON metadata part, then the media part (api-protocols.md
/// §4.5). Small by definition (below the threshold), so the body is built in memory.
async fn upload_multipart(
    call: &Call,
    target: &Target,
    source: &Source,
    media_type: &str,
) -> Result<(Value, Checksums)> {
    let data = source.read_all().await?;
    let mut hashers = Hashers::default();
    hashers.update(&data);
    let boundary = format!("diskbridge_{}", crate::services::google_auth::random_urlsafe(18));
    let mut body = format!(
        "--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{}\r\n--{boundary}\r\nContent-Type: {media_type}\r\n\r\n",
        target.metadata()
    )
    .into_bytes();
    body.extend_from_slice(&data);
    body.extend_from_slice(format!("\r\n--{boundary}--").as_bytes());
    let request = target
        .request(call, "multipart")?
        .bytes(format!("multipart/related; boundary={boundary}"), Bytes::from(body));
    let file = send(call, request).await?;
    call.progress.report(data.len() as u64, data.len() as u64)?;
    Ok((file, hashers.finish()))
}

/// `Range: bytes=0-N` of a 308: the bytes Drive has (none when the header is absent).
fn confirmed(answer: &transfer::Answer) -> Result<u64> {
    let Some(range) = answer.headers.get("range") else {
        return Ok(0);
    };
    range
        .to_str()
        .ok()
        .and_then(|r| r.trim().strip_prefix("bytes=0-"))
        .and_then(|last| last.trim().parse::<u64>().ok())
        .map(|last| last + 1)
        .ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidResponse,
                "Drive answered a resumable upload with an unreadable Range",
            )
            .with_service(Service::GoogleDrive)
        })
}

fn answer_error(answer: transfer::Answer) -> Error {
    explain(http::status_error(
        Service::GoogleDrive,
        &http::Response {
            status: answer.status,
            headers: answer.headers,
            body: answer.body,
        },
    ))
}

/// Starts a resumable session; its URI is in `Location`.
async fn new_session(call: &Call, target: &Target, source: &Source, media_type: &str) -> Result<Url> {
    let request = target
        .request(call, "resumable")?
        .json(target.metadata())
        .header("X-Upload-Content-Type", media_type.to_string())
        .header("X-Upload-Content-Length", source.size().to_string())
        // Starting a second session is harmless (an unused one expires), so this may be resent.
        .idempotent(true)
        .authorized();
    let response = http::send(call, &request).await?;
    if response.status >= 400 {
        return Err(explain(http::status_error(Service::GoogleDrive, &response)));
    }
    let location = response
        .headers
        .get("location")
        .and_then(|l| l.to_str().ok())
        .and_then(|l| Url::parse(l).ok())
        .ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidResponse,
                "Drive started a resumable upload without a session URI",
            )
            .with_service(Service::GoogleDrive)
        })?;
    Ok(location)
}

/// The resumable protocol: chunks of `chunk` bytes with `Content-Range`; after a broken
/// connection or a 5xx, a status query (`bytes */TOTAL`) says where to go on from; a lost
/// session (404/410) starts over with a new one. Memory stays at one read buffer: chunks stream
/// from the file, and the checksums are taken from the file as Drive confirms the bytes.
async fn upload_resumable(
    call: &Call,
    target: &Target,
    source: &Source,
    media_type: &str,
    chunk: u64,
) -> Result<(Value, Checksums)> {
    let total = source.size();
    let policy = &call.config.retries;
    let mut session = new_session(call, target, source, media_type).await?;
    let mut sessions = 1u32;
    let mut offset = 0u64;
    let mut hashers = Hashers::default();
    let mut failures = 0u32;
    // After a failure the next request asks where Drive stands instead of sending bytes.
    let mut ask = false;
    loop {
        call.progress.check()?;
        let (range, content_range) = if ask {
            (offset..offset, format!("bytes */{total}"))
        } else {
            let end = (offset + chunk).min(total);
            (offset..end, format!("bytes {offset}-{}/{total}", end - 1))
        };
        let sent_through = range.end;
        // The chunk is hashed on another worker while it is sent, so the checksums cost no
        // time; the result is kept only if Drive confirms exactly this chunk.
        let hashing = (!ask && hashers.size() == offset).then(|| {
            let (source, mut candidate, range) = (source.clone(), hashers.clone(), range.clone());
            tokio::spawn(async move { source.hash_range(range, &mut candidate).await.map(|()| candidate) })
        });
        let outcome = transfer::send_range(
            call,
            &call.progress,
            Service::GoogleDrive,
            reqwest::Method::PUT,
            &session,
            source,
            range,
            &[("Content-Range", content_range)],
        )
        .await;
        let failure = match outcome {
            Ok(answer) => match answer.status {
                200 | 201 => {
                    let file = serde_json::from_slice::<Value>(&answer.body).map_err(|_| {
                        Error::new(
                            ErrorCode::InvalidResponse,
                            "Drive finished the upload with a body that is not JSON",
                        )
                        .with_service(Service::GoogleDrive)
                    })?;
                    match hashing {
                        Some(task) if sent_through == total => {
                            hashers = hashed(task).await?;
                        }
                        _ => {
                            if hashers.size() < total {
                                source.hash_range(hashers.size()..total, &mut hashers).await?;
                            }
                        }
                    }
                    return Ok((file, hashers.finish()));
                }
                308 => {
                    let have = confirmed(&answer)?;
                    if have > total {
                        return Err(Error::new(
                            ErrorCode::InvalidResponse,
                            format!("Drive claims {have} bytes of a {total}-byte upload"),
                        )
                        .with_service(Service::GoogleDrive));
                    }
                    if let Some(moved) = answer
                        .headers
                        .get("location")
                        .and_then(|l| l.to_str().ok())
                        .and_then(|l| Url::parse(l).ok())
                    {
                        session = moved;
                    }
                    // The checksums follow what Drive confirms, read back from the source
                    // unless the chunk hashed while it was sent is exactly what Drive has.
                    match hashing {
                        Some(task) if have == sent_through => {
                            hashers = hashed(task).await?;
                        }
                        _ => {
                            if have < hashers.size() {
                                hashers = Hashers::default();
                            }
                            source.hash_range(hashers.size()..have, &mut hashers).await?;
                        }
                    }
                    let stalled = !ask && have <= offset;
                    if have > offset {
                        failures = 0;
                    }
                    if !ask && have < sent_through {
                        call.log(
                            Level::Info,
                            "transfer",
                            &format!("Drive kept {have} of the {sent_through} bytes sent: going on from there"),
                        );
                    }
                    offset = have;
                    // What Drive holds is progress (and a chance to cancel between chunks).
                    call.progress.report(offset, total)?;
                    // Everything is there but the upload is not finished: ask again.
                    ask = offset == total;
                    stalled.then(|| {
                        Error::new(ErrorCode::ServerError, "Drive kept none of the bytes of a chunk")
                            .with_service(Service::GoogleDrive)
                    })
                }
                404 | 410 if sessions <= MAX_NEW_SESSIONS => {
                    call.log(
                        Level::Warn,
                        "transfer",
                        &format!(
                            "the resumable session is gone (HTTP {}): starting a new one",
                            answer.status
                        ),
                    );
                    session = new_session(call, target, source, media_type).await?;
                    sessions += 1;
                    offset = 0;
                    hashers = Hashers::default();
                    ask = false;
                    None
                }
                429 | 500 | 502 | 503 | 504 => Some(answer_error(answer)),
                _ => return Err(answer_error(answer)),
            },
            Err(error) if matches!(error.code, ErrorCode::Network | ErrorCode::Timeout) => Some(error),
            Err(error) => return Err(error),
        };
        if let Some(error) = failure {
            failures += 1;
            if failures >= policy.max_attempts {
                return Err(error);
            }
            let wait = http::backoff(&call.config, failures);
            call.log(
                Level::Warn,
                "transfer",
                &format!(
                    "resumable upload interrupted at byte {offset} ({}): asking Drive where it stands in {:.1} s",
                    error.message,
                    wait.as_secs_f64()
                ),
            );
            call.progress.sleep(wait).await?;
            ask = true;
        }
    }
}

/// What a chunk's hashing task arrived at.
async fn hashed(task: tokio::task::JoinHandle<Result<Hashers>>) -> Result<Hashers> {
    task.await
        .map_err(|_| Error::new(ErrorCode::Internal, "hashing an upload chunk failed"))?
}

// ---------------------------------------------------------------------------------------------
// Downloads.

/// Runs a download of `url` (an API URL, with the call's token) into `save_path` or memory.
async fn fetch(call: &Call, url: Url, expected: &Expected) -> Result<Value> {
    let download = |sink| {
        let url = url.clone();
        transfer::download_from(
            call,
            &call.progress,
            Service::GoogleDrive,
            expected,
            sink,
            Access::Token,
            move || {
                let url = url.clone();
                async move { Ok(url) }
            },
        )
    };
    match call.args.opt_str("save_path") {
        Some(save_path) => {
            let target = PathBuf::from(save_path);
            let sums = download(Sink::File(target.clone())).await.map_err(explain)?.checksums;
            let shown = std::path::absolute(&target).unwrap_or(target);
            Ok(json!({"path": shown.to_string_lossy(), "size": sums.size, "md5": sums.md5, "sha256": sums.sha256}))
        }
        None => {
            let downloaded = download(Sink::Memory).await.map_err(explain)?;
            let data = base64::engine::general_purpose::STANDARD.encode(downloaded.data.unwrap_or_default());
            let sums = downloaded.checksums;
            Ok(json!({"data_base64": data, "size": sums.size, "md5": sums.md5, "sha256": sums.sha256}))
        }
    }
}

async fn download_file(call: Call) -> Result<Value> {
    let path = file_path(&call, "")?;
    let request = Request::get(Service::GoogleDrive, api(&call, &path)?)
        .query("fields", "id,name,mimeType,size,md5Checksum,sha256Checksum");
    let meta = send(&call, request).await?;
    let mime = meta.get("mimeType").and_then(Value::as_str).unwrap_or("");
    if mime == FOLDER_MIME {
        return Err(Error::invalid_params(
            "the ID is a folder's: folders have no content to download",
        ));
    }
    if mime.starts_with("application/vnd.google-apps.") {
        return Err(Error::invalid_params(format!(
            "the file is a Google document ({mime}): it has no bytes of its own; use ExportFile with a format such as application/pdf"
        )));
    }
    let expected = Expected {
        size: meta.get("size").and_then(Value::as_str).and_then(|s| s.parse().ok()),
        md5: meta.get("md5Checksum").and_then(Value::as_str).map(String::from),
        sha256: meta.get("sha256Checksum").and_then(Value::as_str).map(String::from),
    };
    let mut url = api(&call, &path)?;
    url.query_pairs_mut().append_pair("alt", "media");
    fetch(&call, url, &expected).await
}

async fn export_file(call: Call) -> Result<Value> {
    let mut url = api(&call, &file_path(&call, "/export")?)?;
    url.query_pairs_mut()
        .append_pair("mimeType", call.args.str("mime_type")?);
    // An export has no checksums to compare with: Drive makes it on the fly.
    fetch(&call, url, &Expected::default()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_are_escaped() {
        assert_eq!(quoted(r"O'Brien \ x"), r"'O\'Brien \\ x'");
    }

    #[test]
    fn ids_cannot_leave_their_segment() {
        assert_eq!(segment("../a?b").unwrap(), "..%2Fa%3Fb");
        assert!(segment(" ").is_err());
    }

    #[test]
    fn media_types_by_extension() {
        assert_eq!(media_type_for("a.JPG"), "image/jpeg");
        assert_eq!(media_type_for("noext"), "application/octet-stream");
    }
}
