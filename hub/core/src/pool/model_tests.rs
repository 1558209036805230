//! The proptest model test of the pool's reservations: random receive /
//! reserve / confirm / release / expire / pick / restart sequences against
//! a plain in-memory model, with the invariants checked after every step.

use super::*;

/// A step of the model test.
#[derive(Debug, Clone)]
enum Op {
    Receive(usize, i64),
    Reserve(usize, usize, i64, u64),
    Confirm(usize),
    Release(usize),
    Advance(u64),
    Pick(usize, i64, Option<usize>),
    Restart,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..2, 1i64..20).prop_map(|(s, q)| Op::Receive(s, q)),
        (0usize..6, 0usize..2, 1i64..8, 1u64..4).prop_map(|(k, s, q, h)| Op::Reserve(k, s, q, h)),
        (0usize..6).prop_map(Op::Confirm),
        (0usize..6).prop_map(Op::Release),
        (1u64..5).prop_map(|m| Op::Advance(m * 30_000)),
        (0usize..2, 1i64..6, proptest::option::of(0usize..6))
            .prop_map(|(s, q, t)| Op::Pick(s, q, t)),
        Just(Op::Restart),
    ]
}

/// The plain model: on hand per SKU and reservations as (sku, qty, picked,
/// state, expires).
#[derive(Default)]
struct Model {
    on_hand: [i64; 2],
    known: [bool; 2],
    res: HashMap<u64, (usize, i64, i64, ReservationState, u64)>,
    ids: HashMap<usize, u64>,
}

impl Model {
    fn reserved(&self, sku: usize) -> i64 {
        self.res
            .values()
            .filter(|r| r.0 == sku && r.3.is_active())
            .map(|r| (r.1 - r.2).max(0))
            .sum()
    }

    fn expire(&mut self, now: u64) {
        for r in self.res.values_mut() {
            if r.3 == ReservationState::Held && r.4 <= now {
                r.3 = ReservationState::Expired;
            }
        }
    }
}

const SKUS: [&str; 2] = ["A", "B"];

fn step(s: &mut Site, m: &mut Model, op: &Op, now: &mut u64) -> Result<(), TestCaseError> {
    match *op {
        Op::Receive(k, q) => {
            s.scan(MovementKind::Receive, SKUS[k], "L", q, "", "");
            m.on_hand[k] += q;
            m.known[k] = true;
        }
        Op::Reserve(key, k, q, h) => reserve(s, m, (key, k, q, h), *now)?,
        Op::Confirm(_) | Op::Release(_) => confirm_or_release(s, m, op, *now)?,
        Op::Advance(ms) => {
            *now += ms;
            s.pool.sweep(*now);
            m.expire(*now);
        }
        Op::Pick(k, q, task) => {
            let id = task.and_then(|t| m.ids.get(&t).copied());
            let task = id.map(|id| format!("res-{id}")).unwrap_or_default();
            s.scan(MovementKind::Pick, SKUS[k], "L", q, "", &task);
            m.on_hand[k] -= q;
            m.known[k] = true;
            if let Some(r) = id.and_then(|id| m.res.get_mut(&id)) {
                if r.3 == ReservationState::Confirmed && r.0 == k {
                    r.2 += q;
                    if r.2 >= r.1 {
                        r.3 = ReservationState::Fulfilled;
                    }
                }
            }
        }
        Op::Restart => s.restart(),
    }
    s.commit();
    Ok(())
}

fn reserve(
    s: &mut Site,
    m: &mut Model,
    (key, k, q, h): (usize, usize, i64, u64),
    now: u64,
) -> Result<(), TestCaseError> {
    m.expire(now);
    let req = request(&format!("o{key}"), &[(SKUS[k], q)], h * MIN);
    let got = s.pool.reserve(&req, now);
    let fits = m.on_hand[k] - m.reserved(k) >= q;
    match (m.ids.get(&key), got) {
        (Some(_), Ok(Reserved::Existing(_) | Reserved::Stored(_))) => {}
        (Some(_), Err(PoolError::IdempotencyMismatch(_))) => {}
        (None, Ok(Reserved::New(r))) if fits && m.known[k] => {
            m.ids.insert(key, r.id);
            m.res
                .insert(r.id, (k, q, 0, ReservationState::Held, now + h * MIN));
        }
        (None, Err(PoolError::Insufficient(_))) if !fits && m.known[k] => {}
        (None, Err(PoolError::UnknownSku(_))) if !m.known[k] => {}
        (known, got) => prop_assert!(false, "{known:?} fits={fits}: {got:?}"),
    }
    Ok(())
}

fn confirm_or_release(s: &mut Site, m: &mut Model, op: &Op, now: u64) -> Result<(), TestCaseError> {
    m.expire(now);
    let (Op::Confirm(key) | Op::Release(key)) = *op else {
        return Ok(());
    };
    let Some(&id) = m.ids.get(&key) else {
        return Ok(());
    };
    let state = m.res[&id].3;
    let got = match op {
        Op::Confirm(_) => s.pool.confirm(id, now).map(|r| r.state),
        _ => s.pool.release(id, now).map(|r| r.state),
    };
    let want = match (op, state.is_active()) {
        (_, false) => Err(PoolError::NotFound(id)),
        (Op::Confirm(_), true) => Ok(ReservationState::Confirmed),
        _ => Ok(ReservationState::Released),
    };
    prop_assert_eq!(&got, &want);
    if let (Ok(new), Some(r)) = (got, m.res.get_mut(&id)) {
        r.3 = new;
    }
    Ok(())
}

proptest! {
    /// After every step: on hand and reserved equal the model's; reserved
    /// is the sum of what active reservations still hold; no reservation
    /// was granted that the model's available could not cover (so API
    /// commands alone never take available below zero).
    #[test]
    fn reservations_match_a_plain_model(ops in proptest::collection::vec(op(), 1..80)) {
        let mut s = Site::new();
        let mut m = Model::default();
        let mut now = 1_000u64;
        for op in &ops {
            let api = matches!(op, Op::Reserve(..) | Op::Confirm(_) | Op::Release(_) | Op::Advance(_));
            let before: Vec<i64> = (0..2).map(|k| s.pool.available(SKUS[k])).collect();
            step(&mut s, &mut m, op, &mut now)?;
            for (k, sku) in SKUS.iter().enumerate() {
                let level = s.pool.level(sku).cloned().unwrap_or_default();
                prop_assert_eq!(level.on_hand, m.on_hand[k], "on hand of {} after {:?}", sku, op);
                prop_assert_eq!(level.reserved, m.reserved(k), "reserved of {} after {:?}", sku, op);
                let active: i64 = s.pool.active_reservations()
                    .flat_map(|r| &r.lines)
                    .filter(|l| l.sku == *sku)
                    .map(|l| l.outstanding())
                    .sum();
                prop_assert_eq!(level.reserved, active);
                let mut want: HashMap<StockKey, i64> = HashMap::new();
                for a in s.pool.active_reservations().flat_map(|r| &r.allocations) {
                    *want.entry(a.key()).or_insert(0) += a.remaining();
                }
                want.retain(|_, v| *v != 0);
                prop_assert_eq!(&s.pool.allocated, &want, "allocated after {:?}", op);
                if api && before[k] >= 0 {
                    prop_assert!(level.available() >= 0, "{:?} took {} below zero", op, sku);
                }
            }
        }
    }
}
