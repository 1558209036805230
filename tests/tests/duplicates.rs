//! Promise 2: duplicates and resends change nothing. A raw MQTT client
//! (not the agent) publishes the same batch twice, an overlapping resend
//! after a "lost" ack, and a batch past a gap, to a real hub over TCP, all
//! in one journal epoch.

use protocol::{EventBatch, Movement, MovementKind};
use rumqttc::{Client, Event, Packet, QoS};
use std::sync::mpsc;
use std::time::Duration;
use tests::identity::{device_options, signed_frame, AckOpener};
use tests::{hubapi, wait_until, Credentials, HubPorts, HubProc};

/// The stand-in device's journal epoch.
const EPOCH: u64 = 0x0d0d_0d0d_0d0d_0d0d;

fn movement(seq: u64, quantity: i64) -> Movement {
    Movement {
        seq,
        kind: MovementKind::Receive,
        sku: "SKU-D".into(),
        location: "A-01".into(),
        to_location: None,
        lot: None,
        quantity,
        device_time_ms: 1,
        task: None,
    }
}

fn frame(creds: &Credentials, seqs: std::ops::RangeInclusive<u64>) -> Vec<u8> {
    let first = *seqs.start();
    let batch = EventBatch {
        site: "s1".into(),
        device: "dup-1".into(),
        epoch: EPOCH,
        first_seq: first,
        movements: seqs.map(|s| movement(s, s as i64 * 10)).collect(),
        auth_tag: None,
    };
    signed_frame(creds, "dup-1", &batch)
}

fn connect(creds: &Credentials, port: u16) -> (Client, mpsc::Receiver<u64>) {
    let mut opts = device_options(creds, "dup-1", port);
    opts.set_keep_alive(Duration::from_secs(5));
    let (client, mut connection) = Client::new(opts, 100);
    let (tx, rx) = mpsc::channel();
    let opener = AckOpener::new(creds.device("dup-1"))
        .expect("key")
        .in_epoch(EPOCH);
    std::thread::spawn(move || {
        for event in connection.iter() {
            match event {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if let Some(through) = opener.through(&p.topic, &p.payload) {
                        let _ = tx.send(through);
                    }
                }
                Ok(_) => {}
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    });
    (client, rx)
}

fn next_ack(acks: &mpsc::Receiver<u64>) -> u64 {
    acks.recv_timeout(Duration::from_secs(10))
        .expect("no ack from the hub")
}

#[test]
fn duplicate_and_resent_batches_change_nothing() {
    let data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let hub = HubProc::start(data.path(), ports, "s1");
    let creds = hub.provision(&["dup-1"]);
    let frame = |seqs| frame(&creds, seqs);
    let (client, acks) = connect(&creds, ports.mqtt);
    client
        .subscribe("wms/s1/dev/dup-1/ack", QoS::AtLeastOnce)
        .unwrap();
    let events = "wms/s1/dev/dup-1/events";
    let publish = |f: Vec<u8>| client.publish(events, QoS::AtLeastOnce, false, f).unwrap();
    let on_hand = || {
        hubapi::stock(ports.http_addr())
            .unwrap()
            .get(&("SKU-D".into(), "A-01".into(), String::new()))
            .copied()
    };

    // The subscription may take a moment: resend until the first ack arrives,
    // which is itself a resend of the same batch.
    let first_ack = wait_until("first ack", Duration::from_secs(10), || {
        publish(frame(1..=2));
        acks.recv_timeout(Duration::from_millis(300)).ok()
    })
    .unwrap();
    assert_eq!(first_ack, 2);
    assert_eq!(on_hand(), Some(30), "seq 1 (10) + seq 2 (20), once");

    publish(frame(1..=2));
    while let Ok(a) = acks.recv_timeout(Duration::from_millis(500)) {
        assert_eq!(a, 2, "a duplicate is acked at the watermark");
    }
    assert_eq!(on_hand(), Some(30), "the duplicate changed nothing");

    // Resend after a lost ack: 1..=3 when 1..=2 are applied applies only 3.
    publish(frame(1..=3));
    let ack = wait_until("ack 3", Duration::from_secs(10), || {
        Some(next_ack(&acks)).filter(|&a| a == 3)
    });
    assert_eq!(ack, Ok(3));
    assert_eq!(on_hand(), Some(60));

    // A gap (seq 9 after 3) is neither applied nor acknowledged (WIRE.md
    // §3.9): once the hub counted it, a duplicate's ack is the only one.
    let addr = ports.http_addr();
    let metric = |name| hubapi::metric(addr, name).unwrap();
    let acks_before = metric("wms_acks_sent_total");
    publish(frame(9..=9));
    wait_until("gap counted", Duration::from_secs(10), || {
        (metric("wms_batches_gap_total") == 1).then_some(())
    })
    .unwrap();
    publish(frame(3..=3));
    assert_eq!(
        next_ack(&acks),
        3,
        "the duplicate's ack, nothing for the gap"
    );
    assert_eq!(metric("wms_acks_sent_total"), acks_before + 1);
    assert_eq!(on_hand(), Some(60));
    assert_eq!(hubapi::watermark(addr, "dup-1").unwrap(), 3);
    drop(hub);
}
