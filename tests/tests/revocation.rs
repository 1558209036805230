//! Attack: a revoked device keeps its open connection to the broker and
//! keeps publishing and subscribing. Over real processes: the connection
//! is dropped soon after `hub device revoke` (on the embedded broker the
//! hub takes the session over, rumqttd having no call to drop one; on
//! Mosquitto the reload after the hub rewrites its files drops it), the
//! device's logins are refused from then on, its real agent says so and
//! exits instead of hanging, and the broker keeps serving everyone else.

use std::time::{Duration, Instant};
use tests::attacker::Attacker;
use tests::identity::{connect_outcome, device_options, revoke};
use tests::{hubapi, wait_until, AgentProc, HubPorts, HubProc};

#[test]
fn a_revoked_device_is_disconnected_and_refused_and_its_agent_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProc::start(&dir.path().join("hub"), HubPorts::fresh(), "s1");
    let http = hub.ports.http_addr();
    let creds = hub.provision(&["dev-r", "dev-c"]);
    let port = hub.ports.mqtt;
    // R's real agent, and a raw connection logged in as C subscribed to
    // everything (the kick must not touch it).
    let log = dir.path().join("agent-r.log");
    let mut agent = AgentProc::start_logging(
        &dir.path().join("journal-r"),
        &hub.ports.mqtt_addr(),
        &creds,
        "dev-r",
        &["--exit-when-drained"],
        Some(&log),
    );
    assert_eq!(agent.scan("receive SKU-R A-01 1").unwrap(), "ok seq=1");
    wait_until("R's scan applied", Duration::from_secs(15), || {
        hubapi::watermark(http, "dev-r").ok().filter(|&w| w == 1)
    })
    .expect("R's first scan");
    let c = Attacker::connect(&creds, "dev-c", port);

    let revoked_at = Instant::now();
    revoke(&hub.data, "dev-r");
    // A device added after the revocation logs in only once the hub has
    // loaded it (probing with R's own client id would take R's session).
    hub.provision(&["dev-later"]);
    // The agent's connection is dropped and its reconnects refused: with
    // its input ended it exits with the refusal instead of waiting.
    assert_eq!(agent.scan("receive SKU-R A-01 5").unwrap(), "ok seq=2");
    agent.close_stdin();
    let status = agent
        .exit_status(Duration::from_secs(30))
        .expect("R's agent still runs: not disconnected, or it hangs on the refusal");
    let gone_after = revoked_at.elapsed();
    assert!(!status.success(), "R's agent exited 0");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("refused this device's login"), "{text}");
    assert!(text.contains(refusal_by_this_broker()), "{text}");
    assert!(text.contains("1 movement(s) stay in the journal"), "{text}");
    // Nothing R sent after its revocation moved stock.
    assert_eq!(hubapi::watermark(http, "dev-r"), Ok(1));
    // R's logins stay refused; C kept its connection, new logins work.
    assert!(!connect_outcome(device_options(&creds, "dev-r", port)));
    assert!(c.is_connected(), "the kick dropped another device");
    assert!(connect_outcome(device_options(&creds, "dev-c", port)));
    println!("revoked agent gone (disconnected, refused, exited) {gone_after:?} after revoke");
}

/// How the agent's log says its login was refused, which depends on how
/// the broker refuses (WIRE.md §8.3): rumqttd closes the connection
/// without a CONNACK, which the agent takes for a refusal only after
/// three in a row (a hub stopping mid-handshake closes one); Mosquitto
/// answers CONNACK 5, not authorized, which is final at once.
fn refusal_by_this_broker() -> &'static str {
    if tests::mosquitto::hubs_on_mosquitto() {
        "the broker answered NotAuthorized"
    } else {
        "3 times in a row"
    }
}

#[test]
fn a_revoked_raw_client_loses_its_open_connection() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProc::start(&dir.path().join("hub"), HubPorts::fresh(), "s1");
    let creds = hub.provision(&["dev-x", "dev-y"]);
    let port = hub.ports.mqtt;
    // X subscribes to everything and would keep reading and publishing.
    let x = Attacker::connect(&creds, "dev-x", port);
    let y = Attacker::connect(&creds, "dev-y", port);
    let revoked_at = Instant::now();
    revoke(&hub.data, "dev-x");
    wait_until("X disconnected", Duration::from_secs(10), || {
        (!x.is_connected()).then_some(())
    })
    .expect("the revoked device kept its open connection");
    println!(
        "revoked raw client disconnected {:?} after revoke",
        revoked_at.elapsed()
    );
    assert!(!connect_outcome(device_options(&creds, "dev-x", port)));
    assert!(y.is_connected(), "the kick dropped another device");
    // The broker still takes new connections (no rumqttd panic).
    assert!(connect_outcome(device_options(&creds, "dev-y", port)));
}
