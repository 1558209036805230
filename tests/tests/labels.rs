//! Shipping labels over real processes and the real broker (issue 16): a
//! batch of 100 packed orders printed with one call, in order, each label
//! exactly once, by a real printer station (`agent station`) on the fake
//! printer (`firmware-sim printer`); `mosquitto_sub`, a third-party
//! subscriber, sees every job on the documented topic but no recipient's
//! name, phone or street; the orders become labelled; the PNG preview
//! decodes at the label's size; the carrier issues waybills (the same one
//! for an order asked twice); malformed and wrongly sealed jobs are refused
//! and counted, and print nothing.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use tests::feed::{call, post};
use tests::identity::mosquitto_login;
use tests::labels::{order_ref, shipments, wait_batch, FakePrinter, LabelSite, WAIT};
use tests::wait_until;
use tests::work::order_state;

/// `mosquitto_sub` on every station's jobs topic, printing each payload
/// in hex; its lines are collected.
struct Spy {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Spy {
    fn start(port: u16, login: &[String]) -> Spy {
        // Line-buffered: a pipe would hold its lines back.
        let mut child = Command::new("stdbuf")
            .args(["-oL", "mosquitto_sub"])
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q", "1", "-d"])
            .args(["-t", "wms/s1/printer/+/jobs", "-F", "FRAME %t %x"])
            .args(login)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mosquitto_sub missing: run `bash scripts/test.sh`, which installs it");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let readers: [Box<dyn std::io::Read + Send>; 2] = [Box::new(stdout), Box::new(stderr)];
        for reader in readers {
            let sink = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(reader).lines().map_while(Result::ok) {
                    sink.lock().unwrap_or_else(|e| e.into_inner()).push(line);
                }
            });
        }
        let spy = Spy { child, lines };
        // `-d` prints the SUBACK: from then on the spy sees every job.
        wait_until("mosquitto_sub subscribed", WAIT, || {
            spy.lines()
                .iter()
                .any(|l| l.contains("SUBACK"))
                .then_some(())
        })
        .unwrap_or_else(|e| panic!("{e}: {:?}", spy.lines()));
        spy
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Every frame seen: (topic, payload).
    fn frames(&self) -> Vec<(String, Vec<u8>)> {
        self.lines()
            .iter()
            .filter_map(|l| l.strip_prefix("FRAME "))
            .filter_map(|l| l.split_once(' '))
            .map(|(topic, hex)| {
                (
                    topic.to_string(),
                    protocol::auth::decode_hex(hex).unwrap_or_default(),
                )
            })
            .collect()
    }
}

impl Drop for Spy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_batch_of_100_prints_in_order_once_and_the_broker_sees_no_address() {
    let data = tempfile::tempdir().unwrap();
    let mut site = LabelSite::start(data.path(), &[("ps1", "dock")], 60, "");
    let (addr, mqtt_port) = (site.addr, site.hub.ports.mqtt);
    let spy_login = site.hub.hub.provision(&["spy"]);
    let ids = site.packed_orders("LB", 100);

    let spy = Spy::start(mqtt_port, &mosquitto_login(&spy_login, "spy"));
    let printer = FakePrinter::start(data.path(), "p1", None);
    let station = site.station(data.path(), "ps1", printer.addr);

    let shipments = shipments(&ids, "SF Express", |n, _| format!("SF{n:010}"));
    let body = serde_json::json!({"group": "dock", "shipments": shipments});
    let (status, made) = post(addr, "/api/v1/label-batches", &body.to_string());
    assert_eq!(status, 201, "{made}");
    let batch = made["id"].as_u64().expect("batch id");
    let done = wait_batch(addr, batch, "100 labels printed", |p| p["printed"] == 100);
    assert_eq!(done["progress"]["labels"], 100, "{done}");
    let listed = tests::http::get(addr, "/api/v1/label-batches?limit=5").expect("list");
    let listed = listed.json().expect("json");
    assert_eq!(listed["items"][0]["id"], batch, "newest first: {listed}");
    assert_eq!(listed["items"][0]["progress"]["printed"], 100);

    // Printed in batch order, each exactly once.
    let printed = printer.printed();
    assert_eq!(printed.len(), 100, "printed {} labels", printed.len());
    for (i, zpl) in printed.iter().enumerate() {
        assert!(
            zpl.contains(&order_ref("LB", i + 1)),
            "label {} is not order {}: {zpl}",
            i + 1,
            i + 1
        );
        assert!(zpl.starts_with("^XA") && zpl.trim_end().ends_with("^XZ"));
    }
    for id in &ids {
        assert_eq!(order_state(addr, *id), "labelled", "order {id}");
    }

    // The third party saw the jobs on the documented topic, sealed: no
    // name, phone or street of the recipient (paid_order's customer).
    let frames = spy.frames();
    assert!(frames.len() >= 100, "the spy saw {} frames", frames.len());
    for (topic, frame) in &frames {
        assert_eq!(topic, "wms/s1/printer/ps1/jobs");
        assert_eq!(
            frame.first(),
            Some(&2),
            "a job frame is sealed (version 02)"
        );
        for secret in ["张三", "13812345678", "文三路90号"] {
            assert!(
                !contains(frame, secret.as_bytes()),
                "{secret} crossed the broker in clear"
            );
        }
    }
    // The printed label does carry the recipient (decrypted at the station only).
    assert!(printed[0].contains("13812345678"), "{}", printed[0]);

    // The preview: a PNG of the label's size, made from the same layout.
    let job = done["jobs"][0]["id"].as_u64().expect("job id");
    let r = tests::http::get(addr, &format!("/api/v1/labels/{job}.png")).expect("preview");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("image/png"));
    let decoder = png::Decoder::new(r.raw.as_slice());
    let reader = decoder.read_info().expect("the preview decodes");
    let info = reader.info();
    assert_eq!((info.width, info.height), (800, 1200), "4x6 in at 203 dpi");

    // Every opening of a recipient is in the audit, naming the batch.
    let (_, audit) = call(addr, "GET", "/api/v1/audit?limit=1000", None);
    let count = |reason: &str| {
        audit["items"].as_array().map(|items| {
            items
                .iter()
                .filter(|e| e["action"] == "label" && e["reason"] == reason)
                .count()
        })
    };
    assert_eq!(count(&format!("label batch {batch}")), Some(100), "{audit}");
    assert_eq!(count("label preview"), Some(1), "{audit}");
    // At the dock: a ship scan of the first parcel's label ships its
    // order; scanned again, nothing changes; a parcel no order has is an
    // alert, never a silent no-op.
    let ship =
        |tracking: &str| tests::feed::movement(protocol::MovementKind::Ship, tracking, "DOCK-1", 1);
    site.feed.send(vec![
        ship("SF0000000001"),
        ship("SF0000000001"),
        ship("SF9999999999"),
    ]);
    tests::work::wait_order_state(addr, ids[0], "shipped");
    assert_eq!(order_state(addr, ids[1]), "labelled");
    let (_, order) = call(addr, "GET", &format!("/api/v1/orders/{}", ids[0]), None);
    assert_eq!(order["shipment"]["tracking"], "SF0000000001", "{order}");
    let (_, alerts) = call(addr, "GET", "/api/v1/alerts", None);
    let refused = alerts["items"]
        .as_array()
        .map(|a| a.iter().filter(|x| x["kind"] == "ship_refused").count());
    assert_eq!(refused, Some(1), "{alerts}");
    // A second batch for a labelled order is refused: no label twice.
    let again = serde_json::json!({"group": "dock", "shipments": [shipments[0]]});
    let (status, refused) = post(addr, "/api/v1/label-batches", &again.to_string());
    assert_eq!(status, 409, "{refused}");
    drop(station);
}
