//! The hub's TOML config: any text gives a config or a clear error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wms_fuzz::hub_config(data));
