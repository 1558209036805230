//! Fleet health and the change feed over real processes (issue 17): a
//! real agent shows online in the fleet table and on the change stream,
//! a stock change it scans is pushed to a stream client, and when it is
//! killed with SIGKILL the broker's last will marks it offline, pushed
//! live. A second handheld (played by this test over a real MQTT
//! connection, with its own signed heartbeats and last will) goes away
//! holding unsynced scans: the `device_offline_backlog` alert is raised,
//! pushed, and acknowledged by an operator (who and when; a viewer may
//! not). A third reports a low battery, then a charged one: its alert is
//! raised and cleared when the cause goes, both pushed; a status for it
//! signed with another device's key changes nothing and raises the
//! `dead_letters` alert; then it goes silent without a last will and is
//! marked offline once 1.5 heartbeat intervals pass. A stream reopened
//! with Last-Event-ID resumes exactly after it.

use protocol::{encode_signed_status, DeviceKey, DeviceState, Status};
use rumqttc::{Client, Event, LastWill, Packet, QoS};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tests::identity::{device_key, device_options};
use tests::sse::{SseClient, SseEvent};
use tests::watched::WatchedAgent;
use tests::{http, wait_until, Credentials, HubPorts, HubProc};

const LONG: Duration = Duration::from_secs(30);
const SITE: &str = "s1";

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn status(device: &str, session: u64, state: DeviceState, backlog: u64) -> Status {
    with_battery(device, session, state, backlog, 50)
}

fn with_battery(device: &str, session: u64, state: DeviceState, backlog: u64, pct: u8) -> Status {
    Status {
        site: SITE.into(),
        device: device.into(),
        session_ms: session,
        state,
        backlog,
        battery_pct: Some(pct),
        device_time_ms: now_ms().max(session),
        epoch: 7,
        acked_seq: 0,
        app_version: "sim-2.1".into(),
        signal_dbm: Some(-67),
        auth_tag: None,
    }
}

/// A handheld played by the test: its own MQTT connection with a signed
/// last will, sending the heartbeats it is told to.
struct Handheld {
    client: Client,
    device: String,
    key: DeviceKey,
    session: u64,
}

impl Handheld {
    fn connect(creds: &Credentials, device: &str, port: u16) -> Handheld {
        let key = device_key(creds, device);
        let session = now_ms();
        let topic = format!("wms/{SITE}/dev/{device}/status");
        let will = encode_signed_status(&key, &status(device, session, DeviceState::Offline, 0));
        let mut opts = device_options(creds, device, port);
        opts.set_keep_alive(Duration::from_secs(5))
            .set_last_will(LastWill::new(topic, will, QoS::AtLeastOnce, false));
        let (client, mut connection) = Client::new(opts, 100);
        let (ready, up) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for event in connection.iter() {
                match event {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        let _ = ready.send(());
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        });
        up.recv_timeout(LONG)
            .expect("the broker never took the handheld");
        Handheld {
            client,
            device: device.to_string(),
            key,
            session,
        }
    }

    fn heartbeat(&self, backlog: u64) {
        self.heartbeat_battery(backlog, 50);
    }

    fn heartbeat_battery(&self, backlog: u64, pct: u8) {
        let s = with_battery(
            &self.device,
            self.session,
            DeviceState::Online,
            backlog,
            pct,
        );
        self.publish(encode_signed_status(&self.key, &s));
    }

    fn publish(&self, frame: Vec<u8>) {
        let topic = format!("wms/{SITE}/dev/{}/status", self.device);
        self.client
            .publish(topic, QoS::AtLeastOnce, false, frame)
            .expect("queue a status");
    }
}

fn fleet_row(addr: SocketAddr, device: &str) -> Option<Value> {
    let answer = http::get(addr, "/api/v1/fleet").ok()?;
    let body = answer.json().ok()?;
    body["items"]
        .as_array()?
        .iter()
        .find(|r| r["device"] == device)
        .cloned()
}

fn wait_row(addr: SocketAddr, device: &str, state: &str) -> Value {
    wait_until(&format!("{device} {state} in the fleet"), LONG, || {
        fleet_row(addr, device).filter(|r| r["state"] == state)
    })
    .unwrap_or_else(|e| {
        let fleet = http::get(addr, "/api/v1/fleet").map(|r| r.body);
        let dead = http::get(addr, "/api/v1/dead-letters").map(|r| r.body);
        panic!("{e}\nfleet: {fleet:?}\ndead letters: {dead:?}")
    })
}

fn device_event(s: &SseClient, device: &str, state: &str) -> SseEvent {
    let what = format!("a device event: {device} {state}");
    s.wait_for(&what, LONG, |e| {
        e.event == "device" && e.data["device"] == device && e.data["state"] == state
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

fn open_alert(addr: SocketAddr, kind: &str, subject: &str) -> Option<Value> {
    let path = format!("/api/v1/alerts?kind={kind}");
    let body = http::get(addr, &path).ok()?.json().ok()?;
    body["items"]
        .as_array()?
        .iter()
        .find(|a| a["subject"] == subject && a["state"] != "cleared")
        .cloned()
}

#[test]
fn devices_come_and_go_live_and_their_alerts_follow() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("hub.toml");
    std::fs::write(&config, "[fleet]\nheartbeat_interval_ms = 1000\n").expect("config");
    let config = config.to_string_lossy().into_owned();
    let hub = HubProc::start_with(
        &dir.path().join("hub"),
        HubPorts::fresh(),
        SITE,
        &["--config", &config],
    );
    let addr = hub.ports.http_addr();
    let creds = hub.provision(&["hh-a", "hh-b", "hh-c"]);
    let viewer = hub.create_token("viewer", "wall-screen");
    let stream = SseClient::open(addr, &viewer, None);
    assert_eq!(stream.status(), 200);

    // A real agent: online, and a scan of it pushed as a stock change.
    let agent_conf = dir.path().join("agent.toml");
    std::fs::write(&agent_conf, "heartbeat_ms = 500\n").expect("agent config");
    let agent_conf = agent_conf.to_string_lossy().into_owned();
    let mut agent = WatchedAgent::start(
        &dir.path().join("a"),
        &hub.ports.mqtt_addr(),
        &creds,
        "hh-a",
        &["--config", &agent_conf],
    );
    let row = wait_row(addr, "hh-a", "online");
    assert!(
        row["version"].is_string() && row["epoch"].is_string(),
        "{row}"
    );
    device_event(&stream, "hh-a", "online");
    assert_eq!(
        agent.scan("receive SKU-LIVE A-01 7").expect("scan"),
        "ok seq=1"
    );
    let stock = stream
        .wait_for("the stock change pushed", LONG, |e| {
            e.event == "stock" && e.data["sku"] == "SKU-LIVE"
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stock.data["on_hand"], 7);
    assert_eq!(stock.data["available"], 7);

    // SIGKILL: the broker's last will marks it offline, pushed live.
    agent.kill9();
    let row = wait_row(addr, "hh-a", "offline");
    assert_eq!(row["offline_reason"], "last_will");
    device_event(&stream, "hh-a", "offline");

    // hh-b goes away holding scans: one alert, pushed, acknowledged.
    let b = Handheld::connect(&creds, "hh-b", hub.ports.mqtt);
    b.heartbeat(4);
    let row = wait_row(addr, "hh-b", "online");
    assert_eq!(row["backlog"], 4);
    assert_eq!(row["version"], "sim-2.1");
    assert_eq!(row["signal_dbm"], -67);
    assert_eq!(row["epoch"], "0000000000000007");
    assert_eq!(row["battery_pct"], 50);
    drop(b);
    wait_row(addr, "hh-b", "offline");
    let alert = wait_until("the offline-with-backlog alert", LONG, || {
        open_alert(addr, "device_offline_backlog", "device:hh-b")
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(alert["severity"], "critical");
    assert_eq!(alert["state"], "open");
    let id = alert["id"].as_u64().expect("alert id");
    stream
        .wait_for("the alert pushed", LONG, |e| {
            e.event == "alert" && e.data["id"] == id
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let bearer = format!("Bearer {viewer}");
    let ack_path = format!("/api/v1/alerts/{id}/ack");
    let refused =
        http::request_as(addr, "POST", &ack_path, Some(&bearer), None).expect("ack as a viewer");
    assert_eq!(refused.status, 403, "a viewer may not acknowledge");
    let acked = http::request(addr, "POST", &ack_path, None).expect("ack");
    assert_eq!(acked.status, 200, "{}", acked.body);
    let acked = acked.json().expect("json");
    assert_eq!(acked["state"], "acknowledged");
    assert!(
        acked["acked_by"].is_string() && acked["acked_ms"].is_u64(),
        "{acked}"
    );
    let missing =
        http::request(addr, "POST", "/api/v1/alerts/999999/ack", None).expect("ack unknown");
    assert_eq!(missing.status, 404);

    // hh-c's battery runs low and is charged: raised, then cleared.
    let c = Handheld::connect(&creds, "hh-c", hub.ports.mqtt);
    c.heartbeat_battery(0, 5);
    wait_row(addr, "hh-c", "online");
    let low = wait_until("the low-battery alert", LONG, || {
        open_alert(addr, "low_battery", "device:hh-c")
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let low_id = low["id"].as_u64().expect("alert id");
    c.heartbeat_battery(0, 80);
    stream
        .wait_for("the low-battery alert cleared, pushed", LONG, |e| {
            e.event == "alert" && e.data["id"] == low_id && e.data["state"] == "cleared"
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(open_alert(addr, "low_battery", "device:hh-c").is_none());

    // A status for hh-c signed with hh-b's key changes nothing.
    let before = fleet_row(addr, "hh-c").expect("row");
    let mut forged = with_battery("hh-c", u64::MAX / 2, DeviceState::Offline, 9, 1);
    forged.device_time_ms = u64::MAX / 2;
    c.publish(encode_signed_status(&device_key(&creds, "hh-b"), &forged));
    wait_until("the dead-letters alert", LONG, || {
        open_alert(addr, "dead_letters", "")
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let after = fleet_row(addr, "hh-c").expect("row");
    assert_eq!(after["state"], "online");
    assert_eq!(after["battery_pct"], before["battery_pct"]);

    // hh-c goes silent with its connection open: offline after 1.5 s.
    let row = wait_row(addr, "hh-c", "offline");
    assert_eq!(row["offline_reason"], "silent");

    // A stream reopened after some event resumes right after it.
    let seen = stream.events();
    assert!(seen.windows(2).all(|w| w[1].id > w[0].id), "ids only grow");
    let middle = seen[seen.len() / 2].id;
    let resumed = SseClient::open(addr, &viewer, Some(middle));
    let first = resumed
        .wait_for("the resumed stream's first event", LONG, |_| true)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.id, middle + 1, "resumes right after Last-Event-ID");
    drop(c);
}
