//! The single writer: the one thread that owns the pool.
//!
//! It waits for a command, then drains everything else already pending,
//! applies it all to the in-memory pool, writes the changes in one atomic
//! sled batch, flushes once, and only then releases the acks. Under load
//! batches pile up while a flush runs, so the next group is bigger: the
//! cost of a flush is shared by more movements (group commit).

use crate::fleet::Fleet;
use crate::intake::{classify, Intake};
use crate::metrics::Metrics;
use crate::pool::{BatchOutcome, DeadLetter, Pool};
use crate::store::{Store, StoreError};
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;
use tracing::{debug, error, warn};

/// A unit of work for the writer.
#[derive(Debug)]
pub enum Command {
    /// A publish that arrived from the broker.
    Publish {
        /// Its topic.
        topic: String,
        /// Its raw payload.
        payload: Bytes,
    },
}

/// Acks to publish after a commit: device -> acknowledged-through seq.
pub type AckSet = HashMap<String, u64>;

/// Wall-clock milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The writer's state: the pool, where it is stored, and its limits.
pub struct Writer {
    site: String,
    store: Store,
    pool: Pool,
    metrics: Arc<Metrics>,
    fleet: Arc<Fleet>,
    max_group_movements: usize,
}

impl Writer {
    /// A writer over a pool loaded from `store`.
    pub fn new(
        site: String,
        store: Store,
        metrics: Arc<Metrics>,
        fleet: Arc<Fleet>,
        max_group_movements: usize,
    ) -> Result<Writer, StoreError> {
        let pool = store.load_pool()?;
        Ok(Writer {
            site,
            store,
            pool,
            metrics,
            fleet,
            max_group_movements,
        })
    }

    /// Runs until every sender is dropped and the queue is empty; each
    /// group's acks go to `acks` only after its flush.
    pub fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        acks: mpsc::UnboundedSender<AckSet>,
    ) -> Result<(), StoreError> {
        while let Some(first) = commands.blocking_recv() {
            let mut group = vec![first];
            let mut weight = 0usize;
            while weight < self.max_group_movements {
                match commands.try_recv() {
                    Ok(cmd) => {
                        weight += command_weight(&cmd);
                        group.push(cmd);
                    }
                    Err(_) => break,
                }
            }
            let ready = self.apply_group(group)?;
            if !ready.is_empty() && acks.send(ready).is_err() {
                debug!("ack publisher gone; shutting down");
            }
        }
        Ok(())
    }

    /// Applies and commits one group; returns the acks it earned. On a
    /// failed commit the pool is reloaded from disk and nothing is acked,
    /// so devices resend and nothing is lost.
    pub fn apply_group(&mut self, group: Vec<Command>) -> Result<AckSet, StoreError> {
        let now = now_ms();
        let mut acks = AckSet::new();
        for Command::Publish { topic, payload } in group {
            match classify(&self.site, &topic, &payload) {
                Intake::Batch(batch) => {
                    let outcome = self.pool.apply_batch(&batch, now);
                    self.count(outcome);
                    acks.insert(batch.device, outcome.ack_through());
                }
                Intake::Status(status) => self.fleet.record(&status, now),
                Intake::Reject(reason) => self.reject(topic, reason, &payload, now),
                Intake::Ignore => {}
            }
        }
        let changes = self.pool.take_changes();
        if changes.is_empty() {
            return Ok(acks);
        }
        let started = std::time::Instant::now();
        match self.store.commit(&changes) {
            Ok(()) => {
                debug!(
                    elapsed_us = started.elapsed().as_micros() as u64,
                    acks = acks.len(),
                    "group committed"
                );
                Metrics::add(&self.metrics.commits, 1);
                Ok(acks)
            }
            Err(e) => {
                error!(error = %e, "group commit failed; reloading the pool from disk");
                Metrics::add(&self.metrics.commit_errors, 1);
                self.pool = self.store.load_pool()?;
                Ok(AckSet::new())
            }
        }
    }

    fn count(&self, outcome: BatchOutcome) {
        let m = &self.metrics;
        match outcome {
            BatchOutcome::Applied { count, .. } => {
                Metrics::add(&m.batches_applied, 1);
                Metrics::add(&m.movements_applied, count as u64);
            }
            BatchOutcome::Duplicate { .. } => Metrics::add(&m.batches_duplicate, 1),
            BatchOutcome::Gap { .. } => Metrics::add(&m.batches_gap, 1),
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
    }
}
