//! A credentials file shared by processes and threads (`credentials_file`, docs/design.md §6):
//! the file is read, and replaced with renewed tokens, only under an exclusive lock, so any
//! number of processes holding one sign-in renew it one at a time and each sees the tokens the
//! last one saved. Knows nothing of tokens: `auth` decides what to read and what to write.
//!
//! - The lock is an operating-system lock (`File::try_lock`: `flock` on Unix, `LockFileEx` on
//!   Windows) on a separate file beside the credentials, `NAME.lock`: the credentials file
//!   itself is replaced by a rename, so a lock on it would stay with the old file. The system
//!   drops the lock when its holder exits or dies, so a killed process never leaves it held.
//!   The lock file stays (removing it would let two processes lock two different files).
//!   Threads of one process first queue on an in-process lock of the same path, then take the
//!   file lock like any process.
//! - Symbolic links are resolved once: the target is read, replaced and locked, so the link
//!   stays a link and every path to one file shares one lock.
//! - New content goes to a temporary file created beside the target before anything is renewed
//!   (a folder that cannot be written fails before a refresh token is spent), written, synced,
//!   renamed over the target, and the folder synced. Nobody ever reads half a file.
//! - On Unix the file must be readable and writable by its owner only (as ssh requires of keys);
//!   the replacement is created owner-only and keeps the owner of the file it replaces.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::durable;
use crate::error::{Error, ErrorCode, Result};
use crate::progress::Progress;
use crate::sync::lock;

/// Credentials are a few hundred bytes; a larger file is not a credentials file.
const MAX_BYTES: u64 = 64 * 1024;
/// The longest pause between two tries of a lock another process holds.
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// A credentials file, its symbolic links resolved.
pub(crate) struct CredentialsFile {
    path: PathBuf,
}

/// The lock on a credentials file, released when dropped.
pub(crate) struct Locked<'a> {
    file: &'a CredentialsFile,
    /// Holds the system lock until closed.
    _lock: File,
    _in_process: tokio::sync::OwnedMutexGuard<()>,
}

/// A temporary file beside the target, ready to take the new content; removed unless committed.
pub(crate) struct Staged {
    temporary: PathBuf,
    target: PathBuf,
    file: Option<File>,
    committed: bool,
}

impl CredentialsFile {
    /// The file at `given`, its links resolved: it must exist.
    pub(crate) fn resolve(given: &str) -> Result<CredentialsFile> {
        if given.trim().is_empty() {
            return Err(Error::invalid_params(
                "`credentials_file` is empty: give the path of a credentials file",
            ));
        }
        let path = std::fs::canonicalize(given).map_err(|err| {
            let hint = if err.kind() == std::io::ErrorKind::NotFound {
                ": sign in and save the credentials there first"
            } else {
                ""
            };
            Error::new(
                ErrorCode::LocalIo,
                format!("credentials_file {given} cannot be opened: {err}{hint}"),
            )
        })?;
        // Before a lock file is made beside it.
        if !path.is_file() {
            return Err(not_a_file(&path));
        }
        Ok(CredentialsFile { path })
    }

    /// The file itself (links resolved).
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn lock_path(&self) -> PathBuf {
        sibling(&self.path, "", ".lock")
    }

    /// Waits up to `wait` for the lock (cancellable through `progress`).
    pub(crate) async fn lock(&self, wait: Duration, progress: &Progress) -> Result<Locked<'_>> {
        let deadline = Instant::now() + wait;
        let queue = in_process_lock(&self.path);
        let in_process = loop {
            progress.check()?;
            let left = deadline.saturating_duration_since(Instant::now());
            let slice = left.min(Duration::from_millis(100));
            if let Ok(guard) = tokio::time::timeout(slice, queue.clone().lock_owned()).await {
                break guard;
            }
            if Instant::now() >= deadline {
                return Err(self.lock_timeout(wait));
            }
        };
        let lock = self.open_lock_file()?;
        let mut pause = Duration::from_millis(2);
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(err)) => {
                    return Err(self.io_error("cannot lock", &self.lock_path(), &err))
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.lock_timeout(wait));
            }
            progress.sleep(pause.min(left)).await?;
            pause = (pause * 2).min(MAX_PAUSE);
        }
        Ok(Locked {
            file: self,
            _lock: lock,
            _in_process: in_process,
        })
    }

    fn open_lock_file(&self) -> Result<File> {
        let path = self.lock_path();
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(Error::new(
                ErrorCode::LocalIo,
                format!("the lock file {} is a symbolic link: remove it", path.display()),
            ));
        }
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        owner_only(&mut options);
        options
            .open(&path)
            .map_err(|err| self.io_error("cannot open", &path, &err))
    }

    fn lock_timeout(&self, wait: Duration) -> Error {
        Error::new(
            ErrorCode::Timeout,
            format!(
                "credentials_file {}: another process or thread held its lock ({}) for more than {:.0} s \
                 (timeouts.lock_s); try again",
                self.path.display(),
                self.lock_path().display(),
                wait.as_secs_f64()
            ),
        )
    }

    fn io_error(&self, what: &str, path: &Path, err: &std::io::Error) -> Error {
        Error::new(
            ErrorCode::LocalIo,
            format!(
                "credentials_file {}: {what} {}: {err}",
                self.path.display(),
                path.display()
            ),
        )
    }
}

impl Locked<'_> {
    /// The credentials: a JSON object in a private regular file.
    pub(crate) fn read(&self) -> Result<Map<String, Value>> {
        let path = &self.file.path;
        let shown = path.display();
        let cannot_read = |err: std::io::Error| self.file.io_error("cannot read", path, &err);
        // Looked at before opening: opening a FIFO would wait for a writer.
        let metadata = std::fs::metadata(path).map_err(cannot_read)?;
        if !metadata.is_file() {
            return Err(not_a_file(path));
        }
        check_private(&metadata, path)?;
        let file = File::open(path).map_err(cannot_read)?;
        let mut text = String::new();
        file.take(MAX_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|err| Error::invalid_params(format!("credentials_file {shown} is not UTF-8 text: {err}")))?;
        if text.len() as u64 > MAX_BYTES {
            return Err(Error::invalid_params(format!(
                "credentials_file {shown} is larger than {MAX_BYTES} bytes: it holds no credentials"
            )));
        }
        // serde_json's messages name a line and column, never the text.
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(Error::invalid_params(format!(
                "credentials_file {shown} must hold a JSON object of credentials"
            ))),
            Err(err) => Err(Error::invalid_params(format!(
                "credentials_file {shown} is not JSON: {err}"
            ))),
        }
    }

    /// A temporary file beside the target, created now: whatever would stop the write (a folder
    /// that cannot be written, no space for a new file) shows before anything is renewed.
    pub(crate) fn stage(&self) -> Result<Staged> {
        let target = self.file.path.clone();
        let temporary = sibling(&target, ".", &format!(".{}.diskbridge-tmp", random_suffix()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        owner_only(&mut options);
        let file = options
            .open(&temporary)
            .map_err(|err| self.file.io_error("cannot create", &temporary, &err))?;
        let staged = Staged {
            temporary,
            target,
            file: Some(file),
            committed: false,
        };
        staged.keep_owner()?;
        Ok(staged)
    }
}

impl Staged {
    /// Writes `content`, syncs it, renames it over the target and syncs the folder.
    pub(crate) fn commit(mut self, content: &Map<String, Value>) -> Result<()> {
        let mut file = self.file.take().expect("committed once");
        let text = serde_json::to_string_pretty(content).expect("JSON values serialise") + "\n";
        let fail = |what: &str, err: std::io::Error| {
            Error::new(
                ErrorCode::LocalIo,
                format!("credentials_file {}: {what}: {err}", self.target.display()),
            )
        };
        file.write_all(text.as_bytes())
            .map_err(|err| fail("cannot write the new credentials", err))?;
        file.sync_all()
            .map_err(|err| fail("cannot write the new credentials", err))?;
        drop(file);
        std::fs::rename(&self.temporary, &self.target)
            .map_err(|err| fail("cannot replace it with the new credentials", err))?;
        self.committed = true;
        sync_folder(&self.target);
        Ok(())
    }

    /// The replacement belongs to whoever owns the file it replaces (a root process renewing a
    /// service account's file must not take it over).
    #[cfg(unix)]
    fn keep_owner(&self) -> Result<()> {
        use std::os::unix::fs::MetadataExt;
        let (Some(file), Ok(target)) = (&self.file, std::fs::metadata(&self.target)) else {
            return Ok(());
        };
        let created = file
            .metadata()
            .map_err(|err| Error::local_io("cannot inspect the new file", &err))?;
        if created.uid() == target.uid() {
            return Ok(());
        }
        std::os::unix::fs::fchown(file, Some(target.uid()), Some(target.gid())).map_err(|err| {
            Error::new(
                ErrorCode::LocalIo,
                format!(
                    "credentials_file {}: cannot give the new file its owner (uid {}): {err}",
                    self.target.display(),
                    target.uid()
                ),
            )
        })
    }

    #[cfg(not(unix))]
    fn keep_owner(&self) -> Result<()> {
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            drop(self.file.take());
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

fn not_a_file(path: &Path) -> Error {
    Error::new(
        ErrorCode::LocalIo,
        format!("credentials_file {} is not a regular file", path.display()),
    )
}

/// One in-process lock per file, so threads of a process queue instead of polling the system
/// lock; entries nobody holds are dropped as others are added.
fn in_process_lock(path: &Path) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let mut locks = lock(LOCKS.get_or_init(Default::default));
    locks.retain(|_, lock| Arc::strong_count(lock) > 1);
    locks.entry(path.to_path_buf()).or_default().clone()
}

/// `DIR/<prefix>NAME<suffix>` beside `path`.
fn sibling(path: &Path, prefix: &str, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{prefix}{name}{suffix}"))
}

fn random_suffix() -> String {
    let mut bytes = [0u8; 6];
    let _ = getrandom::fill(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}.{hex}", std::process::id())
}

#[cfg(unix)]
fn owner_only(options: &mut OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    options.mode(0o600);
}

#[cfg(not(unix))]
fn owner_only(_: &mut OpenOptions) {}

/// Refuses a file that others may read or write, as ssh refuses such keys.
#[cfg(unix)]
fn check_private(metadata: &std::fs::Metadata, path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::LocalIo,
        format!(
            "credentials_file {} may be read or written by other users (mode {mode:03o}): it holds secrets, \
             so it is refused until only its owner has access (chmod 600 {})",
            path.display(),
            path.display()
        ),
    ))
}

#[cfg(not(unix))]
fn check_private(_: &std::fs::Metadata, _: &Path) -> Result<()> {
    Ok(())
}

/// Makes the rename of `path` durable; the new content is already in place, so a failure here
/// is not reported.
fn sync_folder(path: &Path) {
    if let Some(folder) = path.parent() {
        let _ = durable::sync_folder(folder);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Folder(PathBuf);

    impl Folder {
        fn new(name: &str) -> Folder {
            let path = std::env::temp_dir().join(format!("diskbridge-credfile-{name}-{}", random_suffix()));
            std::fs::create_dir_all(&path).unwrap();
            Folder(path)
        }

        fn file(&self, name: &str, text: &str) -> PathBuf {
            let path = self.0.join(name);
            let mut options = OpenOptions::new();
            options.write(true).create(true).truncate(true);
            owner_only(&mut options);
            options.open(&path).unwrap().write_all(text.as_bytes()).unwrap();
            path
        }

        fn names(&self) -> Vec<String> {
            let mut names: Vec<String> = std::fs::read_dir(&self.0)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        }
    }

    impl Drop for Folder {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn a_committed_write_replaces_the_file_and_leaves_only_it_and_its_lock() {
        let folder = Folder::new("commit");
        let path = folder.file("tokens.json", r#"{"refresh_token": "a", "extra": 1}"#);
        let file = CredentialsFile::resolve(path.to_str().unwrap()).unwrap();
        block_on(async {
            let locked = file.lock(Duration::from_secs(5), &Progress::default()).await.unwrap();
            let mut content = locked.read().unwrap();
            assert_eq!(content["refresh_token"], "a");
            let staged = locked.stage().unwrap();
            content.insert("refresh_token".into(), json!("b"));
            staged.commit(&content).unwrap();
        });
        let written: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(written, json!({"refresh_token": "b", "extra": 1}));
        assert_eq!(folder.names(), ["tokens.json", "tokens.json.lock"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for name in ["tokens.json", "tokens.json.lock"] {
                let mode = std::fs::metadata(folder.0.join(name)).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600, "{name}");
            }
        }
    }

    #[test]
    fn a_staged_write_that_is_dropped_or_fails_leaves_the_file_as_it_was() {
        let folder = Folder::new("abandon");
        let path = folder.file("tokens.json", r#"{"refresh_token": "a"}"#);
        let file = CredentialsFile::resolve(path.to_str().unwrap()).unwrap();
        block_on(async {
            let locked = file.lock(Duration::from_secs(5), &Progress::default()).await.unwrap();
            drop(locked.stage().unwrap());
            let staged = locked.stage().unwrap();
            std::fs::remove_file(&staged.temporary).unwrap();
            let error = staged.commit(&Map::new()).unwrap_err();
            assert_eq!(error.code, ErrorCode::LocalIo);
            assert!(error.message.contains("cannot replace it"), "{}", error.message);
        });
        assert_eq!(std::fs::read_to_string(&path).unwrap(), r#"{"refresh_token": "a"}"#);
        assert_eq!(folder.names(), ["tokens.json", "tokens.json.lock"]);
    }

    #[test]
    fn the_lock_waits_its_time_for_another_holder_and_then_says_so() {
        let folder = Folder::new("wait");
        let path = folder.file("tokens.json", "{}");
        let file = CredentialsFile::resolve(path.to_str().unwrap()).unwrap();
        // Another open file description: locked against it as another process would be.
        let other = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(file.lock_path())
            .unwrap();
        other.lock().unwrap();
        let started = Instant::now();
        let error = block_on(file.lock(Duration::from_millis(300), &Progress::default()))
            .err()
            .unwrap();
        assert_eq!(error.code, ErrorCode::Timeout);
        assert!(error.message.contains("timeouts.lock_s"), "{}", error.message);
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert!(started.elapsed() < Duration::from_secs(20));
        other.unlock().unwrap();
        assert!(block_on(file.lock(Duration::from_millis(300), &Progress::default())).is_ok());
    }

    #[test]
    fn what_is_not_a_private_credentials_object_is_refused_with_its_reason() {
        let folder = Folder::new("refuse");
        let cases = [
            ("array.json", "[1]", ErrorCode::InvalidParams, "must hold a JSON object"),
            ("text.json", "refresh me", ErrorCode::InvalidParams, "is not JSON"),
        ];
        for (name, text, code, said) in cases {
            let path = folder.file(name, text);
            let file = CredentialsFile::resolve(path.to_str().unwrap()).unwrap();
            let error = block_on(async {
                let locked = file.lock(Duration::from_secs(5), &Progress::default()).await.unwrap();
                locked.read().unwrap_err()
            });
            assert_eq!(error.code, code, "{name}");
            assert!(error.message.contains(said), "{name}: {}", error.message);
            assert!(!error.message.contains(text), "{name}: the content is not echoed");
        }
        let missing = folder.0.join("missing.json");
        let error = CredentialsFile::resolve(missing.to_str().unwrap()).err().unwrap();
        assert_eq!(error.code, ErrorCode::LocalIo);
        assert!(error.message.contains("sign in and save"), "{}", error.message);
        assert_eq!(
            CredentialsFile::resolve(" ").err().unwrap().code,
            ErrorCode::InvalidParams
        );
    }
}
