//! The archiver: every few seconds, moves the event log's oldest entries
//! out of the store into segment files once the store holds more than the
//! configured number ([`crate::store::archive`]). It runs beside the
//! writer on a blocking thread; the writer never waits for it.

use crate::beat::Beat;
use crate::store::archive::ArchivePolicy;
use crate::store::Store;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the archiver looks.
pub const ARCHIVE_EVERY: Duration = Duration::from_secs(2);

/// How long one round may take: a segment of 65,536 entries is about
/// 8 MB written and synced, and its entries removed from the store.
pub const ARCHIVE_PATIENCE: Duration = Duration::from_secs(120);

/// Archives whatever is due every [`ARCHIVE_EVERY`] until cancelled. A
/// failed step (a full disk, say) is logged and tried again next round:
/// the store is left as it was, only larger.
pub async fn archiver(store: Store, policy: ArchivePolicy, beat: Beat, cancel: CancellationToken) {
    crate::beat::every(ARCHIVE_EVERY, beat, cancel, || {
        let store = store.clone();
        async move {
            let step = tokio::task::spawn_blocking(move || archive_due(&store, policy)).await;
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
