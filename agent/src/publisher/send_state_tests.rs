//! Tests of the send state machine: table-like unit tests of each
//! transition (the property test is in `send_state_props.rs`).

use super::*;

const SEC: Duration = Duration::from_secs(1);
/// The journal epoch of the unit tests.
const E: u64 = 0x5eed;

fn settings(batch_max: usize, window: usize) -> SendSettings {
    SendSettings {
        batch_max,
        max_batches_in_flight: window,
        resend_after: SEC,
    }
}

fn r(first: u64, last: u64) -> BatchRange {
    BatchRange { first, last }
}

#[test]
fn nothing_is_sent_while_disconnected() {
    let t0 = Instant::now();
    let mut s = SendState::new(settings(10, 4), E, 0, 5);
    assert_eq!(s.recorded(7, t0), vec![]);
    assert_eq!(s.tick(t0 + 10 * SEC), vec![]);
    assert_eq!(s.connected(t0), vec![r(1, 7)]);
}

#[test]
fn connect_sends_backlog_from_the_ack_in_batches_up_to_the_window() {
    let t0 = Instant::now();
    let mut s = SendState::new(settings(10, 3), E, 4, 100);
    assert_eq!(s.connected(t0), vec![r(5, 14), r(15, 24), r(25, 34)]);
    assert_eq!(s.batches_in_flight(), 3);
    // A full window sends nothing more on a new record.
    assert_eq!(s.recorded(101, t0), vec![]);
    // Acking the first batch frees one slot.
    let out = s.ack_received(E, 14, t0);
    assert_eq!(out.trim_through, Some(14));
    assert_eq!(out.send, vec![r(35, 44)]);
}

#[test]
fn new_records_are_sent_as_they_come() {
    let t0 = Instant::now();
    let mut s = SendState::new(settings(256, 64), E, 0, 0);
    assert_eq!(s.connected(t0), vec![]);
    assert_eq!(s.recorded(1, t0), vec![r(1, 1)]);
    assert_eq!(s.recorded(3, t0), vec![r(2, 3)]);
    assert_eq!(s.recorded(3, t0), vec![]);
    assert_eq!(
        s.recorded(2, t0),
        vec![],
        "an old record count changes nothing"
    );
    assert_eq!(s.sent_through(), 3);
}

#[test]
fn stale_and_excessive_acks() {
    let t0 = Instant::now();
    let mut s = SendState::new(settings(10, 4), E, 0, 20);
    s.connected(t0);
    assert_eq!(s.ack_received(E, 5, t0).trim_through, Some(5));
    assert_eq!(s.ack_received(E, 5, t0), AckOutcome::default());
    assert_eq!(s.ack_received(E, 3, t0), AckOutcome::default());
    // An ack beyond the journal is clamped to what was recorded.
    assert_eq!(s.ack_received(E, 99, t0).trim_through, Some(20));
    assert_eq!(s.acked(), 20);
    assert_eq!(s.backlog(), 0);
    assert_eq!(s.batches_in_flight(), 0);
}

#[test]
fn partial_ack_keeps_the_batch_outstanding() {
    let t0 = Instant::now();
    let mut s = SendState::new(settings(10, 1), E, 0, 30);
    assert_eq!(s.connected(t0), vec![r(1, 10)]);
    assert_eq!(s.ack_received(E, 4, t0).send, vec![]);
    assert_eq!(s.batches_in_flight(), 1);
    assert_eq!(s.ack_received(E, 10, t0).send, vec![r(11, 20)]);
}

#[test]
fn an_ack_beyond_what_was_sent_trims_only_what_was_sent() {
    let t0 = Instant::now();
    let mut s = SendState::new(settings(10, 1), E, 0, 30);
    assert_eq!(s.connected(t0), vec![r(1, 10)]);
    // The hub had 1..=25 from an earlier run of the agent: only what this
    // run sent is trimmed, then the rest goes again (a duplicate there).
    let out = s.ack_received(E, 25, t0);
    assert_eq!(out.trim_through, Some(10));
    assert_eq!(out.send, vec![r(11, 20)]);
    assert_eq!(s.ack_received(E, 25, t0).trim_through, Some(20));
    assert_eq!(s.published_through(), 30);
    assert_eq!(s.ack_received(E, 30, t0).trim_through, Some(30));
}

#[test]
fn no_ack_trims_past_the_highest_seq_published_whatever_it_claims() {
    let t0 = Instant::now();
    // 200 scans journaled offline, a window of one batch of 16.
    let mut s = SendState::new(settings(16, 1), E, 0, 200);
    assert_eq!(s.ack_received(E, 200, t0), AckOutcome::default(), "offline");
    assert_eq!(s.connected(t0), vec![r(1, 16)]);
    // Each ack claiming everything trims only what had been published;
    // the freed window then publishes the next batch.
    let out = s.ack_received(E, 200, t0);
    assert_eq!((out.trim_through, out.send), (Some(16), vec![r(17, 32)]));
    assert_eq!(s.ack_received(E, u64::MAX, t0).trim_through, Some(32));
    assert_eq!(
        (s.acked(), s.published_through(), s.backlog()),
        (32, 48, 168)
    );
    // Sent on an earlier connection counts as sent.
    s.disconnected();
    assert_eq!(s.connected(t0), vec![r(33, 48)]);
    s.disconnected();
    assert_eq!(s.ack_received(E, 48, t0).trim_through, Some(48));
    // A batch that could not be handed to the client was not sent.
    assert_eq!(s.connected(t0), vec![r(49, 64)]);
    s.send_failed(49, t0);
    assert_eq!(s.published_through(), 48);
    assert_eq!(s.ack_received(E, 64, t0), AckOutcome::default());
}

#[test]
fn a_restarted_agent_trims_nothing_before_it_sends_again() {
    let t0 = Instant::now();
    // Acked through 5 and recorded through 9 before the restart; the hub
    // may well have 6..=9 already, but this run has not sent them.
    let mut fresh = SendState::new(settings(10, 4), E, 5, 9);
    assert_eq!(fresh.ack_received(E, 9, t0), AckOutcome::default());
    assert_eq!(fresh.connected(t0), vec![r(6, 9)]);
    assert_eq!(fresh.ack_received(E, 9, t0).trim_through, Some(9));
}

#[test]
fn an_ack_for_another_epoch_changes_nothing() {
    let t0 = Instant::now();
    let mut s = SendState::new(settings(10, 4), E, 0, 20);
    assert_eq!(s.connected(t0), vec![r(1, 10), r(11, 20)]);
    for other in [E - 1, E + 1, 0, u64::MAX] {
        assert_eq!(s.ack_received(other, 20, t0), AckOutcome::default());
    }
    assert_eq!((s.acked(), s.batches_in_flight()), (0, 2));
    assert_eq!(s.ack_received(E, 10, t0).trim_through, Some(10));
}

#[test]
fn a_replaced_journal_starts_over_in_its_epoch() {
    let t0 = Instant::now();
    let mut s = SendState::new(settings(10, 4), E, 3, 20);
    s.connected(t0);
    // The directory was wiped: a new journal with 2 scans already in it.
    assert_eq!(s.restart(E + 1, 0, 2, t0), vec![r(1, 2)]);
    assert_eq!((s.epoch(), s.acked(), s.recorded_through()), (E + 1, 0, 2));
    // The old epoch's acks trim nothing any more, the new one's do.
    assert_eq!(s.ack_received(E, 20, t0), AckOutcome::default());
    assert_eq!(s.ack_received(E + 1, 2, t0).trim_through, Some(2));
    // Disconnected, a restart sends nothing until the link is back.
    s.disconnected();
    assert_eq!(s.restart(E + 2, 0, 5, t0), vec![]);
    assert_eq!(s.connected(t0), vec![r(1, 5)]);
}

#[test]
fn tick_resends_from_the_ack_after_no_progress() {
    let t0 = Instant::now();
    let mut s = SendState::new(settings(10, 8), E, 0, 25);
    assert_eq!(s.connected(t0).len(), 3);
    assert_eq!(s.tick(t0 + SEC / 2), vec![]);
    s.ack_received(E, 10, t0 + SEC / 2);
    // Progress at 0.5 s restarts the clock: nothing at 1.2 s ...
    assert_eq!(s.tick(t0 + SEC + SEC / 5), vec![]);
    // ... but at 1.5 s everything from the ack on goes again.
    assert_eq!(s.tick(t0 + SEC + SEC / 2), vec![r(11, 20), r(21, 25)]);
    // And not again right after.
    assert_eq!(s.tick(t0 + SEC + SEC / 2), vec![]);
}

#[test]
fn idle_time_before_a_record_does_not_count_as_a_stall() {
    let t0 = Instant::now();
    let mut s = SendState::new(settings(10, 8), E, 0, 0);
    s.connected(t0);
    let later = t0 + 60 * SEC;
    assert_eq!(s.recorded(1, later), vec![r(1, 1)]);
    assert_eq!(s.tick(later + SEC / 10), vec![]);
    assert_eq!(s.tick(later + SEC), vec![r(1, 1)]);
}

#[test]
fn tick_with_everything_acked_sends_nothing() {
    let t0 = Instant::now();
    let mut s = SendState::new(settings(10, 8), E, 0, 3);
    s.connected(t0);
    s.ack_received(E, 3, t0);
    assert_eq!(s.tick(t0 + 5 * SEC), vec![]);
}

#[test]
fn disconnect_forgets_what_was_sent() {
    let t0 = Instant::now();
    let mut s = SendState::new(settings(10, 8), E, 0, 15);
    assert_eq!(s.connected(t0), vec![r(1, 10), r(11, 15)]);
    s.ack_received(E, 10, t0);
    s.disconnected();
    assert!(!s.is_connected());
    assert_eq!(s.sent_through(), 10);
    assert_eq!(s.recorded(17, t0), vec![]);
    assert_eq!(s.connected(t0), vec![r(11, 17)]);
}

#[test]
fn failed_send_rewinds_and_holds() {
    let t0 = Instant::now();
    let mut s = SendState::new(settings(10, 8), E, 0, 30);
    assert_eq!(s.connected(t0), vec![r(1, 10), r(11, 20), r(21, 30)]);
    s.send_failed(11, t0);
    assert_eq!(s.sent_through(), 10);
    assert_eq!(s.batches_in_flight(), 1);
    assert_eq!(s.recorded(31, t0 + SEC / 2), vec![], "held");
    let acked = s.ack_received(E, 10, t0 + SEC / 2);
    assert_eq!(
        (acked.trim_through, acked.send),
        (Some(10), vec![]),
        "still held"
    );
    assert_eq!(s.tick(t0 + SEC), vec![r(11, 20), r(21, 30), r(31, 31)]);
}

#[test]
fn huge_sequence_numbers_do_not_overflow() {
    let t0 = Instant::now();
    let mut s = SendState::new(settings(4096, 2), E, u64::MAX - 3, u64::MAX);
    assert_eq!(s.connected(t0), vec![r(u64::MAX - 2, u64::MAX)]);
    assert_eq!(s.ack_received(E, u64::MAX, t0).trim_through, Some(u64::MAX));
}
