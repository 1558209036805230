//! Orders, customers, the access audit and channel allocations in the
//! store: `o` + order id, `c` + customer key (the keyed hash), `u` + audit
//! entry id, `g` + allocation id, and the index of final orders
//! ([`crate::store::order_index`]). Written in the group commit that
//! changed them. Open orders and every customer are loaded into the
//! writer at start; final orders (shipped, cancelled) stay here, where the
//! writer reads them back when a command needs one; the API reads them
//! all from here.

use crate::allocations::Allocation;
use crate::orders::{AuditEntry, Customer, Order, OrderState};
use crate::store::codec::{decode, encode, id_key, prefixed};
use crate::store::{Store, StoreError};

/// What `GET /api/v1/orders` asks for.
#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    /// Only orders in this state.
    pub state: Option<OrderState>,
    /// Only orders changed at or after this time (ms).
    pub since_ms: Option<u64>,
    /// Only orders with an id above this (the previous page's last).
    pub after_id: u64,
    /// At most this many.
    pub limit: usize,
}

/// Puts a group's orders (with the index of final ones), customers and
/// audit entries into its batch.
pub(crate) fn write(
    tree: &sled::Tree,
    batch: &mut sled::Batch,
    changes: &crate::changes::Changes,
) -> Result<(), StoreError> {
    crate::store::order_index::write(tree, batch, &changes.orders)?;
    for order in &changes.orders {
        batch.insert(id_key(b'o', order.id), encode(order));
    }
    // Removals first: were a record both removed and written in one group
    // (the book keeps the two apart), the write would win, never a loss.
    for key in &changes.removed_customers {
        batch.remove(prefixed(b'c', key.as_bytes()));
    }
    for customer in &changes.customers {
        batch.insert(prefixed(b'c', customer.key.as_bytes()), encode(customer));
    }
    for (id, entry) in &changes.audits {
        batch.insert(id_key(b'u', *id), encode(entry));
    }
    for allocation in &changes.allocations {
        batch.insert(id_key(b'g', allocation.id), encode(allocation));
    }
    Ok(())
}

impl Store {
    /// Every stored order, by id, read one at a time.
    pub fn each_order(&self) -> impl Iterator<Item = Result<Order, StoreError>> + '_ {
        self.tree.scan_prefix([b'o']).map(|item| {
            let (k, v) = item?;
            decode(&k, &v)
        })
    }

    /// The open (not final) orders, by id: what the writer holds.
    pub fn open_orders(&self) -> Result<Vec<Order>, StoreError> {
        let mut out = Vec::new();
        for order in self.each_order() {
            let order = order?;
            if !order.state.is_final() {
                out.push(order);
            }
        }
        Ok(out)
    }

    /// Keys of the customers whose last order is older than `before_ms`
    /// and whose data key still exists (a walk over every customer: the
    /// writer's hourly archive check).
    pub fn inactive_customer_keys(&self, before_ms: u64) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix([b'c']) {
            let (k, v) = item?;
            let customer: Customer = decode(&k, &v)?;
            if customer.last_ms < before_ms && customer.wrapped_key.is_some() {
                out.push(customer.key);
            }
        }
        Ok(out)
    }

    /// One customer by key.
    pub fn customer(&self, key: &str) -> Result<Option<Customer>, StoreError> {
        let k = prefixed(b'c', key.as_bytes());
        self.tree.get(&k)?.map(|v| decode(&k, &v)).transpose()
    }

    /// One order.
    pub fn order(&self, id: u64) -> Result<Option<Order>, StoreError> {
        self.record(b'o', id)
    }

    /// A page of orders in id order.
    pub fn orders(&self, query: &OrderQuery) -> Result<Vec<Order>, StoreError> {
        let start = id_key(b'o', query.after_id.saturating_add(1));
        let mut out = Vec::new();
        for item in self.tree.range(start..id_key(b'o', u64::MAX)) {
            let (k, v) = item?;
            let order: Order = decode(&k, &v)?;
            let state_ok = query.state.is_none_or(|s| s == order.state);
            let since_ok = query.since_ms.is_none_or(|t| order.updated_ms >= t);
            if state_ok && since_ok {
                out.push(order);
                if out.len() >= query.limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Every stored channel allocation, by id.
    pub fn allocations(&self) -> Result<Vec<Allocation>, StoreError> {
        Ok(self
            .records::<Allocation>(b'g')?
            .into_iter()
            .map(|(_, a)| a)
            .collect())
    }

    /// Every order received in `[start_ms, end_ms)`, by id (the weekly
    /// reports; a scan of every order, holding only the matches).
    pub fn orders_received(&self, start_ms: u64, end_ms: u64) -> Result<Vec<Order>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix([b'o']) {
            let (k, v) = item?;
            let order: Order = decode(&k, &v)?;
            if (start_ms..end_ms).contains(&order.created_ms) {
                out.push(order);
            }
        }
        Ok(out)
    }

    /// The newest audit entries first, at most `limit`.
    pub fn audit_entries(&self, limit: usize) -> Result<Vec<(u64, AuditEntry)>, StoreError> {
        self.newest(b'u', limit, |_: &AuditEntry| true)
    }
}
