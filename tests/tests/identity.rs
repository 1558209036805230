//! Promise 9 over real processes and real TCP MQTT: a device can act only
//! as itself. Devices are provisioned, revoked and rotated with the real
//! `hub device` commands while the hub runs; every wait has a deadline.

use protocol::{EventBatch, Movement, MovementKind};
use rumqttc::{Client, QoS};
use std::time::Duration;
use tests::identity::{connect_outcome, device_options, revoke, rotate, signed_frame};
use tests::procs::confirmed_seq;
use tests::{hubapi, wait_until, AgentProc, Credentials, HubPorts, HubProc};

fn batch(device: &str, seq: u64, sku: &str, quantity: i64) -> EventBatch {
    EventBatch {
        site: "s1".into(),
        device: device.into(),
        epoch: 1,
        first_seq: seq,
        movements: vec![Movement {
            seq,
            kind: MovementKind::Receive,
            sku: sku.into(),
            location: "A-01".into(),
            to_location: None,
            lot: None,
            quantity,
            device_time_ms: 1,
            task: None,
        }],
        auth_tag: None,
    }
}

/// A connection logged in as `device`, publishing QoS 1. It ends at the
/// first error (or when the client is dropped) instead of reconnecting, so
/// it never fights a later connection over the client id.
fn connect(creds: &Credentials, device: &str, port: u16) -> Client {
    let (client, mut conn) = Client::new(device_options(creds, device, port), 100);
    std::thread::spawn(move || {
        for event in conn.iter() {
            if event.is_err() {
                break;
            }
        }
    });
    client
}

fn publish(client: &Client, device: &str, frame: Vec<u8>) {
    let topic = format!("wms/s1/dev/{device}/events");
    client
        .publish(topic, QoS::AtLeastOnce, false, frame)
        .expect("queue publish");
}

/// Waits until `n` dead letters are listed; returns them.
fn dead_letters(hub: &HubProc, n: usize) -> Vec<(String, String)> {
    wait_until("dead letters", Duration::from_secs(15), || {
        hubapi::dead_letters(hub.ports.http_addr())
            .ok()
            .filter(|l| l.len() >= n)
    })
    .expect("dead letters")
}

fn has_letter(letters: &[(String, String)], topic: &str, words: &str) -> bool {
    letters.iter().any(|(t, r)| t == topic && r.contains(words))
}

fn on_hand(hub: &HubProc, sku: &str) -> Option<i64> {
    let stock = hubapi::stock(hub.ports.http_addr()).expect("stock");
    stock
        .get(&(sku.to_string(), "A-01".to_string(), String::new()))
        .copied()
}

#[test]
fn device_a_cannot_move_stock_as_device_b() {
    let data = tempfile::tempdir().unwrap();
    let hub = HubProc::start(data.path(), HubPorts::fresh(), "s1");
    let creds = hub.provision(&["dev-a", "dev-b"]);
    let a = connect(&creds, "dev-a", hub.ports.mqtt);
    // A's own batch is applied: its login and key work.
    publish(
        &a,
        "dev-a",
        signed_frame(&creds, "dev-a", &batch("dev-a", 1, "SKU-A", 3)),
    );
    wait_until("A's batch applied", Duration::from_secs(15), || {
        on_hand(&hub, "SKU-A").filter(|&q| q == 3)
    })
    .expect("A's own batch");
    // A claims to be B, on B's topic, but can only sign with its own key.
    let forged = signed_frame(&creds, "dev-a", &batch("dev-b", 1, "SKU-B", 50));
    publish(&a, "dev-b", forged);
    // A's genuine batch put on B's topic.
    publish(
        &a,
        "dev-b",
        signed_frame(&creds, "dev-a", &batch("dev-a", 2, "SKU-B", 50)),
    );
    let letters = dead_letters(&hub, 2);
    let b_topic = "wms/s1/dev/dev-b/events";
    assert!(has_letter(&letters, b_topic, "MAC fails"), "{letters:?}");
    assert!(
        has_letter(&letters, b_topic, "payload claims s1/dev-a"),
        "{letters:?}"
    );
    assert_eq!(on_hand(&hub, "SKU-B"), None, "B's stock moved");
    assert_eq!(hubapi::watermark(hub.ports.http_addr(), "dev-b"), Ok(0));
    assert_eq!(hubapi::watermark(hub.ports.http_addr(), "dev-a"), Ok(1));
}

#[test]
fn a_revoked_device_is_refused_at_connect_and_its_batches_are_dead_lettered() {
    let data = tempfile::tempdir().unwrap();
    let hub = HubProc::start(data.path(), HubPorts::fresh(), "s1");
    let creds = hub.provision(&["dev-r", "dev-c"]);
    let port = hub.ports.mqtt;
    // R is connected when it is revoked; C is a good device.
    let r = connect(&creds, "dev-r", port);
    let c = connect(&creds, "dev-c", port);
    publish(
        &c,
        "dev-c",
        signed_frame(&creds, "dev-c", &batch("dev-c", 1, "SKU-C", 1)),
    );
    wait_until("C applied", Duration::from_secs(15), || {
        on_hand(&hub, "SKU-C")
    })
    .expect("C's batch");
    revoke(&hub.data, "dev-r");
    // A device provisioned after the revocation can log in only once the
    // hub has loaded a registry that includes the revocation. (Probing with
    // R's own client id would take over R's open connection.)
    hub.provision(&["dev-later"]);
    // R's old key no longer moves stock: not from its own connection (the
    // hub drops it soon after the revocation; if it is still open, its
    // frame is dead-lettered), and not relayed by another's.
    let old_key = signed_frame(&creds, "dev-r", &batch("dev-r", 1, "SKU-R", 7));
    let r_topic = "wms/s1/dev/dev-r/events";
    let _ = r.publish(r_topic, QoS::AtLeastOnce, false, old_key.clone());
    publish(&c, "dev-r", old_key);
    let letters = dead_letters(&hub, 1);
    let revoked: Vec<_> = letters
        .iter()
        .filter(|(t, r)| t == r_topic && r.contains("revoked"))
        .collect();
    assert!(!revoked.is_empty(), "{letters:?}");
    assert_eq!(on_hand(&hub, "SKU-R"), None);
    // And it cannot connect again.
    assert!(
        !connect_outcome(device_options(&creds, "dev-r", port)),
        "R let in"
    );
    assert!(
        connect_outcome(device_options(&creds, "dev-c", port)),
        "C unaffected"
    );
}

#[test]
fn unknown_users_wrong_passwords_and_borrowed_client_ids_are_refused() {
    let data = tempfile::tempdir().unwrap();
    let hub = HubProc::start(data.path(), HubPorts::fresh(), "s1");
    let creds = hub.provision(&["dev-u", "dev-v"]);
    let port = hub.ports.mqtt;
    assert!(connect_outcome(device_options(&creds, "dev-u", port)));
    let good = || device_options(&creds, "dev-u", port);
    let mut no_login = rumqttc::MqttOptions::new("agent-s1-dev-u", "127.0.0.1", port);
    no_login.set_keep_alive(Duration::from_secs(5));
    let mut unknown = good();
    unknown.set_credentials("dev-zz", creds.device("dev-u").password.clone());
    let mut wrong = good();
    wrong.set_credentials("dev-u", "0".repeat(64));
    let mut other_id = device_options(&creds, "dev-v", port);
    other_id.set_credentials("dev-u", creds.device("dev-u").password.clone());
    let mut hub_login = rumqttc::MqttOptions::new("hub-s1", "127.0.0.1", port);
    hub_login.set_credentials("hub-internal", "guess");
    let cases = [
        ("no credentials", no_login),
        ("unknown username", unknown),
        ("wrong password", wrong),
        ("another device's client id", other_id),
        ("the hub's own username", hub_login),
    ];
    for (case, opts) in cases {
        assert!(!connect_outcome(opts), "{case}: let in");
    }
    assert!(connect_outcome(good()), "the good login still works");
}

#[test]
fn rotation_refuses_the_old_key_and_a_restarted_agent_drains_with_the_new() {
    let dir = tempfile::tempdir().unwrap();
    let hub_data = dir.path().join("hub");
    let journal = dir.path().join("journal");
    let hub = HubProc::start(&hub_data, HubPorts::fresh(), "s1");
    let port = hub.ports.mqtt;
    let http = hub.ports.http_addr();
    let old = hub.provision(&["dev-k"]);
    let mut agent = AgentProc::start(&journal, &hub.ports.mqtt_addr(), &old, "dev-k", &[]);
    assert_eq!(agent.scan("receive SKU-K A-01 1").unwrap(), "ok seq=1");
    wait_until("seq 1 applied", Duration::from_secs(15), || {
        hubapi::watermark(http, "dev-k").ok().filter(|&w| w == 1)
    })
    .expect("first scan");
    agent.kill9();

    let new = rotate(&hub_data, "dev-k");
    hub.wait_devices_loaded(&new, &["dev-k"]);
    assert!(
        !connect_outcome(device_options(&old, "dev-k", port)),
        "old password"
    );
    // A batch signed with the old key is refused, whatever carries it.
    let carrier = connect(&new, "dev-k", port);
    publish(
        &carrier,
        "dev-k",
        signed_frame(&old, "dev-k", &batch("dev-k", 2, "SKU-K", 9)),
    );
    let letters = dead_letters(&hub, 1);
    assert!(
        has_letter(&letters, "wms/s1/dev/dev-k/events", "MAC fails"),
        "{letters:?}"
    );
    drop(carrier);

    // With the old credentials the agent still confirms scans (offline is
    // normal) but cannot deliver them.
    let mut agent = AgentProc::start(&journal, &hub.ports.mqtt_addr(), &old, "dev-k", &[]);
    let answer = agent.scan("receive SKU-K A-01 4").unwrap();
    assert_eq!(confirmed_seq(&answer), Some(2), "{answer}");
    agent.kill9();
    // Restarted with the new credentials, it drains its journal.
    let mut agent = AgentProc::start(
        &journal,
        &hub.ports.mqtt_addr(),
        &new,
        "dev-k",
        &["--exit-when-drained"],
    );
    agent.close_stdin();
    assert!(
        agent.wait_exit(Duration::from_secs(30)),
        "agent did not drain"
    );
    assert_eq!(hubapi::watermark(http, "dev-k"), Ok(2));
    assert_eq!(on_hand(&hub, "SKU-K"), Some(5));
}

#[test]
fn a_corrupt_registry_stops_the_hub_at_start_naming_the_file() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("devices.json"), "{ not a registry").unwrap();
    let ports = HubPorts::fresh();
    let out = std::process::Command::new(tests::bin_path("hub"))
        .args(["--site", "s1", "--data"])
        .arg(data.path())
        .args(["--mqtt", &ports.mqtt_addr()])
        .args(["--http", &ports.http_addr().to_string()])
        .env("RUST_LOG", "off")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run hub");
    assert!(!out.status.success(), "hub started on a corrupt registry");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("devices.json") && err.contains("corrupt"),
        "{err}"
    );
}

#[test]
fn device_commands_print_secrets_once_and_list_none() {
    let data = tempfile::tempdir().unwrap();
    let hub_data = data.path().join("hub");
    let out = tests::identity::hub_device(&hub_data, &["add", "hh-1", "--site", "s1"]);
    assert!(out.status.success());
    let printed = String::from_utf8_lossy(&out.stdout);
    for word in [
        "username: hh-1",
        "password: ",
        "key: ",
        "shown only this once",
    ] {
        assert!(printed.contains(word), "{word} missing: {printed}");
    }
    let creds = tests::provision(&hub_data, "s1", &["hh-2"]);
    revoke(&hub_data, "hh-1");
    let out = tests::identity::hub_device(&hub_data, &["list"]);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("hh-1") && listed.contains("revoked"),
        "{listed}"
    );
    assert!(
        listed.contains("hh-2") && listed.contains("active"),
        "{listed}"
    );
    let entry = creds.device("hh-2");
    assert!(!listed.contains(&entry.password) && !listed.contains(&entry.key));
    let registry = std::fs::read_to_string(hub_data.join("devices.json")).unwrap();
    assert!(
        !registry.contains(&entry.password),
        "password stored in clear"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&creds.path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "credentials file mode");
}
