//! The start-up pieces that differ with an external broker: where to
//! connect (and whether over TLS), the hub's login, and the Mosquitto
//! files the hub keeps in step with its registry.

use super::HubError;
use crate::config::HubConfig;
use crate::devices::{InternalLogin, Registry, RegistryError};
use crate::net::external::acl_sync::AclSync;
use crate::net::external::{tls, ExternalError};
use crate::net::mqtt::SiteSide;
use crate::orders::clean::Regions;
use crate::sites::handoff::Handoffs;
use crate::sites::owner::{self, Ownership, Probe};
use crate::sites::signing::SiteKey;
use crate::sites::stock::StockPublisher;
use crate::writer::Command;
use rumqttc::TlsConfiguration;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Where the hub's MQTT client connects.
pub(super) struct Target {
    pub host: String,
    pub port: u16,
    pub tls: Option<TlsConfiguration>,
}

/// The embedded broker's listen address, or the external broker's.
pub(super) fn broker_target(config: &HubConfig) -> Result<Target, HubError> {
    let external = &config.external_broker;
    match external.broker_address()? {
        None => Ok(Target {
            host: config.mqtt_listen.ip().to_string(),
            port: config.mqtt_listen.port(),
            tls: None,
        }),
        Some(address) => {
            let tls = match (address.tls, &external.ca_file) {
                (false, _) => None,
                (true, Some(ca)) => Some(tls::configuration(ca)?),
                (true, None) => return Err(ExternalError::NoCaFile.into()),
            };
            Ok(Target {
                host: address.host,
                port: address.port,
                tls,
            })
        }
    }
}

/// The hub's own broker login: a fresh random secret for the embedded
/// broker, or the configured one (password from the environment or its
/// file) for an external broker.
pub(super) fn hub_login(config: &HubConfig) -> Result<InternalLogin, HubError> {
    let mut login = InternalLogin::generate(&config.site).map_err(RegistryError::from)?;
    if config.external_broker.address.is_some() {
        if let Some((username, password)) = config.external_broker.login()? {
            login.username = username;
            login.password = password;
        }
    }
    Ok(login)
}

/// With an external broker and `acl_dir`: writes the Mosquitto files now
/// (a failure stops the start) and reloads the broker; returns the sync
/// for the registry watcher to run on every change.
pub(super) fn acl_sync(
    config: &HubConfig,
    login: &InternalLogin,
) -> Result<Option<AclSync>, HubError> {
    let external = &config.external_broker;
    let (Some(_), Some(dir)) = (&external.address, &external.acl_dir) else {
        return Ok(None);
    };
    let sync = AclSync {
        dir: dir.clone(),
        reload: external.reload.clone(),
        site: config.site.clone(),
        username: login.username.clone(),
        password: login.password.clone(),
    };
    let registry = Registry::new(&config.data_dir);
    sync.write(&registry)?;
    sync.reload();
    Ok(Some(sync))
}

/// On an external broker: the hub's claim on its site, checked free
/// first (another live hub's claim stops the start), and its signed stock
/// notices. `None` with the embedded broker.
pub(super) async fn site_side(
    config: &HubConfig,
    login: &InternalLogin,
    target: &Target,
    stock: impl FnOnce(Arc<SiteKey>) -> StockPublisher,
    writer: (&mpsc::Sender<Command>, &Arc<Regions>),
) -> Result<Option<SiteSide>, HubError> {
    if config.external_broker.address.is_none() {
        return Ok(None);
    }
    let ownership = Ownership::new(&config.site, crate::clock::wall_ms())?;
    let probe = Probe {
        host: target.host.clone(),
        port: target.port,
        tls: target.tls.clone(),
        username: format!("{}-probe", login.username),
        password: login.password.clone(),
    };
    owner::check_free(probe, &ownership).await?;
    let key = Arc::new(SiteKey::load_or_create(&config.data_dir)?);
    let (inbox_tx, inbox) = mpsc::channel(1_024);
    let stock = stock(key.clone());
    let handoffs = Handoffs {
        feed: stock.feed.clone(),
        site: config.site.clone(),
        key: key.clone(),
        peers: config.peers.clone(),
        commands: writer.0.clone(),
        regions: writer.1.clone(),
        inbox,
    };
    Ok(Some(SiteSide {
        ownership,
        stock,
        peers: config.peers.clone(),
        handoffs: Some((handoffs, inbox_tx)),
    }))
}
