//! The flusher: the second stage of the writer's pipeline. The writer
//! applies a group to the pool and writes it into sled (not yet durable),
//! then hands it here as a [`Flight`] and goes on gathering the next
//! group; this thread makes the written groups durable and only then
//! releases what they earned: acks, answers, metrics, reconciliations.
//!
//! Why a thread of its own: a flush (sled's flush and the syncs of its
//! files and seal) takes a millisecond or more, most of a request's time,
//! and the writer used to wait through it. sled's flush makes durable
//! every write that finished before it began, so one flush here covers
//! every flight queued while the last one ran.
//!
//! The rules it keeps:
//! - nothing of a flight is released before a flush that covers its
//!   write (its commit count) has returned; flights are settled in the
//!   order they were written;
//! - a flush that fails fails every flight it was to cover, and every
//!   later flight of the same *generation* (written on top of them by the
//!   writer before it heard of the failure); the writer, once it hears,
//!   reloads the pool from the store and starts the next generation;
//! - at most [`DEPTH`] flights wait while one flush runs, so the writer is
//!   never more than a few groups ahead of the disk.

use crate::metrics::Metrics;
use crate::pool::DeviceEpoch;
use crate::pool::PoolCounts;
use crate::reconcile::worker;
use crate::store::{Store, StoreError};
use crate::writer::commands::Pending;
use crate::writer::AckSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use tracing::{debug, error};

/// Flights that may wait for the flusher while it flushes (besides the
/// ones it is flushing); the writer blocks when they are there.
pub const DEPTH: usize = 1;

/// What a durable group hands the ack publisher: its acks, and when each
/// batch that earned one reached the hub (for the ack latency).
#[derive(Debug, Default)]
pub struct AckRelease {
    /// The acks.
    pub set: AckSet,
    /// (stream, arrival) of each batch the acks cover.
    pub arrived: Vec<(DeviceEpoch, std::time::Instant)>,
}

impl AckRelease {
    /// Whether there is nothing to ack.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

/// Called before each flush in tests: blocks to hold it, or fails it.
#[cfg(test)]
pub(crate) type FlushHook = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// One group, written into the store, waiting for its flush.
pub(crate) struct Flight {
    /// The store's commit count once this group was written (for a group
    /// without changes: the count of the writes before it).
    pub written: u64,
    /// The writer's generation when it wrote this group.
    pub generation: u64,
    /// Why the writer could not write it, if it could not.
    pub failed: Option<String>,
    /// Whether it changed anything (it is a group commit in the metrics).
    pub has_changes: bool,
    /// Acks it earned.
    pub acks: AckRelease,
    /// Devices and stations it gave something to send.
    pub outgoing: crate::writer::Outgoing,
    /// Answers waiting for it.
    pub answers: Vec<Pending>,
    /// Reconciliations over the snapshot taken right after its write.
    pub jobs: Vec<worker::Work>,
    /// What the pool counted in it.
    pub counts: PoolCounts,
    /// When the writer started writing it.
    pub started: Instant,
    /// Its change-feed events, pushed once it is durable.
    pub feed: Vec<(u64, hub_core::feed::FeedEvent)>,
}

enum Item {
    Group(Box<Flight>),
    /// Answered once everything sent before it is settled.
    Drain(SyncSender<()>),
}

/// The writer's end of the pipeline.
pub(crate) struct Line {
    items: SyncSender<Item>,
    poisoned: Arc<AtomicU64>,
}

impl Line {
    /// Hands a flight on; blocks while [`DEPTH`] flights wait already.
    /// Fails only if the flusher thread is gone (it panicked): then
    /// nothing can become durable and the writer must stop.
    pub fn send(&self, flight: Flight) -> Result<(), StoreError> {
        self.items.send(Item::Group(Box::new(flight))).map_err(|_| {
            let gone = std::io::Error::other("the flusher thread is gone");
            StoreError::Sled(sled::Error::Io(gone))
        })
    }

    /// Waits until every flight sent so far is settled.
    pub fn drain(&self) {
        let (done, settled) = std::sync::mpsc::sync_channel(1);
        if self.items.send(Item::Drain(done)).is_ok() {
            let _ = settled.recv();
        }
    }

    /// Whether a flush of `generation` failed (so anything the writer
    /// applied since sits on top of a failed group).
    pub fn poisoned(&self, generation: u64) -> bool {
        self.poisoned.load(Ordering::Acquire) >= generation
    }
}

/// Where the flusher releases what a durable flight earned.
pub(crate) struct Flusher {
    pub store: Store,
    pub metrics: Arc<Metrics>,
    pub acks: mpsc::UnboundedSender<AckRelease>,
    pub queues: Option<mpsc::UnboundedSender<crate::writer::Outgoing>>,
    pub feed: Option<crate::feed::FeedBus>,
    pub courier: Sender<(Vec<Pending>, bool)>,
    pub reconciler: Sender<worker::Work>,
    #[cfg(test)]
    pub hook: Option<FlushHook>,
}

impl Flusher {
    /// Starts the flusher thread; it ends when the [`Line`] is dropped,
    /// after settling every flight sent on it.
    pub fn spawn(self) -> std::io::Result<(Line, std::thread::JoinHandle<()>)> {
        let (items, queue) = std::sync::mpsc::sync_channel(DEPTH);
        let poisoned = Arc::new(AtomicU64::new(0));
        let flag = poisoned.clone();
        let handle = std::thread::Builder::new()
            .name("pool-flusher".into())
            .spawn(move || self.run(queue, &flag))?;
        Ok((Line { items, poisoned }, handle))
    }

    fn run(self, queue: Receiver<Item>, poisoned: &AtomicU64) {
        while let Ok(first) = queue.recv() {
            let mut items = vec![first];
            items.extend(queue.try_iter());
            self.settle(items, poisoned);
        }
    }

    /// Flushes once for every live flight in `items`, then settles them
    /// in order.
    fn settle(&self, items: Vec<Item>, poisoned: &AtomicU64) {
        let before = poisoned.load(Ordering::Acquire);
        let live = |f: &Flight| f.failed.is_none() && f.generation > before;
        let flights = items.iter().filter_map(|item| match item {
            Item::Group(f) if live(f) => Some((f.written, f.generation)),
            _ => None,
        });
        let (need, generation) = flights.fold((0, 0), |(n, g), (w, fg)| (n.max(w), g.max(fg)));
        let flushed = match generation {
            0 => Ok(()),
            _ => self.flush(need),
        };
        if let Err(e) = &flushed {
            error!(error = %e, "flush failed; its groups and those written on top fail");
            poisoned.fetch_max(generation, Ordering::AcqRel);
        }
        for item in items {
            match item {
                Item::Drain(done) => {
                    let _ = done.send(());
                }
                Item::Group(mut f) => {
                    let failure = match (f.failed.take(), &flushed) {
                        (Some(why), _) => Some(why),
                        (None, _) if f.generation <= before => {
                            Some("a group before it failed to commit".to_string())
                        }
                        (None, Err(e)) => Some(e.clone()),
                        (None, Ok(())) => None,
                    };
                    match failure {
                        Some(why) => self.fail(why, *f),
                        None => self.release(*f),
                    }
                }
            }
        }
    }

    fn flush(&self, need: u64) -> Result<(), String> {
        if self.store.durable_commits() >= need {
            return Ok(());
        }
        #[cfg(test)]
        if let Some(hook) = &self.hook {
            hook()?;
        }
        let started = Instant::now();
        let flushed = self.store.flush_through(need);
        let took = started.elapsed().as_secs_f64();
        self.metrics.flush_seconds.observe(took);
        flushed.map(drop).map_err(|e| e.to_string())
    }

    /// A durable flight: everything it earned goes out.
    fn release(&self, f: Flight) {
        if f.has_changes {
            self.metrics.commit_succeeded();
            debug!(
                elapsed_us = f.started.elapsed().as_micros() as u64,
                "group committed"
            );
        }
        self.metrics.count_pool(f.counts);
        for work in f.jobs {
            if let Err(returned) = self.reconciler.send(work) {
                worker::finish(&self.store, returned.0);
            }
        }
        if !f.acks.is_empty() && self.acks.send(f.acks).is_err() {
            debug!("ack publisher gone");
        }
        if let (false, Some(queues)) = (f.outgoing.is_empty(), &self.queues) {
            if queues.send(f.outgoing).is_err() {
                debug!("queue publisher gone");
            }
        }
        if let Some(bus) = &self.feed {
            bus.publish(f.feed);
        }
        if !f.answers.is_empty() {
            // The courier lives as long as the flusher.
            let _ = self.courier.send((f.answers, true));
        }
    }

    /// A failed flight: no acks, callers hear the failure; devices resend.
    fn fail(&self, why: String, f: Flight) {
        if f.has_changes {
            self.metrics.commit_failed(&why);
        }
        for work in f.jobs {
            if let Some(reply) = work.reply {
                let _ = reply.send(Err(crate::errors::PoolError::CommitFailed));
            }
        }
        if !f.answers.is_empty() {
            let _ = self.courier.send((f.answers, false));
        }
    }
}
