//! A full disk on the handheld: the agent refuses to confirm a scan it
//! cannot persist (an error line, no `ok`), loses none it confirmed, and
//! once space returns confirms scans again in the same process (it reopens
//! its journal on the next scan); every confirmed scan then reaches the hub
//! exactly once. Uses a small tmpfs, so it needs root (CI and the dev
//! machines run as root); without root it fails with a message (never a silent skip).

use std::time::Duration;
use tests::procs::confirmed_seq;
use tests::tmpfs::{is_root, Tmpfs};
use tests::{AgentProc, HubPorts, HubProc};

/// Scans until the disk is full; returns the last confirmed seq and the
/// refusal.
fn fill_until_refused(agent: &mut AgentProc) -> (u64, String) {
    let mut last_ok = 0;
    for i in 0..20_000u64 {
        let line = format!(
            "receive SKU-{} LOCATION-{} {} lot=LOT-{i:06} task=T-{i:08}",
            i % 50,
            i % 30,
            i % 9 + 1
        );
        let answer = agent.scan(&line).unwrap();
        match confirmed_seq(&answer) {
            Some(seq) => {
                assert_eq!(seq, last_ok + 1, "seqs stay contiguous");
                last_ok = seq;
            }
            None => return (last_ok, answer),
        }
    }
    panic!("the disk never filled");
}

#[test]
fn full_disk_refuses_to_confirm_then_recovers_in_process_and_loses_nothing() {
    // A test that cannot run here fails: it never passes as skipped.
    assert!(
        is_root(),
        "full_disk needs root to mount a size-limited tmpfs (CI runs as root)"
    );
    let dir = tempfile::tempdir().unwrap();
    let disk = Tmpfs::mount(dir.path(), "600k");
    let journal = dir.path().join("journal");
    let hub_data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    // The hub is not up yet: everything stays in the journal.
    let extra = ["--exit-when-drained"];
    let creds = tests::provision(hub_data.path(), "s1", &["full-1"]);
    let mut agent = AgentProc::start(&journal, &ports.mqtt_addr(), &creds, "full-1", &extra);
    let (mut last_ok, refused) = fill_until_refused(&mut agent);
    assert!(
        refused.starts_with("error: ") && refused.contains("space"),
        "{refused}"
    );
    let again = agent.scan("receive SKU-1 A-01 1").unwrap();
    assert!(again.starts_with("error: "), "still full: {again}");

    disk.resize("20m");
    for _ in 0..3 {
        let answer = agent.scan("receive SKU-1 A-01 1").unwrap();
        assert_eq!(
            confirmed_seq(&answer),
            Some(last_ok + 1),
            "the same agent confirms again once space returns: {answer}"
        );
        last_ok += 1;
    }

    let hub = HubProc::start(hub_data.path(), ports, "s1");
    agent.close_stdin();
    assert!(
        agent.wait_exit(Duration::from_secs(60)),
        "the agent drained its backlog to the hub"
    );
    assert!(hub.terminate(), "hub stops cleanly");
    let store = hub::store::Store::open(hub_data.path()).unwrap();
    let mut seqs = Vec::new();
    for entry in store.events() {
        let (_, record) = entry.unwrap();
        if record.device == "full-1" {
            seqs.extend(record.movements.iter().map(|m| m.seq));
        }
    }
    assert_eq!(
        seqs,
        (1..=last_ok).collect::<Vec<u64>>(),
        "every confirmed scan reached the hub exactly once, none refused did"
    );
}
