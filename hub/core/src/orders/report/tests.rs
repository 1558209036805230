//! The timeliness report over hand-made orders: which orders a week holds
//! (its boundaries in UTC and at a site offset), which shift (night
//! crossing midnight), the SLA verdicts, the exception share, and the time
//! per state.

use super::*;
use crate::orders::model::{OrderCustomer, Service, Transition};
use OrderState::*;

const M: u64 = 60_000;
const H: u64 = 60 * M;
const D: u64 = 24 * H;

fn week() -> IsoWeek {
    IsoWeek::parse("2026-W49").expect("week")
}

/// Monday 2026-11-30 00:00 UTC.
fn monday() -> u64 {
    week().range_ms(0).0
}

/// An order through `steps` (state, absolute time), due `due_in` after
/// its first step.
fn order(id: u64, site: &str, due_in: u64, steps: &[(OrderState, u64)]) -> Order {
    let created = steps.first().map_or(0, |s| s.1);
    let last = steps.last().copied().unwrap_or((Received, created));
    Order {
        id,
        platform: "own".into(),
        platform_order_id: format!("T-{id}"),
        channel: String::new(),
        service: Service::Express,
        paid: true,
        customer: OrderCustomer::default(),
        lines: Vec::new(),
        tags: Vec::new(),
        state: last.0,
        history: steps
            .iter()
            .map(|&(state, at_ms)| Transition {
                state,
                at_ms,
                note: String::new(),
            })
            .collect(),
        reservation: None,
        hold_until_ms: None,
        exceptions: Vec::new(),
        fixes: Vec::new(),
        site: site.into(),
        route_reason: String::new(),
        created_ms: created,
        updated_ms: last.1,
        due_ms: created + due_in,
        stuck_alerted: false,
        shipment: None,
        returns: Vec::new(),
        handoff: None,
    }
}

/// A paid express order received at `t` and shipped `ship_after` later.
fn shipped(id: u64, t: u64, ship_after: u64) -> Order {
    let steps = [
        (Received, t),
        (Validated, t),
        (Routed, t + M),
        (Shipped, t + ship_after),
    ];
    order(id, "s1", 2 * H, &steps)
}

/// Received at `t`, still in `held`.
fn held(id: u64, t: u64) -> Order {
    order(id, "", 2 * H, &[(Received, t), (Held, t + M)])
}

/// What a case expects of the whole week and of its shifts.
struct Want {
    orders: u64,
    open: u64,
    sla: [u64; 4],
    exceptions: u64,
    shifts: &'static [(&'static str, u64)],
}

/// A [`Want`]: orders, open, SLA [met, pending, missed, excluded],
/// exceptions, orders per shift.
fn want(
    orders: u64,
    open: u64,
    sla: [u64; 4],
    exceptions: u64,
    shifts: &'static [(&'static str, u64)],
) -> Want {
    Want {
        orders,
        open,
        sla,
        exceptions,
        shifts,
    }
}

struct Case {
    name: &'static str,
    orders: Vec<Order>,
    offset: i32,
    now: u64,
    want: Want,
}

fn cases() -> Vec<Case> {
    let mon = monday();
    let end = mon + 7 * D;
    let later = end + 10 * D;
    vec![
        Case {
            name: "express shipped in time, and one shipped late",
            orders: vec![shipped(1, mon + 10 * H, H), shipped(2, mon + 11 * H, 3 * H)],
            offset: 0,
            now: later,
            want: want(2, 0, [1, 0, 1, 0], 0, &[("day", 2), ("night", 0)]),
        },
        Case {
            name: "held and not yet due is inside SLA; past due it is not",
            orders: vec![held(1, mon + 9 * H), held(2, mon + 12 * H)],
            offset: 0,
            now: mon + 12 * H + 30 * M,
            want: want(2, 2, [0, 1, 1, 0], 0, &[("day", 2), ("night", 0)]),
        },
        Case {
            name: "cancelled orders are not judged; exceptions are counted once",
            orders: vec![
                order(
                    1,
                    "",
                    2 * H,
                    &[
                        (Received, mon + H),
                        (Held, mon + H),
                        (Cancelled, mon + 2 * H),
                    ],
                ),
                order(
                    2,
                    "",
                    2 * H,
                    &[
                        (Received, mon + H),
                        (Exception, mon + H),
                        (Validated, mon + 2 * H),
                        (Exception, mon + 3 * H),
                        (Cancelled, mon + 4 * H),
                    ],
                ),
                order(
                    3,
                    "s1",
                    2 * H,
                    &[
                        (Received, mon + H),
                        (Exception, mon + H),
                        (Routed, mon + 2 * H),
                        (Shipped, mon + 150 * M),
                    ],
                ),
            ],
            offset: 0,
            now: later,
            want: want(3, 0, [1, 0, 0, 2], 2, &[("day", 0), ("night", 3)]),
        },
        Case {
            name: "the week holds [Monday 00:00, next Monday 00:00) UTC",
            orders: vec![
                held(1, mon - 1),
                held(2, mon),
                held(3, end - 1),
                held(4, end),
            ],
            offset: 0,
            now: later,
            want: want(2, 2, [0, 0, 2, 0], 0, &[("day", 0), ("night", 2)]),
        },
        Case {
            name: "at UTC+8 the week starts Sunday 16:00 UTC, and 01:00 UTC is the day shift",
            orders: vec![
                held(1, mon - 8 * H - 1),
                held(2, mon - 8 * H),
                held(3, mon + H),
                held(4, end - 8 * H - 1),
                held(5, end - 8 * H),
            ],
            offset: 480,
            now: later,
            want: want(3, 3, [0, 0, 3, 0], 0, &[("day", 1), ("night", 2)]),
        },
        Case {
            name: "the night shift crosses midnight",
            orders: vec![
                held(1, mon + 20 * H),
                held(2, mon + 23 * H + 30 * M),
                held(3, mon + D + 2 * H),
                held(4, mon + D + 7 * H + 59 * M),
                held(5, mon + D + 8 * H),
            ],
            offset: 0,
            now: later,
            want: want(5, 5, [0, 0, 5, 0], 0, &[("day", 1), ("night", 4)]),
        },
        Case {
            name: "nothing after the cut-off is known: later orders and a later shipment",
            orders: vec![shipped(1, mon + 10 * H, H), held(2, mon + 11 * H)],
            offset: 0,
            now: mon + 10 * H + 30 * M,
            want: want(1, 1, [0, 1, 0, 0], 0, &[("day", 1), ("night", 0)]),
        },
    ]
}

#[test]
fn weeks_shifts_sla_and_exceptions_table() {
    for case in cases() {
        let r = timeliness(
            case.orders.iter(),
            week(),
            case.offset,
            case.now,
            &default_shifts(),
        );
        let t = &r.total;
        let w = &case.want;
        let got = (
            t.orders,
            t.open,
            [t.sla_met, t.sla_pending, t.sla_missed, t.sla_excluded],
            t.exceptions,
        );
        assert_eq!(
            got,
            (w.orders, w.open, w.sla, w.exceptions),
            "{}",
            case.name
        );
        let shifts: Vec<(&str, u64)> = r
            .shifts
            .iter()
            .map(|k| (k.key.as_str(), k.report.orders))
            .collect();
        assert_eq!(shifts, w.shifts, "{}", case.name);
        let site_total: u64 = r.sites.iter().map(|k| k.report.orders).sum();
        assert_eq!(
            site_total, w.orders,
            "{}: every order has one site key",
            case.name
        );
        let judged = w.sla[0] + w.sla[1] + w.sla[2];
        let share = (judged > 0).then(|| (w.sla[0] + w.sla[1]) as f64 / judged as f64);
        assert_eq!(t.sla_share, share, "{}", case.name);
    }
}

#[test]
fn time_per_state_is_summed_per_order_with_nearest_rank_percentiles() {
    let mon = monday();
    let orders = [
        order(
            1,
            "s1",
            2 * H,
            &[
                (Received, mon),
                (Held, mon),
                (Paid, mon + 10 * M),
                (Shipped, mon + H),
            ],
        ),
        order(
            2,
            "s1",
            2 * H,
            &[
                (Received, mon),
                (Held, mon),
                (Paid, mon + 20 * M),
                (Shipped, mon + H),
            ],
        ),
        // Held twice (10 + 50 minutes): one sample of 60.
        order(
            3,
            "s2",
            2 * H,
            &[
                (Received, mon),
                (Held, mon),
                (Exception, mon + 10 * M),
                (Held, mon + 20 * M),
                (Paid, mon + 70 * M),
                (Shipped, mon + 80 * M),
            ],
        ),
    ];
    let r = timeliness(orders.iter(), week(), 0, mon + D, &default_shifts());
    let held = r
        .total
        .states
        .iter()
        .find(|s| s.state == Held)
        .expect("held");
    assert_eq!(
        (held.count, held.mean_ms, held.p50_ms, held.p90_ms),
        (3, 30 * M, 20 * M, 60 * M)
    );
    let received = &r.total.states[0];
    assert_eq!(
        (received.state, received.count, received.mean_ms),
        (Received, 3, 0)
    );
    assert!(
        r.total.states.iter().all(|s| !s.state.is_final()),
        "no time in final states"
    );
    let order_of: Vec<OrderState> = r.total.states.iter().map(|s| s.state).collect();
    assert_eq!(
        order_of,
        [Received, Held, Paid, Exception],
        "lifecycle order"
    );
    let sites: Vec<(&str, u64)> = r
        .sites
        .iter()
        .map(|k| (k.key.as_str(), k.report.orders))
        .collect();
    assert_eq!(sites, [("s1", 2), ("s2", 1)]);
    assert_eq!(r.total.exception_share, Some(1.0 / 3.0));
    assert_eq!(
        (r.start_ms, r.end_ms, r.cutoff_ms),
        (mon, mon + 7 * D, mon + D)
    );
}

#[test]
fn an_open_state_runs_to_the_cut_off_and_unrouted_orders_have_no_site() {
    let mon = monday();
    let orders = [held(1, mon)];
    let r = timeliness(orders.iter(), week(), 0, mon + 31 * M, &default_shifts());
    let held = r
        .total
        .states
        .iter()
        .find(|s| s.state == Held)
        .expect("held");
    assert_eq!(held.mean_ms, 30 * M);
    assert_eq!(r.sites[0].key, NO_SITE);
}

#[test]
fn orders_outside_every_shift_get_their_own_row() {
    let mon = monday();
    let morning = [Shift::new("morning", 6 * 60, 14 * 60).expect("shift")];
    let orders = [held(1, mon + 7 * H), held(2, mon + 15 * H)];
    let r = timeliness(orders.iter(), week(), 0, mon + D, &morning);
    let keys: Vec<(&str, u64)> = r
        .shifts
        .iter()
        .map(|k| (k.key.as_str(), k.report.orders))
        .collect();
    assert_eq!(keys, [("morning", 1), (NO_SHIFT, 1)]);
    let empty = timeliness([].iter(), week(), 0, mon + D, &morning);
    assert_eq!(empty.total.sla_share, None);
    assert_eq!(empty.total.exception_share, None);
    assert_eq!(empty.shifts.len(), 1, "no empty (none) row");
}

#[test]
fn nearest_rank_percentiles() {
    let cases: &[(&[u64], u64, u64)] = &[
        (&[], 50, 0),
        (&[7], 90, 7),
        (&[1, 2, 3, 4], 50, 2),
        (&[1, 2, 3, 4], 90, 4),
        (&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9),
    ];
    for (samples, p, want) in cases {
        assert_eq!(nearest_rank(samples, *p), *want, "{samples:?} p{p}");
    }
}
