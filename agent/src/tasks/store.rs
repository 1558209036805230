//! How the work queue is laid out in its sled tree, and the check that
//! runs when it is read back.
//!
//! Two keys: `list` holds the task list (postcard, as on the wire without
//! the version byte), `marks` the local marks (a list of `(task, line,
//! units)`). Both are `storeseal::frame`s of format [`TASKS_FORMAT`]
//! (format byte, CRC32, body), as every journal value is, and both are
//! written in one sled batch, so a list and its marks never disagree on
//! disk. Like the journal, a damaged queue is refused with the problem
//! named, never "repaired": it is checked when the queue is opened (and
//! read back after the journal's directory was replaced).

use super::state::QueueState;
use protocol::{TaskList, TaskRef};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Format byte in front of every stored value of the queue.
pub const TASKS_FORMAT: u8 = 1;

const KEY_LIST: &[u8] = b"list";
const KEY_MARKS: &[u8] = b"marks";

/// One stored local mark.
#[derive(Debug, Serialize, Deserialize)]
struct StoredMark {
    task: u64,
    line: u32,
    units: i64,
}

/// The batch that stores `state` whole (list and marks together).
pub(crate) fn batch_for(state: &QueueState) -> Result<sled::Batch, String> {
    let mut batch = sled::Batch::default();
    let Some(list) = state.list() else {
        batch.remove(KEY_LIST);
        batch.remove(KEY_MARKS);
        return Ok(batch);
    };
    let marks: Vec<StoredMark> = state
        .marks()
        .iter()
        .map(|(at, &units)| StoredMark {
            task: at.task,
            line: at.line,
            units,
        })
        .collect();
    batch.insert(KEY_LIST, encode(list)?);
    batch.insert(KEY_MARKS, encode(&marks)?);
    Ok(batch)
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    let body = postcard::to_allocvec(value).map_err(|e| e.to_string())?;
    Ok(storeseal::frame(TASKS_FORMAT, &body))
}

fn decode<T: for<'de> Deserialize<'de>>(name: &str, value: &[u8]) -> Result<T, String> {
    let body = storeseal::unframe(TASKS_FORMAT, value).map_err(|e| format!("{name}: {e}"))?;
    postcard::from_bytes(body).map_err(|e| format!("{name}: undecodable: {e}"))
}

/// Reads and checks the stored queue: only the two keys, each intact and
/// decodable, the list valid (WIRE.md §4), every mark on one of its lines.
/// `Err` names the problem.
pub(crate) fn load(tree: &sled::Tree) -> Result<QueueState, String> {
    let mut list_bytes = None;
    let mut marks_bytes = None;
    for item in tree.iter() {
        let (key, value) = item.map_err(|e| e.to_string())?;
        match key.as_ref() {
            KEY_LIST => list_bytes = Some(value),
            KEY_MARKS => marks_bytes = Some(value),
            other => {
                let shown = String::from_utf8_lossy(other).escape_debug().to_string();
                return Err(format!("unknown key {shown}"));
            }
        }
    }
    let list: Option<TaskList> = match &list_bytes {
        Some(bytes) => Some(decode("list", bytes)?),
        None => None,
    };
    if let Some(list) = &list {
        list.validate()
            .map_err(|e| format!("the stored list is invalid: {e}"))?;
    }
    let stored: Vec<StoredMark> = match (&marks_bytes, &list) {
        (Some(bytes), Some(_)) => decode("marks", bytes)?,
        (Some(_), None) => return Err("marks without a list".into()),
        (None, Some(_)) => return Err("a list without its marks".into()),
        (None, None) => Vec::new(),
    };
    let mut marks = BTreeMap::new();
    for m in stored {
        let at = TaskRef {
            task: m.task,
            line: m.line,
        };
        if marks.insert(at, m.units).is_some() {
            return Err(format!("two marks for line {at}"));
        }
    }
    QueueState::from_parts(list, marks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::state_tests::{list, pick_task};

    fn tree() -> sled::Tree {
        let db = sled::Config::new().temporary(true).open().expect("sled");
        db.open_tree("tasks").expect("tree")
    }

    #[test]
    fn a_stored_queue_reads_back_as_it_was() {
        let tree = tree();
        assert_eq!(load(&tree), Ok(QueueState::default()));
        let mut state = QueueState::default();
        state
            .offer(list(3, vec![pick_task(7, &[(1, 5, 0)])]))
            .unwrap();
        state.mark_done(TaskRef { task: 7, line: 1 }, 2).unwrap();
        tree.apply_batch(batch_for(&state).unwrap()).unwrap();
        assert_eq!(load(&tree), Ok(state));
    }

    #[test]
    fn damage_is_named_not_repaired() {
        let tree = tree();
        let mut state = QueueState::default();
        state
            .offer(list(3, vec![pick_task(7, &[(1, 5, 0)])]))
            .unwrap();
        tree.apply_batch(batch_for(&state).unwrap()).unwrap();
        let good = tree.get(KEY_LIST).unwrap().unwrap();
        let mut flipped = good.to_vec();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x40;
        tree.insert(KEY_LIST, flipped).unwrap();
        assert!(load(&tree).unwrap_err().starts_with("list: "));
        tree.insert(KEY_LIST, good).unwrap();
        tree.remove(KEY_MARKS).unwrap();
        assert_eq!(load(&tree).unwrap_err(), "a list without its marks");
        let marks = vec![StoredMark {
            task: 7,
            line: 9,
            units: 1,
        }];
        tree.insert(KEY_MARKS, encode(&marks).unwrap()).unwrap();
        assert!(load(&tree).unwrap_err().contains("line 7:9"));
        tree.insert(b"stray", &b"x"[..]).unwrap();
        assert_eq!(load(&tree).unwrap_err(), "unknown key stray");
    }
}
