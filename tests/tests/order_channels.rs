//! Channel allocations and customer records over the network (issue 14,
//! items 4 and 7), against the real hub process: stock set aside for a
//! live-stream sale is used by that channel's orders only and returns when
//! the allocation ends; orders with one phone are one customer; tags,
//! merge and split are operator actions, each in the audit log.

use serde_json::{json, Value};
use std::net::SocketAddr;
use tests::feed::{call, post, stocked_hub};
use tests::http;

fn order(id: &str, channel: &str, qty: i64, phone: &str) -> String {
    json!({
        "platform": "own", "platform_order_id": id, "service": "standard", "paid": true,
        "channel": channel,
        "customer": {"name": "李四", "phone": phone,
                     "address": {"country": "CN", "province": "浙江省", "city": "杭州市",
                                 "district": "西湖区", "street": "文二路1号"}},
        "lines": [{"sku": "TEA", "quantity": qty}]
    })
    .to_string()
}

fn available(addr: SocketAddr) -> i64 {
    let (_, body) = call(addr, "GET", "/api/v1/stock/TEA", None);
    body["available"].as_i64().expect("available")
}

#[test]
fn stock_set_aside_for_a_channel_serves_only_that_channel() {
    let data = tempfile::tempdir().unwrap();
    let (_hub, addr) = stocked_hub(data.path(), "TEA", 250);
    let body =
        json!({"channel": "live", "sku": "TEA", "quantity": 200, "note": "12.12 live stream"});
    let (status, made) = post(addr, "/api/v1/allocations", &body.to_string());
    assert_eq!(status, 201, "{made}");
    assert_eq!(available(addr), 50);
    let (status, refused) = post(addr, "/api/v1/allocations", &body.to_string());
    assert_eq!(
        status, 409,
        "only available stock can be set aside: {refused}"
    );

    let (_, web) = post(
        addr,
        "/api/v1/orders",
        &order("W-1", "web", 60, "13800000001"),
    );
    assert_eq!(
        web["state"], "exception",
        "another channel cannot touch it: {web}"
    );
    let (_, live) = post(
        addr,
        "/api/v1/orders",
        &order("L-1", "live", 120, "13800000002"),
    );
    assert_eq!(live["state"], "routed", "{live}");
    assert_eq!(available(addr), 50, "the live order drew on its allocation");
    let (_, list) = call(addr, "GET", "/api/v1/allocations", None);
    assert_eq!(list["items"][0]["remaining"], 80, "{list}");

    let id = made["id"].as_u64().unwrap();
    let (status, ended) = call(addr, "DELETE", &format!("/api/v1/allocations/{id}"), None);
    assert_eq!(status, 200, "{ended}");
    assert_eq!(available(addr), 130, "what was left returned to the pool");
    let (_, list) = call(addr, "GET", "/api/v1/allocations", None);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0));
    for bad in [
        json!({"channel": "live", "sku": "TEA", "quantity": 0}),
        json!({"channel": "live", "sku": "TEA", "quantity": 1, "colour": "red"}),
        json!({"channel": "live stream", "sku": "TEA", "quantity": 1}),
    ] {
        let (status, answer) = post(addr, "/api/v1/allocations", &bad.to_string());
        assert_eq!(status, 400, "{bad}: {answer}");
    }
}

fn customer_of(addr: SocketAddr, order: &Value) -> Value {
    let key = order["customer"]["customer_key"].as_str().expect("key");
    let (status, c) = call(addr, "GET", &format!("/api/v1/customers/{key}"), None);
    assert_eq!(status, 200, "{c}");
    c
}

#[test]
fn one_phone_is_one_customer_and_records_are_merged_and_split_with_an_audit() {
    let data = tempfile::tempdir().unwrap();
    let (hub, addr) = stocked_hub(data.path(), "TEA", 100);
    let (_, a) = post(
        addr,
        "/api/v1/orders",
        &order("C-1", "web", 1, "+86 139 0000 0001"),
    );
    let (_, b) = post(
        addr,
        "/api/v1/orders",
        &order("C-2", "tmall", 1, "13900000001"),
    );
    assert_eq!(
        a["customer"]["customer_key"], b["customer"]["customer_key"],
        "the same normalised phone is one customer"
    );
    assert_eq!(customer_of(addr, &a)["orders"], 2);
    let (_, other) = post(
        addr,
        "/api/v1/orders",
        &order("C-3", "web", 1, "13900000002"),
    );
    assert_ne!(
        other["customer"]["customer_key"],
        a["customer"]["customer_key"]
    );
    let key_a = a["customer"]["customer_key"].as_str().unwrap().to_string();
    let key_o = other["customer"]["customer_key"]
        .as_str()
        .unwrap()
        .to_string();

    let viewer = format!("Bearer {}", hub.create_token("viewer", "wall"));
    let tags = json!({"tags": ["frequent_returns"]}).to_string();
    let r = http::request_as(
        addr,
        "PUT",
        &format!("/api/v1/customers/{key_a}/tags"),
        Some(&viewer),
        Some(&tags),
    )
    .unwrap();
    assert_eq!(r.status, 403, "only operators tag customers");
    let (status, tagged) = call(
        addr,
        "PUT",
        &format!("/api/v1/customers/{key_a}/tags"),
        Some(&tags),
    );
    assert_eq!(
        (status, &tagged["tags"][0]),
        (200, &json!("frequent_returns")),
        "{tagged}"
    );

    // Merge the other record into the first: its order moves, still readable.
    let merge = json!({"into": key_a, "reason": "same person, second phone"}).to_string();
    let (status, merged) = post(addr, &format!("/api/v1/customers/{key_o}/merge"), &merge);
    assert_eq!(status, 200, "{merged}");
    assert_eq!(merged["orders"], 3);
    let (status, _) = call(addr, "GET", &format!("/api/v1/customers/{key_o}"), None);
    assert_eq!(status, 404, "the merged record is gone");
    let moved = other["id"].as_u64().unwrap();
    let (status, clear) = call(
        addr,
        "GET",
        &format!("/api/v1/orders/{moved}/customer?reason=check%20merge"),
        None,
    );
    assert_eq!(
        (status, &clear["phone"]),
        (200, &json!("13900000002")),
        "{clear}"
    );

    // Split it off again: a record of its own, the order still readable.
    let split = json!({"reason": "not the same person after all"}).to_string();
    let (status, own) = post(
        addr,
        &format!("/api/v1/orders/{moved}/split-customer"),
        &split,
    );
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["orders"], 1);
    let (status, clear) = call(
        addr,
        "GET",
        &format!("/api/v1/orders/{moved}/customer?reason=check%20split"),
        None,
    );
    assert_eq!(
        (status, &clear["phone"]),
        (200, &json!("13900000002")),
        "{clear}"
    );
    let (status, _) = post(
        addr,
        &format!("/api/v1/orders/{moved}/split-customer"),
        "{\"reason\":\"\"}",
    );
    assert_eq!(status, 400, "a reason is required");

    let (_, audit) = call(addr, "GET", "/api/v1/audit?limit=20", None);
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for want in [
        "set_tags",
        "merge_customer",
        "split_customer",
        "read_customer",
    ] {
        assert!(actions.contains(&want), "{want} audited: {actions:?}");
    }
}
