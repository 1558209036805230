//! Properties of the queue over any run of offers and marks: the version
//! held only grows and is what every offer says to acknowledge; marks only
//! ever name lines of the list held; no pick line shows more than its
//! quantity; the next open line is the first open line.

use super::state::{Offer, QueueState};
use super::state_tests::{count_task, list, pick_task};
use proptest::prelude::*;
use protocol::{TaskEntry, TaskRef};

/// A task as generated: `(id, is_count, [(quantity, done)])`.
type TaskSpec = (u64, bool, Vec<(i64, i64)>);

#[derive(Debug, Clone)]
enum Op {
    /// A list of this version.
    Offer(u64, Vec<TaskSpec>),
    Mark(u64, u32, i64),
}

fn tasks(spec: &[TaskSpec]) -> Vec<TaskEntry> {
    let mut seen = std::collections::BTreeSet::new();
    let unique = spec.iter().filter(|(id, _, _)| seen.insert(*id));
    unique
        .map(|(id, is_count, lines)| {
            let numbers = 1..=u32::try_from(lines.len()).unwrap_or(u32::MAX);
            if *is_count {
                let numbers: Vec<u32> = numbers.collect();
                count_task(*id, &numbers)
            } else {
                let lines: Vec<_> = numbers
                    .zip(lines)
                    .map(|(n, &(q, d))| (n, q, d.min(q)))
                    .collect();
                pick_task(*id, &lines)
            }
        })
        .collect()
}

fn op() -> impl Strategy<Value = Op> {
    let line = (1i64..6, 0i64..6);
    let task = (1u64..4, any::<bool>(), prop::collection::vec(line, 0..4));
    prop_oneof![
        (0u64..8, prop::collection::vec(task, 0..4)).prop_map(|(v, t)| Op::Offer(v, t)),
        (1u64..4, 1u32..4, -1i64..4).prop_map(|(t, l, q)| Op::Mark(t, l, q)),
    ]
}

proptest! {
    #[test]
    fn any_run_keeps_the_queue_consistent(ops in prop::collection::vec(op(), 0..40)) {
        let mut q = QueueState::default();
        let mut highest = 0;
        for op in ops {
            let before = q.version();
            match op {
                Op::Offer(version, spec) => {
                    let offer = q.offer(list(version, tasks(&spec))).expect("valid list");
                    highest = highest.max(version);
                    prop_assert_eq!(offer.held(), q.version());
                    let newer = version > before;
                    prop_assert_eq!(matches!(offer, Offer::Taken { .. }), newer);
                }
                Op::Mark(task, line, quantity) => {
                    let marked = q.mark_done(TaskRef { task, line }, quantity);
                    prop_assert_eq!(q.version(), before);
                    if let Ok(progress) = marked {
                        prop_assert_eq!(Some(progress), q.line(TaskRef { task, line }));
                    }
                }
            }
            prop_assert_eq!(q.version(), highest);
            let rebuilt = QueueState::from_parts(q.list().cloned(), q.marks().clone());
            prop_assert_eq!(rebuilt.as_ref(), Ok(&q));
            let lines = q.lines();
            for l in &lines {
                prop_assert!(l.done <= l.line.quantity || l.kind == protocol::TaskKind::Count);
            }
            prop_assert_eq!(q.next_open_line(), lines.iter().find(|l| l.open).cloned());
            let progress = q.progress();
            prop_assert_eq!(progress.lines_total, lines.len());
            prop_assert!(progress.lines_done <= progress.lines_total);
        }
    }
}
