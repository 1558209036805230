//! The pool's side of final orders that left memory (see
//! [`crate::orders::archive`]): attaching the archive, recalling an order
//! for the group that needs it, and keeping the tracking index to the
//! orders held.

use crate::errors::PoolError;
use crate::orders::model::Order;
use crate::orders::{Customer, OrderArchive};
use crate::pool::Pool;
use std::sync::Arc;

/// A failed archive read, as the pool refuses the command.
pub(crate) fn archive_error(why: String) -> PoolError {
    PoolError::OrderArchive(why)
}

impl Pool {
    /// Reads committed final orders from `archive` from now on: they leave
    /// memory once committed, and the commands that still touch one find it
    /// there. The hub attaches its store when it loads the pool.
    pub fn set_order_archive(&mut self, archive: Arc<dyn OrderArchive>) {
        self.orders.book.set_archive(archive);
        let book = &self.orders.book;
        self.by_tracking.retain(|_, id| book.get(*id).is_some());
    }

    /// A customer by keyed hash, brought back from the archive (until the
    /// group's commit) if it left memory.
    pub fn customer(&mut self, key: &str) -> Result<Option<&Customer>, PoolError> {
        if !self
            .orders
            .book
            .recall_customer(key)
            .map_err(archive_error)?
        {
            return Ok(None);
        }
        Ok(self.orders.book.customer(key))
    }

    /// One order, brought back from the archive (until the group's
    /// commit) if it left memory.
    pub fn recall_order(&mut self, id: u64) -> Result<Option<&Order>, PoolError> {
        if !self.orders.book.recall(id).map_err(archive_error)? {
            return Ok(None);
        }
        Ok(self.orders.book.get(id))
    }

    /// The order a (platform, platform order id) was taken in as, open or
    /// final.
    pub fn order_by_platform(
        &mut self,
        platform: &str,
        platform_order_id: &str,
    ) -> Result<Option<&Order>, PoolError> {
        let id = self
            .orders
            .book
            .find_by_platform(platform, platform_order_id)
            .map_err(archive_error)?;
        Ok(id.and_then(|id| self.orders.book.get(id)))
    }

    /// Ids of every order of one customer, final ones brought back until
    /// the group's commit.
    pub fn orders_of_customer(&mut self, key: &str) -> Result<Vec<u64>, PoolError> {
        self.orders
            .book
            .recall_orders_of(key)
            .map_err(archive_error)
    }

    /// The order `id` for a command that changes it (a copy to put back).
    pub(crate) fn order_to_change(&mut self, id: u64) -> Result<Order, PoolError> {
        self.recall_order(id)?
            .cloned()
            .ok_or(PoolError::OrderNotFound(id))
    }

    /// The order whose label carries `tracking`: an open one from the
    /// tracking index, a shipped one from the archive.
    pub(crate) fn order_by_tracking(&mut self, tracking: &str) -> Result<Option<u64>, String> {
        if let Some(&id) = self.by_tracking.get(tracking) {
            return Ok(Some(id));
        }
        self.orders.book.find_by_tracking(tracking)
    }

    /// After a take: orders that left memory leave the tracking index.
    pub(crate) fn forget_tracking(&mut self, taken: &[Order]) {
        if !self.orders.book.has_archive() {
            return;
        }
        for order in taken.iter().filter(|o| o.state.is_final()) {
            if let Some(shipment) = &order.shipment {
                self.by_tracking.remove(&shipment.tracking);
            }
        }
    }
}
