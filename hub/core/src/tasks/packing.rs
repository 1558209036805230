//! Packing (issue 15 item 5): a pack scan names a picked line
//! (`{task}:{line}`) and the units put in the parcel. A line takes at most
//! what was picked on it; when every picked unit of an order is packed the
//! order is packed. A scan seen before changes nothing.

use super::book::TaskBook;
use super::completion::Completed;
use super::model::{LineState, PickState, ScanKey};
use super::outcome::{Effect, TaskError};

impl TaskBook {
    /// Applies a pack scan of `quantity` units on `(task, line)`.
    pub fn packed(
        &mut self,
        scan: &ScanKey,
        task: u64,
        line: u32,
        quantity: i64,
    ) -> Result<Completed, TaskError> {
        if self.by_scan.contains_key(scan) {
            return Ok(Completed {
                duplicate: true,
                effects: Vec::new(),
            });
        }
        let (task_id, index) = self.live_line(task, line)?;
        let t = self
            .tasks
            .get_mut(&task_id)
            .ok_or(TaskError::UnknownTask(task_id))?;
        let l = &mut t.lines[index];
        let picked = match l.state {
            LineState::Confirmed(q) | LineState::Short(q, _) if q > 0 => q,
            _ => return Err(TaskError::NotPicked { task, line }),
        };
        if quantity < 1 || l.packed + quantity > picked {
            return Err(TaskError::OverPack {
                task,
                line,
                picked,
                packed: l.packed + quantity.max(0),
            });
        }
        l.packed += quantity;
        let order = l.order;
        let leaves = !t.in_queue();
        self.by_scan.insert(scan.clone(), (task_id, line));
        if leaves {
            // Its last unit is packed: it leaves the device's list.
            self.touch_task(task_id);
        } else {
            self.store_task(task_id);
        }
        let mut effects = Vec::new();
        if let Some(order) = order.filter(|o| self.order_packed(*o)) {
            if let Some(progress) = self.orders.get_mut(&order) {
                progress.state = PickState::Packed;
                self.touch_order(order);
                effects.push(Effect::OrderPacked { order });
            }
        }
        effects.extend(self.publish());
        Ok(Completed {
            duplicate: false,
            effects,
        })
    }

    /// Whether a picked order has every picked unit packed.
    fn order_packed(&self, order: u64) -> bool {
        let Some(progress) = self.orders.get(&order) else {
            return false;
        };
        progress.state == PickState::Picked
            && progress
                .tasks
                .iter()
                .filter_map(|id| self.tasks.get(id))
                .flat_map(|t| t.lines.iter())
                .filter(|l| l.order == Some(order))
                .all(|l| l.packed >= l.state.picked())
    }
}
