//! The faults a handheld meets, drawn from a seeded generator per device:
//! Wi-Fi drops of random length, power loss, clock jumps, double reads and
//! a draining battery (which ends in a power loss until it is swapped).
//!
//! Why one generator per device, derived from the seed and the device's
//! index: what happens to device 17 at its 40th scan then depends on the
//! seed alone, not on how the runtime interleaved 1,000 devices, so a run
//! that found a bug can be replayed with the same faults.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// How often faults happen, per device.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultRates {
    /// Wi-Fi drops per device-minute.
    pub wifi_per_min: f64,
    /// Power losses per device-minute.
    pub power_per_min: f64,
    /// Clock jumps per device-minute.
    pub clock_per_min: f64,
    /// Chance that one read is decoded twice.
    pub double_read: f64,
    /// Largest battery drain, percentage points per second (0: none).
    pub battery_drain_per_s: f64,
}

impl FaultRates {
    /// The default mix, every rate multiplied by `scale` (0: no faults).
    pub fn scaled(scale: f64) -> FaultRates {
        let scale = scale.max(0.0);
        FaultRates {
            wifi_per_min: 0.5 * scale,
            power_per_min: 0.15 * scale,
            clock_per_min: 0.3 * scale,
            double_read: (0.05 * scale).min(0.3),
            battery_drain_per_s: 0.5 * scale,
        }
    }

    /// Whether any network fault can happen (the Wi-Fi proxy is needed).
    pub fn any(&self) -> bool {
        self.wifi_per_min > 0.0 || self.power_per_min > 0.0 || self.battery_drain_per_s > 0.0
    }
}

/// What befalls a device at one scan tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TickFaults {
    /// The Wi-Fi drops for this long.
    pub wifi_drop: Option<Duration>,
    /// The device loses power for this long.
    pub power_loss: Option<Duration>,
    /// The device clock jumps to this offset from true time, in ms.
    pub clock_jump_ms: Option<i64>,
}

/// One device's fault generator.
#[derive(Debug, Clone)]
pub struct FaultPlan {
    rng: ChaCha8Rng,
    rates: FaultRates,
    /// Ticks per minute, to turn per-minute rates into per-tick chances.
    ticks_per_min: f64,
}

/// A starting charge and a drain per tick, in percent.
pub type Battery = (f64, f64);

impl FaultPlan {
    /// The plan of device `index` in a run seeded with `seed`, ticking
    /// every `period`.
    pub fn new(seed: u64, index: usize, rates: FaultRates, period: Duration) -> FaultPlan {
        let stream = seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        FaultPlan {
            rng: ChaCha8Rng::seed_from_u64(stream),
            rates,
            ticks_per_min: 60.0 / period.as_secs_f64().max(1e-3),
        }
    }

    /// The device's generator, for its other random choices (what to scan).
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }

    /// Draws this tick's faults.
    pub fn tick(&mut self) -> TickFaults {
        let mut out = TickFaults::default();
        if self.chance(self.rates.wifi_per_min) {
            out.wifi_drop = Some(Duration::from_millis(self.rng.random_range(500..8_000)));
        }
        if self.chance(self.rates.power_per_min) {
            out.power_loss = Some(Duration::from_millis(self.rng.random_range(300..3_000)));
        }
        if self.chance(self.rates.clock_per_min) {
            // Minutes to a day off, either way: a dead RTC battery, NTP
            // never reached, a time zone set wrong.
            out.clock_jump_ms = Some(self.rng.random_range(-86_400_000..86_400_000));
        }
        out
    }

    /// Whether this read is decoded twice.
    pub fn double_read(&mut self) -> bool {
        self.rates.double_read > 0.0 && self.rng.random_bool(self.rates.double_read.min(1.0))
    }

    /// A starting charge (percent) and a drain per tick (percentage points).
    pub fn battery(&mut self) -> Battery {
        if self.rates.battery_drain_per_s <= 0.0 {
            return (100.0, 0.0);
        }
        let start = self.rng.random_range(15.0..100.0);
        let per_s = self.rng.random_range(0.0..self.rates.battery_drain_per_s);
        (start, per_s * 60.0 / self.ticks_per_min)
    }

    /// How long a battery swap takes.
    pub fn swap_time(&mut self) -> Duration {
        Duration::from_millis(self.rng.random_range(1_000..4_000))
    }

    fn chance(&mut self, per_min: f64) -> bool {
        per_min > 0.0
            && self
                .rng
                .random_bool((per_min / self.ticks_per_min).clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(seed: u64, index: usize) -> Vec<TickFaults> {
        let mut plan = FaultPlan::new(
            seed,
            index,
            FaultRates::scaled(20.0),
            Duration::from_secs(1),
        );
        (0..500).map(|_| plan.tick()).collect()
    }

    #[test]
    fn same_seed_same_faults_and_devices_differ() {
        assert_eq!(draws(7, 3), draws(7, 3));
        assert_ne!(draws(7, 3), draws(7, 4));
        assert_ne!(draws(7, 3), draws(8, 3));
        let faults = draws(7, 3);
        assert!(faults.iter().any(|f| f.wifi_drop.is_some()));
        assert!(faults.iter().any(|f| f.power_loss.is_some()));
        assert!(faults.iter().any(|f| f.clock_jump_ms.is_some()));
    }

    #[test]
    fn zero_scale_means_no_faults() {
        let mut plan = FaultPlan::new(1, 0, FaultRates::scaled(0.0), Duration::from_millis(100));
        assert!((0..1000).all(|_| plan.tick() == TickFaults::default() && !plan.double_read()));
        assert_eq!(plan.battery(), (100.0, 0.0));
        assert!(!FaultRates::scaled(0.0).any());
    }
}
