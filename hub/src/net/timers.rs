//! The writer's two clocks-driven helpers: the sweeper, which asks the
//! writer every `sweep_interval_ms` to expire due holds (so a hold returns
//! to the pool within that interval of its expiry, whatever else is going
//! on), and the nightly reconciliation at a fixed site time. Both only send
//! commands; the decisions stay in the writer, against the injected clock.

use crate::beat::Beat;
use crate::clock::SharedClock;
use crate::config::{parse_time_of_day, HubConfig};
use crate::health::parts::Parts;
use crate::health::trim;
use crate::reconcile::erp;
use crate::writer::Command;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::info;

/// How long a timer may, beyond its own interval: its command may wait
/// behind a full writer queue for a while.
const TIMER_PATIENCE: Duration = Duration::from_secs(30);

const DAY_MS: i64 = 86_400_000;

/// The first instant after `now_ms` that is `minute_of_day` in a site
/// whose clocks run `offset_minutes` ahead of UTC.
pub fn next_run_ms(now_ms: u64, minute_of_day: u32, offset_minutes: i32) -> u64 {
    let offset = i64::from(offset_minutes) * 60_000;
    let local = now_ms as i64 + offset;
    let target = i64::from(minute_of_day) * 60_000;
    let mut wait = (target - local.rem_euclid(DAY_MS)).rem_euclid(DAY_MS);
    if wait == 0 {
        wait = DAY_MS;
    }
    now_ms + wait as u64
}

/// Sends `Command::Sweep` every `every` until cancelled.
pub async fn sweeper(
    commands: mpsc::Sender<Command>,
    every: Duration,
    beat: Beat,
    cancel: CancellationToken,
) {
    crate::beat::every(every, beat, cancel, || {
        let commands = commands.clone();
        async move { commands.send(Command::Sweep).await.is_ok() }
    })
    .await
}

/// Starts the sweeper, the nightly reconciliation (unless it is off) and
/// the heap trimmer ([`crate::health::trim`]) as parts of the hub.
pub(crate) fn spawn(
    parts: &mut Parts,
    config: &HubConfig,
    commands: &mpsc::Sender<Command>,
    clock: &SharedClock,
    cancel: &CancellationToken,
) {
    let every = Duration::from_millis(config.sweep_interval_ms);
    let (c, tx) = (cancel.clone(), commands.clone());
    parts.spawn_beating("sweeper", every + TIMER_PATIENCE, |beat| {
        sweeper(tx, every, beat, c)
    });
    let c = cancel.clone();
    parts.spawn_beating("heap-trim", trim::TRIM_EVERY + TIMER_PATIENCE, |beat| {
        trim::trimmer(trim::TRIM_EVERY, beat, c)
    });
    // Validated at load; "off" (or a bad value) means no nightly job.
    if let Ok(Some(minute_of_day)) = parse_time_of_day(&config.reconcile_at) {
        let plan = Nightly {
            minute_of_day,
            offset_minutes: config.site_utc_offset_minutes,
            erp_csv: config.erp_stock_csv.clone(),
        };
        let (c, tx, clock) = (cancel.clone(), commands.clone(), clock.clone());
        parts.spawn_beating("nightly-reconciliation", TIMER_PATIENCE, |beat| {
            nightly(tx, clock, plan, beat, c)
        });
    }
}

/// When and with what the nightly reconciliation runs.
#[derive(Debug, Clone)]
pub struct Nightly {
    /// Minutes after local midnight.
    pub minute_of_day: u32,
    /// Site time minus UTC, minutes.
    pub offset_minutes: i32,
    /// The ERP stock file to compare with, if configured.
    pub erp_csv: Option<PathBuf>,
}

/// Runs the nightly reconciliation until cancelled. Re-reads the clock
/// every second, so a clock that jumps (tests, NTP) is followed.
pub async fn nightly(
    commands: mpsc::Sender<Command>,
    clock: SharedClock,
    plan: Nightly,
    beat: Beat,
    cancel: CancellationToken,
) {
    let mut due = next_run_ms(clock.now_ms(), plan.minute_of_day, plan.offset_minutes);
    loop {
        beat.now();
        let now = clock.now_ms();
        if now >= due {
            info!("nightly reconciliation starting");
            let erp = match &plan.erp_csv {
                Some(path) => Some(read_erp(path).await),
                None => None,
            };
            let cmd = Command::Reconcile {
                erp,
                trigger: "nightly",
                reply: None,
            };
            if commands.send(cmd).await.is_err() {
                return;
            }
            due = next_run_ms(now, plan.minute_of_day, plan.offset_minutes);
            continue;
        }
        let wait = Duration::from_millis((due - now).min(1_000));
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Streams the ERP file off the async threads (it may be large).
async fn read_erp(path: &std::path::Path) -> erp::ErpFile {
    let path = path.to_path_buf();
    let source = path.display().to_string();
    tokio::task::spawn_blocking(move || erp::read_file(&path))
        .await
        .unwrap_or_else(|e| erp::ErpFile::unreadable(&source, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_run_is_the_next_site_time() {
        let day = DAY_MS as u64;
        let base = 20_000 * day; // a UTC midnight
        let two = 120 * 60_000;
        let cases = [
            (base, 120, 0, base + two),
            (base + two, 120, 0, base + day + two),
            (base + two + 1, 120, 0, base + day + two),
            (base, 120, 60, base + two - 3_600_000),
            (base + 23 * 3_600_000, 120, -60, base + day + 3 * 3_600_000),
        ];
        for (now, minute, offset, want) in cases {
            assert_eq!(
                next_run_ms(now, minute, offset),
                want,
                "{now} {minute} {offset}"
            );
        }
    }

    #[test]
    fn time_of_day_parses() {
        assert_eq!(parse_time_of_day("02:00"), Ok(Some(120)));
        assert_eq!(parse_time_of_day("off"), Ok(None));
        for bad in ["2:00", "24:00", "02:60", "x", ""] {
            assert!(parse_time_of_day(bad).is_err(), "{bad}");
        }
    }
}
