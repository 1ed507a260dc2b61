//! A misbehaving HTTP/1.1 server on 127.0.0.1 for the tests of hostile answers: every request is
//! answered by the test's function, with a whole answer or a head followed by a body without end.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request as the server read it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Lower-case names.
    pub headers: HashMap<String, String>,
}

pub enum Answer {
    /// Status line, headers and body, sent as they are.
    Raw(Vec<u8>),
    /// The head (status line and headers, without the blank line), then `chunk` again and
    /// again until the client goes away.
    Endless { head: String, chunk: Vec<u8> },
}

impl Answer {
    /// A JSON answer with this status.
    pub fn json(status: u16, body: &serde_json::Value) -> Answer {
        let body = body.to_string();
        Answer::Raw(
            format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    }

    /// A status with these extra header lines and an empty body.
    pub fn status(status: u16, headers: &[&str]) -> Answer {
        let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n");
        for header in headers {
            head.push_str(header);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        Answer::Raw(head.into_bytes())
    }

    /// A status whose body never ends (no length: it lasts until the connection closes).
    pub fn endless(status: u16, content_type: &str, chunk: &[u8]) -> Answer {
        Answer::Endless {
            head: format!("HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nConnection: close\r\n"),
            chunk: chunk.to_vec(),
        }
    }
}

type Handler = dyn Fn(&Seen) -> Answer + Send + Sync;

pub struct Rogue {
    pub url: String,
    connections: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    address: std::net::SocketAddr,
}

impl Rogue {
    pub fn start(handler: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Rogue {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let rogue = Rogue {
            url: format!("http://{address}"),
            connections: Arc::default(),
            seen: Arc::default(),
            stop: Arc::default(),
            address,
        };
        let handler: Arc<Handler> = Arc::new(handler);
        let (connections, seen, stop) = (rogue.connections.clone(), rogue.seen.clone(), rogue.stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                connections.fetch_add(1, Ordering::SeqCst);
                let (handler, seen) = (handler.clone(), seen.clone());
                std::thread::spawn(move || serve(stream, &*handler, &seen));
            }
        });
        rogue
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Requests read so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Rogue {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.address);
    }
}

/// Reads one request (its body discarded), answers it, closes.
fn serve(stream: TcpStream, handler: &Handler, seen: &Mutex<Vec<Seen>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let length: u64 = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    let _ = std::io::copy(&mut reader.by_ref().take(length), &mut std::io::sink());
    let request = Seen {
        method,
        target,
        headers,
    };
    seen.lock().unwrap().push(request.clone());
    let mut stream = stream;
    match handler(&request) {
        Answer::Raw(bytes) => {
            let _ = stream.write_all(&bytes);
        }
        Answer::Endless { head, chunk } => {
            if stream.write_all(format!("{head}\r\n").as_bytes()).is_err() {
                return;
            }
            while stream.write_all(&chunk).is_ok() {}
        }
    }
    let _ = stream.flush();
}

/// The resident memory of this process, in bytes (Linux).
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .unwrap_or(0)
}
