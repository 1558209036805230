//! What the hub sends devices and printer stations, from one task so that
//! one [`Sealer`] (one frame counter, so never a nonce twice) seals it
//! all: the acks the writer releases after each durable group, work
//! queues, and label jobs.
//!
//! A queue or a job is read from the store when it is sent, never carried
//! from the writer: what goes out is what is durable, and a device that
//! reconnects (its [`protocol::TaskAck`] names an older version) or a
//! station that reports (any [`protocol::LabelReport`]) is sent what it
//! lacks from the same place, and after each of the hub's connections to
//! the broker every station is sent its live jobs again, to learn what it
//! reported while the hub was not listening, and every device that has a
//! queue is sent it again, in case its task ack went to nobody. Nothing
//! is retained on the broker.

use crate::metrics::Metrics;
use crate::net::sealer::Sealer;
use crate::pool::DeviceEpoch;
use crate::store::labels::JobsToSend;
use crate::store::tasks::Queues;
use crate::store::Store;
use crate::writer::labels::LabelVault;
use crate::writer::{AckRelease, Outgoing};
use rumqttc::{AsyncClient, QoS};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

/// The writer's releases and what seals and reads them.
pub struct Outbound {
    /// Acks of durable groups.
    pub acks: mpsc::UnboundedReceiver<AckRelease>,
    /// Devices whose work queue changed, and stations with label jobs to
    /// send, in a durable group.
    pub queues: mpsc::UnboundedReceiver<Outgoing>,
    /// Seals every frame.
    pub sealer: Sealer,
    /// Where queues and jobs are read.
    pub store: Store,
    /// Opens the labels of jobs (sealed at rest); None on a hub without a
    /// master key, which makes no labels.
    pub vault: Option<LabelVault>,
    /// Where orders whose label printed go (the write-back worker).
    pub labelled: Option<mpsc::UnboundedSender<Vec<u64>>>,
    /// This hub's site.
    pub site: String,
    /// Packing stations (`[tasks] pack_stations`): sent every picked,
    /// unpacked task.
    pub pack_stations: Vec<String>,
    /// Remarks already opened, by order (an order's remarks never change
    /// once it is on a list).
    pub remarks: std::collections::HashMap<u64, Option<String>>,
    /// Where the opening of remarks is recorded in the access audit (the
    /// writer's queue).
    pub audit: Option<mpsc::Sender<crate::writer::Command>>,
}

/// Orders whose remarks are kept opened in memory at most (then the
/// cache starts again).
const REMARKS_CACHED: usize = 10_000;

/// Publishes acks, queues and label jobs until the channels close or
/// `cancel`; after every connection to the broker (`connacks` counts
/// them) asks the stations about their live jobs again and sends every
/// device its queue again.
pub async fn run(
    client: AsyncClient,
    mut out: Outbound,
    metrics: Arc<Metrics>,
    mut connacks: watch::Receiver<u64>,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            Ok(()) = connacks.changed() => {
                ask_stations(&client, &mut out, &cancel).await;
                resend_queues(&client, &mut out, &cancel).await;
            }
            set = out.acks.recv() => match set {
                Some(set) => publish_acks(&client, &mut out, set, &metrics, &cancel).await,
                None => return,
            },
            Some(mut outgoing) = out.queues.recv() => {
                let labelled = std::mem::take(&mut outgoing.labelled);
                if let (false, Some(tx)) = (labelled.is_empty(), &out.labelled) {
                    let _ = tx.send(labelled);
                }
                let (devices, stations) = coalesce(&mut out, outgoing);
                publish_queues(&client, &mut out, devices, &cancel).await;
                publish_jobs(&client, &mut out, stations, &cancel).await;
            }
        }
    }
}

/// Everyone named by `first` and whatever else is pending, each once.
fn coalesce(out: &mut Outbound, first: Outgoing) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut devices: BTreeSet<String> = first.queues.into_iter().collect();
    let mut stations: BTreeSet<String> = first.stations.into_iter().collect();
    while let Ok(more) = out.queues.try_recv() {
        devices.extend(more.queues);
        stations.extend(more.stations);
        if let (false, Some(tx)) = (more.labelled.is_empty(), &out.labelled) {
            let _ = tx.send(more.labelled);
        }
    }
    (devices, stations)
}

async fn publish_acks(
    client: &AsyncClient,
    out: &mut Outbound,
    release: AckRelease,
    metrics: &Metrics,
    cancel: &CancellationToken,
) {
    let AckRelease { mut set, arrived } = release;
    let mut arrivals: HashMap<DeviceEpoch, Vec<Instant>> = HashMap::new();
    let mut note = |arrived: Vec<(DeviceEpoch, Instant)>| {
        for (stream, at) in arrived {
            arrivals.entry(stream).or_default().push(at);
        }
    };
    note(arrived);
    // Coalesce whatever else is pending: only the highest ack of each
    // (device, epoch) matters.
    while let Ok(more) = out.acks.try_recv() {
        for (stream, through) in more.set {
            let e = set.entry(stream).or_insert(0);
            *e = (*e).max(through);
        }
        note(more.arrived);
    }
    for (stream, through_seq) in set {
        let covered = arrivals.remove(&stream).unwrap_or_default();
        let frame = match out.sealer.ack(&stream.device, stream.epoch, through_seq) {
            Ok(frame) => frame,
            Err(e) => {
                // The device resends and gets an ack once it can be sealed.
                let device = stream.device.escape_debug();
                warn!(device = %device, error = %e, "ack not sealed; not sent");
                continue;
            }
        };
        match publish(client, frame, cancel, "ack").await {
            Sent::Cancelled => return,
            Sent::Done => {
                Metrics::add(&metrics.acks_sent, 1);
                covered.into_iter().for_each(|at| metrics.ack_published(at));
            }
            Sent::Failed => {}
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Sent {
    Done,
    Failed,
    Cancelled,
}

async fn publish(
    client: &AsyncClient,
    frame: crate::net::sealer::SealedFrame,
    cancel: &CancellationToken,
    what: &'static str,
) -> Sent {
    let sent = tokio::select! {
        _ = cancel.cancelled() => return Sent::Cancelled,
        r = client.publish(frame.topic, QoS::AtLeastOnce, false, frame.payload) => r,
    };
    match sent {
        Ok(()) => Sent::Done,
        Err(e) => {
            // Devices resend (and get the ack then), and devices and
            // stations ask again at their next task ack or report.
            warn!(error = %e, what, "publish failed; sent again when asked");
            Sent::Failed
        }
    }
}

async fn publish_queues(
    client: &AsyncClient,
    out: &mut Outbound,
    wanted: BTreeSet<String>,
    cancel: &CancellationToken,
) {
    if wanted.is_empty() {
        return;
    }
    match out.store.device_queues(&wanted, &out.pack_stations) {
        Ok(queues) => send_queues(client, out, queues, cancel).await,
        // Each device's next task ack asks again.
        Err(e) => warn!(error = %e, "queues not read; not sent"),
    }
}

/// After each connection to the broker: sends every device that has a
/// queue (a version above 0, or tasks in it) its queue as it stands,
/// one frame each. A device tells the hub what it holds only at its own
/// connect and after a list, and the hub sends only on a change or an
/// older ack: a task ack published while this hub had no subscription
/// (it restarted, or its connection was down while the broker stayed up
/// or came back before it) is lost on the broker, and a queue committed
/// but not published before the hub stopped never left; the device,
/// still connected, would not get its queue until the next change. A
/// device that holds the version already stores nothing and acks it
/// (WIRE.md §3.10), which tells the hub what it holds. Sent after the
/// connection's subscriptions, on the same connection, so the acks find
/// them.
async fn resend_queues(client: &AsyncClient, out: &mut Outbound, cancel: &CancellationToken) {
    match out.store.live_queues(&out.pack_stations) {
        Ok(queues) => {
            debug!(
                devices = queues.len(),
                "sending every queue after connecting"
            );
            send_queues(client, out, queues, cancel).await;
        }
        // The devices' next task acks ask again.
        Err(e) => warn!(error = %e, "queues not read; not sent after connecting"),
    }
}

/// Publishes each device's queue, sealed, with the buyers' remarks.
async fn send_queues(
    client: &AsyncClient,
    out: &mut Outbound,
    queues: Queues,
    cancel: &CancellationToken,
) {
    for (device, (version, tasks)) in queues {
        let (store, vault, cache) = (&out.store, &out.vault, &mut out.remarks);
        if cache.len() > REMARKS_CACHED {
            cache.clear();
        }
        let audit = out.audit.as_ref();
        let mut remarks = |order: u64| {
            if let Some(known) = cache.get(&order) {
                return known.clone();
            }
            let opened = opened_remarks(vault.as_ref()?, store, audit, order)?;
            cache.insert(order, opened.clone());
            opened
        };
        let list =
            crate::tasks::wire::task_list_with(&out.site, &device, version, &tasks, &mut remarks);
        let frame = match out.sealer.task_list(list) {
            Ok(frame) => frame,
            Err(e) => {
                warn!(device = %device.escape_debug(), error = %e, "queue not sealed; not sent");
                continue;
            }
        };
        if publish(client, frame, cancel, "queue").await == Sent::Cancelled {
            return;
        }
    }
}

/// Opens `order`'s remarks and records the access in the audit first: a
/// remark goes on a list only once its opening is on record (None,
/// to be tried again at the next send, when the writer's queue is full).
fn opened_remarks(
    vault: &LabelVault,
    store: &Store,
    audit: Option<&mpsc::Sender<crate::writer::Command>>,
    order: u64,
) -> Option<Option<String>> {
    let Some((remarks, customer)) = vault.remarks(store, order) else {
        return Some(None);
    };
    let entry = crate::orders::AuditEntry {
        at_ms: crate::clock::wall_ms(),
        who: "hub".into(),
        action: "read_remarks".into(),
        reason: "the buyer's remarks on the picker's and packer's list".into(),
        order: Some(order),
        customer: Some(customer),
    };
    let command = crate::writer::Command::Audit(Box::new(entry));
    audit?.try_send(command).ok()?;
    Some(Some(remarks))
}

/// Sends each station every job it does not hold yet, in id order (which
/// is print order), each job its own sealed frame.
async fn publish_jobs(
    client: &AsyncClient,
    out: &mut Outbound,
    stations: BTreeSet<String>,
    cancel: &CancellationToken,
) {
    for station in stations {
        let to_send = match out.store.jobs_to_send(&station) {
            Ok(to_send) => to_send,
            Err(e) => {
                warn!(error = %e, "label jobs not read; sent at the station's next report");
                continue;
            }
        };
        if send_jobs(client, out, &station, to_send, cancel).await == Sent::Cancelled {
            return;
        }
    }
}

/// After each connection to the broker: sends every station every job
/// still live there (sent, or queued as far as the hub heard), which it
/// answers with where the job stands (a station never prints a job id
/// twice, WIRE.md §3.16). Its reports are lost on the broker while this
/// hub has no subscription (it restarted, or its connection dropped and
/// the broker stayed up or came back before it): a printed job would
/// stay queued here for good. Sent after the connection's subscriptions,
/// on the same connection, so the answers find them.
async fn ask_stations(client: &AsyncClient, out: &mut Outbound, cancel: &CancellationToken) {
    if out.vault.is_none() {
        return;
    }
    let live = match out.store.live_jobs() {
        Ok(live) => live,
        Err(e) => {
            warn!(error = %e, "label jobs not read; not asked about after connecting");
            return;
        }
    };
    for (station, to_send) in live {
        if send_jobs(client, out, &station, to_send, cancel).await == Sent::Cancelled {
            return;
        }
    }
}

/// Publishes `to_send` to `station`, each job its own sealed frame.
async fn send_jobs(
    client: &AsyncClient,
    out: &mut Outbound,
    station: &str,
    to_send: JobsToSend,
    cancel: &CancellationToken,
) -> Sent {
    let Some(vault) = &out.vault else {
        return Sent::Done;
    };
    // Each batch's key is unwrapped once for all its jobs.
    let mut keys = std::collections::BTreeMap::new();
    for (batch, wrapped) in &to_send.keys {
        match vault.batch_key(*batch, wrapped) {
            Ok(key) => drop(keys.insert(*batch, key)),
            Err(e) => warn!(batch, error = %e, "batch key not opened; its jobs not sent"),
        }
    }
    for job in to_send.jobs {
        let Some(key) = keys.get(&job.batch) else {
            continue;
        };
        let message = match vault.label_job(&out.site, &job, key) {
            Ok(message) => message,
            Err(e) => {
                warn!(job = job.id, error = %e, "label not opened; job not sent");
                continue;
            }
        };
        let frame = match out.sealer.label_job(message) {
            Ok(frame) => frame,
            Err(e) => {
                let station = station.escape_debug();
                warn!(%station, error = %e, "label job not sealed; not sent");
                continue;
            }
        };
        if publish(client, frame, cancel, "label job").await == Sent::Cancelled {
            return Sent::Cancelled;
        }
    }
    Sent::Done
}
