//! What the writer was told to set on the pool at start (order rules, work
//! queue rules, the idempotency keys' retention), kept so that a pool
//! reloaded from the store after a failed group gets them again: the store
//! holds the pool's state, not its configuration.

use super::{orders, Writer};
use crate::orders::OrderRules;
use hub_core::pool::Pool;
use hub_core::printing::PrintRules;
use hub_core::tasks::TaskRules;

/// The pool's configuration, as the writer was given it.
#[derive(Debug, Clone, Default)]
pub(crate) struct PoolSettings {
    pub orders: Option<OrderRules>,
    pub tasks: Option<TaskRules>,
    pub printing: Option<PrintRules>,
    pub fleet: Option<hub_core::fleet::FleetRules>,
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
        if let Some(rules) = &self.printing {
            pool.start_printing(rules.clone(), now);
        }
        if let Some(rules) = self.fleet {
            pool.set_fleet_rules(rules);
        }
        if let Some(ms) = self.key_retention_ms {
            pool.set_key_retention(ms);
        }
    }
}

impl Writer {
    /// Takes orders, sealing customers' data with `desk`'s master key, by
    /// `rules`.
    pub fn with_orders(mut self, desk: orders::Desk, rules: crate::orders::OrderRules) -> Writer {
        self.pool.set_order_rules(rules.clone());
        self.settings.orders = Some(rules);
        self.desk = Some(desk);
        self
    }

    /// Gives work to devices by `rules` (zones, devices, caps).
    pub fn with_tasks(mut self, rules: hub_core::tasks::TaskRules) -> Writer {
        self.pool.start_tasks(rules.clone(), self.clock.now_ms());
        self.settings.tasks = Some(rules);
        self
    }

    /// Prints labels at the stations of `rules`.
    pub fn with_printing(mut self, rules: PrintRules) -> Writer {
        self.pool.start_printing(rules.clone(), self.clock.now_ms());
        self.settings.printing = Some(rules);
        self
    }

    /// Sets the devices' heartbeat interval and the fleet alerts'
    /// thresholds.
    pub fn with_fleet(mut self, rules: hub_core::fleet::FleetRules) -> Writer {
        self.pool.set_fleet_rules(rules);
        self.settings.fleet = Some(rules);
        self
    }

    /// Sets how long an idempotency key is honoured after its reservation
    /// ends, and forgets at once the keys already past it (so keys pruned
    /// before a restart are not honoured again after it).
    pub fn set_key_retention(&mut self, retention_ms: u64) {
        self.pool.set_key_retention(retention_ms);
        self.settings.key_retention_ms = Some(retention_ms);
        self.pool.prune_keys(self.clock.now_ms());
    }
}
