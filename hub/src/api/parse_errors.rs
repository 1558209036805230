//! hyper's own error answers, in the hub's JSON error format.
//!
//! A request hyper cannot parse (a request line that is not HTTP, a head
//! over its size limit, too many headers, an HTTP version it does not
//! speak) never reaches the router: hyper answers it itself, with the right
//! status and an empty body, and closes the connection. Every other error
//! answer of the hub carries `{"error": {"code", "message"}}` (the router's
//! own are rewritten by `framing`), so an empty one is hyper's. The
//! connection's writer ([`super::serve`]) passes each answer head through
//! [`with_json_body`] and sends the rewritten answer in its place.

use serde_json::json;

/// The answer `head` (as hyper writes it: one whole head, no body) with a
/// JSON error body, if it is an error answer with an empty body; `None`
/// for anything else, which is sent as it is.
pub fn with_json_body(head: &[u8]) -> Option<Vec<u8>> {
    // Every write of every answer passes here: rule out all but an error
    // head on its own by its first and last bytes before reading it.
    let error_head = (head.starts_with(b"HTTP/1.1 4") || head.starts_with(b"HTTP/1.1 5"))
        && head.ends_with(b"\r\n\r\n");
    if !error_head {
        return None;
    }
    let text = std::str::from_utf8(head).ok()?;
    let rest = text.strip_prefix("HTTP/1.1 ")?;
    let status: u16 = rest.get(..3)?.parse().ok()?;
    if status < 400 {
        return None;
    }
    let lines: Vec<&str> = text.trim_end_matches("\r\n").split("\r\n").collect();
    let empty = lines
        .iter()
        .any(|line| line.eq_ignore_ascii_case("content-length: 0"));
    if !empty {
        return None;
    }
    let (code, message) = explain(status);
    let body = json!({"error": {"code": code, "message": message}}).to_string();
    let mut out = String::with_capacity(text.len() + body.len() + 48);
    for line in &lines {
        if line.eq_ignore_ascii_case("content-length: 0") {
            out.push_str("content-type: application/json\r\n");
            out.push_str(&format!("content-length: {}\r\n", body.len()));
        } else {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("\r\n");
    out.push_str(&body);
    Some(out.into_bytes())
}

/// The error code and message for a status hyper answers by itself.
fn explain(status: u16) -> (&'static str, &'static str) {
    match status {
        400 => (
            "bad_request",
            "the request is not valid HTTP/1.1 (request line or headers)",
        ),
        408 => ("request_timeout", "the request head did not arrive in time"),
        413 | 431 => (
            "headers_too_large",
            "the request head is larger than the hub accepts",
        ),
        414 => ("uri_too_long", "the request target is too long"),
        505 => (
            "http_version_not_supported",
            "only HTTP/1.1 (and 1.0) are spoken here",
        ),
        _ => ("http_error", "the request could not be handled"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(answer: &[u8]) -> (String, serde_json::Value) {
        let text = String::from_utf8(answer.to_vec()).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        (head.to_string(), serde_json::from_str(body).unwrap())
    }

    #[test]
    fn hypers_empty_error_answers_get_a_json_body_of_the_declared_length() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: Mon, 07 Dec 2026 02:31:06 GMT\r\n\r\n";
        let answer = with_json_body(head).expect("rewritten");
        let (head, body) = parts(&answer);
        assert!(head.starts_with("HTTP/1.1 431 "));
        assert!(head.contains("\r\nconnection: close"));
        assert!(head.contains("\r\ncontent-type: application/json"));
        assert!(head.contains("\r\ndate: Mon"));
        assert_eq!(body["error"]["code"], "headers_too_large");
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(length, body.to_string().len());
        let bad = with_json_body(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
        assert_eq!(parts(&bad.unwrap()).1["error"]["code"], "bad_request");
    }

    #[test]
    fn everything_else_is_left_alone() {
        let untouched: [&[u8]; 6] = [
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\n\r\n",
            b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 20\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n{}",
            b"{\"partial\": \"body bytes of some answer\"}",
        ];
        for bytes in untouched {
            assert_eq!(
                with_json_body(bytes),
                None,
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
}
