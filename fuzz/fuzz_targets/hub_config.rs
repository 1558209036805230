//! The hub's TOML config: any text gives a config or a clear error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = hub::HubConfig::from_toml(text, std::path::Path::new("fuzz.toml"));
});
