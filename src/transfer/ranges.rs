//! Parallel ranged downloads: several connections each GET a `Range` of the file and write it
//! into its place in the part file, taking the next piece when theirs is done. Pieces are
//! handed out in file order and shrink towards the end (a large piece in the middle costs few
//! requests; small ones at the end keep the connections busy until the last byte), so what has
//! landed grows from the front: a hashing thread follows the part of the file that has landed
//! without a gap, reading it back (from the page cache) where it did not arrive in order, and
//! the checksum is ready almost as soon as the last byte is. A broken range resumes on its own
//! under the download's shared retry context; a server that answers a range with the whole file
//! (200) makes the download fall back to one stream.

use std::collections::BTreeMap;
use std::future::Future;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use url::Url;

use super::fetch::{overflow, range_start, Answer, Chunk, Getter, Link};
use super::pipeline::{hand_over, Gathered, Piece, WriteOut, WRITE_OUT_BYTES};
use super::target::PartFile;
use super::{Checksums, Expected, Hashers, CHUNK};
use crate::error::{Error, ErrorCode, Result};
use crate::sync::lock;
use crate::transport::{Context, Profile, RetryContext};

/// The smallest piece a file is cut into (a file smaller than the streams' share of it still
/// goes in pieces of at least this much).
const MIN_PIECE: u64 = 64 * 1024;
/// Pieces stop shrinking at this size, or at a quarter of a stream's share of the file.
const SMALL_PIECE: u64 = 8 * 1024 * 1024;
/// The largest piece: a request per 64 MiB costs a round trip per 2.5 s even at 25 MB/s.
const MAX_PIECE: u64 = 64 * 1024 * 1024;

/// Pieces in flight to the writing thread, from all streams together.
const WRITE_DEPTH: usize = 16;

/// An answer already received (its body not yet read), with the URL it came from.
type InHand = (reqwest::Response, Url);

/// What a parallel download came to.
pub(super) enum Ranged {
    /// Every piece landed, hashed in order.
    Done(Checksums),
    /// The server ignores `Range`: download over one connection instead, starting with this
    /// answer when it was the first (the whole file, 200).
    Ignored(Option<InHand>),
}

/// Downloads a file of `size` bytes over `streams` ranged connections into `part`.
pub(super) async fn download<F, Fut>(
    ctx: &Context,
    profile: &Profile,
    expected: &Expected,
    link: &Link<F>,
    retry: &RetryContext,
    part: &PartFile,
    (size, streams): (u64, usize),
) -> Result<Ranged>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Url>>,
{
    let mut pieces = Pieces::new(size, streams as u64);
    let Some(first) = pieces.take() else {
        return Ok(Ranged::Ignored(None));
    };
    // The first piece's answer tells whether the server honours Range.
    let lead = Getter::new(ctx, profile, Some(size), 0)?;
    let mut tries = Tries::new(first.start);
    let (response, url) = match answer(&lead, link, retry, &first, &mut tries).await? {
        Some(answer) => answer,
        None => return Ok(Ranged::Ignored(None)),
    };
    if !honours(&response, first.start) {
        return Ok(Ranged::Ignored(Some((response, url))));
    }
    let write_error = |e: std::io::Error| Error::local_io(&format!("cannot write {}", part.path.display()), &e);
    let writer = Writer::start(&part.file, size, expected.needs_md5()).map_err(write_error)?;
    let shared = Shared {
        ctx,
        link,
        retry,
        pieces: Mutex::new(pieces),
        received: AtomicU64::new(0),
        size,
        landing: writer.sender(),
    };
    let mut lanes = vec![lane(&shared, lead, Some((first, Some((response, url)))))];
    for number in 1..streams {
        lanes.push(lane(&shared, Getter::new(ctx, profile, Some(size), number)?, None));
    }
    let outcome = futures_util::future::try_join_all(lanes).await;
    drop(shared);
    match outcome {
        Ok(_) => writer.finish().await.map(Ranged::Done).map_err(write_error),
        Err(Halt::Ignored) => Ok(Ranged::Ignored(None)),
        Err(Halt::Stopped) => Err(writer.finish().await.err().map_or_else(
            || Error::new(ErrorCode::Internal, "the download's writing thread stopped"),
            write_error,
        )),
        Err(Halt::Failed(error)) => Err(error),
    }
}

/// Why a stream stopped before its work was done.
enum Halt {
    Failed(Error),
    /// The server answered a range with something else.
    Ignored,
    /// The writing thread stopped (a write failed).
    Stopped,
}

impl From<Error> for Halt {
    fn from(error: Error) -> Halt {
        Halt::Failed(error)
    }
}

/// What the streams of one download share.
struct Shared<'a, F> {
    ctx: &'a Context,
    link: &'a Link<F>,
    retry: &'a RetryContext,
    pieces: Mutex<Pieces>,
    /// Bytes received by all streams, for progress.
    received: AtomicU64,
    size: u64,
    landing: tokio::sync::mpsc::Sender<(u64, Piece)>,
}

impl<F> Shared<'_, F> {
    fn next_piece(&self) -> Option<Range<u64>> {
        lock(&self.pieces).take()
    }

    /// Hands bytes that belong at `offset` to the writing thread.
    async fn land(&self, offset: u64, piece: Piece) -> std::result::Result<(), Halt> {
        let patience = Duration::from_secs_f64(self.ctx.config.timeouts.read_s);
        match hand_over(&self.landing, (offset, piece), &self.ctx.progress, patience).await? {
            Some(()) => Ok(()),
            None => Err(Halt::Stopped),
        }
    }

    /// `bytes` more arrived on some stream.
    fn report(&self, bytes: u64) -> Result<()> {
        let received = self.received.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.ctx.progress.report(received, self.size)
    }
}

/// One connection: its piece (the first lane starts with the first piece's answer in hand),
/// then the next piece, until none is left.
async fn lane<F, Fut>(
    shared: &Shared<'_, F>,
    getter: Getter<'_>,
    mut start: Option<(Range<u64>, Option<InHand>)>,
) -> std::result::Result<(), Halt>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Url>>,
{
    loop {
        let (piece, answer) = match start.take() {
            Some(start) => start,
            None => match shared.next_piece() {
                Some(piece) => (piece, None),
                None => return Ok(()),
            },
        };
        fetch_piece(shared, &getter, piece, answer).await?;
    }
}

/// Failures in a row of one piece; a failure that got further than any before counts from 1.
struct Tries {
    failures: u32,
    best: u64,
}

impl Tries {
    fn new(start: u64) -> Tries {
        Tries {
            failures: 0,
            best: start,
        }
    }

    fn failed_at(&mut self, at: u64) -> u32 {
        self.failures = if at > self.best { 1 } else { self.failures + 1 };
        self.best = self.best.max(at);
        self.failures
    }
}

/// The answer to a GET of `range`, asked again (after the retry context's wait) while the
/// connection breaks or the service fails for now. None: 416, which a range never gets.
async fn answer<F, Fut>(
    getter: &Getter<'_>,
    link: &Link<F>,
    retry: &RetryContext,
    range: &Range<u64>,
    tries: &mut Tries,
) -> Result<Option<InHand>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Url>>,
{
    loop {
        getter.ctx.progress.check()?;
        match getter.get(link, range.start, Some(range.end)).await? {
            Answer::Body(response, url) => return Ok(Some((response, url))),
            Answer::Again => {}
            Answer::Complete => return Ok(None),
            Answer::Broke(error) => wait(retry, tries, range, error).await?,
        }
    }
}

/// Waits before a range (`left`: what is still missing of it) is asked for again, or gives up.
async fn wait(retry: &RetryContext, tries: &mut Tries, left: &Range<u64>, error: Error) -> Result<()> {
    let failures = tries.failed_at(left.start);
    retry
        .wait_again(failures, error, |error, wait| {
            let wait = wait.as_secs_f64();
            let (at, end) = (left.start, left.end);
            format!(
                "a range broke at byte {at} of ..{end} ({}); resuming in {wait:.1} s",
                error.message
            )
        })
        .await
}

/// Whether an answer is the range asked for.
fn honours(response: &reqwest::Response, start: u64) -> bool {
    response.status().as_u16() == 206 && range_start(response) == Some(start)
}

/// Fetches one piece, resuming it from where it broke.
async fn fetch_piece<F, Fut>(
    shared: &Shared<'_, F>,
    getter: &Getter<'_>,
    piece: Range<u64>,
    mut first: Option<InHand>,
) -> std::result::Result<(), Halt>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Url>>,
{
    let mut left = piece.clone();
    let mut tries = Tries::new(piece.start);
    loop {
        let answer = match first.take() {
            Some(answer) => Some(answer),
            None => answer(getter, shared.link, shared.retry, &left, &mut tries).await?,
        };
        let Some((response, url)) = answer else {
            return Err(Halt::Ignored);
        };
        if !honours(&response, left.start) {
            return Err(Halt::Ignored);
        }
        match receive(shared, getter, response, &url, &mut left).await? {
            None => return Ok(()),
            Some(error) => wait(shared.retry, &mut tries, &left, error).await?,
        }
    }
}

/// Takes a range's body in, advancing `left.start`: `None` once the range is whole, or the
/// error that broke it. More bytes than asked for stop the download.
async fn receive<F>(
    shared: &Shared<'_, F>,
    getter: &Getter<'_>,
    mut response: reqwest::Response,
    url: &Url,
    left: &mut Range<u64>,
) -> std::result::Result<Option<Error>, Halt> {
    let mut gathered = Gathered::default();
    let mut gathered_at = left.start;
    let broke = loop {
        match getter.chunk(&mut response, url).await {
            Chunk::Bytes(bytes) => {
                let len = bytes.len() as u64;
                if left.start + len > left.end {
                    return Err(Halt::Failed(overflow(&format!(
                        "the range ending at byte {}",
                        left.end
                    ))));
                }
                left.start += len;
                if gathered.add(bytes) {
                    shared.land(gathered_at, gathered.take()).await?;
                    gathered_at = left.start;
                }
                shared.report(len)?;
            }
            Chunk::End if left.start == left.end => break None,
            Chunk::End => break Some(getter.ended_early(left)),
            Chunk::Broke(error) => break Some(error),
        }
    };
    if !gathered.is_empty() {
        shared.land(gathered_at, gathered.take()).await?;
    }
    Ok(broke)
}

/// Cuts a file into pieces in file order, each about a share of what is left: large in the
/// middle, smaller towards the end, none smaller than `smallest` (but the file's last).
struct Pieces {
    next: u64,
    size: u64,
    streams: u64,
    smallest: u64,
}

impl Pieces {
    fn new(size: u64, streams: u64) -> Pieces {
        let streams = streams.max(1);
        Pieces {
            next: 0,
            size,
            streams,
            smallest: (size / (4 * streams)).clamp(MIN_PIECE, SMALL_PIECE),
        }
    }

    fn take(&mut self) -> Option<Range<u64>> {
        let left = self.size - self.next;
        if left == 0 {
            return None;
        }
        let mut len = (left / (2 * self.streams)).clamp(self.smallest, MAX_PIECE);
        // No sliver is left for a piece of its own.
        if left < len + self.smallest {
            len = left;
        }
        let piece = self.next..self.next + len;
        self.next += len;
        Some(piece)
    }
}

/// The threads behind the streams: one writes every piece into its place, another hashes the
/// file in order as far as it has landed without a gap.
struct Writer {
    landing: Option<tokio::sync::mpsc::Sender<(u64, Piece)>>,
    writing: Option<std::thread::JoinHandle<std::io::Result<()>>>,
    hashing: Option<std::thread::JoinHandle<std::io::Result<Hashers>>>,
    /// Tells the hashing thread to stop early (the download was abandoned).
    abandoned: Arc<AtomicBool>,
}

impl Writer {
    fn start(file: &std::fs::File, size: u64, with_md5: bool) -> std::io::Result<Writer> {
        let (landing, mut pieces) = tokio::sync::mpsc::channel::<(u64, Piece)>(WRITE_DEPTH);
        let (landed, arrivals) = std::sync::mpsc::sync_channel::<(u64, Piece)>(WRITE_DEPTH);
        let abandoned = Arc::new(AtomicBool::new(false));
        let write_file = file.try_clone()?;
        let writing = std::thread::spawn(move || {
            // Only a speed-up, as for one stream.
            let mut write_out = WriteOut::start(&write_file, WRITE_OUT_BYTES).ok();
            while let Some((offset, piece)) = pieces.blocking_recv() {
                let mut at = offset;
                for chunk in &piece {
                    write_all_at(&write_file, chunk, at)?;
                    at += chunk.len() as u64;
                }
                if let Some(write_out) = &mut write_out {
                    if write_out.wrote((at - offset) as usize) {
                        write_out.request();
                    }
                }
                // A hashing thread that ended early (a failed read) says why when joined.
                let _ = landed.send((offset, piece));
            }
            drop(landed);
            if let Some(write_out) = write_out {
                write_out.finish()?;
            }
            write_file.sync_all()
        });
        let (read_file, stop) = (file.try_clone()?, abandoned.clone());
        let hashing = std::thread::spawn(move || {
            let mut follower = Follower::new(read_file, with_md5, stop);
            while let Ok((offset, piece)) = arrivals.recv() {
                follower.landed(offset, &piece)?;
            }
            follower.finish(size)
        });
        Ok(Writer {
            landing: Some(landing),
            writing: Some(writing),
            hashing: Some(hashing),
            abandoned,
        })
    }

    fn sender(&self) -> tokio::sync::mpsc::Sender<(u64, Piece)> {
        self.landing
            .clone()
            .expect("a writer hands out senders before it finishes")
    }

    /// Waits for the threads: the file written and synced, and its checksums.
    async fn finish(mut self) -> std::io::Result<Checksums> {
        drop(self.landing.take());
        let (writing, hashing) = (self.writing.take(), self.hashing.take());
        tokio::task::spawn_blocking(move || {
            let written = writing.map(join).unwrap_or(Ok(()));
            let hashed = hashing
                .map(join)
                .unwrap_or_else(|| Err(std::io::Error::other("hashed twice")));
            written?;
            Ok(hashed?.finish())
        })
        .await
        .map_err(std::io::Error::other)?
    }
}

fn join<T>(thread: std::thread::JoinHandle<std::io::Result<T>>) -> std::io::Result<T> {
    thread
        .join()
        .map_err(|_| std::io::Error::other("a download thread panicked"))?
}

impl Drop for Writer {
    /// An abandoned download waits for its threads, so the file is closed before the part file
    /// is removed.
    fn drop(&mut self) {
        self.abandoned.store(true, Ordering::Relaxed);
        drop(self.landing.take());
        if let Some(writing) = self.writing.take() {
            let _ = writing.join();
        }
        if let Some(hashing) = self.hashing.take() {
            let _ = hashing.join();
        }
    }
}

/// Hashes a file in order as its pieces land: a piece that lands where the hashing stands is
/// hashed from memory, and whatever landed after it without a gap is read back from the file.
struct Follower {
    file: std::fs::File,
    hashers: Hashers,
    /// Landed beyond the hashed part, not yet joined to it: start -> end.
    ahead: BTreeMap<u64, u64>,
    buffer: Vec<u8>,
    abandoned: Arc<AtomicBool>,
}

impl Follower {
    fn new(file: std::fs::File, with_md5: bool, abandoned: Arc<AtomicBool>) -> Follower {
        Follower {
            file,
            hashers: Hashers::new(with_md5),
            ahead: BTreeMap::new(),
            buffer: Vec::new(),
            abandoned,
        }
    }

    fn landed(&mut self, offset: u64, piece: &[Bytes]) -> std::io::Result<()> {
        let end = offset + piece.iter().map(|chunk| chunk.len() as u64).sum::<u64>();
        if offset != self.hashers.size() {
            self.note(offset, end);
            return Ok(());
        }
        piece.iter().for_each(|chunk| self.hashers.update(chunk));
        while let Some(end) = self.ahead.remove(&self.hashers.size()) {
            self.read_back(end)?;
        }
        Ok(())
    }

    /// Records a landed span, joined to the one it continues (a stream writes its piece in
    /// order, so its spans follow each other).
    fn note(&mut self, offset: u64, end: u64) {
        let before = self
            .ahead
            .range(..offset)
            .next_back()
            .map(|(start, end)| (*start, *end));
        match before {
            Some((start, previous_end)) if previous_end == offset => self.ahead.insert(start, end),
            _ => self.ahead.insert(offset, end),
        };
        if let Some(next_end) = self.ahead.remove(&end) {
            let start = self
                .ahead
                .range(..end)
                .next_back()
                .map(|(start, _)| *start)
                .unwrap_or(offset);
            self.ahead.insert(start, next_end);
        }
    }

    /// Hashes the file from where the hashing stands up to `end`, read back.
    fn read_back(&mut self, end: u64) -> std::io::Result<()> {
        self.buffer.resize(CHUNK, 0);
        while self.hashers.size() < end {
            if self.abandoned.load(Ordering::Relaxed) {
                return Ok(());
            }
            let at = self.hashers.size();
            let want = (end - at).min(CHUNK as u64) as usize;
            read_exact_at(&self.file, &mut self.buffer[..want], at)?;
            self.hashers.update(&self.buffer[..want]);
        }
        Ok(())
    }

    fn finish(self, size: u64) -> std::io::Result<Hashers> {
        if self.hashers.size() != size && !self.abandoned.load(Ordering::Relaxed) {
            let message = format!("the pieces left a gap at byte {} of {size}", self.hashers.size());
            return Err(std::io::Error::other(message));
        }
        Ok(self.hashers)
    }
}

#[cfg(unix)]
fn write_all_at(file: &std::fs::File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
}

#[cfg(windows)]
fn write_all_at(file: &std::fs::File, mut bytes: &[u8], mut offset: u64) -> std::io::Result<()> {
    while !bytes.is_empty() {
        let written = std::os::windows::fs::FileExt::seek_write(file, bytes, offset)?;
        if written == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        bytes = &bytes[written..];
        offset += written as u64;
    }
    Ok(())
}

#[cfg(unix)]
fn read_exact_at(file: &std::fs::File, buffer: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buffer, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &std::fs::File, mut buffer: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !buffer.is_empty() {
        let read = std::os::windows::fs::FileExt::seek_read(file, buffer, offset)?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer = &mut buffer[read..];
        offset += read as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_the_file_in_order_and_shrink_towards_the_end() {
        for (size, streams) in [(1u64 << 30, 4u64), (3 << 20, 4), (100, 4), (64 << 20, 2), (1 << 30, 16)] {
            let mut pieces = Pieces::new(size, streams);
            let mut all = Vec::new();
            while let Some(piece) = pieces.take() {
                all.push(piece);
            }
            assert_eq!(all.first().unwrap().start, 0);
            assert_eq!(all.last().unwrap().end, size);
            assert!(all.windows(2).all(|w| w[0].end == w[1].start), "contiguous");
            assert!(all
                .windows(2)
                .all(|w| w[0].end - w[0].start >= w[1].end - w[1].start || w[1].end == size));
            assert!(all.iter().all(|p| p.end - p.start <= MAX_PIECE));
            assert!(all.iter().all(|p| p.end - p.start >= pieces.smallest.min(size)));
        }
        // 1 GiB over 4 streams: 64 MiB pieces first, 8 MiB ones at the end, about thirty in all.
        let mut pieces = Pieces::new(1 << 30, 4);
        let lens: Vec<u64> = std::iter::from_fn(|| pieces.take()).map(|p| p.end - p.start).collect();
        assert_eq!(lens[0], MAX_PIECE);
        assert!(lens[lens.len() - 2] <= SMALL_PIECE + SMALL_PIECE / 2, "{lens:?}");
        assert!((20..40).contains(&lens.len()), "{lens:?}");
        // A small file still goes in a few pieces.
        let mut pieces = Pieces::new(3 << 20, 4);
        assert!(std::iter::from_fn(|| pieces.take()).count() >= 4);
    }

    /// Pieces landing out of order are hashed in order, read back where they did not arrive
    /// at the hashing point.
    #[test]
    fn the_follower_hashes_in_file_order() {
        let dir = std::env::temp_dir().join(format!("diskbridge-follower-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("file.bin");
        let content: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 + i / 1000) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        let mut follower = Follower::new(std::fs::File::open(&path).unwrap(), true, Arc::default());
        let spans = [
            (1_000_000, 1_500_000),
            (2_000_000, 3_000_000),
            (1_500_000, 2_000_000),
            (0, 400_000),
            (400_000, 1_000_000),
        ];
        for (start, end) in spans {
            follower
                .landed(start, &[Bytes::copy_from_slice(&content[start as usize..end as usize])])
                .unwrap();
        }
        let mut whole = Hashers::new(true);
        whole.update(&content);
        assert_eq!(follower.finish(3_000_000).unwrap().finish(), whole.finish());
        // A gap is an error, not a wrong checksum.
        let mut gappy = Follower::new(std::fs::File::open(&path).unwrap(), false, Arc::default());
        gappy.landed(0, &[Bytes::copy_from_slice(&content[..100])]).unwrap();
        gappy
            .landed(200, &[Bytes::copy_from_slice(&content[200..300])])
            .unwrap();
        assert!(gappy.finish(300).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
