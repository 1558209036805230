//! What hubs tell each other through a shared broker (several sites on
//! one broker, issue 18): which hub owns a site, and how much of each SKU
//! a site has available. These topics have four segments,
//! `wms/{site}/hub/owner` and `wms/{site}/hub/stock/{sku}`, beside the
//! devices' five-segment topics ([`crate::topic`]), and only a site's
//! hub may write them (the broker's ACL, `hub device acl`).
//!
//! Frames are the protocol version byte and a postcard body, as every
//! other frame. A stock notice is signed by its hub (Ed25519, by the hub;
//! this crate only defines the bytes signed: [`StockNotice::signed_bytes`]).

use crate::codec::{DecodeError, PROTOCOL_VERSION};
use crate::topic::{TopicError, ROOT};
use crate::validate::check_id;
use serde::{Deserialize, Serialize};

/// Prefix of the bytes a hub signs for a stock notice (domain separation).
pub const STOCK_DOMAIN: &[u8] = b"wms-site-stock-v1";

/// A hub's claim on its site, retained on `wms/{site}/hub/owner` while it
/// runs; its last will (an empty retained payload) clears it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteClaim {
    /// The site.
    pub site: String,
    /// A random number the hub drew at start: two claims with different
    /// instances are two hubs.
    pub instance: u64,
    /// When that hub started, ms since the epoch (hub clock).
    pub since_ms: u64,
}

/// How much of one SKU a site can promise, retained on
/// `wms/{site}/hub/stock/{sku}` and signed by the site's hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockNotice {
    /// The site.
    pub site: String,
    /// The SKU.
    pub sku: String,
    /// On hand minus reserved minus quarantined (may be negative after a
    /// count).
    pub available: i64,
    /// When the hub read it, ms since the epoch: a reader keeps the newest.
    pub at_ms: u64,
    /// Ed25519 signature over [`StockNotice::signed_bytes`] (64 bytes).
    pub signature: Vec<u8>,
}

/// What a handover frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HandoffKind {
    /// An order, offered to the receiving site (sealed: the canonical
    /// order JSON with the customer's data).
    Offer,
    /// The receiving site took it in (sealed: its order id, 8 bytes LE).
    Accepted,
    /// The receiving site refused it (sealed: why, UTF-8).
    Refused,
}

/// An order handed from one site's hub to another's, or the answer, on
/// `wms/{to}/hub/inbox/{from}`, never retained. `sealed` is
/// ChaCha20-Poly1305 under the two hubs' pair key with `nonce`, over the
/// associated data [`handoff_aad`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoffFrame {
    /// What it carries.
    pub kind: HandoffKind,
    /// The order's id at the sending site of the offer.
    pub order_id: u64,
    /// 12 random bytes.
    pub nonce: Vec<u8>,
    /// The sealed content.
    pub sealed: Vec<u8>,
}

/// The associated data of a handover frame: the topic, the kind and the
/// order id, so a frame cannot be moved to another topic or order.
pub fn handoff_aad(topic: &str, kind: HandoffKind, order_id: u64) -> Vec<u8> {
    postcard::to_allocvec(&(topic, kind, order_id)).unwrap_or_default()
}

/// `wms/{to}/hub/inbox/{from}`: where `from`'s hub writes to `to`'s.
pub fn inbox_topic(to: &str, from: &str) -> Result<String, TopicError> {
    check_id("site", to)?;
    check_id("site", from)?;
    Ok(format!("{ROOT}/{to}/hub/inbox/{from}"))
}

/// `wms/{site}/hub/inbox/+`: everything written to `site`'s hub.
pub fn inbox_filter(site: &str) -> Result<String, TopicError> {
    check_id("site", site)?;
    Ok(format!("{ROOT}/{site}/hub/inbox/+"))
}

/// The (to, from) sites of an inbox topic.
pub fn parse_inbox_topic(topic: &str) -> Result<(String, String), TopicError> {
    let shape = || TopicError::Shape(topic.to_string());
    let parts: Vec<&str> = topic.split('/').collect();
    let [ROOT, to, "hub", "inbox", from] = parts.as_slice() else {
        return Err(shape());
    };
    check_id("site", to)?;
    check_id("site", from)?;
    Ok((to.to_string(), from.to_string()))
}

/// `wms/{site}/hub/owner`.
pub fn owner_topic(site: &str) -> Result<String, TopicError> {
    check_id("site", site)?;
    Ok(format!("{ROOT}/{site}/hub/owner"))
}

/// `wms/{site}/hub/stock/{sku}`.
pub fn stock_topic(site: &str, sku: &str) -> Result<String, TopicError> {
    check_id("site", site)?;
    check_id("sku", sku)?;
    Ok(format!("{ROOT}/{site}/hub/stock/{sku}"))
}

/// Every site's stock notices: `wms/+/hub/stock/+`.
pub fn stock_filter_all_sites() -> String {
    format!("{ROOT}/+/hub/stock/+")
}

/// The site and SKU of a stock topic.
pub fn parse_stock_topic(topic: &str) -> Result<(String, String), TopicError> {
    let shape = || TopicError::Shape(topic.to_string());
    let mut parts = topic.split('/');
    let (Some(ROOT), Some(site), Some("hub"), Some("stock"), Some(sku), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(shape());
    };
    check_id("site", site)?;
    check_id("sku", sku)?;
    Ok((site.to_string(), sku.to_string()))
}

impl StockNotice {
    /// The bytes the hub signs: [`STOCK_DOMAIN`] and the postcard body of
    /// the notice without its signature.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let body = (&self.site, &self.sku, self.available, self.at_ms);
        let mut out = STOCK_DOMAIN.to_vec();
        out.extend(postcard::to_allocvec(&body).unwrap_or_default());
        out
    }
}

/// A site frame: the protocol version byte and the postcard body.
pub fn encode_site<T: Serialize>(message: &T) -> Vec<u8> {
    let mut out = vec![PROTOCOL_VERSION];
    out.extend(postcard::to_allocvec(message).unwrap_or_default());
    out
}

/// Decodes a site frame; trailing bytes are refused.
pub fn decode_site<T: for<'de> Deserialize<'de>>(frame: &[u8]) -> Result<T, DecodeError> {
    crate::codec::decode_as(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_and_notices_round_trip_and_junk_is_refused() {
        let claim = SiteClaim {
            site: "s1".into(),
            instance: 7,
            since_ms: 1_700_000_000_000,
        };
        let frame = encode_site(&claim);
        assert_eq!(frame[0], PROTOCOL_VERSION);
        assert_eq!(decode_site::<SiteClaim>(&frame).expect("claim"), claim);
        let mut long = frame.clone();
        long.push(0);
        assert!(decode_site::<SiteClaim>(&long).is_err());
        assert!(decode_site::<SiteClaim>(&[]).is_err());
        assert!(decode_site::<SiteClaim>(&[0xff, 1]).is_err());
        assert!(decode_site::<StockNotice>(&frame[..frame.len() - 1]).is_err());
    }

    /// The vectors of WIRE.md §11.
    #[test]
    fn wire_md_vectors() {
        let claim = SiteClaim {
            site: "s1".into(),
            instance: 0x0102_0304_0506_0708,
            since_ms: 1_700_000_000_000,
        };
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        assert_eq!(
            hex(&encode_site(&claim)),
            "01027331888e98a8c0e080810180d095ffbc31"
        );
        let notice = StockNotice {
            site: "s1".into(),
            sku: "SKU-1".into(),
            available: -3,
            at_ms: 1_700_000_000_000,
            signature: vec![],
        };
        assert_eq!(
            hex(&notice.signed_bytes()),
            "776d732d736974652d73746f636b2d763102733105534b552d310580d095ffbc31"
        );
    }

    #[test]
    fn topics_are_built_and_parsed_with_checked_segments() {
        assert_eq!(owner_topic("s1").expect("owner"), "wms/s1/hub/owner");
        let topic = stock_topic("s1", "SKU-1").expect("stock");
        assert_eq!(topic, "wms/s1/hub/stock/SKU-1");
        assert_eq!(
            parse_stock_topic(&topic).expect("parse"),
            ("s1".into(), "SKU-1".into())
        );
        assert!(stock_topic("s+", "x").is_err());
        assert!(stock_topic("s1", "a/b").is_err());
        for bad in [
            "wms/s1/hub/stock",
            "wms/s1/hub/stock/a/b",
            "x/s1/hub/stock/a",
            "wms/+/hub/stock/a",
        ] {
            assert!(parse_stock_topic(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_signed_bytes_cover_every_field_but_the_signature() {
        let notice = StockNotice {
            site: "s1".into(),
            sku: "A".into(),
            available: 5,
            at_ms: 9,
            signature: vec![1; 64],
        };
        let base = notice.signed_bytes();
        assert!(base.starts_with(STOCK_DOMAIN));
        let unsigned = StockNotice {
            signature: vec![],
            ..notice.clone()
        };
        assert_eq!(unsigned.signed_bytes(), base);
        for changed in [
            StockNotice {
                site: "s2".into(),
                ..notice.clone()
            },
            StockNotice {
                sku: "B".into(),
                ..notice.clone()
            },
            StockNotice {
                available: 6,
                ..notice.clone()
            },
            StockNotice {
                at_ms: 10,
                ..notice.clone()
            },
        ] {
            assert_ne!(changed.signed_bytes(), base);
        }
    }
}
