//! A tiny blocking HTTP/1.1 client for tests: one request per connection,
//! enough to read the hub's JSON API without another dependency.
//!
//! Every API route but `/healthz` needs a bearer token. Whoever starts a
//! hub calls [`use_hub_token`] once (HubProc does), and from then on every
//! request to that address carries the hub's first-start operator token,
//! unless the caller sends its own `Authorization` ([`request_as`]).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// The token each hub address is called with by default.
static TOKENS: Mutex<Option<HashMap<SocketAddr, String>>> = Mutex::new(None);

/// The first-start operator token of the hub whose data directory is
/// `data` (`DATA/operator-token`).
pub fn hub_token(data: &Path) -> std::io::Result<String> {
    let path = data.join(hub::tokens::OPERATOR_TOKEN_FILE);
    Ok(std::fs::read_to_string(path)?.trim().to_string())
}

/// Sends `token` with every later request to `addr`.
pub fn remember_token(addr: SocketAddr, token: &str) {
    let mut tokens = TOKENS.lock().unwrap_or_else(|p| p.into_inner());
    tokens
        .get_or_insert_with(HashMap::new)
        .insert(addr, token.to_string());
}

/// Sends the operator token of the hub at `addr` (data in `data`) with
/// every later request to it; panics if the hub made none.
pub fn use_hub_token(addr: SocketAddr, data: &Path) {
    let token = hub_token(data).unwrap_or_else(|e| {
        panic!(
            "no operator token in {} (the hub writes it on a first start): {e}",
            data.display()
        )
    });
    remember_token(addr, &token);
}

fn remembered_token(addr: SocketAddr) -> Option<String> {
    let tokens = TOKENS.lock().unwrap_or_else(|p| p.into_inner());
    tokens.as_ref()?.get(&addr).cloned()
}

/// A response: status code, headers and body.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// Body text.
    pub body: String,
}

impl Response {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_str(&self.body).map_err(|e| format!("{e}: {}", self.body))
    }
}

/// Sends one request and reads the whole response.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<Response> {
    request_with(addr, method, path, &[], body)
}

/// Like [`request`], with extra headers (an `Authorization` among them
/// replaces the remembered token).
pub fn request_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<Response> {
    let own = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("authorization"));
    let bearer = match remembered_token(addr) {
        Some(token) if !own => Some(format!("Bearer {token}")),
        _ => None,
    };
    let mut all = headers.to_vec();
    if let Some(bearer) = &bearer {
        all.push(("Authorization", bearer));
    }
    send(addr, method, path, &all, body)
}

/// One request with exactly this `Authorization` value, or none at all
/// (never the remembered token): what the auth tests send.
pub fn request_as(
    addr: SocketAddr,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: Option<&str>,
) -> std::io::Result<Response> {
    let headers: Vec<(&str, &str)> = authorization
        .map(|value| ("Authorization", value))
        .into_iter()
        .collect();
    send(addr, method, path, &headers, body)
}

fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let body = body.unwrap_or("");
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse(&raw).ok_or_else(|| std::io::Error::other("malformed HTTP response"))
}

/// GET a path.
pub fn get(addr: SocketAddr, path: &str) -> std::io::Result<Response> {
    request(addr, "GET", path, None)
}

fn parse(raw: &[u8]) -> Option<Response> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (name, value) = l.split_once(':')?;
            Some((name.trim().to_ascii_lowercase(), value.trim().to_string()))
        })
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_string()
    };
    Some(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut body: &str) -> Option<String> {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n")?;
        let size = usize::from_str_radix(size.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        out.push_str(rest.get(..size)?);
        body = rest.get(size + 2..)?;
    }
}
