//! Waybills from a carrier (issue 16), over real processes: the hub asks
//! a fake SF Express open platform on loopback (digest checked, one
//! waybill per order key) for each order's tracking number when a batch
//! names orders; an answer lost in transit is retried and gets the same
//! number, not a second waybill; a refusal is answered 502 naming the
//! order and the carrier's code, and makes no batch.

use hub::carriers::fake::{FakePlatform, Fault, Shape};
use tests::feed::post;
use tests::labels::{wait_batch, FakePrinter, LabelSite};
use tests::work::order_state;

const SECRET_ENV: &str = "WMS_TEST_SF_CHECKWORD";

#[test]
fn the_carrier_issues_each_order_one_waybill_and_its_refusals_are_answered() {
    let platform = FakePlatform::start(Shape::Sf, "checkword-1").expect("fake SF platform");
    // The hub reads the secret from its environment (inherited), never
    // from its config file.
    std::env::set_var(SECRET_ENV, "checkword-1");
    let carrier = format!(
        "carrier = {{ kind = \"sf\", url = \"{}\", account = \"P1\", secret_env = \"{SECRET_ENV}\", timeout_ms = 1000 }}\n",
        platform.url()
    );
    let data = tempfile::tempdir().unwrap();
    let mut site = LabelSite::start(data.path(), &[("ps1", "dock")], 60, &carrier);
    let addr = site.addr;
    let ids = site.packed_orders("CA", 4);
    let printer = FakePrinter::start(data.path(), "p1", None);
    let _station = site.station(data.path(), "ps1", printer.addr);

    // The first answer is lost after the waybill was issued: the retry
    // gets the same waybill back.
    platform.push(Fault::LoseAnswer, 1);
    let body = serde_json::json!({"group": "dock", "orders": &ids[..3]});
    let (status, made) = post(addr, "/api/v1/label-batches", &body.to_string());
    assert_eq!(status, 201, "{made}");
    assert_eq!(
        platform.issued(),
        3,
        "one waybill per order, the lost answer included"
    );
    assert!(platform.requests() >= 4, "the lost answer was asked again");
    let batch = made["id"].as_u64().expect("batch id");
    let done = wait_batch(addr, batch, "3 printed", |p| p["printed"] == 3);
    let tracking: Vec<&str> = done["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .filter_map(|j| j["tracking"].as_str())
        .collect();
    let mut unique = tracking.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 3, "{tracking:?}");
    for (zpl, number) in printer.printed().iter().zip(&tracking) {
        assert!(
            zpl.contains(&number[number.len() - 4..]),
            "label without its waybill {number}: {zpl}"
        );
    }
    for id in &ids[..3] {
        assert_eq!(order_state(addr, *id), "labelled");
    }

    // A refusal is not retried and is answered, naming order and code.
    platform.refuse_next("8888", "address not served");
    let body = serde_json::json!({"group": "dock", "orders": [ids[3]]});
    let (status, refused) = post(addr, "/api/v1/label-batches", &body.to_string());
    assert_eq!(status, 502, "{refused}");
    assert_eq!(refused["error"]["code"], "carrier_failed", "{refused}");
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&ids[3].to_string()) && message.contains("8888"),
        "{message}"
    );
    assert_eq!(order_state(addr, ids[3]), "packed", "no batch was made");
    // Asked again, the order gets its waybill.
    let (status, made) = post(addr, "/api/v1/label-batches", &body.to_string());
    assert_eq!(status, 201, "{made}");
    assert_eq!(platform.issued(), 4);
}
