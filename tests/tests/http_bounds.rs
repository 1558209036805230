//! Bounded HTTP (issue 12, item 2) against a real hub over real TCP:
//! idle, slow-header and slow-body connections are closed by the hub's
//! timeouts; past the connection cap a client gets a JSON 503 at once; a
//! body declared over the limit is answered 413 before it is sent; and the
//! framing and media-type rules answer in the JSON error format.
//! Raw sockets on purpose, not `tests::http`: a client crate would not send these.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};
use tests::{http, wait_until, HubPorts, HubProc};

/// A hub with `config` (TOML) as its config file.
fn hub_with(data: &Path, config: &str) -> (HubProc, SocketAddr) {
    let file = data.join("hub.toml");
    std::fs::write(&file, config).expect("write config");
    let ports = HubPorts::fresh();
    let path = file.display().to_string();
    let hub = HubProc::start_with(&data.join("data"), ports, "s1", &["--config", &path]);
    (hub, ports.http_addr())
}

fn token(hub: &HubProc) -> String {
    http::hub_token(&hub.data).expect("operator token")
}

/// Reads until the hub closes the connection (EOF or reset), failing if
/// it is still open at `deadline`; returns what was read.
fn until_closed(stream: &mut TcpStream, deadline: Duration) -> Result<Vec<u8>, String> {
    let end = Instant::now() + deadline;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("still open after {deadline:?}; read {got:?}"));
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|e| e.to_string())?;
        match stream.read(&mut buf) {
            Ok(0) => return Ok(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(got),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    TcpStream::connect_timeout(&addr, Duration::from_secs(2)).expect("connect")
}

const SHORT: &str = "http_header_timeout_ms = 1000\nhttp_body_timeout_ms = 1000\n\
                     http_idle_timeout_ms = 1500\n";

#[test]
fn idle_connections_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let (_hub, addr) = hub_with(dir.path(), SHORT);
    let mut idle = connect(addr);
    until_closed(&mut idle, Duration::from_secs(10)).expect("a silent connection is closed");
    // A kept-alive connection idle after its answer is closed too.
    let mut kept = connect(addr);
    let ask = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    kept.write_all(ask.as_bytes()).unwrap();
    let got = until_closed(&mut kept, Duration::from_secs(10)).expect("closed after idling");
    assert!(
        got.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
}

#[test]
fn a_slow_header_is_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let (_hub, addr) = hub_with(dir.path(), SHORT);
    let mut slow = connect(addr);
    slow.write_all(b"GET /healthz HTTP/1.1\r\n").unwrap();
    slow.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let end = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 256];
    // One header line every 200 ms: the head never completes, but bytes
    // keep coming, so only a deadline on the whole head ends it.
    let closed = loop {
        assert!(
            Instant::now() < end,
            "a trickled header kept the connection open"
        );
        if slow.write_all(b"X-Slow: 1\r\n").is_err() {
            break true;
        }
        match slow.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break true,
            Err(_) => {}
        }
    };
    assert!(closed);
}

#[test]
fn a_slow_body_is_answered_408_and_closed() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, addr) = hub_with(dir.path(), SHORT);
    let mut slow = connect(addr);
    let head = format!(
        "POST /api/v1/reservations HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"order_ref\"",
        token(&hub)
    );
    slow.write_all(head.as_bytes()).unwrap();
    let got = until_closed(&mut slow, Duration::from_secs(10)).expect("a stalled body is cut");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains(r#""code":"body_timeout""#), "{text}");
}

#[test]
fn connections_past_the_cap_get_a_json_503_and_room_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let config = "http_max_connections = 16\nhttp_header_timeout_ms = 60000\n";
    let (_hub, addr) = hub_with(dir.path(), config);
    let mut held: Vec<TcpStream> = (0..16).map(|_| connect(addr)).collect();
    // The hub takes connections in order: these 16 hold every place. But
    // the start-up's own /healthz call may still hold one a moment (on a
    // loaded machine): then one of the 16 was refused, and the next one
    // takes the place it leaves. So: more until one is refused.
    let mut refused = None;
    for _ in 0..4 {
        let mut extra = connect(addr);
        match until_closed(&mut extra, Duration::from_secs(4)) {
            Ok(got) => {
                refused = Some(got);
                break;
            }
            Err(_) => held.push(extra),
        }
    }
    let got = refused.expect("a connection past the cap is refused and closed");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains(r#""code":"too_many_connections""#), "{text}");
    held.pop();
    wait_until("a place frees up", Duration::from_secs(10), || {
        http::get(addr, "/healthz").ok().filter(|r| r.status == 200)
    })
    .expect("a closed connection gives its place back");
}

/// Sends `raw` (a whole request) and reads the answer: (status, body).
fn raw(addr: SocketAddr, raw: &str) -> (u16, serde_json::Value) {
    let mut stream = connect(addr);
    stream.write_all(raw.as_bytes()).unwrap();
    let got = until_closed(&mut stream, Duration::from_secs(10)).expect("an answer, then close");
    let text = String::from_utf8_lossy(&got).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let json = serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
    (status, json)
}

#[test]
fn framing_size_and_media_type_rules_answer_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, addr) = hub_with(dir.path(), "");
    let auth = format!("Authorization: Bearer {}", token(&hub));
    let body = r#"{"order_ref":"o","lines":[{"sku":"SKU-1","quantity":1}]}"#;
    let post = |extra: &str, body: &str| {
        format!(
            "POST /api/v1/reservations HTTP/1.1\r\nHost: h\r\nConnection: close\r\n{auth}\r\n\
             {extra}\r\n{body}"
        )
    };
    let sized = |content_type: &str| {
        post(
            &format!(
                "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
                body.len()
            ),
            body,
        )
    };
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("utf-16", sized("application/json; charset=utf-16"), 415, "unsupported_media_type"),
        ("+json", sized("application/evil+json"), 415, "unsupported_media_type"),
        ("text", sized("text/plain"), 415, "unsupported_media_type"),
        ("no type", post(&format!("Content-Length: {}\r\n", body.len()), body), 415, "unsupported_media_type"),
        (
            "CL and TE",
            post(
                "Content-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                &format!("{:x}\r\n{body}\r\n0\r\n\r\n", body.len()),
            ),
            400,
            "bad_framing",
        ),
        (
            "1 GiB declared",
            post("Content-Type: application/json\r\nContent-Length: 1073741824\r\n", ""),
            413,
            "payload_too_large",
        ),
        (
            "405",
            format!("PATCH /api/v1/reservations/1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n{auth}\r\n\r\n"),
            405,
            "method_not_allowed",
        ),
        (
            "404",
            format!("GET /nowhere HTTP/1.1\r\nHost: h\r\nConnection: close\r\n{auth}\r\n\r\n"),
            404,
            "not_found",
        ),
        // Answered by hyper itself, before any route: still JSON.
        ("not HTTP", "GARBAGE\r\n\r\n".to_string(), 400, "bad_request"),
        (
            "200 headers",
            format!(
                "GET /healthz HTTP/1.1\r\nHost: h\r\n{}\r\n",
                (0..200).map(|i| format!("X-H{i}: 1\r\n")).collect::<String>()
            ),
            431,
            "headers_too_large",
        ),
    ];
    for (name, request, status, code) in cases {
        let (got, answer) = raw(addr, &request);
        assert_eq!(got, status, "{name}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{name}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or("");
        assert!(!message.is_empty(), "{name}: {answer}");
    }
    let charset = sized("application/json; charset=UTF-8");
    let (got, answer) = raw(addr, &charset);
    assert_eq!(
        got, 422,
        "charset=utf-8 is JSON (SKU-1 is unknown here): {answer}"
    );
}

/// The hub's open descriptors (`/proc/PID/fd`).
fn open_fds(hub: &HubProc) -> usize {
    std::fs::read_dir(format!("/proc/{}/fd", hub.pid()))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn a_client_that_stops_reading_its_answer_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, addr) = hub_with(dir.path(), SHORT);
    // A report larger than every socket buffer between hub and client.
    let mut csv = String::new();
    for i in 0..80_000 {
        csv.push_str(&format!("SKU-{i:06},L1,{}\n", i % 7));
    }
    let made = http::request(addr, "POST", "/api/v1/reconciliations", Some(&csv)).expect("upload");
    assert_eq!(made.status, 201);
    let id = made.json().expect("JSON")["id"].as_u64().expect("id");
    let idle = open_fds(&hub);
    let mut stalled = connect(addr);
    let ask = format!(
        "GET /api/v1/reconciliations/{id} HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer {}\r\n\r\n",
        token(&hub)
    );
    stalled.write_all(ask.as_bytes()).unwrap();
    wait_until(
        "the hub takes the connection",
        Duration::from_secs(10),
        || (open_fds(&hub) > idle).then_some(()),
    )
    .expect("accepted");
    // Never read: the hub's writes stall once the buffers are full.
    wait_until(
        "the hub drops the stalled connection",
        Duration::from_secs(20),
        || (open_fds(&hub) <= idle).then_some(()),
    )
    .expect("a connection whose client stopped reading is closed");
    drop(stalled);
}
