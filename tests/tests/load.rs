//! Load: 5,000 devices connected to one real hub process at once over TCP,
//! each sending heartbeats and three batches and waiting for every ack,
//! then staying connected (heartbeating) until every device is done, so
//! the hub carries the whole fleet at once to the end: all 5,000 must be
//! connected at the moment the last ack arrives. The hub must stay healthy
//! throughout, ack every batch, and end with exactly the stock the devices
//! moved. What it prints is a smoke figure on a loaded machine, not a
//! benchmark. `LOAD_DEVICES=N` changes the size.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tests::procs::{raise_fd_limit, resident_kib};
use tests::swarm::{run, SwarmPlan};
use tests::{http, hubapi, HubPorts, HubProc};

const ROUNDS: u64 = 3;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn devices() -> usize {
    env_or("LOAD_DEVICES", 5000) as usize
}

/// Polls /healthz until `stop`; counts answers that were not 200.
fn watch_health(
    addr: std::net::SocketAddr,
    stop: Arc<AtomicBool>,
) -> (Arc<AtomicU64>, Arc<AtomicU64>) {
    let (polls, bad) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let (p, b) = (polls.clone(), bad.clone());
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            let ok = http::get(addr, "/healthz")
                .map(|r| r.status == 200)
                .unwrap_or(false);
            p.fetch_add(1, Ordering::Relaxed);
            if !ok {
                b.fetch_add(1, Ordering::Relaxed);
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    });
    (polls, bad)
}

#[test]
fn five_thousand_devices_on_one_hub() {
    let n = devices();
    let limit = raise_fd_limit(2 * n as u64 + 2048);
    assert!(
        limit >= 2 * n as u64 + 1024,
        "open-file limit {limit} is too low for {n} devices"
    );
    let data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let ids: Vec<String> = (0..n).map(|i| format!("ld-{i}")).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let creds = tests::identity::provision(data.path(), "load", &id_refs);
    let hub = HubProc::start(data.path(), ports, "load");
    let stop = Arc::new(AtomicBool::new(false));
    let (polls, bad) = watch_health(ports.http_addr(), stop.clone());
    let plan = SwarmPlan {
        host: "127.0.0.1".into(),
        port: ports.mqtt,
        site: "load".into(),
        devices: creds.file.devices.clone(),
        rounds: ROUNDS,
        heartbeat: Duration::from_secs(5),
        deadline: Duration::from_secs(180),
        ramp: Duration::from_secs(env_or("LOAD_RAMP_S", 5)),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let report = rt.block_on(run(plan));
    stop.store(true, Ordering::Relaxed);
    let (rss, hwm) = resident_kib(hub.pid()).unwrap_or((0, 0));
    eprintln!(
        "load: {} devices, {} completed, {} connected at the end, {} connacks, {} heartbeats; \
         all acked once in {:?}; \
         connect+first ack p50 {:?} p99 {:?}; later batches ack p50 {:?} p99 {:?}; \
         hub RSS {} MiB, peak {} MiB; health polls {} ({} not 200)",
        n,
        report.completed,
        report.live_at_end,
        report.connacks,
        report.heartbeats,
        report.all_connected,
        report.first_pct(50.0),
        report.first_pct(99.0),
        report.pct(50.0),
        report.pct(99.0),
        rss / 1024,
        hwm / 1024,
        polls.load(Ordering::Relaxed),
        bad.load(Ordering::Relaxed),
    );
    if !report.failed.is_empty() {
        let metrics = http::get(ports.http_addr(), "/metrics")
            .map(|r| r.body)
            .unwrap_or_default();
        let applied = hubapi::watermarks(ports.http_addr()).unwrap_or_default();
        let at_least_one = applied.values().filter(|&&w| w >= 1).count();
        eprintln!("hub metrics:\n{metrics}\ndevices with watermark >= 1: {at_least_one}");
    }
    assert!(
        report.failed.is_empty(),
        "devices failed: {:?}",
        &report.failed[..report.failed.len().min(5)]
    );
    assert_eq!(report.completed, n);
    assert_eq!(
        report.live_at_end, n as u64,
        "every device connected together once all are done (those reconnecting at that moment given swarm::SETTLE)"
    );
    assert!(
        report.heartbeats >= n as u64,
        "every device sent heartbeats"
    );
    assert!(polls.load(Ordering::Relaxed) > 0);
    assert_eq!(
        bad.load(Ordering::Relaxed),
        0,
        "the hub answered /healthz with an error"
    );
    let stock = hubapi::stock(ports.http_addr()).expect("stock");
    let total: i64 = stock
        .iter()
        .filter(|((sku, _, _), _)| sku.starts_with("LOAD-"))
        .map(|(_, q)| q)
        .sum();
    assert_eq!(
        total,
        n as i64 * ROUNDS as i64,
        "every movement applied exactly once"
    );
    assert!(hwm > 0, "hub memory was read");
}
