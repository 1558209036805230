//! Promise 7 for the stock API: zero, negative and impossible quantities,
//! unknown SKUs, hold times out of range, malformed JSON, unknown fields,
//! bad ids and states each get a clear `{"error":{"code","message"}}` with
//! the right status, and change nothing.

use protocol::MovementKind::Receive;
use serde_json::json;
use tests::feed::{call, movement, post, Feed};
use tests::{HubPorts, HubProc};

const R: &str = "/api/v1/reservations";

fn line(sku: &str, quantity: &str) -> String {
    format!(r#"{{"order_ref": "o", "lines": [{{"sku": "{sku}", "quantity": {quantity}}}]}}"#)
}

fn held(hold: &str) -> String {
    format!(
        r#"{{"order_ref": "o", "hold_seconds": {hold}, "lines": [{{"sku": "SKU-1", "quantity": 1}}]}}"#
    )
}

fn order(order: &str, quantity: i64) -> String {
    json!({"order_ref": order, "lines": [{"sku": "SKU-1", "quantity": quantity}]}).to_string()
}

/// (method, path, body, status, code); `released` is a released reservation.
fn cases(released: u64) -> Vec<(&'static str, String, String, u16, &'static str)> {
    let confirm = format!("{R}/{released}/confirm");
    let none = String::new;
    vec![
        ("POST", R.into(), line("SKU-1", "0"), 400, "bad_request"),
        ("POST", R.into(), line("SKU-1", "-3"), 400, "bad_request"),
        (
            "POST",
            R.into(),
            line("SKU-1", "2000000"),
            400,
            "bad_request",
        ),
        ("POST", R.into(), line("SKU-1", "1e30"), 400, "invalid_body"),
        (
            "POST",
            R.into(),
            line("SKU-1", "\"two\""),
            400,
            "invalid_body",
        ),
        ("POST", R.into(), line("NOPE", "1"), 422, "unknown_sku"),
        ("POST", R.into(), line("bad sku", "1"), 400, "bad_request"),
        ("POST", R.into(), held("59"), 400, "bad_request"),
        ("POST", R.into(), held("1801"), 400, "bad_request"),
        ("POST", R.into(), held("-1"), 400, "invalid_body"),
        (
            "POST",
            R.into(),
            r#"{"order_ref": "o", "lines": []}"#.into(),
            400,
            "bad_request",
        ),
        (
            "POST",
            R.into(),
            r#"{"order_ref": "o", "lines": [], "x": 1}"#.into(),
            400,
            "invalid_body",
        ),
        (
            "POST",
            R.into(),
            r#"{"order_ref": "#.into(),
            400,
            "malformed_json",
        ),
        (
            "POST",
            R.into(),
            "not json at all".into(),
            400,
            "malformed_json",
        ),
        ("POST", R.into(), "{}".into(), 400, "invalid_body"),
        (
            "POST",
            R.into(),
            r#"{"order_ref": "o", "lines": [{"sku": "SKU-1", "qty": 5, "quantity": 1}]}"#.into(),
            400,
            "invalid_body",
        ),
        (
            "GET",
            format!("{R}/+{released}"),
            none(),
            400,
            "bad_request",
        ),
        (
            "GET",
            format!("{R}/000{released}"),
            none(),
            400,
            "bad_request",
        ),
        (
            "POST",
            R.into(),
            order("kept", 3),
            422,
            "idempotency_key_reused",
        ),
        ("POST", R.into(), order("big", 6), 409, "insufficient_stock"),
        ("GET", format!("{R}/abc"), none(), 400, "bad_request"),
        (
            "GET",
            format!("{R}/999"),
            none(),
            404,
            "unknown_reservation",
        ),
        (
            "DELETE",
            format!("{R}/999"),
            none(),
            404,
            "unknown_reservation",
        ),
        (
            "POST",
            format!("{R}/999/confirm"),
            none(),
            404,
            "unknown_reservation",
        ),
        ("POST", confirm, none(), 409, "reservation_state"),
        (
            "PUT",
            "/api/v1/safety-stock/SKU-1".into(),
            r#"{"threshold": -1}"#.into(),
            400,
            "bad_request",
        ),
        (
            "PUT",
            "/api/v1/safety-stock/SKU-1".into(),
            r#"{"threshold": 1, "stop": 1}"#.into(),
            400,
            "invalid_body",
        ),
        (
            "GET",
            "/api/v1/pick-suggestions?sku=SKU-1".into(),
            none(),
            400,
            "bad_request",
        ),
        (
            "GET",
            "/api/v1/pick-suggestions?sku=NOPE&quantity=1".into(),
            none(),
            422,
            "unknown_sku",
        ),
        (
            "GET",
            "/api/v1/alerts?kind=weird".into(),
            none(),
            400,
            "bad_request",
        ),
        (
            "GET",
            "/api/v1/discrepancies?state=maybe".into(),
            none(),
            400,
            "bad_request",
        ),
        (
            "GET",
            "/api/v1/reconciliations/x".into(),
            none(),
            400,
            "bad_request",
        ),
    ]
}

#[test]
fn reservation_bad_input_gets_clear_errors() {
    let data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let hub = HubProc::start(data.path(), ports, "s1");
    let addr = ports.http_addr();
    let mut feed = Feed::connect(ports.mqtt, addr, &hub.provision(&["seed"]), "seed");
    feed.send(vec![movement(Receive, "SKU-1", "A", 5)]);
    let (status, r) = post(addr, R, &order("kept", 2));
    assert_eq!(status, 201);
    let id = r["id"].as_u64().unwrap();
    assert_eq!(call(addr, "DELETE", &format!("{R}/{id}"), None).0, 200);
    for (method, path, body, status, code) in cases(id) {
        let body = Some(body.as_str()).filter(|b| !b.is_empty());
        let (got, r) = call(addr, method, &path, body);
        assert_eq!(got, status, "{method} {path} {body:?}: {r}");
        assert_eq!(r["error"]["code"], code, "{method} {path} {body:?}: {r}");
        let message = r["error"]["message"].as_str().unwrap_or("");
        assert!(!message.is_empty(), "{r}");
    }
    let (_, stock) = call(addr, "GET", "/api/v1/stock/SKU-1", None);
    let levels = (stock["on_hand"].as_i64(), stock["reserved"].as_i64());
    assert_eq!(levels, (Some(5), Some(0)), "nothing changed");
    let (status, r) = post(addr, R, &order("kept", 2));
    let answer = (status, r["id"].as_u64(), r["state"].as_str());
    assert_eq!(
        answer,
        (200, Some(id), Some("released")),
        "a retry returns the same reservation"
    );
}
