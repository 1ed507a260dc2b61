//! Putting a rename on the disk: a file synced before its rename is durable, but the rename
//! itself lives in the folder, which needs a sync of its own.

use std::path::Path;

/// Syncs the folder `dir`, so the renames done in it survive a power loss. Unix only: Windows
/// cannot open a folder as a file, and there the renames are as durable as the file system's
/// own journal makes them.
pub(crate) fn sync_folder(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
