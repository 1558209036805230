//! The body of every fuzz target, as plain functions of the input bytes.
//!
//! Each target in `fuzz_targets/` is one line that hands libFuzzer's input
//! to its function here, and the main workspace's `cargo test` replays
//! every file of `corpus/<target>/` through the same function
//! (`tests/tests/fuzz_corpus.rs` includes this file by path), so the
//! checks keep compiling and the corpus keeps passing on machines without
//! libFuzzer. A function panics (an `assert!`) where the parser broke its
//! promise; returning is a pass.

use hub::devices::{BookEntry, DeviceBook};
use hub::intake::platforms::{to_order, Platform};
use protocol::DeviceKey;
use std::sync::OnceLock;

/// A target's check: returns on any input its parser handled as promised.
pub type Check = fn(&[u8]);

/// Every target: its name (as in `Cargo.toml` and `corpus/`) and its check.
pub const TARGETS: &[(&str, Check)] = &[
    ("agent_config", agent_config),
    ("barcode", barcode),
    ("credentials_file", credentials_file),
    ("erp_csv", erp_csv),
    ("frame_decode", frame_decode),
    ("hub_config", hub_config),
    ("hub_intake", hub_intake),
    ("jd_order", jd_order),
    ("order_body", order_body),
    ("order_csv", order_csv),
    ("reservation_body", reservation_body),
    ("scan_line", scan_line),
    ("shopee_order", shopee_order),
    ("taobao_order", taobao_order),
    ("topic_parse", topic_parse),
];

/// The text targets see only UTF-8 inputs, as libFuzzer's `&str` targets do.
fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// The agent's TOML config: any text gives a config or a clear error.
pub fn agent_config(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let _ = agent::AgentConfig::from_toml(text, "fuzz.toml", agent::ConfigOverrides::default());
}

/// Barcode reads from the scanner (AIM id, GS1 element strings, EAN/UPC,
/// our LOC:/MODE: labels): never panics; a parsed GS1 read has a field.
pub fn barcode(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let _ = protocol::parse_read(text);
    if let Ok(gs1) = protocol::barcode::parse_element_string(text) {
        assert!(
            gs1.gtin.is_some()
                || gs1.sscc.is_some()
                || gs1.lot.is_some()
                || gs1.count.is_some()
                || gs1.expiry.is_some()
                || gs1.serial.is_some()
        );
    }
}

/// Device credentials files (`hub device add --out`), read by agents and
/// the fleet simulator: never panics; keys that parse round-trip.
pub fn credentials_file(data: &[u8]) {
    let Ok(file) = serde_json::from_slice::<protocol::CredentialsFile>(data) else {
        return;
    };
    for d in &file.devices {
        if let Ok(key) = DeviceKey::from_hex(&d.key) {
            assert_eq!(key.to_hex(), d.key.to_ascii_lowercase());
        }
    }
}

/// ERP stock files (`sku,location,qty`): never panics; every error names a
/// line of the file, and the reported errors stay within their cap.
pub fn erp_csv(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let file = hub::reconcile::erp::parse("fuzz", text);
    let lines = text.split('\n').count();
    assert!(file.errors.len() <= hub::reconcile::erp::MAX_REPORTED_ERRORS);
    assert!(file.errors.len() <= file.error_lines);
    for e in &file.errors {
        assert!(e.line >= 1 && e.line <= lines);
    }
}

/// The frame decoder: any bytes give a message or a typed error, and a
/// decoded message re-encodes to a frame that decodes to the same message.
pub fn frame_decode(data: &[u8]) {
    if let Ok(message) = protocol::decode(data) {
        let again = protocol::decode(&protocol::encode(&message));
        assert_eq!(again.as_ref(), Ok(&message));
        if let protocol::Message::Batch(batch) = &message {
            let _ = batch.validate();
            let _ = batch.last_seq();
        }
    }
}

/// The hub's TOML config: any text gives a config or a clear error.
pub fn hub_config(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let _ = hub::HubConfig::from_toml(text, std::path::Path::new("fuzz.toml"));
}

/// Device d1 at site s1, key 01 01 ... 01 (the seed corpus signs with it).
fn book() -> &'static DeviceBook {
    static BOOK: OnceLock<DeviceBook> = OnceLock::new();
    BOOK.get_or_init(|| {
        let mut book = DeviceBook::default();
        book.insert(
            "d1",
            BookEntry::new("s1", DeviceKey::from_bytes([1; 32]), "pw"),
        );
        book
    })
}

/// The hub's intake of raw MQTT publishes: the first byte splits the input
/// into a topic and a payload. Never panics; an accepted batch is valid and
/// carries a tag that verifies under its registered device's key.
pub fn hub_intake(data: &[u8]) {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let split = usize::from(split).min(rest.len());
    let topic = String::from_utf8_lossy(&rest[..split]);
    let payload = &rest[split..];
    if let hub::writer::intake::Intake::Batch(batch) =
        hub::writer::intake::classify("s1", &topic, payload, book())
    {
        assert!(batch.validate().is_ok());
        let key = DeviceKey::from_bytes([1; 32]);
        assert!(protocol::verify_frame(&key, payload).is_ok());
    }
}

/// `POST /api/v1/orders` bodies: parsing, checking and cleaning never
/// panic; an order the API accepts has checked ids and a clean name.
pub fn order_body(data: &[u8]) {
    let Ok(body) = serde_json::from_slice::<hub::intake::OrderBody>(data) else {
        return;
    };
    let regions = hub::orders::clean::Regions::empty();
    if let Ok(order) = hub::intake::prepare(body, &regions) {
        assert!(protocol::validate::check_id("platform", &order.platform).is_ok());
        assert!(order.customer.name.chars().all(|c| !c.is_control()));
    }
}

/// `hub import orders FILE.csv`: any bytes give orders or line-numbered
/// rejections (or one file-level error), never a panic; every order keeps
/// the line number of its first row.
pub fn order_csv(data: &[u8]) {
    let Ok(orders) = hub::intake::csv::parse(data) else {
        return;
    };
    for order in orders {
        match order {
            hub::intake::csv::CsvOrder::Order { line, body } => {
                assert!(line >= 2);
                assert!(!body.lines.is_empty());
            }
            hub::intake::csv::CsvOrder::Rejected { line, .. } => assert!(line >= 2),
        }
    }
}

/// `POST /api/v1/reservations` bodies: never panics; whatever the API
/// accepts is a request that passes its own validation.
pub fn reservation_body(data: &[u8]) {
    let Ok(body) = serde_json::from_slice::<hub::api::reservations::ReserveBody>(data) else {
        return;
    };
    if let Ok(request) = hub::api::reservations::into_request(body, None) {
        assert!(request.validate().is_ok());
    }
}

/// Scan lines typed or scanned by a picker: never panics; whatever parses
/// is a valid movement.
pub fn scan_line(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Ok(draft) = agent::parse_scan_line(text, 0) {
        assert!(draft.validate().is_ok());
    }
}

/// Topic parsing: never panics, and whatever parses prints back the same.
pub fn topic_parse(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Ok(topic) = protocol::Topic::parse(text) {
        assert_eq!(topic.to_string(), text);
    }
}

/// `POST /api/v1/intake/jd`: JD POP orders (`jingdong.pop.order.get`).
pub fn jd_order(data: &[u8]) {
    platform_order(Platform::Jd, data);
}

/// `POST /api/v1/intake/shopee`: Shopee v2 orders (`get_order_detail`).
pub fn shopee_order(data: &[u8]) {
    platform_order(Platform::Shopee, data);
}

/// `POST /api/v1/intake/taobao`: Taobao/Tmall trades
/// (`taobao.trade.fullinfo.get`).
pub fn taobao_order(data: &[u8]) {
    platform_order(Platform::Taobao, data);
}

/// The check every platform adapter's target runs: any bytes give an order
/// body or a clear error, never a panic; a mapped order names its platform,
/// has lines with usable SKUs and quantities, and goes through our own
/// checks and cleaning without a panic either.
fn platform_order(platform: Platform, data: &[u8]) {
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
