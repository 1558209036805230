//! Discrepancies and count tasks (promise 5: physical facts are never
//! rejected). A pick (or the source side of a move) scanning more than the
//! pool holds at that SKU and location is applied as it happened; this
//! book records what the pool expected and what was scanned, and opens a
//! count task for the location unless one is already open. The next count
//! movement for that SKU and location is the adjustment: it sets on-hand
//! to what was found, closes the task and every open discrepancy there.

use serde::{Deserialize, Serialize};

/// A scan that contradicted the pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discrepancy {
    /// Id.
    pub id: u64,
    /// The SKU.
    pub sku: String,
    /// Where.
    pub location: String,
    /// The lot scanned ("" when none).
    pub lot: String,
    /// The movement kind ("pick", "move", "putaway").
    pub movement: String,
    /// On hand the pool expected at the location (all lots).
    pub expected: i64,
    /// Quantity the device scanned.
    pub scanned: i64,
    /// The device and its sequence number: the event that showed it.
    pub device: String,
    /// The device's sequence number.
    pub seq: u64,
    /// Hub time it was recorded.
    pub opened_ms: u64,
    /// The count task opened (or already open) for the location.
    pub count_task: u64,
    /// How it was closed, once counted.
    pub resolution: Option<Resolution>,
}

/// The count that closed a discrepancy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    /// The counting device.
    pub device: String,
    /// Its sequence number.
    pub seq: u64,
    /// What was found at the counted lot.
    pub counted: i64,
    /// The change the count made to on-hand (counted - on hand before).
    pub adjustment: i64,
    /// Hub time it was closed.
    pub closed_ms: u64,
}

/// A work item: count one SKU at one location (sent to a handheld by the
/// tasks issue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountTask {
    /// Id; the task id on the wire is `count-{id}`.
    pub id: u64,
    /// The SKU.
    pub sku: String,
    /// Where to count.
    pub location: String,
    /// Hub time it was opened.
    pub created_ms: u64,
    /// Hub time it was done, once counted.
    pub done_ms: Option<u64>,
}

/// A physical scan the pool could not cover, as the pool saw it.
#[derive(Debug, Clone, Copy)]
pub struct Uncovered<'a> {
    /// The movement.
    pub movement: &'a protocol::Movement,
    /// The device that scanned it.
    pub device: &'a str,
    /// On hand at the location before the movement.
    pub expected: i64,
}

/// A count movement as the pool saw it.
#[derive(Debug, Clone, Copy)]
pub struct Counted<'a> {
    /// The movement.
    pub movement: &'a protocol::Movement,
    /// The device that scanned it.
    pub device: &'a str,
    /// On hand at the counted key before the count.
    pub before: i64,
}

/// Open discrepancies and count tasks, and what changed.
#[derive(Debug, Default)]
pub struct DiscrepancyBook {
    open: Vec<Discrepancy>,
    tasks: Vec<CountTask>,
    next_discrepancy: u64,
    next_task: u64,
    changed: Vec<Discrepancy>,
    changed_tasks: Vec<CountTask>,
}

impl DiscrepancyBook {
    /// A book over the open items, with the next ids.
    pub fn load(
        open: Vec<Discrepancy>,
        tasks: Vec<CountTask>,
        next_discrepancy: u64,
        next_task: u64,
    ) -> DiscrepancyBook {
        DiscrepancyBook {
            open,
            tasks,
            next_discrepancy: next_discrepancy.max(1),
            next_task: next_task.max(1),
            ..DiscrepancyBook::default()
        }
    }

    /// Count tasks not done yet.
    pub fn open_count_tasks(&self) -> impl Iterator<Item = &CountTask> {
        self.tasks.iter().filter(|t| t.done_ms.is_none())
    }

    /// Records an uncovered scan; returns the discrepancy.
    pub fn record(&mut self, u: Uncovered<'_>, now: u64) -> &Discrepancy {
        let m = u.movement;
        self.next_discrepancy = self.next_discrepancy.max(1);
        self.next_task = self.next_task.max(1);
        let task = self.task_for(&m.sku, &m.location, now);
        let d = Discrepancy {
            id: self.next_discrepancy,
            sku: m.sku.clone(),
            location: m.location.clone(),
            lot: m.lot.clone().unwrap_or_default(),
            movement: m.kind.as_str().to_string(),
            expected: u.expected,
            scanned: m.quantity,
            device: u.device.to_string(),
            seq: m.seq,
            opened_ms: now,
            count_task: task,
            resolution: None,
        };
        self.next_discrepancy += 1;
        self.changed.push(d.clone());
        self.open.push(d);
        &self.open[self.open.len() - 1]
    }

    fn task_for(&mut self, sku: &str, location: &str, now: u64) -> u64 {
        if let Some(t) = self
            .tasks
            .iter()
            .find(|t| t.sku == sku && t.location == location)
        {
            return t.id;
        }
        let task = CountTask {
            id: self.next_task,
            sku: sku.to_string(),
            location: location.to_string(),
            created_ms: now,
            done_ms: None,
        };
        self.next_task += 1;
        self.changed_tasks.push(task.clone());
        self.tasks.push(task);
        self.next_task - 1
    }

    /// A count arrived: closes the open items at its SKU and location.
    pub fn counted(&mut self, c: Counted<'_>, now: u64) {
        if self.open.is_empty() && self.tasks.is_empty() {
            return;
        }
        let m = c.movement;
        let here = |sku: &str, loc: &str| sku == m.sku && loc == m.location;
        let resolution = Resolution {
            device: c.device.to_string(),
            seq: m.seq,
            counted: m.quantity,
            adjustment: m.quantity - c.before,
            closed_ms: now,
        };
        let (closed, open) = std::mem::take(&mut self.open)
            .into_iter()
            .partition::<Vec<_>, _>(|d| here(&d.sku, &d.location));
        self.open = open;
        for mut d in closed {
            d.resolution = Some(resolution.clone());
            self.changed.push(d);
        }
        let (done, tasks) = std::mem::take(&mut self.tasks)
            .into_iter()
            .partition::<Vec<_>, _>(|t| here(&t.sku, &t.location));
        self.tasks = tasks;
        for mut t in done {
            t.done_ms = Some(now);
            self.changed_tasks.push(t);
        }
    }

    /// Changes since the last call, and the next ids.
    pub fn take_changes(&mut self) -> (Vec<Discrepancy>, Vec<CountTask>, u64, u64) {
        (
            std::mem::take(&mut self.changed),
            std::mem::take(&mut self.changed_tasks),
            self.next_discrepancy.max(1),
            self.next_task.max(1),
        )
    }
}
