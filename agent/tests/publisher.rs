//! The publisher without a hub: it starts, keeps the device recording
//! while the hub is unreachable, and stops promptly on cancellation.
//! (Exchanges with a real hub are tested by the cross-crate tests.)

use agent::{
    run_publisher, DeviceSecrets, Journal, MovementDraft, PublisherConfig, PublisherError,
};
use protocol::MovementKind;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

fn secrets() -> DeviceSecrets {
    DeviceSecrets {
        password: "pw".into(),
        key: protocol::DeviceKey::from_bytes([1; 32]),
        key_version: 1,
    }
}

#[tokio::test]
async fn offline_publisher_keeps_recording_and_stops_on_cancel() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::open(dir.path()).expect("open");
    let cancel = CancellationToken::new();
    let config = PublisherConfig::new("127.0.0.1", 1, "site-1", "hh-9", secrets());
    let (handle, task) = run_publisher(journal.clone(), config, cancel.clone()).expect("start");
    let task = tokio::spawn(task);
    for _ in 0..3 {
        let draft = MovementDraft::new(MovementKind::Pick, "SKU-1", "A-01", 1);
        journal.record(draft).expect("record while offline");
        handle.notify_journaled();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(*handle.acked().borrow(), 0);
    // The work queue stored with the journal is there offline too (empty).
    assert_eq!(handle.tasks().version(), 0);
    assert_eq!(*handle.queue_version().borrow(), 0);
    assert_eq!(
        journal.backlog(),
        3,
        "nothing leaves the journal without an ack"
    );
    handle.cancel_token().cancel();
    tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .expect("publisher stops within 2 s")
        .expect("publisher task");
    assert!(
        !handle.wait_acked(1).await,
        "ended publisher reports no ack"
    );
}

#[tokio::test]
async fn bad_ids_are_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::open(dir.path()).expect("open");
    let config = PublisherConfig::new("127.0.0.1", 1883, "site-1", "hh/+", secrets());
    let started = run_publisher(journal, config, CancellationToken::new());
    assert!(matches!(started, Err(PublisherError::Topic(_))));
}
