//! A device written in a second language from `protocol/WIRE.md` alone
//! (`tests/python/`, Python with paho-mqtt and PyNaCl) against a real hub:
//! it runs every vector of the document, then logs in with credentials
//! made by the real `hub device add`, sends signed statuses and batches in
//! a new journal epoch, a duplicate, a tampered frame, a gap and a
//! conflict, and opens the sealed acks. Here the hub's own API is asked
//! whether it applied exactly what the Python device says it sent.
//!
//! Python 3 and the packages of `tests/python/requirements.txt` are
//! required: without them this test fails, it never skips
//! (scripts/test.sh installs them).

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use tests::{hubapi, wait_until, HubPorts, HubProc};

const DEVICE: &str = "py-1";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Runs the Python suite (vectors and live round trip); panics with its
/// output unless it passed.
fn run_python(hub: &HubProc, credentials: &Path, report: &Path) {
    let root = repo();
    let out = Command::new("python3")
        .arg(root.join("tests/python/run.py"))
        .arg("--wire")
        .arg(root.join("protocol/WIRE.md"))
        .arg("--live")
        .arg("--credentials")
        .arg(credentials)
        .args(["--device", DEVICE, "--mqtt", &hub.ports.mqtt_addr()])
        .arg("--report")
        .arg(report)
        // No __pycache__ in the source tree.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("python3 is required for this test and did not run: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}{stderr}");
    assert!(
        out.status.success(),
        "the Python device failed ({}); install tests/python/requirements.txt if a module \
         is missing:\n{stdout}{stderr}",
        out.status
    );
    assert!(
        stdout.contains("python-device PASS") && stdout.contains("live: 9 steps passed, 0 failed"),
        "no passing summary line:\n{stdout}"
    );
}

/// On-hand per (sku, location, lot) after `movements`, as WIRE.md §3.4
/// describes each kind's effect.
fn expected_stock(movements: &[Value]) -> BTreeMap<(String, String, String), i64> {
    let mut stock = BTreeMap::new();
    for m in movements {
        let text = |f: &str| m[f].as_str().unwrap_or("").to_string();
        let q = m["quantity"].as_i64().expect("quantity");
        let key = |loc: String| (text("sku"), loc, text("lot"));
        match text("kind").as_str() {
            "receive" | "adjust" => *stock.entry(key(text("location"))).or_insert(0) += q,
            "pick" => *stock.entry(key(text("location"))).or_insert(0) -= q,
            "count" => *stock.entry(key(text("location"))).or_insert(0) = q,
            "putaway" | "move" => {
                *stock.entry(key(text("location"))).or_insert(0) -= q;
                *stock.entry(key(text("to_location"))).or_insert(0) += q;
            }
            "pack" => {}
            other => panic!("unknown kind {other:?} in the report"),
        }
    }
    stock.retain(|_, q| *q != 0);
    stock
}

#[test]
fn a_python_device_written_from_wire_md_works_first_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hub = HubProc::start(&dir.path().join("hub"), HubPorts::fresh(), "py-site");
    let creds = hub.provision(&[DEVICE]);
    let report_path = dir.path().join("report.json");
    run_python(&hub, &creds.path, &report_path);

    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(&report_path).expect("the Python device wrote its report"),
    )
    .expect("report is JSON");
    let movements = report["movements"].as_array().expect("movements");
    assert_eq!(movements.len(), 7, "the scenario sends seqs 1 to 7");
    assert_eq!(report["through"], 7);
    let addr = hub.ports.http_addr();

    // Acks follow the commit, so the stock is already there; exactly the
    // Python device's movements, nothing of its tampered, gap or
    // conflicting frames.
    let want = expected_stock(movements);
    let stock = hubapi::stock(addr).expect("GET /api/v1/stock");
    assert_eq!(
        stock, want,
        "the hub's stock is not what the Python device sent"
    );

    let epoch = u64::from_str_radix(report["epoch"].as_str().expect("epoch"), 16).expect("hex");
    let epochs = hubapi::epochs(addr, DEVICE).expect("GET /api/v1/devices");
    assert_eq!(
        epochs,
        BTreeMap::from([(epoch, (7, 1))]),
        "one epoch, watermark 7, one conflict"
    );

    let dead = hubapi::dead_letters(addr).expect("GET /api/v1/dead-letters");
    let events_topic = format!("wms/py-site/dev/{DEVICE}/events");
    assert_eq!(
        dead.len(),
        1,
        "only the tampered frame is a dead letter: {dead:?}"
    );
    assert_eq!(dead[0].0, events_topic);
    assert!(dead[0].1.contains("MAC fails"), "reason: {}", dead[0].1);

    let alerts = hubapi::alerts(addr).expect("GET /api/v1/alerts");
    assert!(
        alerts
            .iter()
            .any(|(kind, msg)| kind == "journal_conflict" && msg.contains(DEVICE)),
        "no journal_conflict alert for {DEVICE}: {alerts:?}"
    );

    let metric = |name: &str| hubapi::metric(addr, name).expect("GET /metrics");
    let counts = [
        ("wms_batches_applied_total", 3),
        ("wms_movements_applied_total", 7),
        ("wms_batches_duplicate_total", 2),
        ("wms_batches_gap_total", 1),
        ("wms_batches_conflict_total", 1),
        ("wms_dead_letters_total", 1),
    ];
    for (name, want) in counts {
        assert_eq!(metric(name), want, "{name}");
    }

    // The clean Offline it sent last is authentic and newest: the hub says so.
    wait_until("the Python device offline", Duration::from_secs(10), || {
        let state = hubapi::device_state(addr, DEVICE).ok().flatten();
        (state.as_deref() == Some("offline")).then_some(())
    })
    .expect("the hub did not take the Python device's signed Offline status");
}
