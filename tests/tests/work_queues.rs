//! Work queues over real processes and the real broker (issue 15): an
//! order paid over HTTP becomes a pick list that reaches its handheld as a
//! sealed TaskList (opened here with the device's key, as the agent does);
//! a pick scan naming the line closes it and the order becomes picked,
//! with stock and reservations exact; a task ack naming an older version
//! (a device back from offline) gets the current queue again, from the
//! hub's store; a forged task ack is a dead letter; a hub restarted
//! behind a Mosquitto that stayed up sends each handheld its current
//! queue, even when the handheld's own task ack went to nobody.

use std::time::Duration;
use tests::feed::{call, movement, Feed};
use tests::work::{order_state, paid_order, queue_held as held, wait_order_state, Inbox, TaskHub};
use tests::{hubapi, wait_until, AgentProc};

const WAIT: Duration = Duration::from_secs(20);

#[test]
fn a_paid_order_reaches_its_handheld_sealed_and_a_pick_closes_it() {
    let data = tempfile::tempdir().unwrap();
    let hub = TaskHub::start(data.path(), &["h1"]);
    let (addr, ports) = (hub.addr(), hub.ports);
    let creds = hub.hub.provision(&["h1", "inbox"]);
    let mut h1 = Feed::connect(ports.mqtt, addr, &creds, "h1");
    h1.send(vec![movement(
        protocol::MovementKind::Receive,
        "TEA",
        "A-01-1",
        10,
    )]);
    let inbox = Inbox::connect(&creds, ports.mqtt);

    let id = paid_order(addr, "W-1", "TEA", 3);
    let list = inbox.wait_for(1);
    assert_eq!(list.tasks.len(), 1, "{list:?}");
    let (task, line) = (&list.tasks[0], &list.tasks[0].lines[0]);
    assert_eq!(
        (
            line.sku.as_str(),
            line.location.as_str(),
            line.quantity,
            line.order
        ),
        ("TEA", "A-01-1", 3, Some(id))
    );
    assert_eq!(order_state(addr, id), "picking");
    let (_, tasks) = call(addr, "GET", "/api/v1/tasks?device=h1&state=open", None);
    assert_eq!(tasks["items"].as_array().map(Vec::len), Some(1), "{tasks}");

    let mut pick = movement(protocol::MovementKind::Pick, "TEA", "A-01-1", 3);
    pick.task = Some(format!("{}:{}", task.task, line.line));
    h1.send(vec![pick]);
    wait_order_state(addr, id, "picked");
    let (_, stock) = call(addr, "GET", "/api/v1/stock/TEA", None);
    assert_eq!(stock["on_hand"], 7, "{stock}");
    assert_eq!(stock["reserved"], 0, "the allocation was consumed: {stock}");
    // Picked, not packed: the task stays on the device's list, done, for
    // the pack station; packed, it leaves.
    let picked = inbox.wait_for(list.version + 1);
    assert_eq!(picked.tasks.len(), 1, "{picked:?}");
    assert_eq!(picked.tasks[0].lines[0].done, 3);
    let mut pack = movement(protocol::MovementKind::Pack, "TEA", "PACK-1", 3);
    pack.task = Some(format!("{}:{}", task.task, line.line));
    h1.send(vec![pack]);
    wait_order_state(addr, id, "packed");
    let emptied = inbox.wait_for(picked.version + 1);
    assert!(emptied.tasks.is_empty(), "the queue is empty: {emptied:?}");

    // Back from offline with version 0: the current queue again.
    let before = inbox.received();
    inbox.task_ack(&creds, 0, true);
    wait_until("queue sent again", WAIT, || {
        (inbox.received() > before).then_some(())
    })
    .expect("an older task ack got nothing");
    let again = inbox.wait_for(emptied.version);
    assert_eq!(again.version, emptied.version);

    // An unsigned task ack is refused, as every device frame is.
    inbox.task_ack(&creds, 0, false);
    wait_until("forged task ack dead-lettered", WAIT, || {
        let letters = hubapi::dead_letters(addr).ok()?;
        letters
            .iter()
            .any(|(topic, reason)| topic.ends_with("/taskack") && reason.contains("auth tag"))
            .then_some(())
    })
    .expect("the unsigned task ack was not refused");

    // Killed and restarted: queues, versions and task ids carry on from
    // the store; the done task is still listed, and nothing is sent twice.
    let hub = hub.crash_and_restart();
    inbox.wait_subscribed(2);
    let (_, done) = call(addr, "GET", "/api/v1/tasks?device=h1&state=closed", None);
    assert_eq!(done["items"][0]["id"], task.task, "{done}");
    let second = paid_order(addr, "W-2", "TEA", 1);
    let next = inbox.wait_for(emptied.version + 1);
    assert_eq!(next.tasks.len(), 1, "{next:?}");
    assert!(next.tasks[0].task > task.task, "task ids are not reused");
    assert_eq!(next.tasks[0].lines[0].order, Some(second));
    drop(hub);
}

/// The agent receives 10 TEA at A-01-1, and the hub has it.
fn receive_tea(agent: &mut AgentProc, addr: std::net::SocketAddr) {
    let answer = agent.scan("receive TEA A-01-1 10").expect("answer");
    assert!(answer.starts_with("ok"), "{answer}");
    wait_until("stock received", WAIT, || {
        let (_, stock) = call(addr, "GET", "/api/v1/stock/TEA", None);
        (stock["on_hand"] == 10).then_some(())
    })
    .expect("the receipt did not reach the hub");
}

#[test]
fn a_real_agent_takes_its_list_picks_and_packs_the_order() {
    let data = tempfile::tempdir().unwrap();
    let hub = TaskHub::start(data.path(), &["h1"]);
    let (addr, ports) = (hub.addr(), hub.ports);
    let (creds, journal) = (hub.hub.provision(&["h1"]), data.path().join("h1"));
    let mut agent = AgentProc::start(&journal, &ports.mqtt_addr(), &creds, "h1", &[]);
    receive_tea(&mut agent, addr);

    let id = paid_order(addr, "R-1", "TEA", 3);
    let (_, tasks) = call(addr, "GET", "/api/v1/tasks?device=h1&state=open", None);
    let task = tasks["items"][0]["id"].as_u64().expect("a task for h1");
    let line = tasks["items"][0]["lines"][0]["line"]
        .as_u64()
        .expect("line");
    wait_until("the agent holds its list", WAIT, || {
        held(addr, "h1").filter(|&v| v >= 1)
    })
    .expect("the agent never acknowledged its list");

    let pick = agent
        .scan(&format!("pick TEA A-01-1 3 line={task}:{line}"))
        .expect("answer");
    assert!(pick.starts_with("ok"), "{pick}");
    wait_order_state(addr, id, "picked");
    let pack = agent
        .scan(&format!("pack TEA PACK-1 3 line={task}:{line}"))
        .expect("answer");
    assert!(pack.starts_with("ok"), "{pack}");
    wait_order_state(addr, id, "packed");
    let (_, stock) = call(addr, "GET", "/api/v1/stock/TEA", None);
    assert_eq!(
        (stock["on_hand"].as_i64(), stock["reserved"].as_i64()),
        (Some(7), Some(0))
    );

    // The agent took the emptied list too, and kept it in its journal.
    // Versions: 1 planned, 2 picked (the task stays, done, for packing),
    // 3 packed (it leaves).
    let version = wait_until("the agent holds the emptied list", WAIT, || {
        held(addr, "h1").filter(|&v| v >= 3)
    })
    .expect("the emptied list was not acknowledged");
    agent.kill9();
    let stored = agent::Journal::open(&journal).expect("journal");
    let queue = agent::TaskQueue::open(&stored).expect("queue");
    assert_eq!(queue.version(), version);
    assert!(queue.current().is_some_and(|l| l.tasks.is_empty()));
    drop(hub);
}

#[test]
fn a_packing_station_gets_the_picked_list_and_packs_the_order() {
    let data = tempfile::tempdir().unwrap();
    let more = "pack_stations = [\"pk1\"]\n";
    let hub = TaskHub::start_with(data.path(), &["h1"], more);
    let (addr, ports) = (hub.addr(), hub.ports);
    let creds = hub.hub.provision(&["h1", "pk1", "inbox"]);
    let mut h1 = Feed::connect(ports.mqtt, addr, &creds, "h1");
    let mut pk1 = Feed::connect(ports.mqtt, addr, &creds, "pk1");
    h1.send(vec![movement(
        protocol::MovementKind::Receive,
        "TEA",
        "A-01-1",
        5,
    )]);
    let station = Inbox::connect_for(&creds, ports.mqtt, "pk1");
    let id = paid_order(addr, "PK-1", "TEA", 2);
    let (_, tasks) = call(addr, "GET", "/api/v1/tasks?device=h1&state=open", None);
    let task = tasks["items"][0]["id"].as_u64().expect("a task for h1");
    let mut pick = movement(protocol::MovementKind::Pick, "TEA", "A-01-1", 2);
    pick.task = Some(format!("{task}:0"));
    h1.send(vec![pick]);
    wait_order_state(addr, id, "picked");
    // The station, which picked nothing, is sent the picked list.
    let list = station.wait_for(1);
    assert_eq!(
        list.tasks.iter().map(|t| t.task).collect::<Vec<_>>(),
        [task],
        "{list:?}"
    );
    assert_eq!(list.tasks[0].lines[0].done, 2);
    let mut pack = movement(protocol::MovementKind::Pack, "TEA", "PACK-1", 2);
    pack.task = Some(format!("{task}:0"));
    pk1.send(vec![pack]);
    wait_order_state(addr, id, "packed");
    let emptied = station.wait_for(list.version + 1);
    assert!(
        emptied.tasks.is_empty(),
        "packed: it left the station's list: {emptied:?}"
    );
}

#[test]
fn the_buyers_remarks_reach_the_handheld_sealed_with_the_list() {
    let data = tempfile::tempdir().unwrap();
    let hub = TaskHub::start(data.path(), &["h1"]);
    let (addr, ports) = (hub.addr(), hub.ports);
    let creds = hub.hub.provision(&["h1", "inbox"]);
    let mut h1 = Feed::connect(ports.mqtt, addr, &creds, "h1");
    h1.send(vec![movement(
        protocol::MovementKind::Receive,
        "TEA",
        "A-01-1",
        5,
    )]);
    let inbox = Inbox::connect(&creds, ports.mqtt);
    let body = serde_json::json!({
        "platform": "own", "platform_order_id": "RM-1", "service": "express", "paid": true,
        "customer": {"name": "张三", "phone": "13812345678",
            "address": {"country": "CN", "province": "浙江省", "city": "杭州市",
                        "district": "西湖区", "street": "文三路90号", "postal_code": "310012"}},
        "lines": [{"sku": "TEA", "quantity": 1}],
        "remarks": "fragile: gift wrap, please"
    });
    let (status, placed) = tests::feed::post(addr, "/api/v1/orders", &body.to_string());
    assert_eq!(status, 201, "{placed}");
    let list = inbox.wait_for(1);
    assert_eq!(
        list.tasks[0].remarks.as_deref(),
        Some("fragile: gift wrap, please"),
        "{list:?}"
    );
    // Opening them is on record, as every opening of customer data is.
    let id = placed["id"].clone();
    wait_until("the remarks' opening audited", WAIT, || {
        let (_, audit) = call(addr, "GET", "/api/v1/audit", None);
        let items = audit["items"].as_array()?.clone();
        items
            .iter()
            .any(|e| e["action"] == "read_remarks" && e["order"] == id)
            .then_some(())
    })
    .expect("no audit entry for the remarks");
}

/// The hub restarts behind an external broker that stays up: a handheld
/// that was away while its queue changed comes back while the hub is
/// down, and its task ack (what it holds) goes to nobody. Nothing
/// changes at the hub afterwards and the handheld stays connected, so
/// only the hub's own connection can bring it its current queue. On
/// Mosquitto whatever the run's broker: the embedded one dies with the
/// hub, and a device cannot publish while it is down.
#[test]
fn a_restarted_hub_sends_each_handheld_its_queue_though_its_task_ack_was_lost() {
    let data = tempfile::tempdir().unwrap();
    let hub = TaskHub::start_on_mosquitto(data.path(), &["h1"]);
    let (addr, ports) = (hub.addr(), hub.ports);
    let (creds, journal) = (hub.hub.provision(&["h1"]), data.path().join("h1"));
    let mut agent = AgentProc::start(&journal, &ports.mqtt_addr(), &creds, "h1", &[]);
    receive_tea(&mut agent, addr);
    paid_order(addr, "RS-1", "TEA", 3);
    let first = wait_until("the agent holds its first list", WAIT, || {
        held(addr, "h1").filter(|&v| v >= 1)
    })
    .expect("the agent never acknowledged its list");

    // Away (its list of the second order is published to nobody), then
    // back while the hub is down: what it announces is lost.
    agent.kill9();
    let second = paid_order(addr, "RS-2", "TEA", 2);
    wait_until("the second task planned", WAIT, || {
        let (_, tasks) = call(addr, "GET", "/api/v1/tasks?device=h1&state=open", None);
        (tasks["items"].as_array()?.len() == 2).then_some(())
    })
    .expect("the second order was not planned for h1");
    let down = hub.kill9();
    let broker = down.broker().expect("its own Mosquitto");
    let before = broker.publishes_from("h1", "wms/s1/dev/h1/taskack");
    let agent = AgentProc::start(&journal, &ports.mqtt_addr(), &creds, "h1", &[]);
    wait_until("the agent announces its queue to the broker", WAIT, || {
        (broker.publishes_from("h1", "wms/s1/dev/h1/taskack") > before).then_some(())
    })
    .expect("the agent did not publish its task ack");
    let hub = down.restart();

    let acked = wait_until("the agent holds the current queue", WAIT, || {
        held(hub.addr(), "h1").filter(|&v| v > first)
    });
    agent.kill9();
    let stored = agent::Journal::open(&journal).expect("journal");
    let queue = agent::TaskQueue::open(&stored).expect("queue");
    let version = acked.unwrap_or_else(|e| {
        let (hub_heard, holds) = (held(hub.addr(), "h1"), queue.version());
        panic!("{e}: the handheld holds version {holds} (the hub heard {hub_heard:?})")
    });
    assert_eq!(queue.version(), version);
    let list = queue.current().expect("a list");
    let mut lines = list.tasks.iter().flat_map(|t| t.lines.iter());
    assert!(lines.any(|l| l.order == Some(second)), "{list:?}");
    drop(hub);
}
