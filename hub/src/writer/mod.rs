//! The single writer: the one thread that owns the pool.
//!
//! It waits for a command, then drains everything else already pending,
//! applies it all to the in-memory pool, writes the changes in one atomic
//! sled batch, flushes once, and only then releases the acks and the HTTP
//! answers. Under load commands pile up while a flush runs, so the next
//! group is bigger: the cost of a flush is shared by more of them (group
//! commit). Device publishes and API commands share the one queue, so a
//! reservation and a pick can never race.

pub mod commands;
pub mod intake;
pub mod reserved_view;

use crate::clock::SharedClock;
use crate::devices::fleet::Fleet;
use crate::devices::{DeviceBook, Devices};
use crate::metrics::Metrics;
use crate::pool::{DeadLetter, DeviceEpoch, Pool};
use crate::reconcile::worker;
use crate::reconcile::{self, ErpFile, Report};
use crate::run::health::DiskFloor;
use crate::safety::SafetyRule;
use crate::store::{Store, StoreError};
pub use crate::writer::commands::{Command, Reply};
use crate::writer::intake::{classify, Intake};
use crate::writer::reserved_view::ReservedView;
use commands::Pending;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc;
use tracing::{debug, error, info, warn};

/// Longest wait for the rest of a group (see [`Writer::gather`]). Spent
/// yielding, not sleeping: a sleep rounds up to the timer slack (~60 us),
/// which measured worse than not waiting at all.
const LINGER: std::time::Duration = std::time::Duration::from_micros(100);

/// Acks to publish after a commit: (device, epoch) -> acknowledged-through
/// seq.
pub type AckSet = HashMap<DeviceEpoch, u64>;

type ReconcileJob = (Option<ErpFile>, &'static str, Option<Reply<Report>>);

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
    reconciler: Option<std::sync::mpsc::Sender<worker::Work>>,
    devices: Devices,
    disk_floor: Option<DiskFloor>,
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
            reconciler: None,
            devices: Devices::default(),
            disk_floor: None,
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

    /// Commits a group only while the disk has `floor`'s free space.
    pub fn with_disk_floor(mut self, floor: DiskFloor) -> Writer {
        self.disk_floor = Some(floor);
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

    /// Sets how long an idempotency key is honoured after its reservation
    /// ends, and forgets at once the keys already past it (so keys pruned
    /// before a restart are not honoured again after it).
    pub fn set_key_retention(&mut self, retention_ms: u64) {
        self.pool.set_key_retention(retention_ms);
        self.pool.prune_keys(self.clock.now_ms());
    }

    fn commit_pending(&mut self) -> Result<(), StoreError> {
        let changes = self.pool.take_changes();
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
    /// group's acks and answers go out only after its flush. Answers are
    /// handed to a courier thread, so waking the callers overlaps with the
    /// next group instead of delaying it.
    pub fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        acks: mpsc::UnboundedSender<AckSet>,
    ) -> Result<(), StoreError> {
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
            .map_err(|e| StoreError::Sled(e.into()))?;
        let (worker, worker_thread) =
            worker::spawn(self.store.clone()).map_err(|e| StoreError::Sled(e.into()))?;
        self.reconciler = Some(worker);
        let result = self.serve(&mut commands, &acks, &courier);
        drop(courier);
        self.reconciler = None;
        let _ = courier_thread.join();
        let _ = worker_thread.join();
        result
    }

    fn serve(
        &mut self,
        commands: &mut mpsc::Receiver<Command>,
        acks: &mpsc::UnboundedSender<AckSet>,
        courier: &std::sync::mpsc::Sender<(Vec<Pending>, bool)>,
    ) -> Result<(), StoreError> {
        let mut last_group = 0usize;
        while let Some(first) = commands.blocking_recv() {
            let group = self.gather(first, commands, last_group);
            last_group = group.len();
            let (ready, answers, committed) = self.apply(group)?;
            if !answers.is_empty() {
                // The courier lives as long as this loop.
                let _ = courier.send((answers, committed));
            }
            if !ready.is_empty() && acks.send(ready).is_err() {
                debug!("ack publisher gone; shutting down");
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

    /// Applies and commits one group; returns the acks it earned and the
    /// answers, undelivered (the courier delivers them). On a failed
    /// commit the pool is reloaded from disk and nothing is acked or
    /// confirmed, so devices resend, callers hear the failure, and nothing
    /// is lost.
    fn apply(&mut self, group: Vec<Command>) -> Result<(AckSet, Vec<Pending>, bool), StoreError> {
        let now = self.clock.now_ms();
        let mut acks = AckSet::new();
        let mut answers: Vec<Pending> = Vec::new();
        let mut jobs: Vec<ReconcileJob> = Vec::new();
        // One snapshot per group: a revocation applies from the next group.
        let book = self.devices.current();
        for cmd in group {
            match commands::apply(&mut self.pool, cmd, now) {
                Ok(Some(pending)) => answers.push(pending),
                Ok(None) => {}
                Err(Command::Publish { topic, payload }) => {
                    self.publish(topic, &payload, now, &mut acks, &book)
                }
                Err(Command::Reconcile {
                    erp,
                    trigger,
                    reply,
                }) => jobs.push((erp, trigger, reply)),
                Err(other) => warn!(?other, "command not handled"),
            }
        }
        let changes = self.pool.take_changes();
        let counts = self.pool.take_counts();
        let committed = changes.is_empty() || self.commit(&changes)?;
        if committed {
            self.metrics.count_pool(counts);
            for (erp, trigger, reply) in jobs {
                self.reconcile(erp, trigger, now, reply);
            }
        }
        let acks = if committed { acks } else { AckSet::new() };
        Ok((acks, answers, committed))
    }

    fn commit(&mut self, changes: &crate::pool::Changes) -> Result<bool, StoreError> {
        let started = std::time::Instant::now();
        let refused = self.disk_floor.as_ref().and_then(DiskFloor::refuses);
        let outcome = match refused {
            Some(why) => Err(format!("{why}; not committed")),
            None => self.store.commit(changes).map_err(|e| e.to_string()),
        };
        match outcome {
            Ok(()) => {
                self.reserved.publish(&changes.reserved);
                debug!(
                    elapsed_us = started.elapsed().as_micros() as u64,
                    "group committed"
                );
                self.metrics.commit_succeeded();
                Ok(true)
            }
            Err(e) => {
                error!(error = %e, "group commit failed; reloading the pool from disk");
                self.metrics.commit_failed(&e);
                self.pool = self.store.load_pool()?;
                self.reserved.reset(self.pool.reserved_totals());
                Ok(false)
            }
        }
    }

    fn publish(
        &mut self,
        topic: String,
        payload: &[u8],
        now: u64,
        acks: &mut AckSet,
        book: &DeviceBook,
    ) {
        match classify(&self.site, &topic, payload, book) {
            Intake::Batch(batch) => {
                let outcome = self.pool.apply_batch(&batch, now, &self.store);
                self.metrics.count_batch(outcome, &batch);
                // Only what the hub holds exactly as sent is acknowledged:
                // a gap or a conflict earns no ack (WIRE.md §3.9).
                if let Some(through) = outcome.ack_through() {
                    let ack = acks.entry(DeviceEpoch::of(&batch)).or_insert(0);
                    *ack = (*ack).max(through);
                }
            }
            Intake::Status(status) => {
                if self.fleet.record(&status, now) == crate::devices::fleet::Ordering::Stale {
                    Metrics::add(&self.metrics.statuses_stale, 1);
                }
            }
            Intake::Reject(reason) => self.reject(topic, reason, payload, now),
            Intake::Ignore => {}
        }
    }

    /// Runs a reconciliation over the committed store (everything the pool
    /// holds is committed at this point) and stores its report.
    /// Snapshots the committed pool for a reconciliation and hands it to
    /// the worker (or, outside [`Writer::run`], finishes it here).
    fn reconcile(
        &mut self,
        erp: Option<ErpFile>,
        trigger: &'static str,
        now: u64,
        reply: Option<Reply<Report>>,
    ) {
        let snapshot = match reconcile::snapshot(&self.store, &self.pool) {
            Ok(s) => s,
            Err(e) => {
                error!(error = %e, "reconciliation snapshot failed");
                if let Some(reply) = reply {
                    let _ = reply.send(Err(crate::errors::PoolError::CommitFailed));
                }
                return;
            }
        };
        let work = worker::Work {
            snapshot,
            erp,
            trigger,
            now,
            reply,
        };
        match &self.reconciler {
            Some(worker) => {
                if let Err(returned) = worker.send(work) {
                    worker::finish(&self.store, returned.0);
                }
            }
            None => worker::finish(&self.store, work),
        }
    }

    fn reject(&mut self, topic: String, reason: String, payload: &[u8], now: u64) {
        // The topic is device-controlled text: log it escaped, never the payload.
        warn!(topic = %topic.escape_debug(), %reason, "payload refused to dead letters");
        Metrics::add(&self.metrics.dead_letters, 1);
        self.pool.dead_letter(DeadLetter {
            topic,
            reason,
            received_ms: now,
            payload: payload.to_vec(),
        });
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
