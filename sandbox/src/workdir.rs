//! The sandbox's temporary directory: file contents of an in-memory sandbox and the TLS files,
//! removed when the sandbox stops (dropped in-process, or the binary ended by SIGTERM/SIGINT).
//!
//! A sandbox that is killed outright (SIGKILL, a crash) cannot clean up, so each sandbox first
//! reclaims the directories such sandboxes left. Process ids cannot tell which those are (the
//! directory may belong to a sandbox in another PID namespace, whose ids mean nothing here), so
//! ownership is an advisory lock: the owner holds an exclusive `flock` on `.owner.lock` inside
//! its directory for as long as it runs, and the kernel drops that lock when the process ends,
//! however it ends. A directory is reclaimed only while its lock can be taken; a live sandbox's
//! never can. The lock file gets its name only once it is locked, so no directory is ever seen
//! with an unlocked lock file while its owner is still starting.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// Every sandbox's directory is `<temp dir>/<PREFIX><random>`.
const PREFIX: &str = "diskbridge-sandbox-run-";
const LOCK: &str = ".owner.lock";

pub struct WorkDir {
    path: PathBuf,
    /// Holds the lock for as long as the directory is in use.
    _lock: File,
}

impl WorkDir {
    /// Reclaims the directories of sandboxes that are gone, then makes and locks a new one.
    pub fn create() -> io::Result<WorkDir> {
        WorkDir::create_in(&std::env::temp_dir())
    }

    pub fn create_in(parent: &Path) -> io::Result<WorkDir> {
        reclaim_abandoned(parent);
        let path = parent.join(format!("{PREFIX}{}", crate::util::random_hex(8)));
        std::fs::create_dir(&path)?;
        let staged = path.join(".owner.lock.new");
        let lock = File::create(&staged)?;
        if !try_lock(&lock)? {
            return Err(io::Error::other("cannot lock a new sandbox directory"));
        }
        std::fs::rename(&staged, path.join(LOCK))?;
        Ok(WorkDir { path, _lock: lock })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        // Removed while still locked; the lock goes with the file handle afterwards.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Removes the sandbox directories in `parent` whose owner is gone: those whose lock can be
/// taken. Directories without a lock file (still being made, or not ours) are left alone.
fn reclaim_abandoned(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let dir = entry.path();
        let Ok(lock) = File::open(dir.join(LOCK)) else {
            continue;
        };
        if try_lock(&lock).unwrap_or(false) {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

/// An exclusive, non-blocking `flock`: false when another process holds it.
#[cfg(unix)]
fn try_lock(file: &File) -> io::Result<bool> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a descriptor this File owns; it touches no memory.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let error = io::Error::last_os_error();
    match error.raw_os_error() {
        Some(libc::EWOULDBLOCK) => Ok(false),
        _ => Err(error),
    }
}

/// Elsewhere no reclaiming: only a sandbox that stops cleanly removes its directory.
#[cfg(not(unix))]
fn try_lock(_file: &File) -> io::Result<bool> {
    Ok(false)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn scratch() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("diskbridge-workdir-test-{}", crate::util::random_hex(6)));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_locked_directory_is_kept_and_an_abandoned_one_reclaimed() {
        let parent = scratch();
        let live = WorkDir::create_in(&parent).unwrap();
        // Abandoned: a lock file nobody holds, as a killed sandbox leaves it.
        let abandoned = parent.join(format!("{PREFIX}abandoned"));
        std::fs::create_dir(&abandoned).unwrap();
        File::create(abandoned.join(LOCK)).unwrap();
        // Not ours to judge: no lock file.
        let unknown = parent.join(format!("{PREFIX}starting"));
        std::fs::create_dir(&unknown).unwrap();
        let second = WorkDir::create_in(&parent).unwrap();
        assert!(live.path().exists(), "a live sandbox's directory survives");
        assert!(!abandoned.exists(), "an abandoned directory is reclaimed");
        assert!(unknown.exists());
        let live_path = live.path().to_path_buf();
        drop(live);
        assert!(!live_path.exists(), "dropping removes the directory");
        drop(second);
        std::fs::remove_dir_all(&parent).unwrap();
    }
}
