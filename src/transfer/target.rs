//! Where a download to a file lands. A regular file (or none yet) is replaced only once the
//! bytes are verified: they go to a hidden part file beside it, renamed over it at the end. A
//! symbolic link is written through: the file it points at is replaced, the link stays. A FIFO
//! or a character device (`/dev/null`, a terminal, `/dev/stdout` on a pipe) cannot be replaced
//! and is written directly, in order, as the bytes arrive — verification still runs, but it
//! cannot take back what was written. Anything else (a folder, a block device, a socket, a link
//! to nothing) is refused.
//!
//! A file of a folder download lands only inside the folder (`Reach::Inside`): the folders on
//! the way are checked before the part file is made and again before the rename
//! ([`check_inside`]), so there a link is refused, not written through.
//!
//! A part file is held with an advisory lock while its download lives (Unix), so the part
//! files a killed process left behind can be told from live ones and removed on the next run.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::hex;
use super::inside::check_inside;
use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;
use crate::transport::Context;

/// The end of every part file's name: `.NAME.HEX.diskbridge-part`.
const PART_SUFFIX: &str = ".diskbridge-part";

/// A part file younger than this is never removed, locked or not: it may belong to a download
/// that has just created it and not locked it yet.
const YOUNG: Duration = Duration::from_secs(60);

/// Without a lock to ask (a file system without advisory locks), a part file left untouched
/// this long is taken for abandoned: a live download writes, or gives up, long before.
const ABANDONED: Duration = Duration::from_secs(3600);

/// Where a download to a file lands.
pub(super) enum Placement {
    /// Into a part file beside `target`, renamed over it once verified; `root`: the folder the
    /// target must still be inside at the rename.
    Replace {
        target: PathBuf,
        part: PartFile,
        root: Option<PathBuf>,
    },
    /// Straight into a FIFO or a character device.
    Direct { path: PathBuf },
}

impl Placement {
    /// Puts verified bytes in place: the part file renamed over the target, once the folders
    /// on the way to a target that must stay inside its root are checked again.
    pub(super) async fn commit(self) -> Result<()> {
        if let Placement::Replace { target, mut part, root } = self {
            if let Some(root) = root {
                check_inside(&root, &target)?;
            }
            part.commit(&target).await?;
        }
        Ok(())
    }
}

/// How far a download to a file may reach.
pub(super) enum Reach<'a> {
    /// Wherever `save_path` leads (a link is written through); the stale part files of the
    /// target are removed first.
    Anywhere,
    /// Only inside this folder, which others may be changing (a file of a folder download,
    /// whose folders the tree engine has already rid of stale part files).
    Inside(&'a Path),
}

/// A part file beside the target, removed unless it was renamed over the target. `lock` holds
/// the advisory lock that tells other processes the download is alive.
pub(super) struct PartFile {
    pub path: PathBuf,
    pub file: std::fs::File,
    committed: bool,
    _lock: Option<std::fs::File>,
}

impl PartFile {
    /// Renames the part file over `target`.
    async fn commit(&mut self, target: &Path) -> Result<()> {
        tokio::fs::rename(&self.path, target)
            .await
            .map_err(|e| Error::local_io(&format!("cannot replace {}", target.display()), &e))?;
        self.committed = true;
        Ok(())
    }

    /// Empties the part file, for a download that starts over.
    pub(super) fn truncate(&self) -> Result<()> {
        self.file
            .set_len(0)
            .map_err(|e| Error::local_io(&format!("cannot write {}", self.path.display()), &e))
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What `save_path` is, and how a download lands there.
pub(super) async fn place(ctx: &Context, save_path: &Path, reach: Reach<'_>) -> Result<(Placement, std::fs::File)> {
    let root = match reach {
        Reach::Anywhere => None,
        Reach::Inside(root) => {
            check_inside(root, save_path)?;
            Some(root.to_path_buf())
        }
    };
    let target = match resolve(save_path)? {
        Resolved::Regular(target) => target,
        Resolved::Direct => {
            let file = open_direct(ctx, save_path).await?;
            let path = save_path.to_path_buf();
            return Ok((Placement::Direct { path }, file));
        }
    };
    if root.is_none() {
        if let (Some(dir), Some(name)) = (target.parent(), file_name(&target)) {
            let removed = remove_stale_parts(dir, &HashSet::from([name]));
            if removed > 0 {
                let line = format!(
                    "removed {removed} part file(s) of {} left by an earlier run",
                    target.display()
                );
                ctx.log(Level::Info, "transfer", &line);
            }
        }
    }
    let part = create_part(&target)?;
    let file = part
        .file
        .try_clone()
        .map_err(|e| Error::local_io(&format!("cannot open {}", part.path.display()), &e))?;
    Ok((Placement::Replace { target, part, root }, file))
}

enum Resolved {
    /// Replace this regular file (the target of a link), or create it.
    Regular(PathBuf),
    /// Write straight into `save_path`.
    Direct,
}

fn resolve(save_path: &Path) -> Result<Resolved> {
    let refused = |why: &str| {
        Err(Error::new(
            ErrorCode::LocalIo,
            format!("cannot download into {}: {why}", save_path.display()),
        ))
    };
    let link = std::fs::symlink_metadata(save_path).is_ok_and(|m| m.file_type().is_symlink());
    let metadata = match std::fs::metadata(save_path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && link => {
            return refused("a symbolic link to nothing (it is not replaced)")
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Resolved::Regular(save_path.into())),
        Err(err) => return Err(Error::local_io(&format!("cannot open {}", save_path.display()), &err)),
    };
    let kind = metadata.file_type();
    if kind.is_file() && link {
        let real = std::fs::canonicalize(save_path)
            .map_err(|e| Error::local_io(&format!("cannot follow {}", save_path.display()), &e))?;
        return Ok(Resolved::Regular(real));
    }
    if kind.is_file() {
        return Ok(Resolved::Regular(save_path.into()));
    }
    if kind.is_dir() {
        return refused("it is a folder");
    }
    if is_stream(&kind) {
        return Ok(Resolved::Direct);
    }
    refused("it is neither a regular file, a FIFO nor a character device")
}

#[cfg(unix)]
fn is_stream(kind: &std::fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    kind.is_fifo() || kind.is_char_device()
}

#[cfg(not(unix))]
fn is_stream(_kind: &std::fs::FileType) -> bool {
    false
}

/// Opens a FIFO or a character device for writing. A FIFO is opened without blocking: while
/// nobody reads it, the open is tried again every 100 ms, up to the read timeout (and the call
/// can be cancelled meanwhile), instead of waiting forever.
#[cfg(unix)]
async fn open_direct(ctx: &Context, path: &Path) -> Result<std::fs::File> {
    use std::os::unix::fs::FileTypeExt;
    let opening = |e: std::io::Error| Error::local_io(&format!("cannot open {}", path.display()), &e);
    let fifo = std::fs::metadata(path).map_err(opening)?.file_type().is_fifo();
    if !fifo {
        return std::fs::OpenOptions::new().write(true).open(path).map_err(opening);
    }
    let patience = Duration::from_secs_f64(ctx.config.timeouts.read_s);
    let started = std::time::Instant::now();
    loop {
        match tokio::net::unix::pipe::OpenOptions::new().open_sender(path) {
            Ok(sender) => return sender.into_blocking_fd().map(std::fs::File::from).map_err(opening),
            // ENXIO: nobody has the FIFO open for reading yet.
            Err(err) if err.raw_os_error() == Some(6) && started.elapsed() < patience => {
                ctx.progress.sleep(Duration::from_millis(100)).await?;
            }
            Err(err) if err.raw_os_error() == Some(6) => {
                return Err(Error::new(
                    ErrorCode::LocalIo,
                    format!(
                        "nobody reads the FIFO {} (waited {} s)",
                        path.display(),
                        patience.as_secs_f64()
                    ),
                ))
            }
            Err(err) => return Err(opening(err)),
        }
    }
}

#[cfg(not(unix))]
async fn open_direct(_ctx: &Context, path: &Path) -> Result<std::fs::File> {
    Err(Error::new(
        ErrorCode::LocalIo,
        format!("cannot download into {}: not a regular file", path.display()),
    ))
}

fn file_name(path: &Path) -> Option<String> {
    path.file_name().map(|n| n.to_string_lossy().into_owned())
}

/// A hidden part file beside the target, so the final rename is atomic, locked while it lives.
fn create_part(target: &Path) -> Result<PartFile> {
    let mut random = [0u8; 6];
    let _ = getrandom::fill(&mut random);
    let name = file_name(target).unwrap_or_default();
    let path = target.with_file_name(format!(".{name}.{}{PART_SUFFIX}", hex(&random)));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| Error::local_io(&format!("cannot create {}", path.display()), &e))?;
    let part = PartFile {
        path,
        _lock: lock(&file),
        file,
        committed: false,
    };
    Ok(part)
}

/// A handle on `file` holding an exclusive advisory lock for as long as it lives (flock
/// follows the open file, so the download's other handles keep writing). None where locks are
/// not available: the age of the part file then tells.
#[cfg(unix)]
fn lock(file: &std::fs::File) -> Option<std::fs::File> {
    let handle = file.try_clone().ok()?;
    handle.try_lock().ok()?;
    Some(handle)
}

/// Windows locks are mandatory and per handle: a lock would stop the download's own writes.
#[cfg(not(unix))]
fn lock(_file: &std::fs::File) -> Option<std::fs::File> {
    None
}

/// Whether a file name is a download's part file: `.NAME.HEX.diskbridge-part`, where HEX is 12
/// lowercase hex digits. Folder walks skip them.
pub(crate) fn is_part_name(name: &str) -> bool {
    part_of(name).is_some()
}

/// The NAME of the target a part file belongs to.
fn part_of(name: &str) -> Option<&str> {
    let inner = name.strip_prefix('.')?.strip_suffix(PART_SUFFIX)?;
    let (target, random) = inner.rsplit_once('.')?;
    let hex = random.len() == 12 && random.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (hex && !target.is_empty()).then_some(target)
}

/// Removes the part files in `dir` that belong to one of `targets` (file names) and that no
/// live download holds: unlocked and older than a minute, or (without locks) untouched for an
/// hour. Another process's live part file is never removed. Returns how many went.
pub(crate) fn remove_stale_parts(dir: &Path, targets: &HashSet<String>) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(target) = name.to_str().and_then(part_of) else {
            continue;
        };
        if targets.contains(target) && abandoned(&entry.path()) && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Whether a part file was abandoned by its download. The lock taken here is held while the
/// file is removed, and released with it.
fn abandoned(path: &Path) -> bool {
    let Ok(metadata) = std::fs::symlink_metadata(path) else {
        return false;
    };
    let age = metadata
        .modified()
        .ok()
        .and_then(|modified| SystemTime::now().duration_since(modified).ok())
        .unwrap_or_default();
    if !metadata.is_file() || age < YOUNG {
        return false;
    }
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    held(&file).map_or(age >= ABANDONED, |held| !held)
}

/// Whether a live download holds the part file's lock; None when locks cannot tell. A lock
/// taken here lasts as long as `file`.
#[cfg(unix)]
fn held(file: &std::fs::File) -> Option<bool> {
    match file.try_lock() {
        Ok(()) => Some(false),
        Err(std::fs::TryLockError::WouldBlock) => Some(true),
        Err(std::fs::TryLockError::Error(_)) => None,
    }
}

#[cfg(not(unix))]
fn held(_file: &std::fs::File) -> Option<bool> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names_are_recognised_exactly() {
        assert_eq!(part_of(".report.pdf.0123456789ab.diskbridge-part"), Some("report.pdf"));
        assert_eq!(part_of("..x.0123456789ab.diskbridge-part"), Some(".x"));
        for other in [
            "report.pdf",
            ".report.pdf.diskbridge-part",
            ".report.pdf.0123456789AB.diskbridge-part",
            ".report.pdf.0123456789a.diskbridge-part",
            "report.pdf.0123456789ab.diskbridge-part",
            "..0123456789ab.diskbridge-part",
            ".report.pdf.0123456789ab.diskbridge-part.txt",
        ] {
            assert_eq!(part_of(other), None, "{other}");
        }
    }
}
