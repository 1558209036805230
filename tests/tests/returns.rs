//! Returns at the receiving desk (issue 15, item 6), over real processes:
//! a real agent scans returned units of an order (`return` scan
//! lines naming the order and the reason); the hub applies them at once,
//! no nightly batch: the resaleable unit is available again, the damaged
//! one is on hand in quarantine but never available, and the order records
//! both. A return that breaks the rules is refused at the agent and
//! nothing is stored.

use tests::feed::call;
use tests::work::{paid_order, TaskHub};
use tests::{wait_until, AgentProc};

#[test]
fn returned_units_are_available_or_quarantined_at_once_and_the_order_records_them() {
    let data = tempfile::tempdir().unwrap();
    let hub = TaskHub::start(data.path(), &[]);
    let (addr, ports) = (hub.addr(), hub.ports);
    let creds = hub.hub.provision(&["desk"]);
    let mut desk = AgentProc::start(
        &data.path().join("desk"),
        &ports.mqtt_addr(),
        &creds,
        "desk",
        &[],
    );
    assert!(desk
        .scan("receive MUG A-01 5")
        .expect("answer")
        .starts_with("ok"));
    let stock = || call(addr, "GET", "/api/v1/stock/MUG", None).1;
    wait_until(
        "receipt applied",
        std::time::Duration::from_secs(20),
        || (stock()["on_hand"] == 5).then_some(()),
    )
    .expect("receipt not applied");
    let order = paid_order(addr, "RET-1", "MUG", 2);
    let available_before =
        call(addr, "GET", "/api/v1/availability/MUG", None).1["available"].as_i64();

    let ok = desk
        .scan(&format!("return MUG A-02 1 task=return:{order}:resaleable"))
        .expect("answer");
    assert!(ok.starts_with("ok"), "{ok}");
    let ok = desk
        .scan(&format!("return MUG QUAR-1 1 task=return:{order}:damaged"))
        .expect("answer");
    assert!(ok.starts_with("ok"), "{ok}");
    // Damaged goods on a selling shelf, or a return naming no order: refused.
    let refused = desk
        .scan(&format!("return MUG A-02 1 task=return:{order}:damaged"))
        .expect("answer");
    assert!(
        refused.starts_with("error") && refused.contains("quarantine"),
        "{refused}"
    );
    let refused = desk.scan("return MUG A-02 1").expect("answer");
    assert!(refused.starts_with("error"), "{refused}");

    let availability = wait_until(
        "returns applied",
        std::time::Duration::from_secs(20),
        || {
            let a = call(addr, "GET", "/api/v1/availability/MUG", None).1;
            (a["on_hand"] == 7).then_some(a)
        },
    )
    .expect("returns not applied");
    assert_eq!(
        availability["available"].as_i64(),
        available_before.map(|a| a + 1),
        "{availability}"
    );
    let quarantine = availability["locations"]
        .as_array()
        .and_then(|l| l.iter().find(|x| x["location"] == "QUAR-1").cloned());
    let quarantine = quarantine.expect("QUAR-1 listed");
    assert_eq!(
        (
            quarantine["on_hand"].as_i64(),
            quarantine["available"].as_i64()
        ),
        (Some(1), Some(0)),
        "{availability}"
    );
    let (_, placed) = call(addr, "GET", &format!("/api/v1/orders/{order}"), None);
    let reasons: Vec<&str> = placed["returns"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["reason"].as_str())
        .collect();
    assert_eq!(reasons, ["resaleable", "damaged"], "{placed}");
    drop(desk);
}
