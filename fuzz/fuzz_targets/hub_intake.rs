//! The hub's intake of raw MQTT publishes: the first byte splits the input
//! into a topic and a payload. Never panics; an accepted batch is valid and
//! carries a tag that verifies under its registered device's key.
#![no_main]
use hub::devices::{BookEntry, DeviceBook};
use libfuzzer_sys::fuzz_target;
use protocol::DeviceKey;
use std::sync::OnceLock;

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

fuzz_target!(|data: &[u8]| {
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
});
