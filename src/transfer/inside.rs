//! A download target inside a folder that others may be changing while the download runs (the
//! folder of a DownloadDirectory): before the part file is created and again right before
//! it is renamed into place, every folder between the root and the target must be a real folder,
//! not a symbolic link, so a subfolder swapped for a link cannot take the write elsewhere.
//!
//! What is left: a swap in the instant between the last check and the rename (or the create) —
//! microseconds, against the seconds a download takes; holding the folder chain open (openat,
//! renameat) would close it, and would need every writer of the part file to go through
//! that handle.

use std::path::Path;

use crate::error::{Error, ErrorCode, Result};

/// Refuses `target` unless every folder from `root` (which is trusted) down to the target's own
/// folder is a real folder, and the target itself is not a symbolic link.
pub(crate) fn check_inside(root: &Path, target: &Path) -> Result<()> {
    let refused = |why: &str| Error::new(ErrorCode::UnsafePath, format!("refused: {why}; nothing was written"));
    let relative = target
        .strip_prefix(root)
        .map_err(|_| refused("the target is not inside the folder"))?;
    let mut at = root.to_path_buf();
    let mut components = relative.components().peekable();
    while let Some(component) = components.next() {
        at.push(component);
        let last = components.peek().is_none();
        match std::fs::symlink_metadata(&at) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                return Err(refused("a symbolic link would take the write elsewhere"))
            }
            Ok(metadata) if !last && !metadata.is_dir() => return Err(refused("a folder on the way is not a folder")),
            Ok(_) => {}
            Err(err) if last && err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(Error::local_io(&format!("cannot check {}", at.display()), &err)),
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_folder_swapped_for_a_link_is_refused() {
        let mut random = [0u8; 6];
        getrandom::fill(&mut random).unwrap();
        let base = std::env::temp_dir().join(format!(
            "diskbridge-inside-{:012x}",
            u64::from_le_bytes([random[0], random[1], random[2], random[3], random[4], random[5], 0, 0])
        ));
        let (root, outside) = (base.join("root"), base.join("outside"));
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        let target = root.join("sub/file.bin");
        assert!(check_inside(&root, &target).is_ok());
        std::fs::rename(root.join("sub"), root.join("moved")).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("sub")).unwrap();
        assert_eq!(check_inside(&root, &target).unwrap_err().code, ErrorCode::UnsafePath);
        std::fs::remove_file(root.join("sub")).unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::os::unix::fs::symlink(&outside, &target).unwrap();
        assert_eq!(check_inside(&root, &target).unwrap_err().code, ErrorCode::UnsafePath);
        assert!(check_inside(&root, &outside.join("x")).is_err());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
