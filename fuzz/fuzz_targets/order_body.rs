//! `POST /api/v1/orders` bodies: parsing, checking and cleaning never
//! panic; an order the API accepts has checked ids, and whatever the
//! cleaner left standing is a listed reason, never a crash.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<hub::intake::OrderBody>(data) else {
        return;
    };
    let regions = hub::orders::clean::Regions::empty();
    if let Ok(order) = hub::intake::prepare(body, &regions) {
        assert!(protocol::validate::check_id("platform", &order.platform).is_ok());
        assert!(order.customer.name.chars().all(|c| !c.is_control()));
    }
});
