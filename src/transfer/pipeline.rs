//! The single-stream download side of the engine: sha256 taken in as the bytes arrive, and the
//! threads that write them, in order, beside the network — into a part file, straight into a
//! FIFO or device, or into memory — and hash md5 where it is needed.

use std::time::{Duration, Instant};

use bytes::Bytes;

use md5::{Digest, Md5};

use super::{hex, Checksums, Hashers, CHUNK};
use crate::error::{Error, ErrorCode, Result};
use crate::progress::Progress;

/// Where downloaded bytes end up, owned by the pipeline's writing thread.
pub(super) enum Output {
    /// A part file: written out as it grows, synced before the rename.
    File(std::io::BufWriter<std::fs::File>),
    /// A FIFO or a device: written through, never synced (it cannot be).
    Stream(std::io::BufWriter<std::fs::File>),
    Memory(Vec<u8>),
}

/// Writes a download's pages out to disk on a thread of its own, every `WRITE_OUT_BYTES`, so the
/// sync before the rename has only the last few to wait for instead of the whole file (a quarter
/// of a second per GiB here, after the last byte has arrived).
pub(super) struct WriteOut {
    /// Holds at most one request: a request made while a sync runs is covered by the next one.
    requests: Option<std::sync::mpsc::SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
    /// Bytes between requests: `WRITE_OUT_BYTES` but in tests.
    every: usize,
    since_last: usize,
    /// Requests made, for the tests.
    requested: usize,
}

pub(super) const WRITE_OUT_BYTES: usize = 64 * CHUNK;

impl WriteOut {
    pub(super) fn start(file: &std::fs::File, every: usize) -> std::io::Result<WriteOut> {
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

    /// `bytes` more were written: true when the writer should flush what it buffers and call
    /// `request`.
    pub(super) fn wrote(&mut self, bytes: usize) -> bool {
        self.since_last += bytes;
        self.since_last >= self.every
    }

    /// Asks for a sync of what was written so far.
    pub(super) fn request(&mut self) {
        self.since_last = 0;
        if let Some(requests) = &self.requests {
            let _ = requests.try_send(());
            self.requested += 1;
        }
    }

    /// Waits for a sync under way; its error, if any, is the download's.
    pub(super) fn finish(mut self) -> std::io::Result<()> {
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
    /// the part file is removed.
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// The buffer of writes into a file: received chunks this large or larger are written as they
/// are, smaller ones gathered first (a copy, but fewer system calls).
pub(super) const WRITE_BUFFER: usize = 64 * 1024;

/// A pipeline thread and the channel feeding it.
type Stage<T> = (tokio::sync::mpsc::Sender<Piece>, std::thread::JoinHandle<T>);

/// Received chunks handed over together: the HTTP client's own buffers (about 400 KB each on
/// loopback), shared rather than copied into one piece, which cost a copy of every byte.
pub(super) type Piece = Vec<Bytes>;

/// Gathers received chunks into a [`Piece`] of about `CHUNK / 2` bytes, so the threads are
/// woken per piece, not per chunk.
#[derive(Default)]
pub(super) struct Gathered {
    chunks: Piece,
    len: usize,
}

impl Gathered {
    /// Adds a chunk; true once enough has gathered to be handed over.
    pub(super) fn add(&mut self, chunk: Bytes) -> bool {
        self.len += chunk.len();
        self.chunks.push(chunk);
        self.len >= CHUNK / 2
    }

    pub(super) fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// What has gathered, leaving nothing.
    pub(super) fn take(&mut self) -> Piece {
        self.len = 0;
        std::mem::take(&mut self.chunks)
    }
}

/// Pieces in flight to each pipeline thread (the pieces are shared, not copied, between them).
const PIPELINE_DEPTH: usize = 16;

/// How often a wait for a busy writing thread lets the host cancel.
const HEARTBEAT: Duration = Duration::from_millis(100);

/// The single-stream pipeline: sha256 is taken in on the receiving task, chunk by chunk, while
/// each chunk is still in that core's cache (hashed on another thread, the same bytes cost half
/// as much again, read from memory); every piece then goes to a thread writing it, and (only when
/// the service reports no sha256) to another hashing md5. Bounded channels keep memory to a
/// few pieces.
pub(super) struct Pipeline {
    md5: Option<Stage<String>>,
    main: Option<Stage<std::io::Result<Output>>>,
    /// sha256 of what arrived, taken in on the receiving task while each chunk is in cache.
    sha256: Hashers,
    /// Network chunks gathered into the next piece.
    pending: Gathered,
    /// A thread writing into a FIFO or a device may be held by its reader: it is left to end
    /// on its own rather than waited for.
    detach: bool,
    progress: Progress,
    /// The longest wait for a writing thread to take a piece (the read timeout).
    patience: Duration,
}

impl Pipeline {
    /// A pipeline into `output`, hashing md5 too when `with_md5`.
    pub(super) fn start(output: Output, with_md5: bool, progress: Progress, patience: Duration) -> Pipeline {
        let md5 = with_md5.then(|| {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<Piece>(PIPELINE_DEPTH);
            let thread = std::thread::spawn(move || {
                let mut md5 = Md5::new();
                while let Some(piece) = rx.blocking_recv() {
                    piece.iter().for_each(|chunk| md5.update(chunk));
                }
                hex(&md5.finalize())
            });
            (tx, thread)
        });
        let detach = matches!(output, Output::Stream(_));
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Piece>(PIPELINE_DEPTH);
        let main = std::thread::spawn(move || {
            let mut output = output;
            // Only a speed-up: without it (a handle that cannot be duplicated) the final sync
            // does all the work.
            let mut write_out = match &output {
                Output::File(file) => WriteOut::start(file.get_ref(), WRITE_OUT_BYTES).ok(),
                Output::Stream(_) | Output::Memory(_) => None,
            };
            while let Some(piece) = rx.blocking_recv() {
                for chunk in &piece {
                    match &mut output {
                        Output::File(file) | Output::Stream(file) => std::io::Write::write_all(file, chunk)?,
                        Output::Memory(data) => data.extend_from_slice(chunk),
                    }
                }
                let len = piece.iter().map(Bytes::len).sum();
                if let (Some(write_out), Output::File(file)) = (&mut write_out, &mut output) {
                    if write_out.wrote(len) {
                        std::io::Write::flush(file)?;
                        write_out.request();
                    }
                }
            }
            match &mut output {
                Output::File(file) => {
                    std::io::Write::flush(file)?;
                    if let Some(write_out) = write_out {
                        write_out.finish()?;
                    }
                    file.get_ref().sync_all()?;
                }
                Output::Stream(file) => std::io::Write::flush(file)?,
                Output::Memory(_) => {}
            }
            Ok(output)
        });
        Pipeline {
            md5,
            main: Some((tx, main)),
            sha256: Hashers::default(),
            pending: Gathered::default(),
            detach,
            progress,
            patience,
        }
    }

    /// Adds received bytes, sending a piece once enough have gathered. An error when the
    /// writing thread stopped (`finish` tells why: `None` here) or the call was cancelled.
    pub(super) async fn push(&mut self, chunk: Bytes) -> Result<Option<()>> {
        self.sha256.update(&chunk);
        if !self.pending.add(chunk) {
            return Ok(Some(()));
        }
        self.flush().await
    }

    /// Sends what has gathered; `None` when the writing thread has stopped.
    async fn flush(&mut self) -> Result<Option<()>> {
        if self.pending.is_empty() {
            return Ok(Some(()));
        }
        let piece = self.pending.take();
        if let Some((md5, _)) = &self.md5 {
            if hand_over(md5, piece.clone(), &self.progress, self.patience)
                .await?
                .is_none()
            {
                return Ok(None);
            }
        }
        match &self.main {
            Some((main, _)) => hand_over(main, piece, &self.progress, self.patience).await,
            None => Ok(None),
        }
    }

    /// Closes the channels and waits for the threads: the checksums and the output.
    pub(super) async fn finish(mut self) -> std::io::Result<(Checksums, Output)> {
        // If the writing thread has stopped, joining it below tells why.
        let _ = self.flush().await;
        let md5 = self.md5.take();
        let (main_tx, main) = self.main.take().expect("finished once");
        drop(main_tx);
        let sha256 = std::mem::take(&mut self.sha256);
        tokio::task::spawn_blocking(move || {
            let md5 = match md5 {
                Some((md5_tx, md5)) => {
                    drop(md5_tx);
                    Some(
                        md5.join()
                            .map_err(|_| std::io::Error::other("the md5 thread panicked"))?,
                    )
                }
                None => None,
            };
            let output = main
                .join()
                .map_err(|_| std::io::Error::other("the writing thread panicked"))??;
            let checksums = Checksums { md5, ..sha256.finish() };
            Ok((checksums, output))
        })
        .await
        .map_err(std::io::Error::other)?
    }
}

/// Hands a piece to a pipeline thread, waiting while its channel is full — letting the host
/// cancel, and giving up after `patience` (a FIFO whose reader stopped reading). `None` when
/// the thread has stopped.
pub(super) async fn hand_over<T>(
    to: &tokio::sync::mpsc::Sender<T>,
    piece: T,
    progress: &Progress,
    patience: Duration,
) -> Result<Option<()>> {
    let started = Instant::now();
    loop {
        match tokio::time::timeout(HEARTBEAT, to.reserve()).await {
            Ok(Ok(permit)) => {
                permit.send(piece);
                return Ok(Some(()));
            }
            Ok(Err(_)) => return Ok(None),
            Err(_) => {
                progress.check()?;
                if started.elapsed() >= patience {
                    return Err(Error::new(
                        ErrorCode::LocalIo,
                        format!(
                            "writing the download fell behind for {} s: the target takes no more bytes",
                            patience.as_secs_f64()
                        ),
                    ));
                }
            }
        }
    }
}

impl Drop for Pipeline {
    /// An abandoned download (error, cancel) waits for its threads, so the file is closed
    /// before the part file is removed — except a thread writing into a FIFO or a device,
    /// which its reader may hold: it ends once the write fails or completes.
    fn drop(&mut self) {
        if let Some((tx, md5)) = self.md5.take() {
            drop(tx);
            let _ = md5.join();
        }
        if let Some((tx, main)) = self.main.take() {
            drop(tx);
            if !self.detach {
                let _ = main.join();
            }
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
            if write_out.wrote(piece.len()) {
                std::io::Write::flush(&mut file).unwrap();
                write_out.request();
            }
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
