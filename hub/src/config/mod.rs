//! Hub configuration: defaults that need no file at all, an optional TOML
//! file, and command-line flags that override both.

pub mod external_broker;

use crate::safety::SafetyRule;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Everything the hub needs to start.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HubConfig {
    /// The site (warehouse) this hub owns.
    pub site: String,
    /// Where the embedded MQTT broker listens.
    pub mqtt_listen: SocketAddr,
    /// Where the HTTP API and dashboard listen.
    pub http_listen: SocketAddr,
    /// The sled data directory.
    pub data_dir: PathBuf,
    /// An external broker instead of the embedded one (`[external_broker]`:
    /// address, username, password_file, ca_file, acl_dir, reload; see
    /// [`crate::net::external`]).
    pub external_broker: external_broker::ExternalBrokerConfig,
    /// Other sites' hubs on the same broker (`[peers.SITE] public_key`):
    /// whose signed stock notices routing believes.
    pub peers: crate::sites::peers::Peers,
    /// Most movements applied in one group commit (a dead letter counts
    /// as one per 40 bytes). Kept small: a group is one sled batch, and
    /// sled's garbage from batches of thousands of records outran its
    /// collector (see `store_reclaim`): 40,000 dead letters grew the hub
    /// by 84 MiB with groups of up to 50,000, by 12 MiB with 500.
    pub max_group_movements: usize,
    /// Safety stock per SKU (`[safety_stock.SKU] threshold = N,
    /// stop_at_safety = true`); applied at start, winning over rules set by
    /// the API before.
    pub safety_stock: BTreeMap<String, SafetyRule>,
    /// Site time of the nightly reconciliation, `HH:MM`, or `off`.
    pub reconcile_at: String,
    /// Site time minus UTC in minutes (for `reconcile_at`).
    pub site_utc_offset_minutes: i32,
    /// The ERP stock file (CSV `sku,location,qty`) the nightly
    /// reconciliation and `POST /api/v1/reconciliations` compare against.
    pub erp_stock_csv: Option<PathBuf>,
    /// How often the sweeper expires due holds, ms.
    pub sweep_interval_ms: u64,
    /// How long a reservation's idempotency key is honoured, and its record
    /// kept in the store, after the reservation ends, hours (the sweeper
    /// prunes both afterwards, in one group commit).
    pub idempotency_key_retention_hours: u64,
    /// The store's page cache, MiB (sled's default, 1 GiB, let a hub's
    /// memory grow with its event log up to that).
    pub store_cache_mb: u64,
    /// Newest event log entries always kept in the store; older ones move
    /// to segment files in `DATA_DIR/log-archive` (see
    /// [`crate::store::archive`]), so the store, and the hub's memory, stay
    /// bounded however long the hub runs.
    pub event_log_keep: u64,
    /// Entries per archive segment file.
    pub event_log_segment: u64,
    /// Growth of sled's data file, MiB, past where the last relocation
    /// pass left it, that starts the next pass (0: never); see
    /// [`crate::store::relocate`].
    pub store_relocate_mb: u64,
    /// Size of sled's data file, MiB, past which the hub compacts its store
    /// (at start, or by restarting itself in-process), 0: never; see
    /// [`crate::store::compact`].
    pub store_compact_mb: u64,
    /// Site time (`HH:MM`, or `off`) of the hour in which a running hub
    /// compacts its store early, once sled's data file is past half of
    /// `store_compact_mb`.
    pub store_compact_at: String,
    /// The program the embedded broker runs in, as `PROGRAM broker-child`;
    /// unset, the running `hub` binary itself.
    pub broker_program: Option<PathBuf>,
    /// Time between health probes of the embedded broker, ms.
    pub broker_probe_interval_ms: u64,
    /// A probe (connect, subscribe, publish, receive) slower than this
    /// fails, ms.
    pub broker_probe_timeout_ms: u64,
    /// Failed probes in a row after which the embedded broker is restarted
    /// (a broker that dies is restarted at once, without probes).
    pub broker_probe_failures: u32,
    /// `/healthz` reports the hub unhealthy when the data directory's file
    /// system has less free space than this, MiB.
    pub min_free_disk_mb: u64,
    /// Most HTTP connections open at once; more are answered 503 and
    /// closed. Lowered at start to a quarter of the open-file limit, so
    /// HTTP can never starve the broker of descriptors.
    pub http_max_connections: usize,
    /// How long a client has to send a whole request head, ms: from the
    /// moment the connection opens, or the previous answer is sent (so it
    /// is also the idle timeout of a kept-alive connection).
    pub http_header_timeout_ms: u64,
    /// How long a client has to send a whole request body, ms.
    pub http_body_timeout_ms: u64,
    /// How long a connection may go without a byte moving either way
    /// while no request is being handled, ms (a client that stops reading
    /// its answer).
    pub http_idle_timeout_ms: u64,
    /// Largest JSON request body, bytes.
    pub http_max_json_bytes: usize,
    /// Largest ERP CSV upload (`POST /api/v1/reconciliations`), bytes.
    pub erp_max_upload_bytes: usize,
    /// How long an unpaid order holds its stock, minutes (15 to 30).
    pub unpaid_hold_minutes: u64,
    /// An order without a state change this long is stuck, minutes.
    pub stuck_order_minutes: u64,
    /// Units of one SKU above which an order waits for an operator.
    pub max_line_quantity: i64,
    /// Customers without an order for this many days are archived: their
    /// data key is destroyed, their personal data unreadable.
    pub customer_archive_days: u64,
    /// Which site serves which region (`[[routing.sites]]` with `site`,
    /// `regions`, `priority`); empty: this hub's site serves every order.
    pub routing: hub_core::orders::routing::RoutingTable,
    /// The master key that wraps customers' data keys; default
    /// `DATA_DIR/master.key` (made 0600 at first start). The environment
    /// variable `WMS_MASTER_KEY` (64 hex) wins over any file.
    pub master_key_file: Option<PathBuf>,
    /// Work queues: zones, devices, caps (see [`crate::tasks::config`]).
    pub tasks: crate::tasks::TasksConfig,
    /// Shipping labels: printer stations, failover, the sender (see
    /// [`crate::printing::config`]).
    pub labels: crate::printing::LabelsConfig,
    /// Device heartbeats and the fleet's alerts (see
    /// [`crate::devices::fleet_config`]).
    pub fleet: crate::devices::fleet_config::FleetConfig,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            site: "site-1".to_string(),
            mqtt_listen: SocketAddr::from(([127, 0, 0, 1], 1883)),
            http_listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            external_broker: Default::default(),
            peers: Default::default(),
            max_group_movements: 500,
            safety_stock: BTreeMap::new(),
            reconcile_at: "02:00".to_string(),
            site_utc_offset_minutes: 0,
            erp_stock_csv: None,
            sweep_interval_ms: 200,
            idempotency_key_retention_hours: 24,
            store_cache_mb: 16,
            event_log_keep: crate::store::archive::ArchivePolicy::default().keep,
            event_log_segment: crate::store::archive::ArchivePolicy::default().segment,
            store_relocate_mb: crate::store::relocate::RelocatePolicy::default().grow >> 20,
            store_compact_mb: crate::store::compact::CompactPolicy::default().limit >> 20,
            store_compact_at: "03:00".to_string(),
            broker_program: None,
            broker_probe_interval_ms: 500,
            broker_probe_timeout_ms: 10_000,
            broker_probe_failures: 3,
            min_free_disk_mb: 16,
            http_max_connections: 1024,
            http_header_timeout_ms: 10_000,
            http_body_timeout_ms: 30_000,
            http_idle_timeout_ms: 60_000,
            http_max_json_bytes: 1 << 20,
            erp_max_upload_bytes: 64 << 20,
            unpaid_hold_minutes: 20,
            stuck_order_minutes: 120,
            max_line_quantity: 1_000,
            customer_archive_days: 365,
            routing: Default::default(),
            master_key_file: None,
            tasks: Default::default(),
            labels: Default::default(),
            fleet: Default::default(),
        }
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this config.
    #[error("bad config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// A value is out of range.
    #[error("bad config value: {0}")]
    Invalid(String),
}

impl HubConfig {
    /// Parses TOML text; unknown keys are errors, missing keys take defaults.
    pub fn from_toml(text: &str, path: &Path) -> Result<HubConfig, ConfigError> {
        let config: HubConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.message().to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Reads and parses a TOML file.
    pub fn from_file(path: &Path) -> Result<HubConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        HubConfig::from_toml(&text, path)
    }

    /// Checks values that parse but make no sense.
    pub fn validate(&self) -> Result<(), ConfigError> {
        protocol::validate::check_id("site", &self.site)
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if self.max_group_movements == 0 {
            return Err(ConfigError::Invalid(
                "max_group_movements must be at least 1".into(),
            ));
        }
        self.external_broker
            .validate()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        crate::sites::peers::validate(&self.peers, &self.site).map_err(ConfigError::Invalid)?;
        if self.data_dir.as_os_str().is_empty() {
            return Err(ConfigError::Invalid("data_dir is empty".into()));
        }
        for (sku, rule) in &self.safety_stock {
            protocol::validate::check_id("sku", sku)
                .map_err(|e| ConfigError::Invalid(format!("safety_stock: {e}")))?;
            rule.validate()
                .map_err(|e| ConfigError::Invalid(format!("safety_stock.{sku}: {e}")))?;
        }
        parse_time_of_day(&self.reconcile_at)
            .map_err(|e| ConfigError::Invalid(format!("reconcile_at: {e}")))?;
        parse_time_of_day(&self.store_compact_at)
            .map_err(|e| ConfigError::Invalid(format!("store_compact_at: {e}")))?;
        if !(-840..=840).contains(&self.site_utc_offset_minutes) {
            return Err(ConfigError::Invalid(
                "site_utc_offset_minutes must be -840 to 840".into(),
            ));
        }
        if !(10..=1000).contains(&self.sweep_interval_ms) {
            return Err(ConfigError::Invalid(
                "sweep_interval_ms must be 10 to 1000".into(),
            ));
        }
        if !(50..=60_000).contains(&self.broker_probe_interval_ms) {
            return Err(ConfigError::Invalid(
                "broker_probe_interval_ms must be 50 to 60000".into(),
            ));
        }
        if !(1..=100).contains(&self.broker_probe_failures) {
            return Err(ConfigError::Invalid(
                "broker_probe_failures must be 1 to 100".into(),
            ));
        }
        if !(100..=60_000).contains(&self.broker_probe_timeout_ms) {
            return Err(ConfigError::Invalid(
                "broker_probe_timeout_ms must be 100 to 60000".into(),
            ));
        }
        if !(1..=8760).contains(&self.idempotency_key_retention_hours) {
            return Err(ConfigError::Invalid(
                "idempotency_key_retention_hours must be 1 to 8760".into(),
            ));
        }
        if !(4..=65_536).contains(&self.store_cache_mb) {
            return Err(ConfigError::Invalid(
                "store_cache_mb must be 4 to 65536".into(),
            ));
        }
        if self.event_log_keep > 1 << 30 || !(1..=1 << 24).contains(&self.event_log_segment) {
            return Err(ConfigError::Invalid(
                "event_log_keep must be 0 to 1073741824 and event_log_segment 1 to 16777216".into(),
            ));
        }
        if self.store_relocate_mb > 1 << 20 || self.store_compact_mb > 1 << 24 {
            return Err(ConfigError::Invalid(
                "store_relocate_mb must be 0 to 1048576 and store_compact_mb 0 to 16777216".into(),
            ));
        }
        self.validate_orders()?;
        self.tasks.validate().map_err(ConfigError::Invalid)?;
        self.labels.validate().map_err(ConfigError::Invalid)?;
        self.fleet.validate().map_err(ConfigError::Invalid)?;
        self.validate_http()
    }

    fn validate_orders(&self) -> Result<(), ConfigError> {
        let bad = |what: &str| Err(ConfigError::Invalid(what.to_string()));
        if !(15..=30).contains(&self.unpaid_hold_minutes) {
            return bad("unpaid_hold_minutes must be 15 to 30");
        }
        if !(1..=10_080).contains(&self.stuck_order_minutes) {
            return bad("stuck_order_minutes must be 1 to 10080 (a week)");
        }
        for route in &self.routing.sites {
            protocol::validate::check_id("routing site", &route.site)
                .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        }
        let sites = &self.routing.sites;
        if !sites.is_empty() && !sites.iter().any(|r| r.site == self.site) {
            return bad("routing.sites must include this hub's own site");
        }
        if !(1..=36_500).contains(&self.customer_archive_days) {
            return bad("customer_archive_days must be 1 to 36500");
        }
        if !(1..=protocol::MAX_QUANTITY).contains(&self.max_line_quantity) {
            return bad("max_line_quantity must be 1 to 1000000");
        }
        Ok(())
    }

    fn validate_http(&self) -> Result<(), ConfigError> {
        let bad = |what: &str| Err(ConfigError::Invalid(what.to_string()));
        if !(1..=1_000_000).contains(&self.http_max_connections) {
            return bad("http_max_connections must be 1 to 1000000");
        }
        for (name, ms) in [
            ("http_header_timeout_ms", self.http_header_timeout_ms),
            ("http_body_timeout_ms", self.http_body_timeout_ms),
            ("http_idle_timeout_ms", self.http_idle_timeout_ms),
        ] {
            if !(100..=3_600_000).contains(&ms) {
                return bad(&format!("{name} must be 100 to 3600000"));
            }
        }
        if !(1024..=(1 << 30)).contains(&self.http_max_json_bytes) {
            return bad("http_max_json_bytes must be 1024 to 1073741824");
        }
        if !(1024..=(1 << 30)).contains(&self.erp_max_upload_bytes) {
            return bad("erp_max_upload_bytes must be 1024 to 1073741824");
        }
        Ok(())
    }
}

/// Parses `HH:MM` into minutes after midnight; `off` disables (None).
pub fn parse_time_of_day(text: &str) -> Result<Option<u32>, String> {
    if text == "off" {
        return Ok(None);
    }
    let parsed = text.split_once(':').and_then(|(h, m)| {
        let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
        (h < 24 && m < 60 && text.len() == 5).then_some(h * 60 + m)
    });
    parsed
        .map(Some)
        .ok_or_else(|| format!("expected HH:MM (00:00 to 23:59) or \"off\", got {text:?}"))
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
