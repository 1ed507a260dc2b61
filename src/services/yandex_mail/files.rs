//! Local files of the mail methods, written whole or not at all: a hidden temporary file beside
//! the target, on the disk before it is renamed over the target.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::durable;
use crate::error::{Error, Result};

/// Writes `bytes` to `target` atomically: a reader — or the next run after a power loss — sees
/// the old file or the whole new one, never an empty or partial one.
pub(super) fn write_atomically(target: &Path, bytes: &[u8]) -> Result<()> {
    let temp = temp_path(target);
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(e) = written.and_then(|()| std::fs::rename(&temp, target)) {
        let _ = std::fs::remove_file(&temp);
        return Err(Error::local_io(&format!("cannot write {}", target.display()), &e));
    }
    Ok(())
}

/// Makes the renames done in `dir` durable: the backup's state must never name a message whose
/// file a power loss could take back (each file is synced before its rename).
pub(super) fn sync_renames(dir: &Path) -> Result<()> {
    durable::sync_folder(dir).map_err(|e| Error::local_io(&format!("cannot sync the folder {}", dir.display()), &e))
}

/// A hidden name beside the target; `.diskbridge-part` marks what an interrupted run left.
fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut random = [0u8; 6];
    let _ = getrandom::fill(&mut random);
    let random: String = random.iter().map(|b| format!("{b:02x}")).collect();
    target.with_file_name(format!(".{name}.{random}.diskbridge-part"))
}
