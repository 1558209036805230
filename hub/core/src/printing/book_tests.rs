use super::*;

const MIN: u64 = 60_000;

fn rules() -> PrintRules {
    PrintRules {
        stations: vec![
            ("ps1".into(), "dock".into()),
            ("ps2".into(), "dock".into()),
            ("ps9".into(), "office".into()),
        ],
        failover_ms: MIN,
    }
}

fn labels(n: u64) -> Vec<NewLabel> {
    (1..=n)
        .map(|order| NewLabel {
            order,
            tracking: format!("SF{order}"),
            carrier: "SF Express".into(),
            zpl: vec![order as u8; 4],
        })
        .collect()
}

fn result(job: u64, outcome: JobOutcome) -> JobResult {
    JobResult {
        job,
        outcome,
        at_ms: 0,
    }
}

fn book_with_both_stations_seen() -> PrintBook {
    let mut book = PrintBook::load(PrintParts::default(), rules(), 0);
    book.report("ps1", &[], 1);
    book.report("ps2", &[], 2);
    book
}

#[test]
fn a_batch_goes_to_one_station_in_order_and_prints_exactly_once() {
    let mut book = book_with_both_stations_seen();
    let batch = book
        .create_batch("dock", "op", vec![], labels(3), 10)
        .unwrap();
    assert_eq!(batch, 1);
    let pending: Vec<(u64, u32)> = book
        .pending("ps1")
        .iter()
        .map(|j| (j.id, j.position))
        .collect();
    assert_eq!(pending, vec![(1, 1), (2, 2), (3, 3)]);
    assert_eq!(book.take_sends(), vec!["ps1".to_string()]);
    let effects = book.report("ps1", &[result(1, JobOutcome::Printed)], 20);
    assert_eq!(
        effects,
        vec![PrintEffect::Labelled {
            order: 1,
            carrier: "SF Express".into(),
            tracking: "SF1".into()
        }]
    );
    // The same report again: nothing happens twice.
    assert!(book
        .report("ps1", &[result(1, JobOutcome::Printed)], 21)
        .is_empty());
    let changes = book.take_changes();
    assert_eq!(changes.next_job, 4);
    assert_eq!(changes.next_batch, 2);
    assert!(book.job(1).is_none(), "a printed job leaves memory");
    assert!(book
        .report("ps1", &[result(1, JobOutcome::Printed)], 22)
        .is_empty());
}

#[test]
fn jobs_not_yet_held_are_sent_again_once_stale_never_at_every_report() {
    let mut book = book_with_both_stations_seen();
    book.create_batch("dock", "op", vec![], labels(2), 10)
        .unwrap();
    book.take_sends();
    book.report("ps1", &[result(1, JobOutcome::Queued)], 11);
    let pending: Vec<u64> = book.pending("ps1").iter().map(|j| j.id).collect();
    assert_eq!(pending, vec![2]);
    assert!(book.take_sends().is_empty(), "job 2 was just sent");
    // The station reports again later (it reconnected): job 2 goes again.
    book.report("ps1", &[], 10 + RESEND_AFTER_MS);
    assert_eq!(book.take_sends(), vec!["ps1".to_string()]);
    book.report("ps1", &[], 11 + RESEND_AFTER_MS);
    assert!(book.take_sends().is_empty(), "not again at once");
    // A station heard from but silent: the sweep sends it again.
    book.report("ps1", &[], 9 + 2 * RESEND_AFTER_MS);
    book.sweep(10 + 2 * RESEND_AFTER_MS);
    assert_eq!(book.take_sends(), vec!["ps1".to_string()]);
    book.report(
        "ps1",
        &[result(2, JobOutcome::Queued)],
        12 + 2 * RESEND_AFTER_MS,
    );
    assert!(book.pending("ps1").is_empty());
    book.sweep(3 * RESEND_AFTER_MS);
    assert!(book.take_sends().is_empty());
}

#[test]
fn a_failed_job_moves_at_once_to_another_station_of_the_group() {
    let mut book = book_with_both_stations_seen();
    book.create_batch("dock", "op", vec![], labels(3), 10)
        .unwrap();
    book.report("ps1", &[result(1, JobOutcome::Printed)], 11);
    let failed = [
        result(2, JobOutcome::Failed("paper_out".into())),
        result(3, JobOutcome::Failed("paper_out".into())),
    ];
    let effects = book.report("ps1", &failed, 12);
    // One alert for the printer in trouble, not one per job moved.
    assert_eq!(
        effects,
        vec![PrintEffect::Attention {
            job: 2,
            station: "ps1".into(),
            reason: "paper_out".into()
        }]
    );
    assert_eq!(book.job(2).unwrap().state, JobState::Moved(4));
    assert_eq!(book.job(3).unwrap().state, JobState::Moved(5));
    let moved: Vec<(u64, u32, &[u8])> = book
        .pending("ps2")
        .iter()
        .map(|j| (j.id, j.position, j.zpl.as_slice()))
        .collect();
    assert_eq!(moved, vec![(4, 2, &[2u8; 4][..]), (5, 3, &[3u8; 4][..])]);
    // The failing station takes no moved work until it prints again.
    book.report(
        "ps2",
        &[result(4, JobOutcome::Failed("head_open".into()))],
        13,
    );
    assert_eq!(
        book.job(4).unwrap().state,
        JobState::Failed("head_open".into())
    );
}

#[test]
fn a_failed_job_with_nowhere_to_go_waits_and_asks_for_attention() {
    let mut book = PrintBook::load(PrintParts::default(), rules(), 0);
    book.report("ps9", &[], 1);
    book.create_batch("office", "op", vec![], labels(1), 10)
        .unwrap();
    let effects = book.report(
        "ps9",
        &[result(1, JobOutcome::Failed("paper_out".into()))],
        11,
    );
    assert_eq!(
        effects,
        vec![PrintEffect::Attention {
            job: 1,
            station: "ps9".into(),
            reason: "paper_out".into()
        }]
    );
    book.sweep(12);
    assert_eq!(
        book.job(1).unwrap().state,
        JobState::Failed("paper_out".into())
    );
    assert_eq!(book.reprint(1, 13).unwrap(), 2);
    assert_eq!(book.pending("ps9")[0].id, 2);
}

#[test]
fn a_silent_station_keeps_its_jobs_for_the_failover_time_then_loses_them() {
    let mut book = book_with_both_stations_seen();
    book.create_batch("dock", "op", vec![], labels(2), 10)
        .unwrap();
    book.report("ps1", &[result(1, JobOutcome::Queued)], 20);
    book.report("ps2", &[], 20 + MIN);
    book.sweep(20 + MIN);
    assert_eq!(
        book.job(1).unwrap().state,
        JobState::Queued,
        "not before the failover time"
    );
    book.sweep(21 + MIN);
    assert_eq!(book.job(1).unwrap().state, JobState::Moved(3));
    assert_eq!(book.job(2).unwrap().state, JobState::Moved(4));
    // The first station comes back and reports job 1 printed after all:
    // it no longer counts (it would have reported it expired).
    assert!(book
        .report("ps1", &[result(1, JobOutcome::Printed)], 22 + MIN)
        .is_empty());
}

#[test]
fn unsure_jobs_never_move_by_themselves() {
    let mut book = book_with_both_stations_seen();
    book.create_batch("dock", "op", vec![], labels(1), 10)
        .unwrap();
    let effects = book.report(
        "ps1",
        &[result(1, JobOutcome::Unsure("head_open".into()))],
        11,
    );
    assert_eq!(effects.len(), 1);
    book.sweep(10 * MIN);
    assert_eq!(
        book.job(1).unwrap().state,
        JobState::Unsure("head_open".into())
    );
    let effects = book.close(1, true, 12).unwrap();
    assert_eq!(
        effects,
        vec![PrintEffect::Labelled {
            order: 1,
            carrier: "SF Express".into(),
            tracking: "SF1".into()
        }]
    );
    assert!(book.close(1, true, 13).is_err());
}

#[test]
fn reports_from_another_station_change_nothing() {
    let mut book = book_with_both_stations_seen();
    book.create_batch("dock", "op", vec![], labels(1), 10)
        .unwrap();
    assert!(book
        .report("ps2", &[result(1, JobOutcome::Printed)], 11)
        .is_empty());
    assert_eq!(book.job(1).unwrap().state, JobState::Sent);
}

#[test]
fn batches_need_a_station_and_labels() {
    let mut book = PrintBook::load(PrintParts::default(), rules(), 0);
    assert_eq!(
        book.create_batch("nowhere", "op", vec![], labels(1), 1),
        Err(PrintError::NoStation("nowhere".into()))
    );
    assert_eq!(
        book.create_batch("dock", "op", vec![], vec![], 1),
        Err(PrintError::Empty)
    );
    // No station heard from yet: the first configured one gets it.
    book.create_batch("dock", "op", vec![], labels(1), 1)
        .unwrap();
    assert_eq!(book.pending("ps1").len(), 1);
}

#[test]
fn a_reloaded_book_sends_its_sent_jobs_again() {
    let mut book = book_with_both_stations_seen();
    book.create_batch("dock", "op", vec![], labels(2), 10)
        .unwrap();
    book.report("ps1", &[result(1, JobOutcome::Queued)], 11);
    let changes = book.take_changes();
    let parts = PrintParts {
        jobs: changes.jobs,
        batches: changes.batches,
        next_job: changes.next_job,
        next_batch: changes.next_batch,
    };
    let mut again = PrintBook::load(parts, rules(), 100);
    assert_eq!(again.take_sends(), vec!["ps1".to_string()]);
    assert_eq!(again.pending("ps1").len(), 1);
    assert_eq!(again.next_batch_id(), 2);
}
