//! The weekly order-timeliness report (issue 14, item 8): of the orders
//! received in one ISO week, how long they spent in each state, in total,
//! per site and per shift; what share kept its service level (SLA); what
//! share needed an operator. Pure: the orders, the week, the site's UTC
//! offset, the shifts and "now" come in as values; the hub renders the
//! result as JSON, CSV and HTML.
//!
//! Definitions (README "Order timeliness report"):
//! * **Cohort**: orders whose `created_ms` lies in the week's local
//!   `[Monday 00:00, next Monday 00:00)` and not after the cut-off.
//! * **Cut-off** is `now`: an order received on Sunday night and shipped
//!   on Monday counts as shipped, and its times run to the real end, not
//!   to midnight; transitions after the cut-off are ignored, so a report
//!   made with a past `now` is the report as it was then. A week's report
//!   is final once every order of it is final (`open` is 0).
//! * **Time in a state**: per order, the sum of its visits to that state
//!   (from entering it to entering the next, the current one up to the
//!   cut-off); one sample per order and state. Final states (shipped,
//!   cancelled) are ends, not waits, and have no time. Percentiles are
//!   nearest-rank.
//! * **Inside SLA**: shipped at or before `due_ms`, or not shipped (and
//!   not cancelled) while `due_ms` is still ahead of the cut-off.
//!   Outside: shipped late, or not shipped when its due time passed.
//!   Cancelled orders were never to ship and are left out of the share
//!   (`sla_excluded`).
//! * **Exception share**: orders that were ever in `exception` (before
//!   the cut-off), of the cohort.

mod shift;
mod week;

pub use shift::{default_shifts, local_minute, shift_of, Shift, ShiftError, DAY_MINUTES};
pub use week::{civil_from_days, days_from_civil, weeks_in, IsoWeek, WeekError, DAY_MS, YEARS};

use super::model::{Order, OrderState};
use serde::Serialize;
use std::collections::BTreeMap;

/// The key of orders not yet routed to a site, in the per-site part.
pub const NO_SITE: &str = "(none)";
/// The key of orders received outside every shift.
pub const NO_SHIFT: &str = "(none)";

/// Time spent in one state: one sample per order that was in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateTime {
    /// The state.
    pub state: OrderState,
    /// Orders that spent time in it.
    pub count: u64,
    /// Mean, ms.
    pub mean_ms: u64,
    /// Median (nearest rank), ms.
    pub p50_ms: u64,
    /// 90th percentile (nearest rank), ms.
    pub p90_ms: u64,
}

/// The figures of one group of orders (all, one site, one shift).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GroupReport {
    /// Orders received.
    pub orders: u64,
    /// Not in a final state at the cut-off.
    pub open: u64,
    /// Shipped by the cut-off.
    pub shipped: u64,
    /// Cancelled by the cut-off.
    pub cancelled: u64,
    /// Shipped by their due time.
    pub sla_met: u64,
    /// Not shipped yet, due time still ahead: inside SLA so far.
    pub sla_pending: u64,
    /// Shipped late, or not shipped and past due.
    pub sla_missed: u64,
    /// Cancelled: not judged.
    pub sla_excluded: u64,
    /// `(sla_met + sla_pending) / (sla_met + sla_pending + sla_missed)`;
    /// `None` without any order judged.
    pub sla_share: Option<f64>,
    /// Orders ever in `exception`.
    pub exceptions: u64,
    /// `exceptions / orders`; `None` without orders.
    pub exception_share: Option<f64>,
    /// Time per state, in lifecycle order, states with samples only.
    pub states: Vec<StateTime>,
}

/// One named group: a site or a shift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Keyed {
    /// The site id, or the shift's name ([`NO_SITE`], [`NO_SHIFT`]).
    pub key: String,
    /// For shifts, `HH:MM-HH:MM` local; empty for sites.
    pub span: String,
    /// Its figures.
    pub report: GroupReport,
}

/// The report of one week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelinessReport {
    /// The week.
    pub week: IsoWeek,
    /// The site's clock minus UTC, minutes.
    pub offset_minutes: i32,
    /// The week's start, UTC ms (local Monday 00:00).
    pub start_ms: u64,
    /// The week's end, UTC ms, exclusive.
    pub end_ms: u64,
    /// What the figures know of: `now` when made.
    pub cutoff_ms: u64,
    /// Every order of the week.
    pub total: GroupReport,
    /// Per site, by site id.
    pub sites: Vec<Keyed>,
    /// Per shift, in the shifts' order (then [`NO_SHIFT`] if any order
    /// fell outside them all).
    pub shifts: Vec<Keyed>,
}

/// How one order stands against its service level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sla {
    Met,
    Pending,
    Missed,
    Excluded,
}

/// What the report needs of one order, read once.
#[derive(Debug)]
struct Facts {
    states: BTreeMap<OrderState, u64>,
    current: Option<OrderState>,
    sla: Sla,
    ever_exception: bool,
}

/// The report of `week` over `orders` (any order; those not received in
/// the week are skipped), cut off at `now_ms`. See the module's
/// definitions.
pub fn timeliness<'a>(
    orders: impl Iterator<Item = &'a Order>,
    week: IsoWeek,
    offset_minutes: i32,
    now_ms: u64,
    shifts: &[Shift],
) -> TimelinessReport {
    let (start_ms, end_ms) = week.range_ms(offset_minutes);
    let mut total = Tally::default();
    let mut sites: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_shift: Vec<Tally> = vec![Tally::default(); shifts.len() + 1];
    for order in orders {
        let t = order.created_ms;
        if t < start_ms || t >= end_ms || t > now_ms {
            continue;
        }
        let facts = facts(order, now_ms);
        total.add(&facts);
        let site = if order.site.is_empty() {
            NO_SITE
        } else {
            order.site.as_str()
        };
        sites.entry(site.to_string()).or_default().add(&facts);
        let minute = local_minute(t, offset_minutes);
        let slot = shift_of(shifts, minute).unwrap_or(shifts.len());
        by_shift[slot].add(&facts);
    }
    let sites = sites
        .into_iter()
        .map(|(key, tally)| Keyed {
            key,
            span: String::new(),
            report: tally.finish(),
        })
        .collect();
    TimelinessReport {
        week,
        offset_minutes,
        start_ms,
        end_ms,
        cutoff_ms: now_ms,
        total: total.finish(),
        sites,
        shifts: shift_groups(shifts, by_shift),
    }
}

fn shift_groups(shifts: &[Shift], tallies: Vec<Tally>) -> Vec<Keyed> {
    let mut out = Vec::with_capacity(tallies.len());
    for (i, tally) in tallies.into_iter().enumerate() {
        let (key, span) = match shifts.get(i) {
            Some(s) => (s.name.clone(), s.span()),
            None if tally.orders == 0 => continue,
            None => (NO_SHIFT.to_string(), String::new()),
        };
        out.push(Keyed {
            key,
            span,
            report: tally.finish(),
        });
    }
    out
}

/// Reads one order's history up to `cutoff`.
fn facts(order: &Order, cutoff: u64) -> Facts {
    let steps: Vec<_> = order.history.iter().filter(|t| t.at_ms <= cutoff).collect();
    let mut states = BTreeMap::new();
    for (i, step) in steps.iter().enumerate() {
        if step.state.is_final() {
            continue;
        }
        let end = steps.get(i + 1).map_or(cutoff, |next| next.at_ms);
        *states.entry(step.state).or_insert(0) += end.saturating_sub(step.at_ms);
    }
    let current = steps.last().map(|t| t.state);
    let shipped_at = steps
        .iter()
        .find(|t| t.state == OrderState::Shipped)
        .map(|t| t.at_ms);
    let sla = match shipped_at {
        Some(at) if at <= order.due_ms => Sla::Met,
        Some(_) => Sla::Missed,
        None if current == Some(OrderState::Cancelled) => Sla::Excluded,
        None if order.due_ms > cutoff => Sla::Pending,
        None => Sla::Missed,
    };
    Facts {
        states,
        current,
        sla,
        ever_exception: steps.iter().any(|t| t.state == OrderState::Exception),
    }
}

/// Counts and samples of one group while the orders are read.
#[derive(Debug, Clone, Default)]
struct Tally {
    orders: u64,
    open: u64,
    shipped: u64,
    cancelled: u64,
    sla: [u64; 4],
    exceptions: u64,
    samples: BTreeMap<OrderState, Vec<u64>>,
}

impl Tally {
    fn add(&mut self, facts: &Facts) {
        self.orders += 1;
        match facts.current {
            Some(OrderState::Shipped) => self.shipped += 1,
            Some(OrderState::Cancelled) => self.cancelled += 1,
            _ => self.open += 1,
        }
        self.sla[facts.sla as usize] += 1;
        self.exceptions += u64::from(facts.ever_exception);
        for (state, ms) in &facts.states {
            self.samples.entry(*state).or_default().push(*ms);
        }
    }

    fn finish(self) -> GroupReport {
        let [met, pending, missed, excluded] = self.sla;
        let share = |part: u64, of: u64| (of > 0).then(|| part as f64 / of as f64);
        GroupReport {
            orders: self.orders,
            open: self.open,
            shipped: self.shipped,
            cancelled: self.cancelled,
            sla_met: met,
            sla_pending: pending,
            sla_missed: missed,
            sla_excluded: excluded,
            sla_share: share(met + pending, met + pending + missed),
            exceptions: self.exceptions,
            exception_share: share(self.exceptions, self.orders),
            states: self
                .samples
                .into_iter()
                .map(|(state, samples)| state_time(state, samples))
                .collect(),
        }
    }
}

fn state_time(state: OrderState, mut samples: Vec<u64>) -> StateTime {
    samples.sort_unstable();
    let n = samples.len() as u64;
    let sum: u128 = samples.iter().map(|&ms| u128::from(ms)).sum();
    StateTime {
        state,
        count: n,
        mean_ms: sum.checked_div(u128::from(n)).unwrap_or(0) as u64,
        p50_ms: nearest_rank(&samples, 50),
        p90_ms: nearest_rank(&samples, 90),
    }
}

/// The `p`th percentile of sorted `samples` by nearest rank (0 if empty).
pub fn nearest_rank(samples: &[u64], p: u64) -> u64 {
    let n = samples.len() as u64;
    if n == 0 {
        return 0;
    }
    let rank = (p * n).div_ceil(100).clamp(1, n);
    samples[(rank - 1) as usize]
}

#[cfg(test)]
mod tests;
