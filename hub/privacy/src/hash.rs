//! The customer key: a keyed hash of a normalised phone number.
//!
//! Why keyed: phone numbers are few enough (about 10^10 per country) to
//! brute-force any plain hash, so the hash is HMAC-SHA256 under the master
//! key's hash sub-key. Orders from different platforms carrying the same
//! normalised phone get the same [`CustomerKey`] and are linked to one
//! customer, while the store and its indexes never hold the phone in clear.
//! Normalising (country code, digits only) is the caller's job: this hashes
//! exactly the string it is given.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::aead::hmac_sha256;
use crate::{MasterKey, PrivacyError};

/// Domain label hashed before the phone.
const DOMAIN: &[u8] = b"wms/hub-privacy/phone\0";

/// A stable customer identifier: 64 lowercase hex characters of
/// `HMAC-SHA256(hash sub-key, "wms/hub-privacy/phone\0" || phone)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CustomerKey(String);

impl CustomerKey {
    /// The 64 hex characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CustomerKey {
    type Error = PrivacyError;

    fn try_from(text: String) -> Result<CustomerKey, PrivacyError> {
        let valid =
            text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !valid {
            return Err(PrivacyError::Malformed {
                what: "a customer key",
                len: text.len(),
                expected: "64 lowercase hex characters",
            });
        }
        Ok(CustomerKey(text))
    }
}

impl From<CustomerKey> for String {
    fn from(key: CustomerKey) -> String {
        key.0
    }
}

impl fmt::Display for CustomerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl MasterKey {
    /// The customer key of a normalised phone number.
    pub fn customer_key(&self, normalised_phone: &str) -> CustomerKey {
        let digest = hmac_sha256(self.hash_key(), &[DOMAIN, normalised_phone.as_bytes()]);
        let hex = digest.iter().map(|b| format!("{b:02x}")).collect();
        CustomerKey(hex)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_phone_same_key_other_phone_other_key() {
        let master = MasterKey::generate().unwrap();
        let a = master.customer_key("+8613812345678");
        assert_eq!(a, master.customer_key("+8613812345678"));
        assert_ne!(a, master.customer_key("+8613812345679"));
        assert_eq!(a.as_str().len(), 64);
        assert!(!a.as_str().contains("13812345678"));
    }

    #[test]
    fn depends_on_the_master_key_and_is_stable() {
        let fixed = MasterKey::from_bytes(&[7u8; 32]);
        let key = fixed.customer_key("+8613812345678");
        assert_eq!(
            key,
            MasterKey::from_bytes(&[7u8; 32]).customer_key("+8613812345678")
        );
        let other = MasterKey::from_bytes(&[8u8; 32]).customer_key("+8613812345678");
        assert_ne!(key, other);
        assert_eq!(key.to_string(), key.as_str());
    }

    #[test]
    fn serde_checks_the_form() {
        let key = MasterKey::generate().unwrap().customer_key("+1");
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(serde_json::from_str::<CustomerKey>(&json).unwrap(), key);
        assert!(serde_json::from_str::<CustomerKey>("\"+8613812345678\"").is_err());
        assert!(serde_json::from_str::<CustomerKey>(&json.to_uppercase()).is_err());
    }
}
