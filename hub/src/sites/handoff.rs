//! Handing an order over to another site's hub through the shared broker
//! (issue 18). The core decides (`hub_core::pool::handoff`); this task
//! carries it out:
//!
//! * sending: every [`RESEND`], the orders still waiting for another
//!   site are offered to that site's hub on `wms/{to}/hub/inbox/{from}`:
//!   the canonical order JSON with the customer's data, opened once (and
//!   audited) and sealed with the two hubs' pair key. It is offered again
//!   until that hub answers, so a hub that is down, or a lost frame, only
//!   delays it;
//! * receiving: an offer from a configured peer is taken in as an order
//!   of platform `site-{from}` with the sender's order id, the same way
//!   `POST /api/v1/orders` takes one in (its stock held before the answer
//!   leaves); a re-sent offer finds the order it made and creates nothing
//!   twice. The answer says its order id, or why it was refused;
//! * answers go to the writer, which routes the order to that site or
//!   makes it a backorder.

use super::peers::Peers;
use super::signing::SiteKey;
use crate::intake::{self, OrderBody};
use crate::orders::clean::{RawAddress, RawCustomer, Regions};
use crate::orders::{Order, OrderState};
use crate::writer::orders::{Access, CustomerData, OrderCommand};
use crate::writer::{Command, Reply};
use bytes::Bytes;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use protocol::sites::{
    decode_site, encode_site, handoff_aad, inbox_topic, parse_inbox_topic, HandoffFrame,
    HandoffKind,
};
use rumqttc::{AsyncClient, QoS};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// How often offers not yet answered are sent again.
pub const RESEND: Duration = Duration::from_secs(2);

/// The platform name of orders handed over from `site`.
pub fn platform_of(site: &str) -> String {
    format!("site-{site}")
}

/// The handover task's parts.
pub struct Handoffs {
    /// This hub's site.
    pub site: String,
    /// Its key (the pair keys come from it).
    pub key: Arc<SiteKey>,
    /// The sites it deals with.
    pub peers: Peers,
    /// The writer.
    pub commands: mpsc::Sender<Command>,
    /// The region table offers are cleaned with.
    pub regions: Arc<Regions>,
    /// Publishes on this hub's inbox, from the MQTT loop.
    pub inbox: mpsc::Receiver<(String, Bytes)>,
    /// The change feed: an order's change is a reason to look at once.
    pub feed: crate::feed::FeedBus,
}

impl Handoffs {
    /// Runs until `cancel`.
    pub async fn run(mut self, client: AsyncClient, cancel: CancellationToken) {
        // Offers made, by order: the customer is opened once per order.
        let mut offers: HashMap<u64, (String, Vec<u8>)> = HashMap::new();
        let mut tick = tokio::time::interval(RESEND);
        let mut changes = self.feed.listen();
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                group = changes.recv() => {
                    let orders_changed = match &group {
                        // Orders handed over wait as exceptions: only
                        // then is the (whole-book) look worth it.
                        Ok(group) => group.iter().any(|(_, e)| {
                            e.event == "order" && e.data.contains("\"exception\"")
                        }),
                        Err(_) => true,
                    };
                    if orders_changed {
                        self.offer_pending(&client, &mut offers).await;
                    }
                }
                message = self.inbox.recv() => match message {
                    Some((topic, payload)) => self.received(&client, &topic, &payload).await,
                    None => break,
                },
                _ = tick.tick() => self.offer_pending(&client, &mut offers).await,
            }
        }
    }

    async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, String> {
        crate::writer::call(&self.commands, make)
            .await
            .map_err(|e| e.to_string())
    }

    async fn offer_pending(
        &self,
        client: &AsyncClient,
        offers: &mut HashMap<u64, (String, Vec<u8>)>,
    ) {
        let pending = match self
            .call(|reply| Command::Order(OrderCommand::PendingHandoffs { reply }))
            .await
        {
            Ok(p) => p,
            Err(e) => return warn!(error = %e, "cannot list the orders to hand over"),
        };
        offers.retain(|id, _| pending.iter().any(|(o, _)| o.id == *id));
        for (order, site) in pending {
            let entry = match offers.entry(order.id) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    match self.offer(&order, &site).await {
                        Ok(offer) => slot.insert(offer),
                        Err(e) => {
                            warn!(order = order.id, %site, error = %e, "cannot offer an order to another site");
                            continue;
                        }
                    }
                }
            };
            let (topic, frame) = entry;
            if let Err(e) =
                client.try_publish(topic.as_str(), QoS::AtLeastOnce, false, frame.clone())
            {
                warn!(error = %e, "cannot send a handover");
            }
        }
    }

    /// The sealed offer of `order` to `site`: its topic and frame.
    async fn offer(&self, order: &Order, site: &str) -> Result<(String, Vec<u8>), String> {
        let access = Access {
            who: format!("hub of site {}", self.site),
            reason: format!("order handed over to site {site}"),
        };
        let id = order.id;
        let customer = self
            .call(|reply| Command::Order(OrderCommand::OpenCustomer { id, access, reply }))
            .await?;
        let body = offer_body(&self.site, order, customer);
        let json = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
        let topic = inbox_topic(site, &self.site).map_err(|e| e.to_string())?;
        let frame = self.seal(&topic, site, HandoffKind::Offer, id, &json)?;
        info!(order = id, %site, "order offered to another site");
        Ok((topic, frame))
    }

    fn seal(
        &self,
        topic: &str,
        peer: &str,
        kind: HandoffKind,
        order_id: u64,
        plain: &[u8],
    ) -> Result<Vec<u8>, String> {
        let cipher = self.cipher(peer)?;
        let nonce = crate::devices::secrets::random_bytes::<12>().map_err(|e| e.to_string())?;
        let aad = handoff_aad(topic, kind, order_id);
        let sealed = cipher
            .encrypt(
                (&nonce).into(),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| "sealing failed".to_string())?;
        Ok(encode_site(&HandoffFrame {
            kind,
            order_id,
            nonce: nonce.to_vec(),
            sealed,
        }))
    }

    fn cipher(&self, peer: &str) -> Result<ChaCha20Poly1305, String> {
        let public = &self
            .peers
            .get(peer)
            .ok_or_else(|| format!("site {peer} is not a configured peer"))?
            .public_key;
        let key = self
            .key
            .pair_key(public, &self.site, peer)
            .map_err(|e| e.to_string())?;
        Ok(ChaCha20Poly1305::new((&key).into()))
    }

    /// A frame on this hub's inbox, opened only from a configured peer.
    async fn received(&self, client: &AsyncClient, topic: &str, payload: &[u8]) {
        let (from, frame, plain) = match self.open(topic, payload) {
            Ok(opened) => opened,
            Err(e) => return warn!(%topic, error = %e, "a handover frame refused"),
        };
        let id = frame.order_id;
        let answer = match frame.kind {
            HandoffKind::Offer => return self.take_in(client, &from, id, &plain).await,
            HandoffKind::Accepted => match <[u8; 8]>::try_from(plain.as_slice()) {
                Ok(bytes) => Ok(u64::from_le_bytes(bytes)),
                Err(_) => return warn!(%from, "a handover answer with a bad order id refused"),
            },
            HandoffKind::Refused => Err(String::from_utf8_lossy(&plain).into_owned()),
        };
        let site = from.clone();
        let result = self
            .call(|reply| {
                Command::Order(OrderCommand::HandoffAnswered {
                    id,
                    site,
                    answer,
                    reply,
                })
            })
            .await;
        match result {
            Ok(order) => {
                info!(order = id, %from, state = order.state.as_str(), "handover answered")
            }
            Err(e) => warn!(order = id, %from, error = %e, "a handover answer not applied"),
        }
    }

    fn open(&self, topic: &str, payload: &[u8]) -> Result<(String, HandoffFrame, Vec<u8>), String> {
        let (to, from) = parse_inbox_topic(topic).map_err(|e| e.to_string())?;
        if to != self.site {
            return Err(format!("not this site's inbox ({to})"));
        }
        let frame: HandoffFrame = decode_site(payload).map_err(|e| e.to_string())?;
        let nonce: [u8; 12] = frame
            .nonce
            .as_slice()
            .try_into()
            .map_err(|_| "the nonce is not 12 bytes".to_string())?;
        let aad = handoff_aad(topic, frame.kind, frame.order_id);
        let plain = self
            .cipher(&from)?
            .decrypt(
                (&nonce).into(),
                Payload {
                    msg: &frame.sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| "the seal does not open with the pair key".to_string())?;
        Ok((from, frame, plain))
    }

    /// Takes an offered order in and answers: its id here, or why not.
    async fn take_in(&self, client: &AsyncClient, from: &str, id: u64, plain: &[u8]) {
        let answer = self.place(from, id, plain).await;
        let (kind, content) = match &answer {
            Ok(here) => (HandoffKind::Accepted, here.to_le_bytes().to_vec()),
            Err(why) => (HandoffKind::Refused, why.as_bytes().to_vec()),
        };
        let sent = inbox_topic(from, &self.site)
            .map_err(|e| e.to_string())
            .and_then(|topic| Ok((self.seal(&topic, from, kind, id, &content)?, topic)));
        match sent {
            Ok((frame, topic)) => {
                if let Err(e) = client.try_publish(topic, QoS::AtLeastOnce, false, frame) {
                    warn!(error = %e, "cannot answer a handover");
                }
                info!(order = id, %from, answer = ?answer, "handover answered");
            }
            Err(e) => warn!(error = %e, "cannot answer a handover"),
        }
    }

    async fn place(&self, from: &str, id: u64, plain: &[u8]) -> Result<u64, String> {
        let body: OrderBody = serde_json::from_slice(plain).map_err(|e| e.to_string())?;
        if body.platform != platform_of(from) || body.platform_order_id != id.to_string() {
            return Err("the offer names another platform or order".into());
        }
        let order = Box::new(intake::prepare(body, &self.regions).map_err(|e| e.to_string())?);
        let (order, _) = self
            .call(|reply| Command::Order(OrderCommand::Place { order, reply }))
            .await?;
        match order.state {
            OrderState::Exception | OrderState::Cancelled => Err(order
                .exceptions
                .first()
                .map_or_else(|| "cannot fill it".to_string(), |r| r.message.clone())),
            _ => Ok(order.id),
        }
    }
}

/// The canonical order JSON of `order` with its customer in clear, as
/// the receiving site takes it in.
fn offer_body(own: &str, order: &Order, c: CustomerData) -> OrderBody {
    OrderBody {
        platform: platform_of(own),
        platform_order_id: order.id.to_string(),
        service: order.service,
        paid: order.paid,
        customer: RawCustomer {
            name: c.name,
            phone: c.phone,
            address: RawAddress {
                country: c.country,
                province: c.province,
                city: c.city,
                district: c.district,
                street: c.street,
                postal_code: c.postal_code,
            },
        },
        lines: order.lines.clone(),
        tags: order.tags.clone(),
        channel: Some(order.channel.clone()),
        remarks: (!c.remarks.is_empty()).then_some(c.remarks),
    }
}
