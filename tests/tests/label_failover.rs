//! Label jobs when things break (issue 16), over real processes: a printer
//! that runs out of paper mid-batch (its remaining jobs fail over to the
//! other station of the group; every label printed exactly once overall);
//! a station killed with SIGKILL mid-batch (it resumes without a
//! duplicate); the hub killed with SIGKILL mid-batch (no job lost, none
//! printed twice); malformed, unsealed and wrongly sealed job frames
//! (refused and counted by the station, nothing printed).

use protocol::sealed::{seal, FrameCounter, Recipient, SealKey};
use protocol::{LabelJob, Message};
use rumqttc::{Client, QoS};
use std::collections::HashSet;
use tests::identity::{device_key, device_options};
use tests::labels::{
    labels_toml, order_ref, print_batch, wait_batch, FakePrinter, LabelSite, Station, WAIT,
};
use tests::wait_until;
use tests::work::TaskHub;

/// Which of orders `prefix`0001..`n` each printed label is, in print order.
fn printed_refs(printed: &[String], prefix: &str, n: usize) -> Vec<usize> {
    printed
        .iter()
        .map(|zpl| {
            (1..=n)
                .find(|&i| zpl.contains(&order_ref(prefix, i)))
                .unwrap_or_else(|| panic!("a label of no order: {zpl}"))
        })
        .collect()
}

fn assert_no_duplicates(refs: &[usize]) {
    let unique: HashSet<&usize> = refs.iter().collect();
    assert_eq!(unique.len(), refs.len(), "a label printed twice: {refs:?}");
}

#[test]
fn paper_out_mid_batch_moves_the_rest_and_every_label_prints_once() {
    let data = tempfile::tempdir().unwrap();
    let mut site = LabelSite::start(data.path(), &[("ps1", "dock"), ("ps2", "dock")], 60, "");
    let addr = site.addr;
    let ids = site.packed_orders("PO", 12);

    let p1 = FakePrinter::start(data.path(), "p1", Some(4));
    let p2 = FakePrinter::start(data.path(), "p2", None);
    let mut s1 = site.station(data.path(), "ps1", p1.addr);
    let _s2 = site.station(data.path(), "ps2", p2.addr);

    // Both stations are up: the batch goes to the first of the group.
    let batch = print_batch(addr, &ids);
    let done = wait_batch(addr, batch, "12 labels printed", |p| p["printed"] == 12);
    assert_eq!(done["progress"]["moved"], 8, "{done}");
    s1.wait_line("ps1 saw paper out", |l| {
        l.starts_with("failed") && l.ends_with("reason=paper_out")
    });

    let first = printed_refs(&p1.printed(), "PO", 12);
    let second = printed_refs(&p2.printed(), "PO", 12);
    assert_eq!(first, [1, 2, 3, 4], "ps1 printed until its paper ran out");
    assert_eq!(
        second,
        (5..=12).collect::<Vec<_>>(),
        "ps2 printed the rest, in order"
    );
    let all: Vec<usize> = first.iter().chain(&second).copied().collect();
    assert_no_duplicates(&all);
    let moved: Vec<&serde_json::Value> = done["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .filter(|j| j["state"] == "moved")
        .collect();
    assert!(
        moved
            .iter()
            .all(|j| j["station"] == "ps1" && j["moved_to"].is_u64()),
        "{done}"
    );
}

#[test]
fn a_station_killed_mid_batch_resumes_without_a_duplicate() {
    let data = tempfile::tempdir().unwrap();
    let mut site = LabelSite::start(data.path(), &[("ps1", "dock")], 60, "");
    let addr = site.addr;
    let ids = site.packed_orders("SK", 30);
    let printer = FakePrinter::start(data.path(), "p1", None);
    let mut station = site.station(data.path(), "ps1", printer.addr);
    let batch = print_batch(addr, &ids);
    station.wait_line("a few printed", |l| l == "printed job=5");
    station.kill9();

    let _again = site.station(data.path(), "ps1", printer.addr);
    let done = wait_batch(addr, batch, "every job final", |p| {
        p["printed"].as_u64().unwrap_or(0) + p["unsure"].as_u64().unwrap_or(0) == 30
    });
    let refs = printed_refs(&printer.printed(), "SK", 30);
    assert_no_duplicates(&refs);
    // At most the one job being sent at the kill is unsure; every job the
    // hub counts printed is on paper.
    let unsure = done["progress"]["unsure"].as_u64().unwrap_or(0);
    assert!(unsure <= 1, "{done}");
    assert!(
        refs.len() as u64 >= 30 - unsure,
        "{} printed: {done}",
        refs.len()
    );
    let mut sorted = refs.clone();
    sorted.sort_unstable();
    assert_eq!(refs, sorted, "printed in batch order across the restart");
}

#[test]
fn the_hub_killed_mid_batch_loses_no_job_and_prints_none_twice() {
    let data = tempfile::tempdir().unwrap();
    let mut site = LabelSite::start(data.path(), &[("ps1", "dock")], 60, "");
    let addr = site.addr;
    let ids = site.packed_orders("HK", 30);
    let printer = FakePrinter::start(data.path(), "p1", None);
    let mut station = site.station(data.path(), "ps1", printer.addr);
    let batch = print_batch(addr, &ids);
    station.wait_line("a few queued", |l| l.starts_with("queued job=3 "));
    let hub = site.hub.crash_and_restart();
    let done = wait_batch(hub.addr(), batch, "30 printed after the restart", |p| {
        p["printed"] == 30
    });
    let refs = printed_refs(&printer.printed(), "HK", 30);
    assert_eq!(refs, (1..=30).collect::<Vec<_>>(), "{done}");
    drop(station);
}

/// A job for `station` sealed with `sealer`'s key (or published in clear).
fn job_frame(site: &str, station: &str, topic: &str, key: Option<&protocol::DeviceKey>) -> Vec<u8> {
    let job = LabelJob {
        site: site.into(),
        station: station.into(),
        job: 9_999,
        batch: 1,
        position: 1,
        batch_size: 1,
        order: 1,
        tracking: "SF1".into(),
        valid_ms: 60_000,
        zpl: "^XA^FDforged^FS^XZ".into(),
    };
    let message = Message::LabelJob(job);
    match key {
        None => protocol::encode(&message),
        Some(key) => {
            let to = Recipient {
                site,
                device: station,
                topic,
                key_version: 1,
            };
            seal(
                &SealKey::derive(key),
                &to,
                FrameCounter {
                    boot: 1,
                    counter: 1,
                },
                [7; 12],
                &message,
            )
            .expect("seal")
        }
    }
}

#[test]
fn malformed_unsealed_and_wrongly_sealed_jobs_are_refused_and_print_nothing() {
    let data = tempfile::tempdir().unwrap();
    let hub = TaskHub::start_with(
        data.path(),
        &[],
        &labels_toml(&[("ps1", "dock"), ("ps2", "dock")], 60),
    );
    let ports = hub.ports;
    let creds = hub.hub.provision(&["attacker"]);
    let stations = hub.hub.provision_stations(&["ps1", "ps2"]);
    let printer = FakePrinter::start(data.path(), "p1", None);
    let mut station = Station::start(
        &data.path().join("ps1"),
        &ports.mqtt_addr(),
        &stations,
        "ps1",
        printer.addr,
    );
    station.wait_line("connected", |l| l == "connected");

    let topic = "wms/s1/printer/ps1/jobs";
    let ps2_key = device_key(&stations, "ps2");
    let attacker_key = device_key(&creds, "attacker");
    let frames = [
        b"garbage".to_vec(),
        job_frame("s1", "ps1", topic, None),
        // Sealed for ps2, sent to ps1.
        job_frame("s1", "ps2", "wms/s1/printer/ps2/jobs", Some(&ps2_key)),
        // Sealed for ps1 with the wrong key.
        job_frame("s1", "ps1", topic, Some(&attacker_key)),
    ];
    let (client, mut conn) = Client::new(device_options(&creds, "attacker", ports.mqtt), 10);
    std::thread::spawn(move || for _ in conn.iter() {});
    for frame in &frames {
        client
            .publish(topic, QoS::AtLeastOnce, false, frame.clone())
            .expect("publish");
    }
    let refused = wait_until("four refusals", WAIT, || {
        let lines: Vec<String> = station
            .lines()
            .into_iter()
            .filter(|l| l.starts_with("refused"))
            .collect();
        (lines.len() >= 4).then_some(lines)
    })
    .unwrap_or_else(|e| panic!("{e}: {:?}", station.lines()));
    assert_eq!(
        refused,
        [
            "refused reason=not_sealed",
            "refused reason=not_sealed",
            "refused reason=other_station",
            "refused reason=bad_seal"
        ],
    );
    assert!(printer.printed().is_empty(), "a forged job printed");
    assert!(
        !station.lines().iter().any(|l| l.starts_with("queued")),
        "{:?}",
        station.lines()
    );
}

#[test]
fn a_silent_stations_jobs_move_after_the_failover_time_and_it_never_prints_them_late() {
    let data = tempfile::tempdir().unwrap();
    // The shortest failover the config takes: 5 s.
    let mut site = LabelSite::start(data.path(), &[("ps1", "dock"), ("ps2", "dock")], 5, "");
    let addr = site.addr;
    let ids = site.packed_orders("SI", 6);
    // ps1's printer never answers: its jobs stay queued at ps1.
    let mut p1 = FakePrinter::start(data.path(), "p1", None);
    p1.set_state("silent");
    let p2 = FakePrinter::start(data.path(), "p2", None);
    let mut s1 = site.station(data.path(), "ps1", p1.addr);
    let _s2 = site.station(data.path(), "ps2", p2.addr);

    let batch = print_batch(addr, &ids);
    s1.wait_line("ps1 holds the last job", |l| {
        l.starts_with("queued") && l.ends_with("position=6/6")
    });
    // ps1 goes dark holding six jobs (its power is cut).
    s1.kill9();
    let done = wait_batch(addr, batch, "6 printed at ps2", |p| p["printed"] == 6);
    let refs = printed_refs(&p2.printed(), "SI", 6);
    assert_eq!(refs, (1..=6).collect::<Vec<_>>(), "{done}");
    assert_eq!(done["progress"]["moved"], 6, "{done}");

    // ps1 comes back, its printer working again: the jobs it held are past
    // their valid_ms, so it reports them expired and prints none of them.
    p1.set_state("ok");
    let mut back = site.station(data.path(), "ps1", p1.addr);
    back.wait_line("the first held job expired", |l| {
        l.starts_with("failed") && l.ends_with("reason=expired")
    });
    wait_until("every held job expired", WAIT, || {
        let expired = back
            .lines()
            .iter()
            .filter(|l| l.ends_with("reason=expired"))
            .count();
        (expired >= 5).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}: {:?}", back.lines()));
    assert!(p1.printed().is_empty(), "a moved job printed late at ps1");
    let after = tests::labels::batch(addr, batch);
    assert_eq!(after["progress"]["printed"], 6, "{after}");
}

#[test]
fn a_label_caught_in_the_printer_by_an_open_head_is_cancelled_and_printed_elsewhere_once() {
    let data = tempfile::tempdir().unwrap();
    let mut site = LabelSite::start(data.path(), &[("ps1", "dock"), ("ps2", "dock")], 60, "");
    let addr = site.addr;
    let ids = site.packed_orders("HO", 6);
    // ps1's head opens as the third label arrives: the printer holds it,
    // as a Zebra does, and would print it once the head is closed.
    let mut p1 = FakePrinter::start_with(data.path(), "p1", &["--head-open-on", "3"]);
    let p2 = FakePrinter::start(data.path(), "p2", None);
    let mut s1 = site.station(data.path(), "ps1", p1.addr);
    let _s2 = site.station(data.path(), "ps2", p2.addr);

    let batch = print_batch(addr, &ids);
    let done = wait_batch(addr, batch, "6 printed", |p| p["printed"] == 6);
    // The station saw the label still in the buffer after the head opened:
    // it cancelled it (~JA), so the job failed, safely, and moved.
    let failed = s1.wait_line("ps1 failed the caught job", |l| {
        l.starts_with("failed") && l.ends_with("reason=head_open")
    });
    assert!(
        !s1.lines().iter().any(|l| l.starts_with("unsure")),
        "{:?}",
        s1.lines()
    );
    // Someone closes the head: the cancelled label does not come out late.
    p1.set_state("ok");
    assert_eq!(printed_refs(&p1.printed(), "HO", 6), [1, 2], "{failed}");
    assert_eq!(printed_refs(&p2.printed(), "HO", 6), [3, 4, 5, 6], "{done}");
}
