//! The folder-tree engine, for any service with files in folders: walking a local tree
//! (symbolic links are not followed), turning remote names into local paths that cannot leave
//! the target folder, skipping files whose checksums already match, and the tally of a folder
//! transfer, where a problem with one file is listed in `errors` while the rest goes on. A
//! service lends the engine its remote side through [`UploadTarget`] or [`DownloadSource`].

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::{Component, Path, PathBuf};

use serde_json::{json, Value};

use crate::error::{Error, ErrorCode, Result};
use crate::progress::Progress;
use crate::transfer::{is_part_name, local_checksums, remove_stale_parts, verify, Expected, Source};
use crate::transport::Context;

/// A file in a remote folder, as far as the engine compares: its checksums and size.
#[derive(Clone, Debug, Default)]
pub(crate) struct RemoteFile {
    pub md5: Option<String>,
    pub sha256: Option<String>,
    pub size: Option<u64>,
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

/// The remote side of an upload: folders named by their path relative to the tree's root
/// (`""` for the root itself, `a/b` below it).
pub(crate) trait UploadTarget {
    /// The files of a remote folder by name, creating the folder (and its parents) when it is
    /// missing. Asked once per folder.
    fn files_in(&self, dir: &str) -> impl Future<Output = Result<HashMap<String, RemoteFile>>> + Send;

    /// Uploads one file into a folder under `name`, replacing a file that is there; `ctx`
    /// reports this file's progress as a part of the whole tree's.
    fn upload(&self, ctx: &Context, dir: &str, name: &str, source: &Source) -> impl Future<Output = Result<()>> + Send;
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
}

/// The remote side of a download.
pub(crate) trait DownloadSource {
    /// The entries of the folder `handle` names, every page.
    fn entries(&self, handle: &str) -> impl Future<Output = Result<Vec<RemoteEntry>>> + Send;

    /// Downloads the file `handle` names into `target`, verified against `expected`; the
    /// engine has removed the stale part files of the target's folder
    /// (`transfer::Sink::FileInSweptFolder`).
    fn download(
        &self,
        ctx: &Context,
        handle: &str,
        expected: &Expected,
        target: PathBuf,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// What a folder upload does with files that are there already.
#[derive(Clone, Copy, Debug)]
pub(crate) struct UploadOptions {
    /// Replace remote files whose content differs (else they are a `conflict`).
    pub overwrite: bool,
    /// Skip files whose size and checksum equal the remote one.
    pub skip_unchanged: bool,
}

/// Uploads the tree under `local_dir`: `{"uploaded", "skipped", "bytes", "errors"}`.
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
    let mut tally = Tally::new(files.iter().map(|(_, _, size)| size).sum(), errors);
    // Remote folders known to exist, with their files.
    let mut remote: HashMap<String, HashMap<String, RemoteFile>> = HashMap::new();
    for (relative, local_path, size) in files {
        ctx.progress.check()?;
        let (dir, name) = relative.rsplit_once('/').unwrap_or(("", &relative));
        let outcome = async {
            if !remote.contains_key(dir) {
                remote.insert(dir.to_string(), target.files_in(dir).await?);
            }
            let source = Source::file(&local_path)?;
            if let Some(existing) = remote.get(dir).and_then(|files| files.get(name)) {
                let expected = existing.expected();
                let sums = source.checksums(expected.needs_md5()).await?;
                let same = expected.has_checksum() && verify(&sums, &expected).is_ok();
                if same && options.skip_unchanged {
                    return Ok(false);
                }
                if !same && !options.overwrite {
                    return Err(Error::new(
                        ErrorCode::Conflict,
                        "a different file is there already: pass overwrite=true to replace it",
                    ));
                }
            }
            target.upload(&tally.part(ctx), dir, name, &source).await?;
            Ok(true)
        }
        .await;
        tally.record(&ctx.progress, &relative, size, outcome)?;
    }
    Ok(tally.result("uploaded"))
}

/// Downloads the remote tree under the folder `root` into `local_dir`:
/// `{"downloaded", "skipped", "bytes", "errors"}`. No remote name can make a write land outside
/// `local_dir`; files whose md5 already matches are skipped.
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
    let total = files.iter().filter_map(|file| file.expected.size).sum();
    let mut tally = Tally::new(total, errors);
    for file in files {
        ctx.progress.check()?;
        let outcome = async {
            let target = safe_target(&local_root, &file.relative).await?;
            if let Some(existing) = local_checksums(&target, file.expected.needs_md5()).await? {
                if file.expected.has_checksum() && verify(&existing, &file.expected).is_ok() {
                    return Ok(false);
                }
            }
            let part = tally.part(ctx);
            source.download(&part, &file.handle, &file.expected, target).await?;
            Ok(true)
        }
        .await;
        let size = file.expected.size.unwrap_or(0);
        tally.record(&ctx.progress, &file.relative, size, outcome)?;
    }
    Ok(tally.result("downloaded"))
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

/// A remote file found by the walk.
struct Found {
    relative: String,
    handle: String,
    expected: Expected,
}

/// Walks the remote tree: every file with its relative path, sorted; names that could lead out
/// of the folder are refused in `errors`, and a name met twice is taken once.
async fn remote_files(
    ctx: &Context,
    root: &str,
    local_root: &Path,
    source: &impl DownloadSource,
    errors: &mut Vec<Value>,
) -> Result<Vec<Found>> {
    let mut files = Vec::new();
    let mut pending = vec![(root.to_string(), String::new())];
    let mut seen = HashSet::new();
    while let Some((folder, prefix)) = pending.pop() {
        ctx.progress.check()?;
        for entry in source.entries(&folder).await? {
            let name = match &entry {
                RemoteEntry::Folder { name, .. } | RemoteEntry::File { name, .. } => name,
            };
            let relative = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let target = match local_target(local_root, &relative) {
                Ok(target) => target,
                Err(why) => {
                    tree_error(
                        errors,
                        &relative,
                        &Error::new(ErrorCode::UnsafePath, format!("refused: {why}")),
                    );
                    continue;
                }
            };
            if !seen.insert(target) {
                continue;
            }
            match entry {
                RemoteEntry::Folder { handle, .. } => pending.push((handle, relative)),
                RemoteEntry::File { handle, expected, .. } => files.push(Found {
                    relative,
                    handle,
                    expected,
                }),
            }
        }
    }
    files.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(files)
}

/// The local path of a remote file, its folders created, refusing a planted symbolic link
/// that would take the write elsewhere.
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
/// problems, and the progress over the whole tree.
struct Tally {
    moved: u64,
    skipped: u64,
    bytes: u64,
    done: u64,
    total: u64,
    errors: Vec<Value>,
}

impl Tally {
    fn new(total: u64, errors: Vec<Value>) -> Tally {
        Tally {
            moved: 0,
            skipped: 0,
            bytes: 0,
            done: 0,
            total,
            errors,
        }
    }

    /// The call's context, reporting the next file's progress as a part of the whole.
    fn part(&self, ctx: &Context) -> Context {
        ctx.with_progress(ctx.progress.part(self.done, self.total))
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
/// (they could lead anywhere) and are reported; a download's part files are not files of the
/// tree.
fn local_files(root: &Path, errors: &mut Vec<Value>) -> Result<Vec<(String, PathBuf, u64)>> {
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
                let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                files.push((relative, path, size));
            }
        }
    }
    files.sort();
    Ok(files)
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
        let progress = Progress::default();
        let mut tally = Tally::new(30, Vec::new());
        tally.record(&progress, "a", 10, Ok(true)).unwrap();
        tally.record(&progress, "b", 10, Ok(false)).unwrap();
        let conflict = Error::new(ErrorCode::Conflict, "there already");
        tally.record(&progress, "c", 10, Err(conflict)).unwrap();
        assert_eq!(progress.counters(), (30, 30));
        let refused = Error::new(ErrorCode::Unauthorized, "token refused");
        assert!(tally.record(&progress, "d", 0, Err(refused)).is_err());
        let result = tally.result("uploaded");
        assert_eq!(result["uploaded"], 1);
        assert_eq!(result["skipped"], 1);
        assert_eq!(result["bytes"], 10);
        assert_eq!(result["errors"][0]["code"], "conflict");
    }
}
