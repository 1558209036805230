//! Clients that misbehave in the two ways known to panic rumqttd 0.20, for
//! the broker-survival tests and the soak. Both log in with a provisioned
//! device's own credentials: the broker is meant to survive its own
//! devices, flaky or hostile. Also the hostile HTTP clients the soak sends
//! over and over (idle and slow-header connections, a body declared far
//! over the limit, a 10 MB ERP upload of bad lines), each returning what
//! the hub did so a caller can tell a bounded hub from an unbounded one.
//! Raw sockets on purpose, not `crate::http`: a client crate would not send these.

use crate::identity::{device_options, Credentials};
use rumqttc::{Client, Event, Packet, QoS};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// An MQTT 3.1.1 CONNECT for `device` (clean session, no will, keep-alive
/// 60 s), written by hand so the test controls every byte and the reset.
pub fn connect_packet(creds: &Credentials, device: &str) -> Vec<u8> {
    let entry = creds.device(device);
    let client_id = format!("agent-{}-{}", entry.site, entry.device);
    let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 4, 0xC2, 0, 60];
    for field in [&client_id, &entry.username, &entry.password] {
        let len = u16::try_from(field.len()).expect("short field");
        body.extend_from_slice(&len.to_be_bytes());
        body.extend_from_slice(field.as_bytes());
    }
    let mut packet = vec![0x10];
    let mut left = body.len();
    loop {
        let mut byte = (left % 128) as u8;
        left /= 128;
        if left > 0 {
            byte |= 0x80;
        }
        packet.push(byte);
        if left == 0 {
            break;
        }
    }
    packet.extend_from_slice(&body);
    packet
}

/// What a handheld does when Wi-Fi flaps during the handshake: connects,
/// sends its CONNECT and resets the connection (RST, not FIN) at once.
pub fn connect_and_reset(port: u16, packet: &[u8]) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.write_all(packet)?;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on a socket we own, with a live linger struct of
    // the exact size; a zero linger makes close() send RST.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    drop(stream);
    Ok(())
}

/// A persistent session (clean_session = 0) with a `$share` subscription
/// that receives one message, never acknowledges it, and disconnects:
/// rumqttd 0.20's router then looks up the removed share group and
/// panics ("group must exists"). Returns once the message arrived and the
/// client disconnected, or an error saying which step did not happen.
pub fn shared_subscriber_never_acks(
    creds: &Credentials,
    device: &str,
    port: u16,
) -> Result<(), String> {
    let entry = creds.device(device);
    let topic = format!("wms/{}/dev/{}/hostile", entry.site, entry.device);
    let mut opts = device_options(creds, device, port);
    opts.set_clean_session(false)
        .set_manual_acks(true)
        .set_keep_alive(Duration::from_secs(5));
    let (client, mut connection) = Client::new(opts, 10);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut received = false;
    while !received {
        let left = deadline.saturating_duration_since(Instant::now());
        match connection.recv_timeout(left) {
            Ok(Ok(Event::Incoming(Packet::ConnAck(_)))) => client
                .try_subscribe(format!("$share/g/{topic}"), QoS::AtLeastOnce)
                .map_err(|e| e.to_string())?,
            Ok(Ok(Event::Incoming(Packet::SubAck(_)))) => client
                .try_publish(topic.clone(), QoS::AtLeastOnce, false, b"x".to_vec())
                .map_err(|e| e.to_string())?,
            Ok(Ok(Event::Incoming(Packet::Publish(_)))) => received = true,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(format!("connection: {e}")),
            Err(_) => return Err("no shared message within 10 s".into()),
        }
    }
    // Never acked: drop the connection with the message in flight.
    drop(client);
    drop(connection);
    Ok(())
}

/// Reads until the peer closes the connection (EOF or reset) or `within`
/// passes; returns what was read, or `None` if it was still open.
pub fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let end = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return None;
        }
        match stream.read(&mut buf) {
            Ok(0) => return Some(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Some(got),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return Some(got),
        }
    }
}

/// Opens `n` HTTP connections that never send a byte and waits up to
/// `within` for the hub to close them; returns how many opened and how
/// many of those it closed.
pub fn idle_connections(addr: SocketAddr, n: usize, within: Duration) -> (usize, usize) {
    let streams: Vec<TcpStream> = (0..n)
        .filter_map(|_| TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok())
        .collect();
    let opened = streams.len();
    let end = Instant::now() + within;
    let closed = streams
        .into_iter()
        .filter_map(|mut s| {
            read_until_closed(&mut s, end.saturating_duration_since(Instant::now()))
        })
        .count();
    (opened, closed)
}

/// A client that trickles header lines (one every 200 ms) and never ends
/// its head; returns whether the hub cut it off within `within` (`None`:
/// it could not connect).
pub fn slow_header(addr: SocketAddr, within: Duration) -> Option<bool> {
    let mut slow = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    Some(cut_within(&mut slow, within))
}

fn cut_within(slow: &mut TcpStream, within: Duration) -> bool {
    if slow.write_all(b"GET /healthz HTTP/1.1\r\n").is_err() {
        return true;
    }
    let end = Instant::now() + within;
    let mut buf = [0u8; 256];
    while Instant::now() < end {
        if slow.write_all(b"X-Slow: 1\r\n").is_err() {
            return true;
        }
        let _ = slow.set_read_timeout(Some(Duration::from_millis(200)));
        match slow.read(&mut buf) {
            Ok(0) => return true,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return true,
            Ok(_) | Err(_) => {}
        }
    }
    false
}

/// Sends one raw request (head and body) and reads the answer until the
/// hub closes; returns (status, body length), or why there was none.
pub fn raw_exchange(
    addr: SocketAddr,
    head: &str,
    body: &[u8],
    within: Duration,
) -> Result<(u16, usize), String> {
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|e| e.to_string())?;
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body))
        .map_err(|e| format!("send: {e}"))?;
    let got = read_until_closed(&mut stream, within).ok_or("no answer in time")?;
    let text = String::from_utf8_lossy(&got);
    let (head, rest) = text.split_once("\r\n\r\n").ok_or("no HTTP head")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    Ok((status, rest.len()))
}

/// A POST to `path` declaring a 1 GiB body and sending none; the hub
/// must answer 413 at once. Returns the status.
pub fn oversize_declared(addr: SocketAddr, token: &str, path: &str) -> Result<u16, String> {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: 1073741824\r\n\r\n"
    );
    raw_exchange(addr, &head, b"", Duration::from_secs(10)).map(|(status, _)| status)
}

/// About 10 MB of ERP CSV lines whose quantity is not a number.
pub fn bad_erp_csv() -> String {
    let line = "SKU-0000001,LOC-01,not-a-number\n";
    line.repeat(10_000_000 / line.len())
}

/// POSTs `csv` to the ERP reconciliation endpoint; returns (status,
/// answer length). A bounded hub answers 422 with a small body.
pub fn erp_upload(addr: SocketAddr, token: &str, csv: &str) -> Result<(u16, usize), String> {
    let head = format!(
        "POST /api/v1/reconciliations HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        csv.len()
    );
    raw_exchange(addr, &head, csv.as_bytes(), Duration::from_secs(120))
}
