//! The client against a canned server on loopback: what the hub's tests
//! lean on (error statuses read as answers, chunked bodies joined, headers
//! kept, a silent server failing the call) without starting a hub.

use super::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;

/// Serves one connection: reads the request head, then writes `answer`
/// (or nothing, holding the connection open until the client gives up);
/// returns the head it read.
fn serve_once(answer: Option<&'static str>) -> (SocketAddr, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let mut stream = reader.into_inner();
        match answer {
            Some(answer) => stream.write_all(answer.as_bytes()).expect("write"),
            // Silent: wait for the client to hang up.
            None => while stream.read(&mut [0u8; 64]).is_ok_and(|n| n > 0) {},
        }
        head
    });
    (addr, server)
}

#[test]
fn an_error_status_is_an_answer_with_its_chunked_body_and_headers() {
    let (addr, server) = serve_once(Some(
        "HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\n\
         X-Why: held\r\nTransfer-Encoding: chunked\r\n\r\n\
         6\r\n{\"a\":1\r\n1\r\n}\r\n0\r\n\r\n",
    ));
    let r = request_as(addr, "POST", "/x?y=1", Some("Bearer t"), Some("{}")).expect("answer");
    assert_eq!(r.status, 409);
    assert_eq!(r.header("x-why"), Some("held"));
    assert_eq!(r.header("X-WHY"), Some("held"));
    assert_eq!(r.json().expect("JSON")["a"], 1);
    let head = server.join().expect("server").to_ascii_lowercase();
    assert!(head.starts_with("post /x?y=1 http/1.1\r\n"), "{head}");
    assert!(head.contains("authorization: bearer t\r\n"), "{head}");
    assert!(
        head.contains("content-type: application/json\r\n"),
        "{head}"
    );
}

#[test]
fn the_remembered_token_goes_unless_the_caller_sends_its_own() {
    let (addr, server) = serve_once(Some("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    remember_token(addr, "kept");
    assert_eq!(get(addr, "/a").expect("answer").status, 200);
    let head = server.join().expect("server").to_ascii_lowercase();
    assert!(head.contains("authorization: bearer kept\r\n"), "{head}");

    let (addr2, server) = serve_once(Some("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    remember_token(addr2, "kept");
    let own = [("Authorization", "Bearer mine")];
    assert_eq!(
        request_with(addr2, "GET", "/a", &own, None)
            .expect("answer")
            .status,
        200
    );
    let head = server.join().expect("server").to_ascii_lowercase();
    assert!(head.contains("authorization: bearer mine\r\n"), "{head}");
    assert!(!head.contains("kept"), "{head}");
}

#[test]
fn a_server_that_never_answers_fails_the_call() {
    let (addr, server) = serve_once(None);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let agent = new_agent(Duration::from_millis(300));
        let _ = tx.send(send_via(&agent, addr, "GET", "/healthz", &[], None));
    });
    // Far over the 300 ms: a client without its timeout never returns.
    let got = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the call returned");
    let err = got.expect_err("no answer");
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
    server.join().expect("server");
}
