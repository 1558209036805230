//! Promise 7 at the MQTT boundary, with a third-party client: Debian's
//! `mosquitto_pub` publishes garbage to an events topic. The hub stays up,
//! lists every payload in dead letters with a reason, and keeps applying
//! good batches afterwards. The client logs in as a provisioned device:
//! without that login (or with a wrong one) the broker refuses it.

use std::process::Command;
use std::time::Duration;
use tests::identity::mosquitto_login;
use tests::{hubapi, wait_until, AgentProc, HubPorts, HubProc};

fn mosquitto_pub(port: u16, topic: &str, login: &[String], args: &[&str]) {
    assert!(
        try_mosquitto_pub(port, topic, login, args),
        "mosquitto_pub failed"
    );
}

/// Whether `mosquitto_pub` connected and published.
fn try_mosquitto_pub(port: u16, topic: &str, login: &[String], args: &[&str]) -> bool {
    Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-q",
            "1",
            "-t",
            topic,
        ])
        .args(login)
        .args(args)
        .stderr(std::process::Stdio::null())
        .status()
        .expect(
            "mosquitto_pub missing: run `bash scripts/test.sh`, which installs mosquitto-clients",
        )
        .success()
}

#[test]
fn garbage_from_a_third_party_client_goes_to_dead_letters() {
    let data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let mut hub = HubProc::start(data.path(), ports, "s1");
    let creds = hub.provision(&["dev-g"]);
    let login = mosquitto_login(&creds, "dev-g");
    let binary = data.path().join("junk.bin");
    std::fs::write(
        &binary,
        [
            1u8, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
        ],
    )
    .unwrap();
    let events = "wms/s1/dev/dev-g/events";
    mosquitto_pub(ports.mqtt, events, &login, &["-m", "hello, hub"]);
    let junk = binary.to_str().unwrap();
    mosquitto_pub(ports.mqtt, events, &login, &["-f", junk]);
    mosquitto_pub(ports.mqtt, events, &login, &["-n"]);
    let other = "wms/s1/dev/other/events";
    mosquitto_pub(ports.mqtt, other, &login, &["-m", "\u{1}"]);

    let letters = wait_until("4 dead letters", Duration::from_secs(10), || {
        hubapi::dead_letters(ports.http_addr())
            .ok()
            .filter(|l| l.len() >= 4)
    })
    .unwrap();
    assert_eq!(letters.len(), 4);
    let reasons: Vec<&str> = letters.iter().map(|(_, r)| r.as_str()).collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("unknown protocol version 104")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("empty frame")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("truncated") || r.contains("malformed")),
        "{reasons:?}"
    );
    assert!(letters.iter().all(|(t, _)| t.starts_with("wms/s1/dev/")));
    assert!(hub.is_running(), "garbage must not stop the hub");

    // The hub still applies good data after the garbage.
    let agent_dir = tempfile::tempdir().unwrap();
    let mut agent = AgentProc::start(agent_dir.path(), &ports.mqtt_addr(), &creds, "dev-g", &[]);
    assert_eq!(agent.scan("receive SKU-G A-01 5").unwrap(), "ok seq=1");
    let stock = wait_until("stock after garbage", Duration::from_secs(10), || {
        hubapi::stock(ports.http_addr()).ok().and_then(|s| {
            s.get(&("SKU-G".into(), "A-01".into(), String::new()))
                .copied()
        })
    });
    assert_eq!(stock, Ok(5));
    assert!(
        hubapi::stock(ports.http_addr()).unwrap().len() == 1,
        "garbage moved no stock"
    );
}

#[test]
fn a_third_party_client_without_a_valid_login_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let mut hub = HubProc::start(data.path(), ports, "s1");
    let creds = hub.provision(&["dev-h"]);
    let good = mosquitto_login(&creds, "dev-h");
    let with = |i: usize, value: &str| {
        let mut login = good.clone();
        login[i] = value.to_string();
        login
    };
    let events = "wms/s1/dev/dev-h/events";
    let refused: Vec<(&str, Vec<String>)> = vec![
        ("no credentials", vec![]),
        ("wrong password", with(5, &"0".repeat(64))),
        ("unknown user", with(3, "nobody")),
        ("another device's client id", with(1, "agent-s1-dev-x")),
    ];
    for (case, login) in &refused {
        assert!(
            !try_mosquitto_pub(ports.mqtt, events, login, &["-m", "x"]),
            "{case}: mosquitto_pub was let in"
        );
    }
    // The good login gets in; its one garbage payload is the only dead letter.
    mosquitto_pub(ports.mqtt, events, &good, &["-m", "x"]);
    let letters = wait_until("1 dead letter", Duration::from_secs(10), || {
        hubapi::dead_letters(ports.http_addr())
            .ok()
            .filter(|l| !l.is_empty())
    })
    .unwrap();
    assert_eq!(letters.len(), 1, "refused clients published: {letters:?}");
    assert!(hub.is_running());
}
