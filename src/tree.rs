//! The folder-tree engine, for any service with files in folders: walking a local tree
//! (symbolic links are not followed), turning remote names into local paths that cannot leave
//! the target folder, skipping files that are unchanged, moving up to `transfers.concurrency`
//! files at once, and the tally of a folder transfer, where a problem with one file is listed in
//! `errors` while the rest goes on. A service lends the engine its remote side through
//! [`UploadTarget`] or [`DownloadSource`].
//!
//! An unchanged file is told by its size and the local modification time recorded with it at
//! upload (the property [`MTIME_PROPERTY`]), so a repeated backup reads no file content; only
//! when those differ is the local file hashed (sha256, and md5 only for a service that reports
//! no sha256), and a file whose content is in fact the same is skipped and gets the new time
//! recorded. A download's part files are not files of a local tree.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::OnceCell;

use crate::error::{Error, ErrorCode, Result};
use crate::progress::Shares;
use crate::sync::lock;
use crate::transfer::{is_part_name, local_checksums, remove_stale_parts, verify, Checksums, Expected, Sink, Source};
use crate::transport::Context;

/// The remote property holding a file's local modification time as recorded at upload:
/// nanoseconds since the Unix epoch, in decimal.
pub(crate) const MTIME_PROPERTY: &str = "diskbridge_mtime";

/// How deep a remote tree may go; deeper is taken for a server that loops.
const MAX_DEPTH: usize = 1024;
/// How many entries a remote tree may have in all: the walk keeps them in memory.
const MAX_ENTRIES: usize = 1_000_000;

/// A file in a remote folder, as far as the engine compares and replaces it.
#[derive(Clone, Debug, Default)]
pub(crate) struct RemoteFile {
    /// What the service needs to replace it or set its properties (a path, an id).
    pub handle: String,
    pub size: Option<u64>,
    pub md5: Option<String>,
    pub sha256: Option<String>,
    /// The local modification time recorded with it ([`MTIME_PROPERTY`]).
    pub mtime: Option<String>,
}

impl RemoteFile {
    fn expected(&self) -> Expected {
        Expected {
            size: self.size,
            md5: self.md5.clone(),
            sha256: self.sha256.clone(),
        }
    }
}

/// A remote folder of an upload, with its files by name.
#[derive(Debug, Default)]
pub(crate) struct RemoteFolder {
    /// What the service needs to list it or create in it (a path, an id).
    pub handle: String,
    /// Made by this upload (so nothing in it needs listing).
    pub created: bool,
    pub files: HashMap<String, RemoteFile>,
    /// Its folders by name, with their handles (for a service that names folders by id).
    pub folders: HashMap<String, String>,
}

/// The remote side of an upload: folders named by their path relative to the tree's root
/// (`""` for the root itself, `a/b` below it).
pub(crate) trait UploadTarget: Sync {
    /// The folder `dir` with its files, created when missing; `parent` is the folder above it
    /// (None for the root). Asked once per folder, and only once its parent is known.
    fn folder(&self, parent: Option<&RemoteFolder>, dir: &str) -> impl Future<Output = Result<RemoteFolder>> + Send;

    /// Uploads one file into `folder` under `name`, replacing `existing`, and records `mtime`
    /// with it; `ctx` reports this file's progress as a part of the whole tree's.
    fn upload(
        &self,
        ctx: &Context,
        folder: &RemoteFolder,
        name: &str,
        existing: Option<&RemoteFile>,
        upload: (&Source, &str),
    ) -> impl Future<Output = Result<()>> + Send;

    /// Records a new local modification time for a file whose content did not change.
    fn record_mtime(&self, ctx: &Context, file: &RemoteFile, mtime: &str) -> impl Future<Output = Result<()>> + Send;
}

/// An entry of a remote folder.
pub(crate) enum RemoteEntry {
    /// A folder, with what the service needs to list it (a path, an id).
    Folder { name: String, handle: String },
    /// A file, with what the service needs to download it and what it must match.
    File {
        name: String,
        handle: String,
        expected: Expected,
    },
    /// An item that cannot be downloaded, and why: listed in `errors`.
    Refused { name: String, why: String },
}

/// The remote side of a download.
pub(crate) trait DownloadSource: Sync {
    /// The entries of the folder `handle` names, every page.
    fn entries(&self, handle: &str) -> impl Future<Output = Result<Vec<RemoteEntry>>> + Send;

    /// Downloads the file `handle` names into `sink`, verified against `expected`; the engine
    /// has removed the stale part files of the target's folder (`Sink::Inside` sweeps none).
    fn download(
        &self,
        ctx: &Context,
        handle: &str,
        expected: &Expected,
        sink: Sink,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// What a folder upload does with files that are there already.
#[derive(Clone, Copy, Debug)]
pub(crate) struct UploadOptions {
    /// Replace remote files whose content differs (else they are a `conflict`).
    pub overwrite: bool,
    /// Skip files that are unchanged: the same size and recorded modification time, or else
    /// the same checksum.
    pub skip_unchanged: bool,
}

/// A file of the local tree.
struct LocalFile {
    /// Relative to the tree's root, with `/`.
    relative: String,
    path: PathBuf,
    size: u64,
    /// Its modification time, as [`MTIME_PROPERTY`] records it.
    mtime: String,
}

/// What became of one file.
enum Outcome {
    Moved,
    Skipped,
}

/// Uploads the tree under `local_dir`: `{"uploaded", "skipped", "bytes", "errors"}`, the same
/// whatever the concurrency.
pub(crate) async fn upload_tree(
    ctx: &Context,
    local_dir: &Path,
    options: UploadOptions,
    target: &impl UploadTarget,
) -> Result<Value> {
    if !local_dir.is_dir() {
        return Err(Error::new(
            ErrorCode::LocalIo,
            format!("{} is not a folder", local_dir.display()),
        ));
    }
    let mut errors = Vec::new();
    let files = local_files(local_dir, &mut errors)?;
    let shares = Shares::new(files.iter().map(|file| file.size).sum());
    let folders = Folders::new(target);
    let mut tally = Tally::new(errors);
    let mut outcomes = futures_util::stream::iter(files)
        .map(|file| {
            let part = ctx.with_progress(ctx.progress.share(&shares, file.size));
            let folders = &folders;
            async move {
                let outcome = upload_one(&part, &file, options, folders).await;
                finish_part(&part, file.size);
                (file, outcome)
            }
        })
        .buffered(concurrency(ctx));
    while let Some((file, outcome)) = outcomes.next().await {
        tally.record(&file.relative, file.size, outcome)?;
    }
    Ok(tally.result("uploaded"))
}

/// Uploads one file unless it is unchanged; a different file there already is a conflict
/// without `overwrite`.
async fn upload_one<T: UploadTarget>(
    ctx: &Context,
    file: &LocalFile,
    options: UploadOptions,
    folders: &Folders<'_, T>,
) -> Result<Outcome> {
    ctx.progress.check()?;
    let (dir, name) = file.relative.rsplit_once('/').unwrap_or(("", &file.relative));
    let folder = folders.get(dir).await?;
    let existing = folder.files.get(name);
    let source = Source::file(&file.path)?;
    if let Some(existing) = existing {
        let recorded = existing.mtime.as_deref() == Some(file.mtime.as_str());
        if options.skip_unchanged && recorded && existing.size == Some(source.size()) {
            return Ok(Outcome::Skipped);
        }
        let sums = source.checksums(existing.expected().needs_md5()).await?;
        let same = same_content(existing, &sums);
        if same && options.skip_unchanged {
            if !recorded {
                folders.target.record_mtime(ctx, existing, &file.mtime).await?;
            }
            return Ok(Outcome::Skipped);
        }
        if !same && !options.overwrite {
            return Err(Error::new(
                ErrorCode::Conflict,
                "a different file is there already: pass overwrite=true to replace it",
            ));
        }
    }
    let upload = (&source, file.mtime.as_str());
    folders.target.upload(ctx, &folder, name, existing, upload).await?;
    Ok(Outcome::Moved)
}

/// Whether a remote file holds the bytes `sums` describes: the same size and the checksum
/// transfers are verified by (sha256 where the service reports it, md5 only where it does not).
fn same_content(remote: &RemoteFile, sums: &Checksums) -> bool {
    let expected = remote.expected();
    remote.size == Some(sums.size) && expected.has_checksum() && verify(sums, &expected).is_ok()
}

/// The remote folders of an upload, each asked for once however many files wait for it, and
/// only after its parent (so a service that makes folders by parent makes each once).
struct Folders<'a, T> {
    target: &'a T,
    known: Mutex<HashMap<String, Arc<OnceCell<Arc<RemoteFolder>>>>>,
}

impl<'a, T: UploadTarget> Folders<'a, T> {
    fn new(target: &'a T) -> Folders<'a, T> {
        Folders {
            target,
            known: Mutex::new(HashMap::new()),
        }
    }

    /// The folder `dir`, and on the way every folder above it.
    async fn get(&self, dir: &str) -> Result<Arc<RemoteFolder>> {
        let mut chain = vec![""];
        chain.extend(dir.match_indices('/').map(|(at, _)| &dir[..at]));
        if !dir.is_empty() {
            chain.push(dir);
        }
        let mut parent: Option<Arc<RemoteFolder>> = None;
        for prefix in chain {
            let cell = lock(&self.known).entry(prefix.to_string()).or_default().clone();
            let above = parent.as_deref();
            let folder = cell
                .get_or_try_init(|| async { self.target.folder(above, prefix).await.map(Arc::new) })
                .await?;
            parent = Some(folder.clone());
        }
        Ok(parent.expect("the chain holds the root at least"))
    }
}

/// Downloads the remote tree under the folder `root` into `local_dir`:
/// `{"downloaded", "skipped", "bytes", "errors"}`. No remote name can make a write land outside
/// `local_dir`; files whose checksums already match are skipped.
pub(crate) async fn download_tree(
    ctx: &Context,
    root: &str,
    local_dir: &Path,
    source: &impl DownloadSource,
) -> Result<Value> {
    std::fs::create_dir_all(local_dir)
        .map_err(|e| Error::local_io(&format!("cannot create {}", local_dir.display()), &e))?;
    let local_root = local_dir
        .canonicalize()
        .map_err(|e| Error::local_io(&format!("cannot open {}", local_dir.display()), &e))?;
    let mut errors = Vec::new();
    let files = remote_files(ctx, root, &local_root, source, &mut errors).await?;
    remove_stale_parts_of(&local_root, &files);
    let shares = Shares::new(files.iter().filter_map(|file| file.expected.size).sum());
    let mut tally = Tally::new(errors);
    let local_root = &local_root;
    let mut outcomes = futures_util::stream::iter(files)
        .map(|file| {
            let size = file.expected.size.unwrap_or(0);
            let part = ctx.with_progress(ctx.progress.share(&shares, size));
            async move {
                let outcome = download_one(&part, &file, local_root, source).await;
                finish_part(&part, size);
                (file, outcome)
            }
        })
        .buffered(concurrency(ctx));
    while let Some((file, outcome)) = outcomes.next().await {
        tally.record(&file.relative, file.expected.size.unwrap_or(0), outcome)?;
    }
    Ok(tally.result("downloaded"))
}

/// Downloads one file unless the local one already matches.
async fn download_one(ctx: &Context, file: &Found, local_root: &Path, source: &impl DownloadSource) -> Result<Outcome> {
    ctx.progress.check()?;
    let target = safe_target(local_root, &file.relative).await?;
    if let Some(existing) = local_checksums(&target, file.expected.needs_md5()).await? {
        if file.expected.has_checksum() && verify(&existing, &file.expected).is_ok() {
            return Ok(Outcome::Skipped);
        }
    }
    let sink = Sink::Inside {
        root: local_root.to_path_buf(),
        target,
    };
    source.download(ctx, &file.handle, &file.expected, sink).await?;
    Ok(Outcome::Moved)
}

/// Removes the part files a killed earlier run left beside the files about to be downloaded:
/// one look per folder, only those files' parts, never a live download's.
fn remove_stale_parts_of(local_root: &Path, files: &[Found]) {
    let mut by_folder: HashMap<PathBuf, HashSet<String>> = HashMap::new();
    for target in files
        .iter()
        .filter_map(|file| local_target(local_root, &file.relative).ok())
    {
        if let (Some(dir), Some(name)) = (target.parent(), target.file_name()) {
            let name = name.to_string_lossy().into_owned();
            by_folder.entry(dir.to_path_buf()).or_default().insert(name);
        }
    }
    for (dir, names) in by_folder {
        remove_stale_parts(&dir, &names);
    }
}

/// A file is done (moved, skipped or failed): all of its bytes count as done.
fn finish_part(part: &Context, size: u64) {
    // A cancel is noticed by the next file and by the caller; this report only keeps the sum.
    let _ = part.progress.report(size, size);
}

/// How many files move at once.
fn concurrency(ctx: &Context) -> usize {
    ctx.config.transfers.concurrency.max(1) as usize
}

/// A remote file found by the walk.
struct Found {
    relative: String,
    handle: String,
    expected: Expected,
}

/// Walks the remote tree: every file with its relative path, sorted; names that could lead out
/// of the folder are refused in `errors`, and a name met twice is taken once. A tree that goes
/// deeper than [`MAX_DEPTH`], holds more than [`MAX_ENTRIES`], or lists a folder again (a folder
/// inside itself) is a server's error.
async fn remote_files(
    ctx: &Context,
    root: &str,
    local_root: &Path,
    source: &impl DownloadSource,
    errors: &mut Vec<Value>,
) -> Result<Vec<Found>> {
    let mut files = Vec::new();
    let mut pending = vec![(root.to_string(), String::new(), 0)];
    let mut listed = HashSet::new();
    let mut seen = HashSet::new();
    while let Some((folder, prefix, depth)) = pending.pop() {
        ctx.progress.check()?;
        if !listed.insert(folder.clone()) {
            return Err(looping(&format!("the folder `{prefix}` is listed inside itself")));
        }
        if depth > MAX_DEPTH {
            return Err(looping(&format!("the tree goes deeper than {MAX_DEPTH} folders")));
        }
        for entry in source.entries(&folder).await? {
            let name = match &entry {
                RemoteEntry::Folder { name, .. }
                | RemoteEntry::File { name, .. }
                | RemoteEntry::Refused { name, .. } => name,
            };
            let relative = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let target = match local_target(local_root, &relative) {
                Ok(target) => target,
                Err(why) => {
                    let error = Error::new(ErrorCode::UnsafePath, format!("refused: {why}"));
                    tree_error(errors, &relative, &error);
                    continue;
                }
            };
            if !seen.insert(target) {
                continue;
            }
            if seen.len() > MAX_ENTRIES {
                return Err(looping(&format!("the tree has more than {MAX_ENTRIES} entries")));
            }
            match entry {
                RemoteEntry::Folder { handle, .. } => pending.push((handle, relative, depth + 1)),
                RemoteEntry::File { handle, expected, .. } => files.push(Found {
                    relative,
                    handle,
                    expected,
                }),
                RemoteEntry::Refused { why, .. } => {
                    tree_error(errors, &relative, &Error::new(ErrorCode::InvalidParams, why));
                }
            }
        }
    }
    files.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(files)
}

/// A remote tree that cannot be what it claims.
fn looping(what: &str) -> Error {
    Error::new(
        ErrorCode::InvalidResponse,
        format!("the service's folder listings do not end: {what}"),
    )
}

/// The local path of a remote file, its folders created, refusing a planted symbolic link
/// that would take the write elsewhere. The download checks the folders again right before it
/// creates its part file and before it renames it into place (`Sink::Inside`).
async fn safe_target(local_root: &Path, relative: &str) -> Result<PathBuf> {
    let target = local_target(local_root, relative).map_err(|why| Error::new(ErrorCode::UnsafePath, why))?;
    let parent = target.parent().unwrap_or(local_root).to_path_buf();
    tokio::fs::create_dir_all(&parent)
        .await
        .map_err(|e| Error::local_io(&format!("cannot create {}", parent.display()), &e))?;
    let real_parent = parent
        .canonicalize()
        .map_err(|e| Error::local_io(&format!("cannot open {}", parent.display()), &e))?;
    if !real_parent.starts_with(local_root) || tokio::fs::symlink_metadata(&target).await.is_ok_and(|m| m.is_symlink())
    {
        return Err(Error::new(
            ErrorCode::UnsafePath,
            "refused: a symbolic link would take the write elsewhere",
        ));
    }
    Ok(target)
}

/// Whether an error concerns one file only, so the rest of the tree goes on; anything else
/// (a refused token, an unreachable service, a full disk, a cancellation) stops the transfer.
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
/// problems. Files are booked in the order of the tree, whatever order they finished in.
struct Tally {
    moved: u64,
    skipped: u64,
    bytes: u64,
    errors: Vec<Value>,
}

impl Tally {
    fn new(errors: Vec<Value>) -> Tally {
        Tally {
            moved: 0,
            skipped: 0,
            bytes: 0,
            errors,
        }
    }

    /// Books one file: moved, skipped as unchanged, or a problem with that file alone; any
    /// other error stops the transfer.
    fn record(&mut self, relative: &str, size: u64, outcome: Result<Outcome>) -> Result<()> {
        match outcome {
            Ok(Outcome::Moved) => {
                self.moved += 1;
                self.bytes += size;
            }
            Ok(Outcome::Skipped) => self.skipped += 1,
            Err(error) if !concerns_one_file(&error) => return Err(error),
            Err(error) => tree_error(&mut self.errors, relative, &error),
        }
        Ok(())
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
/// (they could lead anywhere) and are reported; a download's part files are not files of the
/// tree.
fn local_files(root: &Path, errors: &mut Vec<Value>) -> Result<Vec<LocalFile>> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let listing_error = |e: std::io::Error| Error::local_io(&format!("cannot list {}", dir.display()), &e);
        for entry in std::fs::read_dir(&dir).map_err(listing_error)? {
            let entry = entry.map_err(listing_error)?;
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
                let error = Error::new(ErrorCode::UnsafePath, "a symbolic link; not followed");
                tree_error(errors, &relative, &error);
            } else if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() && !is_part_name(&entry.file_name().to_string_lossy()) {
                let metadata = entry.metadata().ok();
                files.push(LocalFile {
                    relative,
                    path,
                    size: metadata.as_ref().map_or(0, |m| m.len()),
                    mtime: metadata
                        .and_then(|m| m.modified().ok())
                        .map(mtime_text)
                        .unwrap_or_default(),
                });
            }
        }
    }
    files.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(files)
}

/// A modification time as [`MTIME_PROPERTY`] records it: nanoseconds since the Unix epoch.
pub(crate) fn mtime_text(time: SystemTime) -> String {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_nanos().to_string(),
        Err(before) => format!("-{}", before.duration().as_nanos()),
    }
}

/// Whether a remote name is safe as one local path component. `windows` adds the names and
/// characters Windows forbids (device names, `<>:"|?*`, a trailing dot or space).
pub(crate) fn safe_component(name: &str, windows: bool) -> std::result::Result<(), &'static str> {
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
pub(crate) fn local_target(local_dir: &Path, relative: &str) -> std::result::Result<PathBuf, &'static str> {
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn one_files_problem_is_listed_and_the_rest_goes_on() {
        let mut tally = Tally::new(Vec::new());
        tally.record("a", 10, Ok(Outcome::Moved)).unwrap();
        tally.record("b", 10, Ok(Outcome::Skipped)).unwrap();
        let conflict = Error::new(ErrorCode::Conflict, "there already");
        tally.record("c", 10, Err(conflict)).unwrap();
        let refused = Error::new(ErrorCode::Unauthorized, "token refused");
        assert!(tally.record("d", 0, Err(refused)).is_err());
        let result = tally.result("uploaded");
        assert_eq!(result["uploaded"], 1);
        assert_eq!(result["skipped"], 1);
        assert_eq!(result["bytes"], 10);
        assert_eq!(result["errors"][0]["code"], "conflict");
    }

    #[test]
    fn modification_times_are_nanoseconds() {
        let time = UNIX_EPOCH + std::time::Duration::new(1_700_000_000, 123);
        assert_eq!(mtime_text(time), "1700000000000000123");
        assert_eq!(
            mtime_text(UNIX_EPOCH - std::time::Duration::from_secs(1)),
            "-1000000000"
        );
    }

    #[test]
    fn content_is_compared_by_the_strongest_checksum_reported() {
        let sums = Checksums {
            size: 3,
            md5: Some("aa".into()),
            sha256: "bb".into(),
        };
        let remote = |md5: Option<&str>, sha256: Option<&str>| RemoteFile {
            size: Some(3),
            md5: md5.map(String::from),
            sha256: sha256.map(String::from),
            ..RemoteFile::default()
        };
        assert!(same_content(&remote(Some("AA"), Some("BB")), &sums));
        assert!(!same_content(&remote(Some("aa"), Some("cc")), &sums));
        assert!(same_content(&remote(Some("aa"), None), &sums));
        assert!(!same_content(&remote(None, None), &sums));
        let longer = RemoteFile {
            size: Some(4),
            ..remote(Some("aa"), Some("bb"))
        };
        assert!(!same_content(&longer, &sums));
    }
}
