//! The webhook worker: one task per hub that keeps every hook's
//! [`Delivery`], starts each due hook's next event (its request runs on
//! the blocking pool, at most one per hook, hooks in parallel), settles
//! the outcome and moves the hook's cursor in the store. It wakes when
//! the flusher puts a durable group's events on the [`FeedBus`] (so a
//! change leaves within a flush of its ack), when the API registers or
//! removes a hook, when a request ends, and every [`TICK`] (retries that
//! came due); what it sends it always reads from the store after the
//! hook's cursor, so a restart, a lagging bus or a new hook lose nothing.
//!
//! [`Webhooks`] ([`super::handle`]) is the side the API holds.

use super::handle::{Progress, Webhooks};
use super::send::DeliveryError;
use super::state::{Delivery, Step};
use super::store::DeadLetter;
use crate::beat::Beat;
use crate::feed::FeedBus;
use crate::health::parts::Parts;
use crate::store::{Store, StoreError};
use hub_core::feed::FeedEvent;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use tokio::task::{Id, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// How long the worker may go without a sign of life.
pub const PATIENCE: Duration = Duration::from_secs(30);
/// The longest wait between two looks at what is due.
const TICK: Duration = Duration::from_millis(250);
/// How often moved cursors are flushed (the writer's commits flush them
/// too).
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Feed events read per look.
const STEP: usize = 256;

/// Starts the worker as the hub's part `webhooks`; the handle is the API's.
pub fn spawn(
    parts: &mut Parts,
    store: &Store,
    bus: &FeedBus,
    cancel: &CancellationToken,
) -> Result<Webhooks, StoreError> {
    let hooks = Webhooks::open(store)?;
    let (h, listener, c) = (hooks.clone(), bus.listen(), cancel.clone());
    parts.spawn_beating("webhooks", PATIENCE, |beat| run(h, listener, beat, c));
    Ok(hooks)
}

/// One request's result: the hook, the event, its outcome.
type Done = (u64, u64, FeedEvent, Result<(), DeliveryError>);

struct Worker {
    hooks: Webhooks,
    deliveries: BTreeMap<u64, Delivery>,
    in_flight: JoinSet<Done>,
    tasks: HashMap<Id, u64>,
    dirty: bool,
    flushed: Instant,
}

/// Runs the worker until `cancel`; `bus` must listen from before the
/// first read of the store.
pub async fn run(
    hooks: Webhooks,
    bus: broadcast::Receiver<crate::feed::FeedGroup>,
    beat: Beat,
    cancel: CancellationToken,
) {
    let wake = hooks.wake.clone();
    let mut w = Worker {
        hooks,
        deliveries: BTreeMap::new(),
        in_flight: JoinSet::new(),
        tasks: HashMap::new(),
        dirty: false,
        flushed: Instant::now(),
    };
    let mut bus = Some(bus);
    w.reload();
    loop {
        beat.now();
        w.start_due(crate::clock::wall_ms());
        tokio::select! {
            _ = cancel.cancelled() => break,
            Some(done) = w.in_flight.join_next_with_id() => w.finish(done),
            got = listen(&mut bus) => {
                if matches!(got, Err(broadcast::error::RecvError::Closed)) {
                    bus = None;
                }
            }
            _ = wake.notified() => w.reload(),
            _ = tokio::time::sleep(TICK) => {}
        }
        w.flush_if_due(false);
    }
    // Requests still out are dropped unsettled: sent again after a start.
    w.flush_if_due(true);
}

async fn listen(
    bus: &mut Option<broadcast::Receiver<crate::feed::FeedGroup>>,
) -> Result<crate::feed::FeedGroup, broadcast::error::RecvError> {
    match bus {
        Some(bus) => bus.recv().await,
        None => std::future::pending().await,
    }
}

impl Worker {
    /// Takes the hooks the store holds; keeps the state of those known.
    fn reload(&mut self) {
        let stored = match self.hooks.store.hooks() {
            Ok(stored) => stored,
            Err(e) => {
                warn!(error = %e, "webhooks not read; tried again");
                return;
            }
        };
        let mut fresh = BTreeMap::new();
        for (hook, cursor) in stored {
            let d = self
                .deliveries
                .remove(&hook.id)
                .unwrap_or_else(|| Delivery::new(hook.clone(), cursor));
            fresh.insert(hook.id, d);
        }
        self.deliveries = fresh;
        let mut progress = self
            .hooks
            .progress
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        progress.retain(|id, _| self.deliveries.contains_key(id));
    }

    /// Starts the next event of every hook that is due and has one.
    fn start_due(&mut self, now: u64) {
        let due: Vec<u64> = self
            .deliveries
            .iter()
            .filter(|(_, d)| d.due(now))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            let Some((event_id, event)) = self.next_event(id) else {
                continue;
            };
            let Some(d) = self.deliveries.get_mut(&id) else {
                continue;
            };
            d.in_flight = true;
            let (sender, hook) = (self.hooks.sender.clone(), d.hook.clone());
            let task = self.in_flight.spawn_blocking(move || {
                let outcome = sender.post(&hook, event_id, &event);
                (hook.id, event_id, event, outcome)
            });
            self.tasks.insert(task.id(), id);
        }
    }

    /// Hook `id`'s next wanted event after its cursor, passing over (and
    /// recording) those it does not want.
    fn next_event(&mut self, id: u64) -> Option<(u64, FeedEvent)> {
        let d = self.deliveries.get_mut(&id)?;
        let start = d.cursor;
        let found = loop {
            let events = match self.hooks.feed.feed_after(d.cursor, STEP) {
                Ok(events) => events,
                Err(e) => {
                    warn!(hook = id, error = %e, "webhook could not read the feed");
                    break None;
                }
            };
            let Some((first, _)) = events.first() else {
                break None;
            };
            if *first > d.cursor.saturating_add(1) && d.cursor > 0 {
                warn!(
                    hook = id,
                    missed = first - d.cursor - 1,
                    "webhook fell behind the kept feed: events skipped"
                );
            }
            if let Some(wanted) = events.iter().position(|(_, e)| d.hook.wants(&e.event)) {
                d.skip(events[wanted].0 - 1);
                break events.into_iter().nth(wanted);
            }
            d.skip(events.last().map_or(d.cursor, |(last, _)| *last));
        };
        if d.cursor != start {
            let cursor = d.cursor;
            self.save_cursor(id, cursor);
        }
        found
    }

    fn save_cursor(&mut self, id: u64, cursor: u64) {
        match self.hooks.store.set_cursor(id, cursor) {
            Ok(()) => self.dirty = true,
            Err(e) => warn!(hook = id, error = %e, "webhook cursor not stored"),
        }
    }

    /// Settles one request's outcome.
    fn finish(&mut self, done: Result<(Id, Done), tokio::task::JoinError>) {
        let (hook, event_id, event, outcome) = match done {
            Ok((task, done)) => {
                self.tasks.remove(&task);
                done
            }
            Err(e) => {
                // The request panicked: its hook is tried again later.
                if let Some(id) = self.tasks.remove(&e.id()) {
                    if let Some(d) = self.deliveries.get_mut(&id) {
                        d.in_flight = false;
                    }
                }
                warn!(error = %e, "a webhook request failed to run");
                return;
            }
        };
        let now = crate::clock::wall_ms();
        let Some(d) = self.deliveries.get_mut(&hook) else {
            return; // removed meanwhile
        };
        let step = d.settle(event_id, outcome.map_err(|e| e.to_string()), now);
        let progress = Progress {
            attempts: d.attempts,
            last_error: d.last_error.clone(),
            next_at_ms: d.next_at_ms,
        };
        let host = d.hook.host().to_string();
        let last_error = progress.last_error.clone().unwrap_or_default();
        self.hooks
            .progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(hook, progress);
        match step {
            Step::Delivered => self.save_cursor(hook, event_id),
            Step::Retry { at_ms } => warn!(hook, host, event = event_id, error = %last_error,
                retry_at_ms = at_ms, "webhook delivery failed"),
            Step::DeadLetter { attempts, error } => {
                warn!(hook, host, event = event_id, attempts, %error, "webhook event dead-lettered");
                let letter = DeadLetter {
                    event_id,
                    event: event.event,
                    at_ms: event.at_ms,
                    data: event.data,
                    attempts,
                    last_error: error,
                    failed_ms: now,
                };
                if let Err(e) = self.hooks.store.add_dead_letter(hook, &letter) {
                    warn!(hook, error = %e, "webhook dead letter not stored");
                }
            }
        }
    }

    /// Flushes moved cursors once a second, or now if `now`.
    fn flush_if_due(&mut self, now: bool) {
        if !self.dirty || (!now && self.flushed.elapsed() < FLUSH_EVERY) {
            return;
        }
        match self.hooks.store.flush() {
            Ok(()) => self.dirty = false,
            Err(e) => warn!(error = %e, "webhook cursors not flushed; tried again"),
        }
        self.flushed = Instant::now();
    }
}
