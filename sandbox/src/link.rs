//! A link of limited bandwidth between a client and the sandbox (setting `link_bytes_per_s`).
//!
//! Over loopback the sandbox answers faster than any real service's link; a benchmark that wants
//! to see how a client keeps up with a given link speed sets one. Each direction of a connection
//! is its own link: bytes take `1 / rate` seconds each, a read or write waits until the bytes
//! before it have passed, and each moves at most a hundredth of a second's worth, so nothing
//! arrives more than 10 ms early. 0, the default, leaves connections as they are.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// How long a link may lag behind its schedule before it counts as idle.
const IDLE: Duration = Duration::from_millis(20);

/// One direction of a link: when the bytes already sent will have passed.
struct Direction {
    free_at: Instant,
    wait: Pin<Box<Sleep>>,
}

impl Direction {
    fn new() -> Direction {
        let now = Instant::now();
        Direction {
            free_at: now,
            wait: Box::pin(tokio::time::sleep_until(now)),
        }
    }

    /// Ready once the bytes before have passed.
    fn poll_free(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.free_at <= Instant::now() {
            return Poll::Ready(());
        }
        self.wait.as_mut().reset(self.free_at);
        self.wait.as_mut().poll(cx)
    }

    /// `bytes` have gone onto the link.
    fn passed(&mut self, bytes: usize, rate: u64) {
        // A waker comes a little after `free_at`; counting from `free_at` rather than from now
        // lets the next bytes make up for it, so the rate holds on average. After an idle
        // spell the link starts afresh: unused time is not saved up for a burst.
        let now = Instant::now();
        let start = if self.free_at + IDLE < now { now } else { self.free_at };
        self.free_at = start + Duration::from_secs_f64(bytes as f64 / rate as f64);
    }
}

/// A connection held to `rate` bytes per second each way (unlimited when 0).
pub struct Link<S> {
    inner: S,
    rate: u64,
    read: Direction,
    write: Direction,
    /// Where paced reads land before they are handed on, one quantum at a time.
    scratch: Vec<u8>,
}

impl<S> Link<S> {
    pub fn new(inner: S, rate: u64) -> Link<S> {
        Link {
            inner,
            rate,
            read: Direction::new(),
            write: Direction::new(),
            scratch: Vec::new(),
        }
    }

    /// The most bytes one read or write moves: 10 ms of the link.
    fn quantum(&self) -> usize {
        (self.rate / 100).max(1024) as usize
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Link<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.rate == 0 {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        ready!(this.read.poll_free(cx));
        let quantum = this.quantum().min(buf.remaining());
        this.scratch.resize(quantum, 0);
        let mut limited = ReadBuf::new(&mut this.scratch);
        ready!(Pin::new(&mut this.inner).poll_read(cx, &mut limited))?;
        let read = limited.filled().len();
        buf.put_slice(&this.scratch[..read]);
        this.read.passed(read, this.rate);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Link<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.rate == 0 {
            return Pin::new(&mut this.inner).poll_write(cx, bytes);
        }
        ready!(this.write.poll_free(cx));
        let quantum = this.quantum().min(bytes.len());
        let written = ready!(Pin::new(&mut this.inner).poll_write(cx, &bytes[..quantum]))?;
        this.write.passed(written, this.rate);
        Poll::Ready(Ok(written))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buffers: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.rate == 0 {
            return Pin::new(&mut self.inner).poll_write_vectored(cx, buffers);
        }
        let first = buffers.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| &b[..]);
        self.poll_write(cx, first)
    }

    fn is_write_vectored(&self) -> bool {
        self.rate == 0 && self.inner.is_write_vectored()
    }

    /// Done once what was written has passed the link.
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.rate != 0 {
            ready!(this.write.poll_free(cx));
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.rate != 0 {
            ready!(this.write.poll_free(cx));
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::Link;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// 1 MiB through a 4 MiB/s link takes a quarter of a second, whoever reads it.
    #[tokio::test(start_paused = true)]
    async fn bytes_take_the_time_of_the_link() {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let mut link = Link::new(server, 4 * 1024 * 1024);
        let started = tokio::time::Instant::now();
        let writer = tokio::spawn(async move {
            link.write_all(&vec![7u8; 1024 * 1024]).await.unwrap();
            link.shutdown().await.unwrap();
        });
        let mut received = Vec::new();
        let mut client = client;
        client.read_to_end(&mut received).await.unwrap();
        writer.await.unwrap();
        assert_eq!(received.len(), 1024 * 1024);
        let elapsed = started.elapsed().as_secs_f64();
        assert!((0.24..0.27).contains(&elapsed), "took {elapsed} s");
    }

    #[tokio::test(start_paused = true)]
    async fn reads_are_paced_and_zero_means_unlimited() {
        for (rate, expected) in [(2 * 1024 * 1024u64, 0.5), (0, 0.0)] {
            let (mut client, server) = tokio::io::duplex(2 * 1024 * 1024);
            let mut link = Link::new(server, rate);
            client.write_all(&vec![1u8; 1024 * 1024]).await.unwrap();
            drop(client);
            let started = tokio::time::Instant::now();
            let mut received = Vec::new();
            link.read_to_end(&mut received).await.unwrap();
            assert_eq!(received.len(), 1024 * 1024);
            let elapsed = started.elapsed().as_secs_f64();
            assert!((elapsed - expected).abs() < 0.02, "rate {rate}: took {elapsed} s");
        }
    }
}
