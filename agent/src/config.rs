//! The agent's settings: an optional TOML file, overridden by command-line
//! flags, checked once at start-up.
//!
//! Why strict: a typo in a config key on a handheld would otherwise be
//! silently ignored and the device would publish as the wrong site or to the
//! wrong hub. Unknown keys, bad TOML, bad ids and out-of-range numbers are
//! refused with an error naming the problem.

use crate::credentials::{load_secrets, CredentialsError};
use crate::publisher::{PublisherConfig, SendSettings};
use protocol::validate::check_id;
use protocol::{MovementKind, ValidationError};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

/// Default hub address.
pub const DEFAULT_HUB: &str = "127.0.0.1:1883";
/// Default site id.
pub const DEFAULT_SITE: &str = "site-1";
/// Default scanner line speed.
pub const DEFAULT_BAUD: u32 = 9600;
/// Default double-read window, ms.
pub const DEFAULT_DOUBLE_READ_MS: u64 = 300;

/// Largest batch: keeps a frame of worst-case movements (about 360 bytes
/// each) under the 1 MiB packet limit.
pub const MAX_BATCH: usize = 2048;

/// Everything the agent needs to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentConfig {
    /// The hub's MQTT broker, `host:port`.
    pub hub: String,
    /// Site (warehouse) id.
    pub site: String,
    /// This device's id.
    pub device: String,
    /// Where the journal lives.
    pub data_dir: PathBuf,
    /// Most movements per event batch.
    pub batch_max: usize,
    /// Resend everything unacknowledged after this long without ack progress.
    pub resend_after_ms: u64,
    /// Interval between status heartbeats.
    pub heartbeat_ms: u64,
    /// A file holding the radio signal in dBm (one integer, -150 to 0),
    /// read for every status; `None`: the signal is reported as unknown.
    pub signal_file: Option<PathBuf>,
    /// Most batches outstanding beyond the hub's last ack.
    pub max_batches_in_flight: usize,
    /// A serial barcode engine to read instead of standard input.
    pub scanner: Option<PathBuf>,
    /// The scanner's line speed.
    pub scanner_baud: u32,
    /// The same code read again within this many ms is one scan (0: off).
    pub double_read_ms: u64,
    /// The movement kind scans record until a `MODE:` card is read.
    pub scan_mode: MovementKind,
    /// The credentials file (`hub device add --out`) holding this device's
    /// broker password and batch key; required to publish.
    pub credentials: Option<PathBuf>,
}

/// Values given on the command line; each one present wins over the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigOverrides {
    /// `--hub`
    pub hub: Option<String>,
    /// `--site`
    pub site: Option<String>,
    /// `--device`
    pub device: Option<String>,
    /// `--data`
    pub data_dir: Option<PathBuf>,
    /// `--credentials`
    pub credentials: Option<PathBuf>,
}

/// Why the settings were refused.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The config file is not valid TOML or has unknown keys or wrong types.
    #[error("bad config file {origin}: {message}")]
    Toml {
        /// The file (or `<string>`).
        origin: String,
        /// What the TOML parser said, with line and column.
        message: String,
    },
    /// No device id in the file or on the command line.
    #[error("no device id: give --device or `device = \"...\"` in the config file")]
    MissingDevice,
    /// The hub address is not `host:port`.
    #[error("bad hub address {value:?}: {reason}")]
    BadHub {
        /// The address given.
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A site or device id the topics cannot carry.
    #[error("{0}")]
    BadId(#[from] ValidationError),
    /// `scan_mode` names no movement kind.
    #[error("scan_mode {0:?} is not a movement kind (receive, putaway, move, pick, pack, adjust, count)")]
    BadScanMode(String),
    /// No credentials file given.
    #[error("no credentials: give --credentials FILE or `credentials = \"FILE\"` in the config file (the file `hub device add DEVICE --site SITE --out FILE` writes)")]
    MissingCredentials,
    /// The credentials file cannot be used.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// A number outside its allowed range.
    #[error("{field} = {value} is out of range: {rule}")]
    OutOfRange {
        /// The setting.
        field: &'static str,
        /// The value given.
        value: u64,
        /// The allowed range.
        rule: &'static str,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    hub: Option<String>,
    site: Option<String>,
    device: Option<String>,
    data_dir: Option<PathBuf>,
    batch_max: Option<usize>,
    resend_after_ms: Option<u64>,
    heartbeat_ms: Option<u64>,
    signal_file: Option<PathBuf>,
    max_batches_in_flight: Option<usize>,
    scanner: Option<PathBuf>,
    scanner_baud: Option<u32>,
    double_read_ms: Option<u64>,
    scan_mode: Option<String>,
    credentials: Option<PathBuf>,
}

impl AgentConfig {
    /// Loads `file` (if any), applies `overrides`, fills defaults, checks.
    pub fn load(
        file: Option<&Path>,
        overrides: ConfigOverrides,
    ) -> Result<AgentConfig, ConfigError> {
        let Some(path) = file else {
            return AgentConfig::build(ConfigFile::default(), overrides);
        };
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        AgentConfig::from_toml(&text, &path.display().to_string(), overrides)
    }

    /// Like [`AgentConfig::load`] with the file's text given; `origin`
    /// names it in errors.
    pub fn from_toml(
        text: &str,
        origin: &str,
        overrides: ConfigOverrides,
    ) -> Result<AgentConfig, ConfigError> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| ConfigError::Toml {
            origin: origin.to_string(),
            message: e.to_string().trim_end().replace('\n', " | "),
        })?;
        AgentConfig::build(file, overrides)
    }

    fn build(file: ConfigFile, o: ConfigOverrides) -> Result<AgentConfig, ConfigError> {
        let defaults = SendSettings::default();
        let device = o.device.or(file.device).ok_or(ConfigError::MissingDevice)?;
        let config = AgentConfig {
            hub: o
                .hub
                .or(file.hub)
                .unwrap_or_else(|| DEFAULT_HUB.to_string()),
            site: o
                .site
                .or(file.site)
                .unwrap_or_else(|| DEFAULT_SITE.to_string()),
            data_dir: o
                .data_dir
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("agent-data").join(&device)),
            device,
            batch_max: file.batch_max.unwrap_or(defaults.batch_max),
            resend_after_ms: file
                .resend_after_ms
                .unwrap_or(millis(defaults.resend_after)),
            heartbeat_ms: file.heartbeat_ms.unwrap_or(10_000),
            signal_file: file.signal_file,
            max_batches_in_flight: file
                .max_batches_in_flight
                .unwrap_or(defaults.max_batches_in_flight),
            scanner: file.scanner,
            scanner_baud: file.scanner_baud.unwrap_or(DEFAULT_BAUD),
            double_read_ms: file.double_read_ms.unwrap_or(DEFAULT_DOUBLE_READ_MS),
            scan_mode: parse_mode(file.scan_mode.as_deref())?,
            credentials: o.credentials.or(file.credentials),
        };
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        check_id("site", &self.site)?;
        check_id("device", &self.device)?;
        parse_hub(&self.hub)?;
        in_range(
            "batch_max",
            self.batch_max as u64,
            1,
            MAX_BATCH as u64,
            "1 to 2048",
        )?;
        in_range(
            "resend_after_ms",
            self.resend_after_ms,
            10,
            3_600_000,
            "10 to 3600000",
        )?;
        in_range(
            "heartbeat_ms",
            self.heartbeat_ms,
            100,
            3_600_000,
            "100 to 3600000",
        )?;
        let window = self.max_batches_in_flight as u64;
        in_range("max_batches_in_flight", window, 1, 4096, "1 to 4096")?;
        let baud = u64::from(self.scanner_baud);
        in_range("scanner_baud", baud, 300, 4_000_000, "300 to 4000000")?;
        in_range(
            "double_read_ms",
            self.double_read_ms,
            0,
            10_000,
            "0 to 10000",
        )
    }

    /// The publisher's settings, with this device's secrets read from the
    /// credentials file.
    pub fn publisher_config(&self) -> Result<PublisherConfig, ConfigError> {
        let (host, port) = parse_hub(&self.hub)?;
        let path = self
            .credentials
            .as_deref()
            .ok_or(ConfigError::MissingCredentials)?;
        let secrets = load_secrets(path, &self.site, &self.device)?;
        Ok(PublisherConfig {
            secrets,
            host,
            port,
            site: self.site.clone(),
            device: self.device.clone(),
            send: SendSettings {
                batch_max: self.batch_max,
                max_batches_in_flight: self.max_batches_in_flight,
                resend_after: Duration::from_millis(self.resend_after_ms),
            },
            heartbeat: Duration::from_millis(self.heartbeat_ms),
            signal_file: self.signal_file.clone(),
        })
    }
}

/// The starting scan mode (default pick).
pub fn parse_mode(word: Option<&str>) -> Result<MovementKind, ConfigError> {
    match word {
        None => Ok(MovementKind::Pick),
        Some(word) => MovementKind::parse(word)
            .ok_or_else(|| ConfigError::BadScanMode(word.chars().take(32).collect())),
    }
}

/// Splits `host:port` (`[v6]:port` too) into its parts.
pub fn parse_hub(value: &str) -> Result<(String, u16), ConfigError> {
    let bad = |reason| ConfigError::BadHub {
        value: value.chars().take(100).collect(),
        reason,
    };
    let (host, port) = value
        .rsplit_once(':')
        .ok_or_else(|| bad("expected host:port"))?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(bad("empty or malformed host"));
    }
    match port.parse::<u16>() {
        Ok(0) | Err(_) => Err(bad("port must be a number from 1 to 65535")),
        Ok(port) => Ok((host.to_string(), port)),
    }
}

fn in_range(
    field: &'static str,
    value: u64,
    lo: u64,
    hi: u64,
    rule: &'static str,
) -> Result<(), ConfigError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange { field, value, rule })
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<AgentConfig, ConfigError> {
        AgentConfig::from_toml(text, "<test>", ConfigOverrides::default())
    }

    #[test]
    fn scanner_keys_have_defaults_and_ranges() {
        let c = load("device = \"d\"").expect("defaults");
        assert_eq!(
            (c.scanner, c.scanner_baud, c.double_read_ms, c.scan_mode),
            (
                None,
                DEFAULT_BAUD,
                DEFAULT_DOUBLE_READ_MS,
                MovementKind::Pick
            )
        );
        let c = load("device = \"d\"\nscanner = \"/dev/ttyS1\"\nscanner_baud = 115200\ndouble_read_ms = 0\nscan_mode = \"receive\"")
            .expect("set");
        assert_eq!(c.scanner.as_deref(), Some(Path::new("/dev/ttyS1")));
        assert_eq!(
            (c.scanner_baud, c.double_read_ms, c.scan_mode),
            (115200, 0, MovementKind::Receive)
        );
        let bad = load("device = \"d\"\nscan_mode = \"fly\"")
            .map(|_| ())
            .unwrap_err();
        assert!(bad.to_string().contains("scan_mode \"fly\""), "{bad}");
        let bad = load("device = \"d\"\ndouble_read_ms = 20000")
            .map(|_| ())
            .unwrap_err();
        assert!(bad.to_string().contains("double_read_ms = 20000"), "{bad}");
    }
}
