//! Where final orders are found once they left the writer's memory: the
//! store's indexes of them, and the [`OrderArchive`] the writer's pool
//! reads through (see `hub_core::orders::archive` for why they leave).
//!
//! | key                                            | value (i64)                  |
//! |------------------------------------------------|------------------------------|
//! | `O` `p` platform 0x00 platform order id        | the order's id               |
//! | `O` `t` tracking number                        | the (shipped) order's id     |
//! | `O` `c` customer key 0x00 order id (u64 BE)    | 1 if units came back, else 0 |
//! | `m` `order_index`                              | 1: every final order is indexed |
//!
//! Written in the group commit that stores a final order (an open order
//! has none; a final order moved to another customer loses its old `c`
//! record in the same commit). Ids and tracking numbers never hold 0x00.
//! The start-up check proves the records are exactly those the final
//! orders need, once the `m` mark says indexing is complete; a store
//! written before the index is indexed at open ([`Store::index_final_orders`]).

use crate::orders::{Customer, Order, OrderArchive};
use crate::store::codec::{damaged, decode, encode_i64, i64_of, id_key};
use crate::store::{Store, StoreError};
use std::hash::{DefaultHasher, Hash, Hasher};

/// The index's key prefix.
pub(crate) const INDEX: u8 = b'O';
/// Set once every final order is indexed (the check is exact from then on).
pub(crate) const INDEXED: &[u8] = b"morder_index";
/// Index records per batch when a store is indexed at open.
const CHUNK: usize = 10_000;

fn pair_key(platform: &str, platform_order_id: &str) -> Vec<u8> {
    let mut key = vec![INDEX, b'p'];
    key.extend_from_slice(platform.as_bytes());
    key.push(0);
    key.extend_from_slice(platform_order_id.as_bytes());
    key
}

fn tracking_key(tracking: &str) -> Vec<u8> {
    let mut key = vec![INDEX, b't'];
    key.extend_from_slice(tracking.as_bytes());
    key
}

fn customer_prefix(customer: &str) -> Vec<u8> {
    let mut key = vec![INDEX, b'c'];
    key.extend_from_slice(customer.as_bytes());
    key.push(0);
    key
}

/// The index records one order needs: none while it is open.
fn entries(order: &Order) -> Vec<(Vec<u8>, i64)> {
    if !order.state.is_final() {
        return Vec::new();
    }
    let id = order.id as i64;
    let mut out = vec![(pair_key(&order.platform, &order.platform_order_id), id)];
    if let Some(shipment) = &order.shipment {
        out.push((tracking_key(&shipment.tracking), id));
    }
    let mut by_customer = customer_prefix(&order.customer.customer_key);
    by_customer.extend_from_slice(&order.id.to_be_bytes());
    out.push((by_customer, i64::from(!order.returns.is_empty())));
    out
}

/// Puts the index records of a group's final orders into its batch (and
/// drops those an order's stored copy had that it no longer has: a merge
/// or split moved it to another customer).
pub(crate) fn write(
    tree: &sled::Tree,
    batch: &mut sled::Batch,
    orders: &[Order],
) -> Result<(), StoreError> {
    let mut indexed = false;
    for order in orders.iter().filter(|o| o.state.is_final()) {
        let key = id_key(b'o', order.id);
        if let Some(value) = tree.get(&key)? {
            let stored: Order = decode(&key, &value)?;
            // Removed first: a record the order still needs is put back below.
            for (old, _) in entries(&stored) {
                batch.remove(old);
            }
        }
        for (key, value) in entries(order) {
            batch.insert(key, encode_i64(value));
        }
        indexed = true;
    }
    if indexed {
        batch.insert(INDEXED, encode_i64(1));
    }
    Ok(())
}

/// The start-up check's part: the index records seen, and those the final
/// orders seen need, each as a count and an order-free sum of hashes.
#[derive(Debug, Default)]
pub(crate) struct IndexCheck {
    found: (u64, u64),
    needed: (u64, u64),
}

fn add(tally: &mut (u64, u64), key: &[u8], value: i64) {
    let mut h = DefaultHasher::new();
    (key, value).hash(&mut h);
    tally.0 += 1;
    tally.1 = tally.1.wrapping_add(h.finish());
}

impl IndexCheck {
    /// One order (`o`) or index record (`O`).
    pub(crate) fn visit(&mut self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        if key.first() == Some(&b'o') {
            let order: Order = decode(key, value)?;
            for (needed, id) in entries(&order) {
                add(&mut self.needed, &needed, id);
            }
            return Ok(());
        }
        let well_formed = match key.get(1) {
            Some(b'p') => key[2..].contains(&0),
            Some(b't') => key.len() > 2,
            Some(b'c') => key.len() > 11 && key[key.len() - 9] == 0,
            _ => false,
        };
        if !well_formed {
            return Err(damaged(key, "not a key of the final orders' index"));
        }
        add(&mut self.found, key, i64_of(key, value)?);
        Ok(())
    }

    /// Once indexing is complete (`indexed`), the records must be exactly
    /// those the final orders need.
    pub(crate) fn finish(&self, indexed: bool) -> Result<(), StoreError> {
        if !indexed || self.found == self.needed {
            return Ok(());
        }
        Err(StoreError::Inconsistent(format!(
            "the index of final orders holds {} records, but the final orders need {} \
             (missing, extra or wrong records)",
            self.found.0, self.needed.0
        )))
    }
}

impl Store {
    /// Indexes the final orders of a store written before the index was
    /// (or whose indexing a crash cut short), in batches, then marks the
    /// index complete. Nothing to do once it is; a store without final
    /// orders is marked by the commit of its first.
    pub(crate) fn index_final_orders(&self) -> Result<(), StoreError> {
        if self.tree.contains_key(INDEXED)? {
            return Ok(());
        }
        let (mut batch, mut pending, mut total) = (sled::Batch::default(), 0, 0);
        for item in self.tree.scan_prefix([b'o']) {
            let (key, value) = item?;
            let order: Order = decode(&key, &value)?;
            for (index, id) in entries(&order) {
                batch.insert(index, encode_i64(id));
                pending += 1;
            }
            if pending >= CHUNK {
                self.apply_counted(std::mem::take(&mut batch))?;
                total += pending;
                pending = 0;
            }
        }
        total += pending;
        if total == 0 {
            return Ok(());
        }
        batch.insert(INDEXED, encode_i64(1));
        self.apply_counted(batch)?;
        tracing::info!(records = total, "final orders indexed");
        Ok(())
    }

    fn index_id(&self, key: &[u8]) -> Result<Option<u64>, StoreError> {
        match self.tree.get(key)? {
            Some(value) => Ok(Some(i64_of(key, &value)? as u64)),
            None => Ok(None),
        }
    }

    fn final_orders_of(&self, customer: &str) -> Result<Vec<(u64, bool)>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix(customer_prefix(customer)) {
            let (key, value) = item?;
            let id = key
                .len()
                .checked_sub(8)
                .and_then(|at| <[u8; 8]>::try_from(&key[at..]).ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| damaged(&key, "no order id"))?;
            out.push((id, i64_of(&key, &value)? != 0));
        }
        Ok(out)
    }
}

/// What the writer's pool reads final orders through.
impl OrderArchive for Store {
    fn order(&self, id: u64) -> Result<Option<Order>, String> {
        Store::order(self, id).map_err(|e| e.to_string())
    }

    fn order_by_platform(&self, platform: &str, id: &str) -> Result<Option<u64>, String> {
        self.index_id(&pair_key(platform, id))
            .map_err(|e| e.to_string())
    }

    fn order_by_tracking(&self, tracking: &str) -> Result<Option<u64>, String> {
        self.index_id(&tracking_key(tracking))
            .map_err(|e| e.to_string())
    }

    fn orders_of_customer(&self, key: &str) -> Result<Vec<(u64, bool)>, String> {
        self.final_orders_of(key).map_err(|e| e.to_string())
    }

    fn customer(&self, key: &str) -> Result<Option<Customer>, String> {
        Store::customer(self, key).map_err(|e| e.to_string())
    }

    fn inactive_customers(&self, before_ms: u64) -> Result<Vec<String>, String> {
        self.inactive_customer_keys(before_ms)
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
#[path = "order_index_tests.rs"]
mod tests;
