//! A small misbehaving HTTP/1.1 server on 127.0.0.1, for the answers the sandbox would never
//! give (it follows the services): the test hands it a function from a request to an answer —
//! a whole answer, or a head followed by a body without end. It keeps every request it was sent
//! and stops listening when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Request bodies are kept up to this size (the rest is read and dropped), so a large upload to
/// the server does not count against a test that bounds the process's memory.
const MAX_KEPT_BODY: u64 = 1 << 20;

/// A request as the server read it.
#[derive(Clone, Debug)]
pub struct Asked {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    /// The body's first [`MAX_KEPT_BODY`] bytes.
    pub body: Vec<u8>,
}

impl Asked {
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// What the server answers.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

pub enum Body {
    /// Sent with its length; the connection stays open for the next request.
    Whole(Vec<u8>),
    /// Sent without a length, again and again until the client goes away.
    Endless(Vec<u8>),
}

impl Answer {
    pub fn json(status: u16, body: &serde_json::Value) -> Answer {
        Answer {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Body::Whole(body.to_string().into_bytes()),
        }
    }

    pub fn empty(status: u16) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: Body::Whole(Vec::new()),
        }
    }

    /// A status whose body never ends (no length: it lasts until the connection closes).
    pub fn endless(status: u16, content_type: &str, chunk: &[u8]) -> Answer {
        Answer {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: Body::Endless(chunk.to_vec()),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

type Handler = dyn Fn(&Asked) -> Answer + Send + Sync;

pub struct Rogue {
    pub url: String,
    asked: Arc<Mutex<Vec<Asked>>>,
    stop: Arc<AtomicBool>,
    address: SocketAddr,
}

impl Rogue {
    /// Serves `handler` on a free loopback port until the `Rogue` is dropped.
    pub fn start(handler: impl Fn(&Asked) -> Answer + Send + Sync + 'static) -> Rogue {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let rogue = Rogue {
            url: format!("http://{address}"),
            asked: Arc::default(),
            stop: Arc::default(),
            address,
        };
        let handler: Arc<Handler> = Arc::new(handler);
        let (log, stop) = (rogue.asked.clone(), rogue.stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let (handler, log) = (handler.clone(), log.clone());
                std::thread::spawn(move || serve(stream, &*handler, &log));
            }
        });
        rogue
    }

    /// Every request so far, oldest first.
    pub fn asked(&self) -> Vec<Asked> {
        self.asked.lock().unwrap().clone()
    }
}

impl Drop for Rogue {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the stop.
        let _ = TcpStream::connect(self.address);
    }
}

/// Answers the requests of one connection until the client closes it or an answer ends it.
fn serve(stream: TcpStream, handler: &Handler, log: &Mutex<Vec<Asked>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(30)));
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    while let Some((asked, framed)) = read_request(&mut reader) {
        log.lock().unwrap().push(asked.clone());
        let answer = handler(&asked);
        let mut head = format!("HTTP/1.1 {} X\r\n", answer.status);
        if let Body::Whole(body) = &answer.body {
            head.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        if !framed || matches!(answer.body, Body::Endless(_)) {
            head.push_str("connection: close\r\n");
        }
        for (name, value) in &answer.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        if writer.write_all(head.as_bytes()).is_err() {
            return;
        }
        match &answer.body {
            Body::Whole(body) if writer.write_all(body).is_ok() && framed => {}
            Body::Whole(_) => return,
            Body::Endless(chunk) => {
                while writer.write_all(chunk).is_ok() {}
                return;
            }
        }
    }
}

/// One request, and whether its body was framed by a length (a chunked body is not read, so
/// the connection ends after its answer).
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(Asked, bool)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let framed = !headers.iter().any(|(name, _)| name == "transfer-encoding");
    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, v)| v.parse::<u64>().ok())
        .unwrap_or(0);
    let mut body = Vec::new();
    reader
        .by_ref()
        .take(length.min(MAX_KEPT_BODY))
        .read_to_end(&mut body)
        .ok()?;
    let rest = length.saturating_sub(MAX_KEPT_BODY);
    if std::io::copy(&mut reader.by_ref().take(rest), &mut std::io::sink()).ok()? != rest {
        return None;
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let asked = Asked {
        method,
        path: path.to_string(),
        query: url::form_urlencoded::parse(query.as_bytes()).into_owned().collect(),
        headers,
        body,
    };
    Some((asked, framed))
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
