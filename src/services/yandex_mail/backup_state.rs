//! The state of a mailbox backup, kept in its `local_dir` as a small JSON file written
//! atomically after every batch: per folder the UIDVALIDITY, the highest UID saved and the
//! local folder it went to — what makes the next run fetch only new messages and an
//! interrupted run resume where it stopped.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::files::write_atomically;
use crate::error::{Error, ErrorCode, Result};
use crate::tree::safe_component;

pub(super) const STATE_FILE: &str = ".diskbridge-mail-backup.json";

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct State {
    pub version: u32,
    pub email: String,
    /// By the folder's name on the server.
    pub folders: BTreeMap<String, FolderState>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(super) struct FolderState {
    /// The local folder, relative to `local_dir`, `/`-separated.
    pub dir: String,
    pub uidvalidity: u64,
    /// Every message up to this UID is saved.
    pub last_uid: u64,
    pub messages: u64,
    pub bytes: u64,
}

impl State {
    /// The state in `local_dir`, or a new one; a backup of another mailbox is refused.
    pub(super) fn load(local_dir: &Path, email: &str) -> Result<State> {
        let path = local_dir.join(STATE_FILE);
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(State {
                    version: 1,
                    email: email.to_string(),
                    folders: BTreeMap::new(),
                })
            }
            Err(e) => return Err(Error::local_io(&format!("cannot read {}", path.display()), &e)),
        };
        let state: State = serde_json::from_slice(&text).map_err(|e| {
            Error::new(
                ErrorCode::LocalIo,
                format!("{} is not a backup state this library reads ({e})", path.display()),
            )
        })?;
        if !state.email.eq_ignore_ascii_case(email) {
            return Err(Error::invalid_params(format!(
                "{} holds a backup of {}, not of {email}: give another local_dir",
                local_dir.display(),
                state.email
            )));
        }
        Ok(state)
    }

    pub(super) fn save(&self, local_dir: &Path) -> Result<()> {
        let text = serde_json::to_vec_pretty(self).unwrap_or_default();
        write_atomically(&local_dir.join(STATE_FILE), &text)
    }

    /// The folder's entry, made with a local folder of its own on first sight.
    pub(super) fn entry(&mut self, name: &str, delimiter: Option<&str>) -> &mut FolderState {
        if !self.folders.contains_key(name) {
            let wanted = local_dir_of(name, delimiter);
            let taken = |dir: &str| self.folders.values().any(|f| f.dir.eq_ignore_ascii_case(dir));
            let mut dir = wanted.clone();
            let mut n = 2;
            while taken(&dir) {
                dir = format!("{wanted}~{n}");
                n += 1;
            }
            let entry = FolderState {
                dir,
                ..FolderState::default()
            };
            self.folders.insert(name.to_string(), entry);
        }
        self.folders.get_mut(name).expect("just inserted")
    }
}

/// The local folder of a mail folder: one level per level of the name, each made a safe name
/// by the tree engine's rules (what a name may not hold becomes `_`).
fn local_dir_of(name: &str, delimiter: Option<&str>) -> String {
    let parts: Vec<&str> = match delimiter.filter(|d| !d.is_empty()) {
        Some(delimiter) => name.split(delimiter).collect(),
        None => vec![name],
    };
    parts.into_iter().map(safe_name).collect::<Vec<_>>().join("/")
}

fn safe_name(part: &str) -> String {
    // Checked as Windows would, so a backup can be copied there.
    if safe_component(part, true).is_ok() {
        return part.to_string();
    }
    let forbidden = |c: char| c.is_control() || "/\\<>:\"|?*".contains(c);
    let mut name: String = part.chars().map(|c| if forbidden(c) { '_' } else { c }).collect();
    if name.ends_with(['.', ' ']) {
        name.push('_');
    }
    if safe_component(&name, true).is_err() {
        name.insert(0, '_');
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_become_safe_local_folders() {
        assert_eq!(local_dir_of("Проекты|Альфа", Some("|")), "Проекты/Альфа");
        assert_eq!(local_dir_of("Отчёты \"2026\"", Some("|")), "Отчёты _2026_");
        assert_eq!(local_dir_of("a/b|..", Some("|")), "a_b/.._");
        assert_eq!(local_dir_of("CON", None), "_CON");
        let mut state = State::default();
        assert_eq!(state.entry("A:B", Some("|")).dir, "A_B");
        assert_eq!(state.entry("A?B", Some("|")).dir, "A_B~2");
        assert_eq!(state.entry("A:B", Some("|")).dir, "A_B");
    }
}
