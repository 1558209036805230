//! Topic parsing: never panics, and whatever parses prints back the same.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(topic) = protocol::Topic::parse(text) {
        assert_eq!(topic.to_string(), text);
    }
});
