//! Promise 11 over real processes, the real broker and real sled dirs: a
//! handheld whose journal is wiped starts a new epoch, and nothing it
//! confirms afterwards is taken for a duplicate.
//!
//! - Wiped at rest: the agent is SIGKILLed, its data directory deleted,
//!   and it starts again with the same credentials, twice. Its seqs start
//!   at 1 each time, and every scan of every epoch is applied, once.
//! - An old epoch's batch, replayed from the broker, is still a duplicate
//!   of that epoch: stock unchanged, and its ack (for the old epoch) is
//!   refused by the running agent, which is in the new one.
//! - A batch forged with the device's own key, same (device, epoch, seq)
//!   as applied but other content, is refused as a conflict: an alert in
//!   the API, the stock and watermark unchanged, the device still working.
//! - Wiped while the agent runs (sled would go on writing to unlinked
//!   files): the next scan is refused with a clear error, the one after it
//!   opens a new journal and epoch, and every scan confirmed from then on
//!   is applied, also after a restart.

use protocol::{decode, EventBatch, Message};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use tests::attacker::Attacker;
use tests::identity::signed_frame;
use tests::procs::confirmed_seq;
use tests::watched::WatchedAgent;
use tests::{hubapi, wait_until, AgentProc, Credentials, HubPorts, HubProc};

const DEVICE: &str = "ep-1";
const EVENTS: &str = "wms/s1/dev/ep-1/events";
const SKU: &str = "SKU-EP";
const LONG: Duration = Duration::from_secs(30);

/// Scans `count` receives of quantity `qty` each; every one must be
/// confirmed, with seqs `first..`; returns the units confirmed.
fn scan_all(
    scan: &mut dyn FnMut(&str) -> Result<String, String>,
    first: u64,
    count: u64,
    qty: i64,
) -> i64 {
    for i in 0..count {
        let answer = scan(&format!("receive {SKU} A-01 {qty}")).expect("answer");
        assert_eq!(confirmed_seq(&answer), Some(first + i), "{answer}");
    }
    count as i64 * qty
}

fn on_hand(hub: &HubProc) -> i64 {
    let stock = hubapi::stock(hub.ports.http_addr()).expect("stock");
    stock
        .get(&(SKU.to_string(), "A-01".to_string(), String::new()))
        .copied()
        .unwrap_or(0)
}

/// Waits until the hub knows `epochs` epochs of the device and the newest
/// (not in `known`) has `watermark`; returns it.
fn new_epoch_applied(hub: &HubProc, known: &[u64], watermark: u64) -> u64 {
    let http = hub.ports.http_addr();
    wait_until("new epoch applied", LONG, || {
        let epochs = hubapi::epochs(http, DEVICE).ok()?;
        let (&epoch, _) = epochs
            .iter()
            .find(|(e, (w, _))| !known.contains(e) && *w == watermark)?;
        Some(epoch)
    })
    .expect("the hub did not apply the new epoch's scans")
}

/// The agent's batches captured on the broker, decoded, by epoch.
fn captured(spy: &Attacker) -> BTreeMap<u64, Vec<(EventBatch, Vec<u8>)>> {
    let mut out: BTreeMap<u64, Vec<(EventBatch, Vec<u8>)>> = BTreeMap::new();
    for frame in spy.captured_from_others(EVENTS) {
        if let Ok(Message::Batch(batch)) = decode(&frame) {
            out.entry(batch.epoch).or_default().push((batch, frame));
        }
    }
    out
}

fn agent(data: &Path, hub: &HubProc, creds: &Credentials) -> AgentProc {
    AgentProc::start(data, &hub.ports.mqtt_addr(), creds, DEVICE, &[])
}

#[test]
fn a_wiped_journal_is_a_new_epoch_old_resends_stay_duplicates_and_conflicts_are_refused() {
    let hub_data = tempfile::tempdir().unwrap();
    let agent_root = tempfile::tempdir().unwrap();
    let data = agent_root.path().join("journal");
    let ports = HubPorts::fresh();
    let hub = HubProc::start(hub_data.path(), ports, "s1");
    let creds = hub.provision(&[DEVICE, "spy"]);
    let spy = Attacker::connect(&creds, "spy", ports.mqtt);
    let mut units = 0;
    let mut epochs = Vec::new();
    // Two lives, each ended by SIGKILL and a deleted data directory.
    for (count, qty) in [(20, 1), (15, 2)] {
        let mut a = agent(&data, &hub, &creds);
        units += scan_all(&mut |l| a.scan(l), 1, count, qty);
        epochs.push(new_epoch_applied(&hub, &epochs, count));
        a.kill9();
        std::fs::remove_dir_all(&data).expect("wipe the journal");
    }
    assert_eq!(on_hand(&hub), units, "every scan of both epochs, once");
    // The third life runs on while the broker is used against it.
    let mut third = WatchedAgent::start(&data, &ports.mqtt_addr(), &creds, DEVICE, &[]);
    units += scan_all(&mut |l| third.scan(l), 1, 5, 3);
    let current = new_epoch_applied(&hub, &epochs, 5);
    assert!(!epochs.contains(&current) && current != 0);

    replay_old_epoch(&hub, &spy, &mut third, epochs[0], units);
    forge_conflict(&hub, &spy, &creds, current, units);
    // The device is not stuck: its next scan is applied.
    units += scan_all(&mut |l| third.scan(l), 6, 1, 4);
    wait_until("scan after the conflict applied", LONG, || {
        (on_hand(&hub) == units).then_some(())
    })
    .expect("stock after the conflict");
    let log = third.kill9();
    assert_eq!(
        log.refused_for(&["bad seal", "not sealed", "replayed"]),
        0,
        "{log:?}"
    );
    let seen = hubapi::epochs(ports.http_addr(), DEVICE).unwrap();
    assert_eq!(seen.len(), 3, "{seen:?}");
    eprintln!("epochs (watermark, conflicts): {seen:?}, {units} units applied");
}

/// A captured batch of the first epoch, published again: a duplicate of
/// that epoch (stock unchanged), answered with an ack for it, which the
/// agent, in another epoch now, refuses.
fn replay_old_epoch(hub: &HubProc, spy: &Attacker, agent: &mut WatchedAgent, old: u64, units: i64) {
    let http = hub.ports.http_addr();
    let frames = wait_until("old epoch captured", LONG, || captured(spy).remove(&old))
        .expect("the spy saw no batch of the first epoch");
    let dup_before = hubapi::metric(http, "wms_batches_duplicate_total").unwrap();
    let (_, frame) = &frames[0];
    spy.replay(EVENTS, frame.clone());
    wait_until("replay refused by the agent", LONG, || {
        (agent.log().refused_for(&["other epoch"]) >= 1).then_some(())
    })
    .expect("the old epoch's ack did not reach the agent");
    assert!(hubapi::metric(http, "wms_batches_duplicate_total").unwrap() > dup_before);
    assert_eq!(
        on_hand(hub),
        units,
        "a replayed old-epoch batch changed stock"
    );
    assert_eq!(hubapi::epochs(http, DEVICE).unwrap()[&old].0, 20);
}

/// A batch of the current epoch, seqs already applied, one quantity
/// changed, signed with the device's own key: refused as a conflict.
fn forge_conflict(hub: &HubProc, spy: &Attacker, creds: &Credentials, epoch: u64, units: i64) {
    let http = hub.ports.http_addr();
    let batches = wait_until("current epoch captured", LONG, || {
        captured(spy).remove(&epoch)
    })
    .expect("the spy saw no batch of the current epoch");
    let mut forged = batches[0].0.clone();
    forged.movements[0].quantity += 100;
    forged.auth_tag = None;
    let seq = forged.first_seq;
    spy.publish(EVENTS, signed_frame(creds, DEVICE, &forged), false);
    wait_until("conflict counted", LONG, || {
        (hubapi::metric(http, "wms_batches_conflict_total").ok()? == 1).then_some(())
    })
    .expect("the forged batch was not refused as a conflict");
    let alerts = hubapi::alerts(http).unwrap();
    let epoch_hex = format!("{epoch:016x}");
    let conflict = alerts
        .iter()
        .find(|(kind, _)| kind == "journal_conflict")
        .unwrap_or_else(|| panic!("no conflict alert in {alerts:?}"));
    assert!(conflict.1.contains(&epoch_hex), "{}", conflict.1);
    assert!(conflict.1.contains(&format!("seq {seq}")), "{}", conflict.1);
    assert_eq!(on_hand(hub), units, "the conflicting batch changed stock");
    let (watermark, conflicts) = hubapi::epochs(http, DEVICE).unwrap()[&epoch];
    assert_eq!((watermark, conflicts), (5, 1));
}

#[test]
fn a_journal_deleted_under_the_running_agent_refuses_one_scan_then_starts_a_new_epoch() {
    let hub_data = tempfile::tempdir().unwrap();
    let agent_root = tempfile::tempdir().unwrap();
    let data = agent_root.path().join("journal");
    let ports = HubPorts::fresh();
    let hub = HubProc::start(hub_data.path(), ports, "s1");
    let creds = hub.provision(&[DEVICE]);
    let mut a = agent(&data, &hub, &creds);
    let mut units = scan_all(&mut |l| a.scan(l), 1, 6, 1);
    let first = new_epoch_applied(&hub, &[], 6);
    std::fs::remove_dir_all(&data).expect("delete the journal under the agent");
    // The scan went to files no restart would see: refused, not confirmed.
    let answer = a.scan(&format!("receive {SKU} A-01 50")).unwrap();
    assert!(
        answer.starts_with("error:") && answer.contains("deleted or replaced"),
        "{answer}"
    );
    units += scan_all(&mut |l| a.scan(l), 1, 8, 2);
    let second = new_epoch_applied(&hub, &[first], 8);
    assert_eq!(on_hand(&hub), units, "the refused scan is not in stock");
    // The new journal is the one on disk: a restart carries on with it.
    a.kill9();
    let mut again = agent(&data, &hub, &creds);
    units += scan_all(&mut |l| again.scan(l), 9, 3, 5);
    wait_until("restarted agent applied", LONG, || {
        let epochs = hubapi::epochs(hub.ports.http_addr(), DEVICE).ok()?;
        (epochs.get(&second) == Some(&(11, 0)) && epochs.len() == 2).then_some(())
    })
    .expect("the restarted agent's scans");
    assert_eq!(on_hand(&hub), units);
}
