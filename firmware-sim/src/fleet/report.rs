//! The fleet's verdict: what the devices confirmed against what the hub
//! says it applied, per device (watermark and movements applied) and per
//! stock row (on hand against what the pickers physically scanned), and
//! the scan-to-ack latency.
//!
//! Definitions: a device's movement is *lost* if it was confirmed (good
//! beep, so journaled) but the hub never applied it: confirmed minus the
//! smaller of its watermark and its applied count. It is *doubled* if the
//! hub applied more movements than the device confirmed, or if one
//! physical scan was confirmed twice (a leaked double read). A stock row
//! that differs from the scans is reported as well. Any of these fails the
//! run.

use super::device::DeviceReport;
use super::hub_api::{DeviceApplied, StockRows};
use super::FleetConfig;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// Percentiles of a set of latencies.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    /// Samples.
    pub count: usize,
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest.
    pub max: Duration,
}

impl Latency {
    /// Percentiles of `samples` (sorted in place).
    pub fn of(samples: &mut [Duration]) -> Latency {
        samples.sort_unstable();
        let pct = |p: f64| {
            let rank = ((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len().max(1));
            samples.get(rank - 1).copied().unwrap_or_default()
        };
        Latency {
            count: samples.len(),
            p50: pct(0.50),
            p99: pct(0.99),
            max: samples.last().copied().unwrap_or_default(),
        }
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        write!(
            f,
            "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} scans)",
            ms(self.p50),
            ms(self.p99),
            ms(self.max),
            self.count
        )
    }
}

/// The run's outcome.
#[derive(Debug, Default)]
pub struct FleetReport {
    /// Devices, scans per second each, seconds, seed.
    pub setup: String,
    /// Movements confirmed on the devices.
    pub confirmed: u64,
    /// Movements the hub applied for them.
    pub applied: u64,
    /// Confirmed but never applied.
    pub lost: u64,
    /// Applied more than once in effect.
    pub doubled: u64,
    /// Stock rows that differ from what was scanned: (row, expected, hub).
    pub stock_mismatches: Vec<(String, i64, i64)>,
    /// Stock rows compared.
    pub stock_rows: usize,
    /// Reads refused (all labels are valid, so none expected).
    pub refused: u64,
    /// Devices that did not drain before the deadline.
    pub undrained: usize,
    /// Devices that failed (with the first reason).
    pub failed: Vec<String>,
    /// Double reads injected, suppressed.
    pub double_reads: (u64, u64),
    /// Wi-Fi drops, power losses, clock jumps, battery swaps.
    pub faults: [u64; 4],
    /// Scan-to-ack latency of every confirmed scan.
    pub latency_all: Latency,
    /// ... of the scans no fault touched.
    pub latency_clean: Latency,
}

impl FleetReport {
    /// Compares what the devices did with what the hub reports.
    pub fn new(
        config: &FleetConfig,
        devices: &[DeviceReport],
        hub: &BTreeMap<String, DeviceApplied>,
        stock: &StockRows,
    ) -> FleetReport {
        let mut r = FleetReport {
            setup: format!(
                "{} devices x {} scans/s x {} s, seed {}, tag {}",
                config.devices,
                config.rate,
                config.duration.as_secs_f64(),
                config.seed,
                config.tag
            ),
            ..FleetReport::default()
        };
        let (mut all, mut clean) = (Vec::new(), Vec::new());
        let mut expected = BTreeMap::new();
        for d in devices {
            let at_hub = hub.get(&d.id).copied().unwrap_or_default();
            r.confirmed += d.confirmed;
            r.applied += at_hub.applied;
            r.lost += d
                .confirmed
                .saturating_sub(at_hub.watermark.min(at_hub.applied));
            r.doubled += at_hub.applied.saturating_sub(d.confirmed) + d.leaks;
            r.refused += d.refused;
            r.undrained += usize::from(!d.drained);
            r.double_reads.0 += d.double_reads.0;
            r.double_reads.1 += d.double_reads.1;
            for (total, n) in r.faults.iter_mut().zip(d.faults) {
                *total += n;
            }
            if let Some(e) = &d.error {
                r.failed.push(format!("{}: {e}", d.id));
            }
            all.extend_from_slice(&d.latency.0);
            clean.extend_from_slice(&d.latency.1);
            for (row, qty) in &d.expected {
                *expected.entry(row.clone()).or_insert(0i64) += qty;
            }
        }
        r.latency_all = Latency::of(&mut all);
        r.latency_clean = Latency::of(&mut clean);
        r.compare_stock(&expected, stock, &format!("F{}-", config.tag));
        r
    }

    fn compare_stock(
        &mut self,
        expected: &BTreeMap<(String, String, String), i64>,
        stock: &StockRows,
        location_prefix: &str,
    ) {
        let ours = stock
            .iter()
            .filter(|((_, loc, _), _)| loc.starts_with(location_prefix));
        let mut rows: BTreeMap<_, (i64, i64)> = BTreeMap::new();
        for (row, &qty) in expected {
            rows.entry(row.clone()).or_default().0 = qty;
        }
        for (row, &qty) in ours {
            rows.entry(row.clone()).or_default().1 = qty;
        }
        self.stock_rows = rows.len();
        for ((sku, loc, lot), (want, got)) in rows {
            if want != got {
                self.stock_mismatches
                    .push((format!("{sku} at {loc} lot {lot}"), want, got));
            }
        }
    }

    /// Whether nothing was lost, doubled, wrong in stock, refused or failed.
    pub fn passed(&self) -> bool {
        self.lost == 0
            && self.doubled == 0
            && self.stock_mismatches.is_empty()
            && self.refused == 0
            && self.undrained == 0
            && self.failed.is_empty()
    }
}

impl fmt::Display for FleetReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "fleet: {}", self.setup)?;
        writeln!(f, "scans confirmed on devices: {}", self.confirmed)?;
        writeln!(f, "applied at the hub:         {}", self.applied)?;
        writeln!(f, "lost (confirmed, not applied): {}", self.lost)?;
        writeln!(f, "doubled (applied twice):       {}", self.doubled)?;
        writeln!(
            f,
            "stock rows compared: {}, differing: {}",
            self.stock_rows,
            self.stock_mismatches.len()
        )?;
        for (row, want, got) in self.stock_mismatches.iter().take(10) {
            writeln!(f, "  {row}: scanned {want}, hub {got}")?;
        }
        let [wifi, power, clock, swaps] = self.faults;
        writeln!(
            f,
            "faults: {wifi} Wi-Fi drops, {power} power losses, {clock} clock jumps, {swaps} battery swaps; double reads {} injected, {} suppressed",
            self.double_reads.0, self.double_reads.1
        )?;
        writeln!(f, "scan-to-ack, all scans:      {}", self.latency_all)?;
        writeln!(f, "scan-to-ack, no fault near:  {}", self.latency_clean)?;
        if self.refused > 0 || self.undrained > 0 {
            writeln!(
                f,
                "refused reads: {}, devices not drained: {}",
                self.refused, self.undrained
            )?;
        }
        for failure in self.failed.iter().take(10) {
            writeln!(f, "device failed: {failure}")?;
        }
        write!(
            f,
            "verdict: {}",
            if self.passed() { "PASS" } else { "FAIL" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_rank() {
        let ms = Duration::from_millis;
        let mut samples: Vec<Duration> = (1..=100).rev().map(ms).collect();
        let l = Latency::of(&mut samples);
        assert_eq!(
            (l.p50, l.p99, l.max, l.count),
            (ms(50), ms(99), ms(100), 100)
        );
        let empty = Latency::of(&mut []);
        assert_eq!(empty.count, 0);
    }
}
