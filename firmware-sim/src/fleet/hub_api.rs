//! Reads what the hub says it applied, over its HTTP API only: each
//! device's watermark and count of applied movements
//! (`GET /api/v1/devices`) and the stock (`GET /api/v1/stock`), with a
//! bearer token (a viewer's is enough: both are reads).
//!
//! Over `ureq`, the workspace's one HTTP client (the tests use it too): a
//! blocking GET per report, run off the async runtime's threads, one request
//! per connection (the hub may be restarted between reports).

use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;
use thiserror::Error;

/// Why the hub's answer could not be read.
#[derive(Debug, Error)]
pub enum HubApiError {
    /// The connection failed or timed out.
    #[error("HTTP {path}: {source}")]
    Io {
        /// The path asked for.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The answer was not a 200 with the JSON expected.
    #[error("HTTP {path}: {problem}")]
    Bad {
        /// The path asked for.
        path: String,
        /// What was wrong.
        problem: String,
    },
}

/// A bearer token for the hub's API; its `Debug` never shows it (the fleet
/// config is printable).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpToken(String);

impl HttpToken {
    /// Wraps a token.
    pub fn new(token: &str) -> HttpToken {
        HttpToken(token.to_string())
    }
}

impl std::fmt::Debug for HttpToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpToken(..)")
    }
}

/// What the hub reports for one device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeviceApplied {
    /// Highest sequence number durably applied.
    pub watermark: u64,
    /// Movements applied.
    pub applied: u64,
}

/// `(sku, location, lot or "")` -> on hand.
pub type StockRows = BTreeMap<(String, String, String), i64>;

/// `GET /api/v1/devices`, by device id.
pub async fn devices(
    addr: SocketAddr,
    token: &HttpToken,
) -> Result<BTreeMap<String, DeviceApplied>, HubApiError> {
    let path = "/api/v1/devices";
    let body = get_json(addr, token, path).await?;
    let bad = |problem: &str| HubApiError::Bad {
        path: path.into(),
        problem: problem.into(),
    };
    let mut out = BTreeMap::new();
    for item in body["items"].as_array().ok_or_else(|| bad("no items"))? {
        let device = item["device"]
            .as_str()
            .ok_or_else(|| bad("item without device"))?;
        out.insert(
            device.to_string(),
            DeviceApplied {
                watermark: item["watermark"].as_u64().unwrap_or(0),
                applied: item["movements_applied"].as_u64().unwrap_or(0),
            },
        );
    }
    Ok(out)
}

/// `GET /api/v1/stock`, as rows.
pub async fn stock(addr: SocketAddr, token: &HttpToken) -> Result<StockRows, HubApiError> {
    let path = "/api/v1/stock";
    let body = get_json(addr, token, path).await?;
    let bad = |problem: &str| HubApiError::Bad {
        path: path.into(),
        problem: problem.into(),
    };
    let mut out = StockRows::new();
    for item in body["items"].as_array().ok_or_else(|| bad("no items"))? {
        let sku = item["sku"]
            .as_str()
            .ok_or_else(|| bad("item without sku"))?;
        for loc in item["locations"]
            .as_array()
            .ok_or_else(|| bad("no locations"))?
        {
            let location = loc["location"].as_str().ok_or_else(|| bad("no location"))?;
            let lot = loc["lot"].as_str().unwrap_or("");
            let on_hand = loc["on_hand"].as_i64().ok_or_else(|| bad("no on_hand"))?;
            out.insert((sku.into(), location.into(), lot.into()), on_hand);
        }
    }
    Ok(out)
}

async fn get_json(addr: SocketAddr, token: &HttpToken, path: &str) -> Result<Value, HubApiError> {
    let io = |source| HubApiError::Io {
        path: path.into(),
        source,
    };
    let url = format!("http://{addr}{path}");
    let bearer = format!("Bearer {}", token.0);
    let (status, body) = tokio::task::spawn_blocking(move || get(&url, &bearer))
        .await
        .map_err(|e| io(std::io::Error::other(e)))?
        .map_err(io)?;
    let bad = |problem: String| HubApiError::Bad {
        path: path.into(),
        problem,
    };
    if status != 200 {
        // The body says why (401 no or a revoked token, 403 ...), never
        // the token.
        let why = body.chars().take(200).collect::<String>();
        return Err(bad(format!("status {status}: {why}")));
    }
    serde_json::from_str(&body).map_err(|e| bad(format!("not JSON: {e}")))
}

/// One GET: the status and the body, whatever the status.
fn get(url: &str, bearer: &str) -> std::io::Result<(u16, String)> {
    let mut answer = agent()
        .get(url)
        .header("Authorization", bearer)
        .header("Connection", "close")
        .call()
        .map_err(io_error)?;
    let raw = answer
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_vec()
        .map_err(io_error)?;
    let body = String::from_utf8_lossy(&raw).into_owned();
    Ok((answer.status().as_u16(), body))
}

/// Non-2xx answers are read (their body says why), nothing is pooled, and
/// a hub that stops answering fails the report within 30 s.
fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_idle_connections(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build();
        ureq::Agent::new_with_config(config)
    })
}

fn io_error(e: ureq::Error) -> std::io::Error {
    match e {
        ureq::Error::Timeout(what) => {
            std::io::Error::new(std::io::ErrorKind::TimedOut, format!("timed out: {what}"))
        }
        e => e.into_io(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    /// Answers one request on loopback with `answer`.
    fn serve_once(answer: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().expect("accept");
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                line.clear();
            }
            let _ = reader.into_inner().write_all(answer.as_bytes());
        });
        addr
    }

    #[tokio::test]
    async fn reads_a_chunked_answer() {
        let addr = serve_once(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
             10\r\n{\"items\":[{\"devi\r\n\
             19\r\nce\":\"d1\",\"watermark\":7}]}\r\n0\r\n\r\n",
        );
        let devices = devices(addr, &HttpToken::new("t")).await.expect("devices");
        assert_eq!(devices["d1"].watermark, 7);
    }

    #[tokio::test]
    async fn an_error_status_says_why() {
        let addr =
            serve_once("HTTP/1.1 401 Unauthorized\r\nContent-Length: 13\r\n\r\n{\"error\":\"x\"}");
        let err = stock(addr, &HttpToken::new("t")).await.expect_err("401");
        assert!(err.to_string().contains("status 401"), "{err}");
        assert!(err.to_string().contains("error"), "{err}");
    }
}
