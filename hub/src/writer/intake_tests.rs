//! Table tests of the intake: every refusal with its reason.

use super::*;
use crate::devices::BookEntry;
use protocol::{
    encode, encode_signed, encode_signed_status, Ack, DeviceKey, DeviceState, Movement,
    MovementKind,
};

fn key(n: u8) -> DeviceKey {
    DeviceKey::from_bytes([n; 32])
}

/// d1 and d2 active at s1 (keys 1 and 2), d3 revoked, d4 registered at s2.
fn book() -> DeviceBook {
    let mut book = DeviceBook::default();
    book.insert("d1", BookEntry::new("s1", key(1), "p"));
    book.insert("d2", BookEntry::new("s1", key(2), "p"));
    let mut revoked = BookEntry::new("s1", key(3), "p");
    revoked.active = false;
    book.insert("d3", revoked);
    book.insert("d4", BookEntry::new("s2", key(4), "p"));
    book
}

fn batch_of(site: &str, device: &str, quantity: i64) -> EventBatch {
    EventBatch {
        site: site.into(),
        device: device.into(),
        epoch: 1,
        first_seq: 1,
        movements: vec![Movement {
            seq: 1,
            kind: MovementKind::Pick,
            sku: "SKU".into(),
            location: "A".into(),
            to_location: None,
            lot: None,
            quantity,
            device_time_ms: 0,
            task: None,
        }],
        auth_tag: None,
    }
}

/// A batch for `device` at s1 signed with key `signer`.
fn signed(device: &str, quantity: i64, signer: u8) -> Vec<u8> {
    encode_signed(&key(signer), &batch_of("s1", device, quantity))
}

fn status_of(device: &str, battery_pct: Option<u8>) -> Status {
    Status {
        site: "s1".into(),
        device: device.into(),
        session_ms: 10,
        state: DeviceState::Offline,
        backlog: 0,
        battery_pct,
        device_time_ms: 10,
        epoch: 1,
        acked_seq: 0,
        app_version: "test".into(),
        signal_dbm: None,
        auth_tag: None,
    }
}

/// A status of `device` at s1 signed with key `signer`.
fn signed_status(device: &str, battery_pct: Option<u8>, signer: u8) -> Vec<u8> {
    encode_signed_status(&key(signer), &status_of(device, battery_pct))
}

/// Failures of identity: what is refused as forged (and counted so).
const FORGERIES: [&str; 5] = [
    "no auth tag",
    "MAC fails",
    "revoked",
    "unknown device",
    "registered for site",
];

/// The reason of a refusal (checking that it is refused as forged exactly
/// when the reason is a failure of identity), or what was taken instead.
fn refused(intake: Intake) -> Result<String, String> {
    let (reason, forged) = match intake {
        Intake::Reject(reason) => (reason, false),
        Intake::Forged(reason) => (reason, true),
        other => return Err(format!("{other:?}")),
    };
    let identity = FORGERIES.iter().any(|f| reason.contains(f));
    assert_eq!(
        forged, identity,
        "refused as forged: {forged}, for {reason:?}"
    );
    Ok(reason)
}

#[test]
fn forged_unsigned_and_foreign_statuses_are_rejected() {
    let st = "wms/s1/dev/d1/status";
    let mut bent = signed_status("d1", None, 1);
    let last = bent.len() - 1;
    bent[last] ^= 1;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            st,
            encode(&Message::Status(status_of("d1", None))),
            "status has no auth tag",
        ),
        (st, signed_status("d1", None, 2), "MAC fails: the status"),
        (st, bent, "MAC fails"),
        (st, signed_status("d2", None, 2), "status claims s1/d2"),
        (st, signed_status("d1", Some(101), 1), "impossible status"),
        (
            "wms/s1/dev/d3/status",
            signed_status("d3", None, 3),
            "revoked",
        ),
        (
            "wms/s1/dev/d9/status",
            signed_status("d9", None, 9),
            "unknown device",
        ),
    ];
    let book = book();
    for (topic, payload, expected) in cases {
        match refused(classify("s1", topic, &payload, &book)) {
            Ok(reason) => {
                assert!(reason.contains(expected), "{reason:?} !~ {expected:?}")
            }
            Err(other) => panic!("{topic}: accepted as {other}, wanted {expected:?}"),
        }
    }
    assert!(matches!(
        classify("s1", st, &signed_status("d1", Some(50), 1), &book),
        Intake::Status(_)
    ));
}

fn unsigned(device: &str) -> Vec<u8> {
    encode(&Message::Batch(batch_of("s1", device, 1)))
}

#[test]
fn bad_publishes_are_rejected_with_a_reason() {
    let ack = encode(&Message::Ack(Ack {
        site: "s1".into(),
        device: "d1".into(),
        epoch: 1,
        through_seq: 1,
    }));
    let mut bent = signed("d1", 1, 1);
    let last = bent.len() - 1;
    bent[last] ^= 1;
    let d4_at_s1 = encode_signed(&key(4), &batch_of("s1", "d4", 1));
    let ev = "wms/s1/dev/d1/events";
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (ev, b"garbage".to_vec(), "unknown protocol version"),
        (ev, vec![], "empty frame"),
        (ev, vec![1], "truncated"),
        (ev, signed("d2", 1, 2), "payload claims s1/d2"),
        (ev, signed("d1", 0, 1), "impossible batch"),
        (ev, signed("d1", 5_000_000, 1), "impossible batch"),
        (ev, ack.clone(), "an ack on an events topic"),
        ("wms/s2/dev/d1/events", signed("d1", 1, 1), "this hub owns"),
        ("wms/s1/dev/d1/status", ack, "an ack on a status topic"),
        ("wms/s1/dev/d1/status", b"\x01\x02".to_vec(), "truncated"),
        ("junk/topic", signed("d1", 1, 1), "not a topic"),
        // Identity (promise 9).
        (ev, unsigned("d1"), "no auth tag"),
        (ev, signed("d1", 1, 2), "MAC fails"),
        (ev, bent, "MAC fails"),
        ("wms/s1/dev/d2/events", signed("d2", 1, 1), "MAC fails"),
        (
            "wms/s1/dev/d9/events",
            signed("d9", 1, 1),
            "unknown device \"d9\"",
        ),
        (
            "wms/s1/dev/d3/events",
            signed("d3", 1, 3),
            "device \"d3\" revoked",
        ),
        (
            "wms/s1/dev/d4/events",
            d4_at_s1,
            "registered for site \"s2\"",
        ),
    ];
    let book = book();
    for (topic, payload, expected) in cases {
        match refused(classify("s1", topic, &payload, &book)) {
            Ok(reason) => {
                assert!(
                    reason.contains(expected),
                    "{topic}: {reason:?} !~ {expected:?}"
                )
            }
            Err(other) => panic!("{topic} {payload:?} accepted as {other}"),
        }
    }
}

#[test]
fn good_batch_is_accepted_and_acks_are_ignored() {
    let book = book();
    assert!(matches!(
        classify("s1", "wms/s1/dev/d1/events", &signed("d1", 2, 1), &book),
        Intake::Batch(_)
    ));
    assert_eq!(
        classify("s1", "wms/s1/dev/d1/ack", b"x", &book),
        Intake::Ignore
    );
}

fn task_ack_of(site: &str, device: &str) -> protocol::TaskAck {
    protocol::TaskAck {
        site: site.into(),
        device: device.into(),
        version: 3,
        auth_tag: None,
    }
}

#[test]
fn task_acks_are_taken_only_signed_by_their_device() {
    let b = book();
    let topic = "wms/s1/dev/d1/taskack";
    let good = protocol::auth::encode_signed_task_ack(&key(1), &task_ack_of("s1", "d1"));
    match classify("s1", topic, &good, &b) {
        Intake::TaskAck(ack) => assert_eq!((ack.device.as_str(), ack.version), ("d1", 3)),
        other => panic!("a good task ack was {other:?}"),
    }
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (
            encode(&Message::TaskAck(task_ack_of("s1", "d1"))),
            topic,
            "no auth tag",
        ),
        (
            protocol::auth::encode_signed_task_ack(&key(2), &task_ack_of("s1", "d1")),
            topic,
            "MAC fails",
        ),
        (
            protocol::auth::encode_signed_task_ack(&key(2), &task_ack_of("s1", "d2")),
            topic,
            "task ack claims s1/d2",
        ),
        (
            protocol::auth::encode_signed_task_ack(&key(3), &task_ack_of("s1", "d3")),
            "wms/s1/dev/d3/taskack",
            "revoked",
        ),
        (
            signed("d1", 1, 1),
            topic,
            "an event batch on a task ack topic",
        ),
        (vec![0xff, 0x01], topic, ""),
    ];
    for (payload, topic, want) in cases {
        match refused(classify("s1", topic, &payload, &b)) {
            Ok(reason) => assert!(reason.contains(want), "{want:?} not in {reason:?}"),
            Err(other) => panic!("{want:?}: taken as {other}"),
        }
    }
}
