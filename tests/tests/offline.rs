//! Promise 3: offline is normal. The agent starts with no broker to talk
//! to, keeps confirming scans, and when the hub comes up it drains the
//! whole backlog, in order, each movement once.

use hub::store::Store;
use std::time::Duration;
use tests::procs::confirmed_seq;
use tests::{hubapi, wait_until, AgentProc, HubPorts, HubProc};

const SCANS: u64 = 300;

#[test]
fn offline_device_confirms_scans_and_drains_in_order() {
    let hub_data = tempfile::tempdir().unwrap();
    let agent_data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    // Provisioned before the hub ever ran: `hub device add` needs no hub.
    let creds = tests::provision(hub_data.path(), "s1", &["off-1"]);
    let mut agent = AgentProc::start(agent_data.path(), &ports.mqtt_addr(), &creds, "off-1", &[]);
    for i in 1..=SCANS {
        let answer = agent
            .scan(&format!("receive SKU-{} LOC-{} {}", i % 7, i % 3, i))
            .unwrap();
        assert_eq!(
            confirmed_seq(&answer),
            Some(i),
            "scan {i} answered {answer:?}"
        );
    }

    let hub = HubProc::start(hub_data.path(), ports, "s1");
    wait_until("backlog drained", Duration::from_secs(30), || {
        hubapi::watermark(ports.http_addr(), "off-1")
            .ok()
            .filter(|&w| w == SCANS)
    })
    .unwrap();
    let total: i64 = hubapi::stock(ports.http_addr()).unwrap().values().sum();
    assert_eq!(total, (1..=SCANS as i64).sum::<i64>());
    assert!(hub.terminate(), "hub must exit cleanly on SIGTERM");
    drop(agent);

    let store = Store::open(hub_data.path()).unwrap();
    let seqs: Vec<u64> = store
        .events()
        .map(|e| e.unwrap().1)
        .filter(|e| e.device == "off-1")
        .flat_map(|e| e.movements)
        .map(|m| m.seq)
        .collect();
    assert_eq!(
        seqs,
        (1..=SCANS).collect::<Vec<_>>(),
        "applied once each, in order"
    );
}
