//! Device B, logged in with its own credentials, tries to mark device A
//! offline on the hub: an unsigned "offline", an "offline" signed with B's
//! own key, an "offline" for a device that does not exist, and replays of
//! A's own genuine statuses it captured on the broker: the clean Offline A
//! sent when it stopped, the last will the broker sent when A was killed,
//! and an old Online heartbeat. Over the real hub, the real broker and a
//! real agent process: A stays online through all of it, the forgeries go
//! to dead letters, the replays are counted as stale, and the counts are
//! printed (`forged-status ...` on stderr) for the closing note.

use protocol::{decode, encode, encode_signed_status, DeviceState, Message, Status};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use tests::attacker::Attacker;
use tests::identity::device_key;
use tests::watched::WatchedAgent;
use tests::{hubapi, wait_until, Credentials, HubPorts, HubProc};

const A: &str = "dev-a";
const B: &str = "dev-b";
const STATUS_A: &str = "wms/s1/dev/dev-a/status";
const LONG: Duration = Duration::from_secs(30);

fn offline_for(device: &str, time: u64) -> Status {
    Status {
        site: "s1".into(),
        device: device.into(),
        // Later than anything A has sent: only the tag can refuse these.
        session_ms: u64::MAX / 2,
        state: DeviceState::Offline,
        backlog: 0,
        battery_pct: None,
        device_time_ms: time,
        epoch: 1,
        acked_seq: 0,
        app_version: "test".into(),
        signal_dbm: None,
        auth_tag: None,
    }
}

fn wait_state(addr: SocketAddr, want: &str) {
    wait_until(&format!("A {want}"), LONG, || {
        let state = hubapi::device_state(addr, A).ok().flatten();
        (state.as_deref() == Some(want)).then_some(())
    })
    .unwrap_or_else(|e| panic!("A never {want} at the hub: {e}"));
}

/// A's genuine statuses B has seen, decoded, with their frames.
fn captured(b: &Attacker) -> Vec<(Status, Vec<u8>)> {
    b.captured_from_others(STATUS_A)
        .into_iter()
        .filter_map(|frame| match decode(&frame) {
            Ok(Message::Status(s)) => Some((s, frame)),
            _ => None,
        })
        .collect()
}

/// Waits until B has seen a genuine status of A in `state` that is not in
/// `except`, and returns its frame.
fn capture(b: &Attacker, state: DeviceState, except: &[Vec<u8>]) -> Vec<u8> {
    wait_until("B captured A's status", LONG, || {
        captured(b)
            .into_iter()
            .find(|(s, f)| s.state == state && !except.contains(f))
            .map(|(_, f)| f)
    })
    .expect("B never saw the status")
}

fn start_a(dir: &Path, hub: &HubProc, creds: &Credentials) -> WatchedAgent {
    let a = WatchedAgent::start(&dir.join("a"), &hub.ports.mqtt_addr(), creds, A, &[]);
    wait_state(hub.ports.http_addr(), "online");
    a
}

/// Waits until `metric` reached `at_least`, then checks A is still online.
fn settle(addr: SocketAddr, metric: &str, at_least: u64) {
    wait_until(metric, LONG, || {
        let n = hubapi::metric(addr, metric).ok()?;
        (n >= at_least).then_some(())
    })
    .unwrap_or_else(|e| panic!("the hub never counted {metric} >= {at_least}: {e}"));
    assert_eq!(
        hubapi::device_state(addr, A).ok().flatten().as_deref(),
        Some("online"),
        "A was marked offline by a forged or replayed status"
    );
}

#[test]
fn forged_and_replayed_statuses_never_mark_a_working_device_offline() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProc::start(&dir.path().join("hub"), HubPorts::fresh(), "s1");
    let creds = hub.provision(&[A, B]);
    let addr = hub.ports.http_addr();
    let b = Attacker::connect(&creds, B, hub.ports.mqtt);

    // Genuine material for replays: an Online heartbeat, the clean Offline
    // of a stop, the broker's last will of a SIGKILL.
    let a = start_a(dir.path(), &hub, &creds);
    let online = capture(&b, DeviceState::Online, &[]);
    assert!(a.terminate().0, "A did not stop cleanly");
    wait_state(addr, "offline");
    let clean_offline = capture(&b, DeviceState::Offline, &[]);
    // Dropping a watched agent kills it with SIGKILL.
    drop(start_a(dir.path(), &hub, &creds));
    wait_state(addr, "offline");
    let will = capture(
        &b,
        DeviceState::Offline,
        std::slice::from_ref(&clean_offline),
    );
    let _a = start_a(dir.path(), &hub, &creds);

    let dead_before = hubapi::dead_letters(addr).expect("dead letters").len() as u64;
    let b_key = device_key(&creds, B);
    let forged = [
        (STATUS_A, encode(&Message::Status(offline_for(A, 1)))),
        (STATUS_A, encode_signed_status(&b_key, &offline_for(A, 2))),
        (
            "wms/s1/dev/dev-z/status",
            encode_signed_status(&b_key, &offline_for("dev-z", 3)),
        ),
    ];
    for (topic, frame) in &forged {
        b.publish(topic, frame.clone(), false);
    }
    wait_until("forgeries dead-lettered", LONG, || {
        let n = hubapi::dead_letters(addr).ok()?.len() as u64;
        (n >= dead_before + forged.len() as u64).then_some(())
    })
    .expect("the hub did not refuse every forged status");
    settle(addr, "wms_statuses_stale_total", 0);
    let reasons = hubapi::dead_letters(addr).expect("dead letters");
    for want in [
        "status has no auth tag",
        "MAC fails: the status",
        "unknown device",
    ] {
        assert!(
            reasons.iter().any(|(_, r)| r.contains(want)),
            "no dead letter {want:?} in {reasons:?}"
        );
    }
    assert_eq!(hubapi::device_state(addr, "dev-z"), Ok(None));

    let stale_before = hubapi::metric(addr, "wms_statuses_stale_total").expect("metric");
    let replays = [online, clean_offline, will];
    for frame in &replays {
        b.replay(STATUS_A, frame.clone());
    }
    settle(
        addr,
        "wms_statuses_stale_total",
        stale_before + replays.len() as u64,
    );
    eprintln!(
        "forged-status: frames forged {}, refused {}, replays {}, ignored as stale {}, \
         acted on 0 (A online throughout)",
        forged.len(),
        forged.len(),
        replays.len(),
        hubapi::metric(addr, "wms_statuses_stale_total").unwrap_or(0) - stale_before,
    );
}
