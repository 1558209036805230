//! Ended reservations past their retention are removed from the real sled
//! store in the sweeper's group commit (issue 12): both their `r` record
//! and their entry in their creating group's `q` record, while a reservation
//! still active in the same `q` record is kept. After a reopen the pruned
//! ones do not come back, the pool loads, and the start-up check passes.
//! The simulated week against the plain pool is in
//! `hub/core/src/pool/retention_tests.rs`.

use hub::pool::reservations::Reserved;
use hub::pool::Pool;
use hub::reservations::{RequestLine, ReserveRequest};
use hub::store::Store;
use protocol::{EventBatch, Movement, MovementKind};

const MINUTE: u64 = 60_000;
const HOUR: u64 = 60 * MINUTE;
const T0: u64 = 1_700_000_000_000;
const RETENTION: u64 = 24 * HOUR;

fn receive(store: &Store, pool: &mut Pool) {
    let batch = EventBatch {
        site: "s1".into(),
        device: "d1".into(),
        epoch: 1,
        first_seq: 1,
        movements: vec![Movement {
            seq: 1,
            kind: MovementKind::Receive,
            sku: "SKU-R".into(),
            location: "A-01".into(),
            to_location: None,
            lot: None,
            quantity: 100,
            device_time_ms: T0,
            task: None,
        }],
        auth_tag: None,
    };
    pool.apply_batch(&batch, T0, store);
    store.commit(&pool.take_changes()).expect("commit");
}

/// Makes a reservation without committing (several may share a group).
fn reserve(pool: &mut Pool, key: &str, now: u64) -> u64 {
    let req = ReserveRequest {
        order_ref: key.into(),
        idempotency_key: None,
        lines: vec![RequestLine {
            sku: "SKU-R".into(),
            quantity: 1,
        }],
        hold_ms: 10 * MINUTE,
    };
    match pool.reserve(&req, now) {
        Ok(Reserved::New(r)) => r.id,
        other => panic!("{key}: {other:?}"),
    }
}

/// The sweeper's group: expiry, pruning, one commit.
fn sweep(store: &Store, pool: &mut Pool, now: u64) -> (usize, usize) {
    pool.sweep(now);
    let pruned = pool.prune_keys(now);
    store.commit(&pool.take_changes()).expect("commit");
    pruned
}

fn stored_ids(store: &Store) -> Vec<u64> {
    let all = store.all_reservations().expect("reservations");
    all.iter().map(|r| r.id).collect()
}

#[test]
fn pruned_reservations_are_gone_from_the_store_and_stay_gone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (released, shared_q, active, late) = {
        let store = Store::open(dir.path()).expect("open");
        let mut pool = store.load_pool().expect("load");
        pool.set_key_retention(RETENTION);
        receive(&store, &mut pool);
        let released = reserve(&mut pool, "o-released", T0);
        store.commit(&pool.take_changes()).expect("commit");
        pool.release(released, T0).expect("release");
        // Two in one group: one `q` record holds both.
        let shared_q = reserve(&mut pool, "o-shared", T0);
        let active = reserve(&mut pool, "o-active", T0);
        store.commit(&pool.take_changes()).expect("commit");
        // Within the 10-minute hold, or the sweep inside would expire it.
        pool.release(shared_q, T0 + MINUTE).expect("release");
        pool.confirm(active, T0 + MINUTE).expect("confirm");
        let late = reserve(&mut pool, "o-late", T0 + 20 * HOUR);
        pool.release(late, T0 + 20 * HOUR).expect("release");
        store.commit(&pool.take_changes()).expect("commit");
        assert_eq!(stored_ids(&store), [released, shared_q, active, late]);

        assert_eq!(
            sweep(&store, &mut pool, T0 + RETENTION + MINUTE - 1),
            (1, 1)
        );
        assert!(store.reservation(released).expect("read").is_none());
        assert!(store.reservation(shared_q).expect("read").is_some());
        assert_eq!(sweep(&store, &mut pool, T0 + 25 * HOUR), (1, 1));
        for id in [released, shared_q] {
            assert!(store.reservation(id).expect("read").is_none(), "{id}");
        }
        let kept = store.reservation(active).expect("read").expect("active");
        assert_eq!(kept.task.as_deref(), Some(format!("res-{active}").as_str()));
        (released, shared_q, active, late)
    };
    let store = Store::open(dir.path()).expect("reopen");
    assert!(store.start_check().stock_differences.is_empty());
    assert_eq!(stored_ids(&store), [active, late]);
    let mut pool = store.load_pool().expect("load");
    pool.set_key_retention(RETENTION);
    assert_eq!(pool.level("SKU-R").map(|l| l.reserved), Some(1));
    assert_eq!((pool.honoured_keys(), pool.ended_reservations()), (2, 1));
    // The late one goes at its own time; the ids keep counting up.
    assert_eq!(sweep(&store, &mut pool, T0 + 44 * HOUR), (1, 1));
    assert_eq!(stored_ids(&store), [active]);
    let next = reserve(&mut pool, "o-released", T0 + 44 * HOUR);
    assert!(next > late, "id {next} reused");
    store.commit(&pool.take_changes()).expect("commit");
    drop(pool);
    drop(store);
    let store = Store::open(dir.path()).expect("reopen");
    assert!(store.start_check().stock_differences.is_empty());
    assert_eq!(stored_ids(&store), [active, next]);
    assert!(!stored_ids(&store).contains(&released) && !stored_ids(&store).contains(&shared_q));
}
