//! Reads what the hub says it applied, over its HTTP API only: each
//! device's watermark and count of applied movements
//! (`GET /api/v1/devices`) and the stock (`GET /api/v1/stock`), with a
//! bearer token (a viewer's is enough: both are reads).
//!
//! Why by hand: one GET per report, on loopback; a minimal HTTP/1.1 client
//! (one request per connection, `Connection: close`, chunked or not) is a
//! few lines, where an HTTP client crate would be a large dependency.

use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;
use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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
    let raw = tokio::time::timeout(Duration::from_secs(30), get(addr, token, path))
        .await
        .map_err(|_| {
            io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "timed out",
            ))
        })?
        .map_err(io)?;
    let bad = |problem: String| HubApiError::Bad {
        path: path.into(),
        problem,
    };
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| bad("no header end".into()))?;
    let status = head.split_whitespace().nth(1).unwrap_or("");
    if status != "200" {
        // The body says why (401 no or a revoked token, 403 ...), never
        // the token.
        let why = body.chars().take(200).collect::<String>();
        return Err(bad(format!("status {status}: {why}")));
    }
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body).ok_or_else(|| bad("bad chunked body".into()))?
    } else {
        body.to_string()
    };
    serde_json::from_str(&body).map_err(|e| bad(format!("not JSON: {e}")))
}

async fn get(addr: SocketAddr, token: &HttpToken, path: &str) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Connection: close\r\n\r\n",
        token.0
    );
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    Ok(raw)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dechunks() {
        assert_eq!(
            dechunk("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").as_deref(),
            Some("abcde")
        );
        assert_eq!(dechunk("zz\r\n"), None);
    }
}
