//! An external MQTT broker (Mosquitto in CI, an EMQX or VerneMQ cluster in
//! production) instead of the embedded one: where it is (`mqtt://` or
//! `mqtts://` with a CA file), the hub's own login to it, and the
//! Mosquitto files the hub keeps up to date as devices come and go
//! ([`acl_sync`]).
//!
//! Its settings are [`crate::config::external_broker`].

pub mod acl_sync;
pub mod tls;

pub use crate::config::external_broker::{
    BrokerAddress, ExternalBrokerConfig, ExternalError, PASSWORD_ENV,
};
