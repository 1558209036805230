//! Orders handed over to another site (issue 18): this site could not
//! hold the stock and another site's published stock fills every line, so
//! the order waits as a `handoff_pending` exception while the shell sends
//! it to that site's hub, and again until that hub answers. Taken in
//! there (its stock held before it answers), the order here is routed to
//! that site and names its order id there; refused, it is a backorder.

use crate::errors::PoolError;
use crate::orders::model::{Order, OrderState};
use crate::pool::Pool;

impl Pool {
    /// Orders waiting for another site's hub: (order, site).
    pub fn pending_handoffs(&self) -> Vec<(u64, String)> {
        self.orders
            .book
            .iter()
            .filter(|o| o.state == OrderState::Exception)
            .filter_map(|o| match &o.handoff {
                Some(h) if h.remote_id.is_none() => Some((o.id, h.site.clone())),
                _ => None,
            })
            .collect()
    }

    /// `site`'s hub took order `id` in as its order `remote_id`: the order
    /// is routed there. A repeated answer changes nothing.
    pub fn handoff_accepted(
        &mut self,
        id: u64,
        site: &str,
        remote_id: u64,
        now: u64,
    ) -> Result<Order, PoolError> {
        let mut order = self.handed_to(id, site)?;
        let Some(handoff) = order.handoff.as_mut() else {
            return Err(PoolError::Invalid(format!(
                "order {id} was not handed over"
            )));
        };
        match handoff.remote_id {
            Some(known) if known == remote_id => return Ok(order),
            Some(known) => {
                return Err(PoolError::Invalid(format!(
                    "order {id} is already order {known} at {site}"
                )))
            }
            None => handoff.remote_id = Some(remote_id),
        }
        order.exceptions.clear();
        order.site = site.to_string();
        let note = format!("taken in by site {site} as its order {remote_id}, stock held there");
        order.route_reason = format!("{note}; {}", order.route_reason);
        order.enter(OrderState::Routed, now, note);
        Ok(self.orders.book.put(order))
    }

    /// `site`'s hub refused order `id`: a backorder here, with its reason.
    pub fn handoff_refused(
        &mut self,
        id: u64,
        site: &str,
        reason: &str,
        now: u64,
    ) -> Result<Order, PoolError> {
        let mut order = self.handed_to(id, site)?;
        if order
            .handoff
            .as_ref()
            .is_some_and(|h| h.remote_id.is_some())
        {
            return Ok(order);
        }
        order.handoff = None;
        let why = format!("site {site} refused the handover: {reason}");
        self.backorder(&mut order, now, why);
        Ok(self.orders.book.put(order))
    }

    /// Order `id`, if it was handed over to `site`.
    fn handed_to(&mut self, id: u64, site: &str) -> Result<Order, PoolError> {
        let order = self.order_to_change(id)?;
        if order.handoff.as_ref().is_some_and(|h| h.site == site) {
            Ok(order)
        } else {
            Err(PoolError::Invalid(format!(
                "order {id} was not handed over to site {site}"
            )))
        }
    }
}
