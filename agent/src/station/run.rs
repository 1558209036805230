//! The station's async shell: the MQTT link in, the job queue in sled, one
//! print loop out to the printer, signed reports back.
//!
//! Order of durability: a job is stored before it is reported `Queued`,
//! marked `Sending` before its first byte goes to the printer, and its
//! outcome is stored before it is reported. So the hub never hears of a
//! state the station could forget, and a job is printed at most once per
//! id whatever is killed when.

use super::queue::{HeldJob, Offer, Phase, StationQueue};
use super::settle::{settle, Settlement};
use super::{Reporter, StationConfig, StationError, StationEvents};
use crate::printer::PrinterClient;
use protocol::sealed;
use protocol::ReplayGuard;
use protocol::{JobOutcome, JobResult, Message, Recipient, SealError, SealKey};
use std::sync::Arc;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Opens sealed job frames for this station.
pub(super) struct Opener {
    pub key: SealKey,
    pub site: String,
    pub station: String,
    pub key_version: u32,
    pub guard: ReplayGuard,
}

impl Opener {
    /// The same keys with a fresh replay guard (the print loop reopens
    /// frames it already admitted, so it checks no positions).
    pub fn clone_keys(&self) -> Opener {
        Opener {
            key: self.key.clone(),
            site: self.site.clone(),
            station: self.station.clone(),
            key_version: self.key_version,
            guard: ReplayGuard::new(),
        }
    }

    fn open(
        &self,
        topic: &str,
        frame: &[u8],
    ) -> Result<(protocol::FrameCounter, protocol::LabelJob), String> {
        let to = Recipient {
            site: &self.site,
            device: &self.station,
            topic,
            key_version: self.key_version,
        };
        let opened = sealed::open(&self.key, &to, frame).map_err(|e| seal_word(&e).to_string())?;
        match opened.message {
            Message::LabelJob(job) => Ok((opened.at, job)),
            _ => Err("not_a_label_job".into()),
        }
    }

    /// A job frame that arrived: opened, fresh and valid, or the reason.
    pub fn receive(&mut self, topic: &str, frame: &[u8]) -> Result<protocol::LabelJob, String> {
        let (at, job) = self.open(topic, frame)?;
        self.guard
            .admit(at)
            .map_err(|e| seal_word(&e).to_string())?;
        job.validate().map_err(|_| "invalid_job".to_string())?;
        Ok(job)
    }
}

/// A short word for why a frame did not open.
fn seal_word(e: &SealError) -> &'static str {
    match e {
        SealError::Empty | SealError::Truncated | SealError::Plaintext(_) => "malformed",
        SealError::UnknownVersion { .. } => "not_sealed",
        SealError::BadMac => "bad_seal",
        SealError::WrongDevice { .. } => "other_station",
        SealError::WrongTopic { .. } => "wrong_topic",
        SealError::KeyVersion { .. } => "other_key_version",
        SealError::Mismatch => "mismatch",
        SealError::Replayed { .. } => "replayed",
        SealError::TooLong => "too_long",
    }
}

/// Takes one arrived frame: stores a new job, reports it (or the known
/// job's state again), and wakes the print loop.
pub(super) async fn take_job(
    opener: &mut Opener,
    queue: &StationQueue,
    reporter: &Reporter,
    events: &StationEvents,
    (topic, frame): (String, Vec<u8>),
    wake: &Notify,
) -> Result<(), StationError> {
    let job = match opener.receive(&topic, &frame) {
        Ok(job) => job,
        Err(reason) => {
            warn!(%reason, "label job frame refused");
            events.line(&format!("refused reason={reason}"));
            return Ok(());
        }
    };
    let now = crate::now_ms();
    let held = HeldJob {
        job: job.job,
        received_ms: now,
        valid_ms: job.valid_ms,
        topic,
        frame,
        phase: Phase::Queued,
        updated_ms: now,
    };
    let result = match queue.offer(held)? {
        Offer::New(held) => {
            events.line(&format!(
                "queued job={} position={}/{}",
                job.job, job.position, job.batch_size
            ));
            wake.notify_one();
            held.result()
        }
        Offer::Known(held) => held.result(),
    };
    reporter.report(vec![result]).await;
    Ok(())
}

/// Prints queued jobs one at a time, in id order, until `cancel`.
pub(super) async fn print_loop(
    config: Arc<StationConfig>,
    opener: Arc<Opener>,
    queue: StationQueue,
    reporter: Reporter,
    events: StationEvents,
    wake: Arc<Notify>,
    cancel: CancellationToken,
) -> Result<(), StationError> {
    let printer = PrinterClient::new(config.printer, config.printer_timeout);
    loop {
        let Some(held) = queue.next_queued()? else {
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = wake.notified() => continue,
            }
        };
        if cancel.is_cancelled() {
            return Ok(());
        }
        let result = print_one(&printer, &opener, &queue, held).await?;
        let line = match &result.outcome {
            JobOutcome::Printed => format!("printed job={}", result.job),
            JobOutcome::Failed(r) => format!("failed job={} reason={r}", result.job),
            JobOutcome::Unsure(r) => format!("unsure job={} reason={r}", result.job),
            JobOutcome::Queued => continue,
        };
        events.line(&line);
        reporter.report(vec![result]).await;
    }
}

/// Prints one job and stores its outcome.
async fn print_one(
    printer: &PrinterClient,
    opener: &Opener,
    queue: &StationQueue,
    held: HeldJob,
) -> Result<JobResult, StationError> {
    let now = crate::now_ms();
    if now > held.received_ms.saturating_add(u64::from(held.valid_ms)) {
        // Held too long: the hub may have given it to another station.
        let done = queue.set_phase(held, Phase::Failed("expired".into()), now)?;
        return Ok(done.result());
    }
    let zpl = match opener.open(&held.topic, &held.frame) {
        Ok((_, job)) => job.zpl,
        Err(reason) => {
            warn!(job = held.job, %reason, "stored job no longer opens");
            let done = queue.set_phase(held, Phase::Failed("unreadable".into()), now)?;
            return Ok(done.result());
        }
    };
    let held = queue.set_phase(held, Phase::Sending, now)?;
    let attempt = printer.print_job(zpl.as_bytes()).await;
    drop(zpl);
    let phase = match settle(&attempt) {
        Settlement::Phase(phase) => phase,
        Settlement::Cancel(reason) => cancel_buffered(printer, reason).await,
    };
    info!(job = held.job, phase = ?phase, "label job settled");
    let done = queue.set_phase(held, phase, crate::now_ms())?;
    Ok(done.result())
}

/// Clears the printer's buffer of a job it holds after a problem; failed
/// if the buffer is then empty, unsure if not (or no answer).
async fn cancel_buffered(printer: &PrinterClient, reason: String) -> Phase {
    if let Err(e) = printer.cancel_all().await {
        warn!(error = %e, "cancel all not sent");
        return Phase::Unsure(reason);
    }
    match printer.status().await {
        Ok(s) if s.formats_in_buffer == 0 && s.labels_remaining == 0 => Phase::Failed(reason),
        _ => Phase::Unsure(reason),
    }
}
