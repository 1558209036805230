//! The send state machine against a simulated hub that keeps a watermark
//! per journal epoch, loses batches and connections, sees acks of other
//! epochs and has the journal wiped under it: the invariants hold at every
//! step, no other epoch's ack ever acts, and a good link drains everything.

use super::*;
use proptest::prelude::*;
use std::collections::HashMap;

fn settings(batch_max: usize, window: usize) -> SendSettings {
    SendSettings {
        batch_max,
        max_batches_in_flight: window,
        resend_after: Duration::from_secs(1),
    }
}

/// What the test driver does next.
#[derive(Debug, Clone)]
enum Op {
    Record(u8),
    Connect,
    Disconnect,
    /// Deliver the oldest published batch to the hub (or lose it).
    Deliver {
        lose: bool,
    },
    Tick(u16),
    FailNext,
    /// An ack for another epoch arrives (an old journal's or a forger's).
    OtherEpochAck(u64),
    /// The journal is wiped under the running agent: a new epoch from 1.
    Wipe,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<u8>().prop_map(Op::Record),
        1 => Just(Op::Connect),
        1 => Just(Op::Disconnect),
        6 => any::<bool>().prop_map(|lose| Op::Deliver { lose }),
        3 => (0u16..3000).prop_map(Op::Tick),
        1 => Just(Op::FailNext),
        1 => any::<u64>().prop_map(Op::OtherEpochAck),
        1 => Just(Op::Wipe),
    ]
}

/// A hub that keeps a watermark per epoch, applies a batch only if it
/// starts at or below that epoch's watermark + 1, like the real one, and
/// acks (epoch, watermark).
struct Sim {
    state: SendState,
    now: Instant,
    /// Epoch -> watermark.
    hub: HashMap<u64, u64>,
    /// Published batches in flight, with the epoch they were sent in.
    wire: VecDeque<(u64, BatchRange)>,
    journal_epoch: u64,
    journal_last: u64,
    journal_acked: u64,
}

impl Sim {
    fn new(batch_max: usize, window: usize) -> Sim {
        Sim {
            state: SendState::new(settings(batch_max, window), 1, 0, 0),
            now: Instant::now(),
            hub: HashMap::new(),
            wire: VecDeque::new(),
            journal_epoch: 1,
            journal_last: 0,
            journal_acked: 0,
        }
    }

    fn watermark(&self, epoch: u64) -> u64 {
        self.hub.get(&epoch).copied().unwrap_or(0)
    }

    fn publish(&mut self, ranges: Vec<BatchRange>) {
        let settings = self.state.settings;
        for range in ranges {
            assert!(range.first > self.state.acked());
            assert!(range.first <= range.last && range.last <= self.journal_last);
            assert!(range.len() <= settings.batch_max as u64);
            self.wire.push_back((self.state.epoch(), range));
        }
        self.check();
    }

    fn check(&self) {
        let s = &self.state;
        assert_eq!(s.epoch(), self.journal_epoch);
        assert!(s.acked() <= s.sent_through() && s.sent_through() <= s.recorded_through());
        assert!(s.batches_in_flight() <= s.settings.max_batches_in_flight);
        assert_eq!(s.acked(), self.journal_acked);
        assert!(s.acked() <= self.watermark(self.journal_epoch));
    }

    fn ack(&mut self, epoch: u64, through: u64) {
        let before = (self.state.acked(), self.state.sent_through());
        let out = self.state.ack_received(epoch, through, self.now);
        if epoch != self.journal_epoch {
            assert_eq!(out, AckOutcome::default(), "another epoch's ack acted on");
            assert_eq!((self.state.acked(), self.state.sent_through()), before);
            return;
        }
        if let Some(t) = out.trim_through {
            assert!(t > self.journal_acked, "trim must move forward");
            self.journal_acked = t;
        }
        self.publish(out.send);
    }

    fn step(&mut self, op: Op) {
        match op {
            Op::Record(n) => {
                self.journal_last += u64::from(n % 8);
                let out = self.state.recorded(self.journal_last, self.now);
                self.publish(out);
            }
            Op::Connect if !self.state.is_connected() => {
                self.wire.clear();
                let out = self.state.connected(self.now);
                if let Some(first) = out.first() {
                    assert_eq!(first.first, self.state.acked() + 1, "resend from the ack");
                }
                self.publish(out);
            }
            Op::Connect => {}
            Op::Disconnect => {
                self.wire.clear();
                self.state.disconnected();
            }
            Op::Deliver { lose } => {
                if let Some((epoch, range)) = self.wire.pop_front() {
                    let watermark = self.watermark(epoch);
                    if !lose && range.first <= watermark + 1 {
                        self.hub.insert(epoch, watermark.max(range.last));
                    }
                    self.ack(epoch, self.watermark(epoch));
                }
            }
            Op::Tick(ms) => {
                self.now += Duration::from_millis(u64::from(ms));
                let out = self.state.tick(self.now);
                self.publish(out);
            }
            Op::FailNext => {
                if let Some((_, range)) = self.wire.pop_back() {
                    self.state.send_failed(range.first, self.now);
                    self.wire.retain(|(_, r)| r.first < range.first);
                }
            }
            Op::OtherEpochAck(through) => {
                let other = self.journal_epoch.wrapping_add(1 + through % 3);
                self.ack(other, through);
            }
            Op::Wipe => {
                // Batches of the old epoch may still be on the wire.
                self.journal_epoch += 10;
                self.journal_last = 0;
                self.journal_acked = 0;
                let out = self.state.restart(self.journal_epoch, 0, 0, self.now);
                assert!(out.is_empty(), "a new journal has nothing to send");
            }
        }
        self.check();
    }
}

proptest! {
    #[test]
    fn invariants_hold_and_a_good_link_drains_everything(
        ops in proptest::collection::vec(op(), 0..200),
        batch_max in 1usize..20,
        window in 1usize..6,
    ) {
        let mut sim = Sim::new(batch_max, window);
        for op in ops {
            sim.step(op);
        }
        // Then the link heals: connect, deliver everything, tick as needed.
        sim.step(Op::Connect);
        for _ in 0..10_000 {
            if sim.journal_acked == sim.journal_last {
                break;
            }
            if sim.wire.is_empty() {
                sim.step(Op::Tick(1000));
            } else {
                sim.step(Op::Deliver { lose: false });
            }
        }
        prop_assert_eq!(sim.journal_acked, sim.journal_last);
        prop_assert_eq!(sim.state.backlog(), 0);
    }
}
