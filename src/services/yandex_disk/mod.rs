//! Yandex Disk REST API (docs/protocols.md §2): OPI's nineteen functions and the new ones. Every
//! mutation handles 201, 204 and 202 (polling the operation when `wait`); uploads PUT the raw
//! bytes streamed from the file to the upload link with no Authorization header and confirm size
//! and sha256 against the stored resource; downloads stream into a part file (over several
//! ranged connections for a large file), resume after a broken connection and replace the target
//! only after size and sha256 match (md5 only for a file the Disk reports no sha256 for).
//!
//! Here: the registry declarations. `profile` says how the Disk answers, `api` holds the request
//! plumbing (paths, mutations, operations, listings), `resources` the metadata and mutation
//! methods, `transfers` the uploads and downloads, `folders` the folder trees.

mod api;
mod folders;
mod profile;
mod resources;
mod transfers;

use folders::*;
use resources::*;
use transfers::*;

use crate::schema::{handler, Auth, Handler, Method, Origin, Param};
use crate::services::params::{DATA, FILE, SAVE_PATH};

pub(crate) use profile::ENDPOINT;

const MODULE: &str = "YandexDisk";

const PATH: Param = Param::string(
    "path",
    "Path on the Disk: disk:/…, app:/…, trash:/… or /…; never empty (the root is `/` or `disk:/`).",
)
.opi("Path", "Путь", "path")
.required();
const OVERWRITE: Param = Param::boolean("overwrite", "false", "Replace what is there already.").opi(
    "Overwrite",
    "Перезаписывать",
    "rewrite",
);
const WAIT: Param = Param::boolean(
    "wait",
    "true",
    "Poll an asynchronous (202) operation to its end (timeout: transfers.operation_timeout_s) instead of returning the operation link.",
);
const FIELDS: Param = Param::string(
    "fields",
    "Keep only these keys of the answer, comma-separated, dot paths allowed (`name,_embedded.items.path`).",
);
const LIMIT: Param =
    Param::integer("limit", "How many items (the service's default is 20).").opi("Count", "Количество", "amount");
const OFFSET: Param =
    Param::integer("offset", "Skip this many items.").opi("OffsetFromStart", "СмещениеОтНачала", "offset");
const SORT: Param = Param::string(
    "sort",
    "Sort by name, path, created, modified or size; a leading - sorts descending.",
);
const FROM: Param = Param::string("from", "The source path.")
    .opi("Original", "Оригинал", "from")
    .required();
const TO: Param = Param::string("to", "The target path.")
    .opi("Path", "Путь", "to")
    .required();
const PUBLIC_URL: Param = Param::string("url", "The public key or public URL of the resource.")
    .opi("URL", "URL", "url")
    .required();
const PUBLIC_PATH: Param =
    Param::string("path", "A path inside a public folder, relative to it (`/file.txt`).").opi("Path", "Путь", "path");

/// Registry entry of a Disk method; most take the token and differ only in these fields.
const fn method(
    name: &'static str,
    name_ru: &'static str,
    origin: Origin,
    params: &'static [Param],
    doc: &'static str,
    result: &'static str,
    handler: Handler,
) -> Method {
    Method {
        module: MODULE,
        name,
        name_ru,
        aliases: &[],
        origin,
        auth: Auth::Yandex,
        params,
        doc,
        result,
        handler,
    }
}

pub(crate) const METHODS: &[Method] = &[
    method(
        "GetDiskInformation",
        "ПолучитьИнформациюОДиске",
        Origin::Opi,
        &[FIELDS],
        "Space, limits, system folders and the owner of the Disk.",
        "Disk JSON: `{\"total_space\", \"used_space\", \"trash_size\", \"max_file_size\", \"user\", ...}`",
        handler!(get_disk_information),
    ),
    method(
        "CreateFolder",
        "СоздатьПапку",
        Origin::Opi,
        &[PATH, Param::boolean("parents", "false", "Create missing parent folders too (and accept an existing folder).")],
        "Creates a folder.",
        "resource JSON of the folder",
        handler!(create_folder),
    ),
    method(
        "GetObject",
        "ПолучитьОбъект",
        Origin::Opi,
        &[PATH, LIMIT, OFFSET, SORT, FIELDS],
        "Metadata of a file or folder; a folder lists one page of its items in `_embedded`.",
        "resource JSON",
        handler!(get_object),
    ),
    method(
        "GetFolderItems",
        "ПолучитьЭлементыПапки",
        Origin::New,
        &[PATH, SORT],
        "Every item of a folder, fetching all pages.",
        "`{\"path\", \"total\", \"items\": [resource, ...]}`",
        handler!(get_folder_items),
    ),
    method(
        "DeleteObject",
        "УдалитьОбъект",
        Origin::Opi,
        &[PATH, Param::boolean("to_trash", "true", "Move to the Trash; false deletes for good.").opi("ToCart", "ВКорзину", "can"), WAIT],
        "Deletes a file or folder.",
        "`{}` once deleted (the operation link when `wait` is false and the service works asynchronously)",
        handler!(delete_object),
    ),
    method(
        "CreateObjectCopy",
        "СоздатьКопиюОбъекта",
        Origin::Opi,
        &[FROM, TO, OVERWRITE, WAIT],
        "Copies a file or folder.",
        "resource JSON of the copy",
        handler!(create_object_copy),
    ),
    method(
        "GetDownloadLink",
        "ПолучитьСсылкуДляСкачивания",
        Origin::Opi,
        &[PATH],
        "A signed link to download a file (no token needed to GET it).",
        "Link JSON: `{\"href\", \"method\", \"templated\"}`",
        handler!(get_download_link),
    ),
    method(
        "GetFileUploadLink",
        "ПолучитьСсылкуЗагрузкиФайла",
        Origin::Opi,
        &[PATH, OVERWRITE],
        "A signed link to PUT a file's bytes to (no token needed).",
        "Link JSON: `{\"operation_id\", \"href\", \"method\", \"templated\"}`",
        handler!(get_file_upload_link),
    ),
    method(
        "DownloadFile",
        "СкачатьФайл",
        Origin::Opi,
        &[PATH, SAVE_PATH],
        "Downloads a file, streamed and verified against the size and sha256 the Disk reports (md5 only where it reports no sha256); resumed after a broken connection. A file from transfers.parallel_threshold_bytes up goes to a save_path over transfers.download_streams ranged connections.",
        "with save_path `{\"path\", \"size\", \"sha256\", \"md5\"?}`; without `{\"data_base64\", \"size\", \"sha256\", \"md5\"?}` (`md5` when known: the Disk's, or computed where it reports no sha256)",
        handler!(download_file),
    ),
    method(
        "GetFilesList",
        "ПолучитьСписокФайлов",
        Origin::Opi,
        &[
            LIMIT,
            OFFSET,
            Param::string("media_type", "Only these media types, comma-separated (image, document, video, ...).").opi(
                "FilterByType",
                "ОтборПоТипу",
                "type",
            ),
            Param::boolean("sort_by_date", "false", "Newest uploads first (the last-uploaded list).").opi(
                "SortByDate",
                "СортироватьПоДате",
                "datesort",
            ),
        ],
        "A flat list of the files on the Disk.",
        "`{\"items\", \"limit\", \"offset\"?}`",
        handler!(get_files_list),
    ),
    method(
        "MoveObject",
        "ПереместитьОбъект",
        Origin::Opi,
        &[FROM, TO, OVERWRITE, WAIT],
        "Moves or renames a file or folder.",
        "resource JSON at the new path",
        handler!(move_object),
    ),
    method(
        "UploadFile",
        "ЗагрузитьФайл",
        Origin::Opi,
        &[PATH, FILE, DATA, OVERWRITE],
        "Uploads a file: the raw bytes are streamed to the upload link with no Authorization header, then the stored size and sha256 are confirmed (md5 where the Disk reports no sha256). A broken upload is checked (did it arrive whole?) before it is sent again with a fresh link.",
        "resource JSON of the stored file",
        handler!(upload_file),
    ),
    method(
        "UploadFileInParts",
        "ЗагрузитьФайлЧастями",
        Origin::Opi,
        &[
            PATH,
            FILE,
            DATA,
            Param::integer("chunk_size", "Read the file this many bytes at a time (OPI's part size; at least 64 KiB).")
                .opi("ChunkSize", "РазмерЧасти", "psize")
                .default("33554432"),
            OVERWRITE,
        ],
        "UploadFile for large files: the file is streamed in chunks in one PUT (Yandex documents no ranged upload), so memory stays bounded; after a broken connection the upload is confirmed or restarted with a new link.",
        "resource JSON of the stored file",
        handler!(upload_file),
    ),
    method(
        "UploadFileByURL",
        "ЗагрузитьФайлПоURL",
        Origin::Opi,
        &[PATH, Param::string("url", "The address Yandex Disk fetches the file from.").opi("Address", "Адрес", "url").required(), Param::boolean("wait", "false", "Wait until the file is fetched and return its resource JSON.")],
        "Makes Yandex Disk fetch a file from the Internet (sent once: Yandex does not retry and neither does the library).",
        "the operation link, or the resource JSON when `wait`",
        handler!(upload_file_by_url),
    ),
    method(
        "PublishObject",
        "ОпубликоватьОбъект",
        Origin::Opi,
        &[PATH],
        "Publishes a file or folder.",
        "resource JSON with `public_key` and `public_url`",
        handler!(publish_object),
    ),
    method(
        "CancelObjectPublication",
        "ОтменитьПубликациюОбъекта",
        Origin::Opi,
        &[PATH],
        "Unpublishes a file or folder.",
        "resource JSON without the public fields",
        handler!(cancel_object_publication),
    ),
    method(
        "GetPublishedObjectsList",
        "ПолучитьСписокОпубликованныхОбъектов",
        Origin::Opi,
        &[LIMIT, OFFSET],
        "The published files and folders, newest first.",
        "`{\"items\", \"limit\", \"offset\"}`",
        handler!(get_published_objects_list),
    ),
    Method {
        auth: Auth::YandexOptional,
        ..method(
            "GetPublicObject",
            "ПолучитьПубличныйОбъект",
            Origin::Opi,
            &[PUBLIC_URL, PUBLIC_PATH, LIMIT, OFFSET],
            "Metadata of a public resource (no token needed).",
            "resource JSON",
            handler!(get_public_object),
        )
    },
    Method {
        auth: Auth::YandexOptional,
        ..method(
            "GetDownloadLinkForPublicObject",
            "ПолучитьСсылкуСкачиванияПубличногоОбъекта",
            Origin::Opi,
            &[PUBLIC_URL, PUBLIC_PATH],
            "A download link of a public file (no token needed).",
            "Link JSON",
            handler!(get_download_link_for_public_object),
        )
    },
    method(
        "SavePublicObjectToDisk",
        "СохранитьПубличныйОбъектНаДиск",
        Origin::Opi,
        &[
            PUBLIC_URL,
            Param::string("from", "A path inside a public folder: save just that.").opi("From", "Откуда", "from"),
            Param::string("to", "The folder to save into (default: Downloads).").opi("Target", "Куда", "to"),
            WAIT,
        ],
        "Saves a public file or folder to this Disk.",
        "resource JSON of the saved copy",
        handler!(save_public_object_to_disk),
    ),
    method(
        "GetOperationStatus",
        "ПолучитьСтатусОперации",
        Origin::New,
        &[Param::string("operation", "An operation id, or the operation link's href.").required()],
        "The state of an asynchronous operation.",
        "`{\"status\": \"in-progress\" | \"success\" | \"failed\"}`",
        handler!(get_operation_status),
    ),
    method(
        "GetTrashList",
        "ПолучитьСписокКорзины",
        Origin::New,
        &[Param::string("path", "A folder in the Trash (default: the Trash itself).").default("\"trash:/\""), LIMIT, OFFSET, SORT, FIELDS],
        "What is in the Trash; items carry `origin_path` and `deleted`.",
        "trash resource JSON with `_embedded.items`",
        handler!(get_trash_list),
    ),
    method(
        "RestoreFromTrash",
        "ВосстановитьИзКорзины",
        Origin::New,
        &[
            Param::string("path", "The item's path in the Trash (`trash:/name_<hash>`).").required(),
            Param::string("name", "Restore under this name (or, with a /, to this path) instead of the original one."),
            OVERWRITE,
            WAIT,
        ],
        "Restores an item from the Trash to where it was (or under `name`).",
        "resource JSON of the restored item",
        handler!(restore_from_trash),
    ),
    method(
        "ClearTrash",
        "ОчиститьКорзину",
        Origin::New,
        &[Param::string("path", "Delete only this item of the Trash; absent: empty the whole Trash."), WAIT],
        "Deletes items in the Trash for good.",
        "`{}`",
        handler!(clear_trash),
    ),
    method(
        "UploadDirectory",
        "ЗагрузитьКаталог",
        Origin::New,
        &[
            Param::string("local_dir", "The local folder to upload (recursively).").required(),
            Param::string("path", "The Disk folder to upload into (created when missing).").required(),
            Param::boolean("overwrite", "false", "Replace remote files whose content differs; without it they are reported in `errors`."),
            Param::boolean("skip_unchanged", "true", "Skip files whose size and recorded modification time (custom_properties) are unchanged without reading them, and files whose size and sha256 are the same (then the new time is recorded), so a repeated backup reads and sends only what changed."),
        ],
        "Uploads a folder tree, up to transfers.concurrency files at once. A problem with one file (a conflict, an unreadable file) is reported in `errors` and the rest goes on; a refused token or an unreachable service stops the call.",
        "`{\"uploaded\", \"skipped\", \"bytes\", \"errors\": [{\"path\", \"code\", \"message\"}]}`",
        handler!(upload_directory),
    ),
    method(
        "DownloadDirectory",
        "СкачатьКаталог",
        Origin::New,
        &[
            Param::string("path", "The Disk folder to download (recursively).").required(),
            Param::string("local_dir", "The local folder to write into (created when missing).").required(),
        ],
        "Downloads a folder tree, up to transfers.concurrency files at once, every file verified. No remote name can make a write land outside local_dir: such names (`..`, separators, NUL, names invalid on Windows when on Windows) are refused in `errors` and the rest goes on; files whose sha256 already matches are skipped; part files of an earlier, killed run are removed.",
        "`{\"downloaded\", \"skipped\", \"bytes\", \"errors\": [{\"path\", \"code\", \"message\"}]}`",
        handler!(download_directory),
    ),
];
