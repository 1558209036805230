//! Unit tests of the sealed envelope: what opens, and the typed refusal
//! for every way a frame can be forged, altered, moved or replayed.

use super::*;
use crate::message::{Ack, TaskEntry, TaskKind, TaskLine, TaskList};

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

/// Seals `message` under a header that claims `kind`, whatever the
/// message is: what a buggy or hostile hub with the device's key could
/// make. The tag is good; only step 7 can refuse it.
fn seal_claiming(
    kind: u8,
    key: &SealKey,
    to: &Recipient<'_>,
    at: FrameCounter,
    boot_salt: [u8; BOOT_SALT_LEN],
    message: &Message,
) -> Vec<u8> {
    let header = SealedHeader {
        kind,
        key_version: to.key_version,
        at,
        boot_salt,
        site: to.site.to_string(),
        device: to.device.to_string(),
    };
    let mut frame = header_bytes(&header).unwrap();
    let aad = aad(&frame, to.topic).unwrap();
    let plain = encode(message);
    let payload = Payload {
        msg: &plain,
        aad: &aad,
    };
    let sealed = key.0.encrypt(&nonce(&frame), payload).unwrap();
    frame.extend_from_slice(&sealed);
    frame
}

const TASKS_A: &str = "wms/s1/dev/dev-a/tasks";

fn tasks_to_a() -> Recipient<'static> {
    Recipient {
        topic: TASKS_A,
        ..to_a()
    }
}

fn task_list(device: &str, version: u64) -> Message {
    Message::TaskList(TaskList {
        site: "s1".into(),
        device: device.into(),
        version,
        tasks: vec![TaskEntry {
            task: 1,
            kind: TaskKind::Pick,
            order: Some(9),
            remarks: None,
            lines: vec![TaskLine {
                line: 0,
                sku: "SKU-1".into(),
                location: "A-01".into(),
                lot: None,
                quantity: 3,
                done: 0,
                order: Some(9),
            }],
        }],
    })
}

#[test]
fn a_sealed_task_list_opens_on_the_tasks_topic_only() {
    let list = task_list("dev-a", 4);
    let frame = seal(&key(7), &tasks_to_a(), at(3, 10), [5; 12], &list).unwrap();
    assert_eq!(peek(&frame).unwrap().0.kind, 3);
    let opened = open(&key(7), &tasks_to_a(), &frame).unwrap();
    assert_eq!((opened.at, opened.message), (at(3, 10), list));
    for topic in [
        TOPIC_A,
        "wms/s1/dev/dev-a/taskack",
        "wms/s1/dev/dev-a/events",
        "wms/s1/dev/dev-b/tasks",
        "wms/s2/dev/dev-a/tasks",
        "wms/s1/printer/dev-a/jobs",
    ] {
        let moved = Recipient {
            topic,
            ..tasks_to_a()
        };
        assert_eq!(
            open(&key(7), &moved, &frame),
            Err(SealError::WrongTopic { kind: 3 }),
            "{topic}"
        );
    }
    // And an ack does not open on the tasks topic.
    let ack_frame = sealed_for_a(300);
    assert_eq!(
        open(&key(7), &tasks_to_a(), &ack_frame),
        Err(SealError::WrongTopic { kind: 1 })
    );
}

#[test]
fn a_task_list_under_kind_1_and_an_ack_under_kind_3_are_refused() {
    let list = task_list("dev-a", 4);
    let as_ack = seal_claiming(1, &key(7), &to_a(), at(3, 11), [5; 12], &list);
    assert_eq!(open(&key(7), &to_a(), &as_ack), Err(SealError::Mismatch));
    let ack = ack("dev-a", 300);
    let as_list = seal_claiming(3, &key(7), &tasks_to_a(), at(3, 12), [5; 12], &ack);
    assert_eq!(
        open(&key(7), &tasks_to_a(), &as_list),
        Err(SealError::Mismatch)
    );
    // The helper agrees with `seal` when the kind is the message's own.
    assert_eq!(
        seal_claiming(3, &key(7), &tasks_to_a(), at(3, 10), [5; 12], &list),
        seal(&key(7), &tasks_to_a(), at(3, 10), [5; 12], &list).unwrap()
    );
    // A list addressed to another device, sealed for dev-a's header and topic.
    let odd = seal(
        &key(7),
        &tasks_to_a(),
        at(3, 13),
        [5; 12],
        &task_list("dev-b", 4),
    )
    .unwrap();
    assert_eq!(open(&key(7), &tasks_to_a(), &odd), Err(SealError::Mismatch));
}

#[test]
fn device_to_hub_kinds_never_open_on_a_device() {
    use crate::message::TaskAck;
    let task_ack = Message::TaskAck(TaskAck {
        site: "s1".into(),
        device: "dev-a".into(),
        version: 1,
        auth_tag: None,
    });
    let taskack_topic = "wms/s1/dev/dev-a/taskack";
    let to = Recipient {
        topic: taskack_topic,
        ..to_a()
    };
    let frame = seal(&key(7), &to, at(3, 14), [5; 12], &task_ack).unwrap();
    assert_eq!(peek(&frame).unwrap().0.kind, 6);
    assert_eq!(
        open(&key(7), &to, &frame),
        Err(SealError::WrongTopic { kind: 6 })
    );
}

/// The hex of WIRE.md's sealed vector `name`.
fn documented(name: &str) -> Vec<u8> {
    let text = include_str!("../WIRE.md");
    let start = text
        .find(&format!("name: {name}\n"))
        .unwrap_or_else(|| panic!("WIRE.md has no vector {name}"));
    let hex = text[start..]
        .lines()
        .find_map(|line| line.strip_prefix("hex: "))
        .unwrap_or_else(|| panic!("vector {name} has no hex"));
    hex.split_whitespace()
        .map(|t| u8::from_str_radix(t, 16).unwrap())
        .collect()
}

/// WIRE.md §7.4's task-list vectors are what sealing makes: the good one
/// (also checked by `tests/sealed_vectors.rs`) and the two that only a
/// header claiming the wrong kind can make, which that test can only see
/// refused.
#[test]
fn the_documented_task_list_vectors_are_what_sealing_makes() {
    let key = SealKey::derive(&DeviceKey::from_bytes(std::array::from_fn(|i| i as u8)));
    let salt: [u8; 12] = std::array::from_fn(|i| 0xb0 + i as u8);
    let tasks = Recipient {
        site: "s1",
        device: "d1",
        topic: "wms/s1/dev/d1/tasks",
        key_version: 1,
    };
    let acks = Recipient {
        topic: "wms/s1/dev/d1/ack",
        ..tasks
    };
    let plain = |name: &str| crate::decode(&documented(name)).unwrap();
    let list = plain("tasklist-pick-count");
    let ack = plain("ack-basic");
    assert!(matches!(list, Message::TaskList(_)));
    assert_eq!(
        seal(&key, &tasks, at(2, 2), salt, &list).unwrap(),
        documented("sealed-tasklist-good")
    );
    assert_eq!(
        seal_claiming(1, &key, &acks, at(2, 3), salt, &list),
        documented("sealed-tasklist-under-kind-01")
    );
    assert_eq!(
        seal_claiming(3, &key, &tasks, at(2, 4), salt, &ack),
        documented("sealed-ack-under-kind-03")
    );
}

/// WIRE.md §9: a list as large as validation admits (200 tasks, 2000
/// lines, every id 64 bytes, remarks of 500 four-byte characters, every
/// number at its longest) stays within the documented bounds (841 544
/// bytes plain, 841 720 sealed; the bound counts every task's line count
/// as 2 bytes, which 2000 lines cannot all need) and fits one MQTT packet.
#[test]
fn the_largest_valid_task_list_fits_one_mqtt_packet() {
    let id = |c: char| c.to_string().repeat(64);
    let (site, device) = (id('s'), id('d'));
    let tasks = (0..200u64)
        .map(|t| TaskEntry {
            task: u64::MAX - t,
            kind: TaskKind::Pick,
            order: Some(u64::MAX),
            remarks: Some("\u{1F4E6}".repeat(500)),
            lines: (0..10u32)
                .map(|l| TaskLine {
                    line: u32::MAX - l,
                    sku: id('k'),
                    location: id('l'),
                    lot: Some(id('t')),
                    quantity: crate::MAX_QUANTITY,
                    done: crate::MAX_QUANTITY,
                    order: Some(u64::MAX),
                })
                .collect(),
        })
        .collect();
    let list = TaskList {
        site: site.clone(),
        device: device.clone(),
        version: u64::MAX,
        tasks,
    };
    assert_eq!(list.validate(), Ok(()));
    let message = Message::TaskList(list);
    assert_eq!(encode(&message).len(), 841_544 - 200);
    let topic = format!("wms/{site}/dev/{device}/tasks");
    let to = Recipient {
        site: &site,
        device: &device,
        topic: &topic,
        key_version: u32::MAX,
    };
    let frame = seal(&key(7), &to, at(u32::MAX, u64::MAX), [0xff; 12], &message).unwrap();
    assert_eq!(frame.len(), 841_720 - 200);
    let publish = 2 + topic.len() + 2 + frame.len();
    assert_eq!(publish, 841_867 - 200);
    assert!(publish <= 1 << 20);
    assert_eq!(open(&key(7), &to, &frame).map(|o| o.message), Ok(message));
}
