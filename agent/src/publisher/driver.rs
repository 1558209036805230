//! The publisher's thin async shell: feeds link events, journal growth and
//! clock ticks to [`SendState`], turns the ranges it answers into event
//! batches read from the journal, trims the journal on the hub's acks, and
//! sends the Online/heartbeat/Offline status. Every inbound frame goes to
//! [`Inbound`] first; only a genuine, fresh, sealed ack reaches the send
//! state, which still clamps it to what was published.
//!
//! Task lists that [`Inbound`] lets through go to the work queue
//! ([`super::queue_link`]), which stores and acknowledges them; on every
//! connect the device also says which queue version it holds.
//!
//! Every batch names the journal's epoch, and only acks for that epoch
//! reach the send state. If the journal is replaced under the running
//! agent (its directory deleted, see [`crate::journal`]), the next event
//! notices the new epoch and starts the send state over in it.
//!
//! Every publish is a non-blocking `try_publish`: the driver never waits on
//! the event loop, so the two can never deadlock; a publish that does not
//! fit is handed back to [`SendState::send_failed`] and goes again later.

use super::inbound::{Inbound, InboundCounts, Verdict};
use super::link::LinkEvent;
use super::queue_link::QueueLink;
use super::{device_topic, BatchRange, PublisherConfig, SendState};
use crate::journal::{Journal, JournalError};
use protocol::DeviceKey;
use protocol::{encode_signed, DeviceState, EventBatch, TopicError, TopicKind};
use rumqttc::{AsyncClient, ClientError, QoS};
use std::sync::Arc;
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::sync::{mpsc, watch, Notify};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

/// How often the driver looks at the clock (resends, heartbeats, holds).
const TICK: Duration = Duration::from_millis(100);

/// The topics one device uses.
#[derive(Debug, Clone)]
pub(super) struct Topics {
    pub(super) events: String,
    pub(super) status: String,
    pub(super) ack: String,
    pub(super) tasks: String,
    pub(super) taskack: String,
}

impl Topics {
    pub(super) fn new(site: &str, device: &str) -> Result<Topics, TopicError> {
        Ok(Topics {
            events: device_topic(site, device, TopicKind::Events)?,
            status: device_topic(site, device, TopicKind::Status)?,
            ack: device_topic(site, device, TopicKind::Ack)?,
            tasks: device_topic(site, device, TopicKind::Tasks)?,
            taskack: device_topic(site, device, TopicKind::TaskAck)?,
        })
    }
}

/// Why one batch could not be handed to the MQTT client.
#[derive(Debug, Error)]
enum SendError {
    #[error("{0}")]
    Journal(#[from] JournalError),
    #[error(
        "journal returned {found} entries from seq {first:?} for range {want_first}..={want_last}"
    )]
    Mismatch {
        found: usize,
        first: Option<u64>,
        want_first: u64,
        want_last: u64,
    },
    #[error("MQTT request queue full or closed")]
    Client(#[from] ClientError),
}

pub(super) struct Driver {
    journal: Journal,
    client: AsyncClient,
    site: String,
    device: String,
    topics: Topics,
    key: DeviceKey,
    state: SendState,
    inbound: Inbound,
    queue: QueueLink,
    frames_tx: watch::Sender<InboundCounts>,
    acked_tx: watch::Sender<u64>,
    health: super::health::HealthProbe,
    status: super::status::StatusSigner,
    heartbeat: Duration,
    next_heartbeat: Instant,
}

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

impl Driver {
    pub(super) fn new(
        journal: Journal,
        client: AsyncClient,
        config: &PublisherConfig,
        topics: Topics,
        watches: super::Watches,
        parts: super::DriverParts,
    ) -> Driver {
        // The epoch first: counters read after it belong to it.
        let epoch = journal.epoch();
        let state = SendState::new(config.send, epoch, journal.acked(), journal.last_seq());
        let secrets = &config.secrets;
        let inbound = Inbound::new(
            &config.site,
            &config.device,
            &topics.ack,
            &secrets.key,
            secrets.key_version,
            epoch,
        )
        .with_tasks(&topics.tasks);
        let queue = QueueLink {
            queue: parts.queue,
            signer: parts.task_acks,
            client: client.clone(),
            tasks_topic: topics.tasks.clone(),
            taskack_topic: topics.taskack.clone(),
            version: watches.queue_version,
        };
        Driver {
            journal,
            client,
            site: config.site.clone(),
            device: config.device.clone(),
            topics,
            key: config.secrets.key.clone(),
            state,
            inbound,
            queue,
            frames_tx: watches.frames,
            acked_tx: watches.acked,
            health: parts.health,
            status: parts.status,
            heartbeat: config.heartbeat,
            next_heartbeat: now(),
        }
    }

    /// Starts the send state over if the journal is in another epoch now
    /// (it was replaced under the agent); returns what to send then.
    fn follow_epoch(&mut self, now: Instant) -> Vec<BatchRange> {
        let epoch = self.journal.epoch();
        if epoch == self.state.epoch() {
            return Vec::new();
        }
        let (acked, recorded) = (self.journal.acked(), self.journal.last_seq());
        warn!(
            old_epoch = %crate::journal::format_epoch(self.state.epoch()),
            epoch = %crate::journal::format_epoch(epoch),
            recorded,
            "the journal was replaced; sending in its new epoch"
        );
        self.inbound.set_epoch(epoch);
        self.acked_tx.send_replace(acked);
        self.state.restart(epoch, acked, recorded, now)
    }

    pub(super) async fn run(
        mut self,
        mut links: mpsc::UnboundedReceiver<LinkEvent>,
        journaled: Arc<Notify>,
        cancel: CancellationToken,
    ) {
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                event = links.recv() => match event {
                    Some(event) => self.on_link(event),
                    None => break,
                },
                _ = journaled.notified() => self.on_journaled(),
                _ = ticker.tick() => self.on_tick(),
            }
        }
        self.say_goodbye();
    }

    fn on_link(&mut self, event: LinkEvent) {
        match event {
            LinkEvent::Connected => self.on_connected(),
            LinkEvent::Disconnected => self.state.disconnected(),
            LinkEvent::Received {
                topic,
                payload,
                retained,
            } => self.on_received(&topic, &payload, retained),
        }
    }

    fn on_connected(&mut self) {
        let now = now();
        self.subscribe_acks();
        self.queue.subscribe();
        self.publish_status(DeviceState::Online);
        self.queue.announce();
        self.next_heartbeat = now + self.heartbeat;
        self.follow_epoch(now);
        self.state.recorded(self.journal.last_seq(), now);
        let resend = self.state.connected(now);
        info!(
            acked = self.state.acked(),
            backlog = self.state.backlog(),
            "sending everything unacknowledged"
        );
        self.send(resend, now);
    }

    fn on_journaled(&mut self) {
        let now = now();
        let mut ranges = self.follow_epoch(now);
        ranges.extend(self.state.recorded(self.journal.last_seq(), now));
        self.send(ranges, now);
    }

    fn on_tick(&mut self) {
        let now = now();
        let mut ranges = self.follow_epoch(now);
        ranges.extend(self.state.recorded(self.journal.last_seq(), now));
        let before = self.state.sent_through();
        let ticked = self.state.tick(now);
        if ticked.first().is_some_and(|r| r.first <= before) {
            debug!(from = self.state.acked() + 1, "no ack progress; resending");
            // The broker may have lost our subscription (rumqttd drops it
            // with an older connection of the same client id): ask again,
            // which is harmless when it is still there.
            self.subscribe_acks();
            self.queue.subscribe();
        }
        ranges.extend(ticked);
        self.send(ranges, now);
        if self.state.is_connected() && now >= self.next_heartbeat {
            self.publish_status(DeviceState::Online);
            self.next_heartbeat = now + self.heartbeat;
        }
    }

    fn subscribe_acks(&self) {
        if let Err(e) = self
            .client
            .try_subscribe(self.topics.ack.clone(), QoS::AtLeastOnce)
        {
            error!(error = %e, "cannot subscribe to the ack topic");
        }
    }

    fn on_received(&mut self, topic: &str, payload: &[u8], retained: bool) {
        let verdict = self.inbound.receive(topic, payload, retained);
        let counts = self.inbound.counts();
        self.frames_tx.send_replace(counts);
        match verdict {
            Verdict::Ack { epoch, through } => self.on_ack(epoch, through),
            Verdict::TaskList(list) => self.queue.take(list),
            // Never the payload: it is whatever a stranger chose to send.
            Verdict::Refused(why) => {
                warn!(
                    reason = why.reason(),
                    refused = counts.refused(),
                    "refused a frame from the broker; acting on nothing"
                );
                if why.wants_task_ack() {
                    self.queue.announce();
                }
            }
        }
    }

    fn on_ack(&mut self, epoch: u64, through: u64) {
        let now = now();
        let mut ranges = self.follow_epoch(now);
        ranges.extend(self.state.recorded(self.journal.last_seq(), now));
        let outcome = self.state.ack_received(epoch, through, now);
        if through > self.state.published_through() {
            debug!(
                through,
                published = self.state.published_through(),
                "an ack beyond what this run published; trimming only that"
            );
        }
        ranges.extend(outcome.send);
        if let Some(trim) = outcome.trim_through {
            match self.journal.ack(self.state.epoch(), trim) {
                Ok(watermark) => {
                    debug!(through = watermark, "hub acknowledged");
                    self.acked_tx.send_replace(watermark);
                }
                Err(e) => error!(error = %e, "cannot trim the journal; entries stay"),
            }
        }
        self.send(ranges, now);
    }

    fn send(&mut self, ranges: Vec<BatchRange>, now: Instant) {
        for range in ranges {
            if let Err(e) = self.publish_batch(range) {
                warn!(error = %e, first = range.first, "batch not sent; will retry");
                self.state.send_failed(range.first, now);
                return;
            }
        }
    }

    fn publish_batch(&self, range: BatchRange) -> Result<(), SendError> {
        let wanted = usize::try_from(range.len()).unwrap_or(usize::MAX);
        let epoch = self.state.epoch();
        let movements = self.journal.unacked(epoch, range.first - 1, wanted)?;
        let first = movements.first().map(|m| m.seq);
        if first != Some(range.first) || movements.len() != wanted {
            return Err(SendError::Mismatch {
                found: movements.len(),
                first,
                want_first: range.first,
                want_last: range.last,
            });
        }
        // Signed now, at publish time, with the current key: a resend after a
        // key rotation carries the new key's tag.
        let batch = EventBatch {
            site: self.site.clone(),
            device: self.device.clone(),
            epoch,
            first_seq: range.first,
            movements,
            auth_tag: None,
        };
        let frame = encode_signed(&self.key, &batch);
        self.client
            .try_publish(self.topics.events.clone(), QoS::AtLeastOnce, false, frame)?;
        Ok(())
    }

    fn publish_status(&self, state: DeviceState) {
        let health = self.health.read();
        let frame = self.status.frame(crate::now_ms(), state, &health);
        let topic = self.topics.status.clone();
        if let Err(e) = self
            .client
            .try_publish(topic, QoS::AtLeastOnce, false, frame)
        {
            warn!(error = %e, "status not sent");
        }
    }

    fn say_goodbye(&mut self) {
        if self.state.is_connected() {
            self.publish_status(DeviceState::Offline);
            if let Err(e) = self.client.try_disconnect() {
                debug!(error = %e, "disconnect request not queued");
            }
        }
        self.state.disconnected();
        let frames = self.inbound.counts();
        info!(
            backlog = self.journal.backlog(),
            acks = frames.acks,
            refused = frames.refused(),
            "publisher stopped"
        );
    }
}
