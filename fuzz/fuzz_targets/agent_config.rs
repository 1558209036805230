//! The agent's TOML config: any text gives a config or a clear error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = agent::AgentConfig::from_toml(text, "fuzz.toml", agent::ConfigOverrides::default());
});
