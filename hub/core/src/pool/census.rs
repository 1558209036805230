//! A head count of what the pool holds, by state: orders, reservations,
//! tasks and label jobs. The hub's writer takes one now and then and
//! shows it in `/metrics` as gauges; counting is a walk over memory, so
//! it is taken at most about once a second, never per command.

use super::Pool;
use crate::orders::OrderState;
use crate::reservations::ReservationState;
use std::collections::BTreeMap;

/// How many of each thing the pool holds, by state. Every known state is
/// present (with 0), so a gauge does not vanish when its count drops to
/// nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Census {
    /// Orders in memory, by [`OrderState::as_str`].
    pub orders: BTreeMap<&'static str, u64>,
    /// Active reservations, by [`ReservationState::as_str`] (held,
    /// confirmed).
    pub reservations: BTreeMap<&'static str, u64>,
    /// Tasks, by `"open"` or `"closed"`.
    pub tasks: BTreeMap<&'static str, u64>,
    /// Unfinished label jobs, by [`crate::printing::JobState::as_str`].
    pub label_jobs: BTreeMap<&'static str, u64>,
}

/// Label job states a census always reports.
const JOB_STATES: [&str; 7] = [
    "sent", "queued", "printed", "failed", "unsure", "moved", "closed",
];

impl Pool {
    /// Counts what the pool holds now.
    pub fn census(&self) -> Census {
        let mut census = Census::default();
        for state in OrderState::ALL {
            census.orders.insert(state.as_str(), 0);
        }
        for order in self.orders.book.iter() {
            *census.orders.entry(order.state.as_str()).or_insert(0) += 1;
        }
        for state in [ReservationState::Held, ReservationState::Confirmed] {
            census.reservations.insert(state.as_str(), 0);
        }
        for r in self.book.active() {
            *census.reservations.entry(r.state.as_str()).or_insert(0) += 1;
        }
        census.tasks.insert("open", 0);
        census.tasks.insert("closed", 0);
        for task in self.tasks.tasks(None, None) {
            let state = if task.is_open() { "open" } else { "closed" };
            *census.tasks.entry(state).or_insert(0) += 1;
        }
        for state in JOB_STATES {
            census.label_jobs.insert(state, 0);
        }
        for job in self.printing.jobs() {
            *census.label_jobs.entry(job.state.as_str()).or_insert(0) += 1;
        }
        census
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_pool_reports_every_state_at_zero() {
        let census = Pool::default().census();
        assert_eq!(census.orders.len(), OrderState::ALL.len());
        assert!(census.orders.values().all(|&n| n == 0));
        assert_eq!(census.reservations.get("held"), Some(&0));
        assert_eq!(census.tasks.get("open"), Some(&0));
        assert_eq!(census.label_jobs.get("printed"), Some(&0));
    }
}
