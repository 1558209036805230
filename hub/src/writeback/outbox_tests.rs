//! The outbox's rules, case by case and as properties over random command
//! sequences.

use proptest::prelude::*;

use super::*;

fn shipment(platform: &str, tracking: &str) -> Shipment {
    Shipment {
        platform: platform.into(),
        platform_order_id: "TB1001".into(),
        carrier: "sf".into(),
        tracking: tracking.into(),
    }
}

fn refused() -> WritebackError {
    WritebackError::Refused {
        code: "isv.invalid-parameter".into(),
        message: "bad company".into(),
    }
}

#[test]
fn the_same_order_and_tracking_twice_is_one_entry() {
    let mut outbox = Outbox::new();
    assert_eq!(outbox.add(7, shipment("taobao", "SF1"), 100), Added::New);
    outbox.failed(7, &WritebackError::Timeout, 200);
    let before = outbox.get(7).cloned();
    assert_eq!(
        outbox.add(7, shipment("taobao", "SF1"), 300),
        Added::Unchanged
    );
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox.get(7).cloned(), before, "backoff kept");
}

#[test]
fn a_new_tracking_number_replaces_and_is_due_at_once() {
    let mut outbox = Outbox::new();
    outbox.add(7, shipment("jd", "SF1"), 100);
    outbox.failed(7, &refused(), 150);
    assert_eq!(outbox.add(7, shipment("jd", "SF2"), 200), Added::Replaced);
    let due = outbox.due(200);
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].shipment.tracking.as_str(), due[0].attempts),
        ("SF2", 0)
    );
    assert!(!due[0].parked);
}

#[test]
fn own_and_csv_orders_need_no_writeback() {
    let mut outbox = Outbox::new();
    assert_eq!(outbox.add(1, shipment("own", "SF1"), 0), Added::NotNeeded);
    assert_eq!(outbox.add(2, shipment("csv", "SF1"), 0), Added::NotNeeded);
    assert!(outbox.is_empty());
}

#[test]
fn retryable_failures_back_off_and_stay_due_later() {
    let mut outbox = Outbox::new();
    outbox.add(9, shipment("shopee", "SF1"), 1_000);
    assert_eq!(outbox.due(1_000).len(), 1);
    outbox.failed(9, &WritebackError::HttpStatus(503), 1_000);
    let entry = outbox.get(9).cloned().expect("kept");
    assert_eq!(entry.attempts, 1);
    assert!(
        (1_750..=2_000).contains(&entry.next_at_ms),
        "{}",
        entry.next_at_ms
    );
    assert!(outbox.due(entry.next_at_ms - 1).is_empty());
    assert_eq!(outbox.due(entry.next_at_ms).len(), 1);
    assert!(entry.last_error.is_some_and(|e| e.contains("503")));
}

#[test]
fn refusals_park_until_retried_by_hand() {
    let mut outbox = Outbox::new();
    outbox.add(3, shipment("taobao", "SF1"), 0);
    outbox.failed(3, &refused(), 10);
    assert!(outbox.due(u64::MAX).is_empty());
    let parked = outbox.parked();
    assert_eq!(parked.len(), 1);
    assert!(parked[0]
        .last_error
        .as_deref()
        .is_some_and(|e| e.contains("bad company")));
    assert!(outbox.retry_now(3, 50));
    assert_eq!(outbox.due(50).len(), 1);
    assert!(outbox.parked().is_empty());
    assert!(!outbox.retry_now(4, 50));
}

#[test]
fn success_and_already_shipped_remove() {
    let mut outbox = Outbox::new();
    outbox.add(1, shipment("jd", "SF1"), 0);
    outbox.add(2, shipment("jd", "SF2"), 0);
    outbox.record(1, &Ok(()), 5);
    outbox.record(2, &Err(WritebackError::AlreadyShipped), 5);
    assert!(outbox.is_empty());
    assert!(!outbox.succeeded(1));
    outbox.failed(1, &WritebackError::Timeout, 6);
    assert!(
        outbox.is_empty(),
        "a late failure for a gone order adds nothing"
    );
}

#[test]
fn backoff_doubles_from_one_second_to_fifteen_minutes() {
    let bases = [1_000u64, 2_000, 4_000, 8_000, 16_000];
    for (attempt, base) in (1u32..).zip(bases) {
        for order in [0u64, 1, 42, u64::MAX] {
            let wait = backoff_ms(attempt, order);
            assert!(
                (base - base / 4..=base).contains(&wait),
                "{attempt} {order} {wait}"
            );
        }
    }
    for attempt in [11u32, 12, 40, u32::MAX] {
        let wait = backoff_ms(attempt, 5);
        assert!((MAX_DELAY_MS - MAX_DELAY_MS / 4..=MAX_DELAY_MS).contains(&wait));
    }
    assert_eq!(backoff_ms(3, 77), backoff_ms(3, 77), "deterministic");
    let spread: std::collections::BTreeSet<u64> = (0..50).map(|o| backoff_ms(10, o)).collect();
    assert!(spread.len() > 40, "orders spread out: {}", spread.len());
}

#[test]
fn pending_round_trips_through_json_and_restores() {
    let mut outbox = Outbox::new();
    outbox.add(5, shipment("shopee", "SPX1"), 0);
    outbox.failed(5, &refused(), 1);
    let stored = serde_json::to_string(&outbox.entries().collect::<Vec<_>>()).expect("encodes");
    let back: Vec<Pending> = serde_json::from_str(&stored).expect("decodes");
    assert_eq!(Outbox::from_entries(back), outbox);
}

#[derive(Debug, Clone)]
enum Op {
    Add(u64, u8),
    Succeed(u64),
    Fail(u64, u8),
    Retry(u64),
    Tick(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u64..6, 0u8..3).prop_map(|(o, t)| Op::Add(o, t)),
        (0u64..6).prop_map(Op::Succeed),
        (0u64..6, 0u8..4).prop_map(|(o, e)| Op::Fail(o, e)),
        (0u64..6).prop_map(Op::Retry),
        (0u64..2_000_000).prop_map(Op::Tick),
    ]
}

fn error(kind: u8) -> WritebackError {
    match kind {
        0 => WritebackError::Timeout,
        1 => WritebackError::HttpStatus(500),
        2 => WritebackError::AlreadyShipped,
        _ => refused(),
    }
}

proptest! {
    #[test]
    fn invariants_hold_over_any_sequence(ops in proptest::collection::vec(op(), 0..80)) {
        let mut outbox = Outbox::new();
        let mut now = 0u64;
        for op in ops {
            match op {
                Op::Add(order, t) => {
                    outbox.add(order, shipment("taobao", &format!("SF{t}")), now);
                }
                Op::Succeed(order) => {
                    outbox.succeeded(order);
                    prop_assert!(outbox.get(order).is_none(), "a success removes");
                }
                Op::Fail(order, kind) => {
                    outbox.failed(order, &error(kind), now);
                    if let Some(entry) = outbox.get(order) {
                        if !entry.parked {
                            prop_assert!(entry.next_at_ms <= now + MAX_DELAY_MS, "bounded");
                            prop_assert!(entry.next_at_ms >= now.min(entry.next_at_ms));
                        }
                    }
                }
                Op::Retry(order) => {
                    outbox.retry_now(order, now);
                }
                Op::Tick(ms) => now += ms,
            }
            let due = outbox.due(now);
            let mut orders: Vec<u64> = due.iter().map(|p| p.order).collect();
            orders.sort_unstable();
            orders.dedup();
            prop_assert_eq!(orders.len(), due.len(), "never two entries for one order");
            prop_assert!(due.iter().all(|p| !p.parked && p.next_at_ms <= now));
            prop_assert!(outbox.entries().all(|p| outbox.get(p.order) == Some(p)));
        }
    }
}
