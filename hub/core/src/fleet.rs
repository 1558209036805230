//! The fleet table: one row per device (online or offline and since when,
//! last seen, backlog, battery, app version, signal, clock offset), kept
//! from the devices' signed heartbeats and last wills, and swept for
//! devices that went silent without a last will (a missed keep-alive:
//! nothing heard for 1.5 heartbeat intervals). Rows are stored with the
//! group, so the table survives restarts; the alerts a row calls for
//! (offline with unsynced scans, backlog, battery, clock skew) are raised
//! and cleared by [`crate::pool`] from what [`FleetBook::heartbeat`] and
//! [`FleetBook::sweep`] return.
//!
//! Which statuses are new enough to take (replays of old heartbeats or
//! last wills are not) is decided before this, by the shell's ordering
//! rule over the authenticated status.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What one heartbeat (or last will) says, as the pool takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    /// The device.
    pub device: String,
    /// Online (a heartbeat) or offline (its last will or its goodbye).
    pub online: bool,
    /// Movements journaled but not yet acknowledged.
    pub backlog: u64,
    /// Battery, percent, if the device knows it.
    pub battery_pct: Option<u8>,
    /// The device's clock when it sent this, ms since the epoch.
    pub device_time_ms: u64,
    /// The app version, if the device says.
    pub version: Option<String>,
    /// Radio signal, dBm, if the device says.
    pub signal_dbm: Option<i16>,
    /// Its journal's epoch, if the device says.
    pub epoch: Option<u64>,
    /// The last sequence number the hub acknowledged to it, if it says.
    pub acked_seq: Option<u64>,
}

/// One device's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetRow {
    /// Online or not.
    pub online: bool,
    /// Hub time the device went online or offline.
    pub since_ms: u64,
    /// Hub time it was last heard from.
    pub last_seen_ms: u64,
    /// Unacknowledged movements it last reported.
    pub backlog: u64,
    /// Battery it last reported.
    pub battery_pct: Option<u8>,
    /// App version it last reported.
    pub version: Option<String>,
    /// Signal it last reported.
    pub signal_dbm: Option<i16>,
    /// Journal epoch it last reported.
    pub epoch: Option<u64>,
    /// Last acknowledged sequence it reported.
    pub acked_seq: Option<u64>,
    /// Hub time minus the device's time at its last heartbeat, ms
    /// (includes the message's time in transit).
    pub clock_offset_ms: i64,
    /// Why it went offline: `last_will`, `silent` (missed keep-alive).
    pub offline_reason: Option<String>,
}

/// Thresholds of the fleet's alerts and the heartbeat interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FleetRules {
    /// How often devices send heartbeats, ms; silent for 1.5 of these
    /// means offline.
    pub interval_ms: u64,
    /// A backlog above this raises `backlog_high`.
    pub backlog_high: u64,
    /// A battery below this, percent, raises `low_battery`.
    pub low_battery_pct: u8,
    /// A clock offset beyond this, ms either way, raises `clock_skew`.
    pub clock_skew_ms: u64,
}

impl Default for FleetRules {
    fn default() -> FleetRules {
        FleetRules {
            interval_ms: 10_000,
            backlog_high: 500,
            low_battery_pct: 15,
            clock_skew_ms: 120_000,
        }
    }
}

/// The fleet table and the rows changed since the last commit.
#[derive(Debug, Default)]
pub struct FleetBook {
    rows: BTreeMap<String, FleetRow>,
    changed: BTreeSet<String>,
    rules: FleetRules,
}

impl FleetBook {
    /// A table over stored rows.
    pub fn load(rows: impl IntoIterator<Item = (String, FleetRow)>, rules: FleetRules) -> Self {
        FleetBook {
            rows: rows.into_iter().collect(),
            changed: BTreeSet::new(),
            rules,
        }
    }

    /// The rules.
    pub fn rules(&self) -> FleetRules {
        self.rules
    }

    /// Sets the rules (from the config).
    pub fn set_rules(&mut self, rules: FleetRules) {
        self.rules = rules;
    }

    /// One row.
    pub fn row(&self, device: &str) -> Option<&FleetRow> {
        self.rows.get(device)
    }

    /// Takes a heartbeat (already known to be newer than the last); the
    /// row as it is now.
    pub fn heartbeat(&mut self, beat: &Heartbeat, now: u64) -> FleetRow {
        let offset = now as i64 - beat.device_time_ms as i64;
        let row = self
            .rows
            .entry(beat.device.clone())
            .or_insert_with(|| FleetRow {
                online: !beat.online,
                since_ms: now,
                last_seen_ms: now,
                backlog: 0,
                battery_pct: None,
                version: None,
                signal_dbm: None,
                epoch: None,
                acked_seq: None,
                clock_offset_ms: 0,
                offline_reason: None,
            });
        if row.online != beat.online {
            row.online = beat.online;
            row.since_ms = now;
        }
        row.offline_reason = (!beat.online).then(|| "last_will".to_string());
        row.last_seen_ms = now;
        if beat.online {
            row.backlog = beat.backlog;
            row.battery_pct = beat.battery_pct.or(row.battery_pct);
            row.clock_offset_ms = offset;
        }
        row.version = beat.version.clone().or(row.version.take());
        row.signal_dbm = beat.signal_dbm.or(row.signal_dbm);
        row.epoch = beat.epoch.or(row.epoch);
        row.acked_seq = beat.acked_seq.or(row.acked_seq);
        self.changed.insert(beat.device.clone());
        row.clone()
    }

    /// Marks offline every online device not heard from for 1.5
    /// intervals; the devices and their rows.
    pub fn sweep(&mut self, now: u64) -> Vec<(String, FleetRow)> {
        let silent_after = self.rules.interval_ms.saturating_mul(3) / 2;
        let mut gone = Vec::new();
        for (device, row) in self.rows.iter_mut() {
            if row.online && row.last_seen_ms.saturating_add(silent_after) < now {
                row.online = false;
                row.since_ms = now;
                row.offline_reason = Some("silent".to_string());
                self.changed.insert(device.clone());
                gone.push((device.clone(), row.clone()));
            }
        }
        gone
    }

    /// Rows changed since the last call.
    pub fn take_changes(&mut self) -> Vec<(String, FleetRow)> {
        std::mem::take(&mut self.changed)
            .into_iter()
            .filter_map(|d| self.rows.get(&d).map(|r| (d, r.clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beat(online: bool, backlog: u64, time: u64) -> Heartbeat {
        Heartbeat {
            device: "hh-1".into(),
            online,
            backlog,
            battery_pct: Some(80),
            device_time_ms: time,
            version: Some("1.2.0".into()),
            signal_dbm: Some(-61),
            epoch: Some(7),
            acked_seq: Some(40),
        }
    }

    #[test]
    fn a_heartbeat_makes_a_row_and_a_last_will_ends_it() {
        let mut book = FleetBook::default();
        let row = book.heartbeat(&beat(true, 3, 990), 1_000);
        assert!(row.online);
        assert_eq!(
            (row.since_ms, row.backlog, row.clock_offset_ms),
            (1_000, 3, 10)
        );
        let row = book.heartbeat(&beat(true, 5, 2_000), 2_000);
        assert_eq!((row.since_ms, row.backlog), (1_000, 5));
        let row = book.heartbeat(&beat(false, 0, 3_000), 3_100);
        assert!(!row.online);
        assert_eq!(row.since_ms, 3_100);
        assert_eq!(row.backlog, 5, "a last will says nothing of the backlog");
        assert_eq!(row.offline_reason.as_deref(), Some("last_will"));
        assert_eq!(book.take_changes().len(), 1);
        assert!(book.take_changes().is_empty());
    }

    #[test]
    fn silence_for_one_and_a_half_intervals_is_offline() {
        let rules = FleetRules {
            interval_ms: 1_000,
            ..FleetRules::default()
        };
        let mut book = FleetBook::load([], rules);
        book.heartbeat(&beat(true, 2, 0), 0);
        book.take_changes();
        assert!(
            book.sweep(1_500).is_empty(),
            "exactly 1.5 intervals is not yet"
        );
        let gone = book.sweep(1_501);
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].1.offline_reason.as_deref(), Some("silent"));
        assert!(book.sweep(5_000).is_empty(), "once");
        let row = book.heartbeat(&beat(true, 0, 6_000), 6_000);
        assert!(row.online);
        assert_eq!(row.offline_reason, None);
    }
}
