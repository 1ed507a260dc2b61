//! Yandex Disk REST API emulator (docs/protocols.md §2): a per-user resource tree with `disk:/`,
//! `app:/` and `trash:/`, the REST API under `/v1/disk`, and the separate upload and download
//! hosts with signed, expiring links. File contents live on disk (see [`transfer`]), never in
//! memory; metadata is kept in memory and snapshotted with the rest of the sandbox's state.
//! docs/sandbox-yandex-disk.md lists what is emulated and every assumption made.

mod api;
mod error;
mod fields;
mod media;
mod mutations;
mod paths;
mod render;
mod transfer;
mod tree;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use axum::extract::{FromRequestParts, RawQuery};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::accounts;
use crate::state::{lock, AppState};
use crate::util::{base_url, json_response, parse_form, random_hex};
use error::{DiskError, DiskResult};
use transfer::{Blobs, UploadTarget};
use tree::{Kind, Node, UserDisk};

pub use transfer::{download_router, upload_router};

/// Registration time shown for every sandbox user (`reg_time`, and the root's `created`).
const REG_TIME: i64 = 1_580_637_600;
/// `max_file_size` and `paid_max_file_size` as observed in Disk info [verified-traffic].
const MAX_FILE_SIZE: u64 = 1 << 30;
const PAID_MAX_FILE_SIZE: u64 = 50 << 30;
/// Plans: members of the sandbox's Yandex 360 organization have a paid 1 TiB Disk, anyone else
/// the free 10 GiB one (so the 1 GiB file limit and 507 can be tried with the outsider).
const PAID_SPACE: u64 = 1 << 40;
const FREE_SPACE: u64 = 10 << 30;
/// `system_folders.applications`; app folders live below it.
const APPS_FOLDER: &str = "/Приложения";
/// `system_folders.downloads`: where `save-to-disk` puts things by default.
const DOWNLOADS_FOLDER: &str = "/Загрузки";

pub struct Store {
    inner: Mutex<Inner>,
    blobs: Blobs,
}

/// Everything but file contents; this is what `snapshot` and `restore` carry.
#[derive(Default, Serialize, Deserialize)]
struct Inner {
    users: BTreeMap<String, UserDisk>,
    uploads: HashMap<String, UploadTarget>,
    operations: HashMap<String, Operation>,
    /// Key of the signatures of download links.
    link_key: String,
    last_revision: i64,
}

#[derive(Clone, Serialize, Deserialize)]
struct Operation {
    uid: String,
    status: OperationStatus,
    /// An upload's operation fails when its link expires unused.
    #[serde(default)]
    fails_at: Option<i64>,
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum OperationStatus {
    InProgress,
    Success,
    Failed,
}

impl Store {
    pub fn new(data_dir: Option<&Path>, work_dir: &Path) -> std::io::Result<Store> {
        let inner = Inner {
            link_key: random_hex(32),
            ..Inner::default()
        };
        Ok(Store {
            inner: Mutex::new(inner),
            blobs: Blobs::new(data_dir, work_dir)?,
        })
    }

    pub fn reset(&self) {
        let mut inner = self.lock();
        *inner = Inner {
            link_key: random_hex(32),
            ..Inner::default()
        };
        self.blobs.remove_all_but(&HashSet::new());
    }

    pub fn snapshot(&self) -> Value {
        serde_json::to_value(&*self.lock()).unwrap_or(Value::Null)
    }

    /// Loads a snapshot: operations still running when it was taken have failed, and stored
    /// contents that no resource refers to any more (or half-written ones) are removed.
    pub fn restore(&self, snapshot: Value) {
        let Ok(mut restored) = serde_json::from_value::<Inner>(snapshot) else {
            return;
        };
        for operation in restored.operations.values_mut() {
            if operation.status == OperationStatus::InProgress && operation.fails_at.is_none() {
                operation.status = OperationStatus::Failed;
            }
        }
        if restored.link_key.is_empty() {
            restored.link_key = random_hex(32);
        }
        let referenced: HashSet<String> = restored.referenced_blobs().map(String::from).collect();
        *self.lock() = restored;
        self.blobs.remove_all_but(&referenced);
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        lock(&self.inner)
    }

    /// Deletes those of `candidates` that no resource refers to any more.
    fn collect_garbage(&self, candidates: Vec<String>) {
        if candidates.is_empty() {
            return;
        }
        let unreferenced: Vec<String> = {
            let inner = self.lock();
            let referenced: HashSet<&str> = inner.referenced_blobs().collect();
            candidates
                .into_iter()
                .filter(|b| !referenced.contains(b.as_str()))
                .collect()
        };
        for blob in unreferenced {
            self.blobs.remove(&blob);
        }
    }
}

impl Inner {
    /// A revision in microseconds, unique and increasing even within one microsecond.
    fn next_revision(&mut self, now: i64) -> i64 {
        let micros = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::from(d.subsec_micros()))
            .unwrap_or(0);
        self.last_revision = (now * 1_000_000 + micros).max(self.last_revision + 1);
        self.last_revision
    }

    /// A user's Disk, created with its root folder on first use.
    fn user_mut(&mut self, uid: &str) -> &mut UserDisk {
        let revision = (!self.users.contains_key(uid)).then(|| self.next_revision(REG_TIME));
        self.users.entry(uid.to_string()).or_insert_with(|| {
            let revision = revision.unwrap_or_default();
            let mut disk = UserDisk {
                revision,
                ..UserDisk::default()
            };
            disk.disk.insert("/".into(), Node::new(Kind::Dir, REG_TIME, revision));
            disk
        })
    }

    fn user(&self, uid: &str) -> DiskResult<&UserDisk> {
        self.users.get(uid).ok_or_else(DiskError::not_found)
    }

    /// Marks a change of `uid`'s Disk and returns the revision of it.
    fn touch(&mut self, uid: &str, now: i64) -> i64 {
        let revision = self.next_revision(now);
        self.user_mut(uid).revision = revision;
        revision
    }

    /// `mkdir -p`: creates `key` and any missing folders above it.
    fn ensure_folders(&mut self, uid: &str, key: &str, now: i64) {
        let mut missing = Vec::new();
        let mut cursor = Some(key);
        while let Some(current) = cursor {
            if self.user_mut(uid).disk.contains(current) {
                break;
            }
            missing.push(current.to_string());
            cursor = paths::parent(current);
        }
        for folder in missing.into_iter().rev() {
            let revision = self.touch(uid, now);
            self.user_mut(uid)
                .disk
                .insert(folder, Node::new(Kind::Dir, now, revision));
        }
    }

    fn used_space(&self, uid: &str) -> u64 {
        self.users.get(uid).map_or(0, |u| u.disk.bytes() + u.trash.bytes())
    }

    fn free_space(&self, uid: &str) -> u64 {
        plan(uid).total_space.saturating_sub(self.used_space(uid))
    }

    fn referenced_blobs(&self) -> impl Iterator<Item = &str> {
        self.users
            .values()
            .flat_map(|u| u.disk.iter().chain(u.trash.iter()))
            .filter_map(|(_, node)| node.file().map(|f| f.blob.as_str()))
    }

    /// The owner and key of the resource published under `key_or_url` (a public key, or a
    /// public URL ending in `/d/<id>`).
    fn public_root(&self, key_or_url: &str) -> Option<(String, String)> {
        let url_id = key_or_url
            .contains("://")
            .then(|| key_or_url.trim_end_matches('/').rsplit('/').next())
            .flatten();
        self.users.iter().find_map(|(uid, user)| {
            user.disk.iter().find_map(|(key, node)| {
                let publication = node.publication.as_ref()?;
                let matches = match url_id {
                    Some(id) => publication.url_id == id,
                    None => publication.public_key == key_or_url,
                };
                matches.then(|| (uid.clone(), key.clone()))
            })
        })
    }

    /// The owner and key of `inner_path` (relative to the public root, `/` for the root itself)
    /// inside the resource published under `key_or_url`.
    fn find_public(&self, key_or_url: &str, inner_path: &str) -> Option<(String, String)> {
        let (uid, root) = self.public_root(key_or_url)?;
        let relative = paths::resolve("path", inner_path, "", paths::Space::Disk).ok()?.key;
        let key = if relative == "/" {
            root
        } else {
            format!("{root}{relative}")
        };
        self.users.get(&uid)?.disk.contains(&key).then_some((uid, key))
    }

    /// The stored file data of any resource that uses `blob`.
    fn referenced_file(&self, blob: &str) -> Option<tree::FileData> {
        self.users
            .values()
            .flat_map(|u| u.disk.iter().chain(u.trash.iter()))
            .find_map(|(_, node)| node.file().filter(|f| f.blob == blob).cloned())
    }

    fn new_operation(&mut self, uid: &str, fails_at: Option<i64>) -> String {
        let id = random_hex(32);
        let operation = Operation {
            uid: uid.into(),
            status: OperationStatus::InProgress,
            fails_at,
        };
        self.operations.insert(id.clone(), operation);
        id
    }

    fn finish_operation(&mut self, id: &str, succeeded: bool) {
        if let Some(operation) = self.operations.get_mut(id) {
            operation.status = if succeeded {
                OperationStatus::Success
            } else {
                OperationStatus::Failed
            };
            operation.fails_at = None;
        }
    }
}

/// A user's plan: what Disk info shows and what uploads are limited by.
struct Plan {
    paid: bool,
    total_space: u64,
}

fn plan(uid: &str) -> Plan {
    let paid = accounts::yandex_user(uid).is_some_and(|u| u.in_org);
    Plan {
        paid,
        total_space: if paid { PAID_SPACE } else { FREE_SPACE },
    }
}

fn max_file_size(uid: &str) -> u64 {
    if plan(uid).paid {
        PAID_MAX_FILE_SIZE
    } else {
        MAX_FILE_SIZE
    }
}

/// The app folder's title for each client: `app:/` is `disk:/Приложения/<title>`.
fn app_title(client_id: &str) -> &str {
    match client_id {
        accounts::YANDEX_CLIENT_ID => "diskbridge sandbox",
        accounts::YANDEX_SERVICE_CLIENT_ID => "diskbridge service app",
        other => other,
    }
}

/// The owner of a valid token and what its scopes allow.
pub struct Caller {
    uid: String,
    scopes: Vec<String>,
    /// Key of the caller's app folder.
    app_root: String,
}

#[derive(Clone, Copy)]
enum Need {
    Read,
    Write,
}

impl Caller {
    /// Whether the token may act anywhere on Disk, not just in its app folder.
    fn whole_disk(&self, need: Need) -> bool {
        let scope = match need {
            Need::Read => "cloud_api:disk.read",
            Need::Write => "cloud_api:disk.write",
        };
        self.has(scope)
    }

    fn has(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// A token with only `cloud_api:disk.app_folder` acts inside its app folder alone.
    fn may(&self, need: Need, key: &str) -> bool {
        self.whole_disk(need) || (self.has("cloud_api:disk.app_folder") && paths::is_within(key, &self.app_root))
    }

    fn check(&self, need: Need, key: &str) -> DiskResult<()> {
        if self.may(need, key) {
            Ok(())
        } else {
            Err(DiskError::forbidden())
        }
    }
}

/// The query string, decoded as a form (`+` is a space, as the service reads it).
pub struct Query(Vec<(String, String)>);

impl Query {
    fn get(&self, key: &str) -> Option<&str> {
        crate::util::field(&self.0, key)
    }

    fn required(&self, key: &str) -> DiskResult<&str> {
        self.get(key).ok_or_else(|| DiskError::required(key))
    }

    fn fields(&self) -> Option<&str> {
        self.get("fields")
    }

    fn bool(&self, key: &str, default: bool) -> DiskResult<bool> {
        match self.get(key) {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(_) => Err(DiskError::field(
                key,
                "Must be a boolean (true or false).",
                "Должно быть логическим значением.",
            )),
        }
    }

    fn number(&self, key: &str, default: usize) -> DiskResult<usize> {
        match self.get(key) {
            None => Ok(default),
            Some(text) => text.parse().map_err(|_| {
                DiskError::field(
                    key,
                    "Must be a non-negative integer.",
                    "Должно быть неотрицательным целым числом.",
                )
            }),
        }
    }
}

/// What every API handler starts from: the state, the query and the base URL for links.
pub struct Request {
    state: AppState,
    headers: HeaderMap,
    query: Query,
    /// `http://host:port` as the client reached the sandbox.
    base: String,
}

impl FromRequestParts<AppState> for Request {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let RawQuery(query) = RawQuery::from_request_parts(parts, state).await?;
        Ok(Request {
            state: state.clone(),
            headers: parts.headers.clone(),
            query: Query(parse_form(query.unwrap_or_default().as_bytes())),
            base: base_url(&parts.headers),
        })
    }
}

impl Request {
    fn store(&self) -> &Store {
        &self.state.disk
    }

    /// The token's owner; 401 for a missing, unknown, expired or revoked token.
    fn caller(&self) -> DiskResult<Caller> {
        let owner = crate::yandex_oauth::token_owner(&self.state, &self.headers).ok_or_else(DiskError::unauthorized)?;
        self.store().lock().user_mut(&owner.uid);
        Ok(Caller {
            app_root: paths::join(APPS_FOLDER, app_title(&owner.client_id)),
            uid: owner.uid,
            scopes: owner.scopes,
        })
    }

    /// Resolves the Disk path in query parameter `field` and checks the caller may `need` it.
    /// An `app:/` path creates the app folder on first use.
    fn disk_key(&self, caller: &Caller, field: &str, need: Need) -> DiskResult<String> {
        let raw = self.query.required(field)?;
        let location = paths::resolve(field, raw, &caller.app_root, paths::Space::Disk)?;
        if location.space != paths::Space::Disk {
            return Err(DiskError::not_found());
        }
        caller.check(need, &location.key)?;
        if location.via_app {
            let now = self.state.clock.now();
            self.store().lock().ensure_folders(&caller.uid, &caller.app_root, now);
        }
        Ok(location.key)
    }

    fn link_ttl(&self) -> i64 {
        self.state.settings().link_ttl_s as i64
    }
}

/// 200 with `value` reduced to the `fields` asked for.
fn ok_json(value: Value, fields: Option<&str>) -> Response {
    json_response(
        StatusCode::OK,
        "application/json; charset=utf-8",
        &fields::filter(value, fields),
    )
}

/// A Link object (docs/protocols.md §2.0).
fn link(href: String, method: &str) -> Value {
    serde_json::json!({"href": href, "method": method, "templated": false})
}

/// The API address of a resource, as the Link of 201 answers gives it.
fn resource_href(base: &str, display_path: &str) -> String {
    format!(
        "{base}/yandex-disk/v1/disk/resources?path={}",
        crate::util::encode(display_path)
    )
}

fn operation_href(base: &str, id: &str) -> String {
    format!("{base}/yandex-disk/v1/disk/operations/{id}")
}

/// 204 as the service sends it: empty, yet with the JSON content type [verified-traffic].
fn no_content() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

pub fn api_router() -> Router<AppState> {
    api::router()
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_size_limits_follow_the_plan() {
        assert_eq!(super::max_file_size("1130000000000001"), super::PAID_MAX_FILE_SIZE);
        assert_eq!(super::max_file_size("1130000000000099"), super::MAX_FILE_SIZE);
    }
}
