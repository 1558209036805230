//! Applying one gathered group of commands to the in-memory pool: the
//! first stage of the writer's pipeline. Nothing here touches the disk;
//! what the group changed, earned and owes its callers comes out as an
//! [`Applied`], which the writer then writes and hands to the flusher.

use crate::changes::Changes;
use crate::devices::DeviceBook;
use crate::metrics::Metrics;
use crate::pool::{DeadLetter, DeviceEpoch, PoolCounts};
use crate::reconcile::ErpFile;
use crate::reconcile::Report;
use crate::writer::commands::{self, Command, Pending, Reply};
use crate::writer::intake::{classify, Intake};
use crate::writer::Outgoing;
use crate::writer::{AckRelease, Writer};
use tracing::warn;

/// A reconciliation asked for in a group: run over the snapshot taken
/// right after the group's write, released after its flush.
pub(crate) type ReconcileJob = (Option<ErpFile>, &'static str, Option<Reply<Report>>);

/// One group applied to the pool, not yet written.
pub(crate) struct Applied {
    /// What it changed.
    pub changes: Changes,
    /// What the pool counted in it.
    pub counts: PoolCounts,
    /// The acks it earns once durable.
    pub acks: AckRelease,
    /// Answers waiting for its flush.
    pub answers: Vec<Pending>,
    /// Reconciliations it asked for.
    pub jobs: Vec<ReconcileJob>,
    /// Devices and stations to send their queue or label jobs.
    pub outgoing: Outgoing,
    /// The hub time it was applied at.
    pub now: u64,
}

impl Writer {
    /// Applies every command of `group` to the pool, in order.
    pub(crate) fn apply(&mut self, group: Vec<Command>) -> Applied {
        let now = self.clock.now_ms();
        let mut acks = AckRelease::default();
        let mut answers: Vec<Pending> = Vec::new();
        let mut jobs: Vec<ReconcileJob> = Vec::new();
        // One snapshot per group: a revocation applies from the next group.
        let book = self.devices.current();
        for cmd in group {
            match commands::apply(&mut self.pool, cmd, now) {
                Ok(Some(pending)) => answers.push(pending),
                Ok(None) => {}
                Err(Command::Publish {
                    topic,
                    payload,
                    arrived,
                }) => self.publish(topic, &payload, (now, arrived), &mut acks, &book),
                Err(Command::Order(cmd)) => answers.push(self.order_command(cmd, now)),
                Err(Command::Customer(cmd)) => answers.push(self.customer_command(cmd, now)),
                Err(Command::Label(cmd)) => answers.push(self.label_command(*cmd, now)),
                Err(Command::Reconcile {
                    erp,
                    trigger,
                    reply,
                }) => jobs.push((erp, trigger, reply)),
                Err(other) => warn!(?other, "command not handled"),
            }
        }
        self.pool.plan_tasks(now);
        Applied {
            changes: self.pool.take_changes_with_feed(now),
            counts: self.pool.take_counts(),
            acks,
            answers,
            jobs,
            outgoing: Outgoing {
                queues: self.pool.take_queue_pushes(),
                stations: self.pool.take_label_sends(),
                labelled: self.pool.take_labelled(),
            },
            now,
        }
    }

    fn order_command(&mut self, cmd: crate::writer::orders::OrderCommand, now: u64) -> Pending {
        match &self.desk {
            Some(desk) => desk.apply(&mut self.pool, cmd, now),
            None => crate::writer::orders::refuse(cmd),
        }
    }

    fn label_command(&mut self, cmd: crate::writer::labels::LabelCommand, now: u64) -> Pending {
        match &self.desk {
            Some(desk) => desk.apply_label(&mut self.pool, cmd, now),
            None => crate::writer::labels::refuse(cmd),
        }
    }

    fn customer_command(
        &mut self,
        cmd: crate::writer::customers::CustomerCommand,
        now: u64,
    ) -> Pending {
        use crate::writer::customers::CustomerCommand as C;
        match (&self.desk, cmd) {
            (Some(desk), cmd) => desk.apply_customer(&mut self.pool, cmd, now),
            (None, C::SetTags { reply, .. } | C::Merge { reply, .. } | C::Split { reply, .. }) => {
                crate::writer::commands::later(reply, |_| {
                    Err(crate::errors::PoolError::Invalid(
                        "this hub keeps no customers: it has no master key".into(),
                    ))
                })
            }
        }
    }

    fn publish(
        &mut self,
        topic: String,
        payload: &[u8],
        (now, arrived): (u64, std::time::Instant),
        acks: &mut AckRelease,
        book: &DeviceBook,
    ) {
        match classify(&self.site, &topic, payload, book) {
            Intake::Batch(batch) => {
                let outcome = self.pool.apply_batch(&batch, now, &self.store);
                self.metrics.count_batch(outcome, &batch);
                // Only what the hub holds exactly as sent is acknowledged:
                // a gap or a conflict earns no ack (WIRE.md §3.9).
                if let Some(through) = outcome.ack_through() {
                    let stream = DeviceEpoch::of(&batch);
                    let ack = acks.set.entry(stream.clone()).or_insert(0);
                    *ack = (*ack).max(through);
                    acks.arrived.push((stream, arrived));
                }
            }
            Intake::Status(status) => {
                if status.state == protocol::DeviceState::Online {
                    self.pool.device_seen(&status.device, now);
                }
                match self.fleet.record(&status, now) {
                    crate::devices::fleet::Ordering::Stale => {
                        Metrics::add(&self.metrics.statuses_stale, 1)
                    }
                    crate::devices::fleet::Ordering::Newer => {
                        let beat = crate::devices::heartbeat::heartbeat_of(&status);
                        self.pool.device_heartbeat(&beat, now);
                    }
                }
            }
            Intake::TaskAck(ack) => {
                self.fleet.queue_held(&ack.device, ack.version);
                self.pool.task_acked(&ack.device, ack.version, now);
            }
            Intake::LabelReport(report) => {
                self.pool
                    .label_report(&report.station, &report.results, now);
            }
            Intake::Reject(reason) => self.reject(topic, reason, payload, now),
            Intake::Forged(reason) => {
                Metrics::add(&self.metrics.forged_refused, 1);
                self.reject(topic, reason, payload, now)
            }
            Intake::Ignore => {}
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
