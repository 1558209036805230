//! Unit tests of the sealed envelope: what opens, and the typed refusal
//! for every way a frame can be forged, altered, moved or replayed.

use super::*;
use crate::message::Ack;

const TOPIC_A: &str = "wms/s1/dev/dev-a/ack";

fn key(byte: u8) -> SealKey {
    SealKey::derive(&DeviceKey::from_bytes([byte; 32]))
}

fn to_a() -> Recipient<'static> {
    Recipient {
        site: "s1",
        device: "dev-a",
        topic: TOPIC_A,
        key_version: 1,
    }
}

fn ack(device: &str, through_seq: u64) -> Message {
    Message::Ack(Ack {
        site: "s1".into(),
        device: device.into(),
        epoch: 9,
        through_seq,
    })
}

fn at(boot: u32, counter: u64) -> FrameCounter {
    FrameCounter { boot, counter }
}

fn sealed_for_a(through: u64) -> Vec<u8> {
    seal(&key(7), &to_a(), at(3, 9), [5; 12], &ack("dev-a", through)).unwrap()
}

#[test]
fn a_sealed_ack_opens_for_its_recipient_only_and_hides_its_content() {
    let frame = sealed_for_a(300);
    let opened = open(&key(7), &to_a(), &frame).unwrap();
    assert_eq!(opened.at, at(3, 9));
    assert_eq!(opened.message, ack("dev-a", 300));
    // The clear ack's bytes (site, device, 300 = ac 02) appear in the
    // header only as site and device; the through_seq is not in clear.
    let plain = encode(&ack("dev-a", 300));
    let body = &frame[FIXED_HEADER_LEN..];
    assert!(!body.windows(plain.len()).any(|w| w == plain));
    assert_eq!(frame.len(), FIXED_HEADER_LEN + 2 + 2 + 5 + plain.len() + 16);
}

#[test]
fn every_flipped_byte_and_every_truncation_is_refused() {
    let frame = sealed_for_a(300);
    for i in 0..frame.len() {
        let mut bent = frame.clone();
        bent[i] ^= 0x01;
        assert!(open(&key(7), &to_a(), &bent).is_err(), "byte {i} flipped");
    }
    for len in 0..frame.len() {
        assert!(open(&key(7), &to_a(), &frame[..len]).is_err(), "len {len}");
    }
    let mut tag_flipped = frame.clone();
    *tag_flipped.last_mut().unwrap() ^= 0x80;
    assert_eq!(open(&key(7), &to_a(), &tag_flipped), Err(SealError::BadMac));
    assert_eq!(open(&key(7), &to_a(), &[]), Err(SealError::Empty));
    assert_eq!(
        open(&key(7), &to_a(), &frame[..FIXED_HEADER_LEN + 3]),
        Err(SealError::Truncated)
    );
}

#[test]
fn another_key_device_topic_or_key_version_is_refused_by_name() {
    let frame = sealed_for_a(300);
    assert_eq!(open(&key(8), &to_a(), &frame), Err(SealError::BadMac));
    let b = Recipient {
        device: "dev-b",
        topic: "wms/s1/dev/dev-b/ack",
        ..to_a()
    };
    assert!(matches!(
        open(&key(8), &b, &frame),
        Err(SealError::WrongDevice { device, .. }) if device == "dev-a"
    ));
    for topic in ["wms/s1/dev/dev-a/tasks", "wms/s1/dev/dev-b/ack", "x"] {
        let moved = Recipient { topic, ..to_a() };
        assert_eq!(
            open(&key(7), &moved, &frame),
            Err(SealError::WrongTopic { kind: 1 }),
            "{topic}"
        );
    }
    let rotated = Recipient {
        key_version: 2,
        ..to_a()
    };
    assert_eq!(
        open(&key(7), &rotated, &frame),
        Err(SealError::KeyVersion {
            found: 1,
            expected: 2
        })
    );
}

#[test]
fn a_plain_ack_and_a_message_that_disagrees_with_its_header_are_refused() {
    let plain = encode(&ack("dev-a", u64::MAX));
    assert_eq!(
        open(&key(7), &to_a(), &plain),
        Err(SealError::UnknownVersion { found: 1 })
    );
    // The hub's own key sealing an ack that names dev-b under dev-a's header.
    let odd = seal(&key(7), &to_a(), at(1, 1), [0; 12], &ack("dev-b", 5)).unwrap();
    assert_eq!(open(&key(7), &to_a(), &odd), Err(SealError::Mismatch));
}

#[test]
fn the_header_reads_in_clear_and_the_key_is_not_the_signing_key() {
    let frame = sealed_for_a(1);
    let (header, len) = peek(&frame).unwrap();
    assert_eq!(header.at, at(3, 9));
    assert_eq!((header.kind, header.key_version), (1, 1));
    assert_eq!(
        (header.site.as_str(), header.device.as_str()),
        ("s1", "dev-a")
    );
    assert_eq!(len, FIXED_HEADER_LEN + 3 + 6);
    let device = DeviceKey::from_bytes([7; 32]);
    assert_ne!(&derive_bytes(&device), device.as_bytes());
    assert_eq!(format!("{:?}", key(7)), "SealKey(<secret>)");
    let long = "x".repeat(256);
    let too_long = Recipient {
        topic: &long,
        ..to_a()
    };
    assert_eq!(
        seal(&key(7), &too_long, at(1, 1), [0; 12], &ack("dev-a", 1)),
        Err(SealError::TooLong)
    );
}

#[test]
fn the_replay_guard_takes_only_newer_frames_boot_first() {
    let mut guard = ReplayGuard::new();
    assert_eq!(guard.admit(at(2, 5)), Ok(()));
    for old in [at(2, 5), at(2, 4), at(1, 99)] {
        assert_eq!(
            guard.admit(old),
            Err(SealError::Replayed {
                at: old,
                highest: at(2, 5)
            })
        );
    }
    assert_eq!(guard.admit(at(2, 6)), Ok(()));
    assert_eq!(guard.admit(at(3, 1)), Ok(()));
    assert_eq!(guard.highest(), Some(at(3, 1)));
}
