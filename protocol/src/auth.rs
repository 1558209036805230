//! Device-to-hub authentication: the HMAC-SHA256 tag a device puts on every
//! batch, every status (heartbeat, last will) and every task ack it sends,
//! made with its own secret key (promise 9).
//!
//! Why a tag on the frame and not only broker credentials: rumqttd has no
//! per-topic ACLs and an external broker may be shared, so a device that
//! may connect could still publish on another device's topic. The tag
//! proves which key made the batch, whatever broker carried it.
//!
//! The signed region is every frame byte before `auth_tag`'s Option marker
//! (`auth_tag` is the last field of `EventBatch`, `Status` and `TaskAck`,
//! the last-and-only message, so the
//! region of a signed frame is simply all but its final 33 bytes). The hub
//! verifies the raw bytes it received, never a re-encoding of them.

use crate::codec::encode;
use crate::message::{EventBatch, LabelReport, Message, Status, TaskAck};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use thiserror::Error;

/// Bytes in a device key and in a tag.
pub const KEY_LEN: usize = 32;
/// Bytes in an auth tag.
pub const TAG_LEN: usize = 32;
/// Bytes a tag adds at the end of a signed frame: the Option marker `01`
/// and the 32 tag bytes.
pub const SIGNED_TAIL: usize = 1 + TAG_LEN;

type HmacSha256 = Hmac<Sha256>;

/// A device's 32-byte secret key. Its `Debug` never shows the bytes, so it
/// can sit in configs that get logged.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceKey([u8; KEY_LEN]);

/// Why a batch frame's tag was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthError {
    /// The frame carries no tag (`auth_tag` is None, or it is too short to
    /// end in one).
    #[error("the batch carries no auth tag")]
    Unsigned,
    /// The tag is not the HMAC of the frame under this key.
    #[error("the auth tag does not match the device's key")]
    BadTag,
}

/// Why a key in hex was refused. Never echoes the text (it is a secret).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// Not exactly 64 hex digits.
    #[error("a device key is 64 hex digits (32 bytes); this one has {0} characters")]
    Length(usize),
    /// A character that is not a hex digit.
    #[error("a device key is hex digits only (0-9, a-f)")]
    NotHex,
}

impl DeviceKey {
    /// A key from its raw bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> DeviceKey {
        DeviceKey(bytes)
    }

    /// A key from 64 hex digits (either case, surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<DeviceKey, KeyError> {
        let text = text.trim();
        if text.len() != 2 * KEY_LEN {
            return Err(KeyError::Length(text.chars().count()));
        }
        let bytes = decode_hex(text).ok_or(KeyError::NotHex)?;
        let mut key = [0u8; KEY_LEN];
        key.copy_from_slice(&bytes);
        Ok(DeviceKey(key))
    }

    /// The key as 64 lowercase hex digits (for the credentials printed once).
    pub fn to_hex(&self) -> String {
        encode_hex(&self.0)
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length; 32 bytes can never be refused.
        match HmacSha256::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts every key length"),
        }
    }
}

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceKey(<secret>)")
    }
}

/// HMAC-SHA256 of `region` under `key`.
pub fn tag(key: &DeviceKey, region: &[u8]) -> [u8; TAG_LEN] {
    let mut mac = key.mac();
    mac.update(region);
    mac.finalize().into_bytes().into()
}

/// Encodes `batch` as a signed frame (its own `auth_tag` is ignored): the
/// unsigned encoding without its final `00`, then `01` and the tag. One
/// encode and one HMAC.
pub fn encode_signed(key: &DeviceKey, batch: &EventBatch) -> Vec<u8> {
    let unsigned = EventBatch {
        auth_tag: None,
        ..batch.clone()
    };
    append_tag(key, encode(&Message::Batch(unsigned)))
}

/// Encodes `status` as a signed frame, the same way as [`encode_signed`].
pub fn encode_signed_status(key: &DeviceKey, status: &Status) -> Vec<u8> {
    let unsigned = Status {
        auth_tag: None,
        ..status.clone()
    };
    append_tag(key, encode(&Message::Status(unsigned)))
}

/// Encodes `ack` as a signed frame, the same way as [`encode_signed`].
pub fn encode_signed_task_ack(key: &DeviceKey, ack: &TaskAck) -> Vec<u8> {
    let unsigned = TaskAck {
        auth_tag: None,
        ..ack.clone()
    };
    append_tag(key, encode(&Message::TaskAck(unsigned)))
}

/// Encodes `report` as a signed frame, the same way as [`encode_signed`].
pub fn encode_signed_label_report(key: &DeviceKey, report: &LabelReport) -> Vec<u8> {
    let unsigned = LabelReport {
        auth_tag: None,
        ..report.clone()
    };
    append_tag(key, encode(&Message::LabelReport(unsigned)))
}

/// Turns an unsigned frame (whose last byte is the `00` of `auth_tag:
/// None`) into a signed one.
fn append_tag(key: &DeviceKey, mut frame: Vec<u8>) -> Vec<u8> {
    frame.pop();
    let tag = tag(key, &frame);
    frame.reserve(SIGNED_TAIL);
    frame.push(0x01);
    frame.extend_from_slice(&tag);
    frame
}

/// Sets `batch.auth_tag` to the tag of its encoding under `key`.
pub fn sign_batch(key: &DeviceKey, batch: &mut EventBatch) {
    let frame = encode_signed(key, batch);
    let mut tag = [0u8; TAG_LEN];
    tag.copy_from_slice(&frame[frame.len() - TAG_LEN..]);
    batch.auth_tag = Some(tag);
}

/// Checks the tag at the end of a received batch, status, task ack or
/// label report frame against `key`, in constant time, over the exact bytes
/// received. Call it on a frame that decoded as a `Batch`, a `Status`, a
/// `TaskAck` or a `LabelReport`: only then are its last 33 bytes the tag.
pub fn verify_frame(key: &DeviceKey, frame: &[u8]) -> Result<(), AuthError> {
    let Some(split) = frame.len().checked_sub(SIGNED_TAIL) else {
        return Err(AuthError::Unsigned);
    };
    let (region, tail) = frame.split_at(split);
    if tail[0] != 0x01 {
        return Err(AuthError::Unsigned);
    }
    let mut mac = key.mac();
    mac.update(region);
    mac.verify_slice(&tail[1..]).map_err(|_| AuthError::BadTag)
}

/// Lowercase hex of `bytes`.
pub fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Bytes of an even-length hex string (either case); None if it is not one.
pub fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let pairs = text.as_bytes().chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return None;
    }
    let nibble = |c: u8| char::from(c).to_digit(16).map(|d| d as u8);
    pairs
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::decode;
    use crate::message::{Movement, MovementKind};

    fn batch(device: &str) -> EventBatch {
        EventBatch {
            site: "s1".into(),
            device: device.into(),
            epoch: 1,
            first_seq: 1,
            movements: vec![Movement {
                seq: 1,
                kind: MovementKind::Pick,
                sku: "SKU-1".into(),
                location: "A-01".into(),
                to_location: None,
                lot: None,
                quantity: 2,
                device_time_ms: 1000,
                task: None,
            }],
            auth_tag: None,
        }
    }

    #[test]
    fn signed_frames_verify_and_decode_to_the_signed_batch() {
        let key = DeviceKey::from_bytes([7; 32]);
        let mut signed = batch("d1");
        sign_batch(&key, &mut signed);
        let frame = encode_signed(&key, &batch("d1"));
        assert_eq!(decode(&frame), Ok(Message::Batch(signed.clone())));
        assert_eq!(encode(&Message::Batch(signed)), frame);
        assert_eq!(verify_frame(&key, &frame), Ok(()));
    }

    #[test]
    fn wrong_key_changed_byte_and_unsigned_frames_are_refused() {
        let key = DeviceKey::from_bytes([7; 32]);
        let other = DeviceKey::from_bytes([8; 32]);
        let frame = encode_signed(&key, &batch("d1"));
        assert_eq!(verify_frame(&other, &frame), Err(AuthError::BadTag));
        for i in 0..frame.len() {
            let mut bent = frame.clone();
            bent[i] ^= 0x01;
            assert!(verify_frame(&key, &bent).is_err(), "byte {i} flipped");
        }
        let unsigned = encode(&Message::Batch(batch("d1")));
        assert_eq!(verify_frame(&key, &unsigned), Err(AuthError::Unsigned));
        assert_eq!(verify_frame(&key, &[1, 0]), Err(AuthError::Unsigned));
    }

    #[test]
    fn keys_parse_from_hex_and_never_show_in_debug() {
        let key = DeviceKey::from_bytes([0xab; 32]);
        assert_eq!(DeviceKey::from_hex(&key.to_hex()), Ok(key.clone()));
        assert_eq!(
            DeviceKey::from_hex(&key.to_hex().to_uppercase()),
            Ok(key.clone())
        );
        assert_eq!(DeviceKey::from_hex("abc"), Err(KeyError::Length(3)));
        assert_eq!(DeviceKey::from_hex(&"zz".repeat(32)), Err(KeyError::NotHex));
        assert!(!format!("{key:?}").contains("ab"));
        assert_eq!(decode_hex("0aFf"), Some(vec![0x0a, 0xff]));
        assert_eq!(decode_hex("0"), None);
    }

    #[test]
    fn task_acks_are_signed_and_checked_like_batches() {
        let key = DeviceKey::from_bytes([7; 32]);
        let ack = TaskAck {
            site: "s1".into(),
            device: "d1".into(),
            version: 300,
            auth_tag: Some([0xee; 32]),
        };
        let frame = encode_signed_task_ack(&key, &ack);
        assert_eq!(verify_frame(&key, &frame), Ok(()));
        let Ok(Message::TaskAck(decoded)) = decode(&frame) else {
            panic!("not a task ack");
        };
        assert_eq!(decoded.version, 300);
        assert_ne!(decoded.auth_tag, ack.auth_tag, "the old tag is replaced");
        assert_eq!(encode(&Message::TaskAck(decoded)), frame);
        let other = DeviceKey::from_bytes([8; 32]);
        assert_eq!(verify_frame(&other, &frame), Err(AuthError::BadTag));
        for i in 0..frame.len() {
            let mut bent = frame.clone();
            bent[i] ^= 0x01;
            assert!(verify_frame(&key, &bent).is_err(), "byte {i} flipped");
        }
        let unsigned = encode(&Message::TaskAck(TaskAck {
            auth_tag: None,
            ..ack
        }));
        assert_eq!(verify_frame(&key, &unsigned), Err(AuthError::Unsigned));
    }
}
