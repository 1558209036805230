//! The hub's intake of raw MQTT publishes: the first byte splits the input
//! into a topic and a payload. Never panics; an accepted batch is valid.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let split = usize::from(split).min(rest.len());
    let topic = String::from_utf8_lossy(&rest[..split]);
    if let hub::intake::Intake::Batch(batch) = hub::intake::classify("s1", &topic, &rest[split..]) {
        assert!(batch.validate().is_ok());
    }
});
