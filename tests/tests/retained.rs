//! Promise 10, retained messages: device B leaves retained frames on the
//! broker (a forged ack and a forged task list for A, a batch on its own
//! events topic). Devices never act on retained frames; the hub also
//! clears them from the embedded broker, so nothing waits there for a
//! device to connect. Over the real hub, its broker process and a second
//! client that looks for retained messages the way a device would see
//! them: subscribe, then publish a marker; whatever arrives before the
//! marker with the retain flag was retained.

use rumqttc::{Client, Event, Packet, QoS};
use std::time::{Duration, Instant};
use tests::attacker::Attacker;
use tests::identity::device_options;
use tests::{hubapi, wait_until, Credentials, HubPorts, HubProc};

const LEFT: [&str; 3] = [
    "wms/s1/dev/dev-a/ack",
    "wms/s1/dev/dev-a/tasks",
    "wms/s1/dev/dev-b/events",
];

/// The retained topics a fresh subscriber to `wms/s1/#` is handed, as
/// device C (whose login is as good as any on rumqttd).
fn retained_now(creds: &Credentials, port: u16) -> Option<Vec<String>> {
    let mut opts = device_options(creds, "dev-c", port);
    opts.set_keep_alive(Duration::from_secs(5));
    let (client, mut connection) = Client::new(opts, 16);
    let marker = format!("marker-{}", tests::identity::fresh_epoch());
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match connection.recv_timeout(left).ok()?.ok()? {
            Event::Incoming(Packet::ConnAck(_)) => {
                client.try_subscribe("wms/s1/#", QoS::AtLeastOnce).ok()?
            }
            Event::Incoming(Packet::SubAck(_)) => client
                .try_publish(
                    "wms/s1/dev/dev-c/marker",
                    QoS::AtLeastOnce,
                    false,
                    marker.clone(),
                )
                .ok()?,
            Event::Incoming(Packet::Publish(p)) if p.payload.as_ref() == marker.as_bytes() => {
                let _ = client.disconnect();
                return Some(seen);
            }
            Event::Incoming(Packet::Publish(p)) if p.retain => seen.push(p.topic),
            _ => {}
        }
    }
}

#[test]
fn retained_frames_left_on_the_broker_are_cleared_by_the_hub() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProc::start(&dir.path().join("hub"), HubPorts::fresh(), "s1");
    let creds = hub.provision(&["dev-a", "dev-b", "dev-c"]);
    let http = hub.ports.http_addr();
    let port = hub.ports.mqtt;
    let b = Attacker::connect(&creds, "dev-b", port);
    for topic in LEFT {
        b.publish(topic, b"forged, retained".to_vec(), true);
    }
    // The hub's probe finds them (every 5 s) and clears them: counted,
    // and a fresh subscriber is handed none of them any more.
    wait_until("retained frames cleared", Duration::from_secs(30), || {
        let cleared = hubapi::metric(http, "wms_retained_cleared_total").ok()?;
        let left = retained_now(&creds, port)?;
        (cleared >= LEFT.len() as u64 && left.is_empty()).then_some(())
    })
    .unwrap_or_else(|e| {
        let left = retained_now(&creds, port);
        panic!("retained frames not cleared ({e}); still retained: {left:?}")
    });
    let cleared = hubapi::metric(http, "wms_retained_cleared_total").unwrap_or(0);
    eprintln!(
        "retained: left {}, cleared {cleared}, left on the broker 0",
        LEFT.len()
    );
}
