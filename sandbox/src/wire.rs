//! Plumbing of the line protocols (IMAP, SMTP): any byte stream (plain TCP, or TLS around it),
//! bounded line reads with an idle timeout, and the accept loop of a listener.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::link::Link;
use crate::server::round_trips;
use crate::state::AppState;

/// A connection the protocol sessions run over: TCP, or TLS around it.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for T {}

#[derive(Debug)]
pub enum ReadError {
    /// The client closed the connection.
    Closed,
    /// A line longer than allowed: the session answers and ends.
    TooLong,
    /// Nothing arrived within the idle timeout.
    Idle,
    /// The connection failed.
    Io,
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        ReadError::Io
    }
}

/// Reads one line, without its CRLF (a bare LF ends a line too), of at most `max` bytes.
pub async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
    idle: Duration,
) -> Result<Vec<u8>, ReadError> {
    match tokio::time::timeout(idle, read_line_within(reader, max)).await {
        Ok(result) => result,
        Err(_) => Err(ReadError::Idle),
    }
}

async fn read_line_within<R: AsyncBufRead + Unpin>(reader: &mut R, max: usize) -> Result<Vec<u8>, ReadError> {
    let mut line = Vec::new();
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Err(ReadError::Closed);
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(end) => (&available[..=end], true),
            None => (available, false),
        };
        if line.len() + chunk.len() > max + 2 {
            return Err(ReadError::TooLong);
        }
        line.extend_from_slice(chunk);
        let used = chunk.len();
        reader.consume(used);
        if done {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(line);
        }
    }
}

/// Reads exactly `length` bytes (an IMAP literal) within the idle timeout.
pub async fn read_exact<R: AsyncRead + Unpin>(
    reader: &mut R,
    length: usize,
    idle: Duration,
) -> Result<Vec<u8>, ReadError> {
    let mut bytes = vec![0u8; length];
    match tokio::time::timeout(idle, reader.read_exact(&mut bytes)).await {
        Ok(Ok(_)) => Ok(bytes),
        Ok(Err(err)) if err.kind() == io::ErrorKind::UnexpectedEof => Err(ReadError::Closed),
        Ok(Err(_)) => Err(ReadError::Io),
        Err(_) => Err(ReadError::Idle),
    }
}

/// A connection as a session sees it: TCP behind the bandwidth setting's link, or TLS around it.
pub type Connection = Box<dyn Stream>;

/// Accepts connections for ever, running `session` on each on its own task (after the TLS
/// handshake when there is an acceptor; a failed handshake is the client's business). The
/// sandbox's shutdown drops the loop (server.rs `run`), and its runtime's end the sessions.
pub async fn accept_loop<F, Fut>(listener: TcpListener, state: AppState, acceptor: Option<TlsAcceptor>, session: F)
where
    F: Fn(Connection, SocketAddr, AppState) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        let Ok((socket, peer)) = listener.accept().await else {
            continue;
        };
        let _ = socket.set_nodelay(true);
        let settings = state.settings();
        let link = Link::new(socket, settings.link_bytes_per_s);
        let (state, acceptor, session) = (state.clone(), acceptor.clone(), session.clone());
        tokio::spawn(async move {
            // The handshakes of a link with latency: TCP's, and TLS's one more round trip.
            round_trips(settings.rtt_ms, 1 + u64::from(acceptor.is_some())).await;
            let stream: Connection = match acceptor {
                None => Box::new(link),
                Some(acceptor) => match acceptor.accept(link).await {
                    Ok(stream) => Box::new(stream),
                    Err(_) => return,
                },
            };
            session(stream, peer, state).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::BufReader;

    #[tokio::test]
    async fn lines_are_bounded_and_end_in_crlf_or_lf() {
        let input: &[u8] = b"A1 NOOP\r\nA2 CAPABILITY\nTOO LONG LINE\r\n";
        let mut reader = BufReader::with_capacity(4, input);
        let idle = Duration::from_secs(5);
        assert_eq!(read_line(&mut reader, 64, idle).await.unwrap(), b"A1 NOOP");
        assert_eq!(read_line(&mut reader, 64, idle).await.unwrap(), b"A2 CAPABILITY");
        assert!(matches!(read_line(&mut reader, 5, idle).await, Err(ReadError::TooLong)));
        let mut empty = BufReader::new(&b""[..]);
        assert!(matches!(read_line(&mut empty, 5, idle).await, Err(ReadError::Closed)));
    }
}
