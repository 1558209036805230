//! Promise 5 and the pool's other rules over real processes: a pick the
//! pool cannot cover is applied as scanned, recorded as a discrepancy with
//! an alert and a count task, and the count closes it; safety stock stops
//! presales and raises an alert; lots are suggested first-expiring first,
//! and picks against a confirmed reservation consume it.

use protocol::MovementKind::{Count, Pick, Receive};
use protocol::{Movement, MovementKind};
use serde_json::{json, Value};
use tests::feed::{call, movement, post, Feed};
use tests::{HubPorts, HubProc};

fn get(addr: std::net::SocketAddr, path: &str) -> Value {
    let (status, body) = call(addr, "GET", path, None);
    assert_eq!(status, 200, "{path}: {body}");
    body
}

fn items(addr: std::net::SocketAddr, path: &str) -> Vec<Value> {
    tests::hubapi::items(addr, path).expect("a list")
}

fn with(kind: MovementKind, sku: &str, loc: &str, qty: i64, lot: &str, task: &str) -> Movement {
    let mut m = movement(kind, sku, loc, qty);
    m.lot = Some(lot.to_string()).filter(|l| !l.is_empty());
    m.task = Some(task.to_string()).filter(|t| !t.is_empty());
    m
}

#[test]
fn uncovered_pick_is_applied_recorded_and_closed_by_a_count() {
    let data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let hub = HubProc::start(data.path(), ports, "s1");
    let addr = ports.http_addr();
    let mut feed = Feed::connect(ports.mqtt, addr, &hub.provision(&["hh-1"]), "hh-1");
    // A pick of 5 where the pool holds 2: applied, recorded, counted.
    feed.send(vec![
        movement(Receive, "D", "A-1", 2),
        movement(Pick, "D", "A-1", 5),
    ]);
    assert_eq!(
        get(addr, "/api/v1/stock/D")["on_hand"],
        -3,
        "applied as scanned"
    );
    let open = items(addr, "/api/v1/discrepancies?state=open");
    assert_eq!(open.len(), 1);
    assert_eq!(
        (open[0]["expected"].as_i64(), open[0]["scanned"].as_i64()),
        (Some(2), Some(5))
    );
    let tasks = items(addr, "/api/v1/count-tasks?state=open");
    assert_eq!(
        (tasks.len(), tasks[0]["location"].as_str()),
        (1, Some("A-1"))
    );
    assert_eq!(items(addr, "/api/v1/alerts?kind=discrepancy").len(), 1);
    feed.send(vec![movement(Count, "D", "A-1", 1)]);
    assert!(items(addr, "/api/v1/discrepancies?state=open").is_empty());
    let closed = items(addr, "/api/v1/discrepancies?state=closed");
    assert_eq!(
        closed[0]["resolution"]["adjustment"], 4,
        "from -3 to the 1 counted"
    );
    assert!(items(addr, "/api/v1/count-tasks?state=open").is_empty());
}

#[test]
fn safety_stock_stops_presales_and_alerts() {
    let data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let hub = HubProc::start(data.path(), ports, "s1");
    let addr = ports.http_addr();
    let mut feed = Feed::connect(ports.mqtt, addr, &hub.provision(&["hh-1"]), "hh-1");
    // Safety stock: stop-at-safety refuses; crossing below alerts.
    feed.send(vec![movement(Receive, "S", "A-2", 10)]);
    let rule = json!({"threshold": 4, "stop_at_safety": true}).to_string();
    assert_eq!(
        call(addr, "PUT", "/api/v1/safety-stock/S", Some(&rule)).0,
        200
    );
    let order = |o: &str, q: i64| {
        json!({"order_ref": o, "lines": [{"sku": "S", "quantity": q}]}).to_string()
    };
    assert_eq!(post(addr, "/api/v1/reservations", &order("s1", 6)).0, 201);
    let (status, err) = post(addr, "/api/v1/reservations", &order("s2", 1));
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("below_safety_stock")),
        "{err}"
    );
    assert_eq!(err["error"]["shortfall"][0]["safety_threshold"], 4);
    feed.send(vec![movement(Pick, "S", "A-2", 1)]);
    let alerts = items(addr, "/api/v1/alerts?kind=below_safety");
    assert_eq!((alerts.len(), alerts[0]["sku"].as_str()), (1, Some("S")));
    assert_eq!(items(addr, "/api/v1/safety-stock").len(), 1);
}

#[test]
fn lots_are_suggested_fefo_and_picks_consume_the_allocation() {
    let data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let hub = HubProc::start(data.path(), ports, "s1");
    let addr = ports.http_addr();
    let mut feed = Feed::connect(ports.mqtt, addr, &hub.provision(&["hh-1"]), "hh-1");
    // Lots: FEFO suggestions, confirm allocates, picks consume.
    feed.send(vec![
        with(Receive, "F", "B-1", 5, "L1@2027-09-01", ""),
        with(Receive, "F", "B-2", 5, "L2@2027-02-01", ""),
    ]);
    let s = get(addr, "/api/v1/pick-suggestions?sku=F&quantity=7");
    let firsts: Vec<(&str, i64)> = s["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["location"].as_str().unwrap(),
                a["quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(firsts, [("B-2", 5), ("B-1", 2)]);
    let (_, r) = post(
        addr,
        "/api/v1/reservations",
        &json!({"order_ref": "f1", "lines": [{"sku": "F", "quantity": 3}]}).to_string(),
    );
    let id = r["id"].as_u64().unwrap();
    let (_, r) = post(addr, &format!("/api/v1/reservations/{id}/confirm"), "");
    assert_eq!(
        (r["task"].as_str(), r["allocations"][0]["lot"].as_str()),
        (Some(format!("res-{id}").as_str()), Some("L2@2027-02-01"))
    );
    let live = get(addr, "/api/v1/availability/F");
    assert_eq!(
        (live["reserved"].as_i64(), live["available"].as_i64()),
        (Some(3), Some(7))
    );
    let b2 = &live["locations"][1];
    assert_eq!(
        (b2["location"].as_str(), b2["allocated"].as_i64()),
        (Some("B-2"), Some(3))
    );
    let task = format!("res-{id}");
    feed.send(vec![with(Pick, "F", "B-1", 3, "L1@2027-09-01", &task)]);
    let r = get(addr, &format!("/api/v1/reservations/{id}"));
    assert_eq!(r["state"], "fulfilled", "{r}");
    let f = get(addr, "/api/v1/stock/F");
    assert_eq!(
        (f["on_hand"].as_i64(), f["reserved"].as_i64()),
        (Some(7), Some(0))
    );
    assert_eq!(
        items(addr, "/api/v1/alerts?kind=lot_deviation").len(),
        1,
        "another lot: noted, not refused"
    );
}

/// Safety rules from the hub's TOML config file, not the API: the stop
/// refuses a reservation that would cross the threshold, and a pick that
/// crosses it raises the alert.
#[test]
fn safety_stock_from_the_config_file_stops_presales_and_alerts() {
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("hub.toml");
    std::fs::write(
        &config,
        "[safety_stock.T]\nthreshold = 8\nstop_at_safety = true\n",
    )
    .unwrap();
    let ports = HubPorts::fresh();
    let config_arg = config.to_str().unwrap();
    let hub = HubProc::start_with(data.path(), ports, "s1", &["--config", config_arg]);
    let addr = ports.http_addr();
    let mut feed = Feed::connect(ports.mqtt, addr, &hub.provision(&["hh-1"]), "hh-1");
    feed.send(vec![movement(Receive, "T", "A-1", 10)]);
    assert_eq!(items(addr, "/api/v1/safety-stock").len(), 1);
    let reserve = |order: &str, qty: i64| {
        let body = json!({"order_ref": order, "lines": [{"sku": "T", "quantity": qty}]});
        post(addr, "/api/v1/reservations", &body.to_string())
    };
    let (status, body) = reserve("too-much", 3);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("below_safety_stock")),
        "{body}"
    );
    assert_eq!(reserve("fits", 2).0, 201);
    // The rule met an empty pool at start (one alert); the receipt cleared
    // it; the pick to 7 available crosses it again: one more alert.
    let before = items(addr, "/api/v1/alerts?kind=below_safety").len();
    feed.send(vec![movement(Pick, "T", "A-1", 1)]);
    let alerts = items(addr, "/api/v1/alerts?kind=below_safety");
    assert_eq!(alerts.len(), before + 1, "{alerts:?}");
    let newest = alerts.iter().max_by_key(|a| a["id"].as_u64()).unwrap();
    assert_eq!(newest["sku"], "T");
    assert!(
        newest["message"].as_str().unwrap().contains("available 7"),
        "{newest}"
    );
}
