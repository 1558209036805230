//! Orders over the network (issue 14), against the real hub process:
//! taken in once however often they are resent, held until paid, routed,
//! listed with the right states; cleaning and the exception queue; and
//! customer data sealed at rest: clear values only for an operator with a
//! reason, every such read audited, and nothing of a customer's phone,
//! name or street anywhere in the data directory or the hub's log.

use protocol::MovementKind::Receive;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::Duration;
use tests::feed::{call, movement, post, stocked_hub, Feed};
use tests::{http, wait_until, HubPorts, HubProc};

fn order(id: &str, paid: bool, qty: i64, phone: &str) -> Value {
    json!({
        "platform": "own",
        "platform_order_id": id,
        "service": "standard",
        "paid": paid,
        "customer": {
            "name": "张三",
            "phone": phone,
            "address": {"country": "CN", "province": "浙江省", "city": "杭州市",
                        "district": "西湖区", "street": "文三路90号", "postal_code": "310012"}
        },
        "lines": [{"sku": "TEA", "quantity": qty}],
        "tags": []
    })
}

fn available(addr: std::net::SocketAddr, sku: &str) -> i64 {
    let (status, body) = call(addr, "GET", &format!("/api/v1/stock/{sku}"), None);
    assert_eq!(status, 200, "{body}");
    body["available"].as_i64().expect("available")
}

#[test]
fn orders_are_taken_in_once_held_paid_routed_and_listed() {
    let data = tempfile::tempdir().unwrap();
    let (_hub, addr) = stocked_hub(data.path(), "TEA", 100);
    let (status, first) = post(
        addr,
        "/api/v1/orders",
        &order("A-1001", false, 2, "+86 138-1234-5678").to_string(),
    );
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["state"], "held", "{first}");
    assert_eq!(first["customer"]["phone_masked"], "138****5678");
    assert_eq!(first["customer"]["name_masked"], "张*");
    assert!(
        first["customer"].get("sealed").is_none(),
        "sealed bytes are not served"
    );
    assert!(
        !first.to_string().contains("13812345678"),
        "no clear phone in answers"
    );
    let id = first["id"].as_u64().expect("id");
    let (status, again) = post(
        addr,
        "/api/v1/orders",
        &order("A-1001", false, 2, "13812345678").to_string(),
    );
    assert_eq!(
        (status, again["id"].as_u64()),
        (200, Some(id)),
        "a resend is the same order"
    );

    // Sixteen clients resend one order at once: one 201, the rest 200.
    let start = Arc::new(Barrier::new(16));
    let answers: Vec<(u16, Value)> = (0..16)
        .map(|_| {
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                post(
                    addr,
                    "/api/v1/orders",
                    &order("A-2000", false, 5, "13812345678").to_string(),
                )
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    assert_eq!(
        answers.iter().filter(|(s, _)| *s == 201).count(),
        1,
        "{answers:?}"
    );
    assert_eq!(
        answers.iter().filter(|(s, _)| *s == 200).count(),
        15,
        "{answers:?}"
    );
    let ids: std::collections::BTreeSet<_> =
        answers.iter().map(|(_, b)| b["id"].as_u64()).collect();
    assert_eq!(ids.len(), 1, "every answer names one order");
    assert_eq!(available(addr, "TEA"), 100 - 2 - 5, "held once each");

    let (status, paid) = post(addr, &format!("/api/v1/orders/{id}/paid"), "");
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["state"], "routed");
    assert_eq!(paid["site"], "s1");
    let (_, shown) = call(addr, "GET", &format!("/api/v1/orders/{id}"), None);
    let states: Vec<&str> = shown["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|s| s["state"].as_str())
        .collect();
    assert_eq!(states, ["received", "validated", "held", "paid", "routed"]);
    let spent = shown["time_in_states_ms"]
        .as_object()
        .expect("time per state");
    assert!(
        spent.contains_key("held") && spent.contains_key("routed"),
        "{spent:?}"
    );
    let (_, routed) = call(addr, "GET", "/api/v1/orders?state=routed", None);
    let routed_ids: Vec<u64> = routed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["id"].as_u64())
        .collect();
    assert_eq!(routed_ids, [id]);
    let (_, held) = call(addr, "GET", "/api/v1/orders?state=held", None);
    assert_eq!(held["items"].as_array().map(Vec::len), Some(1));
    let (_, cancelled) = post(addr, &format!("/api/v1/orders/{}/cancel", id + 1), "");
    assert_eq!(cancelled["state"], "cancelled", "{cancelled}");
    assert_eq!(available(addr, "TEA"), 98, "cancelling returned its stock");

    // A failed payment releases its hold at once and waits as an exception.
    let (status, placed) = post(
        addr,
        "/api/v1/orders",
        &order("A-2001", false, 8, "13812345679").to_string(),
    );
    assert_eq!(status, 201, "{placed}");
    assert_eq!(available(addr, "TEA"), 90);
    let failed_path = format!("/api/v1/orders/{}/payment-failed", placed["id"]);
    let (status, refused) = post(addr, &failed_path, r#"{"reason": ""}"#);
    assert_eq!(status, 400, "an empty reason is refused: {refused}");
    let (status, failed) = post(addr, &failed_path, r#"{"reason": "card declined"}"#);
    assert_eq!(status, 200, "{failed}");
    assert_eq!(failed["state"], "exception");
    assert_eq!(failed["exceptions"][0]["code"], "payment_failed");
    assert_eq!(
        available(addr, "TEA"),
        98,
        "the failed payment's hold is gone"
    );
    let (status, _) = post(
        addr,
        &format!("/api/v1/orders/{id}/payment-failed"),
        r#"{"reason": "late"}"#,
    );
    assert_eq!(status, 409, "a paid order's payment cannot fail");
}

/// Orders the writer holds in `state`, by its census in `/metrics`.
fn held(addr: std::net::SocketAddr, state: &str) -> u64 {
    let name = format!("wms_orders{{state=\"{state}\"}}");
    tests::hubapi::metric(addr, &name).expect("metrics")
}

/// Waits until the writer holds exactly one order, held (none cancelled).
fn holds_the_open_order_only(addr: std::net::SocketAddr) {
    wait_until(
        "only the open order in memory",
        Duration::from_secs(10),
        || (held(addr, "held") == 1 && held(addr, "cancelled") == 0).then_some(()),
    )
    .unwrap();
}

#[test]
fn final_orders_leave_memory_and_a_resend_after_a_restart_is_the_same_order() {
    let data = tempfile::tempdir().unwrap();
    let (hub, addr) = stocked_hub(data.path(), "TEA", 100);
    let body = |n: u32| order(&format!("F-{n}"), false, 1, "13812345678").to_string();
    let ids: Vec<u64> = (1..=3)
        .map(|n| {
            let (status, placed) = post(addr, "/api/v1/orders", &body(n));
            assert_eq!(status, 201, "{placed}");
            placed["id"].as_u64().expect("id")
        })
        .collect();
    for id in &ids[..2] {
        let (status, cancelled) = post(addr, &format!("/api/v1/orders/{id}/cancel"), "");
        assert_eq!(status, 200, "{cancelled}");
    }
    holds_the_open_order_only(addr);
    assert!(hub.terminate(), "a clean stop");

    let hub = HubProc::start(data.path(), HubPorts::fresh(), "s1");
    let addr = hub.ports.http_addr();
    let (status, again) = post(addr, "/api/v1/orders", &body(1));
    assert_eq!(
        (status, again["id"].as_u64()),
        (200, Some(ids[0])),
        "{again}"
    );
    assert_eq!(again["state"], "cancelled", "{again}");
    let (status, late) = post(addr, &format!("/api/v1/orders/{}/cancel", ids[1]), "");
    assert_eq!(status, 409, "read back to refuse it for its state: {late}");
    let (_, all) = call(addr, "GET", "/api/v1/orders", None);
    assert_eq!(all["items"].as_array().map(Vec::len), Some(3), "{all}");
    assert_eq!(
        available(addr, "TEA"),
        99,
        "only the open order holds stock"
    );
    holds_the_open_order_only(addr);
}

#[test]
fn bad_orders_are_refused_and_doubtful_ones_wait_for_an_operator() {
    let data = tempfile::tempdir().unwrap();
    let (_hub, addr) = stocked_hub(data.path(), "TEA", 10);
    let mut unknown = order("B-1", true, 1, "13812345678");
    unknown["colour"] = json!("red");
    let mut no_lines = order("B-2", true, 1, "13812345678");
    no_lines["lines"] = json!([]);
    let zero = order("B-3", true, 0, "13812345678");
    let mut bad_service = order("B-4", true, 1, "13812345678");
    bad_service["service"] = json!("overnight");
    for (body, what) in [
        (unknown.to_string(), "colour"),
        (no_lines.to_string(), "lines"),
        (zero.to_string(), "quantity"),
        (bad_service.to_string(), "overnight"),
        ("{\"platform\":".to_string(), "JSON"),
    ] {
        let (status, answer) = post(addr, "/api/v1/orders", &body);
        assert!(status == 400 || status == 422, "{what}: {status} {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{what}: a clear message: {answer}");
    }
    let (_, list) = call(addr, "GET", "/api/v1/orders?state=bogus", None);
    assert_eq!(list["error"]["code"], "bad_request", "{list}");

    // Invisible characters and pasted markup are cleaned; a phone that is
    // not one sends the order to the exception queue, holding nothing.
    let mut pasted = order("C-1", true, 1, "1381234567");
    pasted["customer"]["name"] = json!("\u{200b}张\u{200d}三\u{202e}");
    let (status, doubtful) = post(addr, "/api/v1/orders", &pasted.to_string());
    assert_eq!(status, 201, "{doubtful}");
    assert_eq!(doubtful["state"], "exception", "{doubtful}");
    assert_eq!(
        doubtful["customer"]["name_masked"], "张*",
        "cleaned before masking"
    );
    assert!(
        !doubtful["fixes"].as_array().unwrap().is_empty(),
        "the cleaning is recorded"
    );
    let codes: Vec<&str> = doubtful["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["field"].as_str())
        .collect();
    assert!(codes.contains(&"phone"), "{doubtful}");
    assert_eq!(available(addr, "TEA"), 10, "an exception holds nothing");
    let id = doubtful["id"].as_u64().unwrap();
    let (_, queue) = call(addr, "GET", "/api/v1/orders?state=exception", None);
    assert_eq!(queue["items"][0]["id"].as_u64(), Some(id));

    // The operator corrects the phone and resubmits: it goes through.
    let fix = json!({"customer": order("C-1", true, 1, "13812345678")["customer"]});
    let (status, fixed) = post(
        addr,
        &format!("/api/v1/orders/{id}/resubmit"),
        &fix.to_string(),
    );
    assert_eq!(status, 200, "{fixed}");
    assert_eq!(fixed["state"], "routed", "{fixed}");
    assert_eq!(available(addr, "TEA"), 9);
}

/// Every file under `dir` (recursively) and `extra`, searched for each
/// needle's bytes; returns (files, bytes, hits).
fn grep(dir: &Path, extra: &[&Path], needles: &[&str]) -> (usize, u64, Vec<String>) {
    let mut files: Vec<std::path::PathBuf> = extra.iter().map(|p| p.to_path_buf()).collect();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    let (mut bytes, mut hits) = (0u64, Vec::new());
    for file in &files {
        let content = std::fs::read(file).expect("read file");
        bytes += content.len() as u64;
        for needle in needles {
            if content
                .windows(needle.len())
                .any(|w| w == needle.as_bytes())
            {
                hits.push(format!("{} holds {needle:?}", file.display()));
            }
        }
    }
    (files.len(), bytes, hits)
}

#[test]
fn customer_data_is_sealed_at_rest_audited_and_never_logged() {
    let data = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let log_path = logs.path().join("hub.log");
    let ports = HubPorts::fresh();
    let hub = HubProc::start_logging(data.path(), ports, "s1", &log_path, "debug");
    let addr = ports.http_addr();
    let mut feed = Feed::connect(ports.mqtt, addr, &hub.provision(&["seed"]), "seed");
    feed.send(vec![movement(Receive, "TEA", "A-1", 10)]);
    let (name, phone, street) = ("欧阳测试", "13987654321", "测试路七十七号");
    let mut body = order("D-1", false, 1, phone);
    body["customer"]["name"] = json!(name);
    body["customer"]["address"]["street"] = json!(street);
    body["remarks"] = json!("请放门口");
    let (status, placed) = post(addr, "/api/v1/orders", &body.to_string());
    assert_eq!(status, 201, "{placed}");
    let id = placed["id"].as_u64().unwrap();
    let path = format!("/api/v1/orders/{id}/customer");

    let viewer = format!("Bearer {}", hub.create_token("viewer", "wall-screen"));
    let r = http::request_as(
        addr,
        "GET",
        &format!("{path}?reason=x"),
        Some(&viewer),
        None,
    )
    .unwrap();
    assert_eq!(r.status, 403, "a viewer never reads customers in clear");
    let (status, _) = call(addr, "GET", &path, None);
    assert_eq!(status, 400, "a reason is required");
    let (status, clear) = call(
        addr,
        "GET",
        &format!("{path}?reason=customer%20called"),
        None,
    );
    assert_eq!(status, 200, "{clear}");
    assert_eq!(clear["phone"], phone);
    assert_eq!(clear["name"], name);
    assert_eq!(clear["street"], street);
    assert_eq!(clear["remarks"], "请放门口");
    let (_, audit) = call(addr, "GET", "/api/v1/audit", None);
    let entry = &audit["items"][0];
    assert_eq!(entry["action"], "read_customer", "{audit}");
    assert_eq!(entry["reason"], "customer called");
    assert_eq!(entry["order"].as_u64(), Some(id));
    assert!(
        entry["who"].as_str().is_some_and(|w| !w.is_empty()),
        "{entry}"
    );
    assert!(hub.terminate(), "the hub stops cleanly");

    let (files, bytes, hits) = grep(
        data.path(),
        &[&log_path],
        &[phone, name, street, "请放门口"],
    );
    println!(
        "grep: {files} files, {bytes} bytes (data directory and the hub's debug log): {} hits",
        hits.len()
    );
    assert!(files > 3 && bytes > 0, "searched the store and the log");
    assert!(hits.is_empty(), "personal data in clear: {hits:?}");
    // The search can find things: what is not personal (the SKU, the
    // platform's order id) is stored in clear and found.
    let (_, _, control) = grep(data.path(), &[], &["TEA", "D-1"]);
    assert!(
        control.len() >= 2,
        "the grep finds clear values: {control:?}"
    );
}
