//! Checks the ```` ```sealed-vector ```` blocks of `WIRE.md` §7 against
//! `protocol::sealed`: each frame opens, or is refused with the named
//! error, for the receiver the block describes; each good frame is
//! exactly what sealing its message gives. The documented sealing key of
//! §7.1 is checked too, so the document cannot drift from the code.

use protocol::sealed::{derive_bytes, open, seal, FrameCounter, Recipient};
use protocol::{decode, Ack, DeviceKey, Message, ReplayGuard, SealError, SealKey};

const WIRE_MD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/WIRE.md");

const KEYS: &[&str] = &[
    "name",
    "key",
    "site",
    "device",
    "topic",
    "key_version",
    "boot",
    "counter",
    "salt",
    "epoch",
    "through",
    "plain",
    "hex",
    "result",
];

/// One block's `key: value` lines (a line without a key continues the last).
type Block = Vec<(String, String)>;

fn sealed_blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for line in text.lines().map(str::trim) {
        match current.as_mut() {
            None if line == "```sealed-vector" => current = Some(Vec::new()),
            None => {}
            Some(_) if line == "```" => out.extend(current.take()),
            Some(block) => match line.split_once(':').filter(|(k, _)| KEYS.contains(k)) {
                Some((k, v)) => block.push((k.to_string(), v.trim().to_string())),
                None if line.is_empty() => {}
                None => {
                    let last = block.last_mut().expect("text before any key");
                    last.1.push(' ');
                    last.1.push_str(line);
                }
            },
        }
    }
    assert!(
        current.is_none(),
        "WIRE.md ends inside a sealed-vector block"
    );
    out
}

fn get<'a>(block: &'a Block, key: &str) -> &'a str {
    block
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("sealed vector {:?} has no `{key}:`", block.first()))
}

fn bytes(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|t| u8::from_str_radix(t, 16).unwrap_or_else(|_| panic!("bad hex {t:?}")))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn refusal_name(e: &SealError) -> &'static str {
    match e {
        SealError::Empty => "Empty",
        SealError::UnknownVersion { .. } => "UnknownVersion",
        SealError::Truncated => "Truncated",
        SealError::WrongDevice { .. } => "WrongDevice",
        SealError::WrongTopic { .. } => "WrongTopic",
        SealError::KeyVersion { .. } => "KeyVersion",
        SealError::BadMac => "BadMac",
        SealError::Plaintext(_) => "Plaintext",
        SealError::Mismatch => "Mismatch",
        SealError::Replayed { .. } => "Replayed",
        SealError::TooLong => "TooLong",
    }
}

fn find<'a>(block: &'a Block, key: &str) -> Option<&'a str> {
    block
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// What a good vector seals: the plain frame of its `plain:` line (a task
/// list of §6), or else §6.1's ack with its `epoch:` and `through:`.
fn expected_message(block: &Block, to: &Recipient<'_>) -> Message {
    if let Some(plain) = find(block, "plain") {
        return decode(&bytes(plain)).expect("the plain frame of a good sealed vector decodes");
    }
    Message::Ack(Ack {
        site: to.site.into(),
        device: to.device.into(),
        epoch: get(block, "epoch").parse().expect("epoch"),
        through_seq: get(block, "through").parse().expect("through"),
    })
}

fn check(block: &Block) -> String {
    let name = get(block, "name");
    let key_bytes: [u8; 32] = bytes(get(block, "key")).try_into().expect("32-byte key");
    let device_key = DeviceKey::from_bytes(key_bytes);
    let key = SealKey::derive(&device_key);
    let to = Recipient {
        site: get(block, "site"),
        device: get(block, "device"),
        topic: get(block, "topic"),
        key_version: get(block, "key_version").parse().expect("key_version"),
    };
    let frame = bytes(get(block, "hex"));
    let want = get(block, "result");
    match (want, open(&key, &to, &frame)) {
        ("ok", Ok(opened)) => {
            let at = FrameCounter {
                boot: get(block, "boot").parse().expect("boot"),
                counter: get(block, "counter").parse().expect("counter"),
            };
            let message = expected_message(block, &to);
            assert_eq!(opened.at, at, "{name}");
            assert_eq!(opened.message, message, "{name}");
            let salt: [u8; 12] = bytes(get(block, "salt")).try_into().expect("12-byte salt");
            let resealed = seal(&key, &to, at, salt, &message).expect("seal");
            assert_eq!(
                hex(&resealed),
                hex(&frame),
                "{name}: sealing differs from WIRE.md"
            );
        }
        (want, Err(e)) => assert_eq!(refusal_name(&e), want, "{name}: {e}"),
        (want, Ok(opened)) => panic!("{name}: expected {want}, opened {opened:?}"),
    }
    want.to_string()
}

#[test]
fn sealed_vectors_open_or_are_refused_as_documented() {
    let text = std::fs::read_to_string(WIRE_MD).expect("read WIRE.md");
    let blocks = sealed_blocks(&text);
    assert!(blocks.len() >= 3, "only {} sealed vectors", blocks.len());
    let results: Vec<String> = blocks.iter().map(check).collect();
    for want in [
        "ok",
        "BadMac",
        "WrongDevice",
        "WrongTopic",
        "KeyVersion",
        "Truncated",
        "Plaintext",
        "Mismatch",
        "UnknownVersion",
    ] {
        assert!(results.iter().any(|r| r == want), "no {want} sealed vector");
    }
}

#[test]
fn the_documented_sealing_key_is_the_derived_one() {
    let text = std::fs::read_to_string(WIRE_MD).expect("read WIRE.md");
    let key = DeviceKey::from_bytes(std::array::from_fn(|i| i as u8));
    let documented = hex(&derive_bytes(&key));
    assert!(
        text.replace('\n', " ")
            .contains(&format!("`seal_key` is `{documented}`")),
        "WIRE.md §7.1 does not show seal_key {documented}"
    );
}

/// WIRE.md §7.4/§7.5: the good frames, in document order, each stand
/// after the one before; taken again, or the first after the last, they
/// are replays.
#[test]
fn good_sealed_vectors_are_in_replay_order() {
    let text = std::fs::read_to_string(WIRE_MD).expect("read WIRE.md");
    let at: Vec<FrameCounter> = sealed_blocks(&text)
        .iter()
        .filter(|b| get(b, "result") == "ok")
        .map(|b| FrameCounter {
            boot: get(b, "boot").parse().expect("boot"),
            counter: get(b, "counter").parse().expect("counter"),
        })
        .collect();
    assert!(
        at.len() >= 2,
        "need two good sealed vectors, found {}",
        at.len()
    );
    let mut guard = ReplayGuard::new();
    for position in &at {
        assert_eq!(
            guard.admit(*position),
            Ok(()),
            "{position:?} in document order"
        );
    }
    let last = at[at.len() - 1];
    assert!(guard.admit(last).is_err(), "the last frame taken twice");
    let mut reverse = ReplayGuard::new();
    assert_eq!(reverse.admit(last), Ok(()));
    assert!(
        reverse.admit(at[0]).is_err(),
        "the first frame after the last"
    );
}
