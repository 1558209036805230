//! The rules work queues follow, from the hub's configuration: the zones
//! of the site and the device that works each, the batch caps, how long a
//! device may be gone before its open lines move, and what a short pick
//! leads to.
//!
//! A zone is named by location prefixes (`"A-"`, `"COLD"`) or by aisles
//! (`"A"`, `"A03"`). Aisles exist beside prefixes because a prefix cannot
//! tell aisle `A` from aisle `AB` (`"A"` is a prefix of `AB-01`), while an
//! aisle is compared parsed (see [`super::location`]). A location in no
//! zone is in the zone `""`, which any device may be given.

use super::location::{Aisle, Location};
use super::model::BatchCaps;
use serde::{Deserialize, Serialize};

/// Default time a device may be gone before its open lines move (15 min).
pub const DEFAULT_OFFLINE_AFTER_MS: u64 = 15 * 60_000;

/// A part of the site walked by its own devices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    /// The zone's id.
    pub id: String,
    /// Location code prefixes in it (ASCII case ignored).
    #[serde(default)]
    pub prefixes: Vec<String>,
    /// Aisles in it (`A`, `A03`), compared parsed.
    #[serde(default)]
    pub aisles: Vec<String>,
}

impl Zone {
    /// Whether a location is in this zone.
    pub fn holds(&self, location: &Location) -> bool {
        let code = location.code().as_bytes();
        let by_prefix = self.prefixes.iter().any(|p| {
            let p = p.as_bytes();
            !p.is_empty() && code.len() >= p.len() && code[..p.len()].eq_ignore_ascii_case(p)
        });
        by_prefix
            || location.aisle().is_some_and(|aisle| {
                self.aisles
                    .iter()
                    .any(|a| Aisle::parse(a).as_ref() == Some(aisle))
            })
    }
}

/// A device and the zone it works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceZone {
    /// The device id.
    pub device: String,
    /// The zone id ("" for a device that works anywhere).
    pub zone: String,
}

/// What happens to the units a picker could not find.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShortDecision {
    /// Plan the missing units again, from other stock.
    #[default]
    RePick,
    /// The order waits for an operator with what was found.
    Backorder,
}

/// Work queue rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskRules {
    /// This hub's site.
    pub site: String,
    /// Batch caps.
    pub caps: BatchCaps,
    /// Zones, tried in order (a location is in the first that holds it).
    pub zones: Vec<Zone>,
    /// Devices that take work, each in one zone.
    pub devices: Vec<DeviceZone>,
    /// A device unseen this long loses its open lines to another.
    pub offline_after_ms: u64,
    /// What a short pick leads to.
    pub on_short: ShortDecision,
    /// Packing stations: devices that are sent every picked task not yet
    /// packed (from any picker), so an order is packed away from where
    /// it was picked.
    pub pack_stations: Vec<String>,
}

impl Default for TaskRules {
    fn default() -> TaskRules {
        TaskRules {
            site: String::new(),
            caps: BatchCaps::default(),
            zones: Vec::new(),
            devices: Vec::new(),
            offline_after_ms: DEFAULT_OFFLINE_AFTER_MS,
            on_short: ShortDecision::default(),
            pack_stations: Vec::new(),
        }
    }
}

impl TaskRules {
    /// The zone a location is in ("" for none).
    pub fn zone_of(&self, location: &Location) -> &str {
        self.zones
            .iter()
            .find(|z| z.holds(location))
            .map_or("", |z| z.id.as_str())
    }

    /// The zone a device works, if it is one of ours.
    pub fn device_zone(&self, device: &str) -> Option<&str> {
        self.devices
            .iter()
            .find(|d| d.device == device)
            .map(|d| d.zone.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_by_prefix_then_aisle() {
        let rules = TaskRules {
            zones: vec![
                Zone {
                    id: "cold".into(),
                    prefixes: vec!["cold".into()],
                    aisles: Vec::new(),
                },
                Zone {
                    id: "front".into(),
                    prefixes: Vec::new(),
                    aisles: vec!["A".into(), "B02".into()],
                },
            ],
            ..TaskRules::default()
        };
        let cases = [
            ("COLD-01", "cold"),
            ("A-01", "front"),
            ("a-7-2", "front"),
            ("AB-01", ""),
            ("B02-01", "front"),
            ("B-02", ""),
            ("?", ""),
        ];
        for (code, zone) in cases {
            assert_eq!(rules.zone_of(&Location::new(code)), zone, "{code}");
        }
    }
}
