//! The heartbeat, end to end inside the agent: a real driver on a real
//! journal, connected (as far as it knows), publishes a signed Online
//! status at once and then one per heartbeat interval, each carrying the
//! fleet fields (backlog, battery, signal, epoch, acked seq, app
//! version). The statuses are read back from the MQTT client's outgoing
//! queue (no broker needed), on tokio's paused clock, so the test counts
//! ticks of a clock it drives itself, not the machine's speed.

use super::driver::{Driver, Topics};
use super::link::LinkEvent;
use super::status::{StatusSigner, APP_VERSION};
use super::*;
use crate::draft::MovementDraft;
use protocol::{decode, verify_frame, DeviceKey, DeviceState, Message, MovementKind, Status};
use rumqttc::{EventLoop, MqttOptions, QoS, Request};
use std::path::Path;

const HEARTBEAT: Duration = Duration::from_secs(2);
const STEP: Duration = Duration::from_millis(100);
const STATUS_TOPIC: &str = "wms/s1/dev/hh-1/status";

fn secrets() -> DeviceSecrets {
    DeviceSecrets {
        password: "pw".into(),
        key: DeviceKey::from_bytes([3; 32]),
        key_version: 1,
    }
}

/// A journal with three movements, the first acknowledged.
fn journal(dir: &Path) -> Journal {
    let journal = Journal::open(dir).expect("journal");
    for _ in 0..3 {
        let draft = MovementDraft::new(MovementKind::Pick, "SKU-1", "A-01", 1);
        journal.record(draft).expect("record");
    }
    journal.ack(journal.epoch(), 1).expect("ack 1");
    journal
}

/// Starts a driver for hh-1 on `journal`; its link channel and the event
/// loop whose queue holds what it publishes.
fn start(
    journal: &Journal,
    config: &PublisherConfig,
    cancel: &CancellationToken,
) -> (mpsc::UnboundedSender<LinkEvent>, EventLoop, Battery) {
    let (client, eventloop) = AsyncClient::new(MqttOptions::new("t", "localhost", 1), 256);
    let topics = Topics::new("s1", "hh-1").expect("topics");
    let queue = TaskQueue::open(journal).expect("queue");
    let (acked, _) = watch::channel(journal.acked());
    let (frames, _) = watch::channel(InboundCounts::default());
    let (version, _) = watch::channel(queue.version());
    let watches = Watches {
        acked,
        frames,
        queue_version: Arc::new(version),
    };
    let battery = Battery::new();
    let signal = SignalSource::new(config.signal_file.clone());
    let parts = DriverParts {
        health: health::HealthProbe::new(journal.clone(), battery.clone(), signal),
        status: StatusSigner::new("s1", "hh-1", &config.secrets.key),
        queue,
        task_acks: TaskAckSigner::new("s1", "hh-1", &config.secrets.key),
    };
    let driver = Driver::new(journal.clone(), client, config, topics, watches, parts);
    let (links_tx, links_rx) = mpsc::unbounded_channel();
    tokio::spawn(driver.run(links_rx, Arc::new(Notify::new()), cancel.clone()));
    (links_tx, eventloop, battery)
}

/// The statuses published since the last call, each checked to be signed
/// with the device key, QoS 1, not retained and valid.
fn statuses(eventloop: &mut EventLoop) -> Vec<Status> {
    eventloop.clean();
    let published = eventloop.pending.drain(..).filter_map(|r| match r {
        Request::Publish(p) if p.topic == STATUS_TOPIC => Some(p),
        _ => None,
    });
    published
        .map(|p| {
            assert!(p.qos == QoS::AtLeastOnce && !p.retain);
            assert_eq!(verify_frame(&secrets().key, &p.payload), Ok(()));
            let Ok(Message::Status(status)) = decode(&p.payload) else {
                panic!("not a status on the status topic");
            };
            assert_eq!(status.validate(), Ok(()));
            status
        })
        .collect()
}

/// Moves the paused clock one step and lets the driver run; the statuses
/// published meanwhile.
async fn step(eventloop: &mut EventLoop) -> Vec<Status> {
    tokio::time::advance(STEP).await;
    for _ in 0..8 {
        tokio::task::yield_now().await;
    }
    statuses(eventloop)
}

#[tokio::test(start_paused = true)]
async fn a_status_every_heartbeat_with_the_fleet_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let signal_file = dir.path().join("signal");
    std::fs::write(&signal_file, "-63\n").expect("signal file");
    let journal = journal(&dir.path().join("journal"));
    let mut config = PublisherConfig::new("localhost", 1, "s1", "hh-1", secrets());
    config.heartbeat = HEARTBEAT;
    config.signal_file = Some(signal_file.clone());
    let cancel = CancellationToken::new();
    let (links, mut eventloop, battery) = start(&journal, &config, &cancel);
    battery.set(Some(76));
    links.send(LinkEvent::Connected).expect("driver runs");

    // Step by step until the Online status of the connect and three
    // heartbeats are out (a deadline of 10 intervals on the paused clock),
    // noting after how many steps each came.
    let per_beat = (HEARTBEAT.as_millis() / STEP.as_millis()) as u32;
    let mut seen: Vec<(u32, Status)> = Vec::new();
    for n in 0..10 * per_beat {
        seen.extend(step(&mut eventloop).await.into_iter().map(|s| (n, s)));
        if seen.len() == 4 {
            break;
        }
        if seen.len() == 2 {
            // The signal file changes: the next heartbeat says so.
            std::fs::write(&signal_file, "-71").expect("signal file");
        }
    }
    assert_eq!(seen.len(), 4, "the connect status and three heartbeats");
    for pair in seen.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!(
            (per_beat..=per_beat + 1).contains(&gap),
            "a heartbeat {gap} steps after the one before, not one interval ({per_beat})"
        );
    }
    let signals: Vec<_> = seen.iter().map(|(_, s)| s.signal_dbm).collect();
    assert_eq!(&signals[..2], [Some(-63), Some(-63)]);
    assert_eq!(&signals[2..], [Some(-71), Some(-71)]);
    for (_, status) in &seen {
        assert_eq!(status.state, DeviceState::Online);
        assert_eq!(
            (status.site.as_str(), status.device.as_str()),
            ("s1", "hh-1")
        );
        assert_eq!((status.epoch, status.acked_seq), (journal.epoch(), 1));
        assert_eq!((status.backlog, status.battery_pct), (2, Some(76)));
        assert_eq!(status.app_version, APP_VERSION);
    }
    let times: Vec<u64> = seen.iter().map(|(_, s)| s.device_time_ms).collect();
    assert!(times.windows(2).all(|t| t[0] < t[1]), "{times:?}");

    // Without the file the signal is unknown, and the rest goes on.
    std::fs::remove_file(&signal_file).expect("remove");
    let mut next = Vec::new();
    for _ in 0..2 * per_beat {
        next.extend(step(&mut eventloop).await);
        if !next.is_empty() {
            break;
        }
    }
    let status = next
        .first()
        .expect("another heartbeat within two intervals");
    assert_eq!((status.signal_dbm, status.acked_seq), (None, 1));
    cancel.cancel();
}
