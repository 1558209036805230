//! The store's compaction under load (issue 12, bounded store): a hub whose
//! data-file limit is 1 MiB takes an agent's scans; once sled's file passes
//! the limit the hub restarts itself in-process, copies its store into a
//! fresh database and carries on. The agent keeps confirming scans while
//! the hub is away and resends them; at the end every confirmed scan is
//! applied exactly once, the stock equals a replay of the log, and the
//! data directory holds no leftover of the copy.

use hub::store::Store;
use std::time::Duration;
use tests::procs::confirmed_seq;
use tests::{hubapi, wait_until, AgentProc, HubPorts, HubProc};

const COMPACTIONS: &str = "wms_store_compactions_total";

#[test]
fn the_hub_compacts_its_store_in_process_and_loses_nothing() {
    let hub_data = tempfile::tempdir().expect("dir");
    let agent_data = tempfile::tempdir().expect("dir");
    let ports = HubPorts::fresh();
    let creds = tests::provision(hub_data.path(), "s1", &["compact-1"]);
    let config_dir = tempfile::tempdir().expect("dir");
    let config = config_dir.path().join("hub.toml");
    std::fs::write(&config, "store_compact_mb = 1\nstore_relocate_mb = 0\n").expect("config");
    let config = config.display().to_string();
    let hub = HubProc::start_with(hub_data.path(), ports, "s1", &["--config", &config]);
    let http = ports.http_addr();
    assert_eq!(
        hubapi::metric(http, COMPACTIONS),
        Ok(0),
        "a new store is not compacted"
    );
    let mut agent = AgentProc::start(
        agent_data.path(),
        &ports.mqtt_addr(),
        &creds,
        "compact-1",
        &[],
    );
    let mut confirmed = tests::applied::Confirmed::new();
    let mut n = 0usize;
    let deadline = std::time::Instant::now() + Duration::from_secs(240);
    // Scans until the hub has compacted its store, and a few hundred more
    // (sent while it restarted or after).
    let mut after = None;
    while after.is_none_or(|a| n < a + 300) {
        assert!(
            std::time::Instant::now() < deadline,
            "no compaction after {n} scans"
        );
        n += 1;
        let (sku, loc, qty) = (
            format!("SKU-{}", n % 7),
            format!("L-{}", n % 3),
            (n % 5 + 1) as i64,
        );
        let line = format!("receive {sku} {loc} {qty}");
        let seq = agent
            .scan(&line)
            .ok()
            .as_deref()
            .and_then(confirmed_seq)
            .unwrap_or_else(|| panic!("scan {n} not confirmed"));
        assert!(
            confirmed.insert(seq, ((sku, loc), qty)).is_none(),
            "seq {seq} reused"
        );
        if after.is_none()
            && n.is_multiple_of(100)
            && hubapi::metric(http, COMPACTIONS).is_ok_and(|c| c >= 1)
        {
            after = Some(n);
        }
    }
    agent.kill9();
    let mut agent = AgentProc::start(
        agent_data.path(),
        &ports.mqtt_addr(),
        &creds,
        "compact-1",
        &["--exit-when-drained"],
    );
    agent.close_stdin();
    assert!(
        agent.wait_exit(Duration::from_secs(120)),
        "agent did not drain"
    );
    let last = *confirmed.keys().last().expect("scans");
    let watermark = wait_until("watermark", Duration::from_secs(30), || {
        hubapi::watermark(http, "compact-1")
            .ok()
            .filter(|&w| w >= last)
    })
    .expect("watermark");
    let compactions = hubapi::metric(http, COMPACTIONS).expect("metrics");
    let api_stock = hubapi::stock(http).expect("stock");
    assert!(hub.terminate(), "hub must stop cleanly");

    assert!(compactions >= 1, "{compactions} compactions");
    // Offline, by hand: `hub compact`, and a clear refusal without a store.
    let hub_bin = tests::procs::bin_path("hub");
    let out = std::process::Command::new(&hub_bin)
        .args(["compact", "--data"])
        .arg(hub_data.path())
        .output()
        .expect("hub compact");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("compacted"),
        "{said} {out:?}"
    );
    let empty = tempfile::tempdir().expect("dir");
    let out = std::process::Command::new(&hub_bin)
        .args(["compact", "--data"])
        .arg(empty.path())
        .output()
        .expect("hub compact");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && said.contains("no store"), "{said}");
    for leftover in ["compact.new", "compact.old", "compact.state"] {
        assert!(!hub_data.path().join(leftover).exists(), "{leftover} left");
    }
    let store = Store::open(hub_data.path()).expect("open");
    tests::applied::assert_applied_once(&store, &confirmed, watermark, &api_stock);
    assert!(
        watermark as usize - confirmed.len() <= 1,
        "unconfirmed scans applied"
    );
    eprintln!(
        "compaction: {compactions} compaction(s) after {:?} scans, {} confirmed, {watermark} applied",
        after,
        confirmed.len()
    );
}
