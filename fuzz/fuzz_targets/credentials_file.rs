//! Device credentials files (`hub device add --out`), read by agents and
//! the fleet simulator: never panics; keys that parse round-trip.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = serde_json::from_slice::<protocol::CredentialsFile>(data) else {
        return;
    };
    for d in &file.devices {
        if let Ok(key) = protocol::DeviceKey::from_hex(&d.key) {
            assert_eq!(key.to_hex(), d.key.to_ascii_lowercase());
        }
    }
});
