//! Offline backlog: one device journals N movements with no hub reachable,
//! then the hub comes up; measured from the publisher's start to the ack
//! covering the last movement (the journal then trims).

use crate::hubctl;
use crate::stats::verdict;
use agent::{run_publisher, Journal, MovementDraft, PublisherConfig};
use protocol::MovementKind;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Journals `movements`, then drains them to a fresh hub; prints the time
/// against the 2 s target.
pub async fn run(movements: u64) -> anyhow::Result<bool> {
    let hub_dir = tempfile::tempdir()?;
    let dev_dir = tempfile::tempdir()?;
    let journal = Journal::open(dev_dir.path())?;
    let fill = Instant::now();
    let j = journal.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        for n in 0..movements {
            let sku = format!("SKU-{}", n % 1000);
            j.record(MovementDraft::new(MovementKind::Receive, &sku, "DOCK-1", 1))?;
        }
        Ok(())
    })
    .await??;
    let fill = fill.elapsed();
    let creds = hubctl::provision(hub_dir.path(), &["backlog-1".to_string()])?;
    let (hub, port) = hubctl::start(hub_dir.path()).await?;
    let cancel = CancellationToken::new();
    let secrets = hubctl::secrets(&creds, "backlog-1")?;
    let config = PublisherConfig::new("127.0.0.1", port, "bench", "backlog-1", secrets);
    let started = Instant::now();
    let (handle, task) = run_publisher(journal.clone(), config, cancel.clone())?;
    tokio::spawn(task);
    if !handle.wait_acked(movements).await {
        anyhow::bail!("publisher ended before the backlog drained");
    }
    let drained = started.elapsed();
    let backlog_left = journal.backlog();
    cancel.cancel();
    let applied = hub
        .metrics
        .movements_applied
        .load(std::sync::atomic::Ordering::Relaxed);
    hubctl::stop(hub).await?;
    if applied != movements || backlog_left != 0 {
        anyhow::bail!(
            "applied {applied}, journal backlog {backlog_left}; expected {movements} and 0"
        );
    }
    let ok = drained < Duration::from_secs(2);
    println!(
        "offline backlog: {movements} movements journaled in {:.1} s, drained and acked in {:.3} s ({:.0} movements/s)",
        fill.as_secs_f64(),
        drained.as_secs_f64(),
        movements as f64 / drained.as_secs_f64()
    );
    println!(
        "  drain / 2 s target = {:.2} (target < 1.00): {}",
        drained.as_secs_f64() / 2.0,
        verdict(ok)
    );
    Ok(ok)
}
