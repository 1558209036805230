//! Promise 10 over real processes and the real broker: device B, logged in
//! with its own credentials, attacks device A's return path. It reads
//! A's acks (and cannot open them), floods forged acks while A scans,
//! leaves a retained forged ack waiting while A is offline, and replays
//! genuine acks it captured. In every case A acts on no forged frame,
//! every confirmed scan of A is applied once at the hub, and A's journal
//! is never trimmed past what the hub applied.
//!
//! "Acted on" is measured, not assumed: A's closing log line says how
//! many acks it took, B counts the hub's genuine acks it saw on A's topic,
//! and any ack taken beyond those would be a forged one. Counts are
//! printed (`forged-acks ...` on stderr) for the closing note.

use agent::Journal;
use protocol::sealed::{seal, FrameCounter, Recipient};
use protocol::{encode, Ack, Message, SealError, SealKey};
use std::path::Path;
use std::time::Duration;
use tests::attacker::Attacker;
use tests::identity::{device_key, AckOpener};
use tests::procs::confirmed_seq;
use tests::watched::{AgentLog, WatchedAgent};
use tests::{free_port, hubapi, wait_until, Credentials, HubPorts, HubProc};

const A: &str = "dev-a";
const B: &str = "dev-b";
const ACK_A: &str = "wms/s1/dev/dev-a/ack";
const LONG: Duration = Duration::from_secs(60);

fn plain_ack(through_seq: u64) -> Vec<u8> {
    encode(&Message::Ack(Ack {
        site: "s1".into(),
        device: A.into(),
        epoch: 1,
        through_seq,
    }))
}

/// The best B can do with a key: seal an ack naming A with its own.
fn sealed_by_b(creds: &Credentials, through_seq: u64, counter: u64) -> Vec<u8> {
    let to = Recipient {
        site: "s1",
        device: A,
        topic: ACK_A,
        key_version: 1,
    };
    let key = SealKey::derive(&device_key(creds, B));
    let at = FrameCounter {
        boot: u32::MAX,
        counter,
    };
    let ack = Message::Ack(Ack {
        site: "s1".into(),
        device: A.into(),
        epoch: 1,
        through_seq,
    });
    seal(&key, &to, at, [0xee; 12], &ack).expect("seal")
}

fn on_hand(hub: &HubProc, sku: &str) -> i64 {
    let stock = hubapi::stock(hub.ports.http_addr()).expect("stock");
    let key = (sku.to_string(), "A-01".to_string(), String::new());
    stock.get(&key).copied().unwrap_or(0)
}

fn wait_applied(hub: &HubProc, through: u64) {
    wait_until("A's scans applied", LONG, || {
        hubapi::watermark(hub.ports.http_addr(), A)
            .ok()
            .filter(|&w| w >= through)
    })
    .expect("the hub did not apply A's scans");
}

/// Scans `n` receives of one unit of `sku`; returns the last confirmed seq.
fn scan_receives(
    a: &mut WatchedAgent,
    sku: &str,
    n: usize,
    mut after_each: impl FnMut(u64),
) -> u64 {
    let mut last = 0;
    for _ in 0..n {
        let answer = a.scan(&format!("receive {sku} A-01 1")).expect("answer");
        last = confirmed_seq(&answer).unwrap_or_else(|| panic!("not confirmed: {answer}"));
        after_each(last);
    }
    last
}

/// Opens A's journal (the agent stopped) and checks it against the hub:
/// nothing trimmed past the hub's watermark, every entry past the trim
/// point still there. Returns the journal's ack watermark.
fn check_journal(dir: &Path, hub_watermark: u64, confirmed: u64) -> u64 {
    let journal = Journal::open(dir).expect("A's journal opens");
    let acked = journal.acked();
    assert!(
        acked <= hub_watermark,
        "trimmed through {acked}, hub applied {hub_watermark}"
    );
    assert_eq!(journal.last_seq(), confirmed);
    let kept = journal
        .unacked(journal.epoch(), acked, usize::MAX)
        .expect("read journal")
        .len() as u64;
    assert_eq!(kept, confirmed - acked, "entries missing after {acked}");
    acked
}

/// Acks A took beyond the genuine ones B saw on A's topic.
fn acted_on(log: &AgentLog, b: &Attacker) -> u64 {
    let (taken, _) = log.stopped.expect("A's closing line");
    // B's view of the hub's frames may trail A's by a moment.
    let genuine = wait_until("B saw the hub's acks", Duration::from_secs(5), || {
        let seen = b.captured_from_others(ACK_A).len() as u64;
        (seen >= taken).then_some(seen)
    })
    .unwrap_or_else(|_| b.captured_from_others(ACK_A).len() as u64);
    taken.saturating_sub(genuine)
}

struct Outcome<'a> {
    case: &'a str,
    forged: u64,
    refused: u64,
    acted_on: u64,
    confirmed: u64,
    applied: i64,
    journal_acked: u64,
}

impl Outcome<'_> {
    fn report_and_check(&self) {
        let lost = self.confirmed as i64 - self.applied;
        eprintln!(
            "forged-acks {}: frames forged {}, refused {}, acted on {}, scans confirmed {}, \
             applied {}, lost {lost}, journal trimmed through {}",
            self.case,
            self.forged,
            self.refused,
            self.acted_on,
            self.confirmed,
            self.applied,
            self.journal_acked
        );
        assert_eq!(self.acted_on, 0, "{}: forged frames acted on", self.case);
        assert_eq!(lost, 0, "{}: scans lost", self.case);
    }
}

fn hub_with_devices(dir: &Path) -> (HubProc, Credentials) {
    let hub = HubProc::start(&dir.join("hub"), HubPorts::fresh(), "s1");
    let creds = hub.provision(&[A, B]);
    (hub, creds)
}

#[test]
fn forged_acks_flooded_while_a_scans_are_refused_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, creds) = hub_with_devices(dir.path());
    let b = Attacker::connect(&creds, B, hub.ports.mqtt);
    let journal = dir.path().join("a");
    let mut a = WatchedAgent::start(&journal, &hub.ports.mqtt_addr(), &creds, A, &[]);
    // Once the hub acked a first scan, A's ack subscription is in place
    // (it subscribes before it sends), so every forgery reaches it.
    scan_receives(&mut a, "SKU-F", 1, |_| {});
    wait_applied(&hub, 1);
    wait_until("a genuine ack", LONG, || {
        (!b.captured_from_others(ACK_A).is_empty()).then_some(())
    })
    .expect("B saw no ack for A");
    let confirmed = scan_receives(&mut a, "SKU-F", 299, |seq| {
        b.publish(ACK_A, plain_ack(seq + 100), false);
        b.publish(ACK_A, plain_ack(u64::MAX), false);
        b.publish(ACK_A, sealed_by_b(&creds, seq + 50, seq), false);
    });
    assert_eq!(confirmed, 300);
    wait_applied(&hub, confirmed);
    let forged = b.published();
    let refused = wait_until("A refused every forgery", LONG, || {
        let n = a.log().refused_for(&["not sealed", "bad seal"]);
        (n >= forged).then_some(n)
    })
    .unwrap_or_else(|e| panic!("{e}: {:?}", a.log()));
    let (clean, log) = a.terminate();
    assert!(clean, "A did not stop cleanly");
    let watermark = hubapi::watermark(hub.ports.http_addr(), A).unwrap();
    Outcome {
        case: "flood while scanning",
        forged,
        refused,
        acted_on: acted_on(&log, &b),
        confirmed,
        applied: on_hand(&hub, "SKU-F"),
        journal_acked: check_journal(&journal, watermark, confirmed),
    }
    .report_and_check();
}

#[test]
fn a_retained_forged_ack_waiting_for_an_offline_a_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, creds) = hub_with_devices(dir.path());
    let b = Attacker::connect(&creds, B, hub.ports.mqtt);
    let journal = dir.path().join("a");
    let config = dir.path().join("agent.toml");
    // One batch of 16 in flight: the shape that lost 184 scans before.
    std::fs::write(&config, "batch_max = 16\nmax_batches_in_flight = 1\n").unwrap();
    let config = config.to_str().unwrap();
    let nowhere = format!("127.0.0.1:{}", free_port());
    let mut a = WatchedAgent::start(&journal, &nowhere, &creds, A, &["--config", config]);
    let confirmed = scan_receives(&mut a, "SKU-R", 200, |_| {});
    assert!(a.terminate().0, "offline A did not stop cleanly");
    let forgery = plain_ack(confirmed);
    b.publish(ACK_A, forgery.clone(), true);
    wait_until("the broker took the retained ack", LONG, || {
        (b.occurrences(ACK_A, &forgery) > 0).then_some(())
    })
    .expect("no echo of the retained ack");
    let a = WatchedAgent::start(
        &journal,
        &hub.ports.mqtt_addr(),
        &creds,
        A,
        &["--config", config],
    );
    wait_applied(&hub, confirmed);
    // Refused as retained; were the broker to drop the flag, as a plain
    // (unsealed) ack. The hub's probe clears retained frames every 5 s, so
    // a slow start of A can miss the first one: B plants it again until A
    // has been handed one, as an attacker would.
    let refused = wait_until("A refused the retained ack", LONG, || {
        let n = a.log().refused_for(&["retained", "not sealed"]);
        if n == 0 {
            b.publish(ACK_A, forgery.clone(), true);
        }
        (n >= 1).then_some(n)
    })
    .expect("A never saw the retained ack");
    let (clean, log) = a.terminate();
    eprintln!("forged-acks retained: A's refusals {:?}", log.refused);
    assert!(clean, "A did not stop cleanly");
    let watermark = hubapi::watermark(hub.ports.http_addr(), A).unwrap();
    Outcome {
        case: "retained while offline",
        forged: b.published(),
        refused,
        acted_on: acted_on(&log, &b),
        confirmed,
        applied: on_hand(&hub, "SKU-R"),
        journal_acked: check_journal(&journal, watermark, confirmed),
    }
    .report_and_check();
}

#[test]
fn b_cannot_read_a_s_acks_and_replayed_genuine_acks_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, creds) = hub_with_devices(dir.path());
    let b = Attacker::connect(&creds, B, hub.ports.mqtt);
    let journal = dir.path().join("a");
    let mqtt = hub.ports.mqtt_addr();
    let mut a = WatchedAgent::start(&journal, &mqtt, &creds, A, &[]);
    let mut confirmed = scan_receives(&mut a, "SKU-P", 30, |_| {});
    wait_applied(&hub, confirmed);
    let captured = wait_until("B captured A's acks", LONG, || {
        Some(b.captured_from_others(ACK_A)).filter(|c| !c.is_empty())
    })
    .unwrap();
    // (a) What B reads: nothing in clear, nothing that opens with its key.
    let as_a = AckOpener::new(creds.device(A)).unwrap();
    let b_key = SealKey::derive(&device_key(&creds, B));
    let b_as_a = Recipient {
        site: "s1",
        device: A,
        topic: ACK_A,
        key_version: 1,
    };
    let mut readable_by_b = 0;
    for frame in &captured {
        assert!(as_a.through(ACK_A, frame).is_some(), "not a real ack of A");
        readable_by_b += u64::from(protocol::decode(frame).is_ok());
        readable_by_b += u64::from(
            AckOpener::new(creds.device(B))
                .unwrap()
                .through(ACK_A, frame)
                .is_some(),
        );
        let opened = protocol::sealed::open(&b_key, &b_as_a, frame);
        assert_eq!(opened.as_ref().err(), Some(&SealError::BadMac));
        readable_by_b += u64::from(opened.is_ok());
    }
    eprintln!(
        "forged-acks read: A's acks captured by B {}, readable by B {readable_by_b}",
        captured.len()
    );
    assert_eq!(readable_by_b, 0);
    // (d) B replays every genuine ack it captured.
    for frame in &captured {
        b.replay(ACK_A, frame.clone());
    }
    let replays = captured.len() as u64;
    let refused = wait_until("A refused the replays", LONG, || {
        let n = a.log().refused_for(&["replayed"]);
        (n >= replays).then_some(n)
    })
    .unwrap_or_else(|e| panic!("{e}: {:?}", a.log()));
    // Genuine acks still work after the replays.
    confirmed = scan_receives(&mut a, "SKU-P", 10, |_| {});
    wait_applied(&hub, confirmed);
    let (clean, log) = a.terminate();
    assert!(clean, "A did not stop cleanly");
    let watermark = hubapi::watermark(hub.ports.http_addr(), A).unwrap();
    Outcome {
        case: "replay of genuine acks",
        forged: replays,
        refused,
        acted_on: acted_on(&log, &b),
        confirmed,
        applied: on_hand(&hub, "SKU-P"),
        journal_acked: check_journal(&journal, watermark, confirmed),
    }
    .report_and_check();
    replay_after_restart(&hub, &creds, &b, &journal, &captured, confirmed);
}

/// After a restart A's replay guard is new, so an old authentic ack gets
/// past it; it is cumulative and below what the hub applied, and A trims
/// only what it published, so it changes nothing (WIRE.md §7.5).
fn replay_after_restart(
    hub: &HubProc,
    creds: &Credentials,
    b: &Attacker,
    journal: &Path,
    captured: &[Vec<u8>],
    confirmed: u64,
) {
    let before = Journal::open(journal).unwrap().acked();
    let mut a = WatchedAgent::start(journal, &hub.ports.mqtt_addr(), creds, A, &[]);
    // A new scan and its genuine ack show A is subscribed, then the replays.
    let confirmed = confirmed.max(scan_receives(&mut a, "SKU-P", 1, |_| {}));
    wait_applied(hub, confirmed);
    let last = captured.last().expect("captured acks");
    let seen = b.occurrences(ACK_A, last);
    for frame in captured {
        b.replay(ACK_A, frame.clone());
    }
    wait_until("the replays routed", LONG, || {
        (b.occurrences(ACK_A, last) > seen).then_some(())
    })
    .expect("replays not routed");
    let (clean, log) = a.terminate();
    assert!(clean);
    let watermark = hubapi::watermark(hub.ports.http_addr(), A).unwrap();
    let acked = check_journal(journal, watermark, confirmed);
    eprintln!(
        "forged-acks replay after restart: replayed {}, taken by the new run {:?}, journal \
         trimmed {before} -> {acked}, hub applied {watermark}, lost {}",
        captured.len(),
        log.stopped,
        confirmed as i64 - on_hand(hub, "SKU-P")
    );
    assert_eq!(on_hand(hub, "SKU-P"), confirmed as i64);
}
