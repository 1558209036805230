//! What the agent takes from the broker: nothing but sealed frames for
//! this device, on its own topics, newer than any taken before on that
//! topic (promise 10): acks about its journal's current epoch (WIRE.md
//! §3.9) on the ack topic, and valid task lists on the tasks topic.
//!
//! Why its own pure piece: the broker is not trusted, so every inbound
//! frame is an attacker's until proven otherwise, and the rules that
//! decide it (retained? our topic? does the seal open for us? a replay?)
//! should be testable without a socket. The driver asks [`Inbound`] for a
//! verdict and acts only on [`Verdict::Ack`] and [`Verdict::TaskList`];
//! everything else is counted ([`InboundCounts`]) and logged without its
//! payload.
//!
//! One replay position per topic (WIRE.md §7.5): the hub numbers all its
//! frames with one counter, and MQTT orders deliveries per topic only, so
//! a task list may arrive after an ack sealed later than it.

use protocol::sealed::{self, Recipient};
use protocol::{DeviceKey, Message, ReplayGuard, SealError, SealKey, TaskList, ValidationError};

/// Why an inbound frame was refused (for counters and logs; no payload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A retained message: whoever left it, it is not news from the hub.
    Retained,
    /// Not this device's ack or tasks topic.
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
    /// Authentic, but not a task list (on the tasks topic).
    NotATaskList,
    /// An authentic, fresh task list that breaks a rule of WIRE.md §4: the
    /// queue held is kept, and the device still answers with its version
    /// ([`Refusal::wants_task_ack`]).
    InvalidList(ValidationError),
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
            Refusal::NotATaskList => "not a task list",
            Refusal::InvalidList(_) => "invalid list",
        }
    }

    /// Whether the device still answers with a task ack: a list that
    /// opened is answered even when refused (WIRE.md §3.10, §4), so the
    /// hub hears which version the device kept.
    pub fn wants_task_ack(&self) -> bool {
        matches!(self, Refusal::InvalidList(_))
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
    /// A genuine, fresh, valid task list for this device, to offer to the
    /// queue (which takes it only if its version is newer).
    TaskList(TaskList),
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
    /// Genuine fresh valid task lists handed on (taken or not: the queue
    /// decides by version).
    pub task_lists: u64,
    /// Authentic task lists refused as invalid.
    pub invalid_lists: u64,
}

impl InboundCounts {
    /// Every frame refused.
    pub fn refused(&self) -> u64 {
        self.retained
            + self.unopenable
            + self.replayed
            + self.other
            + self.other_epoch
            + self.invalid_lists
    }

    fn count(&mut self, verdict: &Verdict) {
        let slot = match verdict {
            Verdict::Ack { .. } => &mut self.acks,
            Verdict::TaskList(_) => &mut self.task_lists,
            Verdict::Refused(Refusal::Retained) => &mut self.retained,
            Verdict::Refused(Refusal::Unopenable(_)) => &mut self.unopenable,
            Verdict::Refused(Refusal::Replayed) => &mut self.replayed,
            Verdict::Refused(Refusal::OtherTopic | Refusal::NotAnAck | Refusal::NotATaskList) => {
                &mut self.other
            }
            Verdict::Refused(Refusal::OtherEpoch) => &mut self.other_epoch,
            Verdict::Refused(Refusal::InvalidList(_)) => &mut self.invalid_lists,
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
    /// The tasks topic and its own replay position, once enabled.
    tasks: Option<(String, ReplayGuard)>,
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
            tasks: None,
            counts: InboundCounts::default(),
        }
    }

    /// Also takes task lists, sealed for this device on `tasks_topic`.
    /// Without it, a frame on that topic is [`Refusal::OtherTopic`].
    pub fn with_tasks(mut self, tasks_topic: &str) -> Inbound {
        self.tasks = Some((tasks_topic.to_string(), ReplayGuard::new()));
        self
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
        if self.tasks.as_ref().is_some_and(|(t, _)| t == topic) {
            return self.judge_task_list(topic, payload);
        }
        if topic != self.ack_topic {
            return Verdict::Refused(Refusal::OtherTopic);
        }
        let opened = match self.open(topic, payload) {
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

    fn open(&self, topic: &str, payload: &[u8]) -> Result<sealed::Opened, SealError> {
        let to = Recipient {
            site: &self.site,
            device: &self.device,
            topic,
            key_version: self.key_version,
        };
        sealed::open(&self.key, &to, payload)
    }

    /// A frame on the tasks topic: opened, fresh on that topic (its own
    /// position), a task list, valid. Whether it is newer than the queue
    /// held is the queue's to say.
    fn judge_task_list(&mut self, topic: &str, payload: &[u8]) -> Verdict {
        let opened = match self.open(topic, payload) {
            Ok(opened) => opened,
            Err(e) => return Verdict::Refused(Refusal::Unopenable(e)),
        };
        let Message::TaskList(list) = opened.message else {
            return Verdict::Refused(Refusal::NotATaskList);
        };
        let Some((_, guard)) = self.tasks.as_mut() else {
            return Verdict::Refused(Refusal::OtherTopic);
        };
        if guard.admit(opened.at).is_err() {
            return Verdict::Refused(Refusal::Replayed);
        }
        match list.validate() {
            Ok(()) => Verdict::TaskList(list),
            Err(e) => Verdict::Refused(Refusal::InvalidList(e)),
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
