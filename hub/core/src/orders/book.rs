//! The orders the writer holds, their (platform, platform order id) index
//! that makes intake idempotent, the customers they belong to, and what
//! changed since the last commit.
//!
//! With an archive attached ([`OrderBook::set_archive`]: the hub's store)
//! the book holds open orders only: a final order leaves at the
//! [`OrderBook::take_changes`] that hands it to the store, and is
//! recalled from the archive, for one group, by the commands that still
//! touch it; customers likewise leave at every take, and come back for the
//! group that needs one. Without an archive (tests, the simulator) every
//! order and customer stays.

use super::archive::{Archive, OrderArchive};
use super::model::{Order, OrderState};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// One person, across platforms: found by the keyed hash of their
/// normalised phone, never by the phone itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// The keyed hash.
    pub key: String,
    /// The customer's data key, wrapped by the hub's master key; `None`
    /// once archived (the key destroyed, the personal data unreadable).
    pub wrapped_key: Option<Vec<u8>>,
    /// Tags (VIP, frequent returns, remote region, ...).
    pub tags: Vec<String>,
    /// Orders placed.
    pub orders: u64,
    /// First order, ms.
    pub first_ms: u64,
    /// Latest order, ms.
    pub last_ms: u64,
}

impl Customer {
    /// Whether the customer's orders are treated as express.
    pub fn is_vip(&self) -> bool {
        self.tags.iter().any(|t| t.eq_ignore_ascii_case("vip"))
    }
}

/// Orders and customers, in memory, with their pending changes.
#[derive(Debug, Default)]
pub struct OrderBook {
    orders: BTreeMap<u64, Order>,
    by_platform: HashMap<(String, String), u64>,
    customers: HashMap<String, Customer>,
    next_id: u64,
    changed: BTreeSet<u64>,
    changed_customers: BTreeSet<String>,
    /// Removed since the last take: the store still holds them until the
    /// commit, so they are never recalled from it meanwhile.
    removed_customers: BTreeSet<String>,
    /// Where committed final orders are found again.
    archive: Option<Archive>,
    /// Orders brought back from the archive since the last take.
    recalled: BTreeSet<u64>,
}

impl OrderBook {
    /// A book holding the stored orders and customers.
    pub fn load(orders: Vec<Order>, customers: Vec<Customer>, next_id: u64) -> OrderBook {
        let mut book = OrderBook {
            next_id: next_id.max(1),
            ..OrderBook::default()
        };
        for order in orders {
            book.next_id = book.next_id.max(order.id + 1);
            book.by_platform.insert(
                (order.platform.clone(), order.platform_order_id.clone()),
                order.id,
            );
            book.orders.insert(order.id, order);
        }
        for c in customers {
            book.customers.insert(c.key.clone(), c);
        }
        book
    }

    /// The order a (platform, platform order id) pair was taken in as.
    pub fn by_platform(&self, platform: &str, platform_order_id: &str) -> Option<&Order> {
        let id = self
            .by_platform
            .get(&(platform.to_string(), platform_order_id.to_string()))?;
        self.orders.get(id)
    }

    /// One order.
    pub fn get(&self, id: u64) -> Option<&Order> {
        self.orders.get(&id)
    }

    /// One order, to change; marks it changed.
    pub fn edit(&mut self, id: u64) -> Option<&mut Order> {
        let order = self.orders.get_mut(&id)?;
        self.changed.insert(id);
        Some(order)
    }

    /// Every order, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Order> {
        self.orders.values()
    }

    /// Ids of orders in `state`.
    pub fn ids_in(&self, state: OrderState) -> Vec<u64> {
        self.orders
            .values()
            .filter(|o| o.state == state)
            .map(|o| o.id)
            .collect()
    }

    /// The id the next order gets.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// Adds a new order (its id must be [`OrderBook::next_id`]).
    pub fn insert(&mut self, order: Order) {
        self.next_id = self.next_id.max(order.id + 1);
        self.by_platform.insert(
            (order.platform.clone(), order.platform_order_id.clone()),
            order.id,
        );
        self.changed.insert(order.id);
        self.orders.insert(order.id, order);
    }

    /// Puts a changed order back; returns it.
    pub fn put(&mut self, order: Order) -> Order {
        self.changed.insert(order.id);
        self.orders.insert(order.id, order.clone());
        order
    }

    /// A customer by keyed hash.
    pub fn customer(&self, key: &str) -> Option<&Customer> {
        self.customers.get(key)
    }

    /// A customer to change (created empty when new, after a look in the
    /// archive: see [`OrderBook::recall_customer`]); marks it changed. An
    /// unreadable archive refuses, never creating a second record.
    pub fn customer_mut(&mut self, key: &str, now: u64) -> Result<&mut Customer, String> {
        self.recall_customer(key)?;
        // A record removed earlier in the group and made again is kept.
        self.removed_customers.remove(key);
        self.changed_customers.insert(key.to_string());
        Ok(self
            .customers
            .entry(key.to_string())
            .or_insert_with(|| Customer {
                key: key.to_string(),
                wrapped_key: None,
                tags: Vec::new(),
                orders: 0,
                first_ms: now,
                last_ms: now,
            }))
    }

    /// Makes customer `key` available to [`OrderBook::customer`] until the
    /// next take, bringing it back from the archive if it left; false when
    /// no such customer exists.
    pub fn recall_customer(&mut self, key: &str) -> Result<bool, String> {
        if self.customers.contains_key(key) {
            return Ok(true);
        }
        if self.removed_customers.contains(key) {
            return Ok(false);
        }
        let Some(archive) = &self.archive else {
            return Ok(false);
        };
        let Some(customer) = archive.0.customer(key)? else {
            return Ok(false);
        };
        self.customers.insert(key.to_string(), customer);
        Ok(true)
    }

    /// How many customers the book holds now (with an archive: those
    /// commands touched since the last take).
    pub fn customers_held(&self) -> usize {
        self.customers.len()
    }

    /// Removes a customer record (merged into another).
    pub fn remove_customer(&mut self, key: &str) -> Result<(), String> {
        self.recall_customer(key)?;
        if self.customers.remove(key).is_some() {
            self.changed_customers.remove(key);
            self.removed_customers.insert(key.to_string());
        }
        Ok(())
    }

    /// Customer records removed since the last call.
    pub fn take_removed_customers(&mut self) -> Vec<String> {
        std::mem::take(&mut self.removed_customers)
            .into_iter()
            .collect()
    }

    /// Ids of the orders of one customer.
    pub fn orders_of(&self, key: &str) -> Vec<u64> {
        self.orders
            .values()
            .filter(|o| o.customer.customer_key == key)
            .map(|o| o.id)
            .collect()
    }

    /// Customers whose last order is older than `before_ms` and whose key
    /// still exists: those held and, with an archive, those stored, each
    /// as the book would see it now.
    pub fn inactive_customers(&mut self, before_ms: u64) -> Result<Vec<String>, String> {
        let mut keys: BTreeSet<String> = self.customers.keys().cloned().collect();
        if let Some(archive) = &self.archive {
            keys.extend(archive.0.inactive_customers(before_ms)?);
        }
        let mut out = Vec::new();
        for key in keys {
            self.recall_customer(&key)?;
            let inactive = self
                .customers
                .get(&key)
                .is_some_and(|c| c.last_ms < before_ms && c.wrapped_key.is_some());
            if inactive {
                out.push(key);
            }
        }
        Ok(out)
    }

    /// Orders and customers changed since the last call, and the next id.
    /// With an archive, final orders then leave memory (the store keeps
    /// them): those handed over now and those recalled since the last call.
    pub fn take_changes(&mut self) -> (Vec<Order>, Vec<Customer>, u64) {
        let changed = std::mem::take(&mut self.changed);
        let orders = changed
            .iter()
            .filter_map(|id| self.orders.get(id).cloned())
            .collect();
        let customers = std::mem::take(&mut self.changed_customers)
            .into_iter()
            .filter_map(|k| self.customers.get(&k).cloned())
            .collect();
        let recalled = std::mem::take(&mut self.recalled);
        if self.archive.is_some() {
            // Every changed customer was taken above; the store has them.
            self.customers.clear();
            for id in changed.union(&recalled) {
                if self.orders.get(id).is_some_and(|o| o.state.is_final()) {
                    self.forget(*id);
                }
            }
        }
        (orders, customers, self.next_id)
    }
}

/// The archive's side of the book: recalling final orders that left.
impl OrderBook {
    /// Reads final orders from `archive` from now on; final orders held
    /// and already handed over leave memory at once.
    pub fn set_archive(&mut self, archive: Arc<dyn OrderArchive>) {
        self.archive = Some(Archive(archive));
        let done: Vec<u64> = self
            .orders
            .values()
            .filter(|o| o.state.is_final() && !self.changed.contains(&o.id))
            .map(|o| o.id)
            .collect();
        for id in done {
            self.forget(id);
        }
        let changed = &self.changed_customers;
        self.customers.retain(|key, _| changed.contains(key));
    }

    /// Whether final orders leave memory once committed.
    pub fn has_archive(&self) -> bool {
        self.archive.is_some()
    }

    /// Makes order `id` available to [`OrderBook::get`] and
    /// [`OrderBook::edit`] until the next take, bringing it back from the
    /// archive if it left; false when no such order exists.
    pub fn recall(&mut self, id: u64) -> Result<bool, String> {
        if self.orders.contains_key(&id) {
            return Ok(true);
        }
        let Some(archive) = &self.archive else {
            return Ok(false);
        };
        let Some(order) = archive.0.order(id)? else {
            return Ok(false);
        };
        self.by_platform.insert(
            (order.platform.clone(), order.platform_order_id.clone()),
            order.id,
        );
        self.orders.insert(id, order);
        self.recalled.insert(id);
        Ok(true)
    }

    /// The order a (platform, platform order id) pair was taken in as,
    /// recalled if it left memory.
    pub fn find_by_platform(
        &mut self,
        platform: &str,
        platform_order_id: &str,
    ) -> Result<Option<u64>, String> {
        if let Some(order) = self.by_platform(platform, platform_order_id) {
            return Ok(Some(order.id));
        }
        let Some(archive) = &self.archive else {
            return Ok(None);
        };
        match archive.0.order_by_platform(platform, platform_order_id)? {
            Some(id) if self.recall(id)? => Ok(Some(id)),
            _ => Ok(None),
        }
    }

    /// The final order whose label carries `tracking`, recalled (open
    /// orders are the pool's tracking index's).
    pub fn find_by_tracking(&mut self, tracking: &str) -> Result<Option<u64>, String> {
        let Some(archive) = &self.archive else {
            return Ok(None);
        };
        match archive.0.order_by_tracking(tracking)? {
            Some(id) if self.recall(id)? => Ok(Some(id)),
            _ => Ok(None),
        }
    }

    /// Ids of every order of one customer, final ones recalled.
    pub fn recall_orders_of(&mut self, key: &str) -> Result<Vec<u64>, String> {
        let archived = match &self.archive {
            Some(archive) => archive.0.orders_of_customer(key)?,
            None => Vec::new(),
        };
        for (id, _) in &archived {
            self.recall(*id)?;
        }
        Ok(self.orders_of(key))
    }

    /// How many orders of one customer had units come back, memory and
    /// archive together.
    pub fn returned_orders_of(&self, key: &str) -> Result<usize, String> {
        let held = self
            .orders
            .values()
            .filter(|o| o.customer.customer_key == key && !o.returns.is_empty())
            .count();
        let archived = match &self.archive {
            Some(archive) => archive.0.orders_of_customer(key)?,
            None => Vec::new(),
        };
        let more = archived
            .iter()
            .filter(|(id, returned)| *returned && !self.orders.contains_key(id))
            .count();
        Ok(held + more)
    }

    /// Drops a committed final order from memory.
    fn forget(&mut self, id: u64) {
        let Some(order) = self.orders.remove(&id) else {
            return;
        };
        let pair = (order.platform, order.platform_order_id);
        if self.by_platform.get(&pair) == Some(&id) {
            self.by_platform.remove(&pair);
        }
    }
}
