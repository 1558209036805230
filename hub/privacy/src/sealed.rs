//! One personal value (a name, a phone, a street) sealed at rest.
//!
//! Why the context: it names the field and the record the value belongs to
//! (say `"order:123/phone"`) and is bound as associated data, so a sealed
//! phone copied into another order, or into the name field, no longer
//! opens. Why a fresh random nonce per value: the same phone sealed twice
//! gives two unrelated ciphertexts, so equal values cannot be spotted in
//! the store (linking is the job of [`crate::CustomerKey`]).
//!
//! Layout: version `0x01`, 12-byte random nonce, AES-256-GCM ciphertext of
//! the UTF-8 value followed by its 16-byte tag. Associated data:
//! `0x01 || "wms/hub-privacy/value" || 0x00 || context`. With serde
//! (postcard) it is the version byte, the 12 nonce bytes, then the
//! ciphertext as a varint length and its bytes; [`Sealed::to_bytes`] gives
//! the same three parts without the length.

use serde::{Deserialize, Serialize};

use crate::aead::{associated_data, decrypt, encrypt, NONCE_LEN, TAG_LEN, VERSION};
use crate::{DataKey, PrivacyError};

/// Domain label of a sealed value's associated data.
const DOMAIN: &str = "wms/hub-privacy/value";

/// A personal value encrypted under a customer's [`DataKey`]. Its length
/// shows the value's length in bytes (plus 29); nothing else about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    version: u8,
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
}

impl Sealed {
    /// Version, nonce, ciphertext and tag in one byte string.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(1 + NONCE_LEN + self.ciphertext.len());
        bytes.push(self.version);
        bytes.extend_from_slice(&self.nonce);
        bytes.extend_from_slice(&self.ciphertext);
        bytes
    }

    /// Parses [`Sealed::to_bytes`]; checks the version and the minimum length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Sealed, PrivacyError> {
        if bytes.len() < 1 + NONCE_LEN + TAG_LEN {
            return Err(malformed(bytes.len()));
        }
        let (head, ciphertext) = bytes.split_at(1 + NONCE_LEN);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&head[1..]);
        let sealed = Sealed {
            version: head[0],
            nonce,
            ciphertext: ciphertext.to_vec(),
        };
        sealed.check()?;
        Ok(sealed)
    }

    /// The format version (1).
    pub fn version(&self) -> u8 {
        self.version
    }

    /// Refuses versions this build does not read, and ciphertexts too short
    /// to hold a tag.
    fn check(&self) -> Result<(), PrivacyError> {
        if self.version != VERSION {
            return Err(PrivacyError::UnknownVersion {
                what: "a sealed value",
                version: self.version,
            });
        }
        if self.ciphertext.len() < TAG_LEN {
            return Err(malformed(1 + NONCE_LEN + self.ciphertext.len()));
        }
        Ok(())
    }
}

fn malformed(len: usize) -> PrivacyError {
    PrivacyError::Malformed {
        what: "a sealed value",
        len,
        expected: "at least 29 bytes (version, nonce, tag)",
    }
}

impl DataKey {
    /// Seals `plaintext` for the field named by `context`, with a fresh
    /// random nonce.
    pub fn seal(&self, plaintext: &str, context: &str) -> Result<Sealed, PrivacyError> {
        let aad = associated_data(DOMAIN, context);
        let (nonce, ciphertext) = encrypt(self.bytes(), &aad, plaintext.as_bytes())?;
        Ok(Sealed {
            version: VERSION,
            nonce,
            ciphertext,
        })
    }

    /// Opens a value sealed under this key for the same `context`. Fails
    /// with [`PrivacyError::Open`] under another key or context, or when a
    /// byte was changed; the error never holds any part of the value.
    pub fn open(&self, sealed: &Sealed, context: &str) -> Result<String, PrivacyError> {
        sealed.check()?;
        let aad = associated_data(DOMAIN, context);
        let plain = decrypt(self.bytes(), &sealed.nonce, &aad, &sealed.ciphertext)
            .ok_or(PrivacyError::Open)?;
        // Copied out as a string; the decrypted buffer is wiped on drop.
        let text = std::str::from_utf8(&plain).map_err(|_| PrivacyError::Open)?;
        Ok(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip() {
        let key = DataKey::generate().unwrap();
        for value in [
            "",
            "张三",
            "13812345678",
            "北京市朝阳区建国路88号",
            "O'Brien",
        ] {
            let sealed = key.seal(value, "order:1/name").unwrap();
            assert_eq!(key.open(&sealed, "order:1/name").unwrap(), value);
            assert_eq!(sealed.ciphertext.len(), value.len() + TAG_LEN);
        }
    }

    #[test]
    fn nonces_and_ciphertexts_differ_for_the_same_value() {
        let key = DataKey::generate().unwrap();
        let a = key.seal("13812345678", "order:1/phone").unwrap();
        let b = key.seal("13812345678", "order:1/phone").unwrap();
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
    }

    #[test]
    fn every_flipped_byte_is_detected() {
        let key = DataKey::generate().unwrap();
        let sealed = key.seal("张三", "order:1/name").unwrap();
        let bytes = sealed.to_bytes();
        for i in 0..bytes.len() {
            let mut tampered = bytes.clone();
            tampered[i] ^= 0x80;
            let result = Sealed::from_bytes(&tampered).and_then(|s| key.open(&s, "order:1/name"));
            assert!(result.is_err(), "byte {i}");
        }
    }

    #[test]
    fn a_value_moved_to_another_field_or_order_does_not_open() {
        let key = DataKey::generate().unwrap();
        let sealed = key.seal("13812345678", "order:123/phone").unwrap();
        for context in ["order:123/name", "order:124/phone", "", "order:123/phone "] {
            let err = key.open(&sealed, context).unwrap_err();
            assert!(matches!(err, PrivacyError::Open), "{context:?}");
        }
    }

    #[test]
    fn bytes_round_trip_and_short_or_unknown_versions_are_refused() {
        let key = DataKey::generate().unwrap();
        let sealed = key.seal("x", "c").unwrap();
        let bytes = sealed.to_bytes();
        assert_eq!(Sealed::from_bytes(&bytes).unwrap(), sealed);
        assert_eq!(sealed.version(), 1);
        let short = Sealed::from_bytes(&bytes[..28]).unwrap_err();
        assert!(matches!(short, PrivacyError::Malformed { len: 28, .. }));
        let mut v9 = bytes.clone();
        v9[0] = 9;
        assert!(matches!(
            Sealed::from_bytes(&v9),
            Err(PrivacyError::UnknownVersion { version: 9, .. })
        ));
    }

    #[test]
    fn serde_layout_is_version_nonce_then_length_prefixed_ciphertext() {
        let key = DataKey::generate().unwrap();
        let sealed = key.seal("张三", "c").unwrap();
        let wire = postcard::to_allocvec(&sealed).unwrap();
        let raw = sealed.to_bytes();
        assert_eq!(wire[0], 1);
        assert_eq!(&wire[1..13], &raw[1..13]);
        assert_eq!(usize::from(wire[13]), 6 + TAG_LEN);
        assert_eq!(&wire[14..], &raw[13..]);
        assert_eq!(postcard::from_bytes::<Sealed>(&wire).unwrap(), sealed);
    }
}
