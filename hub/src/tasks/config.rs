//! `[tasks]` in the hub's TOML:
//!
//! ```toml
//! [tasks]
//! max_orders_per_list = 8      # totes on a cart
//! max_lines_per_list = 40
//! offline_after_minutes = 15   # then a device's open lines move
//! on_short = "re_pick"         # or "backorder"
//! zones = [{ id = "cold", prefixes = ["COLD-"] }, { id = "a", aisles = ["A", "B"] }]
//! devices = [{ device = "hh-01", zone = "a" }, { device = "hh-02", zone = "" }]
//! pack_stations = ["pk-01"]    # sent every picked task not packed yet
//! ```
//!
//! Only listed devices are given work; a device in zone `""` takes work
//! from anywhere.

use hub_core::tasks::{BatchCaps, DeviceZone, ShortDecision, TaskRules, Zone};
use serde::{Deserialize, Serialize};

/// The `[tasks]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TasksConfig {
    /// Most orders on one pick list.
    pub max_orders_per_list: usize,
    /// Most lines on one pick list.
    pub max_lines_per_list: usize,
    /// Minutes a device may be gone before its open lines move.
    pub offline_after_minutes: u64,
    /// What a short pick leads to.
    pub on_short: ShortDecision,
    /// Zones, tried in order.
    pub zones: Vec<Zone>,
    /// Devices that take work, each in one zone.
    pub devices: Vec<DeviceZone>,
    /// Packing stations: sent every picked, unpacked task.
    pub pack_stations: Vec<String>,
}

impl Default for TasksConfig {
    fn default() -> TasksConfig {
        let caps = BatchCaps::default();
        TasksConfig {
            max_orders_per_list: caps.max_orders,
            max_lines_per_list: caps.max_lines,
            offline_after_minutes: 15,
            on_short: ShortDecision::default(),
            zones: Vec::new(),
            devices: Vec::new(),
            pack_stations: Vec::new(),
        }
    }
}

impl TasksConfig {
    /// Refuses values no warehouse means, saying which.
    pub fn validate(&self) -> Result<(), String> {
        let bad = |what: String| Err(what);
        if !(1..=200).contains(&self.max_orders_per_list) {
            return bad("tasks.max_orders_per_list must be 1 to 200".into());
        }
        if !(1..=200).contains(&self.max_lines_per_list) {
            return bad("tasks.max_lines_per_list must be 1 to 200".into());
        }
        if !(1..=10_080).contains(&self.offline_after_minutes) {
            return bad("tasks.offline_after_minutes must be 1 to 10080".into());
        }
        for zone in &self.zones {
            if zone.id.is_empty() || zone.prefixes.is_empty() && zone.aisles.is_empty() {
                return bad(format!(
                    "tasks.zones: zone {:?} needs an id and prefixes or aisles",
                    zone.id
                ));
            }
        }
        for d in &self.devices {
            protocol::validate::check_id("tasks.devices device", &d.device)
                .map_err(|e| e.to_string())?;
            if !d.zone.is_empty() && !self.zones.iter().any(|z| z.id == d.zone) {
                return bad(format!(
                    "tasks.devices: {} works zone {:?}, which tasks.zones does not define",
                    d.device, d.zone
                ));
            }
        }
        for station in &self.pack_stations {
            protocol::validate::check_id("tasks.pack_stations", station)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// The core's rules for `site`.
    pub fn rules(&self, site: &str) -> TaskRules {
        TaskRules {
            site: site.to_string(),
            caps: BatchCaps {
                max_orders: self.max_orders_per_list,
                max_lines: self.max_lines_per_list,
            },
            zones: self.zones.clone(),
            devices: self.devices.clone(),
            offline_after_ms: self.offline_after_minutes * 60_000,
            on_short: self.on_short,
            pack_stations: self.pack_stations.clone(),
        }
    }
}
