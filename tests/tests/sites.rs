//! Issue 18: hubs of three sites on one real Mosquitto, each keeping its
//! site's part of the broker's password and ACL files (one shared
//! directory) and reloading the broker itself. Shown here, on real
//! processes over TCP:
//! - a second hub for a site that a live hub owns is refused at start,
//!   with a clear error, and the first keeps serving;
//! - Mosquitto killed (SIGKILL) and restarted mid-stream: an agent's scans
//!   all arrive, none lost or applied twice;
//! - each hub's available stock per SKU, retained and signed, read by
//!   another site's hub login and checked against the site's public key;
//! - a device of site A cannot publish into site B (the broker's ACL):
//!   its frames never reach B's hub, while B's own device's do.

use protocol::sites::{decode_site, StockNotice};
use rumqttc::{Client, Event, Packet, QoS};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use tests::identity::{connect_outcome, device_options};
use tests::mosquitto::{export_acl, hub_config, Mosquitto};
use tests::procs::confirmed_seq;
use tests::{bin_path, hubapi, wait_until, AgentProc, Credentials, HubPorts, HubProc};

const LONG: Duration = Duration::from_secs(30);

struct Site {
    hub: HubProc,
    creds: Credentials,
    config: PathBuf,
}

/// The broker, with the first site's part of its files in place (it
/// needs them to start): from the real `hub device acl`.
fn shared_broker(dir: &Path) -> (Mosquitto, PathBuf) {
    let acl = dir.join("acl");
    let work = dir.join("s1-config");
    std::fs::create_dir_all(&work).unwrap();
    let config = hub_config(&work, "s1", "hub-s1", "pw-s1");
    export_acl(&dir.join("s1"), &config, &acl);
    let broker_dir = dir.join("broker");
    std::fs::create_dir_all(&broker_dir).unwrap();
    (Mosquitto::start(&broker_dir, &acl), acl)
}

fn hub_args(config: &Path, broker: &Mosquitto, acl: &Path) -> Vec<String> {
    [
        "--config",
        &config.display().to_string(),
        "--external-broker",
        &format!("mqtt://{}", broker.addr()),
        "--external-broker-acl-dir",
        &acl.display().to_string(),
        "--external-broker-reload",
        &broker.reload_script().display().to_string(),
    ]
    .map(String::from)
    .to_vec()
}

fn start_site(dir: &Path, site: &str, broker: &Mosquitto, acl: &Path, more: &str) -> Site {
    let work = dir.join(format!("{site}-config"));
    std::fs::create_dir_all(&work).unwrap();
    let config = hub_config(&work, site, &format!("hub-{site}"), &format!("pw-{site}"));
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}{more}")).unwrap();
    let data = dir.join(site);
    let device = format!("d-{site}");
    let creds = tests::provision(&data, site, &[&device]);
    let args = hub_args(&config, broker, acl);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let hub = HubProc::start_with(&data, HubPorts::fresh(), site, &args);
    let opts = device_options(&creds, &device, broker.port);
    wait_until("the broker lets the site's device in", LONG, || {
        connect_outcome(opts.clone()).then_some(())
    })
    .expect("the hub did not put its device in the broker's files");
    Site { hub, creds, config }
}

/// A second hub for `site` exits non-zero, saying the site is owned.
fn second_hub_is_refused(dir: &Path, first: &Site, broker: &Mosquitto, acl: &Path) {
    let args = hub_args(&first.config, broker, acl);
    let http = format!("127.0.0.1:{}", tests::free_port());
    let mut child = Command::new(bin_path("hub"))
        .args(["--site", &first.hub.site, "--data"])
        .arg(dir.join("second-hub"))
        .args(["--http", &http])
        .args(&args)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_until("the second hub exits", LONG, || {
        child.try_wait().ok().flatten()
    });
    let _ = child.kill();
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
    }
    let status = status.unwrap_or_else(|e| panic!("{e}: a second hub for the site ran"));
    assert!(!status.success(), "the second hub exited 0:\n{stderr}");
    assert!(
        stderr.contains("already owned by another live hub"),
        "{stderr}"
    );
}

fn scan_through_restart(dir: &Path, s1: &Site, broker: &mut Mosquitto) -> i64 {
    let mut agent = AgentProc::start(&dir.join("agent"), &broker.addr(), &s1.creds, "d-s1", &[]);
    let mut total = 0;
    for i in 1..=60u64 {
        if i == 25 {
            broker.kill_and_restart();
        }
        let answer = agent
            .scan(&format!("receive SKU-X A-{} {i}", i % 3))
            .unwrap();
        assert_eq!(confirmed_seq(&answer), Some(i), "scan {i}: {answer}");
        total += i as i64;
    }
    let http = s1.hub.ports.http_addr();
    wait_until("every scan applied after the broker restart", LONG, || {
        hubapi::watermark(http, "d-s1").ok().filter(|&w| w == 60)
    })
    .expect("scans lost across the broker restart");
    let stock: i64 = hubapi::stock(http).unwrap().values().sum();
    assert_eq!(stock, total, "a scan lost or applied twice");
    total
}

/// The public key `hub site-key` prints for the hub with data in `data`.
fn site_key(data: &Path) -> String {
    let out = tests::procs::hub_command(data, &["site-key"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Places a paid order of `quantity` SKU-X for a customer in 浙江省 (the
/// region s2 serves); returns the order as answered.
fn order_for(addr: std::net::SocketAddr, id: &str, quantity: i64) -> serde_json::Value {
    let body = serde_json::json!({
        "platform": "own", "platform_order_id": id, "service": "express", "paid": true,
        "customer": {"name": "张三", "phone": "13812345678",
            "address": {"country": "CN", "province": "浙江省", "city": "杭州市",
                        "district": "西湖区", "street": "文三路90号", "postal_code": "310012"}},
        "lines": [{"sku": "SKU-X", "quantity": quantity}]
    });
    let (status, placed) = tests::feed::post(addr, "/api/v1/orders", &body.to_string());
    assert_eq!(status, 201, "{placed}");
    placed
}

/// Reads retained stock notices as `username` (another site's hub).
fn stock_notices(port: u16, username: &str, password: &str) -> Vec<(String, StockNotice)> {
    let mut opts = rumqttc::MqttOptions::new(username, "127.0.0.1", port);
    opts.set_credentials(username, password);
    let (client, mut conn): (Client, _) = Client::new(opts, 100);
    client
        .subscribe(protocol::sites::stock_filter_all_sites(), QoS::AtLeastOnce)
        .unwrap();
    let mut out = Vec::new();
    let mut subacked = false;
    while let Ok(event) = conn.recv_timeout(Duration::from_secs(2)) {
        match event {
            Ok(Event::Incoming(Packet::SubAck(_))) => subacked = true,
            Ok(Event::Incoming(Packet::Publish(p))) => {
                out.push((p.topic.clone(), decode_site(&p.payload).expect("a notice")));
            }
            Ok(_) => {}
            Err(e) => panic!("stock listener: {e}"),
        }
    }
    assert!(subacked, "the stock subscription was refused");
    out
}

/// Junk frames from `creds`' `device` on `topic`, acked by the broker.
fn publish_junk(creds: &Credentials, device: &str, port: u16, topic: &str) {
    let (client, mut conn) = Client::new(device_options(creds, device, port), 10);
    client
        .publish(topic, QoS::AtLeastOnce, false, b"\x01junk".to_vec())
        .unwrap();
    for event in conn.iter() {
        match event {
            Ok(Event::Incoming(Packet::PubAck(_))) => break,
            Ok(_) => {}
            Err(e) => panic!("{device}: {e}"),
        }
    }
    let _ = client.disconnect();
}

#[test]
fn three_sites_share_one_mosquitto() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, acl) = shared_broker(dir.path());
    // s1 and s2 know each other's hub keys (as `hub site-key` prints
    // them): s2 believes s1's stock notices and routes between the two,
    // and the two hand orders over to each other.
    let key = site_key(&dir.path().join("s1"));
    let key2 = site_key(&dir.path().join("s2"));
    let peer2 = format!("[peers.s2]\npublic_key = \"{key2}\"\n");
    let s1 = start_site(dir.path(), "s1", &broker, &acl, &peer2);
    let routing = format!(
        "[peers.s1]\npublic_key = \"{key}\"\n\
         [[routing.sites]]\nsite = \"s2\"\nregions = [\"浙江省\"]\n\
         [[routing.sites]]\nsite = \"s1\"\nregions = [\"上海市\"]\n"
    );
    let s2 = start_site(dir.path(), "s2", &broker, &acl, &routing);
    let s3 = start_site(dir.path(), "s3", &broker, &acl, "");
    second_hub_is_refused(dir.path(), &s1, &broker, &acl);
    let total = scan_through_restart(dir.path(), &s1, &mut broker);

    // s3's hub steps aside so its login can read as another site's hub.
    assert!(s3.hub.terminate(), "hub s3 did not stop cleanly");
    let notice = wait_until("s1's signed stock notice", LONG, || {
        stock_notices(broker.port, "hub-s3", "pw-s3")
            .into_iter()
            .find(|(topic, n)| topic == "wms/s1/hub/stock/SKU-X" && n.available == total)
    })
    .expect("no current stock notice from s1");
    hub::sites::signing::verify(&key, &notice.1).expect("s1's signature");

    // An order s2 cannot fill: it waits at s2, naming s1 by s1's stock.
    let s2_http = s2.hub.ports.http_addr();
    // (s2 may hear s1's notice a moment after the listener above did.)
    let mut tries = 0;
    let order = wait_until("s2 routes by s1's stock", LONG, || {
        tries += 1;
        let order = order_for(s2_http, &format!("X-{tries}"), 10);
        assert_eq!(order["state"], "exception", "{order}");
        let why = order["exceptions"][0]["message"].as_str().unwrap_or("");
        why.contains("site s1 can fill every line").then_some(order)
    })
    .expect("s2 never named s1, whose published stock fills the order");
    assert!(
        order["route_reason"]
            .as_str()
            .unwrap_or("")
            .starts_with("s1"),
        "{order}"
    );

    // d-s1 writes into site s2; then s2's own device sends one junk frame.
    let before = hubapi::dead_letters(s2_http).unwrap().len();
    for topic in ["wms/s2/dev/d-s1/events", "wms/s2/dev/d-s2/events"] {
        publish_junk(&s1.creds, "d-s1", broker.port, topic);
    }
    publish_junk(&s2.creds, "d-s2", broker.port, "wms/s2/dev/d-s2/events");
    wait_until("s2's own device's frame arrives", LONG, || {
        (hubapi::dead_letters(s2_http).unwrap().len() > before).then_some(())
    })
    .expect("s2's hub got nothing from its own device");
    assert_eq!(
        hubapi::dead_letters(s2_http).unwrap().len(),
        before + 1,
        "a frame from site s1's device reached site s2's hub"
    );
    handed_over(&s1, s2_http, &order);
    let Site { hub, config, .. } = s1;
    hub_down_order_waits(hub, &config, &broker, &acl, s2_http);
}

/// The order s2 could not fill was handed to s1 (sealed for s1 through the
/// broker), taken in there once with its stock held, and routed to s1.
fn handed_over(s1: &Site, s2: std::net::SocketAddr, order: &serde_json::Value) {
    assert_eq!(order["exceptions"][0]["code"], "handoff_pending", "{order}");
    let id = order["id"].as_u64().unwrap();
    let routed = wait_routed_to_s1(s2, id);
    let remote = routed["route_reason"].as_str().unwrap_or("").to_string();
    let s1_http = s1.hub.ports.http_addr();
    let taken: Vec<_> = hubapi::items(s1_http, "/api/v1/orders?limit=1000")
        .unwrap()
        .into_iter()
        .filter(|o| {
            o["platform"] == "site-s2" && o["platform_order_id"].as_str() == Some(&id.to_string())
        })
        .collect();
    assert_eq!(taken.len(), 1, "taken in once at s1: {taken:?}");
    let there = &taken[0];
    assert!(
        remote.contains(&format!("its order {}", there["id"])),
        "{remote} / {there}"
    );
    assert_eq!(there["state"], "routed", "{there}");
    assert!(
        there["reservation"].as_u64().is_some(),
        "no stock held at s1: {there}"
    );
}

/// Waits until order `id` at s2 is routed to s1; returns it.
fn wait_routed_to_s1(s2: std::net::SocketAddr, id: u64) -> serde_json::Value {
    wait_until("the order routed to s1", LONG, || {
        let (_, o) = tests::feed::call(s2, "GET", &format!("/api/v1/orders/{id}"), None);
        (o["state"] == "routed" && o["site"] == "s1").then_some(o)
    })
    .expect("s2's order was never taken in by s1")
}

/// With s1's hub down, an order s2 hands over waits, visibly; when s1's
/// hub is back it is taken in. Prints the handover time.
fn hub_down_order_waits(
    s1: HubProc,
    config: &Path,
    broker: &Mosquitto,
    acl: &Path,
    s2: std::net::SocketAddr,
) {
    let (data, ports) = (s1.data.clone(), s1.ports);
    assert!(s1.terminate(), "hub s1 did not stop cleanly");
    let waiting = order_for(s2, "Z-1", 10);
    assert_eq!(
        waiting["exceptions"][0]["code"], "handoff_pending",
        "{waiting}"
    );
    let args = hub_args(config, broker, acl);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let _s1 = HubProc::start_with(&data, ports, "s1", &args);
    let id = waiting["id"].as_u64().unwrap();
    wait_routed_to_s1(s2, id);
    let started = std::time::Instant::now();
    let fresh = order_for(s2, "Z-2", 10);
    wait_routed_to_s1(s2, fresh["id"].as_u64().unwrap());
    eprintln!(
        "sites: an order handed from s2 to s1 was routed at s2 {} ms after it was placed",
        started.elapsed().as_millis()
    );
}
