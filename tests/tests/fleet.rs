//! A short seeded fleet run with faults against a real hub: tens of
//! simulated handhelds (the agent's library, a sled journal each) scanning
//! GS1 labels through the scanner driver, with Wi-Fi drops, power losses,
//! clock jumps, double reads and flat batteries, must end with nothing lost
//! and nothing applied twice, by the hub's own API and its stock.

use std::process::{Command, Output};
use tests::{bin_path, HubPorts, HubProc};

/// Provisions the fleet's devices (`fs{tag}-0000` ...) with the real
/// `hub device add --out` while the hub runs; returns the credentials file.
fn provision_fleet(hub: &HubProc, tag: &str, devices: usize) -> std::path::PathBuf {
    let ids: Vec<String> = (0..devices).map(|i| format!("fs{tag}-{i:04}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    hub.provision(&refs).path
}

/// A viewer token (all the fleet needs, for its reads), in a file.
fn viewer_token_file(hub: &HubProc, dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("fleet-token");
    std::fs::write(&path, hub.create_token("viewer", "fleet")).unwrap();
    path
}

fn fleet(hub: &HubProc, data: &std::path::Path, creds: &std::path::Path, args: &[&str]) -> Output {
    let ports = hub.ports;
    Command::new(bin_path("firmware-sim"))
        .args(["fleet", "--site", "s1"])
        .arg("--credentials")
        .arg(creds)
        .arg("--http-token-file")
        .arg(viewer_token_file(hub, data.parent().unwrap_or(data)))
        .args(args)
        .args(["--hub", &ports.mqtt_addr()])
        .args(["--http", &ports.http_addr().to_string()])
        .arg("--data")
        .arg(data)
        .env("RUST_LOG", "error")
        .output()
        .expect("run firmware-sim fleet")
}

#[test]
fn seeded_fleet_with_faults_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let hub = HubProc::start(&dir.path().join("hub"), ports, "s1");
    let args = [
        "--devices",
        "30",
        "--rate",
        "4",
        "--duration",
        "10",
        "--seed",
        "42",
        "--faults",
        "12",
        "--drain-timeout",
        "60",
        "--tag",
        "ci",
    ];
    let creds = provision_fleet(&hub, "ci", 30);
    let out = fleet(&hub, &dir.path().join("fleet"), &creds, &args);
    let report = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "fleet failed:\n{report}\n{stderr}");
    for line in [
        "lost (confirmed, not applied): 0",
        "doubled (applied twice):       0",
        "verdict: PASS",
    ] {
        assert!(report.contains(line), "no {line:?} in:\n{report}");
    }
    // The faults really happened (the seed is fixed, so this is stable).
    let faults = report
        .lines()
        .find(|l| l.starts_with("faults: "))
        .expect("faults line");
    let numbers: Vec<u64> = faults
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(numbers.len() >= 6, "{faults}");
    // Battery swaps are reported too, but a slow machine may end the run
    // before the first flat battery, so they are not required here.
    let (wifi, power, clock, doubles) = (numbers[0], numbers[1], numbers[2], numbers[4]);
    assert!(
        wifi > 0 && power > 0 && clock > 0 && doubles > 0,
        "{faults}"
    );
    assert_eq!(
        numbers[4], numbers[5],
        "every double read suppressed: {faults}"
    );
    assert!(hub.terminate());
}

/// The verdict can fail: with double-read suppression off, the injected
/// double reads become second movements, and the report says so.
#[test]
fn the_verdict_catches_double_reads_let_through() {
    let dir = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let hub = HubProc::start(&dir.path().join("hub"), ports, "s1");
    let args = [
        "--devices",
        "5",
        "--rate",
        "5",
        "--duration",
        "3",
        "--seed",
        "3",
        "--faults",
        "12",
        "--double-read-ms",
        "0",
        "--tag",
        "neg",
    ];
    let creds = provision_fleet(&hub, "neg", 5);
    let out = fleet(&hub, &dir.path().join("fleet"), &creds, &args);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "must fail:\n{report}");
    assert!(report.contains("verdict: FAIL"), "{report}");
    assert!(
        !report.contains("doubled (applied twice):       0"),
        "{report}"
    );
    assert!(hub.terminate());
}
