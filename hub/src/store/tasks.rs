//! Work queues in the store (issue 15): each task under `j` + task id,
//! each open task's id again under `n` + task id (so a device's queue is
//! read from the open tasks alone, not from every task ever made), each
//! planned order's picking progress under `h` + order id, each device's
//! queue version under `v` + device id, and the next task id under
//! `mnext_work_task`, all written in the group commit that changed them,
//! so a queue sent to a device is never newer than what the store holds.

use crate::store::codec::{decode, encode, encode_i64, id_key, prefixed};
use crate::store::{Store, StoreError};
use hub_core::tasks::{OrderPick, PickState, Task, TaskChanges, TaskParts};
use std::collections::{BTreeMap, BTreeSet};

/// The next work task id.
pub(crate) const NEXT_WORK_TASK: &[u8] = b"mnext_work_task";

/// Puts a group's task changes into its batch.
pub(crate) fn write(batch: &mut sled::Batch, changes: &TaskChanges) {
    for task in &changes.tasks {
        batch.insert(id_key(b'j', task.id), encode(task));
        if task.in_queue() {
            batch.insert(id_key(b'n', task.id), encode(&()));
        } else {
            batch.remove(id_key(b'n', task.id));
        }
    }
    for order in &changes.orders {
        batch.insert(id_key(b'h', order.order), encode(order));
    }
    for (device, version) in &changes.versions {
        batch.insert(prefixed(b'v', device.as_bytes()), encode(version));
    }
    if !changes.is_empty() {
        batch.insert(NEXT_WORK_TASK, encode_i64(changes.next_task as i64));
    }
}

/// Decodes a work-queue record by its prefix (for the start-up check).
pub(crate) fn check_record(prefix: u8, key: &[u8], value: &[u8]) -> Option<Result<(), StoreError>> {
    Some(match prefix {
        b'j' => decode::<Task>(key, value).map(drop),
        b'h' => decode::<OrderPick>(key, value).map(drop),
        b'v' => decode::<u64>(key, value).map(drop),
        b'n' => decode::<()>(key, value).map(drop),
        _ => return None,
    })
}

impl Store {
    /// What the task book needs at start: queue versions, orders not
    /// packed yet, their tasks and every open task. Done
    /// work stays in the store for `GET /api/v1/tasks` but not in memory.
    pub fn task_parts(&self) -> Result<TaskParts, StoreError> {
        let versions = self
            .tree
            .scan_prefix([b'v'])
            .map(|item| {
                let (k, v) = item?;
                let device = String::from_utf8_lossy(&k[1..]).into_owned();
                Ok((device, decode::<u64>(&k, &v)?))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let orders: Vec<OrderPick> = self
            .records::<OrderPick>(b'h')?
            .into_iter()
            .map(|(_, o)| o)
            .filter(|o| !matches!(o.state, PickState::Packed | PickState::Cancelled))
            .collect();
        // The tasks still in a queue (the `n` index), then those of orders
        // not packed yet that are not: never a read of every task made.
        let mut tasks = self.queued_tasks()?;
        let have: BTreeSet<u64> = tasks.iter().map(|t| t.id).collect();
        for id in orders.iter().flat_map(|o| o.tasks.iter().copied()) {
            if !have.contains(&id) {
                tasks.extend(self.record::<Task>(b'j', id)?);
            }
        }
        Ok(TaskParts {
            tasks,
            orders,
            versions,
            next_task: self.counter(NEXT_WORK_TASK)?,
        })
    }
}

/// What `GET /api/v1/tasks` asks for.
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    /// Only this device's tasks.
    pub device: Option<String>,
    /// Only open (`Some(true)`) or closed (`Some(false)`) tasks.
    pub open: Option<bool>,
    /// Only tasks with an id above this (the previous page's last).
    pub after_id: u64,
    /// At most this many.
    pub limit: usize,
}

impl Store {
    /// A page of tasks in id order, as last committed.
    pub fn tasks(&self, query: &TaskQuery) -> Result<Vec<Task>, StoreError> {
        let start = id_key(b'j', query.after_id.saturating_add(1));
        let mut page = Vec::new();
        for item in self.tree.range(start..id_key(b'j', u64::MAX)) {
            let (k, v) = item?;
            let task: Task = decode(&k, &v)?;
            let device_ok = query
                .device
                .as_deref()
                .is_none_or(|d| task.device.as_deref() == Some(d));
            if device_ok && query.open.is_none_or(|o| task.is_open() == o) {
                page.push(task);
                if page.len() >= query.limit {
                    break;
                }
            }
        }
        Ok(page)
    }
}

/// Queues by device: each one's version and its tasks still in the queue.
pub type Queues = BTreeMap<String, (u64, Vec<Task>)>;

impl Store {
    /// The queues of `devices` as committed: each one's version and its
    /// tasks still in the queue, from one pass over the open tasks.
    pub fn device_queues(
        &self,
        devices: &BTreeSet<String>,
        pack_stations: &[String],
    ) -> Result<Queues, StoreError> {
        let mut queues = BTreeMap::new();
        for device in devices {
            let key = prefixed(b'v', device.as_bytes());
            let version = match self.tree.get(&key)? {
                Some(v) => decode::<u64>(&key, &v)?,
                None => 0,
            };
            queues.insert(device.clone(), (version, Vec::new()));
        }
        self.fill_queues(&mut queues, pack_stations, false)?;
        Ok(queues)
    }

    /// The queue of every device that has one (a version above 0, or a
    /// task in its queue), as committed: one scan of the versions and one
    /// pass over the open tasks, whatever the number of devices.
    pub fn live_queues(&self, pack_stations: &[String]) -> Result<Queues, StoreError> {
        let mut queues = BTreeMap::new();
        for item in self.tree.scan_prefix([b'v']) {
            let (k, v) = item?;
            let version = decode::<u64>(&k, &v)?;
            if version > 0 {
                let device = String::from_utf8_lossy(&k[1..]).into_owned();
                queues.insert(device, (version, Vec::new()));
            }
        }
        self.fill_queues(&mut queues, pack_stations, true)?;
        Ok(queues)
    }

    /// Puts every task still in a queue on its device's list and, picked
    /// and not packed yet, on every packing station's list too (WIRE.md:
    /// the list is the station's whole queue). Only lists already in
    /// `queues`, unless `add` (then a device's first task adds its list).
    fn fill_queues(
        &self,
        queues: &mut Queues,
        pack_stations: &[String],
        add: bool,
    ) -> Result<(), StoreError> {
        for task in self.queued_tasks()? {
            let holder = task.device.clone();
            if task.awaits_packing() {
                for station in pack_stations {
                    if holder.as_deref() == Some(station.as_str()) {
                        continue;
                    }
                    if let Some(tasks) = list_of(queues, station, add) {
                        tasks.push(task.clone());
                    }
                }
            }
            if let Some(tasks) = holder.and_then(|d| list_of(queues, &d, add)) {
                tasks.push(task);
            }
        }
        Ok(())
    }

    /// Every task still in a queue (open, or picked and not packed), by id.
    fn queued_tasks(&self) -> Result<Vec<Task>, StoreError> {
        let mut tasks = Vec::new();
        for item in self.tree.scan_prefix([b'n']) {
            let (k, _) = item?;
            let id = crate::store::codec::id_of(&k)?;
            tasks.extend(self.record::<Task>(b'j', id)?.filter(Task::in_queue));
        }
        Ok(tasks)
    }
}

/// `device`'s tasks in `queues`; added at version 0 if `add` and missing.
fn list_of<'a>(queues: &'a mut Queues, device: &str, add: bool) -> Option<&'a mut Vec<Task>> {
    if add && !queues.contains_key(device) {
        queues.insert(device.to_string(), (0, Vec::new()));
    }
    queues.get_mut(device).map(|(_, tasks)| tasks)
}

#[cfg(test)]
#[path = "tasks_tests.rs"]
mod tests;
