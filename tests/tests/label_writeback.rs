//! Tracking numbers written back to the shop's platform (issue 16), over
//! real processes: orders from Taobao are labelled, and the hub tells a
//! fake Taobao open platform on loopback (signature checked) each order's
//! tracking number, retrying through the platform's errors until it
//! acknowledges; a refused write-back is parked, listed with its error, and
//! goes through once an operator retries it; a killed and restarted hub
//! still owes what it owed.

use hub::writeback::fake::{FakePlatform, Shape};
use tests::feed::{call, post, Feed};
use tests::labels::{shipments, wait_batch, FakePrinter, LabelSite, WAIT};
use tests::wait_until;
use tests::work::wait_order_state;

/// A paid Taobao order of one unit of TEA (numeric tid, as TOP has them).
fn taobao_order(addr: std::net::SocketAddr, tid: u64) -> u64 {
    let body = serde_json::json!({
        "platform": "taobao", "platform_order_id": tid.to_string(),
        "service": "express", "paid": true,
        "customer": {"name": "张三", "phone": "13812345678",
            "address": {"country": "CN", "province": "浙江省", "city": "杭州市",
                        "district": "西湖区", "street": "文三路90号", "postal_code": "310012"}},
        "lines": [{"sku": "TEA", "quantity": 1}]
    });
    let (status, placed) = post(addr, "/api/v1/orders", &body.to_string());
    assert_eq!(status, 201, "{placed}");
    placed["id"].as_u64().expect("order id")
}

/// Picks and packs `ids` (one open line each) with handheld `feed`.
fn pick_and_pack(addr: std::net::SocketAddr, feed: &mut Feed, ids: &[u64]) {
    let lines = wait_until("pick lines", WAIT, || {
        let (_, tasks) = call(addr, "GET", "/api/v1/tasks?state=open", None);
        let mut out = Vec::new();
        for task in tasks["items"].as_array().into_iter().flatten() {
            for line in task["lines"].as_array().into_iter().flatten() {
                if ids.contains(&line["order"].as_u64().unwrap_or(0)) {
                    out.push(format!("{}:{}", task["id"], line["line"]));
                }
            }
        }
        (out.len() == ids.len()).then_some(out)
    })
    .expect("orders not planned");
    for (kind, location) in [
        (protocol::MovementKind::Pick, "A-01-1"),
        (protocol::MovementKind::Pack, "PACK-1"),
    ] {
        let scans = lines
            .iter()
            .map(|l| {
                let mut m = tests::feed::movement(kind, "TEA", location, 1);
                m.task = Some(l.clone());
                m
            })
            .collect();
        feed.send(scans);
    }
    for &id in ids {
        wait_order_state(addr, id, "packed");
    }
}

#[test]
fn each_printed_label_reaches_the_shop_platform_once_through_errors_and_restarts() {
    let platform = FakePlatform::start(Shape::Taobao, "tb-secret").expect("fake Taobao");
    std::env::set_var("WMS_TEST_TB_SECRET", "tb-secret");
    std::env::set_var("WMS_TEST_TB_SESSION", "session-1");
    let platforms = format!(
            "platforms = [{{ platform = \"taobao\", url = \"{}\", app_key = \"12345678\", secret_env = \"WMS_TEST_TB_SECRET\", access_token_env = \"WMS_TEST_TB_SESSION\", timeout_ms = 1000 }}]\n",
            platform.url()
        );
    let data = tempfile::tempdir().unwrap();
    let mut site = LabelSite::start(data.path(), &[("ps1", "dock")], 60, &platforms);
    let addr = site.addr;
    site.feed.send(vec![tests::feed::movement(
        protocol::MovementKind::Receive,
        "TEA",
        "A-01-1",
        10,
    )]);
    let ids: Vec<u64> = (0..3).map(|i| taobao_order(addr, 4_000_001 + i)).collect();
    pick_and_pack(addr, &mut site.feed, &ids);
    let printer = FakePrinter::start(data.path(), "p1", None);
    let _station = site.station(data.path(), "ps1", printer.addr);

    // Two 500s first: retried until acknowledged. The third order is
    // refused by the platform: parked, with its error.
    platform.fail_next(2);
    let shipments = shipments(&ids, "sf", |n, _| format!("SF77{:08}", n - 1));
    let body = serde_json::json!({"group": "dock", "shipments": &shipments[..2]});
    let (status, made) = post(addr, "/api/v1/label-batches", &body.to_string());
    assert_eq!(status, 201, "{made}");
    wait_batch(addr, made["id"].as_u64().expect("id"), "2 printed", |p| {
        p["printed"] == 2
    });
    let confirmed = wait_until("two write-backs acknowledged", WAIT, || {
        let c = platform.confirmed();
        (c.len() == 2).then_some(c)
    })
    .unwrap_or_else(|e| panic!("{e}: {:?}", platform.confirmed()));
    assert!(
        confirmed.contains(&("4000001".to_string(), "SF7700000000".to_string())),
        "{confirmed:?}"
    );
    assert!(
        confirmed.contains(&("4000002".to_string(), "SF7700000001".to_string())),
        "{confirmed:?}"
    );

    platform.refuse_next("isv.invalid-parameter", "bad company code");
    let body = serde_json::json!({"group": "dock", "shipments": &shipments[2..]});
    let (status, made) = post(addr, "/api/v1/label-batches", &body.to_string());
    assert_eq!(status, 201, "{made}");
    wait_batch(addr, made["id"].as_u64().expect("id"), "printed", |p| {
        p["printed"] == 1
    });
    let parked = wait_until("the refusal parked", WAIT, || {
        let (_, owed) = call(addr, "GET", "/api/v1/writebacks", None);
        let items = owed["items"].as_array().cloned().unwrap_or_default();
        items
            .into_iter()
            .find(|w| w["order"] == ids[2] && w["parked"] == true)
    })
    .expect("the refused write-back was not parked");
    assert!(
        parked["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("invalid-parameter"),
        "{parked}"
    );

    // Killed and restarted, the hub still owes it; an operator's retry
    // sends it, and it is owed no more.
    let hub = site.hub.crash_and_restart();
    let addr = hub.addr();
    wait_until("still owed after the restart", WAIT, || {
        let (_, owed) = call(addr, "GET", "/api/v1/writebacks", None);
        owed["items"]
            .as_array()?
            .iter()
            .any(|w| w["order"] == ids[2])
            .then_some(())
    })
    .expect("the restart forgot what was owed");
    let (status, body) = post(addr, &format!("/api/v1/writebacks/{}/retry", ids[2]), "");
    assert_eq!(status, 202, "{body}");
    wait_until("the third acknowledged", WAIT, || {
        (platform.confirmed().len() == 3).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}: {:?}", platform.confirmed()));
    wait_until("nothing owed", WAIT, || {
        let (_, owed) = call(addr, "GET", "/api/v1/writebacks", None);
        owed["items"].as_array()?.is_empty().then_some(())
    })
    .expect("an acknowledged write-back is still listed");
    assert_eq!(platform.confirmed().len(), 3, "nothing was told twice");
}
