//! Per-unknown-device state is bounded: one provisioned device publishes
//! status frames for 20,000 distinct unregistered device ids, each on that
//! id's own topic (rumqttd has no topic ACLs, so any logged-in device can).
//! The hub must dead-letter every one, keep only the newest 10,000 dead
//! letters in its store, and its own resident memory must not grow with
//! the number of ids it has seen. `UNKNOWN_DEVICES=N` changes the count
//! (to see whether any growth is linear in N).

use protocol::{encode, DeviceState, Message, Status};
use rumqttc::{Client, QoS};
use std::time::Duration;
use tests::identity::device_options;
use tests::procs::{broker_child, resident_kib};
use tests::{hubapi, wait_until, HubPorts, HubProc};

const SITE: &str = "s1";
const SENDER: &str = "sender-1";
/// Unknown ids sent before the baseline is read, so that what the hub
/// allocates once (buffers, caches, the first sled pages) is in it.
const WARM_UP: u64 = 1_000;
/// The hub's own resident memory may grow by at most this much over the
/// run: room for allocator noise and sled's cache of the 10,000 letters
/// kept, well under what a per-id leak of 1 KiB (20 MiB at 20,000 ids)
/// would add. Before group commits were capped at 500 (and sled's
/// collector helped, `store_reclaim`), the hub grew 40 to 60 MiB here:
/// the flood was written in groups of thousands of records, and sled's
/// garbage from such batches was never freed.
const GROWTH_BOUND_KIB: u64 = 16 * 1024;

fn status_for(device: &str) -> Vec<u8> {
    encode(&Message::Status(Status {
        site: SITE.into(),
        device: device.into(),
        session_ms: 1,
        state: DeviceState::Online,
        backlog: 0,
        battery_pct: None,
        device_time_ms: 1,
        epoch: 1,
        acked_seq: 0,
        app_version: "test".into(),
        signal_dbm: None,
        auth_tag: None,
    }))
}

/// Publishes one status per id in `ids` from `client` (QoS 1).
fn send(client: &Client, ids: std::ops::Range<u64>) {
    for n in ids {
        let device = format!("unk-{n}");
        client
            .publish(
                format!("wms/{SITE}/dev/{device}/status"),
                QoS::AtLeastOnce,
                false,
                status_for(&device),
            )
            .expect("queue publish");
    }
}

fn wait_dead_letters(hub: &HubProc, want: u64) {
    let addr = hub.ports.http_addr();
    wait_until(
        &format!("{want} dead letters"),
        Duration::from_secs(120),
        || {
            let n = hubapi::metric(addr, "wms_dead_letters_total").ok()?;
            (n >= want).then_some(())
        },
    )
    .expect("the hub did not dead-letter every unknown device's status");
}

fn rss_mib(pid: u32) -> f64 {
    resident_kib(pid).map_or(0.0, |(rss, _)| rss as f64 / 1024.0)
}

#[test]
fn unknown_device_ids_do_not_grow_the_hub() {
    let n = tests::env_u64("UNKNOWN_DEVICES", 20_000);
    let data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let creds = tests::identity::provision(data.path(), SITE, &[SENDER]);
    let hub = HubProc::start(data.path(), ports, SITE);
    let mut opts = device_options(&creds, SENDER, ports.mqtt);
    opts.set_keep_alive(Duration::from_secs(30));
    let (client, mut connection) = Client::new(opts, 1000);
    std::thread::spawn(move || {
        for event in connection.iter() {
            if event.is_err() {
                break;
            }
        }
    });
    let before = hubapi::metric(ports.http_addr(), "wms_dead_letters_total").unwrap();
    send(&client, 0..WARM_UP);
    wait_dead_letters(&hub, before + WARM_UP);
    let (base_kib, _) = resident_kib(hub.pid()).expect("hub memory");
    let broker = broker_child(hub.pid());
    let broker_base = broker.map_or(0.0, rss_mib);

    send(&client, WARM_UP..WARM_UP + n);
    wait_dead_letters(&hub, before + WARM_UP + n);
    let (after_kib, peak_kib) = resident_kib(hub.pid()).expect("hub memory");
    let broker_after = broker.map_or(0.0, rss_mib);
    let grown = after_kib.saturating_sub(base_kib);
    eprintln!(
        "unknown-devices: {n} unknown ids after {WARM_UP} warm-up; hub VmRSS {:.1} -> {:.1} MiB \
         (+{:.1} MiB, peak {:.1}); broker child {broker:?} VmRSS {broker_base:.1} -> \
         {broker_after:.1} MiB",
        base_kib as f64 / 1024.0,
        after_kib as f64 / 1024.0,
        grown as f64 / 1024.0,
        peak_kib as f64 / 1024.0,
    );
    assert!(broker.is_some(), "no broker-child process under the hub");

    // The counter moves when the writer refuses a frame, the list when
    // its group is committed: wait for the last one to be listed.
    let newest = format!("wms/{SITE}/dev/unk-{}/status", WARM_UP + n - 1);
    let listed = wait_until(
        "the last dead letter listed",
        Duration::from_secs(30),
        || {
            let listed = hubapi::dead_letters(ports.http_addr()).ok()?;
            (listed.first().map(|(t, _)| t.as_str()) == Some(newest.as_str())).then_some(listed)
        },
    )
    .expect("the hub did not list the last unknown device's status");
    assert!(
        listed.len() <= 10_000,
        "{} dead letters listed",
        listed.len()
    );
    assert_eq!(
        listed.first().map(|(t, _)| t.as_str()),
        Some(newest.as_str())
    );
    assert!(
        listed.iter().all(|(_, why)| why.contains("unknown device")),
        "every dead letter is an unknown device's status"
    );

    drop(client);
    assert!(hub.terminate(), "the hub did not stop cleanly");
    let store = hub::store::Store::open(data.path()).expect("open the hub's store");
    let kept = store.dead_letters(usize::MAX).expect("dead letters").len();
    assert_eq!(
        kept as u64,
        hub::events::KEPT_DEAD_LETTERS,
        "the store keeps the newest {} dead letters",
        hub::events::KEPT_DEAD_LETTERS
    );
    // Last, so that the bounds above are checked even while this fails.
    assert!(
        grown < GROWTH_BOUND_KIB,
        "the hub grew by {grown} KiB for {n} unknown ids (bound {GROWTH_BOUND_KIB} KiB)"
    );
}
