//! Changes that the service may answer with 202 + operation (docs/protocols.md §2.3: delete,
//! copy, move, restore, trash clearing, save-to-disk, upload from a URL and the upload itself).
//!
//! Each change is checked when asked for, so a client gets 404/409 at once, then applied: right
//! away (201/204), or after `async_delay_ms` behind an operation when the sandbox is switched to
//! asynchronous answers, when the client passes `force_async=true`, or when the change touches a
//! non-empty folder (the service answers 202 for those even with `force_async=false`
//! [verified-traffic]). A deferred change is checked again when it lands, and its operation
//! ends `failed` if the Disk changed under it; nothing of it is visible before it lands.

use std::time::Duration;

use super::error::{DiskError, DiskResult};
use super::paths::{self, Space};
use super::tree::{FileData, Kind, Node, Trashed, Tree};
use super::{Inner, DOWNLOADS_FOLDER};
use crate::state::AppState;
use crate::util::random_hex;

pub trait Mutation: Send + 'static {
    fn uid(&self) -> &str;

    /// The preconditions; an error here is the client's answer (or the operation's failure).
    fn check(&self, inner: &Inner) -> DiskResult<()>;

    /// Applies the change; checks again first, so an error leaves everything unchanged.
    fn apply(&mut self, inner: &mut Inner, now: i64) -> DiskResult<Applied>;

    /// Whether the service would answer 202 for it whatever the client asked.
    fn heavy(&self, _inner: &Inner) -> bool {
        false
    }

    /// Stored contents this change brings in; removed again if it never lands.
    fn new_blobs(&self) -> Vec<String> {
        Vec::new()
    }
}

pub struct Applied {
    /// The resource the 201 Link points to (none for deletions).
    pub target: Option<String>,
    /// Stored contents that resources no longer use, unless other resources share them.
    pub released: Vec<String>,
}

pub enum Outcome {
    /// Applied; the path of the resulting resource if there is one.
    Done(Option<String>),
    /// Will be applied behind this operation.
    Deferred(String),
    Failed(DiskError),
}

/// Runs `mutation` now or behind an operation (`operation` is reused when given: an upload's
/// link already names one).
pub fn run(state: &AppState, mut mutation: Box<dyn Mutation>, force_async: bool, operation: Option<String>) -> Outcome {
    let store = &state.disk;
    let settings = state.settings();
    let mut inner = store.lock();
    if let Err(err) = mutation.check(&inner) {
        if let Some(operation) = &operation {
            inner.finish_operation(operation, false);
        }
        drop(inner);
        store.collect_garbage(mutation.new_blobs());
        return Outcome::Failed(err);
    }
    if !(settings.yandex_disk_async || force_async || mutation.heavy(&inner)) {
        let result = mutation.apply(&mut inner, state.clock.now());
        if let Some(operation) = &operation {
            inner.finish_operation(operation, result.is_ok());
        }
        drop(inner);
        let mut candidates = mutation.new_blobs();
        return match result {
            Ok(applied) => {
                candidates.extend(applied.released);
                store.collect_garbage(candidates);
                Outcome::Done(applied.target)
            }
            Err(err) => {
                store.collect_garbage(candidates);
                Outcome::Failed(err)
            }
        };
    }
    let id = match operation {
        Some(id) => {
            // The change is under way now: the link's expiry no longer fails it.
            if let Some(operation) = inner.operations.get_mut(&id) {
                operation.fails_at = None;
            }
            id
        }
        None => inner.new_operation(mutation.uid(), None),
    };
    drop(inner);
    let (state, operation) = (state.clone(), id.clone());
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(settings.async_delay_ms)).await;
        let mut candidates = mutation.new_blobs();
        {
            let mut inner = state.disk.lock();
            let result = mutation.apply(&mut inner, state.clock.now());
            inner.finish_operation(&operation, result.is_ok());
            if let Ok(applied) = result {
                candidates.extend(applied.released);
            }
        }
        state.disk.collect_garbage(candidates);
        state.save();
    });
    Outcome::Deferred(id)
}

fn blobs_of(subtree: &[(String, Node)]) -> Vec<String> {
    subtree
        .iter()
        .filter_map(|(_, node)| node.file().map(|f| f.blob.clone()))
        .collect()
}

fn bytes_of(subtree: &[(String, Node)]) -> u64 {
    subtree.iter().map(|(_, node)| node.size()).sum()
}

fn is_heavy(tree: &Tree, key: &str) -> bool {
    tree.get(key).is_some_and(Node::is_dir) && tree.has_children(key)
}

/// The folder that will hold `key` must exist (409 `DiskPathDoesntExistsError` otherwise).
fn check_parent(disk: &Tree, key: &str) -> DiskResult<()> {
    let Some(parent) = paths::parent(key) else {
        return Err(DiskError::already_exists(&paths::display(Space::Disk, key)));
    };
    match disk.get(parent) {
        Some(node) if node.is_dir() => Ok(()),
        _ => Err(DiskError::path_doesnt_exist(&paths::display(Space::Disk, parent))),
    }
}

/// Copies get new identities and times; contents are shared, not duplicated.
fn as_new_copies(subtree: &mut [(String, Node)], now: i64, revision: i64) {
    for (_, node) in subtree.iter_mut() {
        node.resource_id = random_hex(32);
        node.created = now;
        node.modified = now;
        node.revision = revision;
        node.publication = None;
        node.trashed = None;
    }
}

/// `DELETE /resources`: to the Trash, renamed `<name>_<40 hex>`, or permanently.
pub struct Remove {
    pub uid: String,
    pub key: String,
    pub permanently: bool,
    pub md5: Option<String>,
}

impl Mutation for Remove {
    fn uid(&self) -> &str {
        &self.uid
    }

    fn check(&self, inner: &Inner) -> DiskResult<()> {
        let node = inner
            .user(&self.uid)?
            .disk
            .get(&self.key)
            .ok_or_else(DiskError::not_found)?;
        if self.key == "/" {
            // [unverified] what the service answers for deleting the root of Disk.
            return Err(DiskError::forbidden());
        }
        match (&self.md5, node.file()) {
            (Some(md5), Some(file)) if !md5.eq_ignore_ascii_case(&file.md5) => Err(DiskError::md5_differs()),
            _ => Ok(()),
        }
    }

    fn apply(&mut self, inner: &mut Inner, now: i64) -> DiskResult<Applied> {
        self.check(inner)?;
        let revision = inner.touch(&self.uid, now);
        let user = inner.user_mut(&self.uid);
        let mut subtree = user.disk.take_subtree(&self.key);
        if self.permanently {
            return Ok(Applied {
                target: None,
                released: blobs_of(&subtree),
            });
        }
        for (relative, node) in subtree.iter_mut() {
            node.publication = None;
            if relative.is_empty() {
                node.trashed = Some(Trashed {
                    origin_path: paths::display(Space::Disk, &self.key),
                    deleted: now,
                });
                node.modified = now;
                node.revision = revision;
            }
        }
        let trash_key = format!("/{}_{}", paths::name(&self.key), random_hex(20));
        user.trash.put_subtree(&trash_key, subtree);
        Ok(Applied {
            target: None,
            released: Vec::new(),
        })
    }

    fn heavy(&self, inner: &Inner) -> bool {
        inner.user(&self.uid).is_ok_and(|u| is_heavy(&u.disk, &self.key))
    }
}

/// `POST /resources/copy` and `/resources/move`.
pub struct Transfer {
    pub uid: String,
    pub from: String,
    pub to: String,
    pub overwrite: bool,
    /// Copy (keep the source) rather than move.
    pub copy: bool,
}

impl Mutation for Transfer {
    fn uid(&self) -> &str {
        &self.uid
    }

    fn check(&self, inner: &Inner) -> DiskResult<()> {
        let disk = &inner.user(&self.uid)?.disk;
        disk.get(&self.from).ok_or_else(DiskError::not_found)?;
        if paths::is_within(&self.to, &self.from) {
            return Err(if self.to == self.from && !self.overwrite {
                DiskError::already_exists(&paths::display(Space::Disk, &self.to))
            } else {
                DiskError::into_itself()
            });
        }
        check_parent(disk, &self.to)?;
        let replaced = disk.get(&self.to);
        if replaced.is_some() && !self.overwrite {
            return Err(DiskError::already_exists(&paths::display(Space::Disk, &self.to)));
        }
        if self.copy {
            let added = bytes_of(&disk.clone_subtree(&self.from));
            let freed: u64 = replaced.map_or(0, |_| bytes_of(&disk.clone_subtree(&self.to)));
            if added > inner.free_space(&self.uid) + freed {
                return Err(DiskError::no_space());
            }
        }
        Ok(())
    }

    fn apply(&mut self, inner: &mut Inner, now: i64) -> DiskResult<Applied> {
        self.check(inner)?;
        let revision = inner.touch(&self.uid, now);
        let disk = &mut inner.user_mut(&self.uid).disk;
        let released = blobs_of(&disk.take_subtree(&self.to));
        let mut subtree = if self.copy {
            disk.clone_subtree(&self.from)
        } else {
            disk.take_subtree(&self.from)
        };
        if self.copy {
            as_new_copies(&mut subtree, now, revision);
        } else if let Some((_, root)) = subtree.first_mut() {
            root.modified = now;
            root.revision = revision;
        }
        disk.put_subtree(&self.to, subtree);
        Ok(Applied {
            target: Some(paths::display(Space::Disk, &self.to)),
            released,
        })
    }

    fn heavy(&self, inner: &Inner) -> bool {
        inner.user(&self.uid).is_ok_and(|u| is_heavy(&u.disk, &self.from))
    }
}

/// Where `PUT /trash/resources/restore` puts a resource back.
pub enum RestoreTo {
    /// Where it was deleted from.
    Origin,
    /// Beside its origin under a new name (the documented meaning of `name`).
    Renamed(String),
    /// A full destination path: yadisk passes one as `name` and the service accepts it
    /// [verified-traffic].
    Path(String),
}

pub struct Restore {
    pub uid: String,
    /// A key in the Trash (`/<name>_<hex>` or below it).
    pub from: String,
    pub to: RestoreTo,
    pub overwrite: bool,
}

impl Restore {
    fn destination(&self, inner: &Inner) -> DiskResult<String> {
        let trash = &inner.user(&self.uid)?.trash;
        trash.get(&self.from).ok_or_else(DiskError::not_found)?;
        let top = match self.from[1..].find('/') {
            Some(index) => &self.from[..index + 1],
            None => self.from.as_str(),
        };
        let origin_path = trash
            .get(top)
            .and_then(|n| n.trashed.as_ref())
            .ok_or_else(DiskError::not_found)?;
        let origin = paths::rebase(&self.from, top, origin_path.origin_path.trim_start_matches("disk:"));
        Ok(match &self.to {
            RestoreTo::Origin => origin,
            RestoreTo::Renamed(name) => paths::join(paths::parent(&origin).unwrap_or("/"), name),
            RestoreTo::Path(key) => key.clone(),
        })
    }
}

impl Mutation for Restore {
    fn uid(&self) -> &str {
        &self.uid
    }

    fn check(&self, inner: &Inner) -> DiskResult<()> {
        let destination = self.destination(inner)?;
        let disk = &inner.user(&self.uid)?.disk;
        if destination == "/" {
            return Err(DiskError::already_exists("disk:/"));
        }
        if disk.contains(&destination) && !self.overwrite {
            return Err(DiskError::already_exists(&paths::display(Space::Disk, &destination)));
        }
        Ok(())
    }

    fn apply(&mut self, inner: &mut Inner, now: i64) -> DiskResult<Applied> {
        self.check(inner)?;
        let destination = self.destination(inner)?;
        let revision = inner.touch(&self.uid, now);
        let user = inner.user_mut(&self.uid);
        let released = blobs_of(&user.disk.take_subtree(&destination));
        let mut subtree = user.trash.take_subtree(&self.from);
        if let Some((_, root)) = subtree.first_mut() {
            root.trashed = None;
            root.modified = now;
            root.revision = revision;
        }
        // [unverified] folders missing above the destination are created again, as restoring
        // in the Disk web interface does.
        if let Some(parent) = paths::parent(&destination) {
            inner.ensure_folders(&self.uid, parent, now);
        }
        inner.user_mut(&self.uid).disk.put_subtree(&destination, subtree);
        Ok(Applied {
            target: Some(paths::display(Space::Disk, &destination)),
            released,
        })
    }

    fn heavy(&self, inner: &Inner) -> bool {
        inner.user(&self.uid).is_ok_and(|u| is_heavy(&u.trash, &self.from))
    }
}

/// `DELETE /trash/resources`: one entry, or the whole Trash when `key` is None.
pub struct ClearTrash {
    pub uid: String,
    pub key: Option<String>,
}

impl Mutation for ClearTrash {
    fn uid(&self) -> &str {
        &self.uid
    }

    fn check(&self, inner: &Inner) -> DiskResult<()> {
        let trash = &inner.user(&self.uid)?.trash;
        match &self.key {
            Some(key) if !trash.contains(key) => Err(DiskError::not_found()),
            _ => Ok(()),
        }
    }

    fn apply(&mut self, inner: &mut Inner, now: i64) -> DiskResult<Applied> {
        self.check(inner)?;
        inner.touch(&self.uid, now);
        let trash = &mut inner.user_mut(&self.uid).trash;
        let removed = match &self.key {
            Some(key) => trash.take_subtree(key),
            None => std::mem::take(trash)
                .iter()
                .map(|(k, n)| (k.clone(), n.clone()))
                .collect(),
        };
        Ok(Applied {
            target: None,
            released: blobs_of(&removed),
        })
    }

    fn heavy(&self, inner: &Inner) -> bool {
        inner.user(&self.uid).is_ok_and(|u| match &self.key {
            Some(key) => is_heavy(&u.trash, key),
            None => u.trash.iter().next().is_some(),
        })
    }
}

/// `POST /public/resources/save-to-disk`: a copy of a public resource (or of something inside
/// a public folder) into the caller's Disk.
pub struct SaveToDisk {
    pub uid: String,
    pub public_key: String,
    /// Path inside the public resource, `/` for itself.
    pub inner_path: String,
    /// The folder to save into; the Downloads folder (created on demand) when None.
    pub folder: Option<String>,
    pub name: Option<String>,
}

impl SaveToDisk {
    /// The source subtree, with keys relative to it, and its name.
    fn source(&self, inner: &Inner) -> DiskResult<(Vec<(String, Node)>, String)> {
        let (owner, key) = inner
            .find_public(&self.public_key, &self.inner_path)
            .ok_or_else(DiskError::not_found)?;
        let subtree = inner.user(&owner)?.disk.clone_subtree(&key);
        Ok((subtree, paths::name(&key).to_string()))
    }

    fn folder(&self) -> &str {
        self.folder.as_deref().unwrap_or(DOWNLOADS_FOLDER)
    }
}

impl Mutation for SaveToDisk {
    fn uid(&self) -> &str {
        &self.uid
    }

    fn check(&self, inner: &Inner) -> DiskResult<()> {
        let (subtree, _) = self.source(inner)?;
        let disk = &inner.user(&self.uid)?.disk;
        if let Some(folder) = &self.folder {
            match disk.get(folder) {
                Some(node) if node.is_dir() => {}
                _ => return Err(DiskError::path_doesnt_exist(&paths::display(Space::Disk, folder))),
            }
        }
        if bytes_of(&subtree) > inner.free_space(&self.uid) {
            return Err(DiskError::no_space());
        }
        Ok(())
    }

    fn apply(&mut self, inner: &mut Inner, now: i64) -> DiskResult<Applied> {
        self.check(inner)?;
        let (mut subtree, source_name) = self.source(inner)?;
        let revision = inner.touch(&self.uid, now);
        as_new_copies(&mut subtree, now, revision);
        let folder = self.folder().to_string();
        inner.ensure_folders(&self.uid, &folder, now);
        let disk = &mut inner.user_mut(&self.uid).disk;
        let wanted = self.name.clone().unwrap_or(source_name);
        let target = free_name(disk, &folder, &wanted);
        disk.put_subtree(&target, subtree);
        Ok(Applied {
            target: Some(paths::display(Space::Disk, &target)),
            released: Vec::new(),
        })
    }

    fn heavy(&self, inner: &Inner) -> bool {
        inner
            .find_public(&self.public_key, &self.inner_path)
            .is_some_and(|(owner, key)| inner.user(&owner).is_ok_and(|u| is_heavy(&u.disk, &key)))
    }
}

/// `name` in `folder`, or `name (1)`, `name (2)`… before the extension when taken.
/// [unverified] the service saves beside an existing resource rather than failing; this is how
/// its web interface names such copies.
fn free_name(disk: &Tree, folder: &str, name: &str) -> String {
    let candidate = paths::join(folder, name);
    if !disk.contains(&candidate) {
        return candidate;
    }
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, format!(".{ext}")),
        _ => (name, String::new()),
    };
    (1..)
        .map(|n| paths::join(folder, &format!("{stem} ({n}){extension}")))
        .find(|key| !disk.contains(key))
        .expect("an unbounded range always finds a free name")
}

/// The upload's bytes are in; this makes them the file at `key`.
pub struct CommitUpload {
    pub uid: String,
    pub key: String,
    pub overwrite: bool,
    pub file: FileData,
}

impl Mutation for CommitUpload {
    fn uid(&self) -> &str {
        &self.uid
    }

    fn check(&self, inner: &Inner) -> DiskResult<()> {
        check_placement(inner, &self.uid, &self.key, self.overwrite, self.file.size)
    }

    fn apply(&mut self, inner: &mut Inner, now: i64) -> DiskResult<Applied> {
        self.check(inner)?;
        let revision = inner.touch(&self.uid, now);
        let file = FileData {
            uploaded: revision,
            ..self.file.clone()
        };
        Ok(place_file(inner, &self.uid, &self.key, file, now, revision))
    }

    fn new_blobs(&self) -> Vec<String> {
        vec![self.file.blob.clone()]
    }
}

/// Whether a file of `size` bytes may be put at `key`.
pub fn check_placement(inner: &Inner, uid: &str, key: &str, overwrite: bool, size: u64) -> DiskResult<()> {
    let disk = &inner.user(uid)?.disk;
    let display = paths::display(Space::Disk, key);
    match disk.get(key) {
        Some(node) if node.is_dir() => return Err(DiskError::points_to_directory(&display)),
        Some(_) if !overwrite => return Err(DiskError::already_exists(&display)),
        _ => {}
    }
    check_parent(disk, key)?;
    let replaced = disk.get(key).map_or(0, Node::size);
    if size > inner.free_space(uid) + replaced {
        return Err(DiskError::no_space());
    }
    Ok(())
}

/// Puts `file` at `key`. A file already there becomes the new content under the same identity
/// (the service keeps the old one in its history, which is not emulated).
fn place_file(inner: &mut Inner, uid: &str, key: &str, file: FileData, now: i64, revision: i64) -> Applied {
    let disk = &mut inner.user_mut(uid).disk;
    let released = match disk.get_mut(key) {
        Some(existing) => {
            let old = std::mem::replace(&mut existing.kind, Kind::File(file));
            existing.modified = now;
            existing.revision = revision;
            match old {
                Kind::File(old) => vec![old.blob],
                Kind::Dir => Vec::new(),
            }
        }
        None => {
            disk.insert(key.to_string(), Node::new(Kind::File(file), now, revision));
            Vec::new()
        }
    };
    Applied {
        target: Some(paths::display(Space::Disk, key)),
        released,
    }
}

/// `POST /resources/upload`: the sandbox has no internet, so only its own download links and
/// public links can be fetched; any other URL makes the operation end `failed`.
pub struct UploadFromUrl {
    pub uid: String,
    pub key: String,
    pub url: String,
    /// `host:port` the client reached the sandbox at.
    pub sandbox_host: String,
}

impl Mutation for UploadFromUrl {
    fn uid(&self) -> &str {
        &self.uid
    }

    fn check(&self, inner: &Inner) -> DiskResult<()> {
        check_placement(inner, &self.uid, &self.key, false, 0)
    }

    fn apply(&mut self, inner: &mut Inner, now: i64) -> DiskResult<Applied> {
        self.check(inner)?;
        let source = super::transfer::resolve_sandbox_url(inner, &self.url, &self.sandbox_host, now)
            .ok_or_else(DiskError::not_found)?;
        check_placement(inner, &self.uid, &self.key, false, source.size)?;
        let revision = inner.touch(&self.uid, now);
        let file = FileData {
            uploaded: revision,
            ..source
        };
        Ok(place_file(inner, &self.uid, &self.key, file, now, revision))
    }
}
