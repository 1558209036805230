//! `POST /api/v1/intake/shopee`: Shopee v2 orders (`get_order_detail`). Any bytes give an order
//! body or a clear error, never a panic; a mapped order names the platform,
//! has lines with usable SKUs and quantities, and goes through our own
//! checks and cleaning without a panic either.
#![no_main]
use hub::intake::platforms::{to_order, Platform};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let body = match to_order(Platform::Shopee, data) {
        Ok(body) => body,
        Err(e) => {
            assert!(!e.0.is_empty());
            return;
        }
    };
    assert_eq!(body.platform, "shopee");
    assert!(!body.lines.is_empty());
    for line in &body.lines {
        assert!(protocol::validate::check_id("sku", &line.sku).is_ok());
        assert!((1..=protocol::MAX_QUANTITY).contains(&line.quantity));
    }
    let regions = hub::orders::clean::Regions::empty();
    let _ = hub::intake::prepare(body, &regions);
});
