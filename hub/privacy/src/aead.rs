//! AES-256-GCM with a random nonce, and sub-key derivation: the two
//! primitives that wrapping data keys and sealing values share.
//!
//! Why random nonces: a data key seals few values (a customer's name, phone
//! and street across their orders), far below the 2^32 messages per key where
//! random 96-bit nonces start to risk a collision, and a random nonce needs
//! no counter to persist. Plaintexts that pass through here are returned in
//! [`Zeroizing`] buffers so failed or discarded ones are wiped.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::PrivacyError;

/// Length of an AES-256 key, of every key in this crate.
pub(crate) const KEY_LEN: usize = 32;
/// Length of an AES-GCM nonce.
pub(crate) const NONCE_LEN: usize = 12;
/// Length of an AES-GCM tag.
pub(crate) const TAG_LEN: usize = 16;
/// The only format version of wrapped keys and sealed values so far.
pub(crate) const VERSION: u8 = 1;

/// `N` bytes from the operating system's random source.
pub(crate) fn random<const N: usize>() -> Result<[u8; N], PrivacyError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(PrivacyError::Random)?;
    Ok(out)
}

/// Associated data: format version, a fixed domain label, NUL, then the
/// caller's binding (customer id or field context). The domain keeps a data
/// key's AAD from ever equalling a value's AAD.
pub(crate) fn associated_data(domain: &str, binding: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(2 + domain.len() + binding.len());
    aad.push(VERSION);
    aad.extend_from_slice(domain.as_bytes());
    aad.push(0);
    aad.extend_from_slice(binding.as_bytes());
    aad
}

/// Encrypts `plaintext` under `key` with a fresh random nonce; returns the
/// nonce and ciphertext-with-tag.
pub(crate) fn encrypt(
    key: &[u8; KEY_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<([u8; NONCE_LEN], Vec<u8>), PrivacyError> {
    let nonce = random::<NONCE_LEN>()?;
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
    let payload = Payload {
        msg: plaintext,
        aad,
    };
    let ciphertext = cipher
        .encrypt(Nonce::from_slice(&nonce), payload)
        .map_err(|_| PrivacyError::Encrypt)?;
    Ok((nonce, ciphertext))
}

/// Decrypts and authenticates; `None` on any failure (the caller names it).
pub(crate) fn decrypt(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    ciphertext: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
    let payload = Payload {
        msg: ciphertext,
        aad,
    };
    cipher
        .decrypt(Nonce::from_slice(nonce), payload)
        .ok()
        .map(Zeroizing::new)
}

/// HMAC-SHA256 of `parts` (concatenated) under `key`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        unreachable!("HMAC takes keys of any length")
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// HKDF-Expand (RFC 5869) for one 32-byte block: `HMAC(prk, info || 0x01)`.
/// The master key is 32 uniformly random bytes, so it serves as the PRK
/// directly and the Extract step is not needed.
pub(crate) fn derive(prk: &[u8; KEY_LEN], info: &str) -> [u8; KEY_LEN] {
    hmac_sha256(prk, &[info.as_bytes(), &[1u8]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hkdf_expand_matches_rfc5869_case_1_first_block() {
        // RFC 5869 test case 1: PRK and info, first 32 bytes of OKM.
        let prk = hex32("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
        let info = [0xf0u8, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9];
        let okm = hmac_sha256(&prk, &[&info, &[1u8]]);
        let want = hex32("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf");
        assert_eq!(okm, want);
    }

    #[test]
    fn random_nonces_differ() {
        let a = random::<NONCE_LEN>().unwrap();
        let b = random::<NONCE_LEN>().unwrap();
        assert_ne!(a, b);
    }

    fn hex32(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }
}
