//! The hub's master key and the sub-keys derived from it.
//!
//! Why sub-keys: the master key itself never encrypts or hashes anything.
//! HKDF-Expand with a distinct label gives one key for wrapping data keys
//! and one for the phone keyed hash, so a weakness in one use cannot leak
//! into the other. The hub reads the key from a 0600 file (see
//! [`MasterKey::load_or_create`]) or from an environment variable such as
//! `WMS_MASTER_KEY` ([`MasterKey::from_env_value`]). All key bytes are wiped
//! when the key is dropped, and `Debug` never prints them.

use std::fmt;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::aead::{derive, random, KEY_LEN};
use crate::PrivacyError;

/// HKDF info label of the data-key wrapping sub-key.
const WRAP_INFO: &str = "wms/hub-privacy/v1/wrap-data-key";
/// HKDF info label of the phone keyed-hash sub-key.
const HASH_INFO: &str = "wms/hub-privacy/v1/customer-key";

/// The hub's master key: 32 secret bytes and the sub-keys derived from them.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct MasterKey {
    root: [u8; KEY_LEN],
    wrap: [u8; KEY_LEN],
    hash: [u8; KEY_LEN],
}

impl MasterKey {
    /// A master key from its 32 bytes. The caller should wipe its copy.
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> MasterKey {
        MasterKey {
            root: *bytes,
            wrap: derive(bytes, WRAP_INFO),
            hash: derive(bytes, HASH_INFO),
        }
    }

    /// A new master key from the operating system's random source.
    pub fn generate() -> Result<MasterKey, PrivacyError> {
        let bytes = Zeroizing::new(random::<KEY_LEN>()?);
        Ok(MasterKey::from_bytes(&bytes))
    }

    /// Parses the value of an environment variable: 64 hex characters, or
    /// base64 (standard or URL-safe, padded or not) of exactly 32 bytes.
    /// Surrounding whitespace is ignored. Errors never repeat the value.
    pub fn from_env_value(value: &str) -> Result<MasterKey, PrivacyError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(PrivacyError::EnvKey {
                reason: "it is empty",
            });
        }
        if value.len() == 2 * KEY_LEN && value.bytes().all(|b| b.is_ascii_hexdigit()) {
            let bytes = decode_hex(value.as_bytes()).ok_or(PrivacyError::EnvKey {
                reason: "it is not hex",
            })?;
            return Ok(MasterKey::from_bytes(&bytes));
        }
        let decoded = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(value).ok())
            .map(Zeroizing::new)
            .ok_or(PrivacyError::EnvKey {
                reason: "it is neither 64 hex characters nor base64",
            })?;
        let bytes: Zeroizing<[u8; KEY_LEN]> = Zeroizing::new(
            decoded
                .as_slice()
                .try_into()
                .map_err(|_| PrivacyError::EnvKey {
                    reason: "its base64 does not decode to 32 bytes",
                })?,
        );
        Ok(MasterKey::from_bytes(&bytes))
    }

    /// The root key as 64 lowercase hex characters, for the key file.
    pub(crate) fn to_hex(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(2 * KEY_LEN));
        for byte in self.root {
            for nibble in [byte >> 4, byte & 0x0f] {
                out.push(char::from(b"0123456789abcdef"[usize::from(nibble)]));
            }
        }
        out
    }

    /// The sub-key that wraps data keys.
    pub(crate) fn wrap_key(&self) -> &[u8; KEY_LEN] {
        &self.wrap
    }

    /// The sub-key of the phone keyed hash.
    pub(crate) fn hash_key(&self) -> &[u8; KEY_LEN] {
        &self.hash
    }
}

/// Decodes 64 hex characters (either case) into 32 bytes.
pub(crate) fn decode_hex(hex: &[u8]) -> Option<Zeroizing<[u8; KEY_LEN]>> {
    if hex.len() != 2 * KEY_LEN {
        return None;
    }
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        *byte = u8::try_from(high * 16 + low).ok()?;
    }
    Some(out)
}

impl PartialEq for MasterKey {
    /// Constant-time comparison of the root keys.
    fn eq(&self, other: &MasterKey) -> bool {
        let diff = self
            .root
            .iter()
            .zip(other.root.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        diff == 0
    }
}

impl Eq for MasterKey {}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn counting() -> [u8; 32] {
        std::array::from_fn(|i| i as u8)
    }

    #[test]
    fn env_value_accepts_hex_in_either_case_and_whitespace() {
        let want = MasterKey::from_bytes(&counting());
        assert_eq!(MasterKey::from_env_value(HEX).unwrap(), want);
        let upper = format!("  {}\n", HEX.to_uppercase());
        assert_eq!(MasterKey::from_env_value(&upper).unwrap(), want);
    }

    #[test]
    fn env_value_accepts_base64_variants() {
        let want = MasterKey::from_bytes(&counting());
        for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
            let text = engine.encode(counting());
            assert_eq!(MasterKey::from_env_value(&text).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn env_value_refuses_bad_values_without_repeating_them() {
        let short_b64 = STANDARD.encode([7u8; 16]);
        let not_hex = format!("{}zz", &HEX[..62]);
        for bad in ["", "   ", &HEX[..63], &not_hex, &short_b64, "secret!value"] {
            let err = MasterKey::from_env_value(bad).unwrap_err();
            assert!(matches!(err, PrivacyError::EnvKey { .. }), "{bad:?}: {err}");
            if !bad.trim().is_empty() {
                assert!(!err.to_string().contains(bad.trim()), "{err}");
            }
        }
    }

    #[test]
    fn hex_round_trip_and_debug_hides_bytes() {
        let key = MasterKey::from_bytes(&counting());
        assert_eq!(key.to_hex().as_str(), HEX);
        assert_eq!(format!("{key:?}"), "MasterKey(..)");
    }

    #[test]
    fn sub_keys_are_distinct_from_each_other_and_the_root() {
        let key = MasterKey::generate().unwrap();
        assert_ne!(key.wrap_key(), key.hash_key());
        assert_ne!(key.wrap_key(), &key.root);
        assert_ne!(key.hash_key(), &key.root);
        assert_ne!(key, MasterKey::generate().unwrap());
    }
}
