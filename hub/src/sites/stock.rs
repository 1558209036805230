//! A hub's available stock per SKU for the other sites' hubs: each notice
//! signed ([`super::signing`]) and retained on `wms/{site}/hub/stock/{sku}`,
//! so a hub that subscribes to `wms/+/hub/stock/+` gets every site's
//! latest figure for every SKU at once.
//!
//! All SKUs (the pool's figures, from the writer) are published on every connack (a broker restarted without
//! its retained messages learns them again); after that, the SKUs whose
//! stock changed, from the change feed, gathered for [`GATHER`] so a busy
//! SKU is published a few times a second, not once per movement.

use super::signing::SiteKey;
use crate::feed::FeedBus;
use crate::writer::Command;
use protocol::sites::{encode_site, stock_topic, StockNotice};
use rumqttc::{AsyncClient, QoS};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// How long changes are gathered before they are published.
pub const GATHER: Duration = Duration::from_millis(250);

/// What the publisher reads and signs with.
#[derive(Clone)]
pub struct StockPublisher {
    /// The site.
    pub site: String,
    /// The hub's signing key.
    pub key: Arc<SiteKey>,
    /// The writer, asked for every SKU's figure at each connection.
    pub commands: mpsc::Sender<Command>,
    /// Where stock changes come from.
    pub feed: FeedBus,
}

impl StockPublisher {
    /// Runs until `cancel`: everything on each new connection (`connacks`
    /// counts them), then what changes.
    pub async fn run(
        self,
        client: AsyncClient,
        mut connacks: watch::Receiver<u64>,
        cancel: CancellationToken,
    ) {
        let mut changes = self.feed.listen();
        let mut pending: BTreeMap<String, i64> = BTreeMap::new();
        let mut tick = tokio::time::interval(GATHER);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                changed = connacks.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    pending = self.everything().await;
                }
                group = changes.recv() => match group {
                    Ok(group) => gather(&group, &mut pending),
                    // Fell behind the bus: publish everything again.
                    Err(broadcast::error::RecvError::Lagged(_)) => pending = self.everything().await,
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                _ = tick.tick() => {
                    for (sku, available) in std::mem::take(&mut pending) {
                        self.publish(&client, sku, available);
                    }
                }
            }
        }
    }

    /// Available stock of every SKU, as the pool has it (the figure the
    /// change feed's `stock` events carry: on hand - reserved -
    /// quarantined).
    async fn everything(&self) -> BTreeMap<String, i64> {
        let all =
            crate::writer::call(&self.commands, |reply| Command::AvailableAll { reply }).await;
        match all {
            Ok(all) => all.into_iter().collect(),
            Err(e) => {
                warn!(error = %e, "cannot read the stock to publish it");
                BTreeMap::new()
            }
        }
    }

    fn publish(&self, client: &AsyncClient, sku: String, available: i64) {
        let topic = match stock_topic(&self.site, &sku) {
            Ok(t) => t,
            Err(e) => {
                warn!(error = %e, "a SKU that cannot be a topic segment is not published");
                return;
            }
        };
        let mut notice = StockNotice {
            site: self.site.clone(),
            sku,
            available,
            at_ms: crate::clock::wall_ms(),
            signature: Vec::new(),
        };
        self.key.sign(&mut notice);
        if let Err(e) = client.try_publish(topic, QoS::AtLeastOnce, true, encode_site(&notice)) {
            warn!(error = %e, "cannot publish a stock notice");
        }
    }
}

/// The SKUs and available figures of a group's `stock` events.
fn gather(group: &crate::feed::FeedGroup, pending: &mut BTreeMap<String, i64>) {
    for (_, event) in group.iter().filter(|(_, e)| e.event == "stock") {
        let Ok(data) = serde_json::from_str::<serde_json::Value>(&event.data) else {
            continue;
        };
        if let (Some(sku), Some(available)) = (data["sku"].as_str(), data["available"].as_i64()) {
            pending.insert(sku.to_string(), available);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hub_core::feed::FeedEvent;

    #[test]
    fn only_stock_events_are_gathered_and_the_newest_figure_wins() {
        let event = |name: &str, data: &str| FeedEvent {
            event: name.into(),
            data: data.into(),
            at_ms: 1,
        };
        let group = Arc::new(vec![
            (1, event("stock", r#"{"sku":"A","available":5}"#)),
            (2, event("order", r#"{"sku":"B","available":9}"#)),
            (3, event("stock", r#"{"sku":"A","available":3}"#)),
            (4, event("stock", "not json")),
            (5, event("stock", r#"{"sku":"C"}"#)),
        ]);
        let mut pending = BTreeMap::new();
        gather(&group, &mut pending);
        assert_eq!(pending, BTreeMap::from([("A".to_string(), 3)]));
    }
}
