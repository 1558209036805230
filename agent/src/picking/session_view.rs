//! What a [`PickSession`] shows at each step.

use super::session::{at_of, PickSession, Step};
use super::view::{ScreenView, Tally};
use super::ShortReason;
use protocol::{TaskEntry, TaskKind, TaskLine, TaskRef};

impl PickSession {
    /// The screen for the current step.
    pub fn view(&self) -> ScreenView {
        let mut view = ScreenView {
            mode: "PICK",
            headline: String::new(),
            big: None,
            details: Vec::new(),
            prompt: String::new(),
            notice: self.notice.clone(),
            tally: Some(self.tally()),
            sync: self.sync,
            remarks: None,
        };
        let at = match &self.step {
            Step::Idle => {
                view.headline = if self.lines().next().is_some() {
                    "ALL LINES DONE".into()
                } else {
                    "NO WORK".into()
                };
                view.prompt = "waiting for the next task list".into();
                return view;
            }
            Step::GoTo(at) | Step::ScanItem(at) => *at,
            Step::Quantity { at, .. } | Step::Reason { at, .. } => *at,
        };
        if let Some((task, line)) = self.line(at) {
            self.describe(&mut view, task, line);
        }
        view
    }

    fn describe(&self, view: &mut ScreenView, task: &TaskEntry, line: &TaskLine) {
        let count = task.kind == TaskKind::Count;
        let open = line.quantity - line.done;
        let (sku, location) = (&line.sku, &line.location);
        if count {
            view.mode = "COUNT";
        }
        view.remarks = task.remarks.clone();
        view.details = line_details(at_of(task, line), line, count);
        match &self.step {
            Step::Idle => {}
            Step::GoTo(_) => {
                view.headline = format!("GO TO {location}");
                view.big = Some(location.clone());
                view.prompt = "scan the location label".into();
            }
            Step::ScanItem(_) if count => {
                view.headline = format!("SCAN ITEM {sku}");
                view.big = Some(sku.clone());
                view.prompt = format!("at {location}: scan one {sku} to count it");
            }
            Step::ScanItem(_) => {
                view.headline = format!("SCAN ITEM {sku}  x{open}");
                view.big = Some(sku.clone());
                view.prompt = format!("at {location}: scan the item");
            }
            Step::Quantity { lot, .. } => {
                if let Some(lot) = &lot.lot {
                    view.details.push(format!("lot scanned: {lot}"));
                }
                if count {
                    view.headline = format!("COUNT {sku} AT {location}");
                    view.big = Some(sku.clone());
                    view.prompt = "type the units counted, then Enter".into();
                } else {
                    view.headline = format!("CONFIRM QTY {sku}  x{open}");
                    view.big = Some(open.to_string());
                    view.prompt = format!("type the units picked, Enter = {open}");
                }
            }
            Step::Reason { units, .. } => {
                view.headline = format!("SHORT PICK {units} OF {open}: WHY?");
                view.big = Some(format!("{units}/{open}"));
                for (key, reason) in ShortReason::ALL.iter().enumerate() {
                    view.details
                        .push(format!("{}  {}", key + 1, reason.as_str()));
                }
                view.prompt = "type 1, 2 or 3; Esc = change the quantity".into();
            }
        }
    }

    fn tally(&self) -> Tally {
        let (mut done, mut total) = (0, 0);
        for (task, line) in self.lines() {
            total += 1;
            if !self.progress.is_open(task.kind, at_of(task, line), line) {
                done += 1;
            }
        }
        Tally {
            label: "lines",
            done,
            total,
        }
    }
}

fn line_details(at: TaskRef, line: &TaskLine, count: bool) -> Vec<String> {
    let mut first = format!("task {} line {}", at.task, at.line);
    if let Some(order) = line.order {
        first.push_str(&format!("  order {order}"));
    }
    let what = if count {
        format!("count {} at {}", line.sku, line.location)
    } else {
        format!(
            "{} x{} at {}",
            line.sku,
            line.quantity - line.done,
            line.location
        )
    };
    let mut details = vec![first, what];
    if let Some(lot) = &line.lot {
        details.push(format!("lot suggested: {lot}"));
    }
    details
}
