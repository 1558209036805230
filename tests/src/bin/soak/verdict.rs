//! The soak's report and verdict: the sample table, the hub's memory and
//! descriptors at the baseline (once the fleet is connected and settled)
//! and at the end, broker restarts, and scans lost and doubled from the
//! fleet's own verdict (which already compares every device's confirmed
//! scans with the hub's watermarks, applied counts and stock).

use crate::procinfo::{self, Sample};
use crate::run::RunArgs;
use std::time::Duration;

/// How the run ended.
pub struct Ending {
    /// The fleet exited 0.
    pub fleet_ok: bool,
    /// Its report.
    pub fleet_out: Vec<String>,
    /// The hostile process exited 0 (every case answered as it should be).
    pub hostile_ok: bool,
    /// Its tally.
    pub hostile_out: Vec<String>,
    /// The hub process still runs.
    pub hub_running: bool,
    /// `/healthz` status at the end.
    pub healthz: Option<u16>,
    /// The hub's peak VmHWM, KiB.
    pub peak_kib: u64,
    /// When (since the hub started) the baseline sample is taken.
    pub baseline_at: Duration,
}

/// The number after `label` on the first line that starts with it.
fn count_after(lines: &[String], label: &str) -> Option<u64> {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

/// The `key=N` field of the hostile process's tally line.
fn tally(lines: &[String], key: &str) -> Option<u64> {
    let line = lines
        .iter()
        .find(|l| l.starts_with("hostile: rst_rounds="))?;
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
        .and_then(|n| n.parse().ok())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Runs this long or longer are judged on a plateau too.
const PLATEAU_RUN: Duration = Duration::from_secs(600);

/// The sample at two thirds of a long run: memory that still grows by more
/// than 10 % after it is not bounded, whatever its level. None for short
/// runs, where the store cache is still filling.
fn plateau(samples: &[Sample], args: &RunArgs) -> Option<Sample> {
    let run = Duration::from_secs(args.seconds);
    if run < PLATEAU_RUN {
        return None;
    }
    let first = samples.first()?.at;
    samples
        .iter()
        .find(|s| s.at >= first + run * 2 / 3)
        .copied()
}

/// Prints the samples and the two children's reports.
fn print_parts(samples: &[Sample], end: &Ending) {
    println!("--- samples ---");
    procinfo::print_table(samples, 40);
    println!("--- fleet ---");
    end.fleet_out.iter().for_each(|l| println!("{l}"));
    println!("--- hostile ---");
    end.hostile_out.iter().for_each(|l| println!("{l}"));
}

/// Prints the report; returns whether the soak passed.
pub fn report(args: &RunArgs, samples: &[Sample], end: &Ending) -> bool {
    let mut failures: Vec<String> = Vec::new();
    print_parts(samples, end);
    println!("--- soak ---");
    let base = samples
        .iter()
        .find(|s| s.at >= end.baseline_at)
        .or(samples.first())
        .copied()
        .unwrap_or_default();
    let last = samples.last().copied().unwrap_or_default();
    let max_fds = samples.iter().map(|s| s.hub_fds).max().unwrap_or(0);
    println!(
        "soak: hub memory: baseline {:.1} MiB (t={:.0}s), end {:.1} MiB, peak VmHWM {:.1} MiB",
        mib(base.hub_rss_kib),
        base.at.as_secs_f64(),
        mib(last.hub_rss_kib),
        mib(end.peak_kib)
    );
    println!(
        "soak: hub descriptors: baseline {}, end {}, max {max_fds}",
        base.hub_fds, last.hub_fds
    );
    println!(
        "soak: broker child: baseline {:.1} MiB {} fds, end {:.1} MiB {} fds",
        mib(base.broker_rss_kib),
        base.broker_fds,
        mib(last.broker_rss_kib),
        last.broker_fds
    );
    let restarts = last.restarts.unwrap_or(0);
    println!("soak: broker restarts: {restarts}");
    let lost = count_after(&end.fleet_out, "lost (confirmed, not applied):");
    let doubled = count_after(&end.fleet_out, "doubled (applied twice):");
    let show = |n: Option<u64>| n.map_or("unknown".to_string(), |n| n.to_string());
    println!(
        "soak: scans lost: {}, doubled: {}",
        show(lost),
        show(doubled)
    );

    let cache_mib = hub::HubConfig::default().store_cache_mb;
    let rss_bound = base.hub_rss_kib + (2 * cache_mib + args.rss_slack_mib) * 1024;
    let plateau = plateau(samples, args);
    let checks = [
        (
            end.fleet_ok,
            "the fleet failed (see its report)".to_string(),
        ),
        (lost == Some(0), format!("scans lost: {}", show(lost))),
        (
            doubled == Some(0),
            format!("scans doubled: {}", show(doubled)),
        ),
        (
            end.hostile_ok,
            "the hub answered a hostile case wrongly (see above)".into(),
        ),
        (end.hub_running, "the hub process died".into()),
        (
            end.healthz == Some(200),
            format!("/healthz at the end: {:?}", end.healthz),
        ),
        (
            last.hub_rss_kib <= rss_bound,
            format!(
                "hub memory grew to {:.1} MiB, past baseline + 2 x {cache_mib} MiB cache + {} MiB",
                mib(last.hub_rss_kib),
                args.rss_slack_mib
            ),
        ),
        (
            plateau.is_none_or(|at| last.hub_rss_kib * 10 <= at.hub_rss_kib * 11),
            format!(
                "hub memory still growing: {:.1} MiB at two thirds of the run, {:.1} at the end (over 10 %)",
                mib(plateau.map_or(0, |s| s.hub_rss_kib)),
                mib(last.hub_rss_kib)
            ),
        ),
        (
            last.hub_fds <= base.hub_fds + args.fd_slack,
            format!(
                "hub descriptors grew to {}, past baseline + {}",
                last.hub_fds, args.fd_slack
            ),
        ),
    ];
    failures.extend(checks.into_iter().filter(|(ok, _)| !ok).map(|(_, why)| why));
    // The hostile cases must really reach the broker, or the soak shows
    // nothing about surviving them.
    let rogue_runs = tally(&end.hostile_out, "rogue_runs").unwrap_or(0);
    if rogue_runs > 0 && restarts == 0 {
        failures.push("the hostile cases never restarted the broker".into());
    }
    for why in &failures {
        println!("soak: FAIL: {why}");
    }
    let passed = failures.is_empty();
    println!("soak: verdict: {}", if passed { "PASS" } else { "FAIL" });
    passed
}
