//! Promise 6: the event log is the source of truth. `hub verify` and
//! `POST /api/v1/reconciliations` rebuild the pool from the log and catch a
//! tampered pool entry (a hub refuses to start on one); the ERP comparison
//! flags a SKU whose variance is over 5 %; a CSV with a broken row is
//! refused line by line.

use hub::pool::StockKey;
use hub::store::Store;
use protocol::MovementKind::{Pick, Receive};
use serde_json::{json, Value};
use std::process::Command;
use tests::feed::{call, movement, post, Feed};
use tests::{bin_path, http, HubPorts, HubProc};

/// `hub verify`'s exit code and output.
fn verify(dir: &std::path::Path) -> (Option<i32>, String) {
    let out = Command::new(bin_path("hub"))
        .args(["verify", "--data"])
        .arg(dir)
        .output()
        .expect("run hub verify");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn variance<'a>(report: &'a Value, sku: &str) -> &'a Value {
    report["erp"]["variances"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["sku"] == sku))
        .unwrap_or_else(|| panic!("no variance for {sku}: {report}"))
}

/// A hub with A 60 @L1 + 40 @L2, and B 50 - 8 = 42 @L1.
fn seeded_hub(dir: &std::path::Path, ports: HubPorts) -> HubProc {
    let hub = HubProc::start(dir, ports, "s1");
    let mut feed = Feed::connect(
        ports.mqtt,
        ports.http_addr(),
        &hub.provision(&["seed"]),
        "seed",
    );
    feed.send(vec![
        movement(Receive, "A", "L1", 60),
        movement(Receive, "A", "L2", 40),
        movement(Receive, "B", "L1", 50),
        movement(Pick, "B", "L1", 8),
    ]);
    hub
}

fn audit(report: &Value, sku: &str) -> (Option<i64>, Option<i64>, Option<bool>) {
    let v = variance(report, sku);
    (v["pool"].as_i64(), v["erp"].as_i64(), v["audit"].as_bool())
}

#[test]
fn erp_variance_over_five_percent_is_flagged_and_broken_rows_refused() {
    let data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let _hub = seeded_hub(data.path(), ports);
    let addr = ports.http_addr();
    let csv = "sku,location,qty\nA,L1,60\nA,L2,38\nB,L1,40\nC,L9,5\n";
    let (status, report) = post(addr, "/api/v1/reconciliations", csv);
    assert_eq!(status, 201, "{report}");
    assert_eq!(report["pool_matches_log"], true);
    assert_eq!(
        audit(&report, "A"),
        (Some(100), Some(98), Some(false)),
        "2 %"
    );
    assert_eq!(
        audit(&report, "B"),
        (Some(42), Some(40), Some(false)),
        "exactly 5 %"
    );
    assert_eq!(
        audit(&report, "C"),
        (Some(0), Some(5), Some(true)),
        "missing from the pool"
    );
    let (_, report) = post(
        addr,
        "/api/v1/reconciliations",
        "A,L1,60\nA,L2,40\nB,L1,39\n",
    );
    assert_eq!(
        audit(&report, "B"),
        (Some(42), Some(39), Some(true)),
        "7.7 %"
    );
    assert_eq!(report["flagged_for_audit"], 1);

    let broken = "sku,location,qty\nA,L1,60\nB,L1,forty\nC\n";
    let (status, err) = post(addr, "/api/v1/reconciliations", broken);
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (422, Some("bad_csv")),
        "{err}"
    );
    let lines: Vec<u64> = err["error"]["details"]["lines"]
        .as_array()
        .map(|l| l.iter().filter_map(|l| l["line"].as_u64()).collect())
        .unwrap_or_default();
    assert_eq!(lines, [3, 4]);
    let (_, list) = call(addr, "GET", "/api/v1/reconciliations", None);
    let runs = list["items"].as_array().map(Vec::len);
    assert_eq!(runs, Some(2), "the refused CSV ran nothing");
}

fn l2() -> StockKey {
    StockKey {
        sku: "A".into(),
        location: "L2".into(),
        lot: String::new(),
    }
}

#[test]
fn a_tampered_pool_fails_verify_and_the_hub_refuses_to_start_on_it() {
    let data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let hub = seeded_hub(data.path(), ports);
    assert!(hub.terminate(), "hub stops cleanly");
    let (code, out) = verify(data.path());
    assert_eq!(code, Some(0), "untouched pool verifies: {out}");
    Store::open(data.path())
        .unwrap()
        .tamper_stock(&l2(), 39)
        .unwrap();
    let (code, out) = verify(data.path());
    assert_eq!(code, Some(1), "tampered pool must fail verify: {out}");
    let expected = "stock differs: sku=A location=L2 lot=\"\" stored=39 replayed=40";
    assert!(out.contains(expected), "{out}");

    let out = Command::new(bin_path("hub"))
        .args(["--site", "s1", "--mqtt", &ports.mqtt_addr()])
        .args(["--http", &ports.http_addr().to_string(), "--data"])
        .arg(data.path())
        .output()
        .expect("run hub");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let expected = "the stored pool differs from the replay of the event log in 1 place(s), \
                    first: sku=A location=L2 lot=\"\" stored=39 replayed=40";
    assert!(stderr.contains(expected), "{stderr}");
}

#[test]
fn a_pool_tampered_while_running_is_reported_by_reconciliation() {
    let data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    assert!(seeded_hub(data.path(), ports).terminate());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = hub::HubConfig {
        site: "s1".into(),
        mqtt_listen: ([127, 0, 0, 1], tests::free_port()).into(),
        http_listen: ([127, 0, 0, 1], 0).into(),
        data_dir: data.path().to_path_buf(),
        // In-process hub: its broker runs in the hub binary's process.
        broker_program: Some(tests::bin_path("hub")),
        ..hub::HubConfig::default()
    };
    let hub = runtime.block_on(hub::start(config)).unwrap();
    hub.store.tamper_stock(&l2(), 39).unwrap();
    let addr = hub.http_addr;
    http::use_hub_token(addr, data.path());
    let (status, report) = post(addr, "/api/v1/reconciliations", "");
    assert_eq!(
        (status, &report["pool_matches_log"]),
        (201, &json!(false)),
        "{report}"
    );
    let diff = &report["verification"]["stock_differences"][0];
    let found = (
        diff["sku"].as_str(),
        diff["stored"].as_i64(),
        diff["replayed"].as_i64(),
    );
    assert_eq!(found, (Some("A"), Some(39), Some(40)));
    let id = report["id"].as_u64().unwrap_or(0);
    let csv = http::get(addr, &format!("/api/v1/reconciliations/{id}?format=csv")).unwrap();
    assert_eq!(csv.status, 200);
    assert!(
        csv.body.contains("pool_vs_log,A,L2,,39,40,-1"),
        "{}",
        csv.body
    );
    let (status, _) = call(addr, "GET", &format!("/api/v1/reconciliations/{id}"), None);
    assert_eq!(status, 200);
    assert_eq!(call(addr, "GET", "/api/v1/reconciliations/77", None).0, 404);
    hub.cancel.cancel();
    runtime.block_on(hub.wait()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nightly_job_runs_at_site_time_with_the_configured_erp_file() {
    let data = tempfile::tempdir().unwrap();
    let erp = data.path().join("erp.csv");
    std::fs::write(&erp, "sku,location,qty\nN,L1,7\n").unwrap();
    let day = 86_400_000u64;
    // 00:59:30 UTC is 01:59:30 at a site one hour ahead: 30 s before 02:00.
    let clock = hub::clock::ManualClock::new(20_000 * day + 3_570_000);
    let config = hub::HubConfig {
        site: "s1".into(),
        mqtt_listen: ([127, 0, 0, 1], tests::free_port()).into(),
        http_listen: ([127, 0, 0, 1], 0).into(),
        data_dir: data.path().join("hub"),
        reconcile_at: "02:00".into(),
        site_utc_offset_minutes: 60,
        erp_stock_csv: Some(erp),
        // In-process hub: its broker runs in the hub binary's process.
        broker_program: Some(tests::bin_path("hub")),
        ..hub::HubConfig::default()
    };
    let hub = hub::start_with_clock(config, std::sync::Arc::new(clock.clone()))
        .await
        .unwrap();
    let addr = hub.http_addr;
    http::use_hub_token(addr, &data.path().join("hub"));
    let reports = move || call(addr, "GET", "/api/v1/reconciliations", None).1["items"].clone();
    let none = tokio::task::spawn_blocking(reports).await.unwrap();
    assert_eq!(none.as_array().map(Vec::len), Some(0));
    clock.advance(31_000);
    let report = tokio::task::spawn_blocking(move || {
        tests::wait_until("nightly report", std::time::Duration::from_secs(5), || {
            let items = reports();
            let id = items.get(0)?["id"].as_u64()?;
            Some(call(addr, "GET", &format!("/api/v1/reconciliations/{id}"), None).1)
        })
        .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(report["trigger"], "nightly");
    assert_eq!(report["pool_matches_log"], true);
    let n = variance(&report, "N");
    assert_eq!(
        (n["erp"].as_i64(), n["audit"].as_bool()),
        (Some(7), Some(true))
    );
    hub.cancel.cancel();
    hub.wait().await.unwrap();
}
