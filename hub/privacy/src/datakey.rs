//! Per-customer data keys, and their wrapped form for storage.
//!
//! Why one key per customer: archiving a customer is then just deleting one
//! small record, their [`WrappedKey`]; every value sealed under the key
//! becomes unreadable without touching the orders that hold them (crypto-
//! shredding). A data key exists in clear only in memory, is wiped on drop
//! and is never serialised; what is stored is the key encrypted under the
//! master's wrap sub-key with the customer id as associated data, so a
//! wrapped key copied onto another customer does not unwrap.
//!
//! `WrappedKey` bytes (61): version `0x01`, 12-byte random nonce, then the
//! 32-byte key encrypted with AES-256-GCM and its 16-byte tag. Associated
//! data: `0x01 || "wms/hub-privacy/data-key" || 0x00 || customer_id`.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::aead::{
    associated_data, decrypt, encrypt, random, KEY_LEN, NONCE_LEN, TAG_LEN, VERSION,
};
use crate::{MasterKey, PrivacyError};

/// Domain label of a wrapped data key's associated data.
const DOMAIN: &str = "wms/hub-privacy/data-key";
/// Length of a wrapped key: version, nonce, encrypted key, tag.
const WRAPPED_LEN: usize = 1 + NONCE_LEN + KEY_LEN + TAG_LEN;

/// A customer's data key: 32 random bytes that seal their personal values.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct DataKey([u8; KEY_LEN]);

impl DataKey {
    /// A new random data key, for a customer seen for the first time.
    pub fn generate() -> Result<DataKey, PrivacyError> {
        Ok(DataKey(random::<KEY_LEN>()?))
    }

    /// The key bytes, for sealing.
    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(..)")
    }
}

/// A data key encrypted under the master key, bound to one customer id.
/// Serialises as its 61 bytes; deserialising checks the length and version.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<u8>", into = "Vec<u8>")]
pub struct WrappedKey(Vec<u8>);

impl WrappedKey {
    /// The stored bytes (see the module doc for the layout).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Checks the length and version of stored bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<WrappedKey, PrivacyError> {
        WrappedKey::try_from(bytes.to_vec())
    }
}

impl TryFrom<Vec<u8>> for WrappedKey {
    type Error = PrivacyError;

    fn try_from(bytes: Vec<u8>) -> Result<WrappedKey, PrivacyError> {
        if bytes.len() != WRAPPED_LEN {
            return Err(PrivacyError::Malformed {
                what: "a wrapped data key",
                len: bytes.len(),
                expected: "61 bytes (version, nonce, key, tag)",
            });
        }
        if bytes[0] != VERSION {
            return Err(PrivacyError::UnknownVersion {
                what: "a wrapped data key",
                version: bytes[0],
            });
        }
        Ok(WrappedKey(bytes))
    }
}

impl From<WrappedKey> for Vec<u8> {
    fn from(key: WrappedKey) -> Vec<u8> {
        key.0
    }
}

impl fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WrappedKey({} bytes)", self.0.len())
    }
}

impl MasterKey {
    /// Wraps `key` for storage beside the customer `customer_id`.
    pub fn wrap(&self, key: &DataKey, customer_id: &str) -> Result<WrappedKey, PrivacyError> {
        let aad = associated_data(DOMAIN, customer_id);
        let (nonce, ciphertext) = encrypt(self.wrap_key(), &aad, key.bytes())?;
        let mut bytes = Vec::with_capacity(WRAPPED_LEN);
        bytes.push(VERSION);
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&ciphertext);
        Ok(WrappedKey(bytes))
    }

    /// Unwraps the data key of `customer_id`. Fails with
    /// [`PrivacyError::Unwrap`] under another master key, for another
    /// customer id, or when a byte was changed.
    pub fn unwrap(&self, wrapped: &WrappedKey, customer_id: &str) -> Result<DataKey, PrivacyError> {
        let (head, ciphertext) = wrapped.0.split_at(1 + NONCE_LEN);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&head[1..]);
        let aad = associated_data(DOMAIN, customer_id);
        let plain =
            decrypt(self.wrap_key(), &nonce, &aad, ciphertext).ok_or(PrivacyError::Unwrap)?;
        let bytes: [u8; KEY_LEN] = plain
            .as_slice()
            .try_into()
            .map_err(|_| PrivacyError::Unwrap)?;
        Ok(DataKey(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_unwrap_round_trip_gives_the_same_key() {
        let master = MasterKey::generate().unwrap();
        let key = DataKey::generate().unwrap();
        let wrapped = master.wrap(&key, "c-1").unwrap();
        assert_eq!(wrapped.as_bytes().len(), WRAPPED_LEN);
        assert_eq!(wrapped.as_bytes()[0], VERSION);
        let back = master.unwrap(&wrapped, "c-1").unwrap();
        assert_eq!(back.bytes(), key.bytes());
    }

    #[test]
    fn unwrap_fails_for_another_customer_master_or_a_flipped_byte() {
        let master = MasterKey::generate().unwrap();
        let wrapped = master.wrap(&DataKey::generate().unwrap(), "c-1").unwrap();
        let err = master.unwrap(&wrapped, "c-2").unwrap_err();
        assert!(matches!(err, PrivacyError::Unwrap));
        let other = MasterKey::generate().unwrap();
        assert!(matches!(
            other.unwrap(&wrapped, "c-1"),
            Err(PrivacyError::Unwrap)
        ));
        for i in 1..WRAPPED_LEN {
            let mut bytes = wrapped.as_bytes().to_vec();
            bytes[i] ^= 0x01;
            let tampered = WrappedKey::from_bytes(&bytes).unwrap();
            assert!(master.unwrap(&tampered, "c-1").is_err(), "byte {i}");
        }
    }

    #[test]
    fn wrapping_twice_gives_different_bytes() {
        let master = MasterKey::generate().unwrap();
        let key = DataKey::generate().unwrap();
        let a = master.wrap(&key, "c-1").unwrap();
        let b = master.wrap(&key, "c-1").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn from_bytes_checks_length_and_version() {
        let master = MasterKey::generate().unwrap();
        let wrapped = master.wrap(&DataKey::generate().unwrap(), "c-1").unwrap();
        let bytes = wrapped.as_bytes();
        let short = WrappedKey::from_bytes(&bytes[..60]).unwrap_err();
        assert!(matches!(short, PrivacyError::Malformed { len: 60, .. }));
        let mut v2 = bytes.to_vec();
        v2[0] = 2;
        let err = WrappedKey::from_bytes(&v2).unwrap_err();
        assert!(matches!(
            err,
            PrivacyError::UnknownVersion { version: 2, .. }
        ));
    }

    #[test]
    fn serde_round_trips_and_checks_on_the_way_in() {
        let master = MasterKey::generate().unwrap();
        let wrapped = master.wrap(&DataKey::generate().unwrap(), "c-1").unwrap();
        let bytes = postcard::to_allocvec(&wrapped).unwrap();
        assert_eq!(bytes.len(), 1 + WRAPPED_LEN, "varint length then the bytes");
        assert_eq!(postcard::from_bytes::<WrappedKey>(&bytes).unwrap(), wrapped);
        let json = serde_json::to_string(&wrapped).unwrap();
        assert_eq!(serde_json::from_str::<WrappedKey>(&json).unwrap(), wrapped);
        assert!(serde_json::from_str::<WrappedKey>("[1,2,3]").is_err());
    }

    #[test]
    fn debug_shows_no_key_bytes() {
        let key = DataKey::generate().unwrap();
        assert_eq!(format!("{key:?}"), "DataKey(..)");
    }
}
