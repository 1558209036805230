//! One hook's delivery, pure: where it is in the feed, how often its
//! current event failed, when to try again, and what one attempt's
//! outcome does. No I/O and no clock (time comes in as `now` in ms); the
//! backoff is the write-backs' ([`crate::writeback::outbox`]: 1 s doubling,
//! less a jitter of up to a quarter) capped at [`MAX_DELAY_MS`].

use super::Hook;
use crate::writeback::outbox::backoff_capped_ms;

/// The longest wait between two attempts at one event.
pub const MAX_DELAY_MS: u64 = 5 * 60 * 1_000;

/// A hook's delivery state (the worker's; the store holds the cursor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The hook.
    pub hook: Hook,
    /// The feed id delivered (or dead-lettered, or skipped) through.
    pub cursor: u64,
    /// Failed attempts at the event after the cursor.
    pub attempts: u32,
    /// When the next attempt may start, ms.
    pub next_at_ms: u64,
    /// The last failure, for people.
    pub last_error: Option<String>,
    /// An attempt is under way.
    pub in_flight: bool,
}

/// What an attempt's outcome leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Taken: the cursor is at the event.
    Delivered,
    /// Failed; tried again at this time.
    Retry {
        /// When, ms.
        at_ms: u64,
    },
    /// Failed for the last time: the event is a dead letter and the
    /// cursor is past it.
    DeadLetter {
        /// Failed attempts in all.
        attempts: u32,
        /// The last failure.
        error: String,
    },
}

impl Delivery {
    /// A hook delivering after feed id `cursor`.
    pub fn new(hook: Hook, cursor: u64) -> Delivery {
        Delivery {
            hook,
            cursor,
            attempts: 0,
            next_at_ms: 0,
            last_error: None,
            in_flight: false,
        }
    }

    /// Whether an attempt may start at `now`.
    pub fn due(&self, now: u64) -> bool {
        !self.in_flight && self.next_at_ms <= now
    }

    /// An event it does not want (or that is gone) was passed over.
    pub fn skip(&mut self, through: u64) {
        self.cursor = self.cursor.max(through);
    }

    /// The attempt at `event` (the one after the cursor) ended with
    /// `outcome` at `now`.
    pub fn settle(&mut self, event: u64, outcome: Result<(), String>, now: u64) -> Step {
        self.in_flight = false;
        match outcome {
            Ok(()) => {
                self.cursor = self.cursor.max(event);
                self.attempts = 0;
                self.next_at_ms = 0;
                self.last_error = None;
                Step::Delivered
            }
            Err(error) => {
                self.attempts = self.attempts.saturating_add(1);
                self.last_error = Some(error.clone());
                if self.attempts >= self.hook.max_attempts {
                    let attempts = self.attempts;
                    self.cursor = self.cursor.max(event);
                    self.attempts = 0;
                    self.next_at_ms = 0;
                    return Step::DeadLetter { attempts, error };
                }
                let seed = self.hook.id.rotate_left(32) ^ event;
                let at_ms =
                    now.saturating_add(backoff_capped_ms(self.attempts, seed, MAX_DELAY_MS));
                self.next_at_ms = at_ms;
                Step::Retry { at_ms }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(max_attempts: u32) -> Hook {
        Hook {
            id: 7,
            url: "http://127.0.0.1:9/x".into(),
            events: Vec::new(),
            secret: "s".repeat(16),
            max_attempts,
            created_ms: 0,
        }
    }

    #[test]
    fn a_taken_event_moves_the_cursor() {
        let mut d = Delivery::new(hook(3), 10);
        assert!(d.due(0));
        assert_eq!(d.settle(11, Ok(()), 5), Step::Delivered);
        assert_eq!((d.cursor, d.attempts), (11, 0));
    }

    #[test]
    fn failures_back_off_doubling_then_dead_letter() {
        let mut d = Delivery::new(hook(4), 10);
        let mut waits = Vec::new();
        for _ in 0..3 {
            match d.settle(11, Err("HTTP 500".into()), 1_000) {
                Step::Retry { at_ms } => waits.push(at_ms - 1_000),
                other => panic!("{other:?}"),
            }
            assert_eq!(d.cursor, 10, "the cursor waits for the event");
            assert!(!d.due(1_000));
        }
        // 1 s, 2 s, 4 s, each less at most a quarter.
        for (wait, base) in waits.iter().zip([1_000, 2_000, 4_000]) {
            assert!((base * 3 / 4..=base).contains(wait), "{waits:?}");
        }
        let last = d.settle(11, Err("HTTP 500".into()), 9_000);
        let want = Step::DeadLetter {
            attempts: 4,
            error: "HTTP 500".into(),
        };
        assert_eq!(last, want);
        assert_eq!((d.cursor, d.attempts), (11, 0));
        assert!(d.due(9_000), "the next event goes at once");
    }

    #[test]
    fn the_wait_is_capped() {
        let mut d = Delivery::new(hook(20), 0);
        let mut at = 0;
        for _ in 0..19 {
            if let Step::Retry { at_ms } = d.settle(1, Err("down".into()), 0) {
                at = at_ms;
            }
        }
        assert!((MAX_DELAY_MS * 3 / 4..=MAX_DELAY_MS).contains(&at), "{at}");
    }

    #[test]
    fn skipping_never_moves_back() {
        let mut d = Delivery::new(hook(3), 10);
        d.skip(8);
        assert_eq!(d.cursor, 10);
        d.skip(12);
        assert_eq!(d.cursor, 12);
    }
}
