//! `[labels]` in the hub's TOML:
//!
//! ```toml
//! [labels]
//! failover_seconds = 60      # a silent station's jobs move after this
//! stations = [{ id = "ps-1", group = "dock" }, { id = "ps-2", group = "dock" }]
//! printer_font = "E:SIMSUN.TTF"   # a CJK font stored on the printers (default: font 0, no Chinese)
//! sender = { name = "Example Shop", phone = "021-5555-0100", country = "CN", province = "上海市", city = "上海市", district = "浦东新区", street = "Dock 3, 88 Example Rd", postal_code = "200000" }
//! # Where waybill numbers come from (optional; without it a batch names
//! # each order's carrier and tracking number itself):
//! carrier = { kind = "sf", url = "http://127.0.0.1:9000/std/service", account = "PARTNER", secret_env = "WMS_SF_CHECKWORD", timeout_ms = 5000 }
//! ```
//!
//! Stations of one group stand in for each other (failover); a batch is
//! printed by one group. Stations are provisioned like devices
//! (`hub device add ps-1 --site ... --kind printer-station`).

use crate::carriers::CarrierConfig;
use hub_core::labels::zpl::{PrinterFont, ZplOptions};
use hub_core::labels::Party;
use hub_core::printing::PrintRules;
use serde::Deserialize;

/// One printer station.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationConfig {
    /// Its id (its login, like a device's).
    pub id: String,
    /// Its group.
    pub group: String,
}

/// The sender printed on every label and sent to the carrier.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SenderConfig {
    /// The shop's or warehouse's name.
    pub name: String,
    /// A phone number.
    pub phone: String,
    /// Country code (`CN`).
    pub country: String,
    /// Province.
    pub province: String,
    /// City.
    pub city: String,
    /// District.
    pub district: String,
    /// Street and number.
    pub street: String,
    /// Postal code.
    pub postal_code: String,
}

/// The `[labels]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LabelsConfig {
    /// Seconds a station may be silent before its unfinished jobs move to
    /// another station of its group (also how long a station may hold a
    /// job before printing it).
    pub failover_seconds: u64,
    /// The printer stations.
    pub stations: Vec<StationConfig>,
    /// The sender.
    pub sender: SenderConfig,
    /// The carrier asked for waybill numbers, if any.
    pub carrier: Option<CarrierConfig>,
    /// The shop platforms told of each printed label's tracking number.
    pub platforms: Vec<crate::writeback::PlatformConfig>,
    /// A font stored on the printers (`E:SIMSUN.TTF`) for the labels'
    /// text: the built-in font 0 has no Chinese glyphs. Unset: font 0.
    pub printer_font: Option<String>,
}

impl Default for LabelsConfig {
    fn default() -> LabelsConfig {
        LabelsConfig {
            failover_seconds: 60,
            stations: Vec::new(),
            sender: SenderConfig::default(),
            carrier: None,
            platforms: Vec::new(),
            printer_font: None,
        }
    }
}

impl LabelsConfig {
    /// Refuses values no warehouse means, saying which.
    pub fn validate(&self) -> Result<(), String> {
        if !(5..=86_400).contains(&self.failover_seconds) {
            return Err("labels.failover_seconds must be 5 to 86400".into());
        }
        if let Some(font) = &self.printer_font {
            if PrinterFont::parse(font).is_none() {
                return Err(format!(
                    "labels.printer_font {font:?} is not a printer font name like E:SIMSUN.TTF"
                ));
            }
        }
        for (i, s) in self.stations.iter().enumerate() {
            protocol::validate::check_id("labels.stations id", &s.id).map_err(|e| e.to_string())?;
            if s.group.is_empty() {
                return Err(format!("labels.stations: station {} needs a group", s.id));
            }
            if self.stations[..i].iter().any(|o| o.id == s.id) {
                return Err(format!("labels.stations: station {} is listed twice", s.id));
            }
        }
        Ok(())
    }

    /// The core's rules.
    pub fn rules(&self) -> PrintRules {
        PrintRules {
            stations: self
                .stations
                .iter()
                .map(|s| (s.id.clone(), s.group.clone()))
                .collect(),
            failover_ms: self.failover_seconds * 1000,
        }
    }

    /// How long a station may hold a job before printing it, in ms.
    pub fn valid_ms(&self) -> u32 {
        u32::try_from(self.failover_seconds * 1000).unwrap_or(u32::MAX)
    }

    /// How labels are written for this site's printers.
    pub fn zpl_options(&self) -> ZplOptions {
        ZplOptions {
            font: self.printer_font.as_deref().and_then(PrinterFont::parse),
        }
    }

    /// The sender as printed.
    pub fn sender(&self) -> Party {
        let s = &self.sender;
        let region = [&s.province, &s.city, &s.district]
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let mut address = vec![s.street.clone(), region, s.postal_code.clone()];
        address.retain(|line| !line.is_empty());
        Party {
            name: s.name.clone(),
            phone: s.phone.clone(),
            address,
        }
    }

    /// The sender as the carrier wants it.
    pub fn carrier_sender(&self) -> crate::carriers::Party {
        let s = self.sender.clone();
        crate::carriers::Party {
            name: s.name,
            phone: s.phone,
            country: s.country,
            province: s.province,
            city: s.city,
            district: s.district,
            street: s.street,
            postal_code: s.postal_code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_tables_are_refused_with_the_field_named() {
        let ok = LabelsConfig {
            stations: vec![StationConfig {
                id: "ps-1".into(),
                group: "dock".into(),
            }],
            ..LabelsConfig::default()
        };
        assert_eq!(ok.validate(), Ok(()));
        assert_eq!(ok.rules().failover_ms, 60_000);
        let mut twice = ok.clone();
        twice.stations.push(twice.stations[0].clone());
        assert!(twice.validate().unwrap_err().contains("twice"));
        let mut no_group = ok.clone();
        no_group.stations[0].group.clear();
        assert!(no_group.validate().unwrap_err().contains("group"));
        let mut bad_id = ok.clone();
        bad_id.stations[0].id = "a/b".into();
        assert!(bad_id.validate().is_err());
        let mut font = ok.clone();
        font.printer_font = Some("E:SIMSUN.TTF".into());
        assert_eq!(font.validate(), Ok(()));
        assert!(font.zpl_options().font.is_some());
        font.printer_font = Some("E:X^XZ".into());
        assert!(font.validate().unwrap_err().contains("printer_font"));
        let quick = LabelsConfig {
            failover_seconds: 1,
            ..ok
        };
        assert!(quick.validate().unwrap_err().contains("failover_seconds"));
    }
}
