//! Recognising the writes that confirm something to the outside world, in
//! a traced process's system calls: the agent's `ok seq=N` line on its
//! standard output, an MQTT PUBLISH of an ack (`wms/{site}/dev/{device}/ack`)
//! and an HTTP 2xx answer to a request that changes state (POST, PUT,
//! PATCH, DELETE), each on a socket.
//!
//! Why it exists: the sync audit checks the process's files at exactly
//! these moments, so a confirmation missed here is a check not made. The
//! decoders are total (an odd or cut-short buffer yields nothing).

use protocol::{Message, Topic, TopicKind};

/// What a confirmation promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// The agent's good beep: `ok seq=N` on standard output.
    Scan,
    /// An ack PUBLISH written to a socket.
    Ack,
    /// A 2xx answer to a state-changing HTTP request.
    Http,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 3] = [Kind::Scan, Kind::Ack, Kind::Http];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Scan => "scan ok line",
            Kind::Ack => "MQTT ack",
            Kind::Http => "HTTP 2xx",
        }
    }
}

/// One confirmation found in a trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    /// What kind.
    pub kind: Kind,
    /// What exactly (`ok seq=3`, `ack through=3 on wms/s1/dev/d/ack`, ...).
    pub what: String,
    /// The line (0-based) where its write started.
    pub line: usize,
}

/// The `ok seq=N` lines in bytes written to standard output.
pub fn scan_oks(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| l.starts_with("ok seq="))
        .map(str::to_string)
        .collect()
}

/// An MQTT PUBLISH: its topic and payload (cut short if the write was).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Publish {
    /// Topic name.
    pub topic: String,
    /// Payload, as far as the buffer holds it.
    pub payload: Vec<u8>,
}

/// The PUBLISH packets at the start of an MQTT byte stream written in one
/// call (packets are written whole, several per call).
pub fn publishes(mut buf: &[u8]) -> Vec<Publish> {
    let mut out = Vec::new();
    while let Some((&first, rest)) = buf.split_first() {
        let Some((len, used)) = remaining_length(rest) else {
            break;
        };
        let body = &rest[used..];
        let whole = body.len() >= len;
        let body = &body[..len.min(body.len())];
        if first >> 4 == 3 {
            match publish(first, body) {
                Some(p) => out.push(p),
                None => break,
            }
        }
        if !whole {
            break;
        }
        buf = &rest[used + len..];
    }
    out
}

fn remaining_length(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for (i, b) in bytes.iter().take(4).enumerate() {
        value |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

fn publish(first: u8, body: &[u8]) -> Option<Publish> {
    let qos = (first >> 1) & 3;
    let topic_len = usize::from(u16::from_be_bytes([*body.first()?, *body.get(1)?]));
    let topic = std::str::from_utf8(body.get(2..2 + topic_len)?).ok()?;
    let payload_at = 2 + topic_len + if qos > 0 { 2 } else { 0 };
    Some(Publish {
        topic: topic.to_string(),
        payload: body.get(payload_at..).unwrap_or_default().to_vec(),
    })
}

/// Whether a PUBLISH carries an ack (by its topic); with a description.
pub fn ack_of(p: &Publish) -> Option<String> {
    let topic = Topic::parse(&p.topic).ok()?;
    if topic.kind != TopicKind::Ack {
        return None;
    }
    // The hub's acks are sealed: the clear header names their position
    // (the through_seq is secret). Plain acks are read for older traces.
    if let Ok((header, _)) = protocol::sealed::peek(&p.payload) {
        let at = header.at;
        return Some(format!(
            "sealed ack {}.{} on {}",
            at.boot, at.counter, p.topic
        ));
    }
    Some(match protocol::decode(&p.payload) {
        Ok(Message::Ack(ack)) => format!("ack through={} on {}", ack.through_seq, p.topic),
        _ => format!("ack on {}", p.topic),
    })
}

/// The status of an HTTP response's start.
pub fn http_status(bytes: &[u8]) -> Option<u16> {
    let rest = bytes.strip_prefix(b"HTTP/1.")?;
    let code = rest.get(2..5)?;
    std::str::from_utf8(code).ok()?.parse().ok()
}

/// The request line's method and target, if `bytes` start an HTTP request.
pub fn http_request(bytes: &[u8]) -> Option<String> {
    const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().next()?;
    let mut words = line.split(' ');
    let (method, target) = (words.next()?, words.next()?);
    METHODS
        .contains(&method)
        .then(|| format!("{method} {target}"))
}

/// Whether a request (as [`http_request`] gives it) changes state.
pub fn changes_state(request: &str) -> bool {
    ["POST ", "PUT ", "PATCH ", "DELETE "]
        .iter()
        .any(|m| request.starts_with(m))
}
