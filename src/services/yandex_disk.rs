//! Yandex Disk REST API (api-protocols.md §2): OPI's eighteen functions and the new ones. Every
//! mutation handles 201, 204 and 202 (polling the operation when `wait`); uploads PUT the raw
//! bytes streamed from the file to the upload link with no Authorization header and confirm size
//! and md5 against the stored resource; downloads stream into a temporary file, resume after a
//! broken connection and replace the target only after size, md5 and sha256 match.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};
use url::Url;

use crate::call::Call;
use crate::error::{Error, ErrorCode, Result, Service};
use crate::http::{self, Request};
use crate::log::Level;
use crate::progress::Progress;
use crate::registry::{Auth, Method, Origin, Param};
use crate::services::handler;
use crate::transfer::{self, Checksums, Expected, Sink, Source, DATA, FILE, SAVE_PATH};

const MODULE: &str = "YandexDisk";
const SERVICE: Service = Service::YandexDisk;
/// Items per page when the library walks a folder or a list to its end.
const PAGE: u64 = 100;

const PATH: Param = Param::string("path", "Path on the Disk: disk:/…, app:/…, trash:/… or /….")
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
    handler: crate::registry::Handler,
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

pub const METHODS: &[Method] = &[
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
        "Downloads a file, streamed and verified against the size, md5 and sha256 the Disk reports; resumed after a broken connection.",
        "with save_path `{\"path\", \"size\", \"md5\", \"sha256\"}`; without `{\"data_base64\", \"size\", \"md5\", \"sha256\"}`",
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
        "Uploads a file: the raw bytes are streamed to the upload link with no Authorization header, then the stored size and md5 are confirmed. A broken upload is checked (did it arrive whole?) before it is sent again with a fresh link.",
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
            Param::boolean("skip_unchanged", "true", "Skip files whose md5 equals the remote one, so a repeated backup sends only what changed."),
        ],
        "Uploads a folder tree. A problem with one file (a conflict, an unreadable file) is reported in `errors` and the rest goes on; a refused token or an unreachable service stops the call.",
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
        "Downloads a folder tree, every file verified. No remote name can make a write land outside local_dir: such names (`..`, separators, NUL, names invalid on Windows when on Windows) are refused in `errors` and the rest goes on; files whose md5 already matches are skipped.",
        "`{\"downloaded\", \"skipped\", \"bytes\", \"errors\": [{\"path\", \"code\", \"message\"}]}`",
        handler!(download_directory),
    ),
];

// ---------------------------------------------------------------------------------------------
// Plumbing: paths, requests, answers, operations.

/// Canonical Disk path: explicit schemes are kept; a bare path is rooted at `disk:/`, which
/// also keeps names with `:` unambiguous (yadisk issue #26).
pub fn disk_path(raw: &str) -> String {
    for scheme in ["disk:", "app:", "trash:", "photounlim:"] {
        if raw.starts_with(scheme) {
            return raw.to_string();
        }
    }
    if raw.starts_with('/') {
        format!("disk:{raw}")
    } else {
        format!("disk:/{raw}")
    }
}

fn api_request(call: &Call, method: reqwest::Method, path: &str, query: &[(&str, String)]) -> Result<Request> {
    let mut url = http::url(&call.endpoint("yandex_disk"), &format!("/v1/disk{path}"))?;
    {
        let mut pairs = url.query_pairs_mut();
        for (key, value) in query {
            pairs.append_pair(key, value);
        }
    }
    if url.query() == Some("") {
        url.set_query(None);
    }
    let request = match method {
        reqwest::Method::GET => Request::get(SERVICE, url),
        reqwest::Method::PUT => Request::put(SERVICE, url),
        reqwest::Method::DELETE => Request::delete(SERVICE, url),
        _ => Request::post(SERVICE, url),
    };
    Ok(if call.auth.is_some() {
        request.authorized()
    } else {
        request
    })
}

/// Query pairs of the optional parameters the call was given.
fn optional_query(call: &Call, pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    pairs
        .iter()
        .filter_map(|(name, key)| {
            call.args.value(key).map(|value| match value {
                Value::String(text) => (*name, text.clone()),
                other => (*name, other.to_string()),
            })
        })
        .collect()
}

async fn get(call: &Call, path: &str, query: &[(&str, String)]) -> Result<Value> {
    http::send_json(call, &api_request(call, reqwest::Method::GET, path, query)?).await
}

async fn resource(call: &Call, path: &str) -> Result<Value> {
    let mut query = vec![("path", path.to_string())];
    query.extend(optional_query(call, &[("fields", "fields")]));
    get(call, "/resources", &query).await
}

/// The resource at `path`, or None when the Disk says it does not exist.
async fn resource_if_any(call: &Call, path: &str, fields: &str) -> Result<Option<Value>> {
    match get(
        call,
        "/resources",
        &[("path", path.to_string()), ("fields", fields.to_string())],
    )
    .await
    {
        Ok(found) => Ok(Some(found)),
        Err(error) if error.code == ErrorCode::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// How a mutation ended: done at once (201/200/204), with the Link of the answer if any, or
/// asynchronously with an operation link that is returned when the caller does not wait.
enum Mutation {
    Done(Option<Value>),
    Pending(Value),
}

async fn mutate(call: &Call, request: Request, wait: bool) -> Result<Mutation> {
    let response = http::send(call, &request).await?;
    if response.status >= 400 {
        return Err(http::status_error(SERVICE, &response));
    }
    let body = response.json(SERVICE)?;
    if response.status != 202 {
        return Ok(Mutation::Done(Some(body).filter(|b| b.get("href").is_some())));
    }
    let Some(href) = body.get("href").and_then(Value::as_str) else {
        return Ok(Mutation::Done(None));
    };
    if !wait {
        return Ok(Mutation::Pending(body.clone()));
    }
    wait_for_operation(call, href).await?;
    Ok(Mutation::Done(None))
}

/// The `path` a resource Link points at (`…/v1/disk/resources?path=disk%3A%2Fa`).
fn linked_path(link: &Option<Value>) -> Option<String> {
    let href = link.as_ref()?.get("href")?.as_str()?;
    let url = Url::parse(href).ok()?;
    let path = url
        .query_pairs()
        .find(|(key, _)| key == "path")
        .map(|(_, value)| value.into_owned());
    path
}

/// The operation id of an id or an operation href.
fn operation_id(operation: &str) -> String {
    let without_query = operation.split(['?', '#']).next().unwrap_or(operation);
    without_query
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(without_query)
        .to_string()
}

/// Polls an operation until it succeeds (Ok), fails (`operation_failed`) or outlasts
/// transfers.operation_timeout_s (`timeout`); the interval grows from 0.2 s to 2 s.
async fn wait_for_operation(call: &Call, operation: &str) -> Result<()> {
    let id = operation_id(operation);
    let limit = Duration::from_secs_f64(call.config.transfers.operation_timeout_s);
    let started = Instant::now();
    let mut interval = Duration::from_millis(200);
    loop {
        let state = get(call, &format!("/operations/{id}"), &[]).await?;
        match state.get("status").and_then(Value::as_str) {
            Some("success") => return Ok(()),
            Some("failed" | "failure") => {
                return Err(Error::new(
                    ErrorCode::OperationFailed,
                    format!("Yandex Disk operation {id} failed (the service gives no reason)"),
                )
                .with_service(SERVICE))
            }
            _ => {}
        }
        if started.elapsed() >= limit {
            return Err(Error::new(
                ErrorCode::Timeout,
                format!(
                    "operation {id} is still in progress after {} s: poll it with GetOperationStatus",
                    limit.as_secs()
                ),
            ));
        }
        call.progress.sleep(interval).await?;
        interval = (interval * 2).min(Duration::from_secs(2));
    }
}

/// The answer of a mutation that leaves a resource behind: its JSON (or the operation link).
async fn resource_after(call: &Call, mutation: Mutation, fallback_path: &str) -> Result<Value> {
    match mutation {
        Mutation::Pending(link) => Ok(link),
        Mutation::Done(link) => resource(call, &linked_path(&link).unwrap_or_else(|| fallback_path.to_string())).await,
    }
}

fn after_removal(mutation: Mutation) -> Value {
    match mutation {
        Mutation::Pending(link) => link,
        Mutation::Done(_) => json!({}),
    }
}

// ---------------------------------------------------------------------------------------------
// Metadata and mutations.

async fn get_disk_information(call: Call) -> Result<Value> {
    get(&call, "/", &optional_query(&call, &[("fields", "fields")])).await
}

async fn create_folder(call: Call) -> Result<Value> {
    let path = disk_path(call.args.str("path")?);
    if call.args.bool("parents") {
        make_folders(&call, &path).await?;
        return resource(&call, &path).await;
    }
    make_folder(&call, &path, false).await?;
    resource(&call, &path).await
}

/// Creates a folder and every missing parent (`mkdir -p`).
async fn make_folders(call: &Call, path: &str) -> Result<()> {
    let (scheme, rest) = path.split_once(":/").unwrap_or(("disk", path));
    let mut current = format!("{scheme}:");
    for part in rest.split('/').filter(|p| !p.is_empty()) {
        current = format!("{current}/{part}");
        make_folder(call, &current, true).await?;
    }
    Ok(())
}

/// PUT /resources; with `existing_ok`, a folder that is already there is fine.
async fn make_folder(call: &Call, path: &str, existing_ok: bool) -> Result<()> {
    let request = api_request(call, reqwest::Method::PUT, "/resources", &[("path", path.to_string())])?;
    match http::send_json(call, &request).await {
        Ok(_) => Ok(()),
        Err(error)
            if existing_ok
                && error.code == ErrorCode::Conflict
                && error
                    .upstream
                    .as_ref()
                    .and_then(|u| u.get("error"))
                    .and_then(Value::as_str)
                    == Some("DiskPathPointsToExistentDirectoryError") =>
        {
            Ok(())
        }
        Err(error) => Err(error),
    }
}

async fn get_object(call: Call) -> Result<Value> {
    let mut query = vec![("path", disk_path(call.args.str("path")?))];
    query.extend(optional_query(
        &call,
        &[
            ("limit", "limit"),
            ("offset", "offset"),
            ("sort", "sort"),
            ("fields", "fields"),
        ],
    ));
    get(&call, "/resources", &query).await
}

/// Every item of a folder, page by page.
async fn folder_items(
    call: &Call,
    path: &str,
    sort: Option<&str>,
    fields: Option<&str>,
) -> Result<(Vec<Value>, String)> {
    let mut items = Vec::new();
    let mut canonical = path.to_string();
    loop {
        let mut query = vec![
            ("path", path.to_string()),
            ("limit", PAGE.to_string()),
            ("offset", items.len().to_string()),
        ];
        if let Some(sort) = sort {
            query.push(("sort", sort.to_string()));
        }
        if let Some(fields) = fields {
            query.push(("fields", fields.to_string()));
        }
        let page = get(call, "/resources", &query).await?;
        let Some(embedded) = page.get("_embedded") else {
            return Err(Error::invalid_params(format!("{path} is a file, not a folder")));
        };
        if let Some(path) = page.get("path").and_then(Value::as_str) {
            canonical = path.to_string();
        }
        let batch = embedded
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let total = embedded.get("total").and_then(Value::as_u64).unwrap_or(0);
        let count = batch.len() as u64;
        items.extend(batch);
        if count < PAGE || items.len() as u64 >= total {
            return Ok((items, canonical));
        }
    }
}

async fn get_folder_items(call: Call) -> Result<Value> {
    let (items, path) = folder_items(
        &call,
        &disk_path(call.args.str("path")?),
        call.args.opt_str("sort"),
        None,
    )
    .await?;
    Ok(json!({"path": path, "total": items.len(), "items": items}))
}

async fn delete_object(call: Call) -> Result<Value> {
    let query = [
        ("path", disk_path(call.args.str("path")?)),
        ("permanently", (!call.args.bool("to_trash")).to_string()),
    ];
    let request = api_request(&call, reqwest::Method::DELETE, "/resources", &query)?;
    Ok(after_removal(mutate(&call, request, call.args.bool("wait")).await?))
}

async fn copy_or_move(call: Call, action: &str) -> Result<Value> {
    let to = disk_path(call.args.str("to")?);
    let query = [
        ("from", disk_path(call.args.str("from")?)),
        ("path", to.clone()),
        ("overwrite", call.args.bool("overwrite").to_string()),
    ];
    let request = api_request(&call, reqwest::Method::POST, &format!("/resources/{action}"), &query)?;
    let mutation = mutate(&call, request, call.args.bool("wait")).await?;
    resource_after(&call, mutation, &to).await
}

async fn create_object_copy(call: Call) -> Result<Value> {
    copy_or_move(call, "copy").await
}

async fn move_object(call: Call) -> Result<Value> {
    copy_or_move(call, "move").await
}

async fn get_download_link(call: Call) -> Result<Value> {
    get(
        &call,
        "/resources/download",
        &[("path", disk_path(call.args.str("path")?))],
    )
    .await
}

/// The upload link, asked for with transfers.upload_link_user_agent when configured: the rate
/// of the upload is fixed when the link is issued, by the agent that asked (peers.md).
async fn upload_link(call: &Call, path: &str, overwrite: bool) -> Result<Value> {
    let mut request = api_request(
        call,
        reqwest::Method::GET,
        "/resources/upload",
        &[("path", path.to_string()), ("overwrite", overwrite.to_string())],
    )?;
    if let Some(agent) = &call.config.transfers.upload_link_user_agent {
        request = request.header("user-agent", agent.clone());
    }
    http::send_json(call, &request).await
}

async fn get_file_upload_link(call: Call) -> Result<Value> {
    upload_link(&call, &disk_path(call.args.str("path")?), call.args.bool("overwrite")).await
}

async fn get_files_list(call: Call) -> Result<Value> {
    let path = if call.args.bool("sort_by_date") {
        "/resources/last-uploaded"
    } else {
        "/resources/files"
    };
    let query = optional_query(
        &call,
        &[("limit", "limit"), ("offset", "offset"), ("media_type", "media_type")],
    );
    get(&call, path, &query).await
}

async fn upload_file_by_url(call: Call) -> Result<Value> {
    let path = disk_path(call.args.str("path")?);
    let query = [("url", call.args.str("url")?.to_string()), ("path", path.clone())];
    // A POST, sent once: Yandex fetches the URL itself and does not retry (api-protocols.md §2.3).
    let request = api_request(&call, reqwest::Method::POST, "/resources/upload", &query)?;
    let mutation = mutate(&call, request, call.args.bool("wait")).await?;
    resource_after(&call, mutation, &path).await
}

async fn publish_object(call: Call) -> Result<Value> {
    publication(call, "publish").await
}

async fn cancel_object_publication(call: Call) -> Result<Value> {
    publication(call, "unpublish").await
}

async fn publication(call: Call, action: &str) -> Result<Value> {
    let path = disk_path(call.args.str("path")?);
    let request = api_request(
        &call,
        reqwest::Method::PUT,
        &format!("/resources/{action}"),
        &[("path", path.clone())],
    )?;
    http::send_json(&call, &request).await?;
    resource(&call, &path).await
}

async fn get_published_objects_list(call: Call) -> Result<Value> {
    get(
        &call,
        "/resources/public",
        &optional_query(&call, &[("limit", "limit"), ("offset", "offset")]),
    )
    .await
}

async fn get_public_object(call: Call) -> Result<Value> {
    let mut query = vec![("public_key", call.args.str("url")?.to_string())];
    query.extend(optional_query(
        &call,
        &[("path", "path"), ("limit", "limit"), ("offset", "offset")],
    ));
    get(&call, "/public/resources", &query).await
}

async fn get_download_link_for_public_object(call: Call) -> Result<Value> {
    let mut query = vec![("public_key", call.args.str("url")?.to_string())];
    query.extend(optional_query(&call, &[("path", "path")]));
    get(&call, "/public/resources/download", &query).await
}

async fn save_public_object_to_disk(call: Call) -> Result<Value> {
    let mut query = vec![("public_key", call.args.str("url")?.to_string())];
    query.extend(optional_query(&call, &[("path", "from")]));
    if let Some(to) = call.args.opt_str("to") {
        query.push(("save_path", disk_path(to)));
    }
    // An asynchronous save does not say where the copy went (a name clash renames it), so the
    // folder is listed before and after to find the new item.
    let folder = call
        .args
        .opt_str("to")
        .map(disk_path)
        .unwrap_or_else(|| DOWNLOADS.to_string());
    let before = names_in(&call, &folder).await?;
    let request = api_request(&call, reqwest::Method::POST, "/public/resources/save-to-disk", &query)?;
    match mutate(&call, request, call.args.bool("wait")).await? {
        Mutation::Pending(link) => Ok(link),
        Mutation::Done(link) => match linked_path(&link) {
            Some(path) => resource(&call, &path).await,
            None => {
                let after = names_in(&call, &folder).await?;
                match after.difference(&before).next() {
                    Some(name) => resource(&call, &format!("{}/{name}", folder.trim_end_matches('/'))).await,
                    None => Err(invalid_answer("a finished save whose copy cannot be found")),
                }
            }
        },
    }
}

/// Where Yandex Disk saves public resources unless told otherwise.
const DOWNLOADS: &str = "disk:/Загрузки";

/// The names in a folder; none when it does not exist (yet).
async fn names_in(call: &Call, folder: &str) -> Result<HashSet<String>> {
    match folder_items(call, folder, None, Some("_embedded.items.name,_embedded.total,path")).await {
        Ok((items, _)) => Ok(items
            .iter()
            .filter_map(|item| item.get("name").and_then(Value::as_str).map(String::from))
            .collect()),
        Err(error) if error.code == ErrorCode::NotFound => Ok(HashSet::new()),
        Err(error) => Err(error),
    }
}

async fn get_operation_status(call: Call) -> Result<Value> {
    get(
        &call,
        &format!("/operations/{}", operation_id(call.args.str("operation")?)),
        &[],
    )
    .await
}

async fn get_trash_list(call: Call) -> Result<Value> {
    let mut query = vec![("path", call.args.opt_str("path").unwrap_or("trash:/").to_string())];
    query.extend(optional_query(
        &call,
        &[
            ("limit", "limit"),
            ("offset", "offset"),
            ("sort", "sort"),
            ("fields", "fields"),
        ],
    ));
    get(&call, "/trash/resources", &query).await
}

async fn restore_from_trash(call: Call) -> Result<Value> {
    let path = call.args.str("path")?.to_string();
    // Where it goes back to: its origin, or `name` (a new name, or a full path).
    let item = get(
        &call,
        "/trash/resources",
        &[("path", path.clone()), ("fields", "origin_path".into())],
    )
    .await?;
    let origin = item
        .get("origin_path")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let target = match call.args.opt_str("name") {
        Some(name) if name.contains('/') => disk_path(name),
        Some(name) => match origin.rsplit_once('/') {
            Some((parent, _)) => format!("{parent}/{name}"),
            None => disk_path(name),
        },
        None => origin,
    };
    let mut query = vec![("path", path), ("overwrite", call.args.bool("overwrite").to_string())];
    query.extend(optional_query(&call, &[("name", "name")]));
    let request = api_request(&call, reqwest::Method::PUT, "/trash/resources/restore", &query)?;
    let mutation = mutate(&call, request, call.args.bool("wait")).await?;
    resource_after(&call, mutation, &target).await
}

async fn clear_trash(call: Call) -> Result<Value> {
    let query = optional_query(&call, &[("path", "path")]);
    let request = api_request(&call, reqwest::Method::DELETE, "/trash/resources", &query)?;
    Ok(after_removal(mutate(&call, request, call.args.bool("wait")).await?))
}

// ---------------------------------------------------------------------------------------------
// Transfers.

async fn upload_file(call: Call) -> Result<Value> {
    if let Some(chunk) = call.args.opt_u64("chunk_size") {
        if chunk < 64 * 1024 {
            return Err(Error::invalid_params("`chunk_size` must be at least 65536 bytes"));
        }
    }
    let source = Source::from_args(&call)?;
    let path = disk_path(call.args.str("path")?);
    upload(&call, &call.progress, &path, &source, call.args.bool("overwrite")).await
}

/// Uploads `source` to `path` and returns the stored resource once its size and md5 match what
/// was sent. A broken upload may still have arrived: the Disk is asked before sending again.
async fn upload(call: &Call, progress: &Progress, path: &str, source: &Source, overwrite: bool) -> Result<Value> {
    let mut attempt = 0;
    let mut local: Option<Checksums> = None;
    loop {
        attempt += 1;
        let link = upload_link(call, path, overwrite || attempt > 1 && local.is_some()).await?;
        let href = link
            .get("href")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid_answer("an upload link without href"))?;
        let href = Url::parse(href).map_err(|_| invalid_answer("an unusable upload href"))?;
        let failure = match transfer::put(call, progress, SERVICE, &href, source).await {
            Ok(uploaded) if (200..=202).contains(&uploaded.status) => {
                if uploaded.status == 202 {
                    if let Some(operation) = link.get("operation_id").and_then(Value::as_str) {
                        wait_for_operation(call, operation).await?;
                    }
                }
                return confirm_upload(call, path, &uploaded.sent).await;
            }
            Ok(uploaded) => {
                let answer = http::Response {
                    status: uploaded.status,
                    headers: Default::default(),
                    body: uploaded.body,
                };
                let error = http::status_error(SERVICE, &answer);
                // A failed upload link is not reused: a fresh one is asked for (api-protocols.md §2.4).
                if uploaded.status < 500 {
                    return Err(error);
                }
                error
            }
            Err(error) if matches!(error.code, ErrorCode::Network | ErrorCode::Timeout) => {
                let sums = match &local {
                    Some(sums) => sums.clone(),
                    None => source.checksums().await?,
                };
                if let Some(stored) = arrived_whole(call, path, &sums).await? {
                    call.log(
                        Level::Info,
                        "transfer",
                        "the upload's answer was lost, but the file arrived whole: not sent again",
                    );
                    return Ok(stored);
                }
                local = Some(sums);
                error
            }
            Err(error) => return Err(error),
        };
        if attempt >= call.config.retries.max_attempts {
            return Err(failure);
        }
        let wait = http::backoff(&call.config, attempt);
        call.log(
            Level::Warn,
            "transfer",
            &format!(
                "upload failed ({}); again with a new link in {:.1} s",
                failure.message,
                wait.as_secs_f64()
            ),
        );
        progress.sleep(wait).await?;
    }
}

fn invalid_answer(what: &str) -> Error {
    Error::new(ErrorCode::InvalidResponse, format!("Yandex Disk answered {what}")).with_service(SERVICE)
}

/// The stored resource, if it matches `sums` (a broken upload that arrived anyway).
async fn arrived_whole(call: &Call, path: &str, sums: &Checksums) -> Result<Option<Value>> {
    let Some(stored) = resource_if_any(call, path, "type,size,md5").await? else {
        return Ok(None);
    };
    let matches = stored.get("size").and_then(Value::as_u64) == Some(sums.size)
        && stored
            .get("md5")
            .and_then(Value::as_str)
            .is_some_and(|md5| md5.eq_ignore_ascii_case(&sums.md5));
    if matches {
        resource(call, path).await.map(Some)
    } else {
        Ok(None)
    }
}

/// Reads the stored resource back and checks its size and md5 against what was sent. The md5
/// may lag behind the upload for a moment (rclone waits for it too), so it is asked again.
async fn confirm_upload(call: &Call, path: &str, sent: &transfer::Sent) -> Result<Value> {
    let mut waited = Duration::ZERO;
    loop {
        let stored = get(call, "/resources", &[("path", path.to_string())]).await?;
        let size = stored.get("size").and_then(Value::as_u64);
        match stored.get("md5").and_then(Value::as_str) {
            Some(md5) if size == Some(sent.size) && md5.eq_ignore_ascii_case(&sent.md5) => return Ok(stored),
            Some(md5) => {
                return Err(Error::new(
                    ErrorCode::ChecksumMismatch,
                    format!(
                        "the Disk stored {} bytes with md5 {md5}, but {} bytes with md5 {} were sent",
                        size.unwrap_or(0),
                        sent.size,
                        sent.md5
                    ),
                )
                .with_service(SERVICE))
            }
            None if waited < Duration::from_secs(10) => {
                call.progress.sleep(Duration::from_millis(500)).await?;
                waited += Duration::from_millis(500);
            }
            None => return Err(invalid_answer("a stored file without md5")),
        }
    }
}

/// What a file's resource says it holds.
fn expected_of(resource: &Value) -> Expected {
    Expected {
        size: resource.get("size").and_then(Value::as_u64),
        md5: resource.get("md5").and_then(Value::as_str).map(String::from),
        sha256: resource.get("sha256").and_then(Value::as_str).map(String::from),
    }
}

async fn download_file(call: Call) -> Result<Value> {
    let path = disk_path(call.args.str("path")?);
    let meta = get(
        &call,
        "/resources",
        &[("path", path.clone()), ("fields", "type,size,md5,sha256".into())],
    )
    .await?;
    if meta.get("type").and_then(Value::as_str) == Some("dir") {
        return Err(Error::invalid_params(format!(
            "{path} is a folder: use DownloadDirectory"
        )));
    }
    let expected = expected_of(&meta);
    match call.args.opt_str("save_path") {
        Some(save_path) => {
            let target = PathBuf::from(save_path);
            let sums = download(&call, &call.progress, &path, &expected, Sink::File(target.clone()))
                .await?
                .checksums;
            let shown = std::path::absolute(&target).unwrap_or(target);
            Ok(json!({"path": shown.to_string_lossy(), "size": sums.size, "md5": sums.md5, "sha256": sums.sha256}))
        }
        None => {
            let downloaded = download(&call, &call.progress, &path, &expected, Sink::Memory).await?;
            let data = base64::engine::general_purpose::STANDARD.encode(downloaded.data.unwrap_or_default());
            let sums = downloaded.checksums;
            Ok(json!({"data_base64": data, "size": sums.size, "md5": sums.md5, "sha256": sums.sha256}))
        }
    }
}

async fn download(
    call: &Call,
    progress: &Progress,
    path: &str,
    expected: &Expected,
    sink: Sink,
) -> Result<transfer::Downloaded> {
    transfer::download(call, progress, SERVICE, expected, sink, || async {
        let link = get(call, "/resources/download", &[("path", path.to_string())]).await?;
        let href = link
            .get("href")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid_answer("a download link without href"))?;
        Url::parse(href).map_err(|_| invalid_answer("an unusable download href"))
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Folder trees.

/// Whether an error concerns one file only, so the rest of the tree goes on; anything else
/// (a refused token, an unreachable service, a full Disk, a cancellation) stops the transfer.
fn concerns_one_file(error: &Error) -> bool {
    matches!(
        error.code,
        ErrorCode::UnsafePath
            | ErrorCode::Conflict
            | ErrorCode::LocalIo
            | ErrorCode::ChecksumMismatch
            | ErrorCode::NotFound
            | ErrorCode::PayloadTooLarge
            | ErrorCode::Locked
            | ErrorCode::BadRequest
    )
}

/// The running account of a folder transfer: what moved, what was skipped, the per-file
/// problems, and the progress over the whole tree.
struct TreeTally {
    moved: u64,
    skipped: u64,
    bytes: u64,
    done: u64,
    total: u64,
    errors: Vec<Value>,
}

impl TreeTally {
    fn new(total: u64, errors: Vec<Value>) -> TreeTally {
        TreeTally {
            moved: 0,
            skipped: 0,
            bytes: 0,
            done: 0,
            total,
            errors,
        }
    }

    /// Books one file: moved (`Ok(true)`), skipped as unchanged (`Ok(false)`), or a problem
    /// with that file alone; any other error stops the transfer.
    fn record(&mut self, progress: &Progress, relative: &str, size: u64, outcome: Result<bool>) -> Result<()> {
        match outcome {
            Ok(true) => {
                self.moved += 1;
                self.bytes += size;
            }
            Ok(false) => self.skipped += 1,
            Err(error) if !concerns_one_file(&error) => return Err(error),
            Err(error) => tree_error(&mut self.errors, relative, &error),
        }
        self.done += size;
        progress.report(self.done, self.total)
    }

    fn result(self, moved: &str) -> Value {
        json!({moved: self.moved, "skipped": self.skipped, "bytes": self.bytes, "errors": self.errors})
    }
}

/// A per-file problem of a folder transfer; the rest of the tree goes on.
fn tree_error(errors: &mut Vec<Value>, path: &str, error: &Error) {
    errors.push(json!({"path": path, "code": error.code.as_str(), "message": error.message}));
}

/// The files of a local tree (relative paths with `/`), sorted; symbolic links are not followed
/// (they could lead anywhere) and are reported.
fn local_files(root: &Path, errors: &mut Vec<Value>) -> Result<Vec<(String, PathBuf, u64)>> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| Error::local_io(&format!("cannot list {}", dir.display()), &e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::local_io(&format!("cannot list {}", dir.display()), &e))?;
            let path = entry.path();
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let Some(relative) = relative.to_str().map(|r| r.replace(std::path::MAIN_SEPARATOR, "/")) else {
                let error = Error::new(ErrorCode::UnsafePath, "the name is not valid UTF-8; skipped");
                tree_error(errors, &relative.to_string_lossy(), &error);
                continue;
            };
            let kind = entry
                .file_type()
                .map_err(|e| Error::local_io(&format!("cannot read {}", path.display()), &e))?;
            if kind.is_symlink() {
                tree_error(
                    errors,
                    &relative,
                    &Error::new(ErrorCode::UnsafePath, "a symbolic link; not followed"),
                );
            } else if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                files.push((relative, path, size));
            }
        }
    }
    files.sort();
    Ok(files)
}

async fn upload_directory(call: Call) -> Result<Value> {
    let local_dir = PathBuf::from(call.args.str("local_dir")?);
    if !local_dir.is_dir() {
        return Err(Error::new(
            ErrorCode::LocalIo,
            format!("{} is not a folder", local_dir.display()),
        ));
    }
    let root = disk_path(call.args.str("path")?);
    let (overwrite, skip_unchanged) = (call.args.bool("overwrite"), call.args.bool("skip_unchanged"));
    let mut errors = Vec::new();
    let files = local_files(&local_dir, &mut errors)?;
    let mut tally = TreeTally::new(files.iter().map(|(_, _, size)| size).sum(), errors);
    // Remote folders known to exist, with their files' md5 and size.
    let mut remote: HashMap<String, RemoteFiles> = HashMap::new();
    for (relative, local_path, size) in files {
        call.progress.check()?;
        let (folder, name) = match relative.rsplit_once('/') {
            Some((dir, name)) => (format!("{}/{dir}", root.trim_end_matches('/')), name.to_string()),
            None => (root.trim_end_matches('/').to_string(), relative.clone()),
        };
        let outcome = async {
            if !remote.contains_key(&folder) {
                let listing = remote_folder(&call, &folder).await?;
                remote.insert(folder.clone(), listing);
            }
            let remote_file = remote.get(&folder).and_then(|files| files.get(&name)).cloned();
            let source = Source::file(&local_path)?;
            if let Some((remote_md5, remote_size)) = &remote_file {
                let sums = source.checksums().await?;
                let same = remote_size == &Some(sums.size)
                    && remote_md5.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(&sums.md5));
                if same && skip_unchanged {
                    return Ok::<_, Error>(false);
                }
                if !same && !overwrite {
                    return Err(Error::new(
                        ErrorCode::Conflict,
                        "a different file is there already: pass overwrite=true to replace it",
                    ));
                }
            }
            let target = format!("{folder}/{name}");
            upload(
                &call,
                &call.progress.part(tally.done, tally.total),
                &target,
                &source,
                true,
            )
            .await?;
            Ok(true)
        }
        .await;
        tally.record(&call.progress, &relative, size, outcome)?;
    }
    Ok(tally.result("uploaded"))
}

/// A remote folder's files: name → (md5, size).
type RemoteFiles = HashMap<String, (Option<String>, Option<u64>)>;

/// A remote folder's files, creating the folder (and its parents) when it is missing.
async fn remote_folder(call: &Call, folder: &str) -> Result<RemoteFiles> {
    match folder_items(
        call,
        folder,
        None,
        Some("_embedded.items.name,_embedded.items.type,_embedded.items.md5,_embedded.items.size,_embedded.total,path"),
    )
    .await
    {
        Ok((items, _)) => Ok(items
            .iter()
            .filter(|item| item.get("type").and_then(Value::as_str) == Some("file"))
            .filter_map(|item| {
                let name = item.get("name")?.as_str()?.to_string();
                Some((
                    name,
                    (
                        item.get("md5").and_then(Value::as_str).map(String::from),
                        item.get("size").and_then(Value::as_u64),
                    ),
                ))
            })
            .collect()),
        Err(error) if error.code == ErrorCode::NotFound => {
            make_folders(call, folder).await?;
            Ok(HashMap::new())
        }
        Err(error) => Err(error),
    }
}

/// Whether a remote name is safe as one local path component. `windows` adds the names and
/// characters Windows forbids (device names, `<>:"|?*`, a trailing dot or space).
pub fn safe_component(name: &str, windows: bool) -> std::result::Result<(), &'static str> {
    if name.is_empty() || name == "." || name == ".." {
        return Err("an empty, `.` or `..` name");
    }
    if name.contains(['/', '\\']) {
        return Err("a path separator in the name");
    }
    if name.chars().any(|c| c == '\0' || c.is_control()) {
        return Err("a NUL or control character in the name");
    }
    if windows {
        if name.contains(['<', '>', ':', '"', '|', '?', '*']) {
            return Err("a character Windows forbids in names");
        }
        if name.ends_with(['.', ' ']) {
            return Err("a trailing dot or space, which Windows drops");
        }
        let stem = name.split('.').next().unwrap_or("").trim_end().to_ascii_uppercase();
        let reserved = ["CON", "PRN", "AUX", "NUL"].contains(&stem.as_str())
            || (stem.len() == 4
                && (stem.starts_with("COM") || stem.starts_with("LPT"))
                && stem.as_bytes()[3].is_ascii_digit()
                && stem.as_bytes()[3] != b'0');
        if reserved {
            return Err("a device name Windows reserves");
        }
    }
    Ok(())
}

/// The local path of a remote item under `local_dir`, refusing any name that could lead out.
fn local_target(local_dir: &Path, relative: &str) -> std::result::Result<PathBuf, &'static str> {
    let mut target = local_dir.to_path_buf();
    for part in relative.split('/') {
        safe_component(part, cfg!(windows))?;
        target.push(part);
    }
    // Belt and braces: nothing but normal components was added.
    let added = target
        .strip_prefix(local_dir)
        .map_err(|_| "a name that leaves the folder")?;
    if !added.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err("a name that leaves the folder");
    }
    Ok(target)
}

async fn download_directory(call: Call) -> Result<Value> {
    let root = disk_path(call.args.str("path")?);
    let local_dir = PathBuf::from(call.args.str("local_dir")?);
    std::fs::create_dir_all(&local_dir)
        .map_err(|e| Error::local_io(&format!("cannot create {}", local_dir.display()), &e))?;
    let local_root = local_dir
        .canonicalize()
        .map_err(|e| Error::local_io(&format!("cannot open {}", local_dir.display()), &e))?;
    let mut errors = Vec::new();
    // Walk the remote tree: (relative path, resource) of every file; folders are created.
    let mut files: Vec<(String, Value)> = Vec::new();
    let mut pending = vec![(root.clone(), String::new())];
    let mut seen = HashSet::new();
    while let Some((folder, prefix)) = pending.pop() {
        call.progress.check()?;
        let (items, _) = folder_items(&call, &folder, Some("name"), None).await?;
        for item in items {
            let name = item.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
            let relative = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let target = match local_target(&local_root, &relative) {
                Ok(target) => target,
                Err(why) => {
                    tree_error(
                        &mut errors,
                        &relative,
                        &Error::new(ErrorCode::UnsafePath, format!("refused: {why}")),
                    );
                    continue;
                }
            };
            if !seen.insert(target.clone()) {
                continue;
            }
            match item.get("type").and_then(Value::as_str) {
                Some("dir") => {
                    if let Some(path) = item.get("path").and_then(Value::as_str) {
                        pending.push((path.to_string(), relative));
                    }
                }
                _ => files.push((relative, item)),
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let total = files
        .iter()
        .filter_map(|(_, item)| item.get("size").and_then(Value::as_u64))
        .sum();
    let mut tally = TreeTally::new(total, errors);
    for (relative, item) in files {
        call.progress.check()?;
        let size = item.get("size").and_then(Value::as_u64).unwrap_or(0);
        let expected = expected_of(&item);
        let remote = item.get("path").and_then(Value::as_str).unwrap_or_default().to_string();
        let outcome = async {
            let target = local_target(&local_root, &relative).map_err(|why| Error::new(ErrorCode::UnsafePath, why))?;
            let parent = target.parent().unwrap_or(&local_root).to_path_buf();
            tokio::fs::create_dir_all(&parent)
                .await
                .map_err(|e| Error::local_io(&format!("cannot create {}", parent.display()), &e))?;
            // A symbolic link planted inside the folder must not redirect the write.
            let real_parent = parent
                .canonicalize()
                .map_err(|e| Error::local_io(&format!("cannot open {}", parent.display()), &e))?;
            if !real_parent.starts_with(&local_root)
                || tokio::fs::symlink_metadata(&target).await.is_ok_and(|m| m.is_symlink())
            {
                return Err(Error::new(
                    ErrorCode::UnsafePath,
                    "refused: a symbolic link would take the write elsewhere",
                ));
            }
            if let Some(existing) = transfer::local_checksums(&target).await? {
                if transfer::verify(&existing, &expected).is_ok() && expected.md5.is_some() {
                    return Ok(false);
                }
            }
            download(
                &call,
                &call.progress.part(tally.done, tally.total),
                &remote,
                &expected,
                Sink::File(target),
            )
            .await?;
            Ok(true)
        }
        .await;
        tally.record(&call.progress, &relative, size, outcome)?;
    }
    Ok(tally.result("downloaded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_get_an_explicit_scheme() {
        assert_eq!(disk_path("/a/b"), "disk:/a/b");
        assert_eq!(disk_path("a:b.txt"), "disk:/a:b.txt");
        assert_eq!(disk_path("app:/backup"), "app:/backup");
        assert_eq!(disk_path("trash:/x_1"), "trash:/x_1");
        assert_eq!(disk_path("disk:/x"), "disk:/x");
    }

    #[test]
    fn operation_ids_come_from_ids_or_hrefs() {
        assert_eq!(operation_id("abc"), "abc");
        assert_eq!(
            operation_id("https://cloud-api.yandex.net/v1/disk/operations/abc?x=1"),
            "abc"
        );
    }

    #[test]
    fn unsafe_names_are_refused() {
        for name in ["", ".", "..", "a/b", "a\\b", "a\0b", "tab\there"] {
            assert!(safe_component(name, false).is_err(), "{name:?}");
        }
        for name in ["отчёт 2024.txt", "a:b", "what?.txt", "100% + #1"] {
            assert!(safe_component(name, false).is_ok(), "{name:?}");
        }
        for name in ["a:b", "what?.txt", "CON", "con.txt", "LPT1", "trailing.", "trailing "] {
            assert!(safe_component(name, true).is_err(), "{name:?} on Windows");
        }
        assert!(safe_component("COM0", true).is_ok());
        assert!(safe_component("CONSOLE.txt", true).is_ok());
    }

    #[test]
    fn targets_stay_inside_the_folder() {
        let root = Path::new("/tmp/root");
        assert_eq!(local_target(root, "a/b.txt").unwrap(), Path::new("/tmp/root/a/b.txt"));
        for bad in ["../x", "a/../../b", "/etc/passwd", "a//b", ""] {
            assert!(local_target(root, bad).is_err(), "{bad:?}");
        }
    }
}
