//! The single writer: the one thread that owns the pool.
//!
//! It waits for a command, then drains everything else already pending,
//! applies it all to the in-memory pool and writes the changes in one
//! atomic sled batch. The flush that makes them durable runs on the
//! flusher thread ([`flusher`]), which releases the acks and the HTTP
//! answers only once it returns; meanwhile the writer gathers, applies and
//! writes the next group (a two-stage pipeline). Under load commands pile
//! up while a flush runs, so the next group is bigger and one flush serves
//! more of them (group commit). Device publishes and API commands share
//! the one queue, so a reservation and a pick can never race.

pub mod commands;
pub mod customers;
mod flusher;
mod group;
pub mod intake;
pub mod labels;
pub mod orders;
#[cfg(test)]
mod pipeline_tests;
pub mod reserved_view;
mod settings;

/// Who is sent something once a group is durable.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Devices whose work queue changed (or must be sent again).
    pub queues: Vec<String>,
    /// Printer stations with label jobs to send.
    pub stations: Vec<String>,
    /// Orders whose label printed: their tracking numbers go back to
    /// their platforms.
    pub labelled: Vec<u64>,
}

impl Outgoing {
    /// Nobody.
    pub fn is_empty(&self) -> bool {
        self.queues.is_empty() && self.stations.is_empty() && self.labelled.is_empty()
    }
}

use crate::clock::SharedClock;
use crate::devices::fleet::Fleet;
use crate::devices::Devices;
use crate::metrics::Metrics;
use crate::pool::{DeviceEpoch, Pool};
use crate::reconcile::{self, worker};
use crate::safety::SafetyRule;
use crate::store::floor::DiskFloor;
use crate::store::{Store, StoreError};
pub use crate::writer::commands::{call, Command, Reply};
use crate::writer::flusher::{Flight, Flusher, Line};
use crate::writer::group::{Applied, ReconcileJob};
use crate::writer::reserved_view::ReservedView;
use commands::Pending;
pub use flusher::AckRelease;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::mpsc;
use tracing::{error, info};

/// Longest wait for the rest of a group (see [`Writer::gather`]). Spent
/// yielding, not sleeping: a sleep rounds up to the timer slack (~60 us),
/// which measured worse than not waiting at all.
const LINGER: std::time::Duration = std::time::Duration::from_micros(100);

/// How often at most the writer counts the pool for `/metrics` (orders,
/// tasks, label jobs by state); the sweeper's commands keep it fresh on an
/// idle hub.
const CENSUS_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Acks to publish after a commit: (device, epoch) -> acknowledged-through
/// seq.
pub type AckSet = HashMap<DeviceEpoch, u64>;

/// The writer's state: the pool, where it is stored, and its limits.
pub struct Writer {
    site: String,
    store: Store,
    pool: Pool,
    metrics: Arc<Metrics>,
    fleet: Arc<Fleet>,
    max_group_movements: usize,
    clock: SharedClock,
    reserved: Arc<ReservedView>,
    devices: Devices,
    disk_floor: Option<DiskFloor>,
    /// The key to customers' data; without it orders are refused.
    desk: Option<orders::Desk>,
    /// What was set on the pool, for a reload after a failed group.
    settings: settings::PoolSettings,
    /// Where the devices whose work queue changed go once durable.
    queue_notices: Option<mpsc::UnboundedSender<Outgoing>>,
    /// Where each durable group's change-feed events go.
    feed: Option<crate::feed::FeedBus>,
    /// Raised after every failed group: a flight of an older generation
    /// may sit on top of a failed one (see [`flusher`]).
    generation: u64,
    #[cfg(test)]
    flush_hook: Option<flusher::FlushHook>,
}

impl Writer {
    /// A writer over a pool loaded from `store`. Holds that expired while
    /// the hub was down are released (and committed) here, before any
    /// command is taken.
    pub fn new(
        site: String,
        store: Store,
        metrics: Arc<Metrics>,
        fleet: Arc<Fleet>,
        max_group_movements: usize,
        clock: SharedClock,
        reserved: Arc<ReservedView>,
    ) -> Result<Writer, StoreError> {
        let pool = store.load_pool()?;
        let mut writer = Writer {
            site,
            store,
            pool,
            metrics,
            fleet,
            max_group_movements,
            clock,
            reserved,
            devices: Devices::default(),
            disk_floor: None,
            desk: None,
            queue_notices: None,
            feed: None,
            settings: settings::PoolSettings::default(),
            generation: 1,
            #[cfg(test)]
            flush_hook: None,
        };
        let expired = writer.pool.sweep(writer.clock.now_ms());
        if expired > 0 {
            info!(
                expired,
                "released holds that expired while the hub was down"
            );
        }
        writer.commit_pending()?;
        writer.reserved.reset(writer.pool.reserved_totals());
        Ok(writer)
    }

    /// Checks device batches against `devices` (the registry snapshot the
    /// hub keeps current); without it every batch is from an unknown device.
    pub fn with_devices(mut self, devices: Devices) -> Writer {
        self.devices = devices;
        self
    }

    /// Sends the devices whose work queue changed and the stations with
    /// label jobs to send, after each durable group, to `notices` (the
    /// MQTT side reads and seals their queues and jobs).
    pub fn with_queue_notices(mut self, notices: mpsc::UnboundedSender<Outgoing>) -> Writer {
        self.queue_notices = Some(notices);
        self
    }

    /// Puts each durable group's change-feed events on `bus`.
    pub fn with_feed(mut self, bus: crate::feed::FeedBus) -> Writer {
        self.feed = Some(bus);
        self
    }

    /// Commits a group only while the disk has `floor`'s free space.
    pub fn with_disk_floor(mut self, floor: DiskFloor) -> Writer {
        self.disk_floor = Some(floor);
        self
    }

    /// Runs `hook` before every flush (tests hold or fail flushes with it).
    #[cfg(test)]
    pub(crate) fn with_flush_hook(mut self, hook: flusher::FlushHook) -> Writer {
        self.flush_hook = Some(hook);
        self
    }

    /// Applies safety rules from the config (they win over stored ones).
    pub fn apply_safety_rules(&mut self, rules: &[(String, SafetyRule)]) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        for (sku, rule) in rules {
            if self.pool.safety_rule(sku) != Some(*rule) {
                self.pool.set_safety(sku, Some(*rule), now);
            }
        }
        self.commit_pending()
    }

    fn commit_pending(&mut self) -> Result<(), StoreError> {
        let changes = self.pool.take_changes_with_feed(self.clock.now_ms());
        if !changes.is_empty() {
            self.store.commit(&changes)?;
        }
        self.reserved.publish(&changes.reserved);
        Ok(())
    }

    /// The pool (read only; for tests and benchmarks).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Runs until every sender is dropped and the queue is empty; each
    /// group's acks and answers go out only after the flush that made it
    /// durable. The flusher hands answers to a courier thread, so waking
    /// the callers overlaps with the next flush instead of delaying it.
    pub fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        acks: mpsc::UnboundedSender<AckRelease>,
    ) -> Result<(), StoreError> {
        let spawn_failed = |e: std::io::Error| StoreError::Sled(e.into());
        let (courier, answers) = std::sync::mpsc::channel::<(Vec<Pending>, bool)>();
        let store = self.store.clone();
        let courier_thread = std::thread::Builder::new()
            .name("pool-answers".into())
            .spawn(move || {
                for (group, committed) in answers {
                    for answer in group {
                        answer.deliver(&store, committed);
                    }
                }
            })
            .map_err(spawn_failed)?;
        let (reconciler, worker_thread) =
            worker::spawn(self.store.clone()).map_err(spawn_failed)?;
        let (line, flusher_thread) = Flusher {
            store: self.store.clone(),
            metrics: self.metrics.clone(),
            acks,
            queues: self.queue_notices.take(),
            feed: self.feed.take(),
            courier,
            reconciler,
            #[cfg(test)]
            hook: self.flush_hook.take(),
        }
        .spawn()
        .map_err(spawn_failed)?;
        let result = self.serve(&mut commands, &line);
        // The flusher settles every flight still in the line, then ends,
        // dropping the courier's and the worker's senders.
        drop(line);
        let _ = flusher_thread.join();
        let _ = courier_thread.join();
        let _ = worker_thread.join();
        result
    }

    fn serve(
        &mut self,
        commands: &mut mpsc::Receiver<Command>,
        line: &Line,
    ) -> Result<(), StoreError> {
        let mut last_group = 0usize;
        let mut census_due = std::time::Instant::now();
        while let Some(first) = commands.blocking_recv() {
            let group = self.gather(first, commands, last_group);
            last_group = group.len();
            self.metrics.group_commands.observe(group.len() as f64);
            let waiting = commands.len() as u64;
            self.metrics.writer_queue.store(waiting, Ordering::Relaxed);
            if line.poisoned(self.generation) {
                self.recover(line)?;
            }
            let applied = self.apply(group);
            self.write(applied, line)?;
            // A walk over the pool's memory: at most once a CENSUS_EVERY.
            if std::time::Instant::now() >= census_due {
                self.metrics.set_census(self.pool.census());
                census_due = std::time::Instant::now() + CENSUS_EVERY;
            }
        }
        Ok(())
    }

    /// Drains what is pending into one group. When the group is smaller
    /// than the last one, the callers of the last group are probably
    /// still sending: wait up to [`LINGER`] for them, so that one flush
    /// serves them all instead of two flushes serving halves.
    fn gather(
        &self,
        first: Command,
        commands: &mut mpsc::Receiver<Command>,
        last_group: usize,
    ) -> Vec<Command> {
        let mut group = vec![first];
        let mut weight = 0usize;
        let linger_until = std::time::Instant::now() + LINGER;
        while weight < self.max_group_movements {
            match commands.try_recv() {
                Ok(cmd) => {
                    weight += command_weight(&cmd);
                    group.push(cmd);
                }
                Err(mpsc::error::TryRecvError::Empty)
                    if group.len() < last_group && std::time::Instant::now() < linger_until =>
                {
                    std::thread::yield_now()
                }
                Err(_) => break,
            }
        }
        group
    }

    /// Writes an applied group into the store (not yet durable) and hands
    /// it to the flusher. A group that cannot be written (the disk floor,
    /// a store error), or that sits on a group whose flush failed, fails:
    /// nothing of it is acked or confirmed, the pool is reloaded from the
    /// store once the flights before it are settled, so devices resend,
    /// callers hear the failure, and nothing is lost.
    fn write(&mut self, applied: Applied, line: &Line) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let Applied {
            mut changes,
            counts,
            acks,
            answers,
            jobs,
            outgoing,
            now,
        } = applied;
        let has_changes = !changes.is_empty();
        let written = if line.poisoned(self.generation) {
            Err("a group before it failed to commit".to_string())
        } else if !has_changes {
            Ok(self.store.written_commits())
        } else {
            match self.disk_floor.as_ref().and_then(DiskFloor::refuses) {
                Some(why) => Err(format!("{why}; not committed")),
                None => self.store.write(&changes).map_err(|e| e.to_string()),
            }
        };
        let mut flight = Flight {
            written: 0,
            generation: self.generation,
            failed: None,
            has_changes,
            acks: AckRelease::default(),
            outgoing: Outgoing::default(),
            answers,
            jobs: Vec::new(),
            counts,
            started,
            feed: Vec::new(),
        };
        match written {
            Ok(count) => {
                // Readers see the store as written (sled has no read view
                // of what is flushed), so the totals they combine with it
                // move with it, not a flush later.
                self.reserved.publish(&changes.reserved);
                flight.feed = std::mem::take(&mut changes.feed);
                drop(changes);
                flight.written = count;
                flight.acks = acks;
                flight.outgoing = outgoing;
                flight.jobs = self.snapshots(jobs, now);
                line.send(flight)
            }
            Err(why) => {
                error!(error = %why, "group commit failed; reloading the pool from disk");
                fail_jobs(jobs);
                flight.failed = Some(why);
                line.send(flight)?;
                self.recover(line)
            }
        }
    }

    /// After a failed group: once every flight before it is settled,
    /// reloads the pool from the store (what was written, without what
    /// was only applied) and starts a new generation.
    fn recover(&mut self, line: &Line) -> Result<(), StoreError> {
        line.drain();
        self.pool = self.store.load_pool()?;
        self.settings.apply(&mut self.pool, self.clock.now_ms());
        self.reserved.reset(self.pool.reserved_totals());
        self.generation += 1;
        Ok(())
    }

    /// Snapshots the pool just written (store and pool agree now) for each
    /// reconciliation; the flusher hands them to the worker after the flush.
    fn snapshots(&self, jobs: Vec<ReconcileJob>, now: u64) -> Vec<worker::Work> {
        let mut work = Vec::new();
        for (erp, trigger, reply) in jobs {
            match reconcile::snapshot(&self.store, &self.pool) {
                Ok(snapshot) => work.push(worker::Work {
                    snapshot,
                    erp,
                    trigger,
                    now,
                    reply,
                }),
                Err(e) => {
                    error!(error = %e, "reconciliation snapshot failed");
                    fail_jobs(vec![(erp, trigger, reply)]);
                }
            }
        }
        work
    }
}

/// Tells whoever waits for these reconciliations that they will not run.
fn fail_jobs(jobs: Vec<ReconcileJob>) {
    for (_, _, reply) in jobs {
        if let Some(reply) = reply {
            let _ = reply.send(Err(crate::errors::PoolError::CommitFailed));
        }
    }
}

/// Rough count of movements a command carries, to bound a group's size
/// without decoding twice (about 40 bytes a movement on the wire).
fn command_weight(cmd: &Command) -> usize {
    match cmd {
        Command::Publish { payload, .. } => 1 + payload.len() / 40,
        _ => 1,
    }
}
