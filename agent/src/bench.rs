//! Measures the latency of a durable scan ([`Journal::record`]) against the
//! floor the disk allows: appending a record of the same size to a plain
//! file with `write` + `fdatasync`, in the same directory and the same run.
//!
//! Why a ratio: the target (record p99 within 2x of raw fdatasync p99) must
//! hold on whatever disk the handheld has, so absolute numbers from another
//! machine mean nothing. The two loops alternate in blocks so that drift in
//! the disk's behaviour hits both alike.

use crate::draft::MovementDraft;
use crate::journal::{Journal, JournalError};
use protocol::{MovementKind, MAX_ID_LEN};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use thiserror::Error;

/// The target: record p99 at most this many times the raw p99.
pub const TARGET_RATIO: f64 = 2.0;
const WARMUP: usize = 20;
const BLOCK: usize = 50;

/// Why the benchmark could not run.
#[derive(Debug, Error)]
pub enum BenchError {
    /// The journal failed.
    #[error("journal: {0}")]
    Journal(#[from] JournalError),
    /// The raw baseline file failed.
    #[error("raw baseline file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// No entry of the requested size can be built.
    #[error("cannot build an entry of {size} bytes (possible: {min} to {max})")]
    BadSize {
        /// Requested size.
        size: usize,
        /// Smallest possible.
        min: usize,
        /// Largest possible.
        max: usize,
    },
    /// Nothing to measure.
    #[error("count must be at least 1")]
    ZeroCount,
}

/// A latency distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencySummary {
    /// Number of samples.
    pub count: usize,
    /// Median.
    pub p50: Duration,
    /// 99th percentile (nearest rank).
    pub p99: Duration,
    /// Slowest.
    pub max: Duration,
}

impl LatencySummary {
    /// Summarises `samples` (sorting them); `None` when empty.
    pub fn from_samples(samples: &mut [Duration]) -> Option<LatencySummary> {
        samples.sort_unstable();
        let rank = |p: usize| {
            samples
                .get((samples.len() * p).div_ceil(100).max(1) - 1)
                .copied()
        };
        Some(LatencySummary {
            count: samples.len(),
            p50: rank(50)?,
            p99: rank(99)?,
            max: *samples.last()?,
        })
    }
}

/// The outcome of [`bench_record`].
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    /// The directory measured.
    pub dir: PathBuf,
    /// Size of each stored entry and raw record, in bytes.
    pub entry_bytes: usize,
    /// `Journal::record` latencies.
    pub record: LatencySummary,
    /// Raw `write` + `fdatasync` latencies.
    pub raw: LatencySummary,
}

impl BenchReport {
    /// record p99 / raw p99.
    pub fn ratio(&self) -> f64 {
        self.record.p99.as_secs_f64() / self.raw.p99.as_secs_f64().max(1e-9)
    }

    /// Whether the ratio meets [`TARGET_RATIO`].
    pub fn passed(&self) -> bool {
        self.ratio() <= TARGET_RATIO
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "bench-record: {} scans, {}-byte entries, in {}",
            self.record.count,
            self.entry_bytes,
            self.dir.display()
        )?;
        for (name, s) in [
            ("journal record (sled + flush)", &self.record),
            ("raw append + fdatasync       ", &self.raw),
        ] {
            writeln!(
                f,
                "{name}: p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
                ms(s.p50),
                ms(s.p99),
                ms(s.max)
            )?;
        }
        let verdict = if self.passed() { "PASS" } else { "FAIL" };
        write!(
            f,
            "ratio record p99 / raw p99 = {:.2} (target <= {TARGET_RATIO:.1}): {verdict}",
            self.ratio()
        )
    }
}

/// Records `count` scans of about `size` bytes into a journal under `dir`
/// and appends `count` records of the same size to a raw file beside it,
/// timing each. The journal is trimmed afterwards and the raw file removed.
pub fn bench_record(dir: &Path, count: usize, size: usize) -> Result<BenchReport, BenchError> {
    if count == 0 {
        return Err(BenchError::ZeroCount);
    }
    let journal = Journal::open(&dir.join("journal"))?;
    // Sized at the middle sequence number: the varint seq grows as we go.
    let mid_seq = journal.last_seq() + (WARMUP + count / 2) as u64;
    let draft = draft_of_size(size, mid_seq)?;
    let entry_bytes = Journal::entry_len(&draft, mid_seq)?;
    let raw_path = dir.join("raw-append.bin");
    let io_err = |source| BenchError::Io {
        path: raw_path.clone(),
        source,
    };
    let mut raw = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(&raw_path)
        .map_err(io_err)?;
    let payload = vec![0x5Au8; entry_bytes];
    for _ in 0..WARMUP {
        journal.record(draft.clone())?;
        raw_append(&mut raw, &payload).map_err(io_err)?;
    }
    let (mut rec, mut base) = (Vec::with_capacity(count), Vec::with_capacity(count));
    while rec.len() < count {
        let block = BLOCK.min(count - rec.len());
        for _ in 0..block {
            let start = Instant::now();
            journal.record(draft.clone())?;
            rec.push(start.elapsed());
        }
        for _ in 0..block {
            let start = Instant::now();
            raw_append(&mut raw, &payload).map_err(io_err)?;
            base.push(start.elapsed());
        }
    }
    journal.ack(journal.epoch(), journal.last_seq())?;
    journal.flush()?;
    drop(raw);
    std::fs::remove_file(&raw_path).map_err(io_err)?;
    let summary = |s: &mut [Duration]| LatencySummary::from_samples(s).ok_or(BenchError::ZeroCount);
    Ok(BenchReport {
        dir: dir.to_path_buf(),
        entry_bytes,
        record: summary(&mut rec)?,
        raw: summary(&mut base)?,
    })
}

fn raw_append(file: &mut File, payload: &[u8]) -> std::io::Result<()> {
    file.write_all(payload)?;
    file.sync_data()
}

/// A valid receive whose stored entry under `seq` is as close to `size`
/// bytes as possible without exceeding it (exact for most sizes).
pub fn draft_of_size(size: usize, seq: u64) -> Result<MovementDraft, BenchError> {
    let mut draft = MovementDraft::new(MovementKind::Receive, "S", "L", 1);
    draft.device_time_ms = crate::now_ms();
    let min = Journal::entry_len(&draft, seq)?;
    let max = min + 4 * (MAX_ID_LEN - 1) + 4;
    if size < min || size > max {
        return Err(BenchError::BadSize { size, min, max });
    }
    loop {
        let short = size.saturating_sub(Journal::entry_len(&draft, seq)?);
        if short == 0 || !grow(&mut draft, short) {
            return Ok(draft);
        }
    }
}

/// Adds one byte to the first field with room (two when an optional field
/// first appears, only if `short` allows); false when nothing fits.
fn grow(draft: &mut MovementDraft, short: usize) -> bool {
    let room = |id: &String| id.len() < MAX_ID_LEN;
    if room(&draft.sku) {
        draft.sku.push('K');
        return true;
    }
    if room(&draft.location) {
        draft.location.push('C');
        return true;
    }
    for slot in [&mut draft.lot, &mut draft.task] {
        match slot {
            Some(id) if room(id) => {
                id.push('T');
                return true;
            }
            None if short >= 2 => {
                *slot = Some("T".into());
                return true;
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_hit_the_requested_size_and_stay_valid() {
        for size in [24, 64, 100, 200] {
            let draft = draft_of_size(size, 1000).expect("size in range");
            assert_eq!(Journal::entry_len(&draft, 1000).expect("len"), size);
            assert!(draft.validate().is_ok());
        }
        assert!(draft_of_size(3, 1).is_err());
        assert!(draft_of_size(100_000, 1).is_err());
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut samples: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        let s = LatencySummary::from_samples(&mut samples).expect("non-empty");
        assert_eq!(s.p50, Duration::from_millis(50));
        assert_eq!(s.p99, Duration::from_millis(99));
        assert_eq!(s.max, Duration::from_millis(100));
        assert_eq!(LatencySummary::from_samples(&mut []), None);
    }
}
