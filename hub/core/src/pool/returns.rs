//! Returns on the pool's side (issue 15, item 6): a `Return` movement
//! scanned at the receiving desk adds its units to on-hand at once, at the
//! location the desk chose (resaleable units to a bin, where they are
//! available again; damaged ones to a quarantine location, counted but
//! never available: [`super::is_quarantine`]), and its order records the
//! return. No nightly batch: the group that applies the scan commits it.
//!
//! A return naming an order the hub does not know, or more units of a SKU
//! than the order shipped, is still applied (the units are on the shelf)
//! but raises an alert for a person to look at.

use crate::alerts::AlertKind;
use crate::orders::model::{OrderReturn, Transition};
use crate::pool::Pool;
use protocol::{Movement, ReturnRef};

impl Pool {
    /// Records a return scan on its order (the stock was applied already).
    pub(crate) fn return_scan(&mut self, m: &Movement, now: u64) {
        let Some(reference) = m.task.as_deref().and_then(|t| ReturnRef::parse(t).ok()) else {
            // Validation refuses such a movement; nothing to record.
            return;
        };
        let record = OrderReturn {
            sku: m.sku.clone(),
            quantity: m.quantity,
            reason: reference.reason.as_str().to_string(),
            location: m.location.clone(),
            at_ms: now,
        };
        // A return usually names a shipped order, out of memory by now.
        if let Err(why) = self.orders.book.recall(reference.order) {
            let problem = format!("order {} could not be read: {why}", reference.order);
            self.return_mismatch(m, reference.order, problem, now);
            return;
        }
        let customer = self
            .orders
            .book
            .get(reference.order)
            .map(|o| o.customer.customer_key.clone());
        let problem = match self.orders.book.edit(reference.order) {
            None => Some(format!("order {} is not known here", reference.order)),
            Some(order) => {
                let ordered: i64 = order
                    .lines
                    .iter()
                    .filter(|l| l.sku == m.sku)
                    .map(|l| l.quantity)
                    .sum();
                let back: i64 = order
                    .returns
                    .iter()
                    .filter(|r| r.sku == m.sku)
                    .map(|r| r.quantity)
                    .sum();
                let note = format!("{} x {} returned ({})", m.quantity, m.sku, record.reason);
                order.returns.push(record);
                let now_back = back + m.quantity;
                let state = order.state;
                order.history.push(Transition {
                    state,
                    at_ms: now,
                    note,
                });
                (now_back > ordered).then(|| {
                    format!(
                        "order {} returned {now_back} of {} but had {ordered}",
                        reference.order, m.sku
                    )
                })
            }
        };
        if let Some(key) = customer {
            self.derive_return_tags(&key, now);
        }
        if let Some(problem) = problem {
            self.return_mismatch(m, reference.order, problem, now);
        }
    }

    fn return_mismatch(&mut self, m: &Movement, order: u64, problem: String, now: u64) {
        let message = format!("return at {}: {problem}", m.location);
        let subject = format!("order:{order}");
        self.alerts.raise_about(
            AlertKind::ReturnMismatch,
            &m.sku,
            Some(&m.location),
            &subject,
            message,
            now,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::alerts::AlertKind;
    use crate::events::{EventRecord, StockKey};
    use crate::orders::{OrderCustomer, OrderLine, OrderRules, Service};
    use crate::pool::orders::OrderIntake;
    use crate::pool::Pool;
    use protocol::{EventBatch, Movement, MovementKind};
    use std::collections::HashMap;

    const NO_LOG: &Vec<EventRecord> = &Vec::new();

    /// Places a paid order `id` of `quantity` MUG for customer `c-1`.
    fn place(pool: &mut Pool, id: &str, quantity: i64) -> u64 {
        let intake = OrderIntake {
            platform: "own".into(),
            platform_order_id: id.into(),
            channel: "web".into(),
            service: Service::Standard,
            paid: true,
            customer: OrderCustomer {
                customer_key: "c-1".into(),
                ..OrderCustomer::default()
            },
            wrapped_key: Some(vec![1]),
            lines: vec![OrderLine {
                sku: "MUG".into(),
                quantity,
            }],
            tags: Vec::new(),
            problems: Vec::new(),
            fixes: Vec::new(),
        };
        pool.place_order(intake, 1).expect("order").order.id
    }

    #[test]
    fn a_customer_with_returns_on_three_orders_is_tagged_frequent_returns() {
        let (mut pool, first) = pool_with_order();
        let ids = [
            first,
            place(&mut pool, "R-2", 1),
            place(&mut pool, "R-3", 1),
        ];
        for (i, id) in ids.iter().enumerate() {
            let tagged = pool
                .customer("c-1")
                .expect("read")
                .is_some_and(|c| c.tags.iter().any(|t| t == "frequent_returns"));
            assert!(!tagged, "tagged after {i} returns");
            let task = format!("return:{id}:unwanted");
            pool.apply_batch(&returned(i as u64 + 1, "A-02", 1, &task), 10, NO_LOG);
        }
        let customer = pool.customer("c-1").expect("read").expect("customer");
        assert!(
            customer.tags.iter().any(|t| t == "frequent_returns"),
            "{:?}",
            customer.tags
        );
    }

    fn pool_with_order() -> (Pool, u64) {
        let key = StockKey {
            sku: "MUG".into(),
            location: "A-01".into(),
            lot: String::new(),
        };
        let mut pool = Pool::from_parts(HashMap::from([(key, 5)]), HashMap::new(), 1, 1);
        pool.set_order_rules(OrderRules {
            site: "site-1".into(),
            ..OrderRules::default()
        });
        let id = place(&mut pool, "R-1", 2);
        (pool, id)
    }

    fn returned(seq: u64, location: &str, qty: i64, task: &str) -> EventBatch {
        EventBatch {
            site: "site-1".into(),
            device: "desk".into(),
            epoch: 1,
            first_seq: seq,
            movements: vec![Movement {
                seq,
                kind: MovementKind::Return,
                sku: "MUG".into(),
                location: location.into(),
                to_location: None,
                lot: None,
                quantity: qty,
                device_time_ms: 0,
                task: Some(task.into()),
            }],
            auth_tag: None,
        }
    }

    #[test]
    fn resaleable_units_are_available_at_once_and_damaged_ones_never() {
        let (mut pool, id) = pool_with_order();
        let before = pool.available("MUG");
        let ok = pool.apply_batch(
            &returned(1, "A-02", 1, &format!("return:{id}:resaleable")),
            10,
            NO_LOG,
        );
        assert_eq!(ok.ack_through(), Some(1));
        assert_eq!(pool.available("MUG"), before + 1);
        pool.apply_batch(
            &returned(2, "QUAR-1", 1, &format!("return:{id}:damaged")),
            11,
            NO_LOG,
        );
        assert_eq!(
            pool.available("MUG"),
            before + 1,
            "quarantined units are not available"
        );
        let availability = pool.availability("MUG").expect("known");
        let quarantine = availability
            .locations
            .iter()
            .find(|l| l.location == "QUAR-1")
            .expect("listed");
        assert_eq!((quarantine.on_hand, quarantine.available), (1, 0));
        // Suggestions never send a picker to quarantine.
        let picks = pool.pick_suggestions("MUG", 20).unwrap_or_default();
        assert!(picks.iter().all(|a| a.location != "QUAR-1"), "{picks:?}");
        let order = pool.order(id).expect("order");
        let reasons: Vec<&str> = order.returns.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(reasons, ["resaleable", "damaged"]);
        // A reload from the store keeps quarantine out of available.
        let stock_total: i64 = availability.locations.iter().map(|l| l.on_hand).sum();
        assert_eq!(availability.on_hand, stock_total);
    }

    #[test]
    fn a_return_of_an_unknown_order_or_too_many_units_is_kept_and_alerted() {
        let (mut pool, id) = pool_with_order();
        pool.apply_batch(
            &returned(1, "A-02", 3, &format!("return:{id}:unwanted")),
            10,
            NO_LOG,
        );
        pool.apply_batch(&returned(2, "A-02", 1, "return:999:unwanted"), 11, NO_LOG);
        assert!(pool.available("MUG") >= 4, "the units are on the shelf");
        let changes = pool.take_changes();
        let kinds: Vec<AlertKind> = changes.alerts.iter().map(|(_, a)| a.kind).collect();
        assert_eq!(
            kinds
                .iter()
                .filter(|k| **k == AlertKind::ReturnMismatch)
                .count(),
            2,
            "{kinds:?}"
        );
    }
}
