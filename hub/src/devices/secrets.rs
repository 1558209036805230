//! Secrets from the operating system's random source, and the salted hash
//! the registry keeps instead of a broker password.
//!
//! Why a plain salted SHA-256 and not a slow password hash: the passwords
//! are 32 random bytes the hub made, not words a person chose, so there is
//! nothing for a dictionary to guess.

use sha2::{Digest, Sha256};

/// Bytes of randomness in a broker password and in a key.
pub const SECRET_LEN: usize = 32;
/// Bytes of salt per password hash.
pub const SALT_LEN: usize = 16;

/// The OS random source failed (never expected on Linux).
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random source failed: {0}")]
pub struct RandomError(String);

/// `N` bytes from the OS random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| RandomError(e.to_string()))?;
    Ok(bytes)
}

/// A fresh broker password: 32 random bytes as 64 hex digits.
pub fn new_password() -> Result<String, RandomError> {
    Ok(protocol::auth::encode_hex(&random_bytes::<SECRET_LEN>()?))
}

/// SHA-256 of `salt || password`.
pub fn password_hash(salt: &[u8], password: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(password.as_bytes());
    hasher.finalize().into()
}

/// Equality that takes the same time wherever the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_random_hex_and_hashes_depend_on_salt() {
        let a = new_password().unwrap();
        let b = new_password().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(password_hash(b"s1", &a), password_hash(b"s2", &a));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
