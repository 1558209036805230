//! Latency distributions and their one-line summaries.

use std::time::Duration;

/// Sorted samples with percentile look-ups.
pub struct Distribution {
    sorted: Vec<Duration>,
}

impl Distribution {
    /// Sorts the samples.
    pub fn new(mut samples: Vec<Duration>) -> Distribution {
        samples.sort();
        Distribution { sorted: samples }
    }

    /// The p-th percentile (0..=100), or zero with no samples.
    pub fn pct(&self, p: f64) -> Duration {
        if self.sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * (self.sorted.len() - 1) as f64).round() as usize;
        self.sorted[rank.min(self.sorted.len() - 1)]
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// `p50 .. p99 .. max` in milliseconds.
    pub fn summary(&self) -> String {
        format!(
            "n={} p50={:.3} ms p99={:.3} ms max={:.3} ms",
            self.len(),
            ms(self.pct(50.0)),
            ms(self.pct(99.0)),
            ms(self.pct(100.0))
        )
    }
}

/// A duration in fractional milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// "PASS" or "FAIL".
pub fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}
