//! `/metrics` parses as Prometheus text with the Prometheus project's own
//! Python parser (`prometheus_client`, in `tests/python/requirements.txt`)
//! and shows, after real scans from an agent, a forged frame and a few
//! HTTP requests, every family the operators' dashboards and alerts use.
//! And the hub's logs are for people and for shippers: a log file holds
//! no ANSI escape codes, and `--log-format json` writes one JSON object a
//! line.
//!
//! Python 3 and `prometheus_client` are required: without them this test
//! fails, it never skips (scripts/test.sh installs them).

use protocol::{encode, DeviceState, Message, Status};
use rumqttc::{Client, Event, Packet, QoS};
use serde_json::Value;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use tests::identity::device_options;
use tests::{http, hubapi, wait_until, AgentProc, HubPorts, HubProc};

const SITE: &str = "s1";
const DEVICE: &str = "met-1";
/// A second registered device: it publishes the forgery (logging in as
/// `DEVICE` would take over the agent's session and mark it offline).
const FORGER: &str = "met-2";
const PATIENCE: Duration = Duration::from_secs(20);

/// `body` parsed by `prometheus_client.parser`: family name -> samples
/// `[name, labels, value]` (counters' family names lose `_total`).
fn parse(body: &str) -> serde_json::Map<String, Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/parse_metrics.py");
    let mut child = Command::new("python3")
        .arg(script)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("python3 is required for this test: {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(body.as_bytes())
        .expect("body to the parser");
    drop(stdin);
    let out = child.wait_with_output().expect("the parser ran");
    assert!(
        out.status.success(),
        "/metrics does not parse as Prometheus text (or prometheus_client is missing):\n{}\n{body}",
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice(&out.stdout).expect("the parser's JSON") {
        Value::Object(families) => families,
        other => panic!("not an object: {other}"),
    }
}

/// The value of the sample `name` of `family` whose labels include `want`.
fn sample(families: &serde_json::Map<String, Value>, name: &str, want: &[(&str, &str)]) -> f64 {
    let family = name
        .strip_suffix("_total")
        .or_else(|| name.strip_suffix("_count"))
        .unwrap_or(name);
    let samples = families
        .get(family)
        .and_then(|f| f["samples"].as_array())
        .unwrap_or_else(|| panic!("no family {family} in /metrics"));
    let found = samples
        .iter()
        .find(|s| s[0] == name && want.iter().all(|(k, v)| s[1][*k].as_str() == Some(*v)));
    let found = found.unwrap_or_else(|| panic!("no sample {name} {want:?} in {samples:?}"));
    found[2].as_f64().expect("a number")
}

/// Publishes, as the provisioned `FORGER`, a status claiming to be from an
/// unregistered device: refused as forged.
fn publish_forged_status(hub: &HubProc, creds: &tests::Credentials) {
    let opts = device_options(creds, FORGER, hub.ports.mqtt);
    let (client, mut connection) = Client::new(opts, 10);
    let status = Status {
        site: SITE.into(),
        device: "ghost-1".into(),
        session_ms: 1,
        state: DeviceState::Online,
        backlog: 0,
        battery_pct: None,
        device_time_ms: 1,
        epoch: 0,
        acked_seq: 0,
        app_version: "ghost".into(),
        signal_dbm: None,
        auth_tag: None,
    };
    let topic = format!("wms/{SITE}/dev/ghost-1/status");
    client
        .publish(
            topic,
            QoS::AtLeastOnce,
            false,
            encode(&Message::Status(status)),
        )
        .expect("queue the publish");
    for event in connection.iter() {
        match event {
            Ok(Event::Incoming(Packet::PubAck(_))) => break,
            Ok(_) => {}
            Err(e) => panic!("forged status not published: {e}"),
        }
    }
}

fn wait_metric(addr: SocketAddr, name: &str, at_least: u64) {
    wait_until(&format!("{name} >= {at_least}"), PATIENCE, || {
        (hubapi::metric(addr, name).ok()? >= at_least).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn metrics_parse_as_prometheus_text_and_count_what_happened() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("hub.log");
    let ports = HubPorts::fresh();
    let hub = HubProc::start_logging(&dir.path().join("hub"), ports, SITE, &log, "info");
    let creds = hub.provision(&[DEVICE, FORGER]);
    let agent_dir = dir.path().join("agent");
    let mut agent = AgentProc::start(&agent_dir, &ports.mqtt_addr(), &creds, DEVICE, &[]);
    for i in 1..=5 {
        agent
            .scan(&format!("receive SKU-M LOC-1 {i}"))
            .expect("the agent took the scan");
    }
    let addr = ports.http_addr();
    wait_metric(addr, "wms_movements_applied_total", 5);
    wait_metric(addr, "wms_ack_latency_seconds_count", 1);
    // The agent's first heartbeat (every 10 s by default).
    wait_metric(addr, "wms_devices{state=\"online\"}", 1);
    publish_forged_status(&hub, &creds);
    wait_metric(addr, "wms_forged_frames_refused_total", 1);
    hubapi::stock(addr).expect("GET /api/v1/stock");
    let lost = http::get(addr, "/no/such/route").expect("a 404 answer");
    assert_eq!(lost.status, 404);

    let answer = http::get(addr, "/metrics").expect("GET /metrics");
    assert_eq!(answer.status, 200);
    let content_type = answer.header("content-type").unwrap_or("");
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let m = parse(&answer.body);
    assert_eq!(sample(&m, "wms_movements_applied_total", &[]), 5.0);
    assert!(sample(&m, "wms_batches_total", &[("outcome", "applied")]) >= 1.0);
    assert_eq!(
        sample(&m, "wms_batches_total", &[("outcome", "conflict")]),
        0.0
    );
    assert!(sample(&m, "wms_ack_latency_seconds_count", &[]) >= 1.0);
    assert!(sample(&m, "wms_group_commit_commands_count", &[]) >= 1.0);
    assert!(sample(&m, "wms_group_commit_flush_seconds_count", &[]) >= 1.0);
    assert!(sample(&m, "wms_dead_letters_total", &[]) >= 1.0);
    assert_eq!(sample(&m, "wms_forged_frames_refused_total", &[]), 1.0);
    assert!(sample(&m, "wms_devices", &[("state", "online")]) >= 1.0);
    assert!(sample(&m, "wms_device_backlog", &[("state", "online")]) >= 0.0);
    assert_eq!(sample(&m, "wms_orders", &[("state", "shipped")]), 0.0);
    assert_eq!(
        sample(&m, "wms_reservations_active", &[("state", "held")]),
        0.0
    );
    assert!(sample(&m, "wms_tasks", &[("state", "open")]) >= 0.0);
    assert!(sample(&m, "wms_label_jobs", &[("state", "queued")]) >= 0.0);
    assert!(sample(&m, "wms_reservations_held_total", &[]) >= 0.0);
    let http_count = "wms_http_request_duration_seconds_count";
    let stock = [
        ("route", "/api/v1/stock"),
        ("method", "GET"),
        ("status", "2xx"),
    ];
    assert!(sample(&m, http_count, &stock) >= 1.0);
    assert!(sample(&m, http_count, &[("route", "unmatched"), ("status", "4xx")]) >= 1.0);
    assert!(
        !answer.body.contains("/no/such/route"),
        "a raw path became a label"
    );

    agent.kill9();
    assert!(hub.terminate(), "the hub did not stop cleanly");
    let written = std::fs::read(&log).expect("the hub's log file");
    assert!(!written.is_empty(), "the hub logged nothing");
    assert!(
        !written.contains(&0x1b),
        "ANSI escape codes in a log file:\n{}",
        String::from_utf8_lossy(&written)
    );
}

#[test]
fn json_logs_are_one_object_a_line_with_level_and_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("hub.json.log");
    let ports = HubPorts::fresh();
    let extra = ["--log-format", "json"];
    let hub =
        HubProc::start_logging_with(&dir.path().join("hub"), ports, SITE, &log, "info", &extra);
    hub.provision(&[DEVICE]);
    assert!(hub.terminate(), "the hub did not stop cleanly");
    let text = std::fs::read_to_string(&log).expect("the hub's log file");
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() >= 3, "too few log lines to judge:\n{text}");
    for line in lines {
        let object: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(object["level"].is_string(), "no level: {line}");
        assert!(object["message"].is_string(), "no message: {line}");
    }
}

#[test]
fn a_bad_log_format_is_refused_with_the_values_it_takes() {
    let out = Command::new(tests::procs::bin_path("hub"))
        .args(["--log-format", "xml"])
        .output()
        .expect("run the hub");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("invalid value 'xml'") && stderr.contains("text, json"),
        "{stderr}"
    );
}

#[test]
fn the_agent_logs_json_lines_to_its_log_file_without_ansi_codes() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().expect("temp dir");
    let ports = HubPorts::fresh();
    let hub = HubProc::start(&dir.path().join("hub"), ports, SITE);
    let creds = hub.provision(&[DEVICE]);
    let log = dir.path().join("agent.log");
    let mut agent = Command::new(tests::procs::bin_path("agent"))
        .args([
            "--hub",
            &ports.mqtt_addr(),
            "--site",
            SITE,
            "--device",
            DEVICE,
        ])
        .arg("--data")
        .arg(dir.path().join("agent"))
        .arg("--credentials")
        .arg(&creds.path)
        .arg("--log")
        .arg(&log)
        .args(["--log-format", "json"])
        .env("RUST_LOG", "info")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn the agent");
    let mut stdin = agent.stdin.take().expect("stdin");
    writeln!(stdin, "receive SKU-J LOC-1 2").expect("a scan line");
    let stdout = agent.stdout.take().expect("stdout");
    let (tx, answers) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let first = BufReader::new(stdout).lines().next();
        let _ = tx.send(first.and_then(Result::ok).unwrap_or_default());
    });
    let answer = answers.recv_timeout(PATIENCE).unwrap_or_default();
    drop(stdin);
    assert!(answer.starts_with("ok seq=1"), "answer: {answer:?}");
    let _ = agent.kill();
    let _ = agent.wait();
    let written = std::fs::read_to_string(&log).expect("the agent's log file");
    assert!(!written.contains('\u{1b}'), "ANSI codes in the log file");
    let lines: Vec<&str> = written.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty(), "the agent logged nothing");
    for line in lines {
        let object: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            object["level"].is_string() && object["message"].is_string(),
            "{line}"
        );
    }
}
