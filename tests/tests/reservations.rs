//! Promise 4 over real HTTP: reservations never oversell under any
//! concurrency, and holds expire on time, including across a restart.
//! (The reservation API's bad-input matrix is in reservation_bad_input.rs.)

use hub::clock::ManualClock;
use protocol::MovementKind::Receive;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use tests::feed::{call, movement, post, Feed};
use tests::{http, wait_until, HubPorts, HubProc};

fn stock_of(addr: std::net::SocketAddr, sku: &str) -> Value {
    let (status, body) = call(addr, "GET", &format!("/api/v1/stock/{sku}"), None);
    assert_eq!(status, 200, "{body}");
    body
}

fn reserve_body(order: &str, sku: &str, qty: i64) -> String {
    json!({"order_ref": order, "lines": [{"sku": sku, "quantity": qty}]}).to_string()
}

#[test]
fn five_hundred_concurrent_requests_for_the_last_ten_units() {
    let data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let hub = HubProc::start(data.path(), ports, "s1");
    let addr = ports.http_addr();
    let mut feed = Feed::connect(ports.mqtt, addr, &hub.provision(&["seed"]), "seed");
    feed.send(vec![movement(Receive, "HOT", "A-1", 25)]);
    let (status, _) = post(
        addr,
        "/api/v1/reservations",
        &reserve_body("early", "HOT", 15),
    );
    assert_eq!(status, 201);

    let watching = Arc::new(AtomicBool::new(true));
    let watcher = {
        let watching = watching.clone();
        std::thread::spawn(move || {
            let mut lowest = i64::MAX;
            while watching.load(Ordering::Relaxed) {
                let available = stock_of(addr, "HOT")["available"].as_i64().unwrap();
                lowest = lowest.min(available);
            }
            lowest
        })
    };
    let start = Arc::new(Barrier::new(500));
    let clients: Vec<_> = (0..500)
        .map(|i| {
            let start = start.clone();
            std::thread::spawn(move || {
                let body = reserve_body(&format!("order-{i}"), "HOT", 1);
                start.wait();
                post(addr, "/api/v1/reservations", &body)
            })
        })
        .collect();
    let answers: Vec<(u16, Value)> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    watching.store(false, Ordering::Relaxed);
    let lowest = watcher.join().unwrap();

    let held = answers.iter().filter(|(s, _)| *s == 201).count();
    let refused: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 409)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(held, 10, "exactly the last 10 units held");
    assert_eq!(refused.len(), 490, "every other request refused");
    for body in refused {
        assert_eq!(body["error"]["code"], "insufficient_stock", "{body}");
        assert_eq!(body["error"]["shortfall"][0]["short"], 1, "{body}");
    }
    assert!(lowest >= 0, "available seen at {lowest}");
    let stock = stock_of(addr, "HOT");
    assert_eq!(
        (stock["reserved"].as_i64(), stock["available"].as_i64()),
        (Some(25), Some(0))
    );
    let metrics = http::get(addr, "/metrics").unwrap().body;
    for line in [
        "wms_reservations_held_total 11",
        "wms_reservations_refused_total 490",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
}

async fn start_hub(dir: &std::path::Path, clock: &ManualClock) -> hub::RunningHub {
    let config = hub::HubConfig {
        site: "s1".into(),
        mqtt_listen: ([127, 0, 0, 1], tests::free_port()).into(),
        http_listen: ([127, 0, 0, 1], 0).into(),
        data_dir: dir.to_path_buf(),
        reconcile_at: "off".into(),
        // In-process hub: its broker runs in the hub binary's process.
        broker_program: Some(tests::bin_path("hub")),
        ..hub::HubConfig::default()
    };
    let mqtt = config.mqtt_listen.port();
    let creds = tests::identity::provision_once(dir, "s1", &["seed"]);
    let hub = hub::start_with_clock(config, Arc::new(clock.clone()))
        .await
        .unwrap();
    let addr = hub.http_addr;
    http::use_hub_token(addr, dir);
    tokio::task::spawn_blocking(move || {
        wait_until("hub healthy", Duration::from_secs(20), || {
            http::get(addr, "/healthz").ok().filter(|r| r.status == 200)
        })
        .unwrap();
        let mut feed = Feed::connect(mqtt, addr, &creds, "seed");
        if http::get(addr, "/api/v1/stock/EXP").unwrap().status == 404 {
            feed.send(vec![movement(Receive, "EXP", "A-1", 10)]);
        }
    })
    .await
    .unwrap();
    hub
}

/// Runs blocking HTTP calls off the async runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holds_expire_on_time_and_across_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(1_800_000_000_000);
    let hub = start_hub(data.path(), &clock).await;
    let addr = hub.http_addr;
    let ids: Vec<u64> = blocking(move || {
        [("short", 60, 3), ("long", 600, 2), ("picked", 60, 1)]
            .iter()
            .map(|(order, secs, qty)| {
                let body = json!({"order_ref": order, "hold_seconds": secs,
                    "lines": [{"sku": "EXP", "quantity": qty}]});
                let (status, r) = post(addr, "/api/v1/reservations", &body.to_string());
                assert_eq!(status, 201, "{r}");
                r["id"].as_u64().unwrap()
            })
            .collect()
    })
    .await;
    let confirm = format!("/api/v1/reservations/{}/confirm", ids[2]);
    let (status, body) = blocking(move || post(addr, &confirm, "")).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("confirmed")));

    clock.advance(60_000);
    let moved = Instant::now();
    let short = format!("/api/v1/reservations/{}", ids[0]);
    blocking(move || {
        // The reservation is read from the store, the reserved total from
        // the view the writer publishes just after its commit: wait on both.
        wait_until("short hold expired", Duration::from_secs(1), || {
            let (_, r) = call(addr, "GET", &short, None);
            let released = stock_of(addr, "EXP")["reserved"] == 3;
            (r["state"] == "expired" && released).then_some(())
        })
        .unwrap();
        assert_eq!(stock_of(addr, "EXP")["reserved"], 3, "long + confirmed");
    })
    .await;
    assert!(moved.elapsed() < Duration::from_secs(1));

    hub.cancel.cancel();
    hub.wait().await.unwrap();
    clock.advance(600_000);
    let hub = start_hub(data.path(), &clock).await;
    let addr = hub.http_addr;
    let (long, picked) = (ids[1], ids[2]);
    blocking(move || {
        let state = |id: u64| {
            call(addr, "GET", &format!("/api/v1/reservations/{id}"), None).1["state"].clone()
        };
        assert_eq!(
            state(long),
            "expired",
            "expired while the hub was down: released at start"
        );
        assert_eq!(
            state(picked),
            "confirmed",
            "a confirmed allocation survives the restart"
        );
        let stock = stock_of(addr, "EXP");
        assert_eq!(
            (stock["reserved"].as_i64(), stock["available"].as_i64()),
            (Some(1), Some(9))
        );
    })
    .await;
    hub.cancel.cancel();
    hub.wait().await.unwrap();
}

/// Runs a sweep now, as the sweeper does, and returns once it has run (the
/// writer takes commands in order, so a later answered command proves it).
async fn sweep_now(hub: &hub::RunningHub) {
    hub.commands
        .send(hub::writer::Command::Sweep)
        .await
        .unwrap();
    let (reply, answer) = tokio::sync::oneshot::channel();
    let sku = "EXP".to_string();
    let probe = hub::writer::Command::Availability { sku, reply };
    hub.commands.send(probe).await.unwrap();
    answer.await.unwrap().unwrap();
}

/// POSTs a reservation of `qty` EXP under `key`: (status, id, state).
async fn reserve_keyed(
    addr: std::net::SocketAddr,
    key: &str,
    qty: i64,
) -> (u16, Option<u64>, Value) {
    let body = json!({"order_ref": format!("order-{key}"), "idempotency_key": key,
        "lines": [{"sku": "EXP", "quantity": qty}]});
    let (status, r) = blocking(move || post(addr, "/api/v1/reservations", &body.to_string())).await;
    let state = r["state"].clone();
    (status, r["id"].as_u64(), state)
}

async fn release(addr: std::net::SocketAddr, id: u64) {
    let path = format!("/api/v1/reservations/{id}");
    let (status, r) = blocking(move || call(addr, "DELETE", &path, None)).await;
    assert_eq!(
        (status, r["state"].as_str()),
        (200, Some("released")),
        "{r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_are_honoured_for_a_day_after_the_end_then_pruned_for_good() {
    const HOUR: u64 = 3_600_000;
    let data = tempfile::tempdir().unwrap();
    let t0 = 1_800_000_000_000;
    let clock = ManualClock::new(t0);
    let hub = start_hub(data.path(), &clock).await;
    let addr = hub.http_addr;
    let mut ids = std::collections::HashMap::new();
    for (key, ends_at) in [("k1", t0), ("k3", t0), ("k2", t0 + 10 * HOUR)] {
        clock.set(ends_at);
        let (status, id, _) = reserve_keyed(addr, key, 1).await;
        assert_eq!(status, 201, "{key}");
        let id = id.unwrap();
        release(addr, id).await;
        ids.insert(key, id);
    }

    clock.set(t0 + 24 * HOUR - 1);
    sweep_now(&hub).await;
    let retry = reserve_keyed(addr, "k1", 1).await;
    assert_eq!(retry, (200, Some(ids["k1"]), json!("released")), "inside");
    let reuse = reserve_keyed(addr, "k1", 2).await;
    assert_eq!(reuse.0, 422, "the key still names the first reservation");

    clock.set(t0 + 24 * HOUR);
    sweep_now(&hub).await;
    let (status, k1_again, _) = reserve_keyed(addr, "k1", 2).await;
    assert_eq!(status, 201, "k1 forgotten 24 h after its reservation ended");
    assert!(k1_again.unwrap() > ids["k2"]);

    hub.cancel.cancel();
    hub.wait().await.unwrap();
    let hub = start_hub(data.path(), &clock).await;
    let addr = hub.http_addr;
    let (status, k3_again, _) = reserve_keyed(addr, "k3", 2).await;
    assert_eq!(
        status, 201,
        "k3 was due before the restart: still forgotten"
    );
    assert_ne!(k3_again, Some(ids["k3"]));
    let first = reserve_keyed(addr, "k1", 1).await;
    assert_eq!(
        first.0, 422,
        "k1 belongs to its new reservation, not the old"
    );
    let second = reserve_keyed(addr, "k1", 2).await;
    assert_eq!((second.0, second.1), (200, k1_again));
    let k2 = reserve_keyed(addr, "k2", 1).await;
    assert_eq!(k2, (200, Some(ids["k2"]), json!("released")), "k2: 14 h");
    hub.cancel.cancel();
    hub.wait().await.unwrap();
}

/// The writer itself releases holds that fell due while the hub was down,
/// as it is built and before it takes any command (so before the sweeper
/// could): built here over the stopped hub's store, never run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_releases_holds_that_expired_while_down_before_serving() {
    let data = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(1_800_000_000_000);
    let hub = start_hub(data.path(), &clock).await;
    let addr = hub.http_addr;
    let id = blocking(move || {
        let body = json!({"order_ref": "down", "hold_seconds": 60,
            "lines": [{"sku": "EXP", "quantity": 2}]});
        let (status, r) = post(addr, "/api/v1/reservations", &body.to_string());
        assert_eq!(status, 201, "{r}");
        r["id"].as_u64().unwrap()
    })
    .await;
    hub.cancel.cancel();
    hub.wait().await.unwrap();
    clock.advance(61_000);

    let store = hub::store::Store::open(data.path()).unwrap();
    let held = store.reservation(id).unwrap().unwrap();
    assert_eq!(held.state, hub::reservations::ReservationState::Held);
    let writer = hub::writer::Writer::new(
        "s1".into(),
        store.clone(),
        Arc::default(),
        Arc::default(),
        1000,
        Arc::new(clock.clone()),
        Arc::default(),
    )
    .unwrap();
    let after = store.reservation(id).unwrap().unwrap();
    assert_eq!(after.state, hub::reservations::ReservationState::Expired);
    drop(writer);
}
