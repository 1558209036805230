//! `POST /api/v1/reservations` bodies: never panics; whatever the API
//! accepts is a request that passes its own validation.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<hub::api::reservations::ReserveBody>(data) else {
        return;
    };
    if let Ok(request) = hub::api::reservations::into_request(body, None) {
        assert!(request.validate().is_ok());
    }
});
