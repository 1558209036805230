//! The agent's inbound rules, table by table: genuine acks pass once;
//! forged, plain, retained, misdirected and replayed frames, and acks for
//! another journal epoch, never do.

use super::*;
use protocol::sealed::{seal, FrameCounter};
use protocol::{encode, Ack};

const TOPIC: &str = "wms/s1/dev/hh-1/ack";
/// The journal epoch of the receiving agent.
const EPOCH: u64 = 0xfeed_f00d;

fn key(byte: u8) -> DeviceKey {
    DeviceKey::from_bytes([byte; 32])
}

fn inbound() -> Inbound {
    Inbound::new("s1", "hh-1", TOPIC, &key(1), 1, EPOCH)
}

fn ack(device: &str, epoch: u64, through_seq: u64) -> Message {
    Message::Ack(Ack {
        site: "s1".into(),
        device: device.into(),
        epoch,
        through_seq,
    })
}

fn taken(through: u64) -> Verdict {
    Verdict::Ack {
        epoch: EPOCH,
        through,
    }
}

/// An ack for [`EPOCH`] sealed by whoever holds `key`, for `device` on its
/// ack topic.
fn sealed(key_byte: u8, device: &str, counter: u64, through: u64) -> Vec<u8> {
    sealed_in(key_byte, device, counter, EPOCH, through)
}

fn sealed_in(key_byte: u8, device: &str, counter: u64, epoch: u64, through: u64) -> Vec<u8> {
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
        &ack(device, epoch, through),
    )
    .unwrap()
}

fn refused(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Refused(why) => why.reason(),
        Verdict::Ack { through, .. } => panic!("acted on an ack through {through}"),
        Verdict::TaskList(list) => panic!("acted on a task list of version {}", list.version),
    }
}

#[test]
fn a_genuine_ack_is_taken_once_and_only_newer_ones_after_it() {
    let mut inbound = inbound();
    assert_eq!(
        inbound.receive(TOPIC, &sealed(1, "hh-1", 5, 10), false),
        taken(10)
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
        taken(12)
    );
    let counts = inbound.counts();
    assert_eq!((counts.acks, counts.replayed, counts.refused()), (2, 2, 2));
}

#[test]
fn forged_plain_misdirected_and_retained_frames_are_refused_and_counted() {
    let mut inbound = inbound();
    let plain = encode(&ack("hh-1", EPOCH, u64::MAX));
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
        taken(7)
    );
}

#[test]
fn an_ack_sealed_with_another_key_version_is_refused() {
    let mut rotated = Inbound::new("s1", "hh-1", TOPIC, &key(1), 2, EPOCH);
    assert_eq!(
        refused(rotated.receive(TOPIC, &sealed(1, "hh-1", 1, 3), false)),
        "other key version"
    );
}

#[test]
fn an_ack_for_another_epoch_is_counted_and_ignored() {
    let mut inbound = inbound();
    for (counter, epoch) in [(1, EPOCH - 1), (2, EPOCH + 1), (3, 0), (4, u64::MAX)] {
        let frame = sealed_in(1, "hh-1", counter, epoch, 1_000);
        assert_eq!(
            refused(inbound.receive(TOPIC, &frame, false)),
            "other epoch"
        );
    }
    assert_eq!(
        (inbound.counts().other_epoch, inbound.counts().acks),
        (4, 0)
    );
    assert_eq!(
        inbound.receive(TOPIC, &sealed(1, "hh-1", 5, 3), false),
        taken(3)
    );
    // After the journal is replaced, only the new epoch's acks are taken.
    inbound.set_epoch(EPOCH + 1);
    assert_eq!(
        refused(inbound.receive(TOPIC, &sealed(1, "hh-1", 6, 4), false)),
        "other epoch"
    );
    assert_eq!(
        inbound.receive(TOPIC, &sealed_in(1, "hh-1", 7, EPOCH + 1, 4), false),
        Verdict::Ack {
            epoch: EPOCH + 1,
            through: 4
        }
    );
}
