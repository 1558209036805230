//! The task book: every task of the site, the queue version of every
//! device, the picking progress of every planned order, and what changed
//! since the store last took it. The writer owns the only one, like the
//! pool.
//!
//! Commands live beside it by concern: planning and counts into queues
//! ([`super::enqueue`]), closing lines ([`super::completion`]), moving a
//! gone device's work ([`super::reassign`]). Each command gathers the
//! devices whose queue it changed and ends with `TaskBook::publish`,
//! which bumps each of their versions once and says so: a version moves
//! exactly when a queue's content does, which is what lets the hub resend
//! from the device's last acknowledged version and nothing else.

use super::model::{DeviceQueue, OrderPick, PickState, ScanKey, Task};
use super::outcome::Effect;
use super::rules::TaskRules;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What the store keeps of the book.
#[derive(Debug, Default, Clone)]
pub struct TaskParts {
    /// Open tasks, and every task of an order still picking.
    pub tasks: Vec<Task>,
    /// Orders still picking (done ones may be left out).
    pub orders: Vec<OrderPick>,
    /// Queue version per device.
    pub versions: Vec<(String, u64)>,
    /// Next task id.
    pub next_task: u64,
}

/// What changed since the last [`TaskBook::take_changes`], to write in
/// the same batch as the pool's changes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TaskChanges {
    /// Tasks made or changed, in their new state.
    pub tasks: Vec<Task>,
    /// Order progress made or changed.
    pub orders: Vec<OrderPick>,
    /// New queue versions.
    pub versions: Vec<(String, u64)>,
    /// Next task id.
    pub next_task: u64,
}

impl TaskChanges {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty() && self.orders.is_empty() && self.versions.is_empty()
    }
}

/// The site's tasks and queues.
#[derive(Debug, Default)]
pub struct TaskBook {
    pub(super) rules: TaskRules,
    pub(super) tasks: BTreeMap<u64, Task>,
    pub(super) orders: BTreeMap<u64, OrderPick>,
    pub(super) versions: BTreeMap<String, u64>,
    /// Which line each applied scan closed.
    pub(super) by_scan: HashMap<ScanKey, (u64, u32)>,
    /// Devices seen, hub time; a device not seen since the book was
    /// loaded counts as seen at `started_ms` (a restart is not absence).
    pub(super) last_seen: HashMap<String, u64>,
    pub(super) started_ms: u64,
    pub(super) next_task: u64,
    /// Devices whose queue the current command changed.
    pub(super) touched: BTreeSet<String>,
    dirty_tasks: BTreeSet<u64>,
    dirty_orders: BTreeSet<u64>,
    dirty_versions: BTreeSet<String>,
}

impl TaskBook {
    /// A book over stored parts, under `rules`, at hub time `now`.
    pub fn load(rules: TaskRules, parts: TaskParts, now: u64) -> TaskBook {
        let mut by_scan = HashMap::new();
        for task in &parts.tasks {
            for line in &task.lines {
                if let Some(scan) = &line.done_by {
                    by_scan.insert(scan.clone(), (task.id, line.line));
                }
            }
        }
        let next_task = parts
            .tasks
            .iter()
            .map(|t| t.id + 1)
            .fold(parts.next_task.max(1), u64::max);
        TaskBook {
            rules,
            tasks: parts.tasks.into_iter().map(|t| (t.id, t)).collect(),
            orders: parts.orders.into_iter().map(|o| (o.order, o)).collect(),
            versions: parts.versions.into_iter().collect(),
            by_scan,
            started_ms: now,
            next_task,
            ..TaskBook::default()
        }
    }

    /// The rules in force.
    pub fn rules(&self) -> &TaskRules {
        &self.rules
    }

    /// Replaces the rules (devices and zones by API); work already
    /// assigned stays where it is until reassigned.
    pub fn set_rules(&mut self, rules: TaskRules) {
        self.rules = rules;
    }

    /// Sets when this hub started: a device not heard from since counts as
    /// seen then (a restart is not absence).
    pub fn set_started(&mut self, now: u64) {
        self.started_ms = now;
    }

    /// Notes that a device was heard from (heartbeat, batch, connect).
    pub fn seen(&mut self, device: &str, now: u64) {
        let at = self.last_seen.entry(device.to_string()).or_insert(now);
        *at = (*at).max(now);
    }

    /// One task.
    pub fn task(&self, id: u64) -> Option<&Task> {
        self.tasks.get(&id)
    }

    /// Tasks, by id, optionally of one device and open or closed only.
    pub fn tasks<'a>(
        &'a self,
        device: Option<&'a str>,
        open: Option<bool>,
    ) -> impl Iterator<Item = &'a Task> + 'a {
        self.tasks.values().filter(move |t| {
            device.is_none_or(|d| t.device.as_deref() == Some(d))
                && open.is_none_or(|o| t.is_open() == o)
        })
    }

    /// An order's picking progress, if it was planned.
    pub fn order(&self, order: u64) -> Option<&OrderPick> {
        self.orders.get(&order)
    }

    /// The queue version of a device (0 if it never had work).
    pub fn version(&self, device: &str) -> u64 {
        self.versions.get(device).copied().unwrap_or(0)
    }

    /// What a device is sent: its open tasks by rank, at its version.
    pub fn queue(&self, device: &str) -> DeviceQueue {
        let mut tasks: Vec<Task> = self.tasks(Some(device), Some(true)).cloned().collect();
        if self.rules.pack_stations.iter().any(|s| s == device) {
            let to_pack = self.tasks.values().filter(|t| t.awaits_packing());
            let mine: Vec<u64> = tasks.iter().map(|t| t.id).collect();
            tasks.extend(to_pack.filter(|t| !mine.contains(&t.id)).cloned());
        }
        tasks.sort_by_key(|t| (t.rank, t.id));
        DeviceQueue {
            device: device.to_string(),
            version: self.version(device),
            tasks,
        }
    }

    /// Changes since the last call. Finished work then leaves memory (the
    /// store keeps it), exactly what a start would not load: orders
    /// packed or cancelled, and tasks no queue holds that no order still
    /// picking carries. A long-running hub holds its open work, not all
    /// work it ever made.
    pub fn take_changes(&mut self) -> TaskChanges {
        let changes = self.collect_changes();
        self.forget_finished(&changes);
        changes
    }

    fn forget_finished(&mut self, changes: &TaskChanges) {
        let done = |state: PickState| matches!(state, PickState::Packed | PickState::Cancelled);
        for order in changes.orders.iter().filter(|o| done(o.state)) {
            self.orders.remove(&order.order);
        }
        let carried: BTreeSet<u64> = self
            .orders
            .values()
            .flat_map(|o| o.tasks.iter().copied())
            .collect();
        let gone: BTreeSet<u64> = changes
            .tasks
            .iter()
            .filter(|t| !t.in_queue() && !carried.contains(&t.id))
            .map(|t| t.id)
            .collect();
        if gone.is_empty() {
            return;
        }
        for id in &gone {
            self.tasks.remove(id);
        }
        self.by_scan.retain(|_, (task, _)| !gone.contains(task));
    }

    fn collect_changes(&mut self) -> TaskChanges {
        let tasks = std::mem::take(&mut self.dirty_tasks);
        let orders = std::mem::take(&mut self.dirty_orders);
        let versions = std::mem::take(&mut self.dirty_versions);
        TaskChanges {
            tasks: tasks
                .iter()
                .filter_map(|id| self.tasks.get(id))
                .cloned()
                .collect(),
            orders: orders
                .iter()
                .filter_map(|id| self.orders.get(id))
                .cloned()
                .collect(),
            versions: versions
                .into_iter()
                .map(|d| (d.clone(), self.version(&d)))
                .collect(),
            next_task: self.next_task,
        }
    }

    /// Marks a task changed: stored, and its device's queue touched (and
    /// the packing stations' queues, once it has picked units: it enters
    /// or leaves their lists).
    pub(super) fn touch_task(&mut self, id: u64) {
        self.dirty_tasks.insert(id);
        let Some(task) = self.tasks.get(&id) else {
            return;
        };
        if let Some(device) = task.device.clone() {
            self.touched.insert(device);
        }
        if task.lines.iter().any(|l| l.state.picked() > 0) {
            self.touched
                .extend(self.rules.pack_stations.iter().cloned());
        }
    }

    /// Marks an order's progress changed.
    /// Marks a task changed for the store only (its device's queue, which
    /// holds open tasks, did not change: e.g. a closed line was packed).
    pub(super) fn store_task(&mut self, id: u64) {
        self.dirty_tasks.insert(id);
    }

    pub(super) fn touch_order(&mut self, order: u64) {
        self.dirty_orders.insert(order);
    }

    /// Ends a command: one version step per touched queue.
    pub(super) fn publish(&mut self) -> Vec<Effect> {
        let mut effects = Vec::new();
        for device in std::mem::take(&mut self.touched) {
            let version = self.versions.entry(device.clone()).or_insert(0);
            *version += 1;
            effects.push(Effect::QueueChanged {
                device: device.clone(),
                version: *version,
            });
            self.dirty_versions.insert(device);
        }
        effects
    }

    /// Whether a device has been heard from within the offline limit.
    pub(super) fn is_live(&self, device: &str, now: u64) -> bool {
        let seen = self
            .last_seen
            .get(device)
            .copied()
            .unwrap_or(self.started_ms);
        now.saturating_sub(seen) <= self.rules.offline_after_ms
    }

    /// Open lines per configured device.
    pub(super) fn loads(&self) -> BTreeMap<String, usize> {
        let mut loads: BTreeMap<String, usize> = self
            .rules
            .devices
            .iter()
            .map(|d| (d.device.clone(), 0))
            .collect();
        for task in self.tasks.values().filter(|t| t.is_open()) {
            if let Some(load) = task.device.as_ref().and_then(|d| loads.get_mut(d)) {
                *load += task.open_lines();
            }
        }
        loads
    }

    /// The live device to give work in `zone`: one of the zone's, else
    /// any, the least loaded (then by id); `None` when none is live.
    pub(super) fn choose_device(
        &self,
        zone: &str,
        loads: &BTreeMap<String, usize>,
        now: u64,
        except: Option<&str>,
    ) -> Option<String> {
        let live: Vec<(&str, &str)> = self
            .rules
            .devices
            .iter()
            .filter(|d| Some(d.device.as_str()) != except && self.is_live(&d.device, now))
            .map(|d| (d.device.as_str(), d.zone.as_str()))
            .collect();
        let in_zone: Vec<&str> = live.iter().filter(|d| d.1 == zone).map(|d| d.0).collect();
        let pool = if in_zone.is_empty() {
            live.iter().map(|d| d.0).collect()
        } else {
            in_zone
        };
        pool.into_iter()
            .min_by_key(|d| (loads.get(*d).copied().unwrap_or(0), *d))
            .map(str::to_string)
    }
}
