//! Work into queues: planned pick lists and count tasks become tasks, each
//! given to the least loaded live device of its zone (by open lines),
//! or to any live device when the zone has none, or to nobody yet (a
//! later [`TaskBook::reassign`] gives it out).
//!
//! Planning is idempotent per order: an order the book already planned is
//! not planned again, whatever the hub resubmits. What the book plans
//! again by itself is the missing units of a short pick decided
//! [`super::ShortDecision::RePick`], with the order's original rank.

use super::book::TaskBook;
use super::location::Location;
use super::model::{
    Class, LineState, OrderPick, PickList, PickState, Rank, Task, TaskKind, TaskLine,
};
use super::outcome::Effect;
use super::planner::{plan_requests, OrderToPick, PickRequest, StockView, Unplannable};
use super::rules::TaskRules;
use crate::discrepancies::CountTask;
use crate::orders::OrderLine;
use std::collections::{BTreeMap, BTreeSet};

/// A count to put in a queue: one SKU at one location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRequest {
    /// The discrepancy book's count task id.
    pub count_task: u64,
    /// The SKU.
    pub sku: String,
    /// Where to count.
    pub location: String,
    /// When it was opened (its rank among counts).
    pub created_ms: u64,
}

impl From<&CountTask> for CountRequest {
    fn from(task: &CountTask) -> CountRequest {
        CountRequest {
            count_task: task.id,
            sku: task.sku.clone(),
            location: task.location.clone(),
            created_ms: task.created_ms,
        }
    }
}

/// What [`TaskBook::plan_orders`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Planned {
    /// Effects to carry out after the commit.
    pub effects: Vec<Effect>,
    /// Orders (new or re-picks) the stock view could not cover; a new one
    /// is not recorded and may be offered again.
    pub unplanned: Vec<(u64, Unplannable)>,
}

impl TaskBook {
    /// Plans new orders and pending re-picks against `stock`, and queues
    /// the lists. Orders already planned are skipped.
    pub fn plan_orders(&mut self, orders: &[OrderToPick], stock: &StockView, now: u64) -> Planned {
        let mut requests = self.repicks();
        let mut fresh: BTreeMap<u64, &OrderToPick> = BTreeMap::new();
        for order in orders {
            if !self.orders.contains_key(&order.id) && !fresh.contains_key(&order.id) {
                fresh.insert(order.id, order);
                requests.push(PickRequest::from(order));
            }
        }
        let plan = plan_requests(requests, stock, &self.rules);
        let mut effects = Vec::new();
        let planned: BTreeSet<u64> = plan.lists.iter().flat_map(|l| l.orders.clone()).collect();
        for id in &planned {
            if let Some(order) = fresh.get(id) {
                self.orders.insert(*id, new_progress(order));
                self.touch_order(*id);
                effects.push(Effect::OrderPicking { order: *id });
            }
        }
        let mut loads = self.loads();
        for list in plan.lists {
            let orders = list.orders.clone();
            let id = self.add_task(pick_task(list), &mut loads, now);
            for order in orders {
                if let Some(progress) = self.orders.get_mut(&order) {
                    if !progress.tasks.contains(&id) {
                        progress.tasks.push(id);
                    }
                }
                self.touch_order(order);
            }
        }
        effects.extend(self.publish());
        Planned {
            effects,
            unplanned: plan.unplanned,
        }
    }

    /// Queues count tasks; one already queued (by its count task id) is
    /// not queued again.
    pub fn add_counts(&mut self, counts: &[CountRequest], now: u64) -> Vec<Effect> {
        let known: BTreeSet<u64> = self
            .tasks
            .values()
            .filter_map(|t| match t.kind {
                TaskKind::Count { count_task } => Some(count_task),
                TaskKind::Pick => None,
            })
            .collect();
        let mut loads = self.loads();
        let mut added = BTreeSet::new();
        for count in counts {
            if known.contains(&count.count_task) || !added.insert(count.count_task) {
                continue;
            }
            let task = count_task(count, &self.rules);
            self.add_task(task, &mut loads, now);
        }
        self.publish()
    }

    /// Missing units of orders still picking with no open line covering
    /// them (left by a short pick to be picked again).
    pub(super) fn repicks(&self) -> Vec<PickRequest> {
        let mut out = Vec::new();
        for progress in self.orders.values() {
            if progress.state != PickState::Picking {
                continue;
            }
            let mut covered = vec![0i64; progress.lines.len()];
            for task in progress.tasks.iter().filter_map(|id| self.tasks.get(id)) {
                for line in task
                    .lines
                    .iter()
                    .filter(|l| l.order == Some(progress.order))
                {
                    let units = match &line.state {
                        LineState::Open => line.quantity,
                        state => state.picked(),
                    };
                    if let Some(c) = covered.get_mut(line.order_line as usize) {
                        *c += units;
                    }
                }
            }
            let lines: Vec<(u32, OrderLine)> = (0u32..)
                .zip(&progress.lines)
                .zip(covered)
                .filter(|((_, line), covered)| line.quantity > *covered)
                .map(|((i, line), covered)| {
                    let quantity = line.quantity - covered;
                    (
                        i,
                        OrderLine {
                            sku: line.sku.clone(),
                            quantity,
                        },
                    )
                })
                .collect();
            if !lines.is_empty() {
                out.push(PickRequest {
                    order: progress.order,
                    rank: progress.rank,
                    lines,
                });
            }
        }
        out
    }

    /// Files a new task (its id set here) with the chosen device.
    fn add_task(&mut self, mut task: Task, loads: &mut BTreeMap<String, usize>, now: u64) -> u64 {
        task.id = self.next_task;
        task.site = self.rules.site.clone();
        task.created_ms = now;
        self.next_task += 1;
        task.device = self.choose_device(&task.zone, loads, now, None);
        if let Some(device) = &task.device {
            *loads.entry(device.clone()).or_insert(0) += task.open_lines();
        }
        let id = task.id;
        self.tasks.insert(id, task);
        self.touch_task(id);
        id
    }
}

fn new_progress(order: &OrderToPick) -> OrderPick {
    OrderPick {
        order: order.id,
        rank: order.rank(),
        lines: order.lines.clone(),
        tasks: Vec::new(),
        state: PickState::Picking,
    }
}

fn pick_task(list: PickList) -> Task {
    let lines = (0u32..)
        .zip(list.lines)
        .map(|(line, p)| TaskLine {
            line,
            order: Some(p.order),
            order_line: p.order_line,
            sku: p.sku,
            location: p.location,
            lot: p.lot,
            expiry: p.expiry,
            quantity: p.quantity,
            state: LineState::Open,
            done_by: None,
            packed: 0,
        })
        .collect();
    Task {
        id: 0,
        site: String::new(),
        kind: TaskKind::Pick,
        device: None,
        zone: list.zone,
        rank: list.rank,
        orders: list.orders,
        lines,
        created_ms: 0,
        closed_ms: None,
    }
}

fn count_task(count: &CountRequest, rules: &TaskRules) -> Task {
    let location = Location::new(count.location.as_str());
    let zone = rules.zone_of(&location).to_string();
    Task {
        id: 0,
        site: String::new(),
        kind: TaskKind::Count {
            count_task: count.count_task,
        },
        device: None,
        zone,
        rank: Rank {
            class: Class::Count,
            due_ms: count.created_ms,
        },
        orders: Vec::new(),
        lines: vec![TaskLine {
            line: 0,
            order: None,
            order_line: 0,
            sku: count.sku.clone(),
            location,
            lot: String::new(),
            expiry: None,
            quantity: 0,
            state: LineState::Open,
            done_by: None,
            packed: 0,
        }],
        created_ms: 0,
        closed_ms: None,
    }
}
