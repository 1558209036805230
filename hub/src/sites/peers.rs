//! Other sites' hubs, as this one knows them (`[peers.SITE] public_key`
//! in the config, the key `hub site-key` prints on that site's hub), and
//! their stock notices read off the shared broker: a notice is believed
//! only from a configured site, on its own topic, with a signature that
//! checks against that site's key. Believed figures go to the writer
//! (`Command::PeerStock`), where routing reads them.

use super::signing;
use crate::writer::Command;
use protocol::sites::{decode_site, parse_stock_topic, StockNotice};
use serde::Deserialize;
use std::collections::BTreeMap;
use tracing::{debug, warn};

/// One other site's hub.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerConfig {
    /// Its hub's public key, 64 hex digits (`hub site-key` on that hub).
    pub public_key: String,
}

/// `[peers]`: site -> its hub.
pub type Peers = BTreeMap<String, PeerConfig>;

/// Checks `[peers]` for the hub of `own` site.
pub fn validate(peers: &Peers, own: &str) -> Result<(), String> {
    for (site, peer) in peers {
        protocol::validate::check_id("peers site", site).map_err(|e| e.to_string())?;
        if site == own {
            return Err(format!("peers.{site}: this hub's own site is not a peer"));
        }
        let hex = &peer.public_key;
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("peers.{site}.public_key must be 64 hex digits"));
        }
    }
    Ok(())
}

/// What a stock notice on `topic` becomes: a writer command if it comes
/// from a configured peer and checks; `None` otherwise (own site's, or
/// refused and logged).
pub fn believe(peers: &Peers, own: &str, topic: &str, payload: &[u8]) -> Option<Command> {
    let (site, sku) = parse_stock_topic(topic).ok()?;
    if site == own || payload.is_empty() {
        return None;
    }
    let Some(peer) = peers.get(&site) else {
        debug!(%site, "a stock notice from a site that is not a configured peer ignored");
        return None;
    };
    let notice: StockNotice = match decode_site(payload) {
        Ok(n) => n,
        Err(e) => {
            warn!(%site, error = %e, "an unreadable stock notice refused");
            return None;
        }
    };
    if notice.site != site || notice.sku != sku {
        warn!(%site, "a stock notice on another site's or SKU's topic refused");
        return None;
    }
    if let Err(e) = signing::verify(&peer.public_key, &notice) {
        warn!(%site, error = %e, "a stock notice with a bad signature refused");
        return None;
    }
    Some(Command::PeerStock {
        site,
        sku,
        available: notice.available,
        at_ms: notice.at_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::sites::encode_site;

    #[test]
    fn only_a_configured_peers_signed_notice_on_its_own_topic_is_believed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = signing::SiteKey::load_or_create(dir.path()).expect("key");
        let peers = Peers::from([(
            "s2".to_string(),
            PeerConfig {
                public_key: key.public_hex(),
            },
        )]);
        let mut notice = StockNotice {
            site: "s2".into(),
            sku: "A".into(),
            available: 7,
            at_ms: 5,
            signature: vec![],
        };
        key.sign(&mut notice);
        let frame = encode_site(&notice);
        let topic = "wms/s2/hub/stock/A";
        assert!(matches!(
            believe(&peers, "s1", topic, &frame),
            Some(Command::PeerStock {
                available: 7,
                at_ms: 5,
                ..
            })
        ));
        assert!(believe(&peers, "s2", topic, &frame).is_none(), "own site");
        assert!(believe(&peers, "s1", "wms/s3/hub/stock/A", &frame).is_none());
        assert!(believe(&peers, "s1", "wms/s2/hub/stock/B", &frame).is_none());
        assert!(believe(&peers, "s1", topic, b"\x01junk").is_none());
        assert!(believe(&peers, "s1", topic, &[]).is_none());
        let mut forged = notice.clone();
        forged.available = 700;
        assert!(believe(&peers, "s1", topic, &encode_site(&forged)).is_none());
    }

    #[test]
    fn peers_config_is_checked() {
        let key = |k: &str| PeerConfig {
            public_key: k.into(),
        };
        let good = "ab".repeat(32);
        assert!(validate(&Peers::from([("s2".into(), key(&good))]), "s1").is_ok());
        assert!(validate(&Peers::from([("s1".into(), key(&good))]), "s1").is_err());
        assert!(validate(&Peers::from([("s+".into(), key(&good))]), "s1").is_err());
        assert!(validate(&Peers::from([("s2".into(), key("abc"))]), "s1").is_err());
    }
}
