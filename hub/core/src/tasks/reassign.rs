//! Moving work off a device that is gone. A device offline for a while is
//! normal (promise 3): it keeps picking from the queue it holds and syncs
//! later, so its work stays put until it has been unheard longer than
//! [`super::TaskRules::offline_after_ms`]. Then only its open lines move,
//! to the least loaded live device of the task's zone (or any live device
//! if the zone has none); lines it already confirmed never move.
//!
//! A task with every line open moves whole (its lines keep their ids). A
//! task with some lines done is split: the open lines go to a new task on
//! the other device, and each old line is left [`LineState::Moved`] to its
//! successor, so a late scan from the gone device closes the live copy
//! (see [`super::completion`]) and no line can be picked twice. Both
//! devices' queue versions step. Tasks nobody holds are given out here
//! too.

use super::book::TaskBook;
use super::model::{LineState, Task};
use super::outcome::Effect;

impl TaskBook {
    /// Gives the open lines of gone devices, and unassigned tasks, to live
    /// devices (see the module doc).
    pub fn reassign(&mut self, now: u64) -> Vec<Effect> {
        let mut loads = self.loads();
        let mut stranded: Vec<&Task> = self
            .tasks
            .values()
            .filter(|t| t.is_open())
            .filter(|t| t.device.as_deref().is_none_or(|d| !self.is_live(d, now)))
            .collect();
        stranded.sort_by_key(|t| (t.rank, t.id));
        let stranded: Vec<(u64, String, Option<String>)> = stranded
            .into_iter()
            .map(|t| (t.id, t.zone.clone(), t.device.clone()))
            .collect();
        for (id, zone, from) in stranded {
            let Some(to) = self.choose_device(&zone, &loads, now, from.as_deref()) else {
                continue;
            };
            let moved = self.move_open_lines(id, &to, now);
            *loads.entry(to).or_insert(0) += moved;
            if let Some(load) = from.and_then(|d| loads.get_mut(&d)) {
                *load = load.saturating_sub(moved);
            }
        }
        self.publish()
    }

    /// Moves a task's open lines to `to`; returns how many moved.
    fn move_open_lines(&mut self, id: u64, to: &str, now: u64) -> usize {
        let Some(task) = self.tasks.get(&id) else {
            return 0;
        };
        let (open, all) = (task.open_lines(), task.lines.len());
        if open == 0 {
            return 0;
        }
        self.touch_task(id);
        if open == all {
            if let Some(task) = self.tasks.get_mut(&id) {
                task.device = Some(to.to_string());
            }
            self.touch_task(id);
            return open;
        }
        let new_id = self.next_task;
        self.next_task += 1;
        let Some(successor) = self.split_off_open(id, new_id, to, now) else {
            return 0;
        };
        for order in &successor.orders {
            if let Some(progress) = self.orders.get_mut(order) {
                progress.tasks.push(new_id);
            }
            self.touch_order(*order);
        }
        self.tasks.insert(new_id, successor);
        self.touch_task(new_id);
        open
    }

    /// Leaves the open lines of task `id` moved to a new task `new_id` on
    /// `to`, closes the old task, and returns the new one.
    fn split_off_open(&mut self, id: u64, new_id: u64, to: &str, now: u64) -> Option<Task> {
        let task = self.tasks.get_mut(&id)?;
        let mut successor = Task {
            id: new_id,
            device: Some(to.to_string()),
            orders: Vec::new(),
            lines: Vec::new(),
            created_ms: now,
            closed_ms: None,
            ..task.clone()
        };
        for line in task.lines.iter_mut().filter(|l| l.state.is_open()) {
            let at = successor.lines.len() as u32;
            let mut copy = line.clone();
            copy.line = at;
            if let Some(order) = copy.order.filter(|o| !successor.orders.contains(o)) {
                successor.orders.push(order);
            }
            successor.lines.push(copy);
            line.state = LineState::Moved {
                task: new_id,
                line: at,
            };
        }
        task.closed_ms = Some(now);
        Some(successor)
    }
}
