//! The writer's customer commands: tags, merge and split. A merge or a
//! split moves orders between customer records, and each record has its
//! own data key, so the moved orders' values are opened under the old key
//! and sealed again under the new one here, on the writer's thread, before
//! the core moves the records (see `crate::writer::orders` for why the
//! keys live on this thread).

use crate::errors::PoolError;
use crate::orders::{Customer, Order, OrderCustomer};
use crate::pool::Pool;
use crate::writer::commands::{later, Pending, Reply};
use crate::writer::orders::{open_customer, seal_customer, sealing, Desk};
use hub_privacy::DataKey;

/// A customer command, with who asks (the API token's name).
#[derive(Debug)]
pub enum CustomerCommand {
    /// Replace a customer's tags.
    SetTags {
        /// The customer's key.
        key: String,
        /// The tags.
        tags: Vec<String>,
        /// Who.
        who: String,
        /// The answer.
        reply: Reply<Customer>,
    },
    /// Merge customer `from` into `into`.
    Merge {
        /// The record that goes away.
        from: String,
        /// The record that stays.
        into: String,
        /// Who.
        who: String,
        /// Why.
        reason: String,
        /// The answer.
        reply: Reply<Customer>,
    },
    /// Give an order a customer record of its own.
    Split {
        /// The order.
        order: u64,
        /// Who.
        who: String,
        /// Why.
        reason: String,
        /// The answer.
        reply: Reply<Customer>,
    },
}

impl Desk {
    /// Applies a customer command; its answer waits for the group's flush.
    pub fn apply_customer(&self, pool: &mut Pool, cmd: CustomerCommand, now: u64) -> Pending {
        match cmd {
            CustomerCommand::SetTags {
                key,
                tags,
                who,
                reply,
            } => {
                let result = pool.set_customer_tags(&key, tags, &who, now);
                later(reply, move |_| result)
            }
            CustomerCommand::Merge {
                from,
                into,
                who,
                reason,
                reply,
            } => {
                let result = self
                    .resealed_for_merge(pool, &from, &into)
                    .and_then(|moved| {
                        pool.merge_customers(&from, &into, moved, &who, &reason, now)
                    });
                later(reply, move |_| result)
            }
            CustomerCommand::Split {
                order,
                who,
                reason,
                reply,
            } => {
                let result = self.split(pool, order, &who, &reason, now);
                later(reply, move |_| result)
            }
        }
    }

    fn data_key_of(&self, pool: &mut Pool, key: &str) -> Result<DataKey, PoolError> {
        let wrapped = pool
            .customer(key)?
            .ok_or_else(|| PoolError::CustomerNotFound(key.to_string()))?
            .wrapped_key
            .clone()
            .ok_or_else(|| PoolError::Invalid(format!("customer {key} was archived")))?;
        self.unwrap(&wrapped, key)
    }

    /// Every order of `from`, sealed again under `into`'s key.
    fn resealed_for_merge(
        &self,
        pool: &mut Pool,
        from: &str,
        into: &str,
    ) -> Result<Vec<(u64, OrderCustomer)>, PoolError> {
        let old = self.data_key_of(pool, from)?;
        let new = self.data_key_of(pool, into)?;
        if from == into {
            return Err(PoolError::Invalid(
                "a customer cannot be merged into itself".into(),
            ));
        }
        let mut out = Vec::new();
        // Final orders too: brought back from the store for this group.
        for id in pool.orders_of_customer(from)? {
            let order = pool.order(id).ok_or(PoolError::OrderNotFound(id))?;
            out.push((id, reseal(order, &old, &new, into)?));
        }
        Ok(out)
    }

    fn split(
        &self,
        pool: &mut Pool,
        id: u64,
        who: &str,
        reason: &str,
        now: u64,
    ) -> Result<Customer, PoolError> {
        pool.recall_order(id)?;
        let order = &pool.order(id).ok_or(PoolError::OrderNotFound(id))?.clone();
        let old = self.order_data_key(pool, order)?;
        // A key no phone hashes to: the record of this order alone.
        let key = self
            .master
            .customer_key(&format!("split:{id}:{now}"))
            .as_str()
            .to_string();
        let new = DataKey::generate().map_err(sealing)?;
        let wrapped = self.master.wrap(&new, &key).map_err(sealing)?;
        let resealed = reseal(order, &old, &new, &key)?;
        let wrapped = wrapped.as_bytes().to_vec();
        pool.split_customer(id, resealed, wrapped, who, reason, now)
    }
}

fn reseal(
    order: &Order,
    old: &DataKey,
    new: &DataKey,
    key: &str,
) -> Result<OrderCustomer, PoolError> {
    let data = open_customer(old, order)?;
    let context = format!("order:{}:{}", order.platform, order.platform_order_id);
    let mut customer = seal_customer(new, key, &context, &data)?;
    customer.customer_key = key.to_string();
    Ok(customer)
}
