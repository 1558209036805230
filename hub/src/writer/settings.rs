//! What the writer was told to set on the pool at start (order rules, work
//! queue rules, the idempotency keys' retention), kept so that a pool
//! reloaded from the store after a failed group gets them again: the store
//! holds the pool's state, not its configuration.

use crate::orders::OrderRules;
use hub_core::pool::Pool;
use hub_core::tasks::TaskRules;

/// The pool's configuration, as the writer was given it.
#[derive(Debug, Clone, Default)]
pub(crate) struct PoolSettings {
    pub orders: Option<OrderRules>,
    pub tasks: Option<TaskRules>,
    pub key_retention_ms: Option<u64>,
}

impl PoolSettings {
    /// Puts every setting given so far on `pool` (a fresh load).
    pub fn apply(&self, pool: &mut Pool, now: u64) {
        if let Some(rules) = &self.orders {
            pool.set_order_rules(rules.clone());
        }
        if let Some(rules) = &self.tasks {
            pool.start_tasks(rules.clone(), now);
        }
        if let Some(ms) = self.key_retention_ms {
            pool.set_key_retention(ms);
        }
    }
}
