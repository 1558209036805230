//! The bad-input matrix across the boundaries that exist today: MQTT
//! payloads and topics, scan lines, HTTP paths and queries, config files and
//! command-line flags. Each case asserts a clear error, that no process
//! died, and that nothing was lost or changed. The table is documented in
//! BAD_INPUT.md; keep the two in step.

use rumqttc::{Client, QoS};
use std::process::Command;
use std::time::Duration;
use tests::identity::{device_options, signed_frame};
use tests::{bin_path, http, hubapi, wait_until, AgentProc, Credentials, HubPorts, HubProc};

fn batch(device: &str, movements: Vec<protocol::Movement>) -> protocol::EventBatch {
    protocol::EventBatch {
        site: "s1".into(),
        device: device.into(),
        epoch: 1,
        first_seq: 1,
        movements,
        auth_tag: None,
    }
}

fn one_receive() -> Vec<protocol::Movement> {
    let mut receive = tests::feed::movement(protocol::MovementKind::Receive, "SKU-1", "A", 1);
    receive.seq = 1;
    vec![receive]
}

/// MQTT: (topic, payload, expected words in the dead-letter reason). The
/// publisher logs in as m1 (`creds`).
fn mqtt_cases(creds: &Credentials) -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let unsigned = protocol::encode(&protocol::Message::Batch(batch("m1", one_receive())));
    let forged = batch("m2", one_receive());
    let mut unknown_kind = protocol::encode(&protocol::Message::Ack(protocol::Ack {
        site: "s1".into(),
        device: "m1".into(),
        epoch: 1,
        through_seq: 1,
    }));
    unknown_kind[1] = 9; // a message index no version-1 decoder knows
    vec![
        (
            "wms/s1/dev/m1/events",
            vec![0x02, 0x00],
            "unknown protocol version 2",
        ),
        (
            "wms/s1/dev/m1/events",
            vec![0x01, 0x00, 0x05, b'a'],
            "truncated",
        ),
        ("wms/s1/dev/m1/events", unknown_kind, "malformed"),
        (
            "wms/s1/dev/m1/events",
            signed_frame(creds, "m1", &batch("m1", vec![])),
            "empty batch",
        ),
        // Identity (promise 9): m1 may log in, but may act only as itself.
        ("wms/s1/dev/m1/events", unsigned, "no auth tag"),
        (
            "wms/s1/dev/m2/events",
            signed_frame(creds, "m1", &forged),
            "mac fails",
        ),
        (
            "wms/s1/dev/m1/events",
            signed_frame(creds, "m1", &batch("m2", one_receive())),
            "payload claims s1/m2",
        ),
        (
            "wms/s1/dev/m9/events",
            signed_frame(creds, "m1", &batch("m9", one_receive())),
            "unknown device",
        ),
        (
            "wms/s1/dev/m1/events",
            vec![0xff; 300],
            "unknown protocol version 255",
        ),
        ("wms/s1/dev/m1/status", b"\x01\x02".to_vec(), "truncated"),
        ("wms/s1/dev/m1/status", vec![], "empty frame"),
    ]
}

#[test]
fn mqtt_payloads_are_dead_lettered_and_change_nothing() {
    let data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let mut hub = HubProc::start(data.path(), ports, "s1");
    let creds = hub.provision(&["m1", "m2"]);
    let before = hubapi::stock(ports.http_addr()).unwrap();
    let (client, mut conn) = Client::new(device_options(&creds, "m1", ports.mqtt), 100);
    std::thread::spawn(move || for _ in conn.iter() {});
    let cases = mqtt_cases(&creds);
    for (topic, payload, _) in &cases {
        client
            .publish(*topic, QoS::AtLeastOnce, false, payload.clone())
            .unwrap();
    }
    let letters = wait_until("dead letters", Duration::from_secs(10), || {
        hubapi::dead_letters(ports.http_addr())
            .ok()
            .filter(|l| l.len() >= cases.len())
    })
    .unwrap();
    for (topic, _, reason) in &cases {
        assert!(
            letters
                .iter()
                .any(|(t, r)| t == topic && r.to_lowercase().contains(reason)),
            "no dead letter on {topic} saying {reason:?}: {letters:?}"
        );
    }
    assert!(hub.is_running());
    assert_eq!(
        hubapi::stock(ports.http_addr()).unwrap(),
        before,
        "stock changed"
    );
}

#[test]
fn http_paths_and_queries_get_json_errors() {
    let data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let _hub = HubProc::start(data.path(), ports, "s1");
    let cases: &[(&str, u16, &str)] = &[
        ("/api/v1/stock/NO-SUCH-SKU", 404, "unknown_sku"),
        ("/api/v1/stock/bad%20sku", 400, "bad_request"),
        ("/api/v1/dead-letters?limit=abc", 400, "bad_request"),
        ("/api/v1/dead-letters?limit=0", 400, "bad_request"),
        (
            "/api/v1/dead-letters?limit=99999999999999999999",
            400,
            "bad_request",
        ),
        ("/api/v1/nothing-here", 404, "not_found"),
    ];
    for &(path, status, code) in cases {
        let r = http::get(ports.http_addr(), path).unwrap();
        assert_eq!(r.status, status, "{path}: {}", r.body);
        let body = r.json().unwrap();
        assert_eq!(body["error"]["code"], code, "{path}: {}", r.body);
        assert!(body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
}

#[test]
fn bad_scan_lines_are_refused_and_journal_nothing() {
    let data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let creds = tests::provision(&data.path().join("hub"), "s1", &["lines-1"]);
    let journal = data.path().join("journal");
    let mut agent = AgentProc::start(&journal, &ports.mqtt_addr(), &creds, "lines-1", &[]);
    let cases: &[(&str, &str)] = &[
        ("teleport SKU-1 A 1", "unknown"),
        ("pick SKU-1 A", "missing"),
        ("pick SKU-1 A many", "quantity"),
        ("pick SKU-1 A 0", "greater than zero"),
        ("receive SKU-1 A 5000000", "1000000"),
        ("move SKU-1 A 3", "destination"),
        ("pick SKU/1 A 1", "sku"),
        ("pick SKU-1 A 1 colour=red", "key"),
        ("pick SKU-1 A 1 lot=a lot=b", "twice"),
        ("count SKU-1 A -1", "count"),
    ];
    for &(line, expected) in cases {
        let answer = agent.scan(line).unwrap();
        assert!(
            answer.starts_with("error: "),
            "{line:?} answered {answer:?}"
        );
        assert!(
            answer.to_lowercase().contains(expected),
            "{line:?} answered {answer:?}"
        );
    }
    // Nothing was journaled: the next good scan is seq 1.
    assert_eq!(agent.scan("receive SKU-1 A 1").unwrap(), "ok seq=1");
}

/// CLI flags and config files: (binary, args, file contents, expected stderr words).
#[test]
fn bad_flags_and_config_files_exit_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    };
    let unknown_key = file("a.toml", "sit = \"x\"\n");
    let bad_type = file("b.toml", "http_listen = 8080\n");
    let not_toml = file("c.toml", "[[[\n");
    let agent_bad = file("d.toml", "device = \"a/b\"\n");
    let hub_data = dir.path().join("hub");
    let registry = hub_data.to_string_lossy().into_owned();
    tests::provision(&hub_data, "s1", &["dup-1"]);
    let device = |args: &[&str]| -> Vec<String> {
        let mut all: Vec<String> = std::iter::once("device")
            .chain(args.iter().copied())
            .map(String::from)
            .collect();
        all.extend(["--data".to_string(), registry.clone()]);
        all
    };
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        ("hub", vec!["--http".into(), "nowhere".into()], "invalid"),
        ("hub", vec!["--mqtt".into(), "1.2.3.4".into()], "invalid"),
        ("hub", vec!["--site".into(), "a+b".into()], "site"),
        ("hub", vec!["--config".into(), unknown_key], "unknown field"),
        ("hub", vec!["--config".into(), bad_type], "invalid type"),
        ("hub", vec!["--config".into(), not_toml], "bad config file"),
        (
            "hub",
            vec!["--config".into(), "/no/such/file.toml".into()],
            "cannot read",
        ),
        ("hub", vec!["--frobnicate".into()], "unexpected argument"),
        (
            "hub",
            device(&["add", "a/b", "--site", "s1"]),
            "contains '/'",
        ),
        (
            "hub",
            device(&["add", "x", "--site", "s 1"]),
            "site has a space",
        ),
        (
            "hub",
            device(&["add", "dup-1", "--site", "s1"]),
            "already exists",
        ),
        (
            "hub",
            device(&["add", "hub-internal", "--site", "s1"]),
            "reserved",
        ),
        ("hub", device(&["add", "--site", "s1"]), "required"),
        ("hub", device(&["revoke", "nope"]), "no device \"nope\""),
        ("hub", device(&["rotate", "nope"]), "no device \"nope\""),
        (
            "agent",
            vec![
                "--device".into(),
                "d".into(),
                "--data".into(),
                "/tmp/x".into(),
            ],
            "no credentials",
        ),
        ("agent", vec![], "device"),
        (
            "agent",
            vec![
                "--config".into(),
                agent_bad,
                "--data".into(),
                "/tmp/x".into(),
            ],
            "device",
        ),
        (
            "agent",
            vec![
                "--device".into(),
                "d".into(),
                "--hub".into(),
                "no-port".into(),
            ],
            "hub",
        ),
    ];
    for (bin, args, expected) in cases {
        let out = Command::new(bin_path(bin))
            .args(&args)
            .env("RUST_LOG", "off")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_lowercase();
        assert!(!out.status.success(), "{bin} {args:?} succeeded");
        assert!(
            out.status.code().is_some(),
            "{bin} {args:?} died by a signal"
        );
        assert!(stderr.contains(expected), "{bin} {args:?}: {stderr}");
    }
}
