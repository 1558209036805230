//! Customers: tags (derived from order history and set by operators),
//! merging two records that are one person and splitting an order off to
//! its own record, and archiving customers who have not ordered for a
//! long time by destroying their data key. Every such change is audited.
//!
//! The writer re-seals the orders a merge or split moves (their data is
//! sealed under the customer's key); this side moves the records.

use crate::errors::PoolError;
use crate::orders::{AuditEntry, Customer, OrderCustomer};
use crate::pool::archived::archive_error;
use crate::pool::Pool;

/// A customer with at least this many orders is tagged `vip`.
pub const VIP_AFTER_ORDERS: u64 = 20;
/// Orders with a return after which a customer is tagged
/// `frequent_returns`.
pub const FREQUENT_RETURNS_AFTER: usize = 3;
/// How often the archive check walks the customers.
pub const ARCHIVE_CHECK_EVERY_MS: u64 = 3_600_000;
/// Most tags on one customer.
pub const MAX_CUSTOMER_TAGS: usize = 20;

fn not_found(key: &str) -> PoolError {
    // The key is a keyed hash, not personal data.
    PoolError::CustomerNotFound(key.to_string())
}

impl Pool {
    /// Replaces a customer's operator-set tags (derived ones stay derived).
    pub fn set_customer_tags(
        &mut self,
        key: &str,
        tags: Vec<String>,
        who: &str,
        now: u64,
    ) -> Result<Customer, PoolError> {
        if tags.len() > MAX_CUSTOMER_TAGS {
            return Err(PoolError::Invalid(format!(
                "at most {MAX_CUSTOMER_TAGS} tags"
            )));
        }
        for tag in &tags {
            protocol::validate::check_id("tag", tag)
                .map_err(|e| PoolError::Invalid(e.to_string()))?;
        }
        if self.customer(key)?.is_none() {
            return Err(not_found(key));
        }
        let customer = self
            .orders
            .book
            .customer_mut(key, now)
            .map_err(archive_error)?;
        customer.tags = tags;
        let out = customer.clone();
        self.audit_customer(who, "set_tags", "operator", key, None, now);
        Ok(out)
    }

    /// Tags a customer earns from their history (`vip` after
    /// [`VIP_AFTER_ORDERS`] orders); called at each order.
    pub(crate) fn derive_tags(&mut self, key: &str, now: u64) -> Result<(), PoolError> {
        let customer = self
            .orders
            .book
            .customer_mut(key, now)
            .map_err(archive_error)?;
        if customer.orders >= VIP_AFTER_ORDERS && !customer.is_vip() {
            customer.tags.push("vip".into());
        }
        Ok(())
    }

    /// Tags a customer earns from returns: `frequent_returns` once
    /// [`FREQUENT_RETURNS_AFTER`] of their orders had units come back.
    pub(crate) fn derive_return_tags(&mut self, key: &str, now: u64) {
        // Unreadable archive: no tag now; the next return counts again.
        let Ok(returned) = self.orders.book.returned_orders_of(key) else {
            return;
        };
        let Ok(customer) = self.orders.book.customer_mut(key, now) else {
            return;
        };
        let tagged = customer.tags.iter().any(|t| t == "frequent_returns");
        if returned >= FREQUENT_RETURNS_AFTER && !tagged {
            customer.tags.push("frequent_returns".into());
        }
    }

    /// Moves every order of customer `from` to `into` (their sealed values
    /// already re-sealed by the writer: `resealed`), and removes `from`.
    pub fn merge_customers(
        &mut self,
        from: &str,
        into: &str,
        resealed: Vec<(u64, OrderCustomer)>,
        who: &str,
        reason: &str,
        now: u64,
    ) -> Result<Customer, PoolError> {
        let moved = self.customer(from)?.ok_or_else(|| not_found(from))?.clone();
        if self.customer(into)?.is_none() || from == into {
            return Err(not_found(into));
        }
        for (id, _) in &resealed {
            self.recall_order(*id)?;
        }
        for (id, customer) in resealed {
            if let Some(order) = self.orders.book.edit(id) {
                order.customer = customer;
            }
        }
        let target = self
            .orders
            .book
            .customer_mut(into, now)
            .map_err(archive_error)?;
        target.orders += moved.orders;
        target.first_ms = target.first_ms.min(moved.first_ms);
        target.last_ms = target.last_ms.max(moved.last_ms);
        for tag in moved.tags {
            if !target.tags.contains(&tag) {
                target.tags.push(tag);
            }
        }
        let out = target.clone();
        self.orders
            .book
            .remove_customer(from)
            .map_err(archive_error)?;
        self.audit_customer(who, "merge_customer", reason, into, None, now);
        Ok(out)
    }

    /// Moves one order to a customer record of its own (`resealed` under
    /// that record's new key, `wrapped_key`).
    pub fn split_customer(
        &mut self,
        order_id: u64,
        resealed: OrderCustomer,
        wrapped_key: Vec<u8>,
        who: &str,
        reason: &str,
        now: u64,
    ) -> Result<Customer, PoolError> {
        let order = self
            .recall_order(order_id)?
            .ok_or(PoolError::OrderNotFound(order_id))?;
        let old = order.customer.customer_key.clone();
        let new_key = resealed.customer_key.clone();
        if self.customer(&new_key)?.is_some() {
            return Err(PoolError::Invalid(
                "the new customer record exists already".into(),
            ));
        }
        if let Some(order) = self.orders.book.edit(order_id) {
            order.customer = resealed;
        }
        let before = self
            .orders
            .book
            .customer_mut(&old, now)
            .map_err(archive_error)?;
        before.orders = before.orders.saturating_sub(1);
        let created = self
            .orders
            .book
            .customer_mut(&new_key, now)
            .map_err(archive_error)?;
        created.wrapped_key = Some(wrapped_key);
        created.orders = 1;
        let out = created.clone();
        self.audit_customer(who, "split_customer", reason, &new_key, Some(order_id), now);
        Ok(out)
    }

    /// Destroys the data key of every customer whose last order is older
    /// than `after_ms`: their sealed values can no longer be read; their
    /// orders and counts stay. Returns how many were archived. An
    /// unreadable archive archives nothing now (the next check tries
    /// again) and says why.
    pub fn archive_inactive(&mut self, now: u64) -> Result<usize, PoolError> {
        if now < self.orders.next_archive_check_ms {
            return Ok(0);
        }
        self.orders.next_archive_check_ms = now + ARCHIVE_CHECK_EVERY_MS;
        let after_ms = self.orders.rules.archive_after_ms;
        let keys = self
            .orders
            .book
            .inactive_customers(now.saturating_sub(after_ms))
            .map_err(archive_error)?;
        for key in &keys {
            let customer = self
                .orders
                .book
                .customer_mut(key, now)
                .map_err(archive_error)?;
            customer.wrapped_key = None;
            let why = format!("no order for {} days", after_ms / 86_400_000);
            self.audit_customer("hub", "archive_customer", &why, key, None, now);
        }
        Ok(keys.len())
    }

    fn audit_customer(
        &mut self,
        who: &str,
        action: &str,
        reason: &str,
        key: &str,
        order: Option<u64>,
        now: u64,
    ) {
        self.orders.audit.append(AuditEntry {
            at_ms: now,
            who: who.to_string(),
            action: action.to_string(),
            reason: reason.to_string(),
            order,
            customer: Some(key.to_string()),
        });
    }
}
