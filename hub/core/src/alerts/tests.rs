use super::*;

fn raise(book: &mut AlertBook, kind: AlertKind, sku: &str, now: u64) -> u64 {
    book.raise(kind, sku, None, format!("{sku} at {now}"), now)
}

#[test]
fn a_cause_raised_twice_while_open_is_one_alert_with_a_repeat() {
    let mut book = AlertBook::new(1);
    let a = raise(&mut book, AlertKind::BelowSafety, "SKU-1", 10);
    let b = raise(&mut book, AlertKind::BelowSafety, "SKU-1", 20);
    let c = raise(&mut book, AlertKind::BelowSafety, "SKU-2", 30);
    assert_eq!(a, b);
    assert_ne!(a, c);
    let (changes, next) = book.take_changes();
    assert_eq!(next, 3);
    assert_eq!(changes.len(), 2);
    let first = &changes[0].1;
    assert_eq!((first.repeats, first.last_ms, first.raised_ms), (1, 20, 10));
    assert_eq!(first.message, "SKU-1 at 20");
    assert_eq!(first.state(), AlertState::Open);
    assert_eq!(first.severity, Severity::Warning);
}

#[test]
fn a_condition_alert_stays_acknowledged_until_its_cause_goes() {
    let mut book = AlertBook::new(1);
    let id = raise(&mut book, AlertKind::BelowSafety, "SKU-1", 10);
    let acked = book.acknowledge(id, "ops-anna", 15).expect("open");
    assert_eq!(acked.state(), AlertState::Acknowledged);
    // A second acknowledgement keeps the first name and time.
    let again = book.acknowledge(id, "ops-bob", 16).expect("still open");
    assert_eq!(
        again.acked,
        Some(Ack {
            by: "ops-anna".into(),
            at_ms: 15
        })
    );
    assert!(book.clear(AlertKind::BelowSafety, "SKU-1", None, "", 20));
    assert!(!book.clear(AlertKind::BelowSafety, "SKU-1", None, "", 21));
    assert_eq!(
        book.acknowledge(id, "ops-anna", 22),
        Err(AckError::NotOpen(id))
    );
    let (changes, _) = book.take_changes();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].1.state(), AlertState::Cleared);
    assert_eq!(changes[0].1.cleared_ms, Some(20));
    // The cause coming back is a new alert.
    let again = raise(&mut book, AlertKind::BelowSafety, "SKU-1", 30);
    assert_ne!(again, id);
}

#[test]
fn an_event_alert_is_cleared_by_its_acknowledgement() {
    let mut book = AlertBook::new(7);
    let id = raise(&mut book, AlertKind::Discrepancy, "SKU-1", 10);
    assert_eq!(id, 7);
    let done = book.acknowledge(id, "ops-anna", 12).expect("open");
    assert_eq!(done.state(), AlertState::Cleared);
    assert_eq!(done.acked.as_ref().map(|a| a.by.as_str()), Some("ops-anna"));
    assert!(book.get(id).is_none());
    assert!(!book.any_open(AlertKind::Discrepancy));
}

#[test]
fn only_uncleared_alerts_are_loaded_and_keys_still_dedupe() {
    let mut book = AlertBook::new(1);
    let kept = raise(&mut book, AlertKind::LowBattery, "-", 1);
    let gone = raise(&mut book, AlertKind::ClockSkew, "-", 2);
    book.clear(AlertKind::ClockSkew, "-", None, "", 3);
    let (stored, next) = book.take_changes();
    let mut loaded = AlertBook::load(stored, next);
    assert!(loaded.get(kept).is_some());
    assert!(loaded.get(gone).is_none());
    assert_eq!(raise(&mut loaded, AlertKind::LowBattery, "-", 4), kept);
    assert_eq!(raise(&mut loaded, AlertKind::ClockSkew, "-", 5), next);
}

#[test]
fn subjects_keep_alerts_about_different_things_apart() {
    let mut book = AlertBook::new(1);
    let a = book.raise_about(AlertKind::StuckOrder, "S", None, "order:1", "a".into(), 1);
    let b = book.raise_about(AlertKind::StuckOrder, "S", None, "order:2", "b".into(), 1);
    assert_ne!(a, b);
    book.clear_where(AlertKind::StuckOrder, 2, |x| x.subject == "order:1");
    assert!(book.get(a).is_none());
    assert!(book.get(b).is_some());
}

#[test]
fn every_kind_round_trips_through_its_word() {
    for kind in AlertKind::ALL {
        assert_eq!(AlertKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(AlertKind::parse("nope"), None);
}
