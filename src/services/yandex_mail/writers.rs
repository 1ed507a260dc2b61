//! A backup's messages written from a few threads at once. Each file is synced before its rename
//! (files.rs), and a file system commits concurrent syncs together: one sync after another cost
//! 0.48 ms per 25 KB file on the machine of docs/benchmarks.md, four at once 0.17 ms. The bytes
//! waiting for a thread are bounded, so memory stays at that bound plus the largest message.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use super::files::write_atomically;
use crate::error::{Error, Result};
use crate::sync::lock;

const THREADS: usize = 4;
/// Bytes queued at most; a larger message waits for an empty queue and goes alone.
const MAX_QUEUED_BYTES: usize = 16 * 1024 * 1024;

#[derive(Default)]
struct Queue {
    files: VecDeque<(PathBuf, Vec<u8>)>,
    /// Bytes queued or being written.
    bytes: usize,
    closed: bool,
    failed: Option<Error>,
}

type Shared = Arc<(Mutex<Queue>, Condvar)>;

pub(super) struct Writers {
    shared: Shared,
    threads: Vec<JoinHandle<()>>,
}

impl Writers {
    pub(super) fn start() -> Writers {
        let shared: Shared = Arc::default();
        let threads = (0..THREADS)
            .map(|_| {
                let shared = shared.clone();
                std::thread::spawn(move || write_queued(&shared))
            })
            .collect();
        Writers { shared, threads }
    }

    /// Queues `bytes` for `path`, waiting while the queue is full; an earlier write's error ends
    /// the queueing.
    pub(super) fn write(&self, path: PathBuf, bytes: Vec<u8>) -> Result<()> {
        let (queue, changed) = &*self.shared;
        let mut q = lock(queue);
        while q.failed.is_none() && q.bytes > 0 && q.bytes + bytes.len() > MAX_QUEUED_BYTES {
            q = wait(changed, q);
        }
        if let Some(error) = &q.failed {
            return Err(error.clone());
        }
        q.bytes += bytes.len();
        q.files.push_back((path, bytes));
        changed.notify_all();
        Ok(())
    }

    /// Waits until every queued message is on the disk; the first write error, if any.
    pub(super) fn finish(mut self) -> Result<()> {
        self.close();
        for thread in std::mem::take(&mut self.threads) {
            let _ = thread.join();
        }
        match lock(&self.shared.0).failed.take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn close(&self) {
        let (queue, changed) = &*self.shared;
        lock(queue).closed = true;
        changed.notify_all();
    }
}

impl Drop for Writers {
    /// Never left waiting: the threads finish what is queued and end.
    fn drop(&mut self) {
        self.close();
    }
}

fn wait<'a>(changed: &Condvar, guard: MutexGuard<'a, Queue>) -> MutexGuard<'a, Queue> {
    changed.wait(guard).unwrap_or_else(PoisonError::into_inner)
}

/// One writing thread: takes queued messages until the queue is closed and empty, or a write
/// failed.
fn write_queued(shared: &Shared) {
    let (queue, changed) = &**shared;
    loop {
        let (path, bytes) = {
            let mut q = lock(queue);
            loop {
                if q.failed.is_some() {
                    return;
                }
                if let Some(file) = q.files.pop_front() {
                    break file;
                }
                if q.closed {
                    return;
                }
                q = wait(changed, q);
            }
        };
        let written = write_atomically(&path, &bytes);
        let mut q = lock(queue);
        q.bytes -= bytes.len();
        if let Err(error) = written {
            q.failed.get_or_insert(error);
        }
        changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("diskbridge-writers-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn every_queued_message_is_written_whole() {
        let dir = scratch("all");
        let writers = Writers::start();
        for i in 0..100u8 {
            writers
                .write(dir.join(format!("{i}.eml")), vec![i; 1000 + i as usize])
                .unwrap();
        }
        writers.finish().unwrap();
        for i in 0..100u8 {
            assert_eq!(
                std::fs::read(dir.join(format!("{i}.eml"))).unwrap(),
                vec![i; 1000 + i as usize]
            );
        }
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 100, "no part file left");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_write_is_reported_and_stops_the_queueing() {
        let dir = scratch("fail");
        let writers = Writers::start();
        let nowhere = dir.join("missing-folder").join("1.eml");
        writers.write(nowhere, vec![1; 10]).unwrap();
        let refused = (0..1000).find_map(|i| writers.write(dir.join(format!("{i}.eml")), vec![0; 10]).err());
        let reported = writers.finish().unwrap_err();
        assert!(reported.message.contains("missing-folder"), "{}", reported.message);
        if let Some(refused) = refused {
            assert_eq!(refused.message, reported.message);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
