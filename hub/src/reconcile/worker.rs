//! The reconciliation worker: one thread that finishes the snapshots the
//! writer takes (replays the log, compares, stores the report), so a
//! nightly reconciliation over a long log never stalls ingest or
//! reservations. One thread, so reports are numbered without races.

use crate::errors::PoolError;
use crate::reconcile::erp::ErpFile;
use crate::reconcile::{self, Report, Snapshot};
use crate::store::Store;
use std::sync::mpsc;
use std::thread::JoinHandle;
use tokio::sync::oneshot;
use tracing::{error, info};

/// One reconciliation to finish.
pub struct Work {
    /// What the writer captured.
    pub snapshot: Snapshot,
    /// The ERP file to compare with.
    pub erp: Option<ErpFile>,
    /// "api", "nightly".
    pub trigger: &'static str,
    /// Hub time it was asked for.
    pub now: u64,
    /// Who waits for the report (the writer's `Reply<Report>`; spelled out so
    /// this module does not depend on the writer that depends on it).
    pub reply: Option<oneshot::Sender<Result<Report, PoolError>>>,
}

/// Finishes one reconciliation and answers.
pub fn finish(store: &Store, work: Work) {
    let trigger = work.trigger;
    let result = reconcile::finish(store, work.snapshot, work.erp, trigger, work.now);
    match &result {
        Ok(report) => info!(
            id = report.id,
            ok = report.pool_matches_log,
            flagged = report.flagged_for_audit,
            trigger,
            "reconciliation done"
        ),
        Err(e) => error!(error = %e, "reconciliation failed"),
    }
    if let Some(reply) = work.reply {
        let _ = reply.send(result.map_err(|_| PoolError::CommitFailed));
    }
}

/// Starts the worker; it ends when the sender is dropped.
pub fn spawn(store: Store) -> std::io::Result<(mpsc::Sender<Work>, JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel::<Work>();
    let handle = std::thread::Builder::new()
        .name("pool-reconcile".into())
        .spawn(move || {
            for work in rx {
                finish(&store, work);
            }
        })?;
    Ok((tx, handle))
}
