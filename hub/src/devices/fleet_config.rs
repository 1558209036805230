//! The `[fleet]` table: the devices' heartbeat interval (silent for 1.5
//! of these means offline) and the thresholds of the fleet's alerts.

use hub_core::fleet::FleetRules;
use serde::{Deserialize, Serialize};

/// The `[fleet]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FleetConfig {
    /// How often devices send heartbeats (the agent's `heartbeat_ms`), ms.
    pub heartbeat_interval_ms: u64,
    /// A device backlog above this raises `backlog_high`.
    pub backlog_alert: u64,
    /// A battery below this, percent, raises `low_battery`.
    pub low_battery_pct: u8,
    /// A device clock off by more than this, ms, raises `clock_skew`.
    pub clock_skew_ms: u64,
}

impl Default for FleetConfig {
    fn default() -> FleetConfig {
        let rules = FleetRules::default();
        FleetConfig {
            heartbeat_interval_ms: rules.interval_ms,
            backlog_alert: rules.backlog_high,
            low_battery_pct: rules.low_battery_pct,
            clock_skew_ms: rules.clock_skew_ms,
        }
    }
}

impl FleetConfig {
    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), String> {
        if !(100..=3_600_000).contains(&self.heartbeat_interval_ms) {
            return Err("fleet.heartbeat_interval_ms must be 100 to 3600000".into());
        }
        if self.low_battery_pct > 100 {
            return Err("fleet.low_battery_pct must be 0 to 100".into());
        }
        if !(1_000..=86_400_000).contains(&self.clock_skew_ms) {
            return Err("fleet.clock_skew_ms must be 1000 to 86400000".into());
        }
        Ok(())
    }

    /// The rules the pool keeps.
    pub fn rules(&self) -> FleetRules {
        FleetRules {
            interval_ms: self.heartbeat_interval_ms,
            backlog_high: self.backlog_alert,
            low_battery_pct: self.low_battery_pct,
            clock_skew_ms: self.clock_skew_ms,
        }
    }
}
