//! What the agent takes from the broker: nothing but sealed acks for this
//! device, on its ack topic, newer than any it took before (promise 10),
//! about its journal's current epoch (WIRE.md §3.9).
//!
//! Why its own pure piece: the broker is not trusted, so every inbound
//! frame is an attacker's until proven otherwise, and the rules that
//! decide it (retained? our topic? does the seal open for us? a replay?)
//! should be testable without a socket. The driver asks [`Inbound`] for a
//! verdict and acts only on [`Verdict::Ack`]; everything else is counted
//! ([`InboundCounts`]) and logged without its payload.

use protocol::sealed::{self, Recipient};
use protocol::{DeviceKey, Message, ReplayGuard, SealError, SealKey};

/// Why an inbound frame was refused (for counters and logs; no payload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A retained message: whoever left it, it is not news from the hub.
    Retained,
    /// Not this device's ack topic.
    OtherTopic,
    /// The seal did not open (forged, plain, altered, for another device
    /// or topic, another key version, truncated).
    Unopenable(SealError),
    /// Authentic, but not newer than a frame already taken.
    Replayed,
    /// Authentic, but not an ack.
    NotAnAck,
    /// An authentic ack for another journal epoch (an earlier journal of
    /// this device): it says nothing about this journal's scans.
    OtherEpoch,
}

impl Refusal {
    /// A short, fixed word for logs and counters.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::Retained => "retained",
            Refusal::OtherTopic => "other topic",
            Refusal::Unopenable(SealError::UnknownVersion { .. }) => "not sealed",
            Refusal::Unopenable(SealError::BadMac) => "bad seal",
            Refusal::Unopenable(SealError::WrongDevice { .. }) => "for another device",
            Refusal::Unopenable(SealError::WrongTopic { .. }) => "wrong topic",
            Refusal::Unopenable(SealError::KeyVersion { .. }) => "other key version",
            Refusal::Unopenable(_) => "malformed seal",
            Refusal::Replayed => "replayed",
            Refusal::NotAnAck => "not an ack",
            Refusal::OtherEpoch => "other epoch",
        }
    }
}

/// What to do with one inbound frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A genuine, fresh ack for the current epoch through this sequence
    /// number (still to be clamped to what was sent, by
    /// [`super::SendState::ack_received`]).
    Ack {
        /// The epoch it names (the current one).
        epoch: u64,
        /// Acknowledged through this seq.
        through: u64,
    },
    /// Refused: act on nothing.
    Refused(Refusal),
}

/// How many inbound frames were taken and refused, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InboundCounts {
    /// Genuine fresh acks handed on.
    pub acks: u64,
    /// Retained messages ignored.
    pub retained: u64,
    /// Frames whose seal did not open (forged, plain, misdirected).
    pub unopenable: u64,
    /// Authentic frames refused as replays.
    pub replayed: u64,
    /// Frames on another topic, or authentic but not acks.
    pub other: u64,
    /// Authentic acks for another journal epoch, ignored.
    pub other_epoch: u64,
}

impl InboundCounts {
    /// Every frame refused.
    pub fn refused(&self) -> u64 {
        self.retained + self.unopenable + self.replayed + self.other + self.other_epoch
    }

    fn count(&mut self, verdict: &Verdict) {
        let slot = match verdict {
            Verdict::Ack { .. } => &mut self.acks,
            Verdict::Refused(Refusal::Retained) => &mut self.retained,
            Verdict::Refused(Refusal::Unopenable(_)) => &mut self.unopenable,
            Verdict::Refused(Refusal::Replayed) => &mut self.replayed,
            Verdict::Refused(Refusal::OtherTopic | Refusal::NotAnAck) => &mut self.other,
            Verdict::Refused(Refusal::OtherEpoch) => &mut self.other_epoch,
        };
        *slot += 1;
    }
}

/// The agent's inbound rules for one device.
#[derive(Debug, Clone)]
pub struct Inbound {
    site: String,
    device: String,
    ack_topic: String,
    key: SealKey,
    key_version: u32,
    epoch: u64,
    guard: ReplayGuard,
    counts: InboundCounts,
}

impl Inbound {
    /// Rules for `device` at `site`, whose acks come on `ack_topic`,
    /// sealed with the key derived from `key` (version `key_version`),
    /// for the journal of `epoch`.
    pub fn new(
        site: &str,
        device: &str,
        ack_topic: &str,
        key: &DeviceKey,
        key_version: u32,
        epoch: u64,
    ) -> Inbound {
        Inbound {
            site: site.to_string(),
            device: device.to_string(),
            ack_topic: ack_topic.to_string(),
            key: SealKey::derive(key),
            key_version,
            epoch,
            guard: ReplayGuard::new(),
            counts: InboundCounts::default(),
        }
    }

    /// The verdict on one publish from the broker, counted.
    pub fn receive(&mut self, topic: &str, payload: &[u8], retained: bool) -> Verdict {
        let verdict = self.judge(topic, payload, retained);
        self.counts.count(&verdict);
        verdict
    }

    fn judge(&mut self, topic: &str, payload: &[u8], retained: bool) -> Verdict {
        if retained {
            return Verdict::Refused(Refusal::Retained);
        }
        if topic != self.ack_topic {
            return Verdict::Refused(Refusal::OtherTopic);
        }
        let to = Recipient {
            site: &self.site,
            device: &self.device,
            topic,
            key_version: self.key_version,
        };
        let opened = match sealed::open(&self.key, &to, payload) {
            Ok(opened) => opened,
            Err(e) => return Verdict::Refused(Refusal::Unopenable(e)),
        };
        let Message::Ack(ack) = opened.message else {
            return Verdict::Refused(Refusal::NotAnAck);
        };
        // Only now, authentic and ours, may the frame move the guard.
        if self.guard.admit(opened.at).is_err() {
            return Verdict::Refused(Refusal::Replayed);
        }
        if ack.epoch != self.epoch {
            return Verdict::Refused(Refusal::OtherEpoch);
        }
        Verdict::Ack {
            epoch: ack.epoch,
            through: ack.through_seq,
        }
    }

    /// The journal is now in `epoch` (it was replaced under the agent).
    pub fn set_epoch(&mut self, epoch: u64) {
        self.epoch = epoch;
    }

    /// Counts so far.
    pub fn counts(&self) -> InboundCounts {
        self.counts
    }
}

#[cfg(test)]
#[path = "inbound_tests.rs"]
mod tests;
