//! Crash and partition storm: real agent processes fed scans while agents
//! are SIGKILLed at random, the hub is SIGKILLed several times, and a TCP
//! proxy between agents and broker cuts, partitions and delays traffic.
//! Seeded: `STORM_SEED=N` replays a schedule, `STORM_ROUNDS=N` makes it
//! longer (CI runs the short default; scripts/storm.sh runs a long one).
//! At the end every confirmed scan is applied exactly once, in order, and
//! the pool equals a replay of the event log.

use hub::pool::replay;
use hub::store::Store;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use tests::bursts::receive_burst;
use tests::proxy::Proxy;
use tests::sim::Rng;
use tests::{env_u64, hubapi, wait_until, AgentProc, HubPorts, HubProc};

const DEVICES: usize = 3;

struct Device {
    id: String,
    creds: tests::Credentials,
    dir: tempfile::TempDir,
    proc: Option<AgentProc>,
    confirmed: BTreeMap<u64, (String, i64)>,
    kills: usize,
}

#[derive(Debug, Default)]
struct Counts {
    scans: usize,
    agent_kills: usize,
    hub_kills: usize,
    partitions: usize,
}

fn start_agent(d: &mut Device, proxy_port: u16, extra: &[&str]) {
    let addr = format!("127.0.0.1:{proxy_port}");
    d.proc = Some(AgentProc::start(
        d.dir.path(),
        &addr,
        &d.creds,
        &d.id,
        extra,
    ));
}

fn scan_burst(d: &mut Device, rng: &mut Rng, proxy_port: u16, counts: &mut Counts) {
    if d.proc.is_none() {
        start_agent(d, proxy_port, &[]);
    }
    let Some(agent) = d.proc.as_mut() else { return };
    counts.scans += receive_burst(agent, rng, (8, 4), &d.id, &mut d.confirmed);
}

fn run_storm(
    rng: &mut Rng,
    rounds: u64,
    hub_data: &Path,
    ports: HubPorts,
    devices: &mut [Device],
    proxy: &Proxy,
) -> Counts {
    let mut hub = Some(HubProc::start(hub_data, ports, "s1"));
    let mut counts = Counts::default();
    for _ in 0..rounds {
        let d = rng.below(DEVICES as u64) as usize;
        match rng.below(100) {
            0..=54 => scan_burst(&mut devices[d], rng, proxy.port, &mut counts),
            55..=69 => {
                if let Some(p) = devices[d].proc.take() {
                    // In flight at the kill: one line written, answer unread.
                    let mut p = p;
                    let _ = p.scan_nowait("receive SKU-X L-1 1");
                    p.kill9();
                    devices[d].kills += 1;
                    counts.agent_kills += 1;
                }
            }
            70..=79 => proxy.cut_all(),
            80..=84 => proxy.set_delay(rng.below(30)),
            85..=91 => {
                counts.partitions += 1;
                proxy.set_down(true);
                scan_burst(&mut devices[d], rng, proxy.port, &mut counts);
                proxy.set_down(false);
            }
            _ => {
                if let Some(h) = hub.take() {
                    h.kill9();
                    counts.hub_kills += 1;
                }
                scan_burst(&mut devices[d], rng, proxy.port, &mut counts);
                hub = Some(HubProc::start(hub_data, ports, "s1"));
            }
        }
    }
    proxy.set_delay(0);
    drain(devices, proxy.port);
    let hub = hub.expect("hub running");
    for dev in devices.iter() {
        let last = dev.confirmed.keys().last().copied().unwrap_or(0);
        wait_until("watermark", Duration::from_secs(30), || {
            hubapi::watermark(ports.http_addr(), &dev.id)
                .ok()
                .filter(|&w| w >= last)
        })
        .unwrap();
    }
    assert!(hub.terminate(), "hub must stop cleanly");
    counts
}

fn drain(devices: &mut [Device], proxy_port: u16) {
    for d in devices.iter_mut() {
        if let Some(p) = d.proc.take() {
            p.kill9();
        }
        start_agent(d, proxy_port, &["--exit-when-drained"]);
        if let Some(p) = d.proc.as_mut() {
            p.close_stdin();
        }
    }
    for d in devices.iter_mut() {
        let p = d.proc.take().expect("agent");
        assert!(
            p.wait_exit(Duration::from_secs(60)),
            "{} did not drain",
            d.id
        );
    }
}

fn check(hub_data: &Path, devices: &[Device]) {
    let store = Store::open(hub_data).unwrap();
    let events: Vec<_> = store.events().map(|e| e.unwrap().1).collect();
    for d in devices {
        let applied: Vec<_> = events
            .iter()
            .filter(|e| e.device == d.id)
            .flat_map(|e| &e.movements)
            .collect();
        let seqs: Vec<u64> = applied.iter().map(|m| m.seq).collect();
        assert_eq!(
            seqs,
            (1..=seqs.len() as u64).collect::<Vec<_>>(),
            "{}: each seq once, in order",
            d.id
        );
        for (seq, (sku, qty)) in &d.confirmed {
            let m = applied
                .get((*seq - 1) as usize)
                .unwrap_or_else(|| panic!("{} lost seq {seq}", d.id));
            assert_eq!((&m.sku, m.quantity), (sku, *qty), "{} seq {seq}", d.id);
        }
        assert!(
            applied.len() - d.confirmed.len() <= d.kills,
            "{}: too many unconfirmed applied",
            d.id
        );
    }
    let stored: BTreeMap<_, _> = store
        .stock_rows(None)
        .unwrap()
        .into_iter()
        .map(|r| (r.key, r.on_hand))
        .collect();
    assert_eq!(
        stored,
        replay(&events),
        "pool equals a replay of the event log"
    );
}

#[test]
fn storm_of_kills_cuts_and_partitions_loses_and_doubles_nothing() {
    let seed = env_u64("STORM_SEED", 42);
    let rounds = env_u64("STORM_ROUNDS", 80);
    let mut rng = Rng::new(seed);
    let hub_data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let upstream: SocketAddr = ([127, 0, 0, 1], ports.mqtt).into();
    let proxy = Proxy::start(upstream).unwrap();
    let ids: Vec<String> = (0..DEVICES).map(|i| format!("storm-{i}")).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let creds = tests::provision(hub_data.path(), "s1", &id_refs);
    let mut devices: Vec<Device> = (0..DEVICES)
        .map(|i| Device {
            id: format!("storm-{i}"),
            creds: creds.clone(),
            dir: tempfile::tempdir().unwrap(),
            proc: None,
            confirmed: BTreeMap::new(),
            kills: 0,
        })
        .collect();
    let counts = run_storm(
        &mut rng,
        rounds,
        hub_data.path(),
        ports,
        &mut devices,
        &proxy,
    );
    check(hub_data.path(), &devices);
    eprintln!(
        "storm seed {seed}: {counts:?}, {} proxy cuts, lost 0, doubled 0",
        proxy.cuts()
    );
    assert!(counts.agent_kills > 0 && counts.hub_kills > 0 && counts.scans > 0);
}
