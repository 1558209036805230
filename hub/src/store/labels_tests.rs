//! What the outbound task reads to publish label jobs: the jobs still to
//! send to one station, and every job still live at any station.

use super::*;

fn job(id: u64, station: &str, state: JobState) -> JobRecord {
    JobRecord {
        id,
        batch: 1,
        position: id as u32,
        order: id,
        tracking: format!("SF{id}"),
        carrier: "SF Express".into(),
        batch_size: 6,
        station: station.into(),
        state,
        created_ms: 0,
        updated_ms: 0,
        steps: Vec::new(),
        zpl: vec![1, 2, 3],
    }
}

fn commit(store: &Store, jobs: Vec<JobRecord>) {
    let batch = BatchRecord {
        id: 1,
        group: "dock".into(),
        by: "operator".into(),
        created_ms: 0,
        jobs: jobs.iter().map(|j| j.id).collect(),
        key: vec![9; 4],
    };
    let changes = PrintChanges {
        jobs,
        batches: vec![batch],
        next_job: 7,
        next_batch: 2,
    };
    let mut sled_batch = sled::Batch::default();
    write(&mut sled_batch, &changes);
    store.tree.apply_batch(sled_batch).expect("apply");
}

fn ids(to_send: &JobsToSend) -> Vec<u64> {
    to_send.jobs.iter().map(|j| j.id).collect()
}

#[test]
fn sent_and_queued_jobs_are_live_at_their_station_and_only_sent_ones_are_to_send() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    commit(
        &store,
        vec![
            job(1, "ps1", JobState::Queued),
            job(2, "ps1", JobState::Sent),
            job(3, "ps1", JobState::Printed),
            job(4, "ps2", JobState::Queued),
            job(5, "ps2", JobState::Unsure("interrupted".into())),
            job(6, "ps1", JobState::Failed("paper_out".into())),
        ],
    );
    assert_eq!(ids(&store.jobs_to_send("ps1").expect("read")), [2]);
    assert!(store.jobs_to_send("ps2").expect("read").jobs.is_empty());

    let live = store.live_jobs().expect("read");
    let by_station: Vec<(&str, Vec<u64>)> =
        live.iter().map(|(s, j)| (s.as_str(), ids(j))).collect();
    assert_eq!(by_station, [("ps1", vec![1, 2]), ("ps2", vec![4])]);
    assert_eq!(live["ps1"].keys.get(&1), Some(&vec![9; 4]));
}

#[test]
fn a_job_that_moved_on_after_its_send_key_was_read_is_not_sent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    commit(&store, vec![job(1, "ps1", JobState::Sent)]);
    // As if a group printed it between the scan of `z` and the read of
    // its record: the send key is still there, the record says printed.
    let printed = job(1, "ps1", JobState::Printed);
    store
        .tree
        .insert(id_key(b'y', 1), encode(&printed))
        .expect("insert");
    assert!(store.jobs_to_send("ps1").expect("read").jobs.is_empty());
    assert!(store.live_jobs().expect("read").is_empty());
}
