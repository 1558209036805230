//! The printer station (issue 16): a mode of the agent (`agent station`)
//! that takes the label jobs the hub seals to it, keeps them in sled, and
//! prints them one at a time on a Zebra-compatible printer over raw TCP
//! port 9100, reporting each job's outcome back, signed.
//!
//! Map: [`queue`] (the durable job queue: at most one print per job id,
//! across restarts), [`settle`] (pure: what a print attempt means:
//! printed, failed, unsure), [`link`] (MQTT), [`run`] (the shell: taking
//! jobs, the print loop). The printer driver is [`crate::printer`].
//!
//! What it prints on its standard output, one line per event, so an
//! operator or a test can follow it: `connected` (subscribed and
//! reported), `queued job=N position=P/S`,
//! `printed job=N`, `failed job=N reason=R`, `unsure job=N reason=R`,
//! `refused reason=R` (a frame that did not open or was not a valid job).

pub mod link;
pub mod queue;
pub mod run;
pub mod settle;

use crate::credentials::DeviceSecrets;
use protocol::{encode_signed_label_report, LabelReport, ReplayGuard, SealKey, Topic, TopicKind};
use rumqttc::{AsyncClient, QoS};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// Most results in one report (WIRE.md §3.17).
const REPORT_CHUNK: usize = protocol::label::MAX_REPORT_RESULTS;

/// How a station runs.
#[derive(Debug, Clone)]
pub struct StationConfig {
    /// The hub's broker host.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// Site id.
    pub site: String,
    /// This station's id (its login).
    pub station: String,
    /// Its credentials.
    pub secrets: DeviceSecrets,
    /// Where its queue lives.
    pub data_dir: PathBuf,
    /// The printer, raw TCP (port 9100 on a real one).
    pub printer: SocketAddr,
    /// Bounds each connect and exchange with the printer.
    pub printer_timeout: Duration,
}

/// Why the station stopped.
#[derive(Debug, Error)]
pub enum StationError {
    /// The queue's store failed.
    #[error(transparent)]
    Queue(#[from] queue::QueueError),
    /// A site or station id that cannot be a topic.
    #[error("bad id: {0}")]
    Topic(#[from] protocol::TopicError),
}

/// Sends signed reports on the station's done topic.
#[derive(Clone)]
pub struct Reporter {
    client: AsyncClient,
    topic: String,
    site: String,
    station: String,
    key: protocol::DeviceKey,
}

impl Reporter {
    /// Publishes `results` (in chunks the wire allows). A report that does
    /// not get out is repeated at the next connect, with every result.
    pub async fn report(&self, results: Vec<protocol::JobResult>) {
        for chunk in results.chunks(REPORT_CHUNK) {
            let report = LabelReport {
                site: self.site.clone(),
                station: self.station.clone(),
                results: chunk.to_vec(),
                auth_tag: None,
            };
            let frame = encode_signed_label_report(&self.key, &report);
            if let Err(e) = self
                .client
                .publish(&self.topic, QoS::AtLeastOnce, false, frame)
                .await
            {
                warn!(error = %e, "label report not sent; repeated at the next connect");
            }
        }
    }
}

/// The station's event lines on standard output, in the order they
/// happen (one short blocking write each).
#[derive(Clone, Default)]
pub struct StationEvents;

impl StationEvents {
    /// Prints one event line (the station's one output; logs go to
    /// standard error).
    pub fn line(&self, line: &str) {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

/// Runs the station until `cancel`.
pub async fn run_station(
    config: StationConfig,
    cancel: CancellationToken,
) -> Result<(), StationError> {
    let jobs_topic = Topic::new(&config.site, &config.station, TopicKind::PrinterJobs)?.to_string();
    let done_topic = Topic::new(&config.site, &config.station, TopicKind::PrinterDone)?.to_string();
    let queue = queue::StationQueue::open(&config.data_dir, crate::now_ms())?;
    let options = link::mqtt_options(
        &config.host,
        config.port,
        &config.site,
        &config.station,
        &config.secrets,
    );
    let (client, eventloop) = AsyncClient::new(options, 64);
    let (events_tx, mut link_events) = mpsc::unbounded_channel();
    tokio::spawn(link::pump(eventloop, events_tx, cancel.clone()));
    let reporter = Reporter {
        client: client.clone(),
        topic: done_topic,
        site: config.site.clone(),
        station: config.station.clone(),
        key: config.secrets.key.clone(),
    };
    let mut opener = run::Opener {
        key: SealKey::derive(&config.secrets.key),
        site: config.site.clone(),
        station: config.station.clone(),
        key_version: config.secrets.key_version,
        guard: ReplayGuard::new(),
    };
    let events = StationEvents;
    let wake = Arc::new(Notify::new());
    let printing = tokio::spawn(run::print_loop(
        Arc::new(config.clone()),
        Arc::new(opener.clone_keys()),
        queue.clone(),
        reporter.clone(),
        events.clone(),
        wake.clone(),
        cancel.clone(),
    ));
    loop {
        let event = tokio::select! {
            _ = cancel.cancelled() => break,
            event = link_events.recv() => event,
        };
        match event {
            None => break,
            Some(link::LinkEvent::Connected) => {
                if let Err(e) = client.subscribe(&jobs_topic, QoS::AtLeastOnce).await {
                    warn!(error = %e, "jobs subscription not sent");
                }
                reporter.report(queue.recent_results(REPORT_CHUNK)?).await;
                events.line("connected");
            }
            Some(link::LinkEvent::Received { retained: true, .. }) => {}
            Some(link::LinkEvent::Received { topic, payload, .. }) => {
                run::take_job(
                    &mut opener,
                    &queue,
                    &reporter,
                    &events,
                    (topic, payload),
                    &wake,
                )
                .await?;
            }
        }
    }
    cancel.cancel();
    match printing.await {
        Ok(result) => result,
        Err(_) => Ok(()),
    }
}
