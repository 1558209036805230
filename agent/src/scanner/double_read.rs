//! Double-read suppression: an engine that decodes one label twice for one
//! trigger pull (or a gun stuck on repeat) must yield one scan, never two
//! movements (openboxes-mobile#444 is what happens otherwise).
//!
//! Why a window on the accepted read: the second read of a label arrives
//! within a few hundred milliseconds of the first, while a picker scanning
//! the same label again on purpose takes longer; measuring from the last
//! *accepted* read means a gun repeating forever still yields one scan per
//! window, not one scan ever. Plain data and an explicit clock, so it is
//! tested without sleeping.

use std::time::{Duration, Instant};

/// Default window within which the same code read again is a double read.
pub const DEFAULT_DOUBLE_READ_WINDOW: Duration = Duration::from_millis(300);

/// Remembers the last accepted read and when it was accepted.
#[derive(Debug, Clone)]
pub struct DoubleReadFilter {
    window: Duration,
    last: Option<(String, Instant)>,
}

impl DoubleReadFilter {
    /// A filter treating the same code within `window` as one scan; a zero
    /// window turns suppression off.
    pub fn new(window: Duration) -> DoubleReadFilter {
        DoubleReadFilter { window, last: None }
    }

    /// Whether `code`, read at `now`, is a new scan (true) or a double read
    /// of the last one (false). Only accepted reads restart the window.
    pub fn accept(&mut self, code: &str, now: Instant) -> bool {
        if let Some((last, at)) = &self.last {
            if last == code && now.saturating_duration_since(*at) < self.window {
                return false;
            }
        }
        self.last = Some((code.to_string(), now));
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
        // (code, at ms, accepted)
        let table = [
            ("A", 0, true),
            ("A", 40, false),  // the engine's second read
            ("A", 299, false), // still the same trigger pull
            ("A", 300, true),  // a deliberate rescan
            ("B", 310, true),  // another label at once
            ("A", 320, true),  // back to A: not a double read of B
            ("A", 500, false), // within 300 ms of the accepted read at 320
            ("A", 650, true),  // a stuck gun yields one scan per window
        ];
        for (code, at, want) in table {
            assert_eq!(f.accept(code, ms(at)), want, "{code} at {at} ms");
        }
    }

    #[test]
    fn zero_window_accepts_everything_and_clock_steps_back_safely() {
        let t0 = Instant::now() + Duration::from_secs(1);
        let mut f = DoubleReadFilter::new(Duration::ZERO);
        assert!(f.accept("A", t0));
        assert!(f.accept("A", t0));
        let mut f = DoubleReadFilter::default();
        assert!(f.accept("A", t0));
        assert!(!f.accept("A", t0 - Duration::from_millis(5)));
    }
}
