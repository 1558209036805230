//! Channel allocations: set aside from available stock only, used first by
//! their channel's orders, untouchable by others, returned when they end,
//! and still set aside after a reload.

use crate::allocations::AllocationRequest;
use crate::changes::PoolParts;
use crate::errors::PoolError;
use crate::events::StockKey;
use crate::orders::{OrderCustomer, OrderLine, OrderRules, OrderState, Service};
use crate::pool::orders::OrderIntake;
use crate::pool::Pool;
use std::collections::HashMap;

const T0: u64 = 1_800_000_000_000;

fn pool(units: i64) -> Pool {
    let key = StockKey {
        sku: "TEA".into(),
        location: "A-01".into(),
        lot: String::new(),
    };
    let mut pool = Pool::from_parts(HashMap::from([(key, units)]), HashMap::new(), 1, 1);
    pool.set_order_rules(OrderRules {
        site: "s1".into(),
        ..OrderRules::default()
    });
    pool
}

fn set_aside(channel: &str, quantity: i64) -> AllocationRequest {
    AllocationRequest {
        channel: channel.into(),
        sku: "TEA".into(),
        quantity,
        ends_ms: None,
        note: "live stream".into(),
    }
}

fn order(id: &str, channel: &str, quantity: i64) -> OrderIntake {
    OrderIntake {
        platform: "own".into(),
        platform_order_id: id.into(),
        channel: channel.into(),
        service: Service::Standard,
        paid: true,
        customer: OrderCustomer {
            customer_key: format!("c-{id}"),
            ..OrderCustomer::default()
        },
        wrapped_key: None,
        lines: vec![OrderLine {
            sku: "TEA".into(),
            quantity,
        }],
        tags: Vec::new(),
        problems: Vec::new(),
        fixes: Vec::new(),
    }
}

#[test]
fn the_channel_uses_its_allocation_and_others_cannot() {
    let mut p = pool(250);
    let a = p.allocate(set_aside("live", 200), T0).expect("allocated");
    assert_eq!(p.available("TEA"), 50);
    let other = p
        .place_order(order("W-1", "web", 60), T0)
        .expect("placed")
        .order;
    assert_eq!(
        other.state,
        OrderState::Exception,
        "another channel cannot touch it"
    );
    assert_eq!(p.available("TEA"), 50);
    let live = p
        .place_order(order("L-1", "live", 120), T0)
        .expect("placed")
        .order;
    assert_eq!(live.state, OrderState::Routed);
    assert_eq!(
        p.available("TEA"),
        50,
        "drawn from the allocation, not the pool"
    );
    let left = p.active_allocations().next().map(|x| x.remaining);
    assert_eq!(left, Some(80));
    // Past the allocation, the channel's orders use the pool.
    let more = p
        .place_order(order("L-2", "live", 100), T0)
        .expect("placed")
        .order;
    assert_eq!(more.state, OrderState::Routed);
    assert_eq!(p.available("TEA"), 30);
    let ended = p.end_allocation(a.id, T0 + 1).expect("ended");
    assert_eq!(ended.remaining, 0);
    assert_eq!(p.available("TEA"), 30, "nothing left to return");
}

#[test]
fn an_ending_allocation_returns_what_it_holds() {
    let mut p = pool(100);
    let mut req = set_aside("live", 40);
    req.ends_ms = Some(T0 + 3_600_000);
    p.allocate(req, T0).expect("allocated");
    assert_eq!(p.available("TEA"), 60);
    assert_eq!(p.end_due_allocations(T0 + 3_599_999), 0);
    assert_eq!(p.end_due_allocations(T0 + 3_600_000), 1);
    assert_eq!(p.available("TEA"), 100);
    assert_eq!(p.active_allocations().count(), 0);
}

#[test]
fn an_allocation_never_oversells_and_bad_ones_are_refused() {
    let mut p = pool(10);
    assert!(matches!(
        p.allocate(set_aside("live", 11), T0),
        Err(PoolError::Insufficient(_))
    ));
    assert!(matches!(
        p.allocate(set_aside("live", 0), T0),
        Err(PoolError::Invalid(_))
    ));
    assert!(matches!(
        p.allocate(set_aside("live stream", 1), T0),
        Err(PoolError::Invalid(_))
    ));
    let mut past = set_aside("live", 1);
    past.ends_ms = Some(T0);
    assert!(matches!(p.allocate(past, T0), Err(PoolError::Invalid(_))));
    let mut unknown = set_aside("live", 1);
    unknown.sku = "COFFEE".into();
    assert!(matches!(
        p.allocate(unknown, T0),
        Err(PoolError::UnknownSku(_))
    ));
    assert_eq!(p.available("TEA"), 10);
}

#[test]
fn a_failed_hold_puts_the_drawn_units_back() {
    let mut p = pool(10);
    p.allocate(set_aside("live", 5), T0).expect("allocated");
    let mut two_lines = order("L-9", "live", 3);
    two_lines.lines.push(OrderLine {
        sku: "MISSING".into(),
        quantity: 1,
    });
    let o = p.place_order(two_lines, T0).expect("placed").order;
    assert_eq!(o.state, OrderState::Exception);
    assert_eq!(p.active_allocations().next().map(|a| a.remaining), Some(5));
    assert_eq!(p.available("TEA"), 5);
}

#[test]
fn allocations_stay_set_aside_after_a_reload() {
    let mut p = pool(100);
    p.allocate(set_aside("live", 30), T0).expect("allocated");
    let changes = p.take_changes();
    let parts = PoolParts {
        stock: HashMap::from([(
            StockKey {
                sku: "TEA".into(),
                location: "A-01".into(),
                lot: String::new(),
            },
            100,
        )]),
        allocations: changes.allocations,
        next_ids: changes.next_ids,
        ..PoolParts::default()
    };
    let reloaded = Pool::load(parts);
    assert_eq!(reloaded.available("TEA"), 70);
    assert_eq!(reloaded.reserved_totals().get("TEA"), Some(&30));
}
