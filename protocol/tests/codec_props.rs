//! Property tests of the codec and the validation rules: every message
//! round-trips, decoding is total on any bytes, strict prefixes of a valid
//! frame are always rejected, and validation never panics.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::Index;
use protocol::{
    decode, encode, Ack, DecodeError, DeviceState, EventBatch, Message, Movement, MovementKind,
    Status, TaskAck, TaskEntry, TaskKind, TaskLine, TaskList, TaskRef,
};

/// Strings of every flavour: arbitrary unicode (control characters
/// included), printable ASCII with the topic characters, and plain ids.
fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        vec(any::<char>(), 0..12).prop_map(String::from_iter),
        "[!-~ ]{0,70}",
        "[A-Za-z0-9._-]{1,12}",
        Just(String::new()),
    ]
}

fn arb_kind() -> impl Strategy<Value = MovementKind> {
    prop::sample::select(MovementKind::ALL.to_vec())
}

fn arb_state() -> impl Strategy<Value = DeviceState> {
    prop_oneof![Just(DeviceState::Online), Just(DeviceState::Offline)]
}

/// Numbers that are small, at the edges, or anything.
fn arb_u64() -> impl Strategy<Value = u64> {
    prop_oneof![0..300u64, Just(u64::MAX), any::<u64>()]
}

fn arb_quantity() -> impl Strategy<Value = i64> {
    prop_oneof![-3..4i64, Just(i64::MIN), Just(i64::MAX), any::<i64>()]
}

fn arb_movement() -> impl Strategy<Value = Movement> {
    (
        arb_u64(),
        arb_kind(),
        arb_string(),
        arb_string(),
        option::of(arb_string()),
        option::of(arb_string()),
        arb_quantity(),
        arb_u64(),
        option::of(arb_string()),
    )
        .prop_map(
            |(seq, kind, sku, location, to_location, lot, quantity, device_time_ms, task)| {
                Movement {
                    seq,
                    kind,
                    sku,
                    location,
                    to_location,
                    lot,
                    quantity,
                    device_time_ms,
                    task,
                }
            },
        )
}

fn arb_batch() -> impl Strategy<Value = EventBatch> {
    (
        arb_string(),
        arb_string(),
        arb_u64(),
        arb_u64(),
        vec(arb_movement(), 0..20),
        option::of(any::<[u8; 32]>()),
    )
        .prop_map(
            |(site, device, epoch, first_seq, movements, auth_tag)| EventBatch {
                site,
                device,
                epoch,
                first_seq,
                movements,
                auth_tag,
            },
        )
}

fn arb_task_line() -> impl Strategy<Value = TaskLine> {
    (
        any::<u32>(),
        arb_string(),
        arb_string(),
        option::of(arb_string()),
        arb_quantity(),
        arb_quantity(),
        option::of(arb_u64()),
    )
        .prop_map(
            |(line, sku, location, lot, quantity, done, order)| TaskLine {
                line,
                sku,
                location,
                lot,
                quantity,
                done,
                order,
            },
        )
}

fn arb_task_list() -> impl Strategy<Value = TaskList> {
    let entry = (
        arb_u64(),
        prop_oneof![Just(TaskKind::Pick), Just(TaskKind::Count)],
        option::of(arb_u64()),
        option::of(arb_string()),
        vec(arb_task_line(), 0..6),
    )
        .prop_map(|(task, kind, order, remarks, lines)| TaskEntry {
            task,
            kind,
            order,
            remarks,
            lines,
        });
    (arb_string(), arb_string(), arb_u64(), vec(entry, 0..5)).prop_map(
        |(site, device, version, tasks)| TaskList {
            site,
            device,
            version,
            tasks,
        },
    )
}

fn arb_message() -> impl Strategy<Value = Message> {
    prop_oneof![
        arb_task_list().prop_map(Message::TaskList),
        (
            arb_string(),
            arb_string(),
            arb_u64(),
            option::of(any::<[u8; 32]>())
        )
            .prop_map(
                |(site, device, version, auth_tag)| Message::TaskAck(TaskAck {
                    site,
                    device,
                    version,
                    auth_tag,
                })
            ),
        arb_batch().prop_map(Message::Batch),
        (arb_string(), arb_string(), arb_u64(), arb_u64()).prop_map(
            |(site, device, epoch, through_seq)| Message::Ack(Ack {
                site,
                device,
                epoch,
                through_seq,
            })
        ),
        (
            (arb_string(), arb_string(), arb_u64()),
            arb_state(),
            arb_u64(),
            option::of(any::<u8>()),
            arb_u64(),
            (arb_u64(), arb_u64(), arb_string(), option::of(any::<i16>())),
            option::of(any::<[u8; 32]>()),
        )
            .prop_map(
                |(
                    (site, device, session_ms),
                    state,
                    backlog,
                    battery_pct,
                    device_time_ms,
                    (epoch, acked_seq, app_version, signal_dbm),
                    auth_tag,
                )| {
                    Message::Status(Status {
                        site,
                        device,
                        session_ms,
                        state,
                        backlog,
                        battery_pct,
                        device_time_ms,
                        epoch,
                        acked_seq,
                        app_version,
                        signal_dbm,
                        auth_tag,
                    })
                }
            ),
    ]
}

/// Batches that get past the id checks, so that validation reaches the
/// sequence, destination and quantity rules too.
fn arb_plausible_batch() -> impl Strategy<Value = EventBatch> {
    let id = || "[A-Za-z0-9._-]{1,8}";
    let movement = (
        arb_kind(),
        id(),
        id(),
        option::of(prop_oneof![id(), Just("L".to_string())]),
        option::of(id()),
        arb_quantity(),
        0..3u64,
    );
    (
        prop_oneof![0..5u64, Just(u64::MAX - 2), Just(u64::MAX)],
        vec(movement, 0..20),
    )
        .prop_map(|(first_seq, parts)| {
            let movements = parts
                .into_iter()
                .enumerate()
                .map(
                    |(i, (kind, sku, location, to_location, lot, quantity, skew))| {
                        // Mostly contiguous; `skew` 2 breaks the run on purpose.
                        let seq = first_seq
                            .wrapping_add(i as u64)
                            .wrapping_add(u64::from(skew == 2));
                        Movement {
                            seq,
                            kind,
                            sku,
                            location,
                            to_location,
                            lot,
                            quantity,
                            device_time_ms: 0,
                            task: None,
                        }
                    },
                )
                .collect();
            EventBatch {
                site: "s1".into(),
                device: "d1".into(),
                epoch: 1,
                first_seq,
                movements,
                auth_tag: None,
            }
        })
}

proptest! {
    /// (a) Every message survives encode then decode unchanged.
    #[test]
    fn round_trip(message in arb_message()) {
        let frame = encode(&message);
        prop_assert_eq!(frame[0], protocol::PROTOCOL_VERSION);
        prop_assert_eq!(decode(&frame), Ok(message));
    }

    /// (b) Decoding arbitrary bytes returns, it never panics.
    #[test]
    fn decode_arbitrary_bytes(bytes in vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes);
    }

    /// (b') The same with a valid version byte in front, so the body parser
    /// is reached every time rather than once in 256.
    #[test]
    fn decode_arbitrary_body(body in vec(any::<u8>(), 0..512)) {
        let mut frame = vec![protocol::PROTOCOL_VERSION];
        frame.extend_from_slice(&body);
        if let Ok(message) = decode(&frame) {
            // Whatever decodes re-encodes to something that decodes the same.
            prop_assert_eq!(decode(&encode(&message)), Ok(message));
        }
    }

    /// (c) Mutated and truncated valid frames never panic the decoder, and
    /// every strict prefix of a valid frame is rejected: `Empty` for no
    /// bytes, `Truncated` otherwise. This holds because the decoder is
    /// deterministic and must consume the whole frame: reading a prefix
    /// follows the same path as reading the full frame, which only ends at
    /// the last byte, so the prefix always runs out first.
    #[test]
    fn damaged_frames(
        message in arb_message(),
        mutations in vec((any::<Index>(), any::<u8>()), 1..8),
        cuts in vec(any::<Index>(), 1..16),
        tail in vec(any::<u8>(), 0..8),
    ) {
        let frame = encode(&message);

        for cut in &cuts {
            let len = cut.index(frame.len());
            let want = if len == 0 { DecodeError::Empty } else { DecodeError::Truncated };
            prop_assert_eq!(decode(&frame[..len]), Err(want), "prefix of {} bytes", len);
        }

        let mut mutated = frame.clone();
        for (at, byte) in &mutations {
            let i = at.index(mutated.len());
            mutated[i] = *byte;
        }
        if let Ok(m) = decode(&mutated) {
            prop_assert_eq!(decode(&encode(&m)), Ok(m));
        }
        for cut in &cuts {
            let _ = decode(&mutated[..cut.index(mutated.len())]);
        }

        let mut longer = frame.clone();
        longer.extend_from_slice(&tail);
        let got = decode(&longer);
        if tail.is_empty() {
            prop_assert_eq!(got, Ok(message));
        } else {
            prop_assert_eq!(got, Err(DecodeError::TrailingBytes(tail.len())));
        }
    }

    /// Task references print canonically and parse back; any text parses
    /// or is refused, and what parses prints back to the same text.
    #[test]
    fn task_refs_round_trip(task in any::<u64>(), line in any::<u32>(), text in "[0-9:+ -]{0,24}") {
        let reference = TaskRef { task, line };
        prop_assert_eq!(TaskRef::parse(&reference.to_string()), Ok(reference));
        if let Ok(parsed) = TaskRef::parse(&text) {
            prop_assert_eq!(parsed.to_string(), text);
        }
    }

    /// (d) Validation never panics on arbitrary messages.
    #[test]
    fn validation_is_total(message in arb_message()) {
        if let Message::TaskList(list) = &message {
            let whole = list.validate();
            if whole.is_ok() {
                prop_assert!(list.tasks.iter().all(|t| t.validate().is_ok()));
            }
        }
        if let Message::TaskAck(ack) = &message {
            let _ = ack.validate();
        }
        if let Message::Status(status) = &message {
            if status.validate().is_ok() {
                let dbm = status.signal_dbm.unwrap_or(0);
                prop_assert!(protocol::SIGNAL_DBM_RANGE.contains(&dbm));
                prop_assert!((1..=protocol::MAX_APP_VERSION_LEN).contains(&status.app_version.len()));
            }
        }
        if let Message::Batch(batch) = message {
            let whole = batch.validate();
            for movement in &batch.movements {
                let _ = movement.validate();
            }
            if whole.is_ok() {
                prop_assert!(batch.movements.iter().all(|m| m.validate().is_ok()));
            }
        }
    }

    /// (d') The same on batches with valid ids, which reach every rule.
    #[test]
    fn validation_of_plausible_batches(batch in arb_plausible_batch()) {
        let whole = batch.validate();
        let each: Vec<_> = batch.movements.iter().map(Movement::validate).collect();
        if whole.is_ok() {
            prop_assert!(!batch.movements.is_empty());
            prop_assert!(each.iter().all(Result::is_ok));
            for (i, m) in batch.movements.iter().enumerate() {
                prop_assert_eq!(Some(m.seq), batch.first_seq.checked_add(i as u64));
            }
        }
    }
}

/// Every strict prefix of a few hand-picked frames, not only sampled ones.
#[test]
fn every_strict_prefix_is_rejected() {
    let movement = Movement {
        seq: 1 << 40,
        kind: MovementKind::Move,
        sku: "SKU-é".into(),
        location: "A-01".into(),
        to_location: Some("B-02".into()),
        lot: Some("L7".into()),
        quantity: -1_000_000,
        device_time_ms: u64::MAX,
        task: Some("T-9".into()),
    };
    let messages = [
        Message::Batch(EventBatch {
            site: "s1".into(),
            device: "d1".into(),
            epoch: u64::MAX,
            first_seq: 1 << 40,
            movements: vec![movement.clone(), movement],
            auth_tag: Some([0xff; 32]),
        }),
        Message::Ack(Ack {
            site: String::new(),
            device: "d".into(),
            epoch: 1,
            through_seq: u64::MAX,
        }),
        Message::TaskList(TaskList {
            site: "s".into(),
            device: "d".into(),
            version: u64::MAX,
            tasks: vec![TaskEntry {
                task: u64::MAX,
                kind: TaskKind::Count,
                order: Some(1 << 40),
                remarks: Some("zerbrechlich ✓".into()),
                lines: vec![TaskLine {
                    line: u32::MAX,
                    sku: "SKU-1".into(),
                    location: "A-01".into(),
                    lot: Some("L7".into()),
                    quantity: -1,
                    done: i64::MIN,
                    order: None,
                }],
            }],
        }),
        Message::TaskAck(TaskAck {
            site: "s".into(),
            device: "d".into(),
            version: 1 << 63,
            auth_tag: Some([0xdd; 32]),
        }),
        Message::Status(Status {
            site: "s".into(),
            device: "d".into(),
            session_ms: u64::MAX,
            state: DeviceState::Offline,
            backlog: 1 << 63,
            battery_pct: Some(255),
            device_time_ms: 0,
            epoch: u64::MAX,
            acked_seq: 1 << 63,
            app_version: "9.9.9-rc.1".into(),
            signal_dbm: Some(i16::MIN),
            auth_tag: Some([0xee; 32]),
        }),
    ];
    for message in messages {
        let frame = encode(&message);
        assert_eq!(decode(&[]), Err(DecodeError::Empty));
        for len in 1..frame.len() {
            assert_eq!(
                decode(&frame[..len]),
                Err(DecodeError::Truncated),
                "{message:?} cut to {len} bytes"
            );
        }
        assert_eq!(decode(&frame), Ok(message));
    }
}
