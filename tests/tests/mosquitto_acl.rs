//! Promise 10 on an external broker: a real Mosquitto loads the files the
//! real `hub device acl --format mosquitto` wrote, the real hub runs
//! against it, and device B, logged in with its own credentials, tries to
//! read and forge device A's traffic. It gets none of A's frames, its
//! forgeries on A's topics (one retained) reach neither A nor the hub,
//! and wrong, unknown and revoked logins are refused (a revoked device's
//! open connection dropped at the broker's reload, its agent saying so).

use protocol::{EventBatch, Movement, MovementKind};
use rumqttc::{Client, Event, Packet, QoS};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tests::attacker::Attacker;
use tests::identity::AckOpener;
use tests::identity::{connect_outcome, device_options, fresh_epoch, revoke, signed_frame};
use tests::mosquitto::{export_acl, hub_config, Mosquitto};
use tests::{hubapi, provision, wait_until, AgentProc, HubPorts, HubProc};

fn batch(device: &str, epoch: u64, seq: u64, sku: &str) -> EventBatch {
    EventBatch {
        site: "s1".into(),
        device: device.into(),
        epoch,
        first_seq: seq,
        movements: vec![Movement {
            seq,
            kind: MovementKind::Receive,
            sku: sku.into(),
            location: "A-01".into(),
            to_location: None,
            lot: None,
            quantity: 1,
            device_time_ms: 1,
            task: None,
        }],
        auth_tag: None,
    }
}

fn topic(device: &str, leaf: &str) -> String {
    format!("wms/s1/dev/{device}/{leaf}")
}

/// Publishes received: (topic, payload).
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A plain client logged in as a device: records what arrives, and
/// whether its one connection is still open.
struct Listener {
    client: Client,
    received: Received,
    open: Arc<AtomicBool>,
}

impl Listener {
    fn connect(opts: rumqttc::MqttOptions, filter: Option<&str>) -> Listener {
        let (client, mut conn) = Client::new(opts, 100);
        let received: Received = Arc::new(Mutex::new(Vec::new()));
        let open = Arc::new(AtomicBool::new(false));
        let subscribed = Arc::new(AtomicBool::new(filter.is_none()));
        let (sink, alive, acked) = (received.clone(), open.clone(), subscribed.clone());
        std::thread::spawn(move || {
            for event in conn.iter() {
                match event {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => alive.store(true, Ordering::SeqCst),
                    Ok(Event::Incoming(Packet::SubAck(_))) => acked.store(true, Ordering::SeqCst),
                    Ok(Event::Incoming(Packet::Publish(p))) => sink
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((p.topic, p.payload.to_vec())),
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            alive.store(false, Ordering::SeqCst);
        });
        if let Some(filter) = filter {
            client
                .subscribe(filter, QoS::AtLeastOnce)
                .expect("subscribe");
        }
        wait_until("listener connected", Duration::from_secs(10), || {
            (open.load(Ordering::SeqCst) && subscribed.load(Ordering::SeqCst)).then_some(())
        })
        .expect("listener");
        Listener {
            client,
            received,
            open,
        }
    }

    fn received(&self) -> Vec<(String, Vec<u8>)> {
        self.received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

struct Setup {
    dir: tempfile::TempDir,
    hub_data: std::path::PathBuf,
    config: std::path::PathBuf,
    acl: std::path::PathBuf,
    creds: tests::Credentials,
    broker: Mosquitto,
}

fn setup(devices: &[&str]) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let hub_data = dir.path().join("hub");
    let creds = provision(&hub_data, "s1", devices);
    let config = hub_config(dir.path(), "s1", "hub-s1", "hub-secret-for-the-test");
    let acl = dir.path().join("acl");
    export_acl(&hub_data, &config, &acl);
    let broker = Mosquitto::start(dir.path(), &acl);
    Setup {
        hub_data,
        config,
        acl,
        creds,
        broker,
        dir,
    }
}

#[test]
fn b_reads_nothing_of_a_and_its_forgeries_on_a_topics_reach_nobody() {
    let s = setup(&["dev-a", "dev-b"]);
    let config = s.config.to_str().unwrap();
    let broker = s.broker.addr();
    let extra = ["--config", config, "--external-broker", broker.as_str()];
    let hub = HubProc::start_with(&s.hub_data, HubPorts::fresh(), "s1", &extra);
    let http = hub.ports.http_addr();
    let b = Attacker::connect(&s.creds, "dev-b", s.broker.port);
    // B's forgeries on every one of A's topics, one retained.
    let forged_batch = signed_frame(&s.creds, "dev-b", &batch("dev-a", 1, 1, "SKU-F"));
    b.publish(&topic("dev-a", "events"), forged_batch, false);
    b.publish(&topic("dev-a", "ack"), b"forged ack".to_vec(), false);
    b.publish(
        &topic("dev-a", "ack"),
        b"retained forged ack".to_vec(),
        true,
    );
    b.publish(&topic("dev-a", "status"), b"forged status".to_vec(), false);
    // Then B's own genuine batch: the broker handles one connection's
    // packets in order, so once the hub acks it, the forgeries went first.
    let own = signed_frame(
        &s.creds,
        "dev-b",
        &batch("dev-b", fresh_epoch(), 1, "SKU-B"),
    );
    b.publish(&topic("dev-b", "events"), own, false);
    wait_until("B's own ack", Duration::from_secs(15), || {
        let acks = b.captured_from_others(&topic("dev-b", "ack"));
        (!acks.is_empty()).then_some(())
    })
    .expect("B's own batch was not acked to B: its ACL is too tight");
    let letters = hubapi::dead_letters(http).expect("dead letters");
    assert!(
        letters.iter().all(|(t, _)| !t.contains("dev-a")),
        "a forgery reached the hub: {letters:?}"
    );
    // A subscribes after the forgeries: a retained one would come now,
    // before the genuine ack to A's own batch.
    let a = Listener::connect(
        device_options(&s.creds, "dev-a", s.broker.port),
        Some(&topic("dev-a", "ack")),
    );
    let frame = signed_frame(
        &s.creds,
        "dev-a",
        &batch("dev-a", fresh_epoch(), 1, "SKU-A"),
    );
    a.client
        .publish(topic("dev-a", "events"), QoS::AtLeastOnce, false, frame)
        .expect("A publishes");
    let opener = AckOpener::new(s.creds.device("dev-a")).expect("A's key");
    wait_until("A's genuine ack", Duration::from_secs(15), || {
        a.received()
            .iter()
            .any(|(t, p)| opener.through(t, p) == Some(1))
            .then_some(())
    })
    .expect("A's own batch was not acked");
    let to_a = a.received();
    let not_genuine: Vec<_> = to_a
        .iter()
        .filter(|(t, p)| opener.ack(t, p).is_none())
        .collect();
    assert!(
        not_genuine.is_empty(),
        "forgeries reached A: {not_genuine:?}"
    );
    drop(a);
    // A's real agent works under the ACL (events, status, last will, acks).
    let journal = s.dir.path().join("journal-a");
    let mut agent = AgentProc::start(
        &journal,
        &broker,
        &s.creds,
        "dev-a",
        &["--exit-when-drained"],
    );
    for n in 0..3 {
        let answer = agent.scan("receive SKU-A A-01 1").unwrap();
        assert!(answer.starts_with("ok seq="), "scan {n}: {answer}");
    }
    agent.close_stdin();
    assert!(
        agent.wait_exit(Duration::from_secs(30)),
        "A's agent did not drain through Mosquitto"
    );
    let stock = hubapi::stock(http).expect("stock");
    let on_hand = |sku: &str| stock.get(&(sku.to_string(), "A-01".to_string(), String::new()));
    assert_eq!(on_hand("SKU-A"), Some(&4));
    assert_eq!(on_hand("SKU-F"), None, "the forged batch moved stock");
    for leaf in ["events", "status", "ack"] {
        let seen = b.captured_from_others(&topic("dev-a", leaf));
        assert!(
            seen.is_empty(),
            "B read {} of A's {leaf} frames",
            seen.len()
        );
    }
    println!(
        "mosquitto ACL: B published {} frames on A's topics (1 retained); reached A 0, \
         the hub 0; B read 0 of A's frames; A's {} frames delivered",
        4,
        to_a.len()
    );
}

#[test]
fn wrong_unknown_and_revoked_logins_are_refused_and_a_revoked_connection_dropped() {
    let mut s = setup(&["dev-a", "dev-c"]);
    let port = s.broker.port;
    assert!(connect_outcome(device_options(&s.creds, "dev-a", port)));
    let mut wrong = device_options(&s.creds, "dev-a", port);
    wrong.set_credentials("dev-a", "0".repeat(64));
    let mut unknown = device_options(&s.creds, "dev-a", port);
    unknown.set_credentials("dev-zz", s.creds.device("dev-a").password.clone());
    let mut anonymous = rumqttc::MqttOptions::new("agent-s1-dev-a", "127.0.0.1", port);
    anonymous.set_keep_alive(Duration::from_secs(5));
    for (case, opts) in [
        ("wrong password", wrong),
        ("unknown user", unknown),
        ("no login", anonymous),
    ] {
        assert!(!connect_outcome(opts), "{case}: let in");
    }
    // C is connected, subscribed to its own ack topic, when it is revoked.
    let c = Listener::connect(
        device_options(&s.creds, "dev-c", port),
        Some(&topic("dev-c", "ack")),
    );
    revoke(&s.hub_data, "dev-c");
    export_acl(&s.hub_data, &s.config, &s.acl);
    let acl = std::fs::read_to_string(s.acl.join("mosquitto.acl")).unwrap();
    assert!(!acl.contains("dev-c"), "revoked device still in the ACL");
    s.broker.reload();
    wait_until("C's connection dropped", Duration::from_secs(10), || {
        (!c.open.load(Ordering::SeqCst)).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}; broker log:\n{}", s.broker.log_text()));
    assert!(
        !connect_outcome(device_options(&s.creds, "dev-c", port)),
        "revoked C let in again"
    );
    assert!(connect_outcome(device_options(&s.creds, "dev-a", port)));
    // C's agent says its login is refused and exits, instead of hanging.
    let log = s.dir.path().join("agent-c.log");
    let journal = s.dir.path().join("journal-c");
    let mut agent = AgentProc::start_logging(
        &journal,
        &s.broker.addr(),
        &s.creds,
        "dev-c",
        &["--exit-when-drained"],
        Some(&log),
    );
    assert_eq!(agent.scan("receive SKU-C A-01 1").unwrap(), "ok seq=1");
    agent.close_stdin();
    let status = agent
        .exit_status(Duration::from_secs(30))
        .expect("C's agent hung on a refused login");
    assert!(!status.success(), "C's agent exited 0");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("refused this device's login") && text.contains("NotAuthorized"),
        "{text}"
    );
    assert!(text.contains("1 movement(s) stay in the journal"), "{text}");
}
