//! An order's life after intake, on the pool's side: payment (a held
//! order is allocated and routed; one whose hold ran out is held again),
//! a failed payment (the hold is released and the order waits as a
//! `payment_failed` exception, never blocking another order),
//! cancellation, an operator's resubmission, the end of an unpaid hold (from
//! the sweep), and the stuck-order check.

use crate::alerts::AlertKind;
use crate::errors::PoolError;
use crate::orders::model::{Order, OrderCustomer, OrderState, Reason};
use crate::pool::orders::STUCK_CHECK_EVERY_MS;
use crate::pool::Pool;

impl Pool {
    /// Marks an order paid: a held order is allocated and routed; one
    /// whose hold ran out is held again (or backordered). Paying a paid
    /// order changes nothing.
    pub fn order_paid(&mut self, id: u64, now: u64) -> Result<Order, PoolError> {
        self.sweep(now);
        let mut order = self.order_to_change(id)?;
        match order.state {
            OrderState::Held => self.pay_held(&mut order, now),
            OrderState::Exception if order.reservation.is_none() && !order.paid => {
                order.paid = true;
                if order
                    .exceptions
                    .iter()
                    .all(|r| PAYMENT_CODES.contains(&r.code.as_str()))
                {
                    order.exceptions.clear();
                    order.enter(OrderState::Validated, now, "paid after the hold ended");
                    self.hold_order(&mut order, now);
                }
            }
            s if order.paid && s != OrderState::Cancelled => {}
            s => return Err(wrong_state(id, s, "mark paid")),
        }
        Ok(self.orders.book.put(order))
    }

    /// Records that the buyer's payment failed (the platform or the payment
    /// provider said so): an unpaid order's hold is released and the order
    /// waits as a `payment_failed` exception with `reason`, until a later
    /// payment holds it again or an operator cancels it. A paid order's
    /// payment cannot fail afterwards (that is a refund: cancel it).
    pub fn order_payment_failed(
        &mut self,
        id: u64,
        reason: &str,
        now: u64,
    ) -> Result<Order, PoolError> {
        let mut order = self.order_to_change(id)?;
        let open_unpaid = !order.paid
            && matches!(
                order.state,
                OrderState::Received | OrderState::Validated | OrderState::Held
            );
        let unpaid_exception = !order.paid && order.state == OrderState::Exception;
        if !open_unpaid && !unpaid_exception {
            return Err(wrong_state(id, order.state, "mark payment failed"));
        }
        if let Some(rid) = order.reservation.take() {
            self.orders.by_hold.remove(&rid);
            // Already ended (expired) is fine: nothing to return.
            let _ = self.release(rid, now);
        }
        order.hold_until_ms = None;
        order.exceptions.retain(|r| r.code != "payment_timeout");
        order.exceptions.push(Reason::order(
            "payment_failed",
            format!("payment failed: {reason}; the stock was released"),
        ));
        order.enter(OrderState::Exception, now, "payment failed; stock released");
        Ok(self.orders.book.put(order))
    }

    /// The platform closed or cancelled a known order (the buyer did not
    /// pay, or cancelled): it is cancelled here too, its stock released at
    /// once instead of at the end of its hold. `None` when the order is not
    /// known. Cancelling a cancelled order changes nothing.
    pub fn cancel_on_platform(
        &mut self,
        platform: &str,
        platform_order_id: &str,
        status: &str,
        now: u64,
    ) -> Result<Option<Order>, PoolError> {
        let Some(order) = self.order_by_platform(platform, platform_order_id)? else {
            return Ok(None);
        };
        if order.state == OrderState::Cancelled {
            return Ok(Some(order.clone()));
        }
        let id = order.id;
        let note = format!("{status} on {platform}: cancelled; stock released");
        self.cancel_with_note(id, note, now).map(Some)
    }

    /// Cancels an order that has not shipped, releasing its stock.
    pub fn cancel_order(&mut self, id: u64, now: u64) -> Result<Order, PoolError> {
        self.cancel_with_note(id, "cancelled; stock released".into(), now)
    }

    fn cancel_with_note(&mut self, id: u64, note: String, now: u64) -> Result<Order, PoolError> {
        let mut order = self.order_to_change(id)?;
        // Exception comes after Labelled in the lifecycle's order, but an
        // order waits in exception only before it is labelled.
        let labelled = matches!(order.state, OrderState::Labelled | OrderState::Shipped);
        if order.state.is_final() || labelled {
            return Err(wrong_state(id, order.state, "cancel"));
        }
        if let Some(rid) = order.reservation.take() {
            self.orders.by_hold.remove(&rid);
            // Already ended (expired, picked) is fine: nothing to return.
            let _ = self.release(rid, now);
        }
        order.hold_until_ms = None;
        order.enter(OrderState::Cancelled, now, note);
        let order = self.orders.book.put(order);
        self.cancel_tasks(id, now);
        Ok(order)
    }

    /// Sends an order in exception through the checks again, with what an
    /// operator corrected (`problems` are the cleaner's new findings).
    pub fn resubmit_order(
        &mut self,
        id: u64,
        correction: Option<(OrderCustomer, Vec<String>)>,
        problems: Vec<Reason>,
        now: u64,
    ) -> Result<Order, PoolError> {
        let mut order = self.order_to_change(id)?;
        if order.state != OrderState::Exception {
            return Err(wrong_state(id, order.state, "resubmit"));
        }
        if let Some((customer, fixes)) = correction {
            order.customer = customer;
            order.fixes = fixes;
        }
        if problems.is_empty() {
            order.exceptions.clear();
            order.enter(OrderState::Validated, now, "resubmitted by an operator");
            if let Some(rid) = order.reservation.take() {
                self.orders.by_hold.remove(&rid);
                let _ = self.release(rid, now);
            }
            self.hold_order(&mut order, now);
        } else {
            let note = format!("resubmitted; {} problem(s) remain", problems.len());
            order.exceptions = problems;
            order.enter(OrderState::Exception, now, note);
        }
        Ok(self.orders.book.put(order))
    }

    /// Called by the sweep for each expired reservation: an unpaid order
    /// whose hold ran out waits as a `payment_timeout` exception.
    pub(crate) fn order_hold_ended(&mut self, reservation: u64, now: u64) {
        let Some(id) = self.orders.by_hold.remove(&reservation) else {
            return;
        };
        let Some(order) = self.orders.book.edit(id) else {
            return;
        };
        if order.state != OrderState::Held || order.reservation != Some(reservation) {
            return;
        }
        order.reservation = None;
        order.hold_until_ms = None;
        order.exceptions = vec![Reason::order(
            "payment_timeout",
            "payment did not arrive within the hold; the stock was released",
        )];
        order.enter(
            OrderState::Exception,
            now,
            "hold ended unpaid; stock released",
        );
    }

    /// Raises one stuck-order alert for each order that has not changed
    /// state for the rules' `stuck_after_ms`; returns how many.
    /// Looks at most once per [`STUCK_CHECK_EVERY_MS`] (it walks every
    /// order; the sweeper calls it several times a second).
    pub fn flag_stuck_orders(&mut self, now: u64) -> usize {
        if now < self.orders.next_stuck_check_ms {
            return 0;
        }
        self.orders.next_stuck_check_ms = now + STUCK_CHECK_EVERY_MS;
        let after = self.orders.rules.stuck_after_ms;
        let stuck: Vec<u64> = self
            .orders
            .book
            .iter()
            .filter(|o| !o.state.is_final() && !o.stuck_alerted)
            // Handed over and taken in: the other site's hub watches it.
            .filter(|o| o.handoff.as_ref().is_none_or(|h| h.remote_id.is_none()))
            .filter(|o| o.updated_ms.saturating_add(after) <= now)
            .map(|o| o.id)
            .collect();
        for &id in &stuck {
            let Some(order) = self.orders.book.edit(id) else {
                continue;
            };
            order.stuck_alerted = true;
            let (state, since) = (order.state.as_str(), order.updated_ms);
            let message = format!("order {id} has been {state} since {since} ms");
            order
                .exceptions
                .push(Reason::order("stuck", message.clone()));
            let sku = order
                .lines
                .first()
                .map_or("", |l| l.sku.as_str())
                .to_string();
            let subject = format!("order:{id}");
            self.alerts
                .raise_about(AlertKind::StuckOrder, &sku, None, &subject, message, now);
        }
        stuck.len()
    }
}

/// Exception codes that a later payment clears.
const PAYMENT_CODES: [&str; 2] = ["payment_timeout", "payment_failed"];

fn wrong_state(id: u64, state: OrderState, action: &'static str) -> PoolError {
    PoolError::OrderWrongState {
        id,
        state: state.as_str(),
        action,
    }
}
