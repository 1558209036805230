//! The pipelined writer, driven through its command queue over a real
//! store, a gate (the flusher's test hook) holding or failing each flush:
//! answers and acks wait for the flush that makes their group durable
//! while the next group is written, and a failed flush or a refused write
//! fails its group and those on top, with nothing lost on retry.

use super::*;
use crate::clock::ManualClock;
use crate::devices::{BookEntry, DeviceBook};
use crate::errors::PoolError;
use crate::pool::StockKey;
use crate::reservations::{RequestLine, ReserveRequest, SharedReservation, DEFAULT_HOLD_MS};
use bytes::Bytes;
use protocol::{encode_signed, DeviceKey, EventBatch, Movement, MovementKind};
use std::path::PathBuf;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// What the gate in front of each flush does now.
#[derive(Default)]
struct GateState {
    /// Flushes wait while this is set.
    hold: bool,
    /// The next flush fails with this.
    fail: Option<String>,
    /// Flushes waiting at the gate now.
    waiting: usize,
}

#[derive(Default)]
struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

impl Gate {
    fn hook(self: &Arc<Gate>) -> flusher::FlushHook {
        let gate = self.clone();
        Arc::new(move || {
            let mut state = gate.state.lock().expect("gate");
            state.waiting += 1;
            gate.changed.notify_all();
            while state.hold {
                state = gate.changed.wait(state).expect("gate");
            }
            state.waiting -= 1;
            state.fail.take().map_or(Ok(()), Err)
        })
    }

    fn set(&self, change: impl FnOnce(&mut GateState)) {
        change(&mut self.state.lock().expect("gate"));
        self.changed.notify_all();
    }

    /// Waits until a flush is held at the gate.
    fn wait_held(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut state = self.state.lock().expect("gate");
        while state.waiting == 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no flush reached the gate");
            state = self.changed.wait_timeout(state, left).expect("gate").0;
        }
    }
}

/// Polls `condition` until it holds (10 s at most).
fn wait_for<T>(what: &str, mut condition: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = condition() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn key() -> DeviceKey {
    DeviceKey::from_bytes([7; 32])
}

/// A running writer over a fresh store, device d1 registered.
struct Rig {
    _dir: tempfile::TempDir,
    store: Store,
    metrics: Arc<Metrics>,
    reserved: Arc<ReservedView>,
    gate: Arc<Gate>,
    commands: Option<mpsc::Sender<Command>>,
    acks: mpsc::UnboundedReceiver<AckRelease>,
    thread: Option<std::thread::JoinHandle<Result<(), StoreError>>>,
    floor: PathBuf,
}

impl Rig {
    fn start() -> Rig {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("store")).expect("open");
        let metrics = Arc::new(Metrics::default());
        let mut book = DeviceBook::default();
        book.insert("d1", BookEntry::new("s1", key(), "p"));
        let floor = dir.path().join("floor");
        std::fs::create_dir(&floor).expect("floor dir");
        let gate = Arc::new(Gate::default());
        let reserved = Arc::new(ReservedView::default());
        let writer = Writer::new(
            "s1".into(),
            store.clone(),
            metrics.clone(),
            Arc::default(),
            500,
            Arc::new(ManualClock::new(1_800_000_000_000)),
            reserved.clone(),
        )
        .expect("writer")
        .with_devices(Devices::new(book))
        .with_disk_floor(DiskFloor {
            dir: floor.clone(),
            min_free_bytes: 0,
        })
        .with_flush_hook(gate.hook());
        let (tx, rx) = mpsc::channel(1024);
        let (ack_tx, acks) = mpsc::unbounded_channel();
        let thread = std::thread::spawn(move || writer.run(rx, ack_tx));
        Rig {
            _dir: dir,
            store,
            metrics,
            reserved,
            gate,
            commands: Some(tx),
            acks,
            thread: Some(thread),
            floor,
        }
    }

    fn send(&self, cmd: Command) {
        let commands = self.commands.as_ref().expect("running");
        commands.blocking_send(cmd).expect("writer gone");
    }

    /// Sends d1's movements `seqs` (receipts of `quantity` of SKU A).
    fn scan(&self, seqs: std::ops::RangeInclusive<u64>, quantity: i64) {
        let movement = |seq| Movement {
            seq,
            kind: MovementKind::Receive,
            sku: "A".into(),
            location: "L1".into(),
            to_location: None,
            lot: None,
            quantity,
            device_time_ms: 0,
            task: None,
        };
        let batch = EventBatch {
            site: "s1".into(),
            device: "d1".into(),
            epoch: 1,
            first_seq: *seqs.start(),
            movements: seqs.map(movement).collect(),
            auth_tag: None,
        };
        self.send(Command::Publish {
            topic: "wms/s1/dev/d1/events".into(),
            payload: Bytes::from(encode_signed(&key(), &batch)),
            arrived: std::time::Instant::now(),
        });
    }

    /// Asks to hold `quantity` of SKU A under idempotency key `key`.
    fn reserve(&self, key: &str, quantity: i64) -> Answer<(SharedReservation, bool)> {
        let (reply, answer) = oneshot::channel();
        let request = ReserveRequest {
            order_ref: format!("order-{key}"),
            idempotency_key: Some(key.into()),
            lines: vec![RequestLine {
                sku: "A".into(),
                quantity,
            }],
            hold_ms: DEFAULT_HOLD_MS,
        };
        self.send(Command::Reserve { request, reply });
        answer
    }

    /// The highest ack for d1 so far (0: none).
    fn acked(&mut self) -> u64 {
        let mut through = 0;
        while let Ok(set) = self.acks.try_recv() {
            through = through.max(set.set.values().copied().max().unwrap_or(0));
        }
        through
    }

    /// Waits until the writer has taken every command sent.
    fn wait_taken(&self) {
        let commands = self.commands.as_ref().expect("running");
        wait_for("the writer to take its commands", || {
            (commands.capacity() == commands.max_capacity()).then_some(())
        });
    }

    /// Ends the commands and waits for the writer to settle everything.
    fn stop(&mut self) -> Store {
        self.commands.take();
        let thread = self.thread.take().expect("running");
        thread
            .join()
            .expect("writer panicked")
            .expect("writer failed");
        self.store.clone()
    }
}

type Answer<T> = oneshot::Receiver<Result<T, PoolError>>;

/// Nothing yet: the answer is still held back.
fn unanswered<T: std::fmt::Debug>(answer: &mut Answer<T>) {
    match answer.try_recv() {
        Err(oneshot::error::TryRecvError::Empty) => {}
        other => panic!("answered before its flush: {other:?}"),
    }
}

/// Waits for an answer.
fn answer<T>(answer: &mut Answer<T>) -> Result<T, PoolError> {
    wait_for("an answer", || answer.try_recv().ok())
}

fn errors(rig: &Rig) -> u64 {
    rig.metrics
        .commit_errors
        .load(std::sync::atomic::Ordering::Relaxed)
}

/// Waits until the store holds (written, maybe not yet durable) `on_hand`
/// units of A and `holds` reservations.
fn wait_stored(store: &Store, on_hand_now: i64, holds: usize) {
    wait_for("the writer to write the groups", || {
        let reservations = store.all_reservations().expect("read").len();
        (on_hand(store) == on_hand_now && reservations == holds).then_some(())
    });
}

fn on_hand(store: &Store) -> i64 {
    let rows = store.stock_rows(Some("A")).expect("stock");
    rows.iter().map(|r| r.on_hand).sum()
}

fn key_a() -> StockKey {
    StockKey {
        sku: "A".into(),
        location: "L1".into(),
        lot: String::new(),
    }
}

#[test]
fn answers_wait_for_their_flush_while_the_next_group_is_written() {
    let mut rig = Rig::start();
    rig.scan(1..=1, 10);
    wait_for("the ack of seq 1", || (rig.acked() == 1).then_some(()));

    rig.gate.set(|g| g.hold = true);
    let mut first = rig.reserve("r1", 3);
    rig.gate.wait_held();
    assert!(rig.store.written_commits() > rig.store.durable_commits());
    // Readers see the store as written; the reserved totals move with it.
    assert_eq!(rig.reserved.of("A"), 3);
    // The first group's flush is held: the writer still takes and applies
    // the next commands, and writes the scan (at most two groups: one
    // waits for the flusher, the writer waits behind it).
    let (availability, mut live) = oneshot::channel();
    rig.send(Command::Availability {
        sku: "A".into(),
        reply: availability,
    });
    rig.wait_taken();
    rig.scan(2..=2, 5);
    wait_stored(&rig.store, 15, 1);
    // Nothing goes out before a flush covers it: not the hold, not the
    // ack, not even a read of what the unflushed groups hold.
    unanswered(&mut first);
    unanswered(&mut live);
    assert_eq!(rig.acked(), 0, "an ack went out before its flush");

    rig.gate.set(|g| g.hold = false);
    let (r1, new) = answer(&mut first).expect("r1 held");
    assert!(new);
    assert_eq!(answer(&mut live).expect("availability").available, 10 - 3);
    wait_for("the ack of seq 2", || (rig.acked() == 2).then_some(()));
    let store = rig.stop();
    assert_eq!(store.durable_commits(), store.written_commits());
    assert_eq!(on_hand(&store), 15);
    assert!(store.reservation(r1.id).expect("read").is_some());
}

#[test]
fn a_failed_flush_fails_its_group_and_the_groups_written_on_top() {
    let mut rig = Rig::start();
    rig.scan(1..=1, 10);
    wait_for("the ack of seq 1", || (rig.acked() == 1).then_some(()));
    let errors_before = errors(&rig);

    rig.gate.set(|g| {
        g.hold = true;
        g.fail = Some("injected flush failure".into());
    });
    let mut first = rig.reserve("r1", 3);
    rig.gate.wait_held();
    rig.scan(2..=2, 5);
    let mut second = rig.reserve("r2", 4);
    wait_stored(&rig.store, 15, 2);
    rig.gate.set(|g| g.hold = false);

    assert_eq!(answer(&mut first).expect_err("r1"), PoolError::CommitFailed);
    assert_eq!(
        answer(&mut second).expect_err("r2"),
        PoolError::CommitFailed
    );
    // The flusher sends acks before it hands answers on: none came.
    assert_eq!(rig.acked(), 0, "a failed group was acked");
    assert!(errors(&rig) >= errors_before + 2);
    assert!(rig.metrics.commit_failing().is_some());

    // Devices resend and callers retry: each is taken once, nothing lost
    // and nothing doubled.
    rig.scan(2..=2, 5);
    wait_for("the ack of seq 2", || (rig.acked() == 2).then_some(()));
    let mut retry1 = rig.reserve("r1", 3);
    let mut retry2 = rig.reserve("r2", 4);
    let (r1, _) = answer(&mut retry1).expect("r1 on retry");
    let (r2, _) = answer(&mut retry2).expect("r2 on retry");
    assert_ne!(r1.id, r2.id);
    rig.scan(3..=3, 1);
    wait_for("the ack of seq 3", || (rig.acked() == 3).then_some(()));
    assert!(rig.metrics.commit_failing().is_none());
    let store = rig.stop();
    let reopened = store.load_pool().expect("load");
    assert_eq!(reopened.on_hand(&key_a()), 16, "seq 2 applied once");
    assert_eq!(
        reopened.available("A"),
        16 - 7,
        "each reservation held once"
    );
}

#[test]
fn a_refused_write_fails_only_its_group_and_the_one_flushing_completes() {
    let mut rig = Rig::start();
    rig.scan(1..=1, 10);
    wait_for("the ack of seq 1", || (rig.acked() == 1).then_some(()));

    rig.gate.set(|g| g.hold = true);
    let mut first = rig.reserve("r1", 3);
    rig.gate.wait_held();
    // The disk floor cannot be read now: the next write is refused.
    std::fs::remove_dir(&rig.floor).expect("remove floor dir");
    let mut refused = rig.reserve("r2", 4);
    rig.wait_taken();
    unanswered(&mut first);
    rig.gate.set(|g| g.hold = false);
    assert!(answer(&mut first).expect("r1 held").1);
    assert_eq!(
        answer(&mut refused).expect_err("r2"),
        PoolError::CommitFailed
    );

    assert!(errors(&rig) > 0, "the refusal is counted");
    std::fs::create_dir(&rig.floor).expect("floor dir back");
    rig.scan(2..=2, 5);
    wait_for("the ack of seq 2", || (rig.acked() == 2).then_some(()));
    let store = rig.stop();
    let pool = store.load_pool().expect("load");
    assert_eq!(pool.on_hand(&key_a()), 15);
    assert_eq!(pool.available("A"), 15 - 3, "the refused hold is not there");
    assert_eq!(store.all_reservations().expect("read").len(), 1);
}

#[test]
fn shutdown_settles_every_flight_and_answers_only_durable_ones() {
    let mut rig = Rig::start();
    rig.scan(1..=1, 10);
    wait_for("the ack of seq 1", || (rig.acked() == 1).then_some(()));
    rig.gate.set(|g| g.hold = true);
    let mut first = rig.reserve("r1", 3);
    rig.gate.wait_held();
    // The commands end while the flush is held: the writer must not
    // answer, nor end, before it returns.
    rig.commands.take();
    unanswered(&mut first);
    assert!(!rig.thread.as_ref().expect("running").is_finished());
    rig.gate.set(|g| g.hold = false);
    let store = rig.stop();
    assert!(answer(&mut first).expect("r1 held").1);
    assert_eq!(store.durable_commits(), store.written_commits());
}
