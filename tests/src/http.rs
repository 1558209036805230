//! The tests' one HTTP client: blocking calls to the hub's JSON API over
//! `ureq`, one request per connection. Only the tests of the hub's own
//! handling of broken or slow HTTP (`hostile`, `tests/http_bounds.rs`)
//! write raw bytes to a socket.
//!
//! Every API route but `/healthz` needs a bearer token. Whoever starts a
//! hub calls [`use_hub_token`] once (HubProc does), and from then on every
//! request to that address carries the hub's first-start operator token,
//! unless the caller sends its own `Authorization` ([`request_as`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
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
    /// The body's bytes (for a PNG).
    pub raw: Vec<u8>,
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
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    let agent = AGENT.get_or_init(|| new_agent(IO_TIMEOUT));
    send_via(agent, addr, method, path, headers, body)
}

fn send_via(
    agent: &ureq::Agent,
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<Response> {
    let mut request = ureq::http::Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
        // One request per connection, as before: a pooled connection would
        // outlive a hub a test kills, and count against the hub's limit.
        .header("Connection", "close");
    let typed = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
    if !typed {
        request = request.header("Content-Type", "application/json");
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(body.unwrap_or(""))
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let mut answer = agent.run(request).map_err(io_error)?;
    let headers = answer
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_ascii_lowercase(), value)
        })
        .collect();
    let raw = answer
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_vec()
        .map_err(io_error)?;
    Ok(Response {
        status: answer.status().as_u16(),
        headers,
        body: String::from_utf8_lossy(&raw).into_owned(),
        raw,
    })
}

/// The one client: 4xx and 5xx are answers to read, not errors; no
/// redirects, no pooling; a hub that stops answering fails the call
/// (connect within 2 s, then no read or write waits over `io_timeout`)
/// instead of hanging the test.
fn new_agent(io_timeout: Duration) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_idle_connections(0)
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_per_read(Some(io_timeout))
        .timeout_per_write(Some(io_timeout))
        .build();
    ureq::Agent::new_with_config(config)
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Long enough for a debug hub on a loaded two-core machine to parse a
/// 10 MB upload before it answers (10 s was not, at load 19).
const IO_TIMEOUT: Duration = Duration::from_secs(30);

fn io_error(e: ureq::Error) -> std::io::Error {
    match e {
        ureq::Error::Timeout(what) => {
            std::io::Error::new(std::io::ErrorKind::TimedOut, format!("timed out: {what}"))
        }
        e => e.into_io(),
    }
}

/// GET a path.
pub fn get(addr: SocketAddr, path: &str) -> std::io::Result<Response> {
    request(addr, "GET", path, None)
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
