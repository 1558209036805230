//! What the soak watches in the hub over time, read from /proc (Linux):
//! the hub's and its broker child's resident memory and open descriptors,
//! the broker restarts the hub counts in `/metrics`, and the size on disk
//! of the hub's data directory (sled's files and the log archive).

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};
use tests::hubapi;
use tests::procs::{broker_child, resident_kib};

/// One look at the hub.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    /// Since the hub started.
    pub at: Duration,
    /// Hub VmRSS, KiB.
    pub hub_rss_kib: u64,
    /// Hub open descriptors.
    pub hub_fds: usize,
    /// The broker child's process id (it changes on each restart).
    pub broker_pid: Option<u32>,
    /// Broker VmRSS, KiB.
    pub broker_rss_kib: u64,
    /// Broker open descriptors.
    pub broker_fds: usize,
    /// `wms_broker_restarts_total`, if `/metrics` answered.
    pub restarts: Option<u64>,
    /// Bytes of every file under the hub's data directory, KiB.
    pub data_kib: u64,
}

/// Bytes of every file under `dir`, recursively, KiB (files that vanish
/// while it walks count as nothing).
pub fn dir_kib(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut bytes = 0;
    for entry in entries.flatten() {
        match entry.metadata() {
            Ok(meta) if meta.is_dir() => bytes += dir_kib(&entry.path()) * 1024,
            Ok(meta) => bytes += meta.len(),
            Err(_) => {}
        }
    }
    bytes / 1024
}

/// Open descriptors of `pid` (entries of /proc/PID/fd).
pub fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |dir| dir.count())
}

/// Looks at the hub `hub_pid` (HTTP API at `http`, data in `data`) now.
pub fn take(hub_pid: u32, http: SocketAddr, data: &Path, started: Instant) -> Sample {
    let broker_pid = broker_child(hub_pid);
    let rss = |pid: u32| resident_kib(pid).map_or(0, |(now, _)| now);
    Sample {
        at: started.elapsed(),
        hub_rss_kib: rss(hub_pid),
        hub_fds: fd_count(hub_pid),
        broker_pid,
        broker_rss_kib: broker_pid.map_or(0, rss),
        broker_fds: broker_pid.map_or(0, fd_count),
        restarts: hubapi::metric(http, "wms_broker_restarts_total").ok(),
        data_kib: dir_kib(data),
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn row(s: &Sample) -> String {
    format!(
        "{:>7.0} {:>10.1} {:>8} {:>10.1} {:>10} {:>9} {:>9.0}",
        s.at.as_secs_f64(),
        mib(s.hub_rss_kib),
        s.hub_fds,
        mib(s.broker_rss_kib),
        s.broker_fds,
        s.restarts.map_or("?".to_string(), |r| r.to_string()),
        mib(s.data_kib),
    )
}

/// Prints at most `max_rows` evenly spaced samples (the last one always).
pub fn print_table(samples: &[Sample], max_rows: usize) {
    println!(
        "{:>7} {:>10} {:>8} {:>10} {:>10} {:>9} {:>9}",
        "t (s)", "hub MiB", "hub fds", "broker MiB", "broker fds", "restarts", "data MiB"
    );
    let step = samples.len().div_ceil(max_rows.max(1)).max(1);
    for (i, s) in samples.iter().enumerate() {
        if i % step == 0 || i + 1 == samples.len() {
            println!("{}", row(s));
        }
    }
}

/// Writes every sample as CSV.
pub fn write_csv(path: &Path, samples: &[Sample]) -> std::io::Result<()> {
    let mut text = String::from(
        "t_s,hub_rss_kib,hub_fds,broker_pid,broker_rss_kib,broker_fds,restarts,data_kib\n",
    );
    for s in samples {
        text.push_str(&format!(
            "{:.1},{},{},{},{},{},{},{}\n",
            s.at.as_secs_f64(),
            s.hub_rss_kib,
            s.hub_fds,
            s.broker_pid.map_or(String::new(), |p| p.to_string()),
            s.broker_rss_kib,
            s.broker_fds,
            s.restarts.map_or(String::new(), |r| r.to_string()),
            s.data_kib,
        ));
    }
    std::fs::write(path, text)
}
