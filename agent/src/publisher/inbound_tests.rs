//! The agent's inbound rules, table by table: genuine acks pass once;
//! forged, plain, retained, misdirected and replayed frames never do.

use super::*;
use protocol::sealed::{seal, FrameCounter};
use protocol::{encode, Ack};

const TOPIC: &str = "wms/s1/dev/hh-1/ack";

fn key(byte: u8) -> DeviceKey {
    DeviceKey::from_bytes([byte; 32])
}

fn inbound() -> Inbound {
    Inbound::new("s1", "hh-1", TOPIC, &key(1), 1)
}

fn ack(device: &str, through_seq: u64) -> Message {
    Message::Ack(Ack {
        site: "s1".into(),
        device: device.into(),
        through_seq,
    })
}

/// An ack sealed by whoever holds `key`, for `device` on its ack topic.
fn sealed(key_byte: u8, device: &str, counter: u64, through: u64) -> Vec<u8> {
    let topic = format!("wms/s1/dev/{device}/ack");
    let to = Recipient {
        site: "s1",
        device,
        topic: &topic,
        key_version: 1,
    };
    let at = FrameCounter { boot: 1, counter };
    seal(
        &SealKey::derive(&key(key_byte)),
        &to,
        at,
        [9; 12],
        &ack(device, through),
    )
    .unwrap()
}

fn refused(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Refused(why) => why.reason(),
        Verdict::Ack(through) => panic!("acted on an ack through {through}"),
    }
}

#[test]
fn a_genuine_ack_is_taken_once_and_only_newer_ones_after_it() {
    let mut inbound = inbound();
    assert_eq!(
        inbound.receive(TOPIC, &sealed(1, "hh-1", 5, 10), false),
        Verdict::Ack(10)
    );
    assert_eq!(
        refused(inbound.receive(TOPIC, &sealed(1, "hh-1", 5, 10), false)),
        "replayed"
    );
    assert_eq!(
        refused(inbound.receive(TOPIC, &sealed(1, "hh-1", 4, 99), false)),
        "replayed"
    );
    assert_eq!(
        inbound.receive(TOPIC, &sealed(1, "hh-1", 6, 12), false),
        Verdict::Ack(12)
    );
    let counts = inbound.counts();
    assert_eq!((counts.acks, counts.replayed, counts.refused()), (2, 2, 2));
}

#[test]
fn forged_plain_misdirected_and_retained_frames_are_refused_and_counted() {
    let mut inbound = inbound();
    let plain = encode(&ack("hh-1", u64::MAX));
    let cases: [(&str, Vec<u8>, bool, &str); 7] = [
        (TOPIC, plain.clone(), false, "not sealed"),
        (TOPIC, plain, true, "retained"),
        (TOPIC, sealed(1, "hh-1", 50, 7), true, "retained"),
        (TOPIC, sealed(2, "hh-1", 51, 7), false, "bad seal"),
        (TOPIC, sealed(1, "hh-2", 52, 7), false, "for another device"),
        (
            "wms/s1/dev/hh-1/tasks",
            sealed(1, "hh-1", 53, 7),
            false,
            "other topic",
        ),
        (TOPIC, vec![2, 1, 0], false, "malformed seal"),
    ];
    for (topic, frame, retained, why) in cases {
        assert_eq!(
            refused(inbound.receive(topic, &frame, retained)),
            why,
            "{why}"
        );
    }
    let counts = inbound.counts();
    assert_eq!(counts.acks, 0);
    assert_eq!(
        (counts.retained, counts.unopenable, counts.other),
        (2, 4, 1)
    );
    // None of them moved the replay guard: the genuine frame at 50 still opens.
    assert_eq!(
        inbound.receive(TOPIC, &sealed(1, "hh-1", 50, 7), false),
        Verdict::Ack(7)
    );
}

#[test]
fn an_ack_sealed_with_another_key_version_is_refused() {
    let mut rotated = Inbound::new("s1", "hh-1", TOPIC, &key(1), 2);
    assert_eq!(
        refused(rotated.receive(TOPIC, &sealed(1, "hh-1", 1, 3), false)),
        "other key version"
    );
}
