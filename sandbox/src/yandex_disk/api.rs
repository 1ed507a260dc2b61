//! The REST API under `/v1/disk` (docs/protocols.md §2.3), one handler per endpoint.

use axum::body::Bytes;
use axum::extract::Path as UrlPath;
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::error::{DiskError, DiskResult};
use super::mutations::{self, ClearTrash, Outcome, Remove, Restore, RestoreTo, SaveToDisk, Transfer, UploadFromUrl};
use super::paths::{self, Space};
use super::render::{Page, Scope, View};
use super::transfer::{self, UploadTarget, UPLOAD_LINK_TTL_S};
use super::tree::{Kind, Node, Publication};
use super::{
    fields, link, no_content, ok_json, operation_href, plan, resource_href, Caller, Inner, Need, OperationStatus,
    Request, APPS_FOLDER, DOWNLOADS_FOLDER, MAX_FILE_SIZE, PAID_MAX_FILE_SIZE, REG_TIME,
};
use crate::accounts;
use crate::state::AppState;
use crate::util::{html_escape, html_page, iso8601, json_response, random_bytes, random_from};

/// Most that `custom_properties` may hold, serialized. [unverified] "1024 per docs, number not
/// confirmed" (docs/protocols.md §2.3).
const MAX_CUSTOM_PROPERTIES_BYTES: usize = 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/disk", get(disk_info))
        .route("/v1/disk/", get(disk_info))
        .route(
            "/v1/disk/resources",
            get(get_resource).put(make_folder).delete(remove).patch(patch_resource),
        )
        .route("/v1/disk/resources/copy", post(copy))
        .route("/v1/disk/resources/move", post(move_resource))
        .route("/v1/disk/resources/upload", get(upload_link).post(upload_from_url))
        .route("/v1/disk/resources/download", get(download_link))
        .route("/v1/disk/resources/files", get(files))
        .route("/v1/disk/resources/last-uploaded", get(last_uploaded))
        .route("/v1/disk/resources/public", get(published))
        .route("/v1/disk/resources/publish", put(publish))
        .route("/v1/disk/resources/unpublish", put(unpublish))
        .route("/v1/disk/public/resources", get(public_resource))
        .route("/v1/disk/public/resources/download", get(public_download_link))
        .route("/v1/disk/public/resources/save-to-disk", post(save_to_disk))
        // The Java SDK posts to this one with a trailing slash.
        .route("/v1/disk/public/resources/save-to-disk/", post(save_to_disk))
        .route("/v1/disk/trash/resources", get(trash_resource).delete(clear_trash))
        .route("/v1/disk/trash/resources/restore", put(restore))
        .route("/v1/disk/operations/{id}", get(operation))
        .route_layer(middleware::from_fn(require_json))
        // The page behind `public_url` (yadi.sk/d/… for the real service).
        .route("/d/{id}", get(public_page))
}

/// 406 for an `Accept` that rules JSON out (docs/protocols.md §2.1).
async fn require_json(request: axum::extract::Request, next: Next) -> Response {
    let acceptable = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|accept| {
            accept.split(',').any(|item| {
                let media = item.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
                matches!(media.as_str(), "*/*" | "application/*" | "application/json") || media.ends_with("+json")
            })
        });
    if acceptable {
        next.run(request).await
    } else {
        DiskError::not_acceptable().into_response()
    }
}

impl Request {
    fn view<'a>(&'a self, inner: &'a Inner, uid: &'a str) -> View<'a> {
        View {
            base: &self.base,
            uid,
            link_key: &inner.link_key,
            links_expire: self.state.clock.now() + self.link_ttl(),
        }
    }

    fn respond(&self, status: StatusCode, value: Value) -> Response {
        json_response(
            status,
            "application/json; charset=utf-8",
            &fields::filter(value, self.query.fields()),
        )
    }

    /// The answer to a change: 201 + Link to the result, 204, or 202 + operation Link.
    fn outcome(&self, outcome: Outcome) -> DiskResult<Response> {
        match outcome {
            Outcome::Done(Some(path)) => {
                Ok(self.respond(StatusCode::CREATED, link(resource_href(&self.base, &path), "GET")))
            }
            Outcome::Done(None) => Ok(no_content()),
            Outcome::Deferred(id) => {
                Ok(self.respond(StatusCode::ACCEPTED, link(operation_href(&self.base, &id), "GET")))
            }
            Outcome::Failed(err) => Err(err),
        }
    }

    fn run(&self, mutation: Box<dyn mutations::Mutation>) -> DiskResult<Response> {
        let force_async = self.query.bool("force_async", false)?;
        self.outcome(mutations::run(&self.state, mutation, force_async, None))
    }

    /// A path in the Trash from query parameter `path` (`trash:/` when absent); None for the
    /// root of the Trash. Only a token with rights on all of Disk reaches the Trash.
    fn trash_key(&self, caller: &Caller, need: Need) -> DiskResult<Option<String>> {
        if !caller.whole_disk(need) {
            return Err(DiskError::forbidden());
        }
        let raw = self.query.get("path").unwrap_or("trash:/");
        let location = paths::resolve("path", raw, &caller.app_root, Space::Trash)?;
        if location.space != Space::Trash {
            return Err(DiskError::not_found());
        }
        Ok((location.key != "/").then_some(location.key))
    }

    /// Files of the caller's Disk (only its app folder for an app-folder token), filtered by the
    /// comma-separated `media_type`.
    fn files<'a>(&self, caller: &Caller, inner: &'a Inner) -> DiskResult<Vec<(&'a String, &'a Node)>> {
        if !caller.whole_disk(Need::Read) && !caller.has("cloud_api:disk.app_folder") {
            return Err(DiskError::forbidden());
        }
        let media_types: Option<Vec<&str>> = self
            .query
            .get("media_type")
            .map(|m| m.split(',').map(str::trim).collect());
        let user = inner.user(&caller.uid)?;
        Ok(user
            .disk
            .iter()
            .filter(|(key, node)| node.file().is_some() && caller.may(Need::Read, key))
            .filter(|(key, _)| {
                media_types
                    .as_ref()
                    .is_none_or(|types| types.contains(&super::media::guess(paths::name(key)).1))
            })
            .collect())
    }
}

/// `GET /v1/disk`: Disk info with space that tracks what is stored (docs/protocols.md §2.2).
async fn disk_info(req: Request) -> DiskResult<Response> {
    let caller = req.caller()?;
    if !caller.has("cloud_api:disk.info") {
        return Err(DiskError::forbidden());
    }
    let inner = req.store().lock();
    let user = inner.user(&caller.uid)?;
    let account = accounts::yandex_user(&caller.uid);
    let plan = plan(&caller.uid);
    let trash_size = user.trash.bytes();
    let reg_time = iso8601(REG_TIME);
    // Localized paths as observed [verified-traffic]; some end with a slash there too.
    let system_folders = json!({
        "odnoklassniki": "disk:/Социальные сети/Одноклассники",
        "google": "disk:/Социальные сети/Google+",
        "instagram": "disk:/Социальные сети/Instagram",
        "vkontakte": "disk:/Социальные сети/ВКонтакте",
        "attach": "disk:/Почтовые вложения",
        "mailru": "disk:/Социальные сети/Мой Мир",
        "downloads": format!("disk:{DOWNLOADS_FOLDER}/"),
        "applications": format!("disk:{APPS_FOLDER}"),
        "facebook": "disk:/Социальные сети/Facebook",
        "social": "disk:/Социальные сети/",
        "messenger": "disk:/Файлы Мессенджера",
        "calendar": "disk:/Материалы встреч",
        "scans": "disk:/Сканы",
        "screenshots": "disk:/Скриншоты/",
        "photostream": "disk:/Фотокамера/",
    });
    let body = json!({
        "max_file_size": MAX_FILE_SIZE,
        "paid_max_file_size": PAID_MAX_FILE_SIZE,
        "total_space": plan.total_space,
        "trash_size": trash_size,
        "used_space": user.disk.bytes() + trash_size,
        "is_paid": plan.paid,
        "reg_time": reg_time,
        "revision": user.revision,
        "unlimited_autoupload_enabled": false,
        "is_idm_managed_public_access": false,
        "is_idm_managed_folder_address_access": false,
        "system_folders": system_folders,
        "user": {
            "reg_time": reg_time,
            "display_name": account.map_or("", |a| a.display_name),
            "uid": caller.uid,
            "country": "ru",
            "is_child": false,
            "login": account.map_or("", |a| a.login),
        },
    });
    Ok(req.respond(StatusCode::OK, body))
}

/// `GET /resources`: a resource; a folder with a page of its children in `_embedded`.
async fn get_resource(req: Request) -> DiskResult<Response> {
    let caller = req.caller()?;
    let key = req.disk_key(&caller, "path", Need::Read)?;
    let page = Page::from_query(&req.query)?;
    let inner = req.store().lock();
    Ok(ok_json(
        render_owned(&req, &inner, &caller.uid, &key, &page)?,
        req.query.fields(),
    ))
}

fn render_owned(req: &Request, inner: &Inner, uid: &str, key: &str, page: &Page) -> DiskResult<Value> {
    let disk = &inner.user(uid)?.disk;
    let node = disk.get(key).ok_or_else(DiskError::not_found)?;
    let view = req.view(inner, uid);
    Ok(if node.is_dir() {
        view.folder(Scope::Disk, disk, key, node, page)
    } else {
        view.resource(Scope::Disk, key, node)
    })
}

/// `PUT /resources`: creates one folder (not recursive).
async fn make_folder(req: Request) -> DiskResult<Response> {
    let caller = req.caller()?;
    let key = req.disk_key(&caller, "path", Need::Write)?;
    let now = req.state.clock.now();
    let mut inner = req.store().lock();
    let disk = &inner.user(&caller.uid)?.disk;
    let display = paths::display(Space::Disk, &key);
    match disk.get(&key) {
        Some(node) if node.is_dir() => return Err(DiskError::points_to_directory(&display)),
        Some(_) => return Err(DiskError::already_exists(&display)),
        None => {}
    }
    let parent = paths::parent(&key).unwrap_or("/");
    if !disk.get(parent).is_some_and(Node::is_dir) {
        return Err(DiskError::path_doesnt_exist(&paths::display(Space::Disk, parent)));
    }
    let revision = inner.touch(&caller.uid, now);
    inner
        .user_mut(&caller.uid)
        .disk
        .insert(key, Node::new(Kind::Dir, now, revision));
    Ok(req.respond(StatusCode::CREATED, link(resource_href(&req.base, &display), "GET")))
}

/// `DELETE /resources`: to the Trash unless `permanently=true`.
async fn remove(req: Request) -> DiskResult<Response> {
    let caller = req.caller()?;
    let key = req.disk_key(&caller, "path", Need::Write)?;
    let permanently = req.query.bool("permanently", false)?;
    let md5 = req.query.get("md5").map(String::from);
    req.run(Box::new(Remove {
        uid: caller.uid,
        key,
        permanently,
        md5,
    }))
}

/// `PATCH /resources`: merges `custom_properties`; a `null` value deletes a key, and deleting
/// every key leaves `custom_properties: null` [verified-traffic].
async fn patch_resource(req: Request, body: Bytes) -> DiskResult<Response> {
    let caller = req.caller()?;
    let key = req.disk_key(&caller, "path", Need::Write)?;
    let invalid = |en: &str, ru: &str| DiskError::field("custom_properties", en, ru);
    let changes = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(mut object)) => match object.remove("custom_properties") {
            Some(Value::Object(changes)) => changes,
            _ => return Err(DiskError::required("custom_properties")),
        },
        _ => {
            return Err(invalid(
                "The body must be a JSON object.",
                "Тело запроса должно быть объектом JSON.",
            ))
        }
    };
    if changes.values().any(|v| v.is_object() || v.is_array()) {
        return Err(invalid(
            "Only flat name:value pairs are allowed.",
            "Допустимы только пары имя:значение.",
        ));
    }
    let now = req.state.clock.now();
    let mut inner = req.store().lock();
    let mut merged: Map<String, Value> = inner
        .user(&caller.uid)?
        .disk
        .get(&key)
        .ok_or_else(DiskError::not_found)?
        .custom_properties
        .clone()
        .unwrap_or_default();
    for (name, value) in changes {
        if value.is_null() {
            merged.remove(&name);
        } else {
            merged.insert(name, value);
        }
    }
    if Value::Object(merged.clone()).to_string().len() > MAX_CUSTOM_PROPERTIES_BYTES {
        return Err(invalid(
            "The properties are too large.",
            "Слишком большой объём свойств.",
        ));
    }
    let revision = inner.touch(&caller.uid, now);
    if let Some(node) = inner.user_mut(&caller.uid).disk.get_mut(&key) {
        node.custom_properties = (!merged.is_empty()).then_some(merged);
        node.revision = revision;
    }
    let value = render_owned(&req, &inner, &caller.uid, &key, &Page::from_query(&req.query)?)?;
    Ok(ok_json(value, req.query.fields()))
}

async fn copy(req: Request) -> DiskResult<Response> {
    transfer_resource(req, true).await
}

async fn move_resource(req: Request) -> DiskResult<Response> {
    transfer_resource(req, false).await
}

/// `POST /resources/copy` and `/resources/move` (`from`, `path`, `overwrite`).
async fn transfer_resource(req: Request, copy: bool) -> DiskResult<Response> {
    let caller = req.caller()?;
    let from = req.disk_key(&caller, "from", if copy { Need::Read } else { Need::Write })?;
    let to = req.disk_key(&caller, "path", Need::Write)?;
    let overwrite = req.query.bool("overwrite", false)?;
    req.run(Box::new(Transfer {
        uid: caller.uid,
        from,
        to,
        overwrite,
        copy,
    }))
}

/// `GET /resources/upload`: an upload link and the operation that follows the upload.
async fn upload_link(req: Request) -> DiskResult<Response> {
    let caller = req.caller()?;
    let key = req.disk_key(&caller, "path", Need::Write)?;
    let overwrite = req.query.bool("overwrite", false)?;
    let now = req.state.clock.now();
    let mut inner = req.store().lock();
    mutations::check_placement(&inner, &caller.uid, &key, overwrite, 0)?;
    let expires_at = now + req.link_ttl().min(UPLOAD_LINK_TTL_S);
    inner.uploads.retain(|_, target| target.expires_at > now);
    let operation = inner.new_operation(&caller.uid, Some(expires_at));
    let id = transfer::upload_id(now);
    let target = UploadTarget {
        uid: caller.uid,
        key,
        overwrite,
        operation: operation.clone(),
        expires_at,
    };
    inner.uploads.insert(id.clone(), target);
    let body = json!({
        "operation_id": operation,
        "href": format!("{}/yandex-disk-upload/upload-target/{id}", req.base),
        "method": "PUT",
        "templated": false,
    });
    Ok(req.respond(StatusCode::OK, body))
}

/// `POST /resources/upload`: always 202 [verified-traffic]; see [`UploadFromUrl`].
async fn upload_from_url(req: Request) -> DiskResult<Response> {
    let caller = req.caller()?;
    let key = req.disk_key(&caller, "path", Need::Write)?;
    let url = req.query.required("url")?.to_string();
    let sandbox_host = req.base.trim_start_matches("http://").to_string();
    let mutation = UploadFromUrl {
        uid: caller.uid,
        key,
        url,
        sandbox_host,
    };
    req.outcome(mutations::run(&req.state, Box::new(mutation), true, None))
}

/// `GET /resources/download`: a signed link on the download host.
async fn download_link(req: Request) -> DiskResult<Response> {
    let caller = req.caller()?;
    let key = req.disk_key(&caller, "path", Need::Read)?;
    let inner = req.store().lock();
    let node = inner
        .user(&caller.uid)?
        .disk
        .get(&key)
        .ok_or_else(DiskError::not_found)?;
    let file = node
        .file()
        .ok_or_else(|| DiskError::not_emulated("Downloading a folder as a zip archive"))?;
    let href = transfer::download_href(&req.view(&inner, &caller.uid), &caller.uid, file, paths::name(&key));
    Ok(req.respond(StatusCode::OK, link(href, "GET")))
}

/// `GET /resources/files`: every file, flat, alphabetical unless `sort` says otherwise.
async fn files(req: Request) -> DiskResult<Response> {
    let caller = req.caller()?;
    let page = Page::from_query(&req.query)?;
    let inner = req.store().lock();
    let mut files = req.files(&caller, &inner)?;
    page.sort(&mut files);
    let view = req.view(&inner, &caller.uid);
    let items: Vec<Value> = files
        .into_iter()
        .skip(page.offset)
        .take(page.limit)
        .map(|(key, node)| view.resource(Scope::Disk, key, node))
        .collect();
    Ok(req.respond(
        StatusCode::OK,
        json!({"items": items, "limit": page.limit, "offset": page.offset}),
    ))
}

/// `GET /resources/last-uploaded`: files, most recently uploaded first.
async fn last_uploaded(req: Request) -> DiskResult<Response> {
    let caller = req.caller()?;
    let limit = req.query.number("limit", 20)?;
    let inner = req.store().lock();
    let mut files = req.files(&caller, &inner)?;
    files.sort_by_key(|(_, node)| std::cmp::Reverse(node.file().map_or(0, |f| f.uploaded)));
    let view = req.view(&inner, &caller.uid);
    let items: Vec<Value> = files
        .into_iter()
        .take(limit)
        .map(|(key, node)| view.resource(Scope::Disk, key, node))
        .collect();
    Ok(req.respond(StatusCode::OK, json!({"items": items, "limit": limit})))
}

/// `GET /resources/public`: published resources, newest first, optionally of one `type`.
async fn published(req: Request) -> DiskResult<Response> {
    let caller = req.caller()?;
    let limit = req.query.number("limit", 20)?;
    let offset = req.query.number("offset", 0)?;
    let kind = req.query.get("type");
    let wants_dirs = match kind {
        None => None,
        Some("dir") => Some(true),
        Some("file") => Some(false),
        Some(_) => {
            return Err(DiskError::field(
                "type",
                "Must be file or dir.",
                "Допустимые значения: file, dir.",
            ))
        }
    };
    if !caller.whole_disk(Need::Read) && !caller.has("cloud_api:disk.app_folder") {
        return Err(DiskError::forbidden());
    }
    let inner = req.store().lock();
    let mut entries: Vec<(&String, &Node)> = inner
        .user(&caller.uid)?
        .disk
        .iter()
        .filter(|(key, node)| node.publication.is_some() && caller.may(Need::Read, key))
        .filter(|(_, node)| wants_dirs.is_none_or(|dirs| node.is_dir() == dirs))
        .collect();
    entries.sort_by_key(|(_, node)| std::cmp::Reverse(node.publication.as_ref().map_or(0, |p| p.published)));
    let view = req.view(&inner, &caller.uid);
    let items: Vec<Value> = entries
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|(key, node)| view.resource(Scope::Disk, key, node))
        .collect();
    let mut body = json!({"items": items, "limit": limit, "offset": offset});
    if let Some(kind) = kind {
        body["type"] = json!(kind);
    }
    Ok(req.respond(StatusCode::OK, body))
}

/// `PUT /resources/publish`: gives the resource a `public_key` and `public_url`. The optional
/// JSON body of public settings is accepted and ignored (public settings are not emulated).
async fn publish(req: Request) -> DiskResult<Response> {
    set_published(req, true).await
}

async fn unpublish(req: Request) -> DiskResult<Response> {
    set_published(req, false).await
}

async fn set_published(req: Request, published: bool) -> DiskResult<Response> {
    let caller = req.caller()?;
    let key = req.disk_key(&caller, "path", Need::Write)?;
    if key == "/" {
        // [unverified] the root of Disk cannot be shared.
        return Err(DiskError::forbidden());
    }
    let now = req.state.clock.now();
    let mut inner = req.store().lock();
    inner
        .user(&caller.uid)?
        .disk
        .get(&key)
        .ok_or_else(DiskError::not_found)?;
    let revision = inner.touch(&caller.uid, now);
    if let Some(node) = inner.user_mut(&caller.uid).disk.get_mut(&key) {
        if !published {
            node.publication = None;
        } else if node.publication.is_none() {
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
            node.publication = Some(Publication {
                // 64 random bytes in standard base64, as long as the service's keys.
                public_key: base64::engine::general_purpose::STANDARD.encode(random_bytes(64)),
                url_id: random_from(alphabet, 14),
                published: revision,
            });
        }
    }
    let href = resource_href(&req.base, &paths::display(Space::Disk, &key));
    Ok(req.respond(StatusCode::OK, link(href, "GET")))
}

/// The owner, the public root and what `path` names inside it, for the public endpoints.
struct Public {
    owner: String,
    root: String,
    key: String,
}

fn find_public(req: &Request, inner: &Inner) -> DiskResult<Public> {
    let public_key = req.query.required("public_key")?;
    let inner_path = req.query.get("path").unwrap_or("/");
    let (owner, root) = inner.public_root(public_key).ok_or_else(DiskError::not_found)?;
    let (_, key) = inner
        .find_public(public_key, inner_path)
        .ok_or_else(DiskError::not_found)?;
    Ok(Public { owner, root, key })
}

/// `GET /public/resources`: no authorization; paths are relative to the public root.
async fn public_resource(req: Request) -> DiskResult<Response> {
    let page = Page::from_query(&req.query)?;
    let inner = req.store().lock();
    let public = find_public(&req, &inner)?;
    let disk = &inner.user(&public.owner)?.disk;
    let root = disk.get(&public.root).ok_or_else(DiskError::not_found)?;
    let public_key = root.publication.as_ref().map_or("", |p| p.public_key.as_str());
    let node = disk.get(&public.key).ok_or_else(DiskError::not_found)?;
    let scope = Scope::Public {
        root: &public.root,
        public_key,
    };
    let view = req.view(&inner, &public.owner);
    let mut value = if node.is_dir() {
        view.folder(scope, disk, &public.key, node, &page)
    } else {
        view.resource(scope, &public.key, node)
    };
    if public.key == public.root {
        let account = accounts::yandex_user(&public.owner);
        value["owner"] = json!({
            "login": account.map_or("", |a| a.login),
            "display_name": account.map_or("", |a| a.display_name),
            "uid": public.owner,
        });
    }
    Ok(ok_json(value, req.query.fields()))
}

/// `GET /public/resources/download`: a public download link (made for uid 0).
async fn public_download_link(req: Request) -> DiskResult<Response> {
    let inner = req.store().lock();
    let public = find_public(&req, &inner)?;
    let node = inner
        .user(&public.owner)?
        .disk
        .get(&public.key)
        .ok_or_else(DiskError::not_found)?;
    let file = node
        .file()
        .ok_or_else(|| DiskError::not_emulated("Downloading a folder as a zip archive"))?;
    let href = transfer::download_href(&req.view(&inner, &public.owner), "0", file, paths::name(&public.key));
    Ok(req.respond(StatusCode::OK, link(href, "GET")))
}

/// `POST /public/resources/save-to-disk`: into `save_path`, or the Downloads folder.
async fn save_to_disk(req: Request) -> DiskResult<Response> {
    let caller = req.caller()?;
    let public_key = req.query.required("public_key")?.to_string();
    let folder = match req.query.get("save_path") {
        Some(_) => Some(req.disk_key(&caller, "save_path", Need::Write)?),
        None => {
            caller.check(Need::Write, DOWNLOADS_FOLDER)?;
            None
        }
    };
    let inner_path = req.query.get("path").unwrap_or("/").to_string();
    let name = req.query.get("name").map(String::from);
    if name.as_deref().is_some_and(|n| n.contains('/')) {
        return Err(DiskError::field(
            "name",
            "Must be a name, not a path.",
            "Должно быть именем, а не путём.",
        ));
    }
    req.run(Box::new(SaveToDisk {
        uid: caller.uid,
        public_key,
        inner_path,
        folder,
        name,
    }))
}

/// `GET /trash/resources`: the Trash (`trash:/`) or something in it.
async fn trash_resource(req: Request) -> DiskResult<Response> {
    let caller = req.caller()?;
    let key = req.trash_key(&caller, Need::Read)?;
    let page = Page::from_query(&req.query)?;
    let inner = req.store().lock();
    let trash = &inner.user(&caller.uid)?.trash;
    let view = req.view(&inner, &caller.uid);
    let value = match &key {
        // [unverified] the Trash's own fields beyond these.
        None => json!({
            "type": "dir",
            "name": "trash",
            "path": "trash:/",
            "_embedded": view.embedded(Scope::Trash, trash, "/", &page),
        }),
        Some(key) => {
            let node = trash.get(key).ok_or_else(DiskError::not_found)?;
            if node.is_dir() {
                view.folder(Scope::Trash, trash, key, node, &page)
            } else {
                view.resource(Scope::Trash, key, node)
            }
        }
    };
    Ok(ok_json(value, req.query.fields()))
}

/// `DELETE /trash/resources`: one path, or the whole Trash when `path` is absent.
async fn clear_trash(req: Request) -> DiskResult<Response> {
    let caller = req.caller()?;
    let key = req.trash_key(&caller, Need::Write)?;
    req.run(Box::new(ClearTrash { uid: caller.uid, key }))
}

/// `PUT /trash/resources/restore` (`path`, `name`, `overwrite`).
async fn restore(req: Request) -> DiskResult<Response> {
    let caller = req.caller()?;
    req.query.required("path")?;
    let from = req.trash_key(&caller, Need::Write)?.ok_or_else(DiskError::not_found)?;
    let to = match req.query.get("name") {
        None => RestoreTo::Origin,
        Some(name) if name.contains('/') => RestoreTo::Path(req.disk_key(&caller, "name", Need::Write)?),
        Some(name) => RestoreTo::Renamed(name.to_string()),
    };
    let overwrite = req.query.bool("overwrite", false)?;
    req.run(Box::new(Restore {
        uid: caller.uid,
        from,
        to,
        overwrite,
    }))
}

/// `GET /operations/{id}`: `{"status": "in-progress" | "success" | "failed"}`.
async fn operation(req: Request, UrlPath(id): UrlPath<String>) -> DiskResult<Response> {
    let caller = req.caller()?;
    let now = req.state.clock.now();
    let inner = req.store().lock();
    let operation = inner
        .operations
        .get(&id)
        .filter(|o| o.uid == caller.uid)
        .ok_or_else(DiskError::operation_not_found)?;
    let status = match operation.fails_at {
        Some(deadline) if operation.status == OperationStatus::InProgress && deadline <= now => OperationStatus::Failed,
        _ => operation.status,
    };
    Ok(req.respond(StatusCode::OK, json!({"status": status})))
}

/// The page a public URL opens: the resource's name and, for a file, its download link.
async fn public_page(req: Request, UrlPath(id): UrlPath<String>) -> Response {
    let inner = req.store().lock();
    let url = format!("{}/yandex-disk/d/{id}", req.base);
    let found = inner.public_root(&url).and_then(|(owner, key)| {
        let node = inner.users.get(&owner)?.disk.get(&key)?;
        Some((owner.clone(), key.clone(), node))
    });
    let Some((owner, key, node)) = found else {
        return html_page(StatusCode::NOT_FOUND, "Not found", "<p>This link is not published.</p>");
    };
    let name = paths::name(&key);
    let body = match node.file() {
        Some(file) => {
            let href = transfer::download_href(&req.view(&inner, &owner), "0", file, name);
            format!(
                "<p><a href=\"{}\">Download</a> ({} bytes)</p>",
                html_escape(&href),
                file.size
            )
        }
        None => "<p>A public folder: list it with GET /v1/disk/public/resources.</p>".to_string(),
    };
    html_page(StatusCode::OK, name, &body)
}
