//! BackupMailbox: every folder (or the chosen ones) into `local_dir`, one `<uid>.eml` per
//! message in a folder tree, incremental by UIDVALIDITY + UID (docs/protocols-mail.md §2.10).
//!
//! Per folder: EXAMINE; a UIDVALIDITY other than the saved one moves the earlier copies aside
//! into `old-uidvalidity-<n>/` and starts the folder again; `UID FETCH <last+1>:* (UID
//! RFC822.SIZE)` lists what is new; bodies come in batches (`UID FETCH a:b (BODY.PEEK[])`), each
//! message checked against its size and written atomically, the state saved after each batch.
//! A broken connection or a `BYE` (a token that expired under the session) reopens the session —
//! with a renewed token when the server refuses the old one — and the folder goes on from its
//! last batch. One folder's problem is listed while the others go on.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::backup_state::{FolderState, State};
use super::files::sync_renames;
use super::folders::{list, status, Folder};
use super::session::{address, open};
use super::writers::Writers;
use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;
use crate::mail::imap::Session;
use crate::schema::Call;
use crate::transport::Context;

/// Messages per UID FETCH of bodies.
const BATCH_MESSAGES: usize = 200;
/// Bytes per UID FETCH of bodies (a batch ends early at this much).
const BATCH_BYTES: u64 = 32 * 1024 * 1024;

/// The mailbox's IMAP session, opened again when it broke.
struct Mailbox<'a> {
    ctx: &'a Context,
    email: String,
    session: Option<Session>,
}

impl Mailbox<'_> {
    async fn session(&mut self) -> Result<&mut Session> {
        if self.session.is_none() {
            self.session = Some(open(self.ctx, &self.email).await?);
        }
        Ok(self.session.as_mut().expect("just opened"))
    }
}

/// What a run did, for the reply.
#[derive(Default)]
struct Tally {
    fetched: u64,
    bytes: u64,
    /// Messages expected, for progress (STATUS counts less what is saved).
    expected: u64,
}

pub(super) async fn backup_mailbox(call: Call) -> Result<Value> {
    let local_dir = PathBuf::from(call.args.str("local_dir")?);
    std::fs::create_dir_all(&local_dir)
        .map_err(|e| Error::local_io(&format!("cannot create {}", local_dir.display()), &e))?;
    let email = address(&call).await?;
    let mut state = State::load(&local_dir, &email)?;
    let ctx = &call.ctx;
    let mut mailbox = Mailbox {
        ctx,
        email: email.clone(),
        session: None,
    };
    let (folders, mut errors) = chosen_folders(&call, mailbox.session().await?).await?;
    let mut tally = Tally::default();
    for folder in &folders {
        // Only an estimate for progress: a folder that cannot be counted is dealt with below.
        match status(mailbox.session().await?, &folder.name).await {
            Ok(counts) => {
                let saved = state
                    .folders
                    .get(&folder.name)
                    .filter(|f| f.uidvalidity == counts.uidvalidity);
                tally.expected += counts.messages.saturating_sub(saved.map_or(0, |f| f.messages));
            }
            Err(error) if matches!(error.code, ErrorCode::Network | ErrorCode::Timeout) => mailbox.session = None,
            Err(_) => {}
        }
    }
    let mut shown = Vec::new();
    for folder in &folders {
        match sync_with_retries(&mut mailbox, folder, &mut state, &local_dir, &mut tally).await {
            Ok(outcome) => shown.push(outcome),
            Err(error) if matches!(error.code, ErrorCode::Cancelled | ErrorCode::Unauthorized) => return Err(error),
            Err(error) => {
                ctx.log(
                    Level::Warn,
                    "mail",
                    &format!("folder `{}` not backed up: {}", folder.name, error.message),
                );
                errors.push(json!({"folder": folder.name, "code": error.code.as_str(), "message": error.message}));
            }
        }
    }
    if let Some(session) = mailbox.session.take() {
        session.logout().await;
    }
    let shown_dir = std::path::absolute(&local_dir).unwrap_or(local_dir);
    Ok(json!({
        "email": email,
        "local_dir": shown_dir.to_string_lossy(),
        "fetched": tally.fetched,
        "bytes": tally.bytes,
        "folders": shown,
        "errors": errors,
    }))
}

/// The selectable folders to back up: all, or those `folders` names (an unknown one is listed
/// as an error).
async fn chosen_folders(call: &Call, session: &mut Session) -> Result<(Vec<Folder>, Vec<Value>)> {
    let all: Vec<Folder> = list(session).await?.into_iter().filter(Folder::selectable).collect();
    let names: Vec<String> = match call.args.value("folders") {
        None | Some(Value::Null) => return Ok((all, Vec::new())),
        Some(Value::String(name)) => vec![name.clone()],
        Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).map(String::from).collect(),
        Some(_) => {
            return Err(Error::invalid_params(
                "`folders` must be a folder name or an array of them",
            ))
        }
    };
    let mut errors = Vec::new();
    let mut chosen = Vec::new();
    for name in names {
        match all.iter().find(|f| f.name == name) {
            Some(folder) => chosen.push(folder.clone()),
            None => errors.push(json!({"folder": name, "code": "not_found", "message": format!("no selectable folder `{name}` in the mailbox")})),
        }
    }
    Ok((chosen, errors))
}

/// One folder, its session reopened after connection failures (a token renewed on the way),
/// under the configured retries; a failure after progress counts from one again.
async fn sync_with_retries(
    mailbox: &mut Mailbox<'_>,
    folder: &Folder,
    state: &mut State,
    local_dir: &Path,
    tally: &mut Tally,
) -> Result<Value> {
    let retry = mailbox.ctx.retry();
    let mut failures = 0;
    let mut resynced = None;
    loop {
        let before = state.folders.get(&folder.name).map_or(0, |f| f.last_uid);
        let error = match sync_folder(mailbox, folder, state, local_dir, tally, &mut resynced).await {
            Ok(fetched) => {
                let entry = &state.folders[&folder.name];
                return Ok(json!({
                    "name": folder.name,
                    "dir": entry.dir,
                    "uidvalidity": entry.uidvalidity,
                    "last_uid": entry.last_uid,
                    "messages": entry.messages,
                    "fetched": fetched,
                    "resynced": resynced,
                }));
            }
            Err(error) => error,
        };
        if !matches!(error.code, ErrorCode::Network | ErrorCode::Timeout) {
            return Err(error);
        }
        mailbox.session = None;
        let progressed = state.folders.get(&folder.name).map_or(0, |f| f.last_uid) > before;
        failures = if progressed { 1 } else { failures + 1 };
        retry
            .wait_again(failures, error, |error, wait| {
                format!(
                    "folder `{}`: {}; opening the session again in {} ms",
                    folder.name,
                    error.message,
                    wait.as_millis()
                )
            })
            .await?;
    }
}

/// Fetches what is new in one folder; returns how many messages were saved.
async fn sync_folder(
    mailbox: &mut Mailbox<'_>,
    folder: &Folder,
    state: &mut State,
    local_dir: &Path,
    tally: &mut Tally,
    resynced: &mut Option<Value>,
) -> Result<u64> {
    let ctx = mailbox.ctx;
    let session = mailbox.session().await?;
    let selected = session.examine(&folder.name).await?;
    let entry = state.entry(&folder.name, folder.delimiter.as_deref()).clone();
    let dir = local_dir.join(&entry.dir);
    std::fs::create_dir_all(&dir).map_err(|e| Error::local_io(&format!("cannot create {}", dir.display()), &e))?;
    remove_leftovers(&dir);
    if entry.uidvalidity != 0 && entry.uidvalidity != selected.uidvalidity {
        let moved = move_aside(&dir, entry.uidvalidity)?;
        sync_renames(&dir)?;
        *resynced = Some(json!({"old_uidvalidity": entry.uidvalidity, "moved_to": moved}));
        *state.entry(&folder.name, None) = FolderState {
            dir: entry.dir.clone(),
            ..FolderState::default()
        };
    }
    state.entry(&folder.name, None).uidvalidity = selected.uidvalidity;
    state.save(local_dir)?;
    let first = state.folders[&folder.name].last_uid + 1;
    if selected.exists == 0 || (selected.uidnext != 0 && selected.uidnext <= first) {
        return Ok(0);
    }
    let mut new = Vec::new();
    let max = selected.exists as usize;
    session
        .uid_fetch(&format!("{first}:*"), "UID RFC822.SIZE", first, max, |fetched| {
            new.push((fetched.uid, fetched.size.unwrap_or(0)));
            Ok(())
        })
        .await?;
    new.sort_unstable();
    let mut saved = 0;
    for batch in batches(&new) {
        saved += fetch_batch(ctx, session, batch, &dir, tally).await?;
        sync_renames(&dir)?;
        let entry = state.entry(&folder.name, None);
        entry.last_uid = batch[batch.len() - 1].0;
        entry.messages = entry.messages.saturating_add(batch.len() as u64);
        entry.bytes = entry
            .bytes
            .saturating_add(batch.iter().map(|(_, size)| size).sum::<u64>());
        state.save(local_dir)?;
    }
    Ok(saved)
}

/// Consecutive runs of the new messages, at most [`BATCH_MESSAGES`] and about [`BATCH_BYTES`].
fn batches(new: &[(u64, u64)]) -> Vec<&[(u64, u64)]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, (_, size)) in new.iter().enumerate() {
        if i > start && (i - start >= BATCH_MESSAGES || bytes + size > BATCH_BYTES) {
            out.push(&new[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < new.len() {
        out.push(&new[start..]);
    }
    out
}

/// One `UID FETCH first:last (UID RFC822.SIZE BODY.PEEK[])`, every message handed to the
/// writing threads as it arrives; done when all are on the disk.
async fn fetch_batch(
    ctx: &Context,
    session: &mut Session,
    batch: &[(u64, u64)],
    dir: &Path,
    tally: &mut Tally,
) -> Result<u64> {
    let (first, last) = (batch[0].0, batch[batch.len() - 1].0);
    let mut saved = 0;
    let set = format!("{first}:{last}");
    let writers = Writers::start();
    let fetched = session
        .uid_fetch(&set, "UID RFC822.SIZE BODY.PEEK[]", first, batch.len(), |fetched| {
            if fetched.uid > last {
                return Ok(());
            }
            let Some(body) = fetched.body else {
                return Err(Error::new(
                    ErrorCode::InvalidResponse,
                    format!("UID {} came without its body", fetched.uid),
                ));
            };
            if let Some(size) = fetched.size.filter(|size| *size != body.len() as u64) {
                return Err(Error::new(
                    ErrorCode::ChecksumMismatch,
                    format!(
                        "UID {}: {} bytes arrived, the server reports {size}; not saved",
                        fetched.uid,
                        body.len()
                    ),
                ));
            }
            tally.bytes += body.len() as u64;
            writers.write(dir.join(format!("{}.eml", fetched.uid)), body)?;
            saved += 1;
            tally.fetched += 1;
            tally.expected = tally.expected.max(tally.fetched);
            ctx.progress.report(tally.fetched, tally.expected)
        })
        .await;
    // Whatever ended the fetch, what was queued is written whole before the call goes on.
    let written = writers.finish();
    fetched?;
    written?;
    Ok(saved)
}

/// Moves a folder's saved messages into `old-uidvalidity-<n>/` beside its subfolders, so a new
/// UIDVALIDITY loses nothing saved before; returns where they went.
fn move_aside(dir: &Path, old_uidvalidity: u64) -> Result<String> {
    let mut target = dir.join(format!("old-uidvalidity-{old_uidvalidity}"));
    let mut n = 2;
    while target.exists() {
        target = dir.join(format!("old-uidvalidity-{old_uidvalidity}~{n}"));
        n += 1;
    }
    let io = |what: &str, e: std::io::Error| Error::local_io(what, &e);
    std::fs::create_dir_all(&target).map_err(|e| io(&format!("cannot create {}", target.display()), e))?;
    let entries = std::fs::read_dir(dir).map_err(|e| io(&format!("cannot read {}", dir.display()), e))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|ext| ext == "eml") && path.is_file() {
            let to = target.join(entry.file_name());
            std::fs::rename(&path, &to).map_err(|e| io(&format!("cannot move {}", path.display()), e))?;
        }
    }
    Ok(target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default())
}

/// Removes temporary files a killed run left (never a saved message).
fn remove_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.ends_with(".diskbridge-part") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_bounded_by_count_and_bytes() {
        let many: Vec<(u64, u64)> = (1..=450).map(|uid| (uid, 1000)).collect();
        let sizes: Vec<usize> = batches(&many).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, vec![200, 200, 50]);
        let big = vec![(1, BATCH_BYTES), (2, 1), (3, BATCH_BYTES)];
        let sizes: Vec<usize> = batches(&big).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, vec![1, 1, 1]);
        assert!(batches(&[]).is_empty());
    }
}
