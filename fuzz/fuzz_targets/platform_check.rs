//! The check every platform-adapter fuzz target runs: any bytes give an
//! order body or a clear error, never a panic; a mapped order names its
//! platform, has lines with usable SKUs and quantities, and goes through
//! our own checks and cleaning without a panic either.

use hub::intake::platforms::{to_order, Platform};

pub fn check(platform: Platform, data: &[u8]) {
    let body = match to_order(platform, data) {
        Ok(body) => body,
        Err(e) => {
            assert!(!e.0.is_empty());
            return;
        }
    };
    assert_eq!(body.platform, platform.as_str());
    assert!(!body.lines.is_empty());
    for line in &body.lines {
        assert!(protocol::validate::check_id("sku", &line.sku).is_ok());
        assert!((1..=protocol::MAX_QUANTITY).contains(&line.quantity));
    }
    let regions = hub::orders::clean::Regions::empty();
    let _ = hub::intake::prepare(body, &regions);
}
