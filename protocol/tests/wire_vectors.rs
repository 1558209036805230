//! Checks the hex test vectors of `WIRE.md` against the codec, both ways.
//!
//! Every ```` ```vector ```` block of `WIRE.md` names a message built by
//! [`expected`]; the hex must be exactly what [`protocol::encode`] writes
//! and must decode back to the same message. Every ```` ```bad-vector ````
//! block must be rejected by [`protocol::decode`] with the error it names.
//! Every ```` ```auth-vector ```` block must get the answer it names from
//! [`protocol::verify_frame`] under its key.
//! The names in this file and in `WIRE.md` must match one for one, so
//! neither the document nor the code can drift alone.

use protocol::{
    decode, encode, encode_signed, encode_signed_label_report, encode_signed_status,
    encode_signed_task_ack, verify_frame, Ack, AuthError, DecodeError, DeviceKey, DeviceState,
    EventBatch, JobOutcome, JobResult, LabelJob, LabelReport, Message, Movement, MovementKind,
    Status, TaskAck, TaskEntry, TaskKind, TaskLine, TaskList,
};

const WIRE_MD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/WIRE.md");

/// Names of every good vector [`expected`] knows.
const NAMES: &[&str] = &[
    "ack-basic",
    "ack-zero",
    "ack-max-seq",
    "status-online-battery",
    "status-offline-no-battery",
    "status-battery-raw-u8",
    "status-last-will",
    "batch-pick-single",
    "batch-receive-lot-putaway",
    "batch-move-adjust-count",
    "batch-pick-task-pack",
    "batch-ship",
    "batch-large-seq-time",
    "batch-auth-tag",
    "tasklist-pick-count",
    "tasklist-empty",
    "taskack-basic",
    "labeljob-basic",
    "labelreport-mixed",
];

fn task_line(line: u32, sku: &str, location: &str, quantity: i64, order: Option<u64>) -> TaskLine {
    TaskLine {
        line,
        sku: sku.into(),
        location: location.into(),
        lot: None,
        quantity,
        done: 0,
        order,
    }
}

fn movement(seq: u64, kind: MovementKind, sku: &str, location: &str, quantity: i64) -> Movement {
    Movement {
        seq,
        kind,
        sku: sku.into(),
        location: location.into(),
        to_location: None,
        lot: None,
        quantity,
        device_time_ms: 1_000,
        task: None,
    }
}

/// The epoch of `ack-basic` and `batch-pick-single`: a random-looking u64
/// whose varint takes 9 bytes, as a real epoch's usually does (9 or 10).
const EPOCH: u64 = 0x0123_4567_89ab_cdef;

fn batch(epoch: u64, first_seq: u64, movements: Vec<Movement>) -> EventBatch {
    EventBatch {
        site: "s1".into(),
        device: "d1".into(),
        epoch,
        first_seq,
        movements,
        auth_tag: None,
    }
}

/// The message a good vector encodes; panics (fails the test) on an unknown name.
fn expected(name: &str) -> Message {
    use MovementKind::*;
    match name {
        "ack-basic" => Message::Ack(Ack {
            site: "s1".into(),
            device: "d1".into(),
            epoch: EPOCH,
            through_seq: 300,
        }),
        "ack-zero" => Message::Ack(Ack {
            site: "wh-berlin".into(),
            device: "hh-007".into(),
            epoch: 1,
            through_seq: 0,
        }),
        "ack-max-seq" => Message::Ack(Ack {
            site: "s1".into(),
            device: "d1".into(),
            epoch: u64::MAX,
            through_seq: u64::MAX,
        }),
        "status-online-battery" => Message::Status(Status {
            site: "s1".into(),
            device: "d1".into(),
            session_ms: 1_699_999_995_000,
            state: DeviceState::Online,
            backlog: 3,
            battery_pct: Some(87),
            device_time_ms: 1_700_000_000_000,
            epoch: EPOCH,
            acked_seq: 300,
            app_version: "1.4.2".into(),
            signal_dbm: Some(-67),
            auth_tag: None,
        }),
        "status-offline-no-battery" => Message::Status(Status {
            site: "s1".into(),
            device: "d1".into(),
            session_ms: 0,
            state: DeviceState::Offline,
            backlog: 0,
            battery_pct: None,
            device_time_ms: 0,
            epoch: 0,
            acked_seq: 0,
            app_version: "v".into(),
            signal_dbm: None,
            auth_tag: None,
        }),
        "status-battery-raw-u8" => Message::Status(Status {
            site: "s1".into(),
            device: "d1".into(),
            session_ms: 1,
            state: DeviceState::Online,
            backlog: 128,
            battery_pct: Some(200),
            device_time_ms: 1,
            epoch: 1,
            acked_seq: 0,
            app_version: "0.1.0".into(),
            signal_dbm: Some(-150),
            auth_tag: None,
        }),
        "status-last-will" => Message::Status(Status {
            site: "s1".into(),
            device: "d1".into(),
            session_ms: 1_700_000_001_000,
            state: DeviceState::Offline,
            backlog: 0,
            battery_pct: None,
            device_time_ms: 1_700_000_001_000,
            epoch: EPOCH,
            acked_seq: 297,
            app_version: "1.4.2".into(),
            signal_dbm: Some(-71),
            auth_tag: None,
        }),
        "batch-pick-single" => {
            Message::Batch(batch(EPOCH, 1, vec![movement(1, Pick, "SKU-1", "A-01", 2)]))
        }
        "batch-receive-lot-putaway" => {
            let mut receive = movement(7, Receive, "SKU-1", "DOCK", 10);
            receive.lot = Some("L7".into());
            let mut putaway = movement(8, Putaway, "SKU-1", "DOCK", 10);
            putaway.to_location = Some("A-01".into());
            putaway.lot = Some("L7".into());
            putaway.device_time_ms = 1_001;
            Message::Batch(batch(2, 7, vec![receive, putaway]))
        }
        "batch-move-adjust-count" => {
            let mut mv = movement(20, Move, "SKU-2", "A-01", 4);
            mv.to_location = Some("B-02".into());
            let adjust = movement(21, Adjust, "SKU-2", "B-02", -3);
            let count = movement(22, Count, "SKU-2", "A-01", 0);
            Message::Batch(batch(3, 20, vec![mv, adjust, count]))
        }
        "batch-pick-task-pack" => {
            let mut pick = movement(5, Pick, "SKU-3", "C-10", 1);
            pick.task = Some("T-9".into());
            let mut pack = movement(6, Pack, "SKU-3", "PACK-1", 1);
            pack.task = Some("T-9".into());
            Message::Batch(batch(1, 5, vec![pick, pack]))
        }
        "batch-ship" => Message::Batch(batch(1, 1, vec![movement(1, Ship, "SF1001", "DOCK-1", 1)])),
        "batch-large-seq-time" => {
            let mut adjust = movement(1_099_511_627_776, Adjust, "SKU-4", "Z-99", -1_000_000);
            adjust.device_time_ms = 1_735_689_600_123;
            Message::Batch(batch(u64::MAX, 1_099_511_627_776, vec![adjust]))
        }
        "batch-auth-tag" => {
            let mut tag = [0u8; 32];
            for (i, b) in tag.iter_mut().enumerate() {
                *b = i as u8;
            }
            let mut signed = batch(EPOCH, 1, vec![movement(1, Pick, "SKU-1", "A-01", 2)]);
            signed.auth_tag = Some(tag);
            Message::Batch(signed)
        }
        "tasklist-pick-count" => {
            let mut first = task_line(0, "SKU-1", "A-01", 2, Some(77));
            first.lot = Some("L7".into());
            let mut second = task_line(1, "SKU-3", "C-10", 5, Some(78));
            second.done = 1;
            Message::TaskList(TaskList {
                site: "s1".into(),
                device: "d1".into(),
                version: 300,
                tasks: vec![
                    TaskEntry {
                        task: 1042,
                        kind: TaskKind::Pick,
                        order: None,
                        remarks: Some("fragile".into()),
                        lines: vec![first, second],
                    },
                    TaskEntry {
                        task: 1043,
                        kind: TaskKind::Count,
                        order: None,
                        remarks: None,
                        lines: vec![task_line(0, "SKU-2", "B-02", 0, None)],
                    },
                ],
            })
        }
        "tasklist-empty" => Message::TaskList(TaskList {
            site: "s1".into(),
            device: "d1".into(),
            version: 1,
            tasks: vec![],
        }),
        "taskack-basic" => Message::TaskAck(TaskAck {
            site: "s1".into(),
            device: "d1".into(),
            version: 300,
            auth_tag: None,
        }),
        "labeljob-basic" => Message::LabelJob(LabelJob {
            site: "s1".into(),
            station: "ps1".into(),
            job: 501,
            batch: 12,
            position: 1,
            batch_size: 2,
            order: 77,
            tracking: "SF1001".into(),
            valid_ms: 60_000,
            zpl: "^XA^FO50,50^A0N,40,40^FDA-1001^FS^XZ".into(),
        }),
        "labelreport-mixed" => {
            let result = |job, outcome, at_ms| JobResult {
                job,
                outcome,
                at_ms,
            };
            Message::LabelReport(LabelReport {
                site: "s1".into(),
                station: "ps1".into(),
                results: vec![
                    result(501, JobOutcome::Printed, 1_000),
                    result(502, JobOutcome::Failed("paper_out".into()), 1_001),
                    result(503, JobOutcome::Queued, 1_002),
                    result(504, JobOutcome::Unsure("head_open".into()), 1_003),
                ],
                auth_tag: None,
            })
        }
        other => panic!("WIRE.md has vector {other:?} but tests/wire_vectors.rs does not know it"),
    }
}

/// One fenced block: its kind (`vector` or `bad-vector`) and its `key: value` lines.
#[derive(Debug)]
struct Block {
    kind: String,
    fields: Vec<(String, String)>,
    line: usize,
}

impl Block {
    fn get(&self, key: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("block at WIRE.md line {} has no `{key}:`", self.line))
    }
}

const KEYS: &[&str] = &["name", "message", "hex", "error", "key", "result"];

/// Extracts every ```vector, ```bad-vector and ```auth-vector block. A line that does not
/// start with a known key continues the previous key's value (long hex).
fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        match current.as_mut() {
            None => {
                if let Some(kind) = trimmed.strip_prefix("```") {
                    if ["vector", "bad-vector", "auth-vector"].contains(&kind) {
                        current = Some(Block {
                            kind: kind.to_string(),
                            fields: Vec::new(),
                            line: i + 1,
                        });
                    }
                }
            }
            Some(block) => {
                if trimmed == "```" {
                    out.extend(current.take());
                    continue;
                }
                let keyed = trimmed.split_once(':').filter(|(k, _)| KEYS.contains(k));
                match keyed {
                    Some((k, v)) => block.fields.push((k.to_string(), v.trim().to_string())),
                    None if trimmed.is_empty() => {}
                    None => {
                        let (_, v) = block.fields.last_mut().unwrap_or_else(|| {
                            panic!("WIRE.md line {}: text before any key", i + 1)
                        });
                        v.push(' ');
                        v.push_str(trimmed);
                    }
                }
            }
        }
    }
    assert!(current.is_none(), "WIRE.md ends inside a vector block");
    out
}

fn parse_hex(name: &str, hex: &str) -> Vec<u8> {
    hex.split_whitespace()
        .map(|tok| {
            assert_eq!(tok.len(), 2, "vector {name}: bad hex token {tok:?}");
            u8::from_str_radix(tok, 16)
                .unwrap_or_else(|_| panic!("vector {name}: bad hex token {tok:?}"))
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn wire_md() -> String {
    std::fs::read_to_string(WIRE_MD).unwrap_or_else(|e| panic!("reading {WIRE_MD}: {e}"))
}

#[test]
fn good_vectors_match_the_codec_both_ways() {
    let text = wire_md();
    let good: Vec<Block> = blocks(&text)
        .into_iter()
        .filter(|b| b.kind == "vector")
        .collect();
    assert!(
        good.len() >= 6,
        "only {} vectors found in WIRE.md",
        good.len()
    );
    let mut seen = Vec::new();
    for block in &good {
        let name = block.get("name");
        assert!(!seen.contains(&name), "vector {name} appears twice");
        seen.push(name);
        let bytes = parse_hex(name, block.get("hex"));
        let message = expected(name);
        let encoded = encode(&message);
        assert_eq!(
            hex(&encoded),
            hex(&bytes),
            "vector {name}: encode(expected) differs from WIRE.md"
        );
        assert_eq!(decode(&bytes), Ok(message), "vector {name}: decode differs");
    }
    for name in NAMES {
        assert!(
            seen.contains(name),
            "vector {name} is in tests/wire_vectors.rs but not in WIRE.md"
        );
    }
    assert_eq!(
        seen.len(),
        NAMES.len(),
        "NAMES is missing a vector of WIRE.md"
    );
}

#[test]
fn bad_vectors_are_rejected_with_the_documented_error() {
    let text = wire_md();
    let bad: Vec<Block> = blocks(&text)
        .into_iter()
        .filter(|b| b.kind == "bad-vector")
        .collect();
    assert!(bad.len() >= 4, "only {} bad vectors found", bad.len());
    for block in &bad {
        let name = block.get("name");
        let bytes = parse_hex(name, block.get("hex"));
        let want = block.get("error");
        let got = decode(&bytes);
        let ok = match (want, &got) {
            ("Empty", Err(DecodeError::Empty)) => true,
            ("UnknownVersion", Err(DecodeError::UnknownVersion { found })) => {
                Some(found) == bytes.first()
            }
            ("Truncated", Err(DecodeError::Truncated)) => true,
            ("Malformed", Err(DecodeError::Malformed(_))) => true,
            ("TrailingBytes", Err(DecodeError::TrailingBytes(n))) => *n > 0,
            _ => false,
        };
        assert!(ok, "bad vector {name}: expected {want}, got {got:?}");
    }
}

#[test]
fn auth_tag_is_the_last_33_bytes() {
    // The signing rule of WIRE.md: the signed region is the frame minus its
    // final 33 bytes, and it equals the unsigned frame minus its final 0x00.
    let Message::Batch(signed) = expected("batch-auth-tag") else {
        panic!("batch-auth-tag is not a batch");
    };
    let tag = signed.auth_tag.expect("batch-auth-tag has a tag");
    let frame = encode(&Message::Batch(signed.clone()));
    let unsigned = encode(&Message::Batch(EventBatch {
        auth_tag: None,
        ..signed
    }));
    let (region, tail) = frame.split_at(frame.len() - 33);
    assert_eq!(tail[0], 0x01);
    assert_eq!(tail[1..], tag);
    assert_eq!(unsigned.last(), Some(&0x00));
    assert_eq!(region, &unsigned[..unsigned.len() - 1]);
}

#[test]
fn auth_vectors_verify_as_documented() {
    let text = wire_md();
    let vectors: Vec<Block> = blocks(&text)
        .into_iter()
        .filter(|b| b.kind == "auth-vector")
        .collect();
    assert!(vectors.len() >= 3, "only {} auth vectors", vectors.len());
    let mut outcomes = Vec::new();
    for block in &vectors {
        let name = block.get("name");
        let key_bytes = parse_hex(name, block.get("key"));
        let key = DeviceKey::from_bytes(key_bytes.try_into().expect("32-byte key"));
        let frame = parse_hex(name, block.get("hex"));
        let want = block.get("result");
        let got = verify_frame(&key, &frame);
        let ok = matches!(
            (want, &got),
            ("ok", Ok(()))
                | ("BadTag", Err(AuthError::BadTag))
                | ("Unsigned", Err(AuthError::Unsigned))
        );
        assert!(ok, "auth vector {name}: expected {want}, got {got:?}");
        if want == "ok" {
            // The reference signer makes exactly these bytes.
            let signed = match expected(name) {
                Message::Batch(batch) => encode_signed(&key, &batch),
                Message::Status(status) => encode_signed_status(&key, &status),
                Message::TaskAck(ack) => encode_signed_task_ack(&key, &ack),
                Message::LabelReport(report) => encode_signed_label_report(&key, &report),
                other => panic!("auth vector {name} names {other:?}, which is sealed, not signed"),
            };
            assert_eq!(hex(&signed), hex(&frame), "{name}");
            let tagged = match decode(&frame) {
                Ok(Message::Batch(b)) => b.auth_tag.is_some(),
                Ok(Message::Status(s)) => s.auth_tag.is_some(),
                Ok(Message::TaskAck(a)) => a.auth_tag.is_some(),
                Ok(Message::LabelReport(r)) => r.auth_tag.is_some(),
                _ => false,
            };
            assert!(tagged, "{name}: the frame carries no tag");
        }
        outcomes.push(want.to_string());
    }
    for want in ["ok", "BadTag", "Unsigned"] {
        assert!(outcomes.iter().any(|o| o == want), "no {want} auth vector");
    }
}
