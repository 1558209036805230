//! The work queue on a real journal: a taken list and the local marks
//! survive a restart, a resend changes nothing, a newer list replaces the
//! marks of the lines it reports on, queues in a shared database are per
//! device, and a journal directory replaced under the agent leaves an
//! empty queue (version 0, so the hub re-sends) instead of a stale one.

use agent::tasks::Offer;
use agent::{Journal, TaskQueue, TaskQueueError};
use protocol::{TaskEntry, TaskKind, TaskLine, TaskList, TaskRef};

fn list(device: &str, version: u64, lines: &[(u32, i64, i64)]) -> TaskList {
    let lines = lines.iter().map(|&(line, quantity, done)| TaskLine {
        line,
        sku: "SKU-1".into(),
        location: format!("A-{line:02}"),
        lot: None,
        quantity,
        done,
        order: Some(77),
    });
    TaskList {
        site: "s1".into(),
        device: device.into(),
        version,
        tasks: vec![TaskEntry {
            task: 1042,
            kind: TaskKind::Pick,
            order: Some(77),
            remarks: Some("fragile".into()),
            lines: lines.collect(),
        }],
    }
}

fn at(line: u32) -> TaskRef {
    TaskRef { task: 1042, line }
}

fn done(queue: &TaskQueue, line: u32) -> Option<i64> {
    queue.line(at(line)).map(|l| l.done)
}

#[test]
fn a_taken_list_and_its_marks_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let v2 = list("hh-1", 2, &[(1, 3, 0), (2, 2, 0)]);
    {
        let journal = Journal::open(dir.path()).expect("open");
        let queue = TaskQueue::open(&journal).expect("queue");
        assert_eq!((queue.version(), queue.current()), (0, None));
        let taken = queue.offer(v2.clone()).expect("offer");
        assert!(matches!(taken, Offer::Taken { version: 2, .. }));
        queue.mark_done(at(1), 3).expect("mark");
        queue.mark_done(at(2), 1).expect("mark");
    }
    let journal = Journal::open(dir.path()).expect("reopen");
    let queue = TaskQueue::open(&journal).expect("queue");
    assert_eq!((queue.version(), queue.current()), (2, Some(v2.clone())));
    assert_eq!((done(&queue, 1), done(&queue, 2)), (Some(3), Some(1)));
    let next = queue.next_open_line().expect("line 2 is open");
    assert_eq!(
        (next.reference, next.remarks.as_deref()),
        (at(2), Some("fragile"))
    );
    // A resend is answered with the version held and changes nothing.
    let resend = queue.offer(v2).expect("offer");
    assert_eq!(resend, Offer::NotNewer { held: 2 });
    // v3 reports line 1 (the hub saw its picks), not line 2 (its scan is
    // still on the way): line 1's mark goes, line 2's stays.
    let v3 = list("hh-1", 3, &[(1, 3, 3), (2, 2, 0)]);
    assert_eq!(queue.offer(v3).expect("offer").held(), 3);
    assert_eq!((done(&queue, 1), done(&queue, 2)), (Some(3), Some(1)));
    let progress = queue.progress();
    assert_eq!((progress.lines_done, progress.lines_total), (1, 2));
    // Marks for lines the queue does not have are refused, and stored nothing.
    assert!(matches!(
        queue.mark_done(at(9), 1),
        Err(TaskQueueError::Mark(_))
    ));
    drop(queue);
    drop(journal);
    let journal = Journal::open(dir.path()).expect("reopen");
    let queue = TaskQueue::open(&journal).expect("queue");
    assert_eq!((queue.version(), done(&queue, 2)), (3, Some(1)));
}

#[test]
fn queues_in_a_shared_database_are_per_device() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = sled::open(dir.path()).expect("sled");
    let a = TaskQueue::open(&Journal::open_in(&db, "hh-a").expect("a")).expect("queue a");
    let b = TaskQueue::open(&Journal::open_in(&db, "hh-b").expect("b")).expect("queue b");
    a.offer(list("hh-a", 4, &[(1, 1, 0)])).expect("offer");
    assert_eq!((a.version(), b.version()), (4, 0));
    let again = TaskQueue::open(&Journal::open_in(&db, "hh-a").expect("a")).expect("queue a");
    assert_eq!(again.version(), 4);
}

#[test]
fn a_journal_replaced_under_the_agent_leaves_an_empty_queue() {
    let parent = tempfile::tempdir().expect("tempdir");
    let dir = parent.path().join("journal");
    let journal = Journal::open(&dir).expect("open");
    let queue = TaskQueue::open(&journal).expect("queue");
    queue.offer(list("hh-1", 5, &[(1, 2, 0)])).expect("offer");
    let old_epoch = journal.epoch();
    std::fs::remove_dir_all(&dir).expect("rm -rf");
    // Stored into files no restart would see: refused, and not taken.
    let lost = queue.offer(list("hh-1", 6, &[(1, 2, 0)]));
    assert!(matches!(lost, Err(TaskQueueError::Storage(_))), "{lost:?}");
    assert_eq!(queue.version(), 5);
    // The next scan opens the journal now at the path (a new one, new
    // epoch); from then on the queue is that journal's: empty (version 0,
    // which the next task ack tells the hub) until the hub's next list,
    // which is stored there.
    let draft = agent::MovementDraft::new(protocol::MovementKind::Pick, "SKU-1", "A-01", 1);
    assert_eq!(journal.record(draft).expect("scan"), 1);
    assert_ne!(journal.epoch(), old_epoch);
    assert_eq!((queue.version(), queue.current()), (0, None));
    let taken = queue.offer(list("hh-1", 6, &[(1, 2, 0)])).expect("offer");
    assert_eq!(taken.held(), 6);
    drop(queue);
    drop(journal);
    let journal = Journal::open(&dir).expect("reopen");
    assert_eq!(TaskQueue::open(&journal).expect("queue").version(), 6);
}
