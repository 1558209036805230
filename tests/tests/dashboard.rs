//! The dashboard in a real browser (issue 17, item 7): a hub with two
//! simulated handhelds (one `firmware-sim fleet` process each, so one can
//! be killed alone), and `tests/python/dashboard_check.py` driving Debian's
//! headless chromium through Playwright for Python. The script logs in
//! with a viewer token, sees both devices online, SIGKILLs one device's
//! process and waits (no reload) until the page shows it offline, posts an
//! order with an integrator token and waits until the page shows it, and
//! saves a screenshot to `target/artifacts/dashboard.png`. It prints the
//! delay from the kill to the browser showing offline (not asserted). The
//! page must be following the hub's change stream (SSE), not polling; a
//! second tab is fed a fake stream to check resuming from Last-Event-ID.
//!
//! Needs python3 with tests/python/requirements.txt and /usr/bin/chromium
//! (scripts/test.sh installs both): without them this test fails, it never
//! skips.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tests::{bin_path, hubapi, wait_until, HubPorts, HubProc};

/// Tags of the simulated handhelds: device ids `fs{tag}-0000`.
const TAGS: [&str; 2] = ["dasha", "dashb"];
const CHROMIUM: &str = "/usr/bin/chromium";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn device_id(tag: &str) -> String {
    format!("fs{tag}-0000")
}

/// Device processes, killed and reaped however the test ends.
struct Devices(Vec<Child>);

impl Drop for Devices {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One handheld scanning slowly for longer than the test runs, no faults.
fn start_device(hub: &HubProc, dir: &Path, tag: &str, token_file: &Path) -> Child {
    let creds = hub.provision(&[&device_id(tag)]);
    Command::new(bin_path("firmware-sim"))
        .args([
            "fleet",
            "--site",
            &hub.site,
            "--devices",
            "1",
            "--rate",
            "1",
        ])
        .args([
            "--duration",
            "600",
            "--faults",
            "0",
            "--seed",
            "7",
            "--tag",
            tag,
        ])
        .arg("--credentials")
        .arg(&creds.path)
        .arg("--http-token-file")
        .arg(token_file)
        .args(["--hub", &hub.ports.mqtt_addr()])
        .args(["--http", &hub.ports.http_addr().to_string()])
        .arg("--data")
        .arg(dir.join(tag))
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn firmware-sim fleet")
}

fn token_file(hub: &HubProc, dir: &Path, role: &str) -> PathBuf {
    let path = dir.join(format!("{role}-token"));
    std::fs::write(&path, hub.create_token(role, &format!("dash-{role}"))).expect("write token");
    path
}

#[test]
fn the_dashboard_shows_a_killed_device_offline_and_a_new_order_without_reload() {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is required (apt-get install chromium; scripts/test.sh does)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let hub = HubProc::start(&dir.path().join("hub"), HubPorts::fresh(), "s1");
    let viewer = token_file(&hub, dir.path(), "viewer");
    let integrator = token_file(&hub, dir.path(), "integrator");
    let operator = token_file(&hub, dir.path(), "operator");
    let mut devices = Devices(Vec::new());
    for tag in TAGS {
        devices.0.push(start_device(&hub, dir.path(), tag, &viewer));
    }
    let addr = hub.ports.http_addr();
    for tag in TAGS {
        let device = device_id(tag);
        wait_until(&format!("{device} online"), Duration::from_secs(30), || {
            let state = hubapi::device_state(addr, &device).ok().flatten();
            (state.as_deref() == Some("online")).then_some(())
        })
        .expect("a simulated device did not come online");
    }

    let screenshot = repo().join("target/artifacts/dashboard.png");
    let _ = std::fs::remove_file(&screenshot);
    let online: Vec<String> = TAGS.iter().map(|t| device_id(t)).collect();
    let out = Command::new("python3")
        .arg(repo().join("tests/python/dashboard_check.py"))
        .args(["--url", &format!("http://{addr}")])
        .arg("--viewer-token-file")
        .arg(&viewer)
        .arg("--integrator-token-file")
        .arg(&integrator)
        .arg("--operator-token-file")
        .arg(&operator)
        .args(["--online", &online.join(",")])
        .args(["--kill-device", &online[1]])
        .args(["--kill-pid", &devices.0[1].id().to_string()])
        // This hub has the change stream: the page must follow it.
        .arg("--expect-stream")
        .arg("--screenshot")
        .arg(&screenshot)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("python3 is required for this test and did not run: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}{stderr}");
    assert!(
        out.status.success() && stdout.contains("dashboard-check PASS"),
        "the browser check failed ({}); install tests/python/requirements.txt if a module \
         is missing:\n{stdout}{stderr}",
        out.status
    );
    assert!(
        stdout.contains("kill to offline in the browser: "),
        "{stdout}"
    );
    assert!(
        screenshot.exists(),
        "no screenshot at {}",
        screenshot.display()
    );
    // The kill really was a kill: the hub agrees the device is offline.
    assert_eq!(
        hubapi::device_state(addr, &online[1])
            .ok()
            .flatten()
            .as_deref(),
        Some("offline")
    );
    drop(devices);
    assert!(hub.terminate());
}
