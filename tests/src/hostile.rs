//! Clients that misbehave in the two ways known to panic rumqttd 0.20, for
//! the broker-survival tests and the soak. Both log in with a provisioned
//! device's own credentials: the broker is meant to survive its own
//! devices, flaky or hostile.

use crate::identity::{device_options, Credentials};
use rumqttc::{Client, Event, Packet, QoS};
use std::io::Write;
use std::net::TcpStream;
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
