//! An order cancelled while it is on pick lists (issue 15): its lines
//! leave the devices' queues at once (a picker never walks to a shelf for
//! an order that no longer exists), and what was already picked on them is
//! said, so a person puts it back. A late scan of a cancelled line, from a
//! device that was offline, closes nothing (the line is no longer open);
//! the movement itself still reaches the stock, as every scan does.

use super::book::TaskBook;
use super::model::{LineState, PickState};
use super::outcome::Effect;

/// What cancelling an order's lines did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cancelled {
    /// Queue changes to publish.
    pub effects: Vec<Effect>,
    /// (SKU, location, units) picked for it (packed or not): to put back.
    pub put_back: Vec<(String, String, i64)>,
}

impl TaskBook {
    /// Takes order `order` off every task; see the module doc.
    pub fn cancel_order(&mut self, order: u64, now: u64) -> Cancelled {
        let Some(progress) = self.orders.get_mut(&order) else {
            return Cancelled::default();
        };
        progress.state = PickState::Cancelled;
        let task_ids = progress.tasks.clone();
        self.touch_order(order);
        let mut put_back = Vec::new();
        for id in task_ids {
            let Some(task) = self.tasks.get_mut(&id) else {
                continue;
            };
            let mut changed = false;
            for line in task.lines.iter_mut().filter(|l| l.order == Some(order)) {
                let unpacked = line.state.picked() - line.packed;
                let live = matches!(line.state, LineState::Open) || unpacked > 0;
                if !live {
                    continue;
                }
                if unpacked > 0 {
                    put_back.push((line.sku.clone(), line.location.code().to_string(), unpacked));
                }
                line.state = LineState::Cancelled {
                    put_back: unpacked.max(0),
                };
                changed = true;
            }
            if task.open_lines() == 0 && task.closed_ms.is_none() {
                task.closed_ms = Some(now);
            }
            if changed {
                self.touch_task(id);
            }
        }
        Cancelled {
            effects: self.publish(),
            put_back,
        }
    }
}
