//! Building the hub's writer at start: over the opened store, with the
//! configured safety rules and key retention, the disk floor, the order
//! desk and the work-queue rules.

use super::{orders, HubError};
use crate::clock::SharedClock;
use crate::config::HubConfig;
use crate::devices::fleet::Fleet;
use crate::devices::Devices;
use crate::metrics::Metrics;
use crate::store::floor::DiskFloor;
use crate::store::{Store, StoreError};
use crate::writer::labels::LabelVault;
use crate::writer::reserved_view::ReservedView;
use crate::writer::Writer;

/// The writer, the disk floor it watches, the region table, and the
/// vault that opens labels for sending.
pub(super) type Built = (
    Writer,
    DiskFloor,
    Arc<crate::orders::clean::Regions>,
    LabelVault,
);
use std::sync::Arc;

/// What the writer shares with the rest of the hub.
pub(super) struct Shared<'a> {
    pub store: &'a Store,
    pub metrics: &'a Arc<Metrics>,
    pub fleet: &'a Arc<Fleet>,
    pub clock: &'a SharedClock,
    pub reserved: &'a Arc<ReservedView>,
    pub devices: &'a Devices,
    pub feed: &'a crate::feed::FeedBus,
}

/// The writer over the opened store, with the configured rules, the disk
/// floor, the order desk and the work-queue rules; and the region table.
pub(super) fn build_writer(config: &HubConfig, shared: Shared<'_>) -> Result<Built, HubError> {
    let writer = Writer::new(
        config.site.clone(),
        shared.store.clone(),
        shared.metrics.clone(),
        shared.fleet.clone(),
        config.max_group_movements,
        shared.clock.clone(),
        shared.reserved.clone(),
    )?;
    let floor = DiskFloor {
        dir: config.data_dir.clone(),
        min_free_bytes: config.min_free_disk_mb.saturating_mul(1 << 20),
    };
    let (desk, rules) = orders::desk(config)?;
    let vault = LabelVault::new(&desk, config.labels.valid_ms());
    let regions = Arc::new(orders::regions(&config.data_dir)?);
    let writer = with_config_rules(writer, config)?
        .with_devices(shared.devices.clone())
        .with_disk_floor(floor.clone())
        .with_orders(desk, rules)
        .with_tasks(config.tasks.rules(&config.site))
        .with_printing(config.labels.rules())
        .with_fleet(config.fleet.rules())
        .with_feed(shared.feed.clone());
    Ok((writer, floor, regions, vault))
}

/// Applies the config's safety-stock rules and key retention before the
/// writer starts.
fn with_config_rules(mut writer: Writer, config: &HubConfig) -> Result<Writer, StoreError> {
    let rules: Vec<_> = config
        .safety_stock
        .iter()
        .map(|(sku, rule)| (sku.clone(), *rule))
        .collect();
    writer.apply_safety_rules(&rules)?;
    writer.set_key_retention(
        config
            .idempotency_key_retention_hours
            .saturating_mul(3_600_000),
    );
    Ok(writer)
}
