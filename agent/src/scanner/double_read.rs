//! Double-read suppression: an engine that decodes one label twice for one
//! trigger pull (or a gun stuck on repeat) must yield one scan, never two
//! movements (openboxes-mobile#444 is what happens otherwise).
//!
//! The rule: a read of the same code as the last accepted one is a double
//! read if it came from the same trigger pull, or within the window. The
//! pull matters because time alone is not enough: a host busy flushing its
//! journal may only get to the engine's second read long after it arrived.
//! The window covers engines that re-arm on their own (presentation mode,
//! a gun stuck on repeat); measuring it from the last *accepted* read means
//! a gun repeating forever still yields one scan per window, not one scan
//! ever. Plain data and an explicit clock, so it is tested without sleeping.

use std::time::{Duration, Instant};

/// Default window within which the same code read again is a double read.
pub const DEFAULT_DOUBLE_READ_WINDOW: Duration = Duration::from_millis(300);

/// Remembers the last accepted read and when it was accepted.
#[derive(Debug, Clone)]
pub struct DoubleReadFilter {
    window: Duration,
    last: Option<(String, u64, Instant)>,
}

impl DoubleReadFilter {
    /// A filter treating the same code from the same pull or within
    /// `window` as one scan; a zero window turns suppression off.
    pub fn new(window: Duration) -> DoubleReadFilter {
        DoubleReadFilter { window, last: None }
    }

    /// Whether `code`, read at `now` for trigger pull `pull`, is a new scan
    /// (true) or a double read of the last one (false). Only accepted reads
    /// restart the window.
    pub fn accept(&mut self, code: &str, pull: u64, now: Instant) -> bool {
        if self.window.is_zero() {
            return true;
        }
        if let Some((last, last_pull, at)) = &self.last {
            let soon = now.saturating_duration_since(*at) < self.window;
            if last == code && (*last_pull == pull || soon) {
                return false;
            }
        }
        self.last = Some((code.to_string(), pull, now));
        true
    }

    /// The window in use.
    pub fn window(&self) -> Duration {
        self.window
    }
}

impl Default for DoubleReadFilter {
    fn default() -> DoubleReadFilter {
        DoubleReadFilter::new(DEFAULT_DOUBLE_READ_WINDOW)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_code_within_the_window_is_one_scan() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut f = DoubleReadFilter::default();
        // (code, pull, at ms, accepted)
        let table = [
            ("A", 1, 0, true),
            ("A", 1, 40, false),   // the engine's second read
            ("A", 2, 299, false),  // a new pull, but within the window
            ("A", 3, 300, true),   // a deliberate rescan
            ("A", 3, 900, false),  // the same pull, however late the host got to it
            ("B", 4, 910, true),   // another label at once
            ("A", 5, 920, true),   // back to A: not a double read of B
            ("A", 6, 1100, false), // within 300 ms of the accepted read at 920
            ("A", 7, 1250, true),  // a stuck gun yields one scan per window
        ];
        for (code, pull, at, want) in table {
            let got = f.accept(code, pull, ms(at));
            assert_eq!(got, want, "{code} pull {pull} at {at} ms");
        }
    }

    #[test]
    fn zero_window_accepts_everything_and_clock_steps_back_safely() {
        let t0 = Instant::now() + Duration::from_secs(1);
        let mut f = DoubleReadFilter::new(Duration::ZERO);
        assert!(f.accept("A", 1, t0));
        assert!(f.accept("A", 1, t0));
        let mut f = DoubleReadFilter::default();
        assert!(f.accept("A", 1, t0));
        assert!(!f.accept("A", 2, t0 - Duration::from_millis(5)));
    }
}
