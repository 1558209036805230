//! The simulated world: devices with durable journals and the agent's real
//! send logic, the hub model, and a network that drops, duplicates,
//! reorders, delays and partitions. Each step is one random event, among
//! them a journal wipe (factory reset: a new journal, a new epoch, seqs
//! from 1 again, while the old epoch's batches may still be in flight).
//! The invariants checked after every step are in [`super::checks`].

use super::hub_model::HubModel;
use super::rng::Rng;
use super::SimFailure;
use agent::{BatchRange, SendSettings, SendState};
use protocol::{EventBatch, Movement, MovementKind};
use std::time::{Duration, Instant};

/// Size and hostility of a run.
#[derive(Debug, Clone, Copy)]
pub struct SimConfig {
    /// Simulated devices.
    pub devices: usize,
    /// Random steps before the network heals and the world drains.
    pub steps: usize,
    /// Percent of deliveries that are dropped.
    pub drop_pct: u64,
    /// Percent of deliveries that are duplicated.
    pub dup_pct: u64,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            devices: 4,
            steps: 2000,
            drop_pct: 10,
            dup_pct: 10,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimReport {
    /// Scans confirmed on devices.
    pub confirmed: u64,
    /// Device crashes.
    pub device_crashes: u64,
    /// Journals wiped (each starts a new epoch).
    pub journal_wipes: u64,
    /// Hub crashes.
    pub hub_crashes: u64,
    /// Messages dropped by the network.
    pub dropped: u64,
    /// Messages duplicated by the network.
    pub duplicated: u64,
    /// Steps taken, quiescence included.
    pub steps: usize,
}

enum Msg {
    Batch(EventBatch),
    Ack {
        device: usize,
        epoch: u64,
        through: u64,
    },
}

pub(super) struct Device {
    pub(super) id: String,
    /// The journal's epoch.
    pub(super) epoch: u64,
    /// The durable journal: entry i has seq i + 1. Survives crashes.
    pub(super) journal: Vec<Movement>,
    /// Journals wiped before this one, with their epochs (for the checks:
    /// the hub may still apply their batches in flight).
    pub(super) retired: Vec<(u64, Vec<Movement>)>,
    pub(super) send: SendState,
    online: bool,
}

/// Everything in the simulation.
pub struct World {
    seed: u64,
    config: SimConfig,
    rng: Rng,
    base: Instant,
    now_ms: u64,
    pub(super) devices: Vec<Device>,
    pub(super) hub: HubModel,
    network: Vec<Msg>,
    pub(super) report: SimReport,
}

/// A journal epoch as the agent draws it: random, never 0.
fn draw_epoch(rng: &mut Rng) -> u64 {
    rng.next_u64().max(1)
}

fn settings() -> SendSettings {
    SendSettings {
        batch_max: 8,
        max_batches_in_flight: 4,
        resend_after: Duration::from_millis(200),
    }
}

impl World {
    /// A fresh world for `seed`.
    pub fn new(seed: u64, config: SimConfig) -> World {
        let mut rng = Rng::new(seed);
        let devices = (0..config.devices)
            .map(|i| {
                let epoch = draw_epoch(&mut rng);
                Device {
                    id: format!("dev-{i}"),
                    epoch,
                    journal: Vec::new(),
                    retired: Vec::new(),
                    send: SendState::new(settings(), epoch, 0, 0),
                    online: false,
                }
            })
            .collect();
        World {
            seed,
            config,
            rng,
            base: Instant::now(),
            now_ms: 0,
            devices,
            hub: HubModel::new(),
            network: Vec::new(),
            report: SimReport::default(),
        }
    }

    fn now(&self) -> Instant {
        self.base + Duration::from_millis(self.now_ms)
    }

    /// Runs the random phase, then heals everything and drains.
    pub fn run(mut self) -> Result<SimReport, SimFailure> {
        for d in 0..self.devices.len() {
            self.connect(d);
        }
        for step in 0..self.config.steps {
            self.random_step();
            self.check(step)?;
        }
        self.drain()?;
        Ok(self.report)
    }

    fn random_step(&mut self) {
        self.now_ms += self.rng.below(40);
        let d = self.rng.below(self.devices.len() as u64) as usize;
        match self.rng.below(100) {
            0..=29 => self.scan(d),
            30..=59 => self.deliver_one(true),
            60..=74 => self.hub_commit(),
            75..=86 => self.tick(d),
            87..=91 => self.toggle_partition(d),
            92..=94 => self.crash_device(d),
            95 => self.wipe_journal(d),
            _ => self.crash_hub(),
        }
    }

    fn scan(&mut self, d: usize) {
        let seq = self.devices[d].journal.len() as u64 + 1;
        let kind = if self.rng.chance(60) {
            MovementKind::Receive
        } else {
            MovementKind::Pick
        };
        let movement = Movement {
            seq,
            kind,
            sku: format!("SKU-{}", self.rng.below(3)),
            location: format!("L-{}", self.rng.below(2)),
            to_location: None,
            lot: None,
            quantity: self.rng.below(5) as i64 + 1,
            device_time_ms: self.now_ms,
            task: None,
        };
        self.devices[d].journal.push(movement);
        self.report.confirmed += 1;
        let now = self.now();
        let ranges = self.devices[d].send.recorded(seq, now);
        self.send(d, ranges);
    }

    fn send(&mut self, d: usize, ranges: Vec<BatchRange>) {
        let dev = &self.devices[d];
        if !dev.online {
            return;
        }
        for r in ranges {
            let movements = dev.journal[(r.first - 1) as usize..r.last as usize].to_vec();
            self.network.push(Msg::Batch(EventBatch {
                site: "sim".into(),
                device: dev.id.clone(),
                epoch: dev.epoch,
                first_seq: r.first,
                movements,
                auth_tag: None,
            }));
        }
    }

    /// Delivers one in-flight message, chosen at random (reordering), and
    /// maybe drops or duplicates it when `hostile`.
    fn deliver_one(&mut self, hostile: bool) {
        if self.network.is_empty() {
            return;
        }
        let i = if hostile {
            self.rng.below(self.network.len() as u64) as usize
        } else {
            0
        };
        let msg = self.network.remove(i);
        if hostile && self.rng.chance(self.config.drop_pct) {
            self.report.dropped += 1;
            return;
        }
        if hostile && self.rng.chance(self.config.dup_pct) {
            self.report.duplicated += 1;
            let copy = match &msg {
                Msg::Batch(b) => Msg::Batch(b.clone()),
                Msg::Ack {
                    device,
                    epoch,
                    through,
                } => Msg::Ack {
                    device: *device,
                    epoch: *epoch,
                    through: *through,
                },
            };
            self.network.push(copy);
        }
        match msg {
            Msg::Batch(b) => self.hub.receive(b),
            Msg::Ack {
                device,
                epoch,
                through,
            } => self.ack_arrives(device, epoch, through),
        }
    }

    fn ack_arrives(&mut self, d: usize, epoch: u64, through: u64) {
        if !self.devices[d].online {
            return;
        }
        let now = self.now();
        // An old epoch's ack must trim nothing: the send state ignores it.
        let outcome = self.devices[d].send.ack_received(epoch, through, now);
        self.send(d, outcome.send);
    }

    fn hub_commit(&mut self) {
        for (stream, through) in self.hub.commit() {
            if let Some(d) = self.devices.iter().position(|x| x.id == stream.device) {
                if self.devices[d].online {
                    self.network.push(Msg::Ack {
                        device: d,
                        epoch: stream.epoch,
                        through,
                    });
                }
            }
        }
    }

    fn tick(&mut self, d: usize) {
        let now = self.now();
        let ranges = self.devices[d].send.tick(now);
        self.send(d, ranges);
    }

    fn connect(&mut self, d: usize) {
        self.devices[d].online = true;
        let now = self.now();
        let ranges = self.devices[d].send.connected(now);
        self.send(d, ranges);
    }

    fn toggle_partition(&mut self, d: usize) {
        if self.devices[d].online {
            self.devices[d].online = false;
            self.devices[d].send.disconnected();
        } else {
            self.connect(d);
        }
    }

    /// Power loss on a device: the journal (flushed before every
    /// confirmation) stays; the send state and the acked mark in memory go.
    /// The acked mark is rebuilt as the journal's persisted one would be:
    /// at most what the hub made durable.
    fn crash_device(&mut self, d: usize) {
        self.report.device_crashes += 1;
        let recorded = self.devices[d].journal.len() as u64;
        let acked = self.devices[d].send.acked();
        let epoch = self.devices[d].epoch;
        self.devices[d].send = SendState::new(settings(), epoch, acked, recorded);
        self.devices[d].online = false;
        if self.rng.chance(70) {
            self.connect(d);
        }
    }

    /// A factory reset: the journal is gone, unacknowledged scans with it
    /// (by design: they were deleted), and the device restarts with a new
    /// journal in a new epoch. Its old batches may still be on the wire.
    fn wipe_journal(&mut self, d: usize) {
        self.report.journal_wipes += 1;
        let epoch = draw_epoch(&mut self.rng);
        let dev = &mut self.devices[d];
        let old = std::mem::take(&mut dev.journal);
        dev.retired.push((dev.epoch, old));
        dev.epoch = epoch;
        dev.send = SendState::new(settings(), epoch, 0, 0);
        dev.online = false;
        if self.rng.chance(70) {
            self.connect(d);
        }
    }

    fn crash_hub(&mut self) {
        self.report.hub_crashes += 1;
        self.hub.crash();
    }

    /// Heals the network, then delivers in order until every device's
    /// journal is applied, ticking time forward so resends fire.
    fn drain(&mut self) -> Result<(), SimFailure> {
        for d in 0..self.devices.len() {
            if !self.devices[d].online {
                self.connect(d);
            }
        }
        for round in 0..10_000 {
            let step = self.config.steps + round;
            self.report.steps = step;
            if self.all_applied() {
                return self.check(step);
            }
            self.now_ms += 250;
            for d in 0..self.devices.len() {
                self.tick(d);
            }
            while !self.network.is_empty() {
                self.deliver_one(false);
                self.hub_commit();
            }
            self.check(step)?;
        }
        Err(self.fail(
            self.config.steps + 10_000,
            "did not drain after healing".into(),
        ))
    }

    pub(super) fn fail(&self, step: usize, message: String) -> SimFailure {
        SimFailure {
            seed: self.seed,
            step,
            message,
        }
    }
}
