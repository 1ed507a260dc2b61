//! Google Drive v3 (docs/protocols.md §4): OPI's functions and the ones it lacks (trash,
//! permissions, export). Listings follow `nextPageToken` to the end and leave trashed items out;
//! names in queries are escaped; quota errors say what ran out, and for a service account that
//! it has no storage of its own.
//!
//! Here: the registry declarations. `profile` says how Drive answers and explains its quota
//! errors, `api` holds the request plumbing (IDs, listings, searches), `files` the metadata,
//! comment, trash and permission methods, `upload` and `resumable` the uploads, `download` the
//! downloads and exports.

mod api;
mod download;
mod files;
mod folders;
mod profile;
mod resumable;
mod upload;

use download::{download_file, export_file};
use files::*;
use folders::{download_directory, upload_directory};
use upload::{update_file, upload_file};

use crate::schema::{handler, Auth, Method, Origin, Param, ParamType};
use crate::services::params::{DATA, FILE, SAVE_PATH};

pub(crate) use profile::ENDPOINT;

const MODULE: &str = "GoogleDrive";

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
const DRIVE_ID: Param = Param::string(
    "drive_id",
    "A shared drive's ID (GetSharedDrives lists them): work in that drive instead of My Drive.",
);
const FOLDER_ID: Param = Param::string(
    "folder_id",
    "The Drive folder's ID (default: the shared drive's root with `drive_id`, else My Drive's root).",
);

pub(crate) const METHODS: &[Method] = &[
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
            DRIVE_ID,
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
            DRIVE_ID,
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
        doc: "Uploads a file: one multipart/related request up to `resumable_threshold`, a resumable upload above it (chunks of `chunk_size`, resumed from the offset Drive confirms after a failure, a new session if Drive lost it). The stored file's size and sha256Checksum are checked against what was sent (md5Checksum where Drive reports no sha256).",
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
        doc: "Replaces a file's content (and optionally its name), as UploadFile sends it; the new content's sha256 is checked.",
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
        doc: "Downloads a file, streamed and resumed with Range after a broken connection, and verified against Drive's size and sha256Checksum (md5Checksum only where Drive reports no sha256) before anything is replaced; from transfers.parallel_threshold_bytes up a save_path download goes over transfers.download_streams ranged connections. Google Docs, Sheets and Slides have no bytes of their own: use ExportFile.",
        result: "with save_path `{\"path\", \"size\", \"sha256\", \"md5\"?}`; without `{\"data_base64\", \"size\", \"sha256\", \"md5\"?}` (`md5` when known: Drive's, or computed where it reports no sha256)",
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
    Method {
        module: MODULE,
        name: "GetSharedDrives",
        name_ru: "ПолучитьСписокОбщихДисков",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Google,
        params: &[],
        doc: "Every shared drive the account is a member of (all pages). A service account has no storage of its own: it backs up into a shared drive it is a member of (`drive_id`).",
        result: "array of drive JSON (`id`, `name`, …)",
        handler: handler!(get_shared_drives),
    },
    Method {
        module: MODULE,
        name: "UploadDirectory",
        name_ru: "ЗагрузитьКаталог",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Google,
        params: &[
            Param::string("local_dir", "The local folder to upload (recursively).").required(),
            FOLDER_ID,
            DRIVE_ID,
            Param::boolean("overwrite", "false", "Replace remote files whose content differs (a new version of the same file); without it they are reported in `errors`."),
            Param::boolean("skip_unchanged", "true", "Skip files whose size and recorded modification time (appProperties) are unchanged without reading them, and files whose size and sha256Checksum (md5Checksum where Drive reports no sha256) are the same (then the new time is recorded)."),
        ],
        doc: "Uploads a folder tree into a Drive folder, making subfolders by name, up to transfers.concurrency files at once. A problem with one file (a conflict, an unreadable file) is reported in `errors` and the rest goes on; a refused token, a quota or an unreachable service stops the call.",
        result: "`{\"uploaded\", \"skipped\", \"bytes\", \"errors\": [{\"path\", \"code\", \"message\"}]}`",
        handler: handler!(upload_directory),
    },
    Method {
        module: MODULE,
        name: "DownloadDirectory",
        name_ru: "СкачатьКаталог",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Google,
        params: &[
            Param::string("folder_id", "The Drive folder to download (recursively); with `drive_id` alone, the whole shared drive."),
            Param::string("local_dir", "The local folder to write into (created when missing).").required(),
            DRIVE_ID,
        ],
        doc: "Downloads a folder tree, up to transfers.concurrency files at once, every file verified. No remote name can make a write land outside local_dir: such names are refused in `errors` and the rest goes on, as are Google documents (ExportFile exports them); files whose sha256 already matches (md5 where Drive reports no sha256) are skipped; part files of an earlier, killed run are removed.",
        result: "`{\"downloaded\", \"skipped\", \"bytes\", \"errors\": [{\"path\", \"code\", \"message\"}]}`",
        handler: handler!(download_directory),
    },
];
