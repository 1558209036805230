//! Reconnect waits of the device links (a handheld's publisher and a
//! printer station): exponential, [`START`] doubling to [`MAX`], each wait
//! drawn at random from the upper half of the current step.
//!
//! Why: when a broker restarts, every device of a site loses its
//! connection in the same instant. Fixed waits would bring the whole fleet
//! back in lockstep on every retry; doubling thins out the retries against
//! a broker that is down or swamped (rumqttc gives up on a CONNECT that is
//! not answered within its connection timeout, and every such device
//! retries), and the jitter spreads the fleet's returns over half a step
//! (at the cap, 15 s), so a restart does not become a connection storm.
//! An accepted connection starts again at [`START`]: a device that loses
//! its Wi-Fi for a moment is back within a fraction of a second, and only
//! a device that keeps failing waits long. `bench storm` measures what a
//! storm costs the hub and its broker.

use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The first step: the wait after the first failure is 50 to 100 ms.
pub const START: Duration = Duration::from_millis(100);
/// The largest step: a device failing for minutes tries again every 15 to
/// 30 s.
pub const MAX: Duration = Duration::from_secs(30);

/// Where a link stands in its backoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    step: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff { step: START }
    }
}

impl Backoff {
    /// The next failure waits at most [`START`] again (after a connection
    /// was accepted).
    pub fn reset(&mut self) {
        self.step = START;
    }

    /// The wait before the next attempt, at random in the upper half of
    /// the current step; doubles the step for the failure after.
    pub fn next_wait(&mut self) -> Duration {
        self.next_wait_at(random_fraction())
    }

    /// [`Backoff::next_wait`] with the random draw given (0.0..=1.0).
    fn next_wait_at(&mut self, fraction: f64) -> Duration {
        let step = self.step;
        self.step = (step * 2).min(MAX);
        step.mul_f64(0.5 + 0.5 * fraction.clamp(0.0, 1.0))
    }

    /// Sleeps the next wait; `false` if `cancel` came first.
    pub async fn wait(&mut self, cancel: &CancellationToken) -> bool {
        let wait = self.next_wait();
        tokio::select! {
            _ = cancel.cancelled() => false,
            _ = tokio::time::sleep(wait) => true,
        }
    }
}

/// A fraction in 0.0..=1.0 from the OS's randomness (1.0, the full step,
/// if there is none).
fn random_fraction() -> f64 {
    let mut bytes = [0u8; 2];
    if getrandom::fill(&mut bytes).is_err() {
        return 1.0;
    }
    f64::from(u16::from_le_bytes(bytes)) / f64::from(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    /// The steps of eleven failures in a row, in milliseconds.
    const STEPS_MS: [u64; 11] = [
        100, 200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600, 30_000, 30_000,
    ];

    #[test]
    fn each_wait_is_in_the_upper_half_of_a_doubling_step_capped_at_30_s() {
        for (fraction, half) in [(0.0, true), (1.0, false)] {
            let mut backoff = Backoff::default();
            for step in STEPS_MS {
                let step = Duration::from_millis(step);
                let want = if half { step / 2 } else { step };
                assert_eq!(backoff.next_wait_at(fraction), want);
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn on_the_clock_waits_grow_exponentially_jittered_and_restart_after_a_connect() {
        let cancel = CancellationToken::new();
        let mut backoff = Backoff::default();
        let mut waits = Vec::new();
        for _ in STEPS_MS {
            let before = Instant::now();
            assert!(backoff.wait(&cancel).await);
            waits.push(before.elapsed());
        }
        for (wait, step) in waits.iter().zip(STEPS_MS) {
            let step = Duration::from_millis(step);
            assert!(*wait >= step / 2 && *wait <= step, "{wait:?} for {step:?}");
        }
        assert!(
            waits.windows(2).any(|w| w[0] * 2 != w[1]),
            "no jitter: {waits:?}"
        );
        backoff.reset();
        let before = Instant::now();
        assert!(backoff.wait(&cancel).await);
        assert!(before.elapsed() <= START);
        cancel.cancel();
        assert!(
            !backoff.wait(&cancel).await,
            "a cancelled wait ends at once"
        );
    }

    #[test]
    fn a_fleet_dropped_at_once_comes_back_spread_out() {
        // 10,000 devices lose the broker at t = 0 and keep failing: once
        // their steps reach the cap, no second holds more than a tenth of
        // them (in lockstep, every retry would be all 10,000 at once).
        let devices = 10_000;
        let mut per_second = std::collections::BTreeMap::<u64, usize>::new();
        for _ in 0..devices {
            let mut backoff = Backoff::default();
            let mut at = Duration::ZERO;
            for _ in STEPS_MS {
                at += backoff.next_wait();
            }
            *per_second.entry(at.as_secs()).or_default() += 1;
        }
        let busiest = per_second.values().copied().max().unwrap_or(0);
        assert!(
            busiest <= devices / 10,
            "{busiest} of {devices} in one second"
        );
    }
}
