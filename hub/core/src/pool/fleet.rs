//! The pool's side of the fleet table: heartbeats, last wills and the
//! keep-alive sweep update [`crate::fleet::FleetBook`], and each changed
//! row raises or clears the device alerts it calls for; operators
//! acknowledge alerts here too.

use crate::alerts::{AckError, Alert, AlertKind};
use crate::events::DeadLetter;
use crate::fleet::{FleetRow, FleetRules, Heartbeat};
use crate::pool::Pool;

impl Pool {
    /// Takes a device's heartbeat or last will (already known to be newer
    /// than what was held) and keeps its alerts in step.
    pub fn device_heartbeat(&mut self, beat: &Heartbeat, now: u64) {
        let row = self.fleet.heartbeat(beat, now);
        self.fleet_alerts(&beat.device, &row, now);
    }

    /// Marks offline the devices silent past their keep-alive (the
    /// sweeper's part); the devices.
    pub fn sweep_fleet(&mut self, now: u64) -> Vec<String> {
        let gone = self.fleet.sweep(now);
        for (device, row) in &gone {
            self.fleet_alerts(device, row, now);
        }
        gone.into_iter().map(|(d, _)| d).collect()
    }

    /// Sets the heartbeat interval and the fleet alerts' thresholds.
    pub fn set_fleet_rules(&mut self, rules: FleetRules) {
        self.fleet.set_rules(rules);
    }

    /// One device's row of the fleet table.
    pub fn fleet_row(&self, device: &str) -> Option<&FleetRow> {
        self.fleet.row(device)
    }

    fn fleet_alerts(&mut self, device: &str, row: &FleetRow, now: u64) {
        let rules = self.fleet.rules();
        let subject = format!("device:{device}");
        let alerts = &mut self.alerts;
        let (backlog, online) = (row.backlog, row.online);
        alerts.hold(
            AlertKind::DeviceOfflineBacklog,
            "-",
            None,
            &subject,
            !online && backlog > 0,
            || format!("{device} went offline holding {backlog} unsynced scans"),
            now,
        );
        alerts.hold(
            AlertKind::BacklogHigh,
            "-",
            None,
            &subject,
            backlog > rules.backlog_high,
            || {
                format!(
                    "{device} holds {backlog} unsynced scans (limit {})",
                    rules.backlog_high
                )
            },
            now,
        );
        let battery = row.battery_pct.unwrap_or(100);
        alerts.hold(
            AlertKind::LowBattery,
            "-",
            None,
            &subject,
            battery < rules.low_battery_pct,
            || format!("{device} battery at {battery} %"),
            now,
        );
        let offset = row.clock_offset_ms;
        alerts.hold(
            AlertKind::ClockSkew,
            "-",
            None,
            &subject,
            online && offset.unsigned_abs() > rules.clock_skew_ms,
            || format!("{device} clock differs from the hub's by {offset} ms"),
            now,
        );
    }

    /// Refuses a payload to the dead letters, and raises (or counts a
    /// repeat on) the one alert that says dead letters are arriving; the
    /// topic is device-controlled text, so it never keys an alert.
    pub fn dead_letter(&mut self, letter: DeadLetter) {
        let message = format!("payload refused: {}", letter.reason);
        let now = letter.received_ms;
        self.alerts
            .raise(AlertKind::DeadLetters, "-", None, message, now);
        self.new_dead.push((self.next_dead, letter));
        self.next_dead += 1;
    }

    /// An operator acknowledges an open alert (an event alert is cleared
    /// by it); the alert as it is now.
    pub fn acknowledge_alert(&mut self, id: u64, by: &str, now: u64) -> Result<Alert, AckError> {
        self.alerts.acknowledge(id, by, now)
    }
}
