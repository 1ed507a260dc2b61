//! The download side of the engine: where received bytes go (a temporary file beside the
//! target, or memory), and the threads that hash and write them beside the network.

use std::path::PathBuf;

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};

use super::{hex, CHUNK};
use crate::md5::Md5;

/// A temporary file beside the target, removed unless it was renamed over the target.
pub(super) struct TempFile {
    pub path: PathBuf,
    pub committed: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Where downloaded bytes end up, owned by the pipeline's writing thread.
pub(super) enum Output {
    File(std::io::BufWriter<std::fs::File>),
    Memory(Vec<u8>),
}

enum Piece {
    Bytes(Bytes),
    /// Start over: the server ignored the Range of a resumed request.
    Restart,
}

/// The download side of the engine: every chunk goes to two threads, one hashing md5, the other
/// hashing sha256 and writing, so the hashing runs beside the network on other cores instead
/// of in line with it. Bounded channels keep memory to a few chunks.
pub(super) struct Pipeline {
    md5: Option<Stage<String>>,
    main: Option<Stage<std::io::Result<(String, Output)>>>,
    /// Network chunks are small; they are gathered into pieces of about `CHUNK / 2` so the
    /// threads are woken per piece, not per chunk.
    pending: BytesMut,
}

/// Writes a download's pages out to disk on a thread of its own, every `WRITE_OUT_BYTES`, so the
/// sync before the rename has only the last few to wait for instead of the whole file (a quarter
/// of a second per GiB here, after the last byte has arrived).
struct WriteOut {
    /// Holds at most one request: a request made while a sync runs is covered by the next one.
    requests: Option<std::sync::mpsc::SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
    /// Bytes between requests: `WRITE_OUT_BYTES` but in tests.
    every: usize,
    since_last: usize,
    /// Requests made, for the tests.
    requested: usize,
}

const WRITE_OUT_BYTES: usize = 64 * CHUNK;

impl WriteOut {
    fn start(file: &std::fs::File, every: usize) -> std::io::Result<WriteOut> {
        let file = file.try_clone()?;
        let (requests, received) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::spawn(move || {
            while received.recv().is_ok() {
                file.sync_data()?;
            }
            Ok(())
        });
        Ok(WriteOut {
            requests: Some(requests),
            thread: Some(thread),
            every,
            since_last: 0,
            requested: 0,
        })
    }

    /// `bytes` more were written through `file`.
    fn wrote(&mut self, file: &mut std::io::BufWriter<std::fs::File>, bytes: usize) -> std::io::Result<()> {
        self.since_last += bytes;
        if self.since_last >= self.every {
            self.since_last = 0;
            std::io::Write::flush(file)?;
            if let Some(requests) = &self.requests {
                let _ = requests.try_send(());
                self.requested += 1;
            }
        }
        Ok(())
    }

    /// Waits for a sync under way; its error, if any, is the download's.
    fn finish(mut self) -> std::io::Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> std::io::Result<()> {
        drop(self.requests.take());
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| std::io::Error::other("the write-out thread panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for WriteOut {
    /// An abandoned download waits for the thread too, so its copy of the file is closed before
    /// the temporary file is removed.
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// A pipeline thread and the channel feeding it.
type Stage<T> = (tokio::sync::mpsc::Sender<Piece>, std::thread::JoinHandle<T>);

/// Pieces in flight to each pipeline thread (the pieces are shared, not copied, between them).
const PIPELINE_DEPTH: usize = 16;

impl Pipeline {
    pub(super) fn start(output: Output) -> Pipeline {
        let (md5_tx, mut md5_rx) = tokio::sync::mpsc::channel::<Piece>(PIPELINE_DEPTH);
        let md5 = std::thread::spawn(move || {
            let mut md5 = Md5::new();
            while let Some(piece) = md5_rx.blocking_recv() {
                match piece {
                    Piece::Bytes(bytes) => md5.update(&bytes),
                    Piece::Restart => md5 = Md5::new(),
                }
            }
            hex(&md5.finalize())
        });
        let (main_tx, mut main_rx) = tokio::sync::mpsc::channel::<Piece>(PIPELINE_DEPTH);
        let main = std::thread::spawn(move || {
            let mut output = output;
            let mut sha256 = Sha256::new();
            // Only a speed-up: without it (a handle that cannot be duplicated) the final sync
            // does all the work.
            let mut write_out = match &output {
                Output::File(file) => WriteOut::start(file.get_ref(), WRITE_OUT_BYTES).ok(),
                Output::Memory(_) => None,
            };
            while let Some(piece) = main_rx.blocking_recv() {
                match (piece, &mut output) {
                    (Piece::Bytes(bytes), Output::File(file)) => {
                        sha256.update(&bytes);
                        std::io::Write::write_all(file, &bytes)?;
                        if let Some(write_out) = &mut write_out {
                            write_out.wrote(file, bytes.len())?;
                        }
                    }
                    (Piece::Bytes(bytes), Output::Memory(data)) => {
                        sha256.update(&bytes);
                        data.extend_from_slice(&bytes);
                    }
                    (Piece::Restart, Output::File(file)) => {
                        sha256 = Sha256::new();
                        std::io::Write::flush(file)?;
                        file.get_mut().set_len(0)?;
                        std::io::Seek::seek(file.get_mut(), std::io::SeekFrom::Start(0))?;
                    }
                    (Piece::Restart, Output::Memory(data)) => {
                        sha256 = Sha256::new();
                        data.clear();
                    }
                }
            }
            if let Output::File(file) = &mut output {
                std::io::Write::flush(file)?;
                if let Some(write_out) = write_out {
                    write_out.finish()?;
                }
                file.get_ref().sync_all()?;
            }
            Ok((hex(&sha256.finalize()), output))
        });
        Pipeline {
            md5: Some((md5_tx, md5)),
            main: Some((main_tx, main)),
            pending: BytesMut::new(),
        }
    }

    /// Adds received bytes, sending a piece once enough have gathered.
    pub(super) async fn push(&mut self, chunk: &[u8]) -> bool {
        self.pending.extend_from_slice(chunk);
        self.pending.len() < CHUNK / 2 || self.flush().await
    }

    /// Sends what has gathered; false when the writing thread has stopped.
    async fn flush(&mut self) -> bool {
        if self.pending.is_empty() {
            return true;
        }
        let piece = self.pending.split().freeze();
        self.pending.reserve(CHUNK);
        self.send(|| Piece::Bytes(piece.clone())).await
    }

    /// Starts over: what was gathered or sent is dropped.
    pub(super) async fn restart(&mut self) -> bool {
        self.pending.clear();
        self.send(|| Piece::Restart).await
    }

    /// Hands a piece to both threads; false when the writing thread has stopped (a write
    /// failed: `finish` tells why).
    async fn send(&self, piece: impl Fn() -> Piece) -> bool {
        let (Some((md5, _)), Some((main, _))) = (&self.md5, &self.main) else {
            return false;
        };
        md5.send(piece()).await.is_ok() && main.send(piece()).await.is_ok()
    }

    /// Closes the channels and waits for the threads: (md5, sha256, output).
    pub(super) async fn finish(mut self) -> std::io::Result<(String, String, Output)> {
        // If the writing thread has stopped, joining it below tells why.
        self.flush().await;
        let (md5_tx, md5) = self.md5.take().expect("finished once");
        let (main_tx, main) = self.main.take().expect("finished once");
        drop((md5_tx, main_tx));
        tokio::task::spawn_blocking(move || {
            let md5 = md5
                .join()
                .map_err(|_| std::io::Error::other("the md5 thread panicked"))?;
            let (sha256, output) = main
                .join()
                .map_err(|_| std::io::Error::other("the writing thread panicked"))??;
            Ok((md5, sha256, output))
        })
        .await
        .map_err(std::io::Error::other)?
    }
}

impl Drop for Pipeline {
    /// An abandoned download (error, cancel) waits for its threads, so the file is closed
    /// before the temporary file is removed.
    fn drop(&mut self) {
        if let Some((tx, md5)) = self.md5.take() {
            drop(tx);
            let _ = md5.join();
        }
        if let Some((tx, main)) = self.main.take() {
            drop(tx);
            let _ = main.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::WriteOut;

    /// Every `every` bytes the writer flushes and asks for a sync; what it wrote arrives whole,
    /// and finishing waits for the sync thread.
    #[test]
    fn write_out_asks_for_syncs_as_the_file_grows() {
        let dir = std::env::temp_dir().join(format!("diskbridge-write-out-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("file.bin");
        let mut file = std::io::BufWriter::with_capacity(8192, std::fs::File::create(&path).unwrap());
        let mut write_out = WriteOut::start(file.get_ref(), 10_000).unwrap();
        let piece: Vec<u8> = (0..4096u32).map(|i| (i % 251) as u8).collect();
        for _ in 0..25 {
            std::io::Write::write_all(&mut file, &piece).unwrap();
            write_out.wrote(&mut file, piece.len()).unwrap();
        }
        // 25 pieces of 4096 bytes: a request every third piece.
        assert_eq!(write_out.requested, 8);
        std::io::Write::flush(&mut file).unwrap();
        write_out.finish().unwrap();
        let written = std::fs::read(&path).unwrap();
        assert_eq!(written.len(), 25 * 4096);
        assert!(written.chunks(4096).all(|chunk| chunk == piece));
        // Windows cannot remove a folder while a file in it is open.
        drop(file);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
