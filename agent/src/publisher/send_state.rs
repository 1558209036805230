//! What to send to the hub, and when: a plain, deterministic state machine
//! (like rumqttc's `MqttState`) fed with events and the current time, and
//! answering with the ranges of sequence numbers to publish as batches.
//!
//! Why it forgets so much: the broker holds nothing that matters (promise
//! 10). After a disconnect it forgets what it sent and everything
//! unacknowledged goes again from the journal; while connected, if the
//! hub's ack stops moving for `resend_after`, it resends from the ack on,
//! which covers a hub that dropped batches while the broker kept the
//! connection up. Resends are safe because the hub applies each sequence
//! number once (promise 2). A window of batches beyond the last ack keeps a
//! long offline backlog pipelined without holding it all in memory.
//!
//! Why an ack is clamped to what was sent: the journal is trimmed through
//! the ack, so an ack covering a sequence number this process never
//! handed out would delete confirmed scans the hub may never have had
//! (promise 10). Acks open only if the hub sealed them, but the clamp does
//! not rely on that: no frame, genuine, replayed or forged, trims past
//! the highest sequence number published. An ack for scans an earlier run
//! of the agent sent (before a restart) is only taken once they are sent
//! again; the hub answers those resends as duplicates.
//!
//! Why it knows the journal's epoch: sequence numbers restart at 1 in a
//! new journal (WIRE.md §3.9), so an ack is only about this journal if it
//! names this epoch. An ack for any other epoch (an old journal's, a
//! forger's) changes nothing at all; when the journal itself is replaced
//! under the running agent, [`SendState::restart`] starts over in the new
//! epoch.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Tuning of the send window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendSettings {
    /// Most movements per batch.
    pub batch_max: usize,
    /// Most batches outstanding beyond the hub's last ack.
    pub max_batches_in_flight: usize,
    /// Resend from the ack on after this long without ack progress.
    pub resend_after: Duration,
}

impl Default for SendSettings {
    fn default() -> SendSettings {
        SendSettings {
            batch_max: 256,
            max_batches_in_flight: 64,
            resend_after: Duration::from_secs(1),
        }
    }
}

/// A contiguous run of sequence numbers to publish as one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchRange {
    /// First sequence number.
    pub first: u64,
    /// Last sequence number (inclusive).
    pub last: u64,
}

impl BatchRange {
    /// Number of movements in the range.
    pub fn len(&self) -> u64 {
        self.last - self.first + 1
    }

    /// Always false: a range holds at least one movement.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// What an ack changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AckOutcome {
    /// The new watermark, when it moved: trim the journal through it.
    pub trim_through: Option<u64>,
    /// Batches the freed window now allows.
    pub send: Vec<BatchRange>,
}

/// The publisher's view of the journal and the connection.
#[derive(Debug, Clone)]
pub struct SendState {
    settings: SendSettings,
    /// The journal epoch every range and ack is about.
    epoch: u64,
    /// Highest sequence number the hub acknowledged.
    acked: u64,
    /// Highest sequence number journaled.
    recorded: u64,
    /// Highest sequence number sent on this connection (>= acked).
    sent_through: u64,
    /// Highest sequence number handed out to publish since this state was
    /// made (over every connection; lowered only when a send failed).
    /// No ack trims past it.
    published: u64,
    /// Last sequence number of each batch sent beyond `acked`, oldest first.
    outstanding: VecDeque<u64>,
    connected: bool,
    /// Since when outstanding batches have waited for ack progress.
    waiting_since: Option<Instant>,
    /// No sending before this instant (after a failed send).
    hold_until: Option<Instant>,
}

impl SendState {
    /// A disconnected state over the journal of `epoch`, acknowledged
    /// through `acked` and recorded through `recorded`.
    pub fn new(settings: SendSettings, epoch: u64, acked: u64, recorded: u64) -> SendState {
        let settings = SendSettings {
            batch_max: settings.batch_max.max(1),
            max_batches_in_flight: settings.max_batches_in_flight.max(1),
            ..settings
        };
        SendState {
            settings,
            epoch,
            acked,
            recorded: recorded.max(acked),
            sent_through: acked,
            published: acked,
            outstanding: VecDeque::new(),
            connected: false,
            waiting_since: None,
            hold_until: None,
        }
    }

    /// The connection is up: everything unacknowledged goes again.
    pub fn connected(&mut self, now: Instant) -> Vec<BatchRange> {
        self.connected = true;
        self.forget_sent();
        self.hold_until = None;
        self.fill(now)
    }

    /// The connection is down: forget what was sent on it.
    pub fn disconnected(&mut self) {
        self.connected = false;
        self.forget_sent();
        self.hold_until = None;
    }

    /// The journal now holds entries through `through`.
    pub fn recorded(&mut self, through: u64, now: Instant) -> Vec<BatchRange> {
        self.recorded = self.recorded.max(through);
        self.fill(now)
    }

    /// The journal was replaced under the running agent (its directory was
    /// deleted or swapped): everything known about the old epoch is
    /// forgotten, and if connected, the new journal's unacknowledged
    /// entries are sent.
    pub fn restart(
        &mut self,
        epoch: u64,
        acked: u64,
        recorded: u64,
        now: Instant,
    ) -> Vec<BatchRange> {
        let connected = self.connected;
        *self = SendState::new(self.settings, epoch, acked, recorded);
        if connected {
            self.connected(now)
        } else {
            Vec::new()
        }
    }

    /// The hub acknowledged everything of `epoch` through `through`. An
    /// ack for another epoch or a stale one changes nothing; an ack beyond
    /// what was published (so beyond what was recorded) is clamped to it.
    pub fn ack_received(&mut self, epoch: u64, through: u64, now: Instant) -> AckOutcome {
        if epoch != self.epoch {
            return AckOutcome::default();
        }
        let through = through.min(self.recorded).min(self.published);
        if through <= self.acked {
            return AckOutcome::default();
        }
        self.acked = through;
        self.sent_through = self.sent_through.max(through);
        while self
            .outstanding
            .front()
            .is_some_and(|&last| last <= through)
        {
            self.outstanding.pop_front();
        }
        self.waiting_since = (!self.outstanding.is_empty()).then_some(now);
        AckOutcome {
            trim_through: Some(through),
            send: self.fill(now),
        }
    }

    /// Time passes: resend from the ack on if it has not moved for
    /// `resend_after`, and send whatever a hold or a full window delayed.
    pub fn tick(&mut self, now: Instant) -> Vec<BatchRange> {
        if !self.connected {
            return Vec::new();
        }
        let stalled = self.waiting_since.is_some_and(|since| {
            now.saturating_duration_since(since) >= self.settings.resend_after
        });
        if stalled && self.sent_through > self.acked {
            self.forget_sent();
        }
        self.fill(now)
    }

    /// Publishing the batch starting at `first` failed: it and everything
    /// after it count as unsent, and sending pauses for `resend_after`.
    pub fn send_failed(&mut self, first: u64, now: Instant) {
        if first > self.acked {
            // It may have gone on an earlier connection; assuming it did
            // not only makes the clamp stricter.
            self.published = self.published.min(first - 1);
        }
        if first > self.acked && first <= self.sent_through {
            self.sent_through = first - 1;
            self.outstanding.retain(|&last| last < first);
            if self.outstanding.is_empty() {
                self.waiting_since = None;
            }
        }
        self.hold_until = Some(now + self.settings.resend_after);
    }

    /// The journal epoch this state sends and takes acks for.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Highest sequence number the hub acknowledged.
    pub fn acked(&self) -> u64 {
        self.acked
    }

    /// Highest sequence number journaled, as far as this state knows.
    pub fn recorded_through(&self) -> u64 {
        self.recorded
    }

    /// Highest sequence number sent on this connection.
    pub fn sent_through(&self) -> u64 {
        self.sent_through
    }

    /// Highest sequence number published since this state was made: no
    /// ack trims the journal past it.
    pub fn published_through(&self) -> u64 {
        self.published
    }

    /// Whether the connection is up.
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// Batches sent and not yet fully acknowledged.
    pub fn batches_in_flight(&self) -> usize {
        self.outstanding.len()
    }

    /// Movements journaled and not acknowledged.
    pub fn backlog(&self) -> u64 {
        self.recorded - self.acked
    }

    fn forget_sent(&mut self) {
        self.sent_through = self.acked;
        self.outstanding.clear();
        self.waiting_since = None;
    }

    fn fill(&mut self, now: Instant) -> Vec<BatchRange> {
        let held = self.hold_until.is_some_and(|until| now < until);
        if !self.connected || held {
            return Vec::new();
        }
        self.hold_until = None;
        let mut out = Vec::new();
        let batch_max = self.settings.batch_max as u64;
        while self.outstanding.len() < self.settings.max_batches_in_flight
            && self.sent_through < self.recorded
        {
            let first = self.sent_through + 1;
            let last = self.recorded.min(first.saturating_add(batch_max - 1));
            if self.outstanding.is_empty() {
                self.waiting_since = Some(now);
            }
            self.outstanding.push_back(last);
            self.sent_through = last;
            self.published = self.published.max(last);
            out.push(BatchRange { first, last });
        }
        out
    }
}

#[cfg(test)]
#[path = "send_state_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "send_state_props.rs"]
mod props;
