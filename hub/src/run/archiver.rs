//! The store's upkeep, beside the writer on a blocking thread (the writer
//! never waits for it), every few seconds:
//! - the archiver moves the event log's oldest entries out of the store
//!   into segment files once the store holds more than the configured
//!   number ([`crate::store::archive`]);
//! - the relocator rewrites the store's live records in chunks once sled's
//!   data file has grown past where the last pass left it, so sled can
//!   reuse the file's old regions ([`crate::store::relocate`]);
//! - once the data file is past its limit (or half of it in the quiet
//!   hour), it asks for a compaction
//!   ([`crate::store::compact`]), which [`crate::run::run`] does by
//!   restarting the hub in-process.

use crate::beat::Beat;
use crate::clock::SharedClock;
use crate::metrics::Metrics;
use crate::store::archive::ArchivePolicy;
use crate::store::compact::{self, CompactPolicy};
use crate::store::relocate::{RelocatePolicy, Relocator};
use crate::store::Store;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the upkeep looks.
pub const ARCHIVE_EVERY: Duration = Duration::from_secs(2);

/// How long one round may take: a segment of 65,536 entries is about
/// 8 MB written and synced, and its entries removed from the store; a
/// relocation chunk rewrites 65,536 records.
pub const ARCHIVE_PATIENCE: Duration = Duration::from_secs(120);

/// What the upkeep does.
#[derive(Debug, Clone, Copy, Default)]
pub struct Upkeep {
    /// When the event log is archived.
    pub archive: ArchivePolicy,
    /// When the store's records are relocated.
    pub relocate: RelocatePolicy,
    /// When the store is compacted.
    pub compact: CompactPolicy,
}

/// Archives and relocates whatever is due every [`ARCHIVE_EVERY`] until
/// cancelled. A failed step (a full disk, say) is logged and tried again
/// next round: the store is left as it was, only larger.
pub async fn archiver(
    store: Store,
    upkeep: Upkeep,
    metrics: Arc<Metrics>,
    clock: SharedClock,
    compact_due: CancellationToken,
    beat: Beat,
    cancel: CancellationToken,
) {
    let relocator = Arc::new(Mutex::new(Relocator::new(upkeep.relocate)));
    crate::beat::every(ARCHIVE_EVERY, beat, cancel, || {
        let store = store.clone();
        let relocator = relocator.clone();
        let metrics = metrics.clone();
        let compact_due = compact_due.clone();
        let clock = clock.clone();
        async move {
            let step = tokio::task::spawn_blocking(move || {
                archive_due(&store, upkeep.archive);
                let size = store.data_file_bytes();
                metrics.store_data_file_bytes.store(size, Ordering::Relaxed);
                relocate_due(&store, size, &relocator, &metrics);
                ask_compaction(&store, size, upkeep.compact, clock.now_ms(), &compact_due);
            })
            .await;
            // Only a stopping runtime fails the join; the loop ends then.
            step.is_ok()
        }
    })
    .await
}

/// Archives one segment if one is due (a backlog, say after an upgrade,
/// drains one segment a round, so the part's sign of life stays fresh).
fn archive_due(store: &Store, policy: ArchivePolicy) {
    if let Err(e) = store.archive_step(policy) {
        tracing::error!(error = %e, "cannot archive the event log; will try again");
    }
}

/// Asks for a compaction (an in-process restart: see
/// [`crate::run::run`]) once the data file is past its limit, or past half
/// of it in the quiet hour.
fn ask_compaction(
    store: &Store,
    size: u64,
    policy: CompactPolicy,
    now_ms: u64,
    compact_due: &CancellationToken,
) {
    let limit = compact::limit(store.dir(), policy);
    let Some(why) = compact::due_now(size, limit, policy.quiet, now_ms) else {
        return;
    };
    if !compact_due.is_cancelled() {
        tracing::warn!(
            data_file_mib = size >> 20,
            limit_mib = limit.unwrap_or(0) >> 20,
            ?why,
            "compacting the store (the hub restarts in-process)"
        );
        compact_due.cancel();
    }
}

/// Rewrites one chunk of records if a relocation pass is due, given the
/// data file's `size` this round.
fn relocate_due(store: &Store, size: u64, relocator: &Mutex<Relocator>, metrics: &Metrics) {
    let mut relocator = relocator.lock().unwrap_or_else(|p| p.into_inner());
    let step = relocator.step(store, size);
    let stats = relocator.stats();
    metrics
        .store_relocation_passes
        .store(stats.passes, Ordering::Relaxed);
    metrics
        .store_records_relocated
        .store(stats.rewritten, Ordering::Relaxed);
    match step {
        Ok(crate::store::relocate::Step::Finished) => {
            tracing::info!(
                passes = stats.passes,
                rewritten = stats.rewritten,
                data_file_mib = size >> 20,
                "relocated the store's records"
            );
        }
        Ok(_) => {}
        Err(e) => {
            tracing::error!(error = %e, "cannot relocate the store's records; will try again")
        }
    }
}
