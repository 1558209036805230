//! Hub configuration: defaults that need no file at all, an optional TOML
//! file, and command-line flags that override both.

use serde::Deserialize;
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
    /// An external broker (host:port) to use instead of the embedded one.
    pub external_broker: Option<String>,
    /// Most movements applied in one group commit.
    pub max_group_movements: usize,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            site: "site-1".to_string(),
            mqtt_listen: SocketAddr::from(([127, 0, 0, 1], 1883)),
            http_listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            external_broker: None,
            max_group_movements: 50_000,
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
        if self.data_dir.as_os_str().is_empty() {
            return Err(ConfigError::Invalid("data_dir is empty".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let c = HubConfig::from_toml("", Path::new("x.toml")).unwrap();
        assert_eq!(c, HubConfig::default());
    }

    #[test]
    fn values_override_defaults() {
        let text = "site = \"north\"\nhttp_listen = \"127.0.0.1:9000\"\n";
        let c = HubConfig::from_toml(text, Path::new("x.toml")).unwrap();
        assert_eq!(c.site, "north");
        assert_eq!(c.http_listen.port(), 9000);
        assert_eq!(c.mqtt_listen.port(), 1883);
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        let cases = [
            ("sit = \"x\"", "unknown field"),
            ("site = 3", "invalid type"),
            ("http_listen = \"nowhere\"", "invalid socket address"),
            ("site = \"a/b\"", "site contains"),
            ("max_group_movements = 0", "at least 1"),
            ("[[[", "invalid"),
        ];
        for (text, expected) in cases {
            let err = HubConfig::from_toml(text, Path::new("x.toml")).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(expected), "{text:?} gave {msg:?}");
        }
    }
}
