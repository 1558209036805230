//! Work queues on the pool's side (issue 15): a paid, routed order of
//! this site waits in `to_plan` until the writer's next group plans every
//! such order at once (so several orders share a walk) against the cells
//! their reservations were allocated; a pick or count scan that names a
//! task line (`"{task}:{line}"`, [`TaskRef`]) closes it exactly once, consumes the
//! order's allocation and moves the order through picking and picked; a
//! short pick becomes a discrepancy and a re-pick or a backorder; a device
//! gone too long loses its open lines to another.
//!
//! The scan itself always reaches the stock (promise 5): what the task
//! book refuses is only the claim that it closed a line. Queues that
//! changed are collected for the shell, which sends each device its queue
//! once the group is durable.

use crate::alerts::AlertKind;

use crate::orders::model::{OrderState, Reason};
use crate::pool::Pool;
use crate::tasks::{
    CountRequest, Effect, LineDone, OrderToPick, Report, ScanKey, ShortDecision, ShortPick,
    StockCell, StockView, TaskBook, TaskRules,
};
use protocol::task_ref::TaskRef;
use protocol::{Movement, MovementKind};

impl Pool {
    /// Puts the work-queue rules in force; `now` is when this hub started
    /// (a device not heard from since counts as seen then).
    /// Routed orders not planned yet (from before a restart, or from
    /// before any device took work) wait for the next plan.
    pub fn start_tasks(&mut self, rules: TaskRules, now: u64) {
        self.tasks.set_rules(rules);
        self.tasks.set_started(now);
        self.counts_to_queue = true;
        let waiting: Vec<u64> = self
            .orders
            .book
            .iter()
            .filter(|o| o.state == OrderState::Routed && self.tasks.order(o.id).is_none())
            .map(|o| o.id)
            .collect();
        self.to_plan.extend(waiting);
    }

    /// The task book (for `GET /api/v1/tasks` and the queues sent).
    pub fn task_book(&self) -> &TaskBook {
        &self.tasks
    }

    /// Devices whose queue changed (or must be sent again) since the last
    /// call; the shell reads each queue, at its version, from the store.
    pub fn take_queue_pushes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.queue_pushes).into_iter().collect()
    }

    /// Notes that a device was heard from.
    pub fn device_seen(&mut self, device: &str, now: u64) {
        self.tasks.seen(device, now);
    }

    /// A device says it holds version `version` of its queue (at every
    /// connect, and after each list it stored): it is alive, and if its
    /// queue is newer here, it is sent again. A device is sent its queue
    /// even at version 0 once it has work.
    pub fn task_acked(&mut self, device: &str, version: u64, now: u64) {
        self.tasks.seen(device, now);
        if self.tasks.version(device) > version {
            self.queue_pushes.insert(device.to_string());
        }
    }

    /// Marks an order routed here for planning at the next
    /// [`Pool::plan_tasks`].
    pub(crate) fn want_tasks(&mut self, order: u64) {
        self.to_plan.insert(order);
    }

    /// Plans every routed order waiting (and re-picks) into pick lists.
    /// Called once per writer group; does nothing when none waits, or when
    /// no device takes work (`[tasks] devices` is empty: orders stay
    /// routed, and are planned at the start after devices are added).
    pub fn plan_tasks(&mut self, now: u64) {
        if self.tasks.rules().devices.is_empty() {
            self.to_plan.clear();
        }
        if self.to_plan.is_empty() {
            return;
        }
        let ids: Vec<u64> = std::mem::take(&mut self.to_plan).into_iter().collect();
        let mut orders = Vec::new();
        let mut view = StockView::new();
        for id in ids {
            let Some(order) = self.orders.book.get(id) else {
                continue;
            };
            let here = order.site == self.orders.rules.site;
            if order.state != OrderState::Routed || !here {
                continue;
            }
            if let Some(r) = order.reservation.and_then(|rid| self.book.get(rid)) {
                for a in &r.allocations {
                    let cell = StockCell::from_lot(&a.location, &a.lot, a.quantity);
                    view.entry(a.sku.clone()).or_default().push(cell);
                }
            }
            orders.push(OrderToPick::from(order));
        }
        let planned = self.tasks.plan_orders(&orders, &view, now);
        self.carry_out(planned.effects, now, None);
    }

    /// The sweep's part: queues the count tasks of open discrepancies
    /// (when one may have opened since the last sweep) and moves the open
    /// lines of devices gone too long.
    pub fn sweep_tasks(&mut self, now: u64) {
        if std::mem::take(&mut self.counts_to_queue) {
            let counts: Vec<CountRequest> = self
                .discrepancies
                .open_count_tasks()
                .map(CountRequest::from)
                .collect();
            let queued = self.tasks.add_counts(&counts, now);
            self.carry_out(queued, now, None);
        }
        let moved = self.tasks.reassign(now);
        self.carry_out(moved, now, None);
    }

    /// A pick or count scan naming a task line: closes the line (once),
    /// consumes the order's allocation. Returns whether the scan named a
    /// task line this hub knows (else the caller treats its task text as
    /// before, e.g. a reservation's `res-{id}`).
    pub(crate) fn task_scan(&mut self, device: &str, epoch: u64, m: &Movement, now: u64) -> bool {
        let Some((TaskRef { task, line }, why)) =
            m.task.as_deref().and_then(|t| TaskRef::parse_line(t).ok())
        else {
            return false;
        };
        let Some((asked, pick_line)) = self.tasks.task(task).and_then(|t| {
            let pick = t.kind == crate::tasks::TaskKind::Pick;
            t.lines
                .iter()
                .find(|l| l.line == line)
                .map(|l| ((l.quantity, l.order), pick))
        }) else {
            return false;
        };
        if m.kind == MovementKind::Pack {
            self.pack_scan(device, epoch, m, (task, line), now);
            return true;
        }
        let report = match m.kind {
            MovementKind::Pick if m.quantity < asked.0 => Report::Short(
                m.quantity,
                why.unwrap_or("fewer units found than the line asked")
                    .into(),
            ),
            // Nothing found at a pick line's location: the picker counts 0
            // there (a pick of 0 is no movement), naming the line.
            MovementKind::Count if pick_line && m.quantity == 0 => Report::Short(
                0,
                why.unwrap_or("nothing found at the location (counted 0)")
                    .into(),
            ),
            MovementKind::Count if pick_line => {
                let why =
                    format!("a count closes pick line {task}:{line} only when it found nothing");
                self.task_refused(m, why, now);
                return true;
            }
            MovementKind::Pick | MovementKind::Count => Report::Confirmed(m.quantity),
            _ => return true,
        };
        let done = LineDone {
            scan: ScanKey {
                device: device.to_string(),
                epoch,
                seq: m.seq,
            },
            task,
            line,
            report,
        };
        match self.tasks.line_done(&done, now) {
            Ok(completed) if !completed.duplicate => {
                if let Some(order) = asked.1 {
                    self.consume_for_order(order, m, now);
                }
                self.carry_out(completed.effects, now, Some((m, device)));
            }
            Ok(_) => {}
            Err(e) => self.task_refused(m, format!("not taken for task {task}: {e}"), now),
        }
        true
    }

    /// A pack scan naming a picked line (see [`crate::tasks::packing`]).
    fn pack_scan(&mut self, device: &str, epoch: u64, m: &Movement, at: (u64, u32), now: u64) {
        let scan = ScanKey {
            device: device.to_string(),
            epoch,
            seq: m.seq,
        };
        match self.tasks.packed(&scan, at.0, at.1, m.quantity) {
            Ok(done) => self.carry_out(done.effects, now, None),
            Err(e) => self.task_refused(m, format!("pack refused: {e}"), now),
        }
    }

    /// A scan that could not close or pack the line it names: the
    /// movement stands (it was applied); an alert says why.
    fn task_refused(&mut self, m: &Movement, why: String, now: u64) {
        let message = format!("{} scan (seq {}): {why}", m.kind.as_str(), m.seq);
        let location = Some(m.location.as_str());
        self.alerts
            .raise(AlertKind::TaskRefused, &m.sku, location, message, now);
    }

    fn consume_for_order(&mut self, order: u64, m: &Movement, now: u64) {
        let Some(rid) = self.orders.book.get(order).and_then(|o| o.reservation) else {
            return;
        };
        let task = format!("res-{rid}");
        self.task_pick(&task, m, now);
    }

    /// Carries out the book's effects; `scan` is the scan that caused them,
    /// if one did (a short pick records its discrepancy against it).
    /// An order cancelled: its lines leave the pick lists now, and what
    /// was picked for it raises an alert to put it back.
    pub(crate) fn cancel_tasks(&mut self, order: u64, now: u64) {
        self.to_plan.remove(&order);
        let cancelled = self.tasks.cancel_order(order, now);
        self.carry_out(cancelled.effects, now, None);
        for (sku, location, units) in cancelled.put_back {
            let message =
                format!("order {order} was cancelled after {units} x {sku} were picked at {location}: put them back");
            self.alerts
                .raise(AlertKind::PutBack, &sku, Some(&location), message, now);
        }
    }

    fn carry_out(&mut self, effects: Vec<Effect>, now: u64, scan: Option<(&Movement, &str)>) {
        for effect in effects {
            match effect {
                Effect::QueueChanged { device, .. } => {
                    self.queue_pushes.insert(device);
                }
                Effect::OrderPicking { order } => {
                    self.order_moves(order, OrderState::Picking, "on a pick list", now)
                }
                Effect::OrderPicked { order } => {
                    self.order_moves(order, OrderState::Picked, "every unit picked", now)
                }
                Effect::OrderPacked { order } => {
                    self.order_moves(order, OrderState::Packed, "every picked unit packed", now)
                }
                Effect::ShortPick(short) => self.short_pick(short, scan, now),
                Effect::TaskDone { .. } => {}
            }
        }
    }

    fn order_moves(&mut self, id: u64, state: OrderState, note: &str, now: u64) {
        if let Some(order) = self.orders.book.edit(id) {
            if order.state < state && !order.state.is_final() {
                order.enter(state, now, note);
            }
        }
    }

    fn short_pick(&mut self, short: ShortPick, scan: Option<(&Movement, &str)>, now: u64) {
        if let Some((m, device)) = scan {
            // The shelf held fewer than the plan expected: a discrepancy,
            // with a count task that joins the queues at the next sweep.
            self.uncovered(m, device, short.expected, now);
        }
        let message = format!(
            "task {} line {}: {} of {} units of {} found at {} ({})",
            short.task,
            short.line,
            short.picked,
            short.expected,
            short.sku,
            short.location,
            short.reason
        );
        self.alerts.raise(
            AlertKind::ShortPick,
            &short.sku,
            Some(&short.location),
            message.clone(),
            now,
        );
        if short.decision == ShortDecision::Backorder {
            if let Some(order) = self.orders.book.edit(short.order) {
                order.exceptions.push(Reason::order("short_pick", message));
                order.enter(OrderState::Exception, now, "short pick: backordered");
            }
        }
    }
}
