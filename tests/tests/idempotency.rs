//! A retried reservation is the same reservation: by `Idempotency-Key`
//! header, by the `idempotency_key` field, and under concurrent retries;
//! a header and field that disagree are refused; the default hold is
//! 15 minutes. Real hub process, real HTTP.

use protocol::MovementKind::Receive;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::{Arc, Barrier};
use tests::feed::{movement, Feed};
use tests::{http, HubPorts, HubProc};

const R: &str = "/api/v1/reservations";

fn reserve(addr: SocketAddr, headers: &[(&str, &str)], body: &Value) -> (u16, Value) {
    let text = body.to_string();
    let r = http::request_with(addr, "POST", R, headers, Some(&text)).expect("HTTP");
    (r.status, r.json().unwrap_or(Value::Null))
}

fn reserved(addr: SocketAddr, sku: &str) -> i64 {
    let r = http::get(addr, &format!("/api/v1/availability/{sku}")).expect("HTTP");
    r.json().expect("json")["reserved"]
        .as_i64()
        .expect("reserved")
}

#[test]
fn retries_return_the_same_hold_and_never_a_second() {
    let data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let hub = HubProc::start(data.path(), ports, "s1");
    let creds = hub.provision(&["seed"]);
    let addr = ports.http_addr();
    Feed::connect(ports.mqtt, addr, &creds, "seed")
        .send(vec![movement(Receive, "IDEM", "A-1", 100)]);
    let line = json!([{"sku": "IDEM", "quantity": 3}]);

    // By header: first 201, the retry 200 with the same id; default hold 15 min.
    let body = json!({"order_ref": "o-1", "lines": line});
    let (s1, first) = reserve(addr, &[("Idempotency-Key", "key-1")], &body);
    let (s2, again) = reserve(addr, &[("Idempotency-Key", "key-1")], &body);
    assert_eq!((s1, s2), (201, 200), "{first} {again}");
    assert_eq!(first["id"], again["id"]);
    let held_ms = first["expires_ms"].as_u64().unwrap() - first["created_ms"].as_u64().unwrap();
    assert_eq!(held_ms, 15 * 60 * 1000, "default hold");

    // By body field, under another order reference each time.
    let with_field =
        |order: &str| json!({"order_ref": order, "idempotency_key": "key-2", "lines": line});
    let (s3, a) = reserve(addr, &[], &with_field("o-2"));
    let (s4, b) = reserve(addr, &[], &with_field("o-2"));
    assert_eq!((s3, s4), (201, 200), "{a} {b}");
    assert_eq!(a["id"], b["id"]);

    // Header and field disagree: refused, nothing held.
    let (s5, e) = reserve(addr, &[("Idempotency-Key", "key-x")], &with_field("o-3"));
    assert_eq!(s5, 400, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("differ"),
        "{e}"
    );
    assert_eq!(reserved(addr, "IDEM"), 6);

    // 40 concurrent retries of one key: exactly one new hold.
    let barrier = Arc::new(Barrier::new(40));
    let answers: Vec<(u16, Value)> = (0..40)
        .map(|_| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                reserve(
                    addr,
                    &[("Idempotency-Key", "key-3")],
                    &json!({"order_ref": "o-4", "lines": [{"sku": "IDEM", "quantity": 3}]}),
                )
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    let created = answers.iter().filter(|(s, _)| *s == 201).count();
    let same = answers.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!((created, same), (1, 39), "{answers:?}");
    assert!(answers.iter().all(|(_, a)| a["id"] == answers[0].1["id"]));
    assert_eq!(reserved(addr, "IDEM"), 9, "one hold of 3 more, not 40");
}
