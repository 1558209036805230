//! `[external_broker]` in the hub's config: where an external MQTT broker
//! is, the hub's login to it, and the Mosquitto files the hub keeps (what
//! the hub does with them is [`crate::net::external`]).
//!
//! The hub's password is never in the config in clear: it comes from the
//! environment variable [`PASSWORD_ENV`] or from a file
//! (`password_file`, ideally mode 0600). A config that names
//! `password` is refused with that advice.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The environment variable that holds the hub's broker password (wins
/// over `password_file`).
pub const PASSWORD_ENV: &str = "WMS_BROKER_PASSWORD";

/// `[external_broker]` in the hub's config.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExternalBrokerConfig {
    /// `mqtt://HOST:PORT`, `mqtts://HOST:PORT` or `HOST:PORT`; unset, the
    /// hub embeds its own broker.
    pub address: Option<String>,
    /// The hub's username on the broker.
    pub username: Option<String>,
    /// A file holding the hub's password (one line); the environment
    /// variable `WMS_BROKER_PASSWORD` wins over it.
    pub password_file: Option<PathBuf>,
    /// Refused: a password in clear in the config (kept only to say so).
    pub password: Option<String>,
    /// PEM file of the CA that signed the broker's certificate
    /// (`mqtts://` only, where it is required).
    pub ca_file: Option<PathBuf>,
    /// Mosquitto only: the directory the hub keeps `mosquitto.acl`,
    /// `mosquitto.passwd` and `mosquitto.conf` in, rewritten at start and
    /// on every change of the device registry. Several hubs (one per site)
    /// may share it: each writes its own site's part, and the files hold
    /// every site's.
    pub acl_dir: Option<PathBuf>,
    /// Run (no shell) after the files in `acl_dir` changed, to make the
    /// broker read them: for example `["systemctl", "reload",
    /// "mosquitto"]` or `["kill", "-HUP", "1234"]`.
    pub reload: Vec<String>,
}

/// Where the external broker is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAddress {
    /// Host name or IP address (without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Whether to speak TLS (`mqtts://`).
    pub tls: bool,
}

/// What is wrong with the external broker's settings.
#[derive(Debug, thiserror::Error)]
pub enum ExternalError {
    /// The address does not parse.
    #[error(
        "external broker address {0:?} is not mqtt://HOST:PORT, mqtts://HOST:PORT or HOST:PORT"
    )]
    Address(String),
    /// A password written in the config.
    #[error(
        "external_broker.password is refused: never put the broker password in the config; \
         put it in a file named by external_broker.password_file (mode 0600) or in the \
         environment variable {PASSWORD_ENV}"
    )]
    PasswordInConfig,
    /// A username without a password, or a password without a username.
    #[error(
        "external_broker.username needs a password (external_broker.password_file or \
         {PASSWORD_ENV}), and a password needs a username"
    )]
    HalfLogin,
    /// `mqtts://` without a CA file.
    #[error(
        "an mqtts:// broker needs external_broker.ca_file (the CA that signed its certificate)"
    )]
    NoCaFile,
    /// The password file could not be read or is empty.
    #[error("cannot read the broker password from {path}: {message}")]
    PasswordFile {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The CA file could not be used.
    #[error("cannot use the broker CA file {path}: {message}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

impl BrokerAddress {
    /// Parses `mqtt://HOST:PORT`, `mqtts://HOST:PORT` or `HOST:PORT`
    /// (an IPv6 host in brackets).
    pub fn parse(text: &str) -> Result<BrokerAddress, ExternalError> {
        let bad = || ExternalError::Address(text.to_string());
        let (tls, rest) = if let Some(rest) = text.strip_prefix("mqtts://") {
            (true, rest)
        } else if let Some(rest) = text.strip_prefix("mqtt://") {
            (false, rest)
        } else if text.contains("://") {
            return Err(bad());
        } else {
            (false, text)
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
        let host = match host.strip_prefix('[') {
            Some(inner) => inner.strip_suffix(']').ok_or_else(bad)?,
            None => host,
        };
        let valid_host = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'));
        let port: u16 = port.parse().map_err(|_| bad())?;
        if !valid_host || port == 0 {
            return Err(bad());
        }
        Ok(BrokerAddress {
            host: host.to_string(),
            port,
            tls,
        })
    }
}

impl ExternalBrokerConfig {
    /// The parsed address, if an external broker is configured.
    pub fn broker_address(&self) -> Result<Option<BrokerAddress>, ExternalError> {
        self.address
            .as_deref()
            .map(BrokerAddress::parse)
            .transpose()
    }

    /// Checks what can be checked without reading files.
    pub fn validate(&self) -> Result<(), ExternalError> {
        if self.password.is_some() {
            return Err(ExternalError::PasswordInConfig);
        }
        if let Some(address) = self.broker_address()? {
            if address.tls && self.ca_file.is_none() {
                return Err(ExternalError::NoCaFile);
            }
        }
        if self.username.is_none() && self.password_file.is_some() {
            return Err(ExternalError::HalfLogin);
        }
        Ok(())
    }

    /// The hub's login: the username with the password from the
    /// environment or the password file; `None` without a username.
    pub fn login(&self) -> Result<Option<(String, String)>, ExternalError> {
        self.login_with_env(std::env::var(PASSWORD_ENV).ok())
    }

    /// [`Self::login`] with the environment variable's value given.
    pub fn login_with_env(
        &self,
        env: Option<String>,
    ) -> Result<Option<(String, String)>, ExternalError> {
        let Some(username) = &self.username else {
            return Ok(None);
        };
        let password = match (env.filter(|p| !p.is_empty()), &self.password_file) {
            (Some(p), _) => p,
            (None, Some(path)) => read_password(path)?,
            (None, None) => return Err(ExternalError::HalfLogin),
        };
        Ok(Some((username.clone(), password)))
    }
}

fn read_password(path: &Path) -> Result<String, ExternalError> {
    let fail = |message: String| ExternalError::PasswordFile {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let password = text.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err(fail("the file is empty".into()));
    }
    if password.contains(['\r', '\n']) {
        return Err(fail("the file has more than one line".into()));
    }
    Ok(password.to_string())
}

#[cfg(test)]
#[path = "external_broker_tests.rs"]
mod tests;
