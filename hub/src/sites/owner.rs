//! Who owns a site on a shared broker. See [`super`].

use protocol::sites::{decode_site, encode_site, owner_topic, SiteClaim};
use rumqttc::{AsyncClient, Event, LastWill, MqttOptions, Packet, QoS, TlsConfiguration};
use std::time::Duration;
use tokio::time::Instant;
use tracing::{info, warn};

/// How long the probe waits for the broker and the retained claim.
const PROBE_TIME: Duration = Duration::from_secs(3);

/// Why the hub may not serve its site.
#[derive(Debug, thiserror::Error)]
pub enum OwnerError {
    /// Another live hub holds the claim.
    #[error(
        "site {site} is already owned by another live hub on this broker (instance {instance:016x}, \
         started at {since_ms} ms since the epoch): stop that hub first, or give this one \
         another site"
    )]
    Owned {
        /// The site.
        site: String,
        /// The other hub's instance.
        instance: u64,
        /// When it started.
        since_ms: u64,
    },
    /// The site id cannot make a topic.
    #[error("cannot build the site's owner topic: {0}")]
    Topic(#[from] protocol::TopicError),
    /// No randomness for the instance number.
    #[error(transparent)]
    Random(#[from] crate::devices::secrets::RandomError),
}

/// This hub's claim on its site.
#[derive(Debug, Clone)]
pub struct Ownership {
    /// The claim it publishes.
    pub claim: SiteClaim,
    /// `wms/{site}/hub/owner`.
    pub topic: String,
}

/// What a publish on the owner topic means for this hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// Not the owner topic.
    Other,
    /// Our own claim, a cleared claim, or junk (logged and ignored).
    Fine,
    /// Another hub's claim: this hub must stop.
    Rival(SiteClaim),
}

impl Ownership {
    /// A fresh claim for `site`, made at `now_ms`.
    pub fn new(site: &str, now_ms: u64) -> Result<Ownership, OwnerError> {
        let instance = u64::from_le_bytes(crate::devices::secrets::random_bytes::<8>()?);
        Ok(Ownership {
            claim: SiteClaim {
                site: site.to_string(),
                instance,
                since_ms: now_ms,
            },
            topic: owner_topic(site)?,
        })
    }

    /// The last will that clears the claim when the hub's connection dies.
    pub fn will(&self) -> LastWill {
        LastWill::new(self.topic.clone(), Vec::new(), QoS::AtLeastOnce, true)
    }

    /// Publishes the claim (retained) and watches the topic; called on
    /// every connack, so a broker restarted without its retained messages
    /// learns the claim again.
    pub fn announce(&self, client: &AsyncClient) {
        let frame = encode_site(&self.claim);
        if let Err(e) = client.try_publish(&self.topic, QoS::AtLeastOnce, true, frame) {
            warn!(error = %e, "cannot publish the site claim");
        }
        if let Err(e) = client.try_subscribe(&self.topic, QoS::AtLeastOnce) {
            warn!(error = %e, "cannot watch the site claim");
        }
    }

    /// What a publish on `topic` means.
    pub fn seen(&self, topic: &str, payload: &[u8]) -> Seen {
        if topic != self.topic {
            return Seen::Other;
        }
        rival(&self.claim, payload).map_or(Seen::Fine, Seen::Rival)
    }
}

/// The claim in `payload` if it is another live hub's.
fn rival(ours: &SiteClaim, payload: &[u8]) -> Option<SiteClaim> {
    if payload.is_empty() {
        return None;
    }
    match decode_site::<SiteClaim>(payload) {
        Ok(claim) if claim.instance != ours.instance && claim.site == ours.site => Some(claim),
        Ok(_) => None,
        Err(e) => {
            warn!(error = %e, "unreadable site claim ignored");
            None
        }
    }
}

/// Where and as whom the probe connects.
#[derive(Clone)]
pub struct Probe {
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// TLS for an mqtts:// broker.
    pub tls: Option<TlsConfiguration>,
    /// The probe's username (the hub's, with `-probe`): a client id of
    /// its own, so looking never takes over a live hub's session.
    pub username: String,
    /// The hub's password.
    pub password: String,
}

/// Before the hub connects: refuses if another live hub holds the site's
/// claim. A broker that cannot be reached within a few seconds is not a
/// refusal (the hub starts, and its own connection watches the claim).
pub async fn check_free(probe: Probe, ours: &Ownership) -> Result<(), OwnerError> {
    let mut options = MqttOptions::new(probe.username.clone(), probe.host, probe.port);
    options
        .set_credentials(probe.username, probe.password)
        .set_clean_session(true)
        .set_keep_alive(Duration::from_secs(5));
    if let Some(tls) = probe.tls {
        options.set_transport(rumqttc::Transport::tls_with_config(tls));
    }
    let (client, mut events) = AsyncClient::new(options, 10);
    let deadline = Instant::now() + PROBE_TIME;
    let mut subscribed_at = None;
    let found = loop {
        // Retained messages follow the suback at once; half a second after
        // it, there is none.
        let wait_until = match subscribed_at {
            Some(at) => deadline.min(at + Duration::from_millis(500)),
            None => deadline,
        };
        let event = match tokio::time::timeout_at(wait_until, events.poll()).await {
            Err(_) => break None,
            Ok(event) => event,
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                let _ = client.try_subscribe(&ours.topic, QoS::AtLeastOnce);
            }
            Ok(Event::Incoming(Packet::SubAck(_))) => subscribed_at = Some(Instant::now()),
            Ok(Event::Incoming(Packet::Publish(p))) if p.topic == ours.topic => {
                break rival(&ours.claim, &p.payload);
            }
            Ok(_) => {}
            Err(e) => {
                warn!(error = %e, "cannot look for another hub of this site yet");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    let _ = client.try_disconnect();
    match found {
        Some(claim) => Err(OwnerError::Owned {
            site: claim.site,
            instance: claim.instance,
            since_ms: claim.since_ms,
        }),
        None => {
            info!(site = %ours.claim.site, "no other live hub owns this site");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours() -> Ownership {
        Ownership {
            claim: SiteClaim {
                site: "s1".into(),
                instance: 1,
                since_ms: 5,
            },
            topic: "wms/s1/hub/owner".into(),
        }
    }

    #[test]
    fn only_another_instance_of_the_same_site_is_a_rival() {
        let o = ours();
        let other = SiteClaim {
            instance: 2,
            ..o.claim.clone()
        };
        assert_eq!(
            o.seen("wms/s2/hub/owner", &encode_site(&other)),
            Seen::Other
        );
        assert_eq!(o.seen(&o.topic, &encode_site(&o.claim)), Seen::Fine);
        assert_eq!(o.seen(&o.topic, &[]), Seen::Fine);
        assert_eq!(o.seen(&o.topic, b"\x01junk"), Seen::Fine);
        let elsewhere = SiteClaim {
            site: "s2".into(),
            ..other.clone()
        };
        assert_eq!(o.seen(&o.topic, &encode_site(&elsewhere)), Seen::Fine);
        assert_eq!(o.seen(&o.topic, &encode_site(&other)), Seen::Rival(other));
    }

    #[test]
    fn the_will_clears_the_claim() {
        let will = ours().will();
        assert!(will.retain && will.message.is_empty());
        assert_eq!(will.topic, "wms/s1/hub/owner");
    }
}
