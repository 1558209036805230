//! Just enough HTTP/1.1 for the fake platform: one request per connection
//! (request line, headers, a `Content-Length` body), one answer with
//! `Connection: close`.

use std::io::{self, Read, Write};
use std::net::TcpStream;

/// The longest head (request line and headers) accepted.
const MAX_HEAD: usize = 16 * 1024;
/// The longest body accepted.
const MAX_BODY: usize = 1 << 20;

/// A request as the fake needs it.
#[derive(Debug)]
pub(super) struct Request {
    /// `POST`, normally.
    pub method: String,
    /// The body, UTF-8.
    pub body: String,
}

fn invalid(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.to_owned())
}

/// Reads one request from `stream`.
pub(super) fn read_request(stream: &mut TcpStream) -> io::Result<Request> {
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
    let method = lines
        .next()
        .and_then(|line| line.split(' ').next())
        .ok_or_else(|| invalid("no request line"))?
        .to_owned();
    let length = content_length(lines)?;
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
    Ok(Request { method, body })
}

/// The `Content-Length` among header lines (0 if absent).
fn content_length<'a>(lines: impl Iterator<Item = &'a str>) -> io::Result<usize> {
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                return value
                    .trim()
                    .parse()
                    .map_err(|_| invalid("bad Content-Length"));
            }
        }
    }
    Ok(0)
}

/// Writes one answer with a JSON (or whatever) body and closes.
pub(super) fn write_response(stream: &mut TcpStream, status: u16, body: &str) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        500 => "Internal Server Error",
        _ => "Status",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json;charset=UTF-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}
