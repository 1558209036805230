//! The hub's MQTT shell: one client connection to the broker (embedded or
//! external) that feeds every publish on the site's event and status topics
//! to the writer, and publishes the acks the writer releases, each sealed
//! for its device ([`crate::net::sealer`]; promise 10) and never retained: the
//! broker is not trusted and holds nothing that matters.
//!
//! The writer never waits on MQTT (acks go through an unbounded channel to
//! their own task), so a full writer queue can slow the broker down but can
//! never deadlock against it.

use crate::beat::Beat;
use crate::devices::InternalLogin;
use crate::metrics::Metrics;
use crate::net::outbound::Outbound;
use crate::sites::owner::{Ownership, Seen};
use crate::sites::stock::StockPublisher;
use crate::writer::Command;
use bytes::Bytes;
use protocol::TopicKind;
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// The hub client's MQTT keep-alive: it pings an idle broker this often.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// How long the MQTT loop may go without a sign of life: a poll returns
/// at least once a keep-alive, connected or not.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Where the broker is and who the hub is.
#[derive(Debug)]
pub struct MqttSettings {
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// Site this hub owns.
    pub site: String,
    /// Client id, username and password of the hub's connection.
    pub login: InternalLogin,
    /// TLS settings for an `mqtts://` external broker.
    pub tls: Option<rumqttc::TlsConfiguration>,
    /// On a shared external broker: the site's claim and stock notices.
    pub sites: Option<SiteSide>,
}

/// What a hub on a shared broker adds to its connection ([`crate::sites`]).
pub struct SiteSide {
    /// Its claim on the site (published on connack, cleared by its will).
    pub ownership: Ownership,
    /// Its signed stock notices.
    pub stock: StockPublisher,
    /// The other sites whose stock notices it believes and with whose
    /// hubs it hands orders over.
    pub peers: crate::sites::peers::Peers,
    /// The handover task (run beside the connection), and where the
    /// publishes on this hub's inbox go to it.
    pub handoffs: Option<(
        crate::sites::handoff::Handoffs,
        mpsc::Sender<(String, bytes::Bytes)>,
    )>,
}

impl std::fmt::Debug for SiteSide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiteSide")
            .field("ownership", &self.ownership)
            .finish_non_exhaustive()
    }
}

/// Why the loop of [`run`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stopped {
    /// Cancelled, or the writer is gone: a normal stop.
    Normally,
    /// Another hub claimed the site.
    Rival,
}

/// What the loop of [`run`] works with besides the connection.
struct Link<'a> {
    site: &'a str,
    sites: Option<&'a SiteSide>,
    inbox: Option<mpsc::Sender<(String, bytes::Bytes)>>,
    connacks: watch::Sender<u64>,
}

/// Connects and runs until `cancel`: forwards publishes to `commands`,
/// publishes what `outbound` releases (acks, work queues), sealed.
pub async fn run(
    mut settings: MqttSettings,
    commands: mpsc::Sender<Command>,
    outbound: Outbound,
    metrics: Arc<Metrics>,
    beat: Beat,
    cancel: CancellationToken,
) {
    let login = &settings.login;
    let mut options = MqttOptions::new(
        login.client_id.clone(),
        settings.host.clone(),
        settings.port,
    );
    options
        .set_credentials(login.username.clone(), login.password.clone())
        .set_clean_session(true)
        .set_keep_alive(KEEP_ALIVE)
        .set_max_packet_size(
            crate::net::broker::MAX_PAYLOAD + 1024,
            crate::net::broker::MAX_PAYLOAD + 1024,
        )
        .set_inflight(1000)
        .set_request_channel_capacity(10_000);
    if let Some(tls) = settings.tls.clone() {
        options.set_transport(rumqttc::Transport::tls_with_config(tls));
    }
    if let Some(sites) = &settings.sites {
        options.set_last_will(sites.ownership.will());
    }
    let (client, mut eventloop) = AsyncClient::new(options, 10_000);
    // Acks are small writes that must leave now: no Nagle delay.
    let mut network = eventloop.network_options();
    network.set_tcp_nodelay(true);
    eventloop.set_network_options(network);
    // Counts connections (each one after its subscriptions are asked
    // for): the outbound task asks the stations about their jobs again,
    // the stock publisher republishes.
    let (connacks, seen) = watch::channel(0u64);
    let ack_task = tokio::spawn(crate::net::outbound::run(
        client.clone(),
        outbound,
        metrics.clone(),
        connacks.subscribe(),
        cancel.clone(),
    ));
    let mut tasks = vec![ack_task];
    let mut inbox = None;
    if let Some(sites) = settings.sites.as_mut() {
        let stock = sites.stock.clone();
        tasks.push(tokio::spawn(stock.run(
            client.clone(),
            seen,
            cancel.clone(),
        )));
        if let Some((handoffs, sender)) = sites.handoffs.take() {
            tasks.push(tokio::spawn(handoffs.run(client.clone(), cancel.clone())));
            inbox = Some(sender);
        }
    }
    let link = Link {
        site: &settings.site,
        sites: settings.sites.as_ref(),
        inbox,
        connacks,
    };
    let stopped = pump(eventloop, client, link, commands, &metrics, beat, cancel).await;
    if stopped == Stopped::Rival {
        // Returning without the cancel makes the hub stop with an error.
        tasks.iter().for_each(|t| t.abort());
        return;
    }
    for task in tasks {
        let _ = task.await;
    }
}

async fn pump(
    mut eventloop: EventLoop,
    client: AsyncClient,
    link: Link<'_>,
    commands: mpsc::Sender<Command>,
    metrics: &Metrics,
    beat: Beat,
    cancel: CancellationToken,
) -> Stopped {
    let subscribed = &metrics.mqtt_subscribed;
    let mut backoff = Duration::from_millis(100);
    loop {
        // Every poll returns at least once a keep-alive (a ping, or a
        // failed reconnect), idle or not.
        beat.now();
        let event = tokio::select! {
            _ = cancel.cancelled() => return Stopped::Normally,
            event = eventloop.poll() => event,
        };
        if let Ok(Event::Incoming(Packet::Publish(_))) = &event {
            Metrics::add(&metrics.mqtt_publishes_in, 1);
        }
        match event {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff = Duration::from_millis(100);
                link.connected(&client);
            }
            Ok(Event::Incoming(Packet::SubAck(_))) => {
                // Four filters, four SubAcks; any means publishes flow.
                subscribed.store(1, Ordering::Relaxed);
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                tracing::trace!(topic = %p.topic.escape_debug(), "publish in");
                match link.site_topic(&p.topic, &p.payload, &commands).await {
                    Hub::Rival => return Stopped::Rival,
                    Hub::WriterGone => return Stopped::Normally,
                    Hub::Done => continue,
                    Hub::NotMine => {}
                }
                let cmd = Command::Publish {
                    topic: p.topic,
                    payload: p.payload,
                    arrived: std::time::Instant::now(),
                };
                if commands.send(cmd).await.is_err() {
                    return Stopped::Normally;
                }
            }
            Ok(_) => {}
            Err(e) => {
                subscribed.store(0, Ordering::Relaxed);
                warn!(error = %e, "broker connection lost; reconnecting");
                tokio::select! {
                    _ = cancel.cancelled() => return Stopped::Normally,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        }
    }
}

impl Link<'_> {
    /// On every connack: subscribe to the site's topics, claim the site
    /// (on a shared broker), and wake the stock publisher.
    fn connected(&self, client: &AsyncClient) {
        info!("hub connected to the broker; subscribing");
        let kinds = [
            TopicKind::Events,
            TopicKind::Status,
            TopicKind::TaskAck,
            TopicKind::PrinterDone,
        ];
        for kind in kinds {
            let filter = match kind.filter_for_site(self.site) {
                Ok(f) => f,
                Err(e) => {
                    warn!(error = %e, "cannot build subscription filter");
                    continue;
                }
            };
            if let Err(e) = client.try_subscribe(filter, QoS::AtLeastOnce) {
                warn!(error = %e, "subscribe request failed");
            }
        }
        if let Some(sites) = self.sites {
            sites.ownership.announce(client);
            if !sites.peers.is_empty() {
                let stock = protocol::sites::stock_filter_all_sites();
                let inbox = protocol::sites::inbox_filter(self.site).unwrap_or_default();
                for filter in [stock, inbox] {
                    if let Err(e) = client.try_subscribe(filter, QoS::AtLeastOnce) {
                        warn!(error = %e, "cannot subscribe to other sites' topics");
                    }
                }
            }
        }
        self.connacks.send_modify(|n| *n += 1);
    }

    /// What a publish on a hub-to-hub topic was (a believed peer's stock
    /// notice is handed to the writer here).
    async fn site_topic(
        &self,
        topic: &str,
        payload: &Bytes,
        commands: &mpsc::Sender<Command>,
    ) -> Hub {
        let Some(sites) = self.sites else {
            return Hub::NotMine;
        };
        if topic.contains("/hub/inbox/") {
            if let Some(inbox) = &self.inbox {
                if inbox
                    .send((topic.to_string(), payload.clone()))
                    .await
                    .is_err()
                {
                    return Hub::WriterGone;
                }
            }
            return Hub::Done;
        }
        if topic.contains("/hub/stock/") {
            let believed = crate::sites::peers::believe(&sites.peers, self.site, topic, payload);
            if let Some(cmd) = believed {
                if commands.send(cmd).await.is_err() {
                    return Hub::WriterGone;
                }
            }
            return Hub::Done;
        }
        match sites.ownership.seen(topic, payload) {
            Seen::Other => Hub::NotMine,
            Seen::Fine => Hub::Done,
            Seen::Rival(claim) => {
                error!(
                    site = %claim.site,
                    instance = format_args!("{:016x}", claim.instance),
                    "another hub claimed this site on the broker: this hub stops \
                     (two writers must never serve one site)"
                );
                Hub::Rival
            }
        }
    }
}

/// What a publish on a hub-to-hub topic was.
enum Hub {
    /// Not one: the writer's.
    NotMine,
    /// Handled (or ignored) here.
    Done,
    /// Another hub claimed this site.
    Rival,
    /// The writer is gone (the hub is stopping).
    WriterGone,
}
