//! The device's answer to a task list: a signed `TaskAck` naming the
//! queue version it holds (WIRE.md §3.14), on its `taskack` topic.
//!
//! Why it is sent so often: the hub re-sends a device's queue from its own
//! store until it hears a version at least as new as the one it sent, and
//! the broker keeps nothing (promise 11). So the device answers every list
//! that opened (taken, a resend, or refused as invalid: then with the
//! version it kept) and says what it holds on every (re)connection.

use protocol::{encode_signed_task_ack, DeviceKey, TaskAck};

/// Builds this device's signed task acks.
#[derive(Debug, Clone)]
pub struct TaskAckSigner {
    site: String,
    device: String,
    key: DeviceKey,
}

impl TaskAckSigner {
    /// Task acks of `device` at `site`, signed with `key`.
    pub fn new(site: &str, device: &str, key: &DeviceKey) -> TaskAckSigner {
        TaskAckSigner {
            site: site.to_string(),
            device: device.to_string(),
            key: key.clone(),
        }
    }

    /// The signed frame saying "I hold the queue of `version`".
    pub fn frame(&self, version: u64) -> Vec<u8> {
        let ack = TaskAck {
            site: self.site.clone(),
            device: self.device.clone(),
            version,
            auth_tag: None,
        };
        encode_signed_task_ack(&self.key, &ack)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{decode, verify_frame, Message};

    #[test]
    fn a_task_ack_is_signed_with_the_device_key_and_names_the_version() {
        let key = DeviceKey::from_bytes([3; 32]);
        let frame = TaskAckSigner::new("s1", "hh-1", &key).frame(42);
        assert_eq!(verify_frame(&key, &frame), Ok(()));
        let other = DeviceKey::from_bytes([4; 32]);
        assert!(verify_frame(&other, &frame).is_err());
        let Ok(Message::TaskAck(ack)) = decode(&frame) else {
            panic!("not a task ack");
        };
        assert_eq!((ack.site.as_str(), ack.device.as_str()), ("s1", "hh-1"));
        assert_eq!(ack.version, 42);
        assert!(ack.validate().is_ok());
    }
}
