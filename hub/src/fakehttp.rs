//! Just enough HTTP/1.1 for the loopback fakes of the carriers'
//! (`carriers::fake`) and the shop platforms' (`writeback::fake`) open
//! platforms: one request per connection (request line with its target,
//! headers, a `Content-Length` body), one answer with `Connection: close`.
//! The target is kept, since Shopee signs its path and query. Also the
//! server both fakes run on ([`LoopbackServer`]) and the hang they share.

use std::io::{self, Read, Write};
use std::net::TcpStream;

/// The longest head (request line and headers) accepted.
const MAX_HEAD: usize = 16 * 1024;
/// The longest body accepted.
const MAX_BODY: usize = 1 << 20;

/// A request as the fake needs it.
#[derive(Debug)]
pub struct Request {
    /// `POST` or `GET`.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, without the `?` (may be empty).
    pub query: String,
    /// The headers, names in lower case, in order.
    pub headers: Vec<(String, String)>,
    /// The body, UTF-8.
    pub body: String,
}

fn invalid(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.to_owned())
}

/// Reads one request from `stream`.
pub fn read_request(stream: &mut TcpStream) -> io::Result<Request> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        if buf.len() > MAX_HEAD {
            return Err(invalid("head too long"));
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(invalid("closed before the head ended"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| invalid("head not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let mut words = lines.next().unwrap_or_default().split(' ');
    let method = words.next().unwrap_or_default().to_owned();
    let target = words.next().ok_or_else(|| invalid("no request target"))?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length = content_length(&headers)?;
    if length > MAX_BODY {
        return Err(invalid("body too long"));
    }
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(invalid("closed before the body ended"));
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    let body = String::from_utf8(body).map_err(|_| invalid("body not UTF-8"))?;
    Ok(Request {
        method,
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body,
    })
}

/// The `Content-Length` among the headers (0 if absent).
fn content_length(headers: &[(String, String)]) -> io::Result<usize> {
    match headers.iter().find(|(name, _)| name == "content-length") {
        Some((_, value)) => value.parse().map_err(|_| invalid("bad Content-Length")),
        None => Ok(0),
    }
}

impl Request {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Writes one answer and closes.
pub fn write_response(stream: &mut TcpStream, status: u16, body: &str) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} Status\r\nContent-Type: application/json;charset=UTF-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

/// A loopback server for the fakes: one thread accepts on `127.0.0.1:0`,
/// each connection gets its own thread, which reads the request and hands
/// it to the fake's `serve` (so a hanging answer never blocks the next
/// request). Dropping it stops it.
pub struct LoopbackServer {
    addr: std::net::SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    accept: Option<std::thread::JoinHandle<()>>,
}

/// What a fake does with one request on its connection; the flag says
/// the server stops.
pub type Serve = dyn Fn(&mut TcpStream, Request, &std::sync::atomic::AtomicBool) + Send + Sync;

impl LoopbackServer {
    /// Starts serving with `serve`; threads are named after `name`.
    pub fn start(name: &'static str, serve: std::sync::Arc<Serve>) -> io::Result<Self> {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let accept = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if flag.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let (serve, flag) = (Arc::clone(&serve), Arc::clone(&flag));
                    let spawned = std::thread::Builder::new()
                        .name(format!("{name}-conn"))
                        .spawn(move || serve_one(stream, &*serve, &flag));
                    if let Err(e) = spawned {
                        tracing::warn!(error = %e, name, "fake: cannot start a connection thread");
                    }
                }
            })?;
        Ok(LoopbackServer {
            addr,
            stop,
            accept: Some(accept),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, std::time::Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Reads one request (a client silent for 5 s is dropped) and serves it.
fn serve_one(mut stream: TcpStream, serve: &Serve, stop: &std::sync::atomic::AtomicBool) {
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
    if let Ok(request) = read_request(&mut stream) {
        serve(&mut stream, request, stop);
    }
}

/// Holds a connection open without answering until the server stops (or
/// ten seconds pass), as a platform that hangs would.
pub fn hang(stop: &std::sync::atomic::AtomicBool) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !stop.load(std::sync::atomic::Ordering::SeqCst) && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
