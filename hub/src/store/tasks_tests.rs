//! What the outbound task reads to send work queues: the queues of some
//! devices, and after a connection to the broker the queue of every
//! device that has one.

use super::*;
use hub_core::tasks::{Class, LineState, Location, Rank, TaskKind, TaskLine};

fn task(id: u64, device: &str, state: LineState, closed: bool) -> Task {
    let line = TaskLine {
        line: 0,
        order: Some(id * 10),
        order_line: 0,
        sku: "TEA".into(),
        location: Location::new("A-01-1"),
        lot: String::new(),
        expiry: None,
        quantity: 2,
        state,
        done_by: None,
        packed: 0,
    };
    Task {
        id,
        site: "s1".into(),
        kind: TaskKind::Pick,
        device: Some(device.into()),
        zone: String::new(),
        rank: Rank {
            class: Class::Express,
            due_ms: 0,
        },
        orders: vec![id * 10],
        lines: vec![line],
        created_ms: 0,
        closed_ms: closed.then_some(1),
    }
}

fn commit(store: &Store, tasks: Vec<Task>, versions: &[(&str, u64)]) {
    let changes = TaskChanges {
        tasks,
        orders: Vec::new(),
        versions: versions.iter().map(|(d, v)| (d.to_string(), *v)).collect(),
        next_task: 9,
    };
    let mut batch = sled::Batch::default();
    write(&mut batch, &changes);
    store.tree.apply_batch(batch).expect("apply");
}

/// Device, version and task ids of each queue.
fn summary(queues: &Queues) -> Vec<(&str, u64, Vec<u64>)> {
    let ids = |tasks: &Vec<Task>| tasks.iter().map(|t| t.id).collect();
    queues
        .iter()
        .map(|(d, (v, tasks))| (d.as_str(), *v, ids(tasks)))
        .collect()
}

#[test]
fn every_device_with_a_version_or_tasks_has_its_queue_read_in_one_go() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let tasks = vec![
        task(1, "h1", LineState::Open, false),
        // Picked, not packed: on h2's list and every packing station's.
        task(2, "h2", LineState::Confirmed(2), true),
        task(3, "h1", LineState::Open, false),
    ];
    // h3 emptied its queue (version 4, no task): it is sent the empty
    // list; h4's version was never raised (0): it has no queue.
    let versions = [("h1", 2), ("h2", 5), ("h3", 4), ("h4", 0)];
    commit(&store, tasks, &versions);
    let stations = ["pk1".to_string()];

    let all = store.live_queues(&stations).expect("read");
    assert_eq!(
        summary(&all),
        [
            ("h1", 2, vec![1, 3]),
            ("h2", 5, vec![2]),
            ("h3", 4, vec![]),
            ("pk1", 0, vec![2]),
        ]
    );
    // The same queues as sending them one by one reads.
    let wanted = ["h1", "h2", "h3", "pk1"].map(String::from).into();
    assert_eq!(store.device_queues(&wanted, &stations).expect("read"), all);
    // Nothing packed waits and nobody has a version: nothing to send.
    let empty = tempfile::tempdir().expect("tempdir");
    let store = Store::open(empty.path()).expect("open");
    assert!(store.live_queues(&stations).expect("read").is_empty());
}
