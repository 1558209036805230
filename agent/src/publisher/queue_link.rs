//! The work queue's side of the link: subscribes to the device's tasks
//! topic, hands each task list [`super::Inbound`] let through to the
//! [`TaskQueue`], and answers with a signed `TaskAck` naming the version
//! the device then holds (WIRE.md §3.10, §3.14, §10 "Work queue").
//!
//! Why the offer runs on a blocking thread: a newer list is synced to disk
//! before it is acknowledged, and an fsync must not stall the driver's
//! event loop (acks, resends, heartbeats). Offers are serialised by the
//! queue and its version only grows, so two lists racing each other still
//! leave the newer one held; their acks may reach the hub out of order,
//! which is harmless: a task ack is cumulative.

use crate::tasks::{Offer, TaskAckSigner, TaskQueue};
use protocol::TaskList;
use rumqttc::{AsyncClient, QoS};
use std::sync::Arc;
use tokio::sync::watch;
use tracing::{debug, error, info, warn};

/// Everything needed to take a list and answer it, cheap to clone into a
/// blocking task.
#[derive(Clone)]
pub(super) struct QueueLink {
    pub(super) queue: TaskQueue,
    pub(super) signer: TaskAckSigner,
    pub(super) client: AsyncClient,
    /// `wms/{site}/dev/{device}/tasks`.
    pub(super) tasks_topic: String,
    /// `wms/{site}/dev/{device}/taskack`.
    pub(super) taskack_topic: String,
    /// The version held, for the handle's watchers (the UI).
    pub(super) version: Arc<watch::Sender<u64>>,
}

impl QueueLink {
    /// Subscribes to the tasks topic (again: harmless if it still exists).
    pub(super) fn subscribe(&self) {
        let topic = self.tasks_topic.clone();
        if let Err(e) = self.client.try_subscribe(topic, QoS::AtLeastOnce) {
            error!(error = %e, "cannot subscribe to the tasks topic");
        }
    }

    /// Tells the hub which version is held (after every connect, and after
    /// a list that opened but was refused), so it knows what to re-send.
    pub(super) fn announce(&self) {
        self.publish_ack(self.queue.version());
    }

    /// Offers `list` to the queue off the event loop, then acknowledges.
    pub(super) fn take(&self, list: TaskList) {
        let link = self.clone();
        drop(tokio::task::spawn_blocking(move || link.take_now(list)));
    }

    fn take_now(&self, list: TaskList) {
        let (offered, tasks) = (list.version, list.tasks.len());
        match self.queue.offer(list) {
            Ok(offer @ Offer::Taken { marks_dropped, .. }) => {
                info!(
                    version = offer.held(),
                    tasks, marks_dropped, "work queue taken"
                );
                self.version.send_replace(offer.held());
                self.publish_ack(offer.held());
            }
            Ok(offer @ Offer::NotNewer { held }) => {
                debug!(offered, held, "task list not newer than the queue held");
                self.publish_ack(offer.held());
            }
            // Not acknowledged: the hub re-sends, and the list is offered again.
            Err(e) => error!(error = %e, offered, "task list not stored; not acknowledged"),
        }
    }

    fn publish_ack(&self, version: u64) {
        let frame = self.signer.frame(version);
        let topic = self.taskack_topic.clone();
        if let Err(e) = self
            .client
            .try_publish(topic, QoS::AtLeastOnce, false, frame)
        {
            warn!(error = %e, version, "task ack not sent; the next connect or list sends it");
        }
    }
}

#[cfg(test)]
#[path = "queue_link_tests.rs"]
mod tests;
