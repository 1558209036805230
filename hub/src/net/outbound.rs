//! What the hub sends devices, from one task so that one [`Sealer`] (one
//! frame counter, so never a nonce twice) seals it all: the acks the
//! writer releases after each durable group, and work queues.
//!
//! A queue is read from the store when it is sent, never carried from the
//! writer: what goes out is what is durable, and a device that reconnects
//! (its [`protocol::TaskAck`] names an older version) is sent the current
//! queue from the same place. Nothing is retained on the broker.

use crate::metrics::Metrics;
use crate::net::sealer::Sealer;
use crate::store::Store;
use crate::writer::AckSet;
use rumqttc::{AsyncClient, QoS};
use std::collections::BTreeSet;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// The writer's releases and what seals and reads them.
pub struct Outbound {
    /// Acks of durable groups.
    pub acks: mpsc::UnboundedReceiver<AckSet>,
    /// Devices whose work queue changed in a durable group.
    pub queues: mpsc::UnboundedReceiver<Vec<String>>,
    /// Seals every frame.
    pub sealer: Sealer,
    /// Where queues are read.
    pub store: Store,
    /// This hub's site.
    pub site: String,
}

/// Publishes acks and queues until both channels close or `cancel`.
pub async fn run(
    client: AsyncClient,
    mut out: Outbound,
    metrics: Arc<Metrics>,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            set = out.acks.recv() => match set {
                Some(set) => publish_acks(&client, &mut out, set, &metrics, &cancel).await,
                None => return,
            },
            Some(devices) = out.queues.recv() => {
                publish_queues(&client, &mut out, devices, &cancel).await
            }
        }
    }
}

async fn publish_acks(
    client: &AsyncClient,
    out: &mut Outbound,
    mut set: AckSet,
    metrics: &Metrics,
    cancel: &CancellationToken,
) {
    // Coalesce whatever else is pending: only the highest ack of each
    // (device, epoch) matters.
    while let Ok(more) = out.acks.try_recv() {
        for (stream, through) in more {
            let e = set.entry(stream).or_insert(0);
            *e = (*e).max(through);
        }
    }
    for (stream, through_seq) in set {
        let frame = match out.sealer.ack(&stream.device, stream.epoch, through_seq) {
            Ok(frame) => frame,
            Err(e) => {
                // The device resends and gets an ack once it can be sealed.
                let device = stream.device.escape_debug();
                warn!(device = %device, error = %e, "ack not sealed; not sent");
                continue;
            }
        };
        let sent = tokio::select! {
            _ = cancel.cancelled() => return,
            r = client.publish(frame.topic, QoS::AtLeastOnce, false, frame.payload) => r,
        };
        match sent {
            Ok(()) => Metrics::add(&metrics.acks_sent, 1),
            Err(e) => warn!(error = %e, "ack publish failed; the device will resend"),
        }
    }
}

async fn publish_queues(
    client: &AsyncClient,
    out: &mut Outbound,
    devices: Vec<String>,
    cancel: &CancellationToken,
) {
    let mut wanted: BTreeSet<String> = devices.into_iter().collect();
    while let Ok(more) = out.queues.try_recv() {
        wanted.extend(more);
    }
    let queues = match out.store.device_queues(&wanted) {
        Ok(queues) => queues,
        Err(e) => {
            // Each device's next task ack asks again.
            warn!(error = %e, "queues not read; not sent");
            return;
        }
    };
    for (device, (version, tasks)) in queues {
        let list = crate::tasks::wire::task_list(&out.site, &device, version, &tasks);
        let frame = match out.sealer.task_list(list) {
            Ok(frame) => frame,
            Err(e) => {
                warn!(device = %device.escape_debug(), error = %e, "queue not sealed; not sent");
                continue;
            }
        };
        let sent = tokio::select! {
            _ = cancel.cancelled() => return,
            r = client.publish(frame.topic, QoS::AtLeastOnce, false, frame.payload) => r,
        };
        if let Err(e) = sent {
            warn!(error = %e, "queue publish failed; the device's next task ack asks again");
        }
    }
}
