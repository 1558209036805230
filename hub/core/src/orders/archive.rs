//! Where the orders that left the writer's memory are found again.
//!
//! Why they leave: an order's life ends (shipped, cancelled: see
//! [`OrderState::is_final`](super::model::OrderState::is_final)) and then
//! almost nothing happens to it, but a hub takes thousands of orders a
//! day, so a book that kept every order would grow for the hub's whole
//! life. Once a final order is committed
//! it leaves the [`OrderBook`](super::OrderBook) (exactly what a start
//! would not load), and the few commands that still touch it (a resent
//! order, a return, a late payment or cancel, a customer merge, a second
//! `ship` scan) find it through an [`OrderArchive`]: the hub's store, or
//! [`ArchiveInMemory`] in tests. The core reads through the trait and
//! never does I/O itself, as the event log is read through
//! [`AppliedLog`](crate::events::AppliedLog).
//!
//! Customers leave the same way, for the same reason (a hub sees a new
//! customer with most orders): with an archive, the book holds a customer
//! only from the moment a command needs it to the commit that stores it,
//! and every command finds it through the archive first, so none can make
//! a second record for a customer who has one.

use super::model::Order;
use super::Customer;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Committed final orders, found by id and by what names them from
/// outside. An error (the store cannot be read) is described for people;
/// the command that needed the order is then refused, never applied as if
/// the order did not exist.
pub trait OrderArchive: Send + Sync {
    /// One committed order.
    fn order(&self, id: u64) -> Result<Option<Order>, String>;

    /// The final order a (platform, platform order id) pair was taken in as.
    fn order_by_platform(
        &self,
        platform: &str,
        platform_order_id: &str,
    ) -> Result<Option<u64>, String>;

    /// The final order whose label carries `tracking`.
    fn order_by_tracking(&self, tracking: &str) -> Result<Option<u64>, String>;

    /// The final orders of a customer (keyed hash): (id, whether units of
    /// it came back).
    fn orders_of_customer(&self, key: &str) -> Result<Vec<(u64, bool)>, String>;

    /// One committed customer record, by keyed hash.
    fn customer(&self, key: &str) -> Result<Option<Customer>, String>;

    /// Keys of the committed customers whose last order is older than
    /// `before_ms` and whose data key still exists.
    fn inactive_customers(&self, before_ms: u64) -> Result<Vec<String>, String>;
}

/// The archive a book reads, shared with whoever writes it.
#[derive(Clone)]
pub(crate) struct Archive(pub(crate) Arc<dyn OrderArchive>);

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Archive(..)")
    }
}

/// An archive in memory: what the tests and the simulator commit to, as
/// the hub commits to its store. Holds every order it is given, by id;
/// answers for final ones only, as the store's indexes do.
#[derive(Debug, Default)]
pub struct ArchiveInMemory {
    orders: Mutex<BTreeMap<u64, Order>>,
    customers: Mutex<BTreeMap<String, Customer>>,
}

impl ArchiveInMemory {
    /// Keeps `orders` (a group's committed orders), replacing older copies.
    pub fn commit(&self, orders: &[Order]) {
        let mut held = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        for order in orders {
            held.insert(order.id, order.clone());
        }
    }

    /// Keeps a group's committed customers and forgets its removed ones.
    pub fn commit_customers(&self, customers: &[Customer], removed: &[String]) {
        let mut held = self.customers.lock().unwrap_or_else(|p| p.into_inner());
        for customer in customers {
            held.insert(customer.key.clone(), customer.clone());
        }
        for key in removed {
            held.remove(key);
        }
    }

    /// How many orders it holds.
    pub fn len(&self) -> usize {
        self.orders.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn find(&self, keep: impl Fn(&Order) -> bool) -> Vec<Order> {
        let held = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        held.values()
            .filter(|o| o.state.is_final() && keep(o))
            .cloned()
            .collect()
    }
}

impl OrderArchive for ArchiveInMemory {
    fn order(&self, id: u64) -> Result<Option<Order>, String> {
        let held = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        Ok(held.get(&id).cloned())
    }

    fn order_by_platform(&self, platform: &str, id: &str) -> Result<Option<u64>, String> {
        let found = self.find(|o| o.platform == platform && o.platform_order_id == id);
        Ok(found.first().map(|o| o.id))
    }

    fn order_by_tracking(&self, tracking: &str) -> Result<Option<u64>, String> {
        let found = self.find(|o| o.shipment.as_ref().is_some_and(|s| s.tracking == tracking));
        Ok(found.first().map(|o| o.id))
    }

    fn orders_of_customer(&self, key: &str) -> Result<Vec<(u64, bool)>, String> {
        let found = self.find(|o| o.customer.customer_key == key);
        Ok(found
            .iter()
            .map(|o| (o.id, !o.returns.is_empty()))
            .collect())
    }

    fn customer(&self, key: &str) -> Result<Option<Customer>, String> {
        let held = self.customers.lock().unwrap_or_else(|p| p.into_inner());
        Ok(held.get(key).cloned())
    }

    fn inactive_customers(&self, before_ms: u64) -> Result<Vec<String>, String> {
        let held = self.customers.lock().unwrap_or_else(|p| p.into_inner());
        Ok(held
            .values()
            .filter(|c| c.last_ms < before_ms && c.wrapped_key.is_some())
            .map(|c| c.key.clone())
            .collect())
    }
}
