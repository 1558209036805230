//! The frame decoder: any bytes give a message or a typed error, and a
//! decoded message re-encodes to a frame that decodes to the same message.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = protocol::decode(data) {
        let again = protocol::decode(&protocol::encode(&message));
        assert_eq!(again.as_ref(), Ok(&message));
        if let protocol::Message::Batch(batch) = &message {
            let _ = batch.validate();
            let _ = batch.last_seq();
        }
    }
});
