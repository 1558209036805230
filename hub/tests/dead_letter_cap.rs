//! The store keeps only the newest `KEPT_DEAD_LETTERS` dead letters: a
//! flood of refused payloads cannot grow it without bound (issue 12).

use hub::changes::Changes;
use hub::events::{DeadLetter, KEPT_DEAD_LETTERS};
use hub::store::Store;

fn letter(n: u64) -> DeadLetter {
    DeadLetter {
        topic: format!("wms/s1/dev/unknown-{n}/status"),
        reason: "unknown device".into(),
        received_ms: n,
        payload: vec![0; 16],
    }
}

#[test]
fn only_the_newest_dead_letters_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let total = KEPT_DEAD_LETTERS + 250;
    // In groups, as the writer commits them.
    let mut next = 1;
    while next <= total {
        let last = (next + 999).min(total);
        let changes = Changes {
            dead_letters: (next..=last).map(|n| (n, letter(n))).collect(),
            next_dead: last + 1,
            ..Changes::default()
        };
        store.commit(&changes).unwrap();
        next = last + 1;
    }
    let kept = store.dead_letters(usize::MAX).unwrap();
    assert_eq!(kept.len() as u64, KEPT_DEAD_LETTERS);
    let oldest = kept.iter().map(|(id, _)| *id).min().unwrap();
    let newest = kept.iter().map(|(id, _)| *id).max().unwrap();
    assert_eq!((oldest, newest), (total - KEPT_DEAD_LETTERS + 1, total));
}
