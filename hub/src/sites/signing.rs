//! The hub's own signing key, for what it tells other sites' hubs (its
//! stock notices): Ed25519, its seed in `DATA_DIR/site-signing.key` (hex,
//! mode 0600, made at first use). Other hubs check a notice against the
//! public key `hub site-key` prints, set in their config as
//! `[peers.SITE] public_key = "..."`.

use protocol::sites::StockNotice;
use std::path::{Path, PathBuf};

/// The key file's name in the data directory.
pub const KEY_FILE: &str = "site-signing.key";

/// Why a key could not be had or a signature does not check.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// The key file could not be read or written.
    #[error("site signing key {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file does not hold 64 hex digits.
    #[error("site signing key {0} is not 64 hex digits")]
    BadKey(PathBuf),
    /// A public key that is not 64 hex digits of a valid point.
    #[error("bad public key: {0}")]
    BadPublicKey(String),
    /// The signature does not check.
    #[error("the signature does not match the site's public key")]
    BadSignature,
    /// No randomness for a new key.
    #[error(transparent)]
    Random(#[from] crate::devices::secrets::RandomError),
}

/// A hub's signing key.
pub struct SiteKey(ed25519_dalek::SigningKey);

impl std::fmt::Debug for SiteKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SiteKey({})", self.public_hex())
    }
}

impl SiteKey {
    /// The key of the data directory `dir`, made (0600) if it has none.
    pub fn load_or_create(dir: &Path) -> Result<SiteKey, SigningError> {
        let path = dir.join(KEY_FILE);
        let io = |source| SigningError::Io {
            path: path.clone(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let seed = hex32(text.trim()).ok_or_else(|| SigningError::BadKey(path.clone()))?;
                Ok(SiteKey(ed25519_dalek::SigningKey::from_bytes(&seed)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let seed = crate::devices::secrets::random_bytes::<32>()?;
                std::fs::create_dir_all(dir).map_err(io)?;
                let text = format!("{}\n", protocol::auth::encode_hex(&seed));
                crate::datafile::write_private(&path, text.as_bytes()).map_err(io)?;
                Ok(SiteKey(ed25519_dalek::SigningKey::from_bytes(&seed)))
            }
            Err(e) => Err(io(e)),
        }
    }

    /// The public key, 64 hex digits.
    pub fn public_hex(&self) -> String {
        protocol::auth::encode_hex(self.0.verifying_key().as_bytes())
    }

    /// Signs `notice` in place.
    pub fn sign(&self, notice: &mut StockNotice) {
        use ed25519_dalek::Signer;
        notice.signature = self.0.sign(&notice.signed_bytes()).to_bytes().to_vec();
    }
}

impl SiteKey {
    /// The key this hub (of `own` site) shares with the hub of `peer`
    /// whose public key is `peer_hex`, for sealing what they hand each
    /// other: X25519 between the two Ed25519 keys (each side's secret
    /// scalar with the other's public point), hashed with both site names
    /// in order. Both hubs compute the same key; nobody else can.
    pub fn pair_key(
        &self,
        peer_hex: &str,
        own: &str,
        peer: &str,
    ) -> Result<[u8; 32], SigningError> {
        use sha2::{Digest, Sha256};
        let bytes = hex32(peer_hex)
            .ok_or_else(|| SigningError::BadPublicKey("not 64 hex digits".into()))?;
        let theirs = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|e| SigningError::BadPublicKey(e.to_string()))?;
        let shared = theirs.to_montgomery().mul_clamped(self.0.to_scalar_bytes());
        let (a, b) = if own <= peer {
            (own, peer)
        } else {
            (peer, own)
        };
        let mut hash = Sha256::new();
        hash.update(b"wms-handoff-v1");
        hash.update(shared.to_bytes());
        hash.update(a.as_bytes());
        hash.update([0]);
        hash.update(b.as_bytes());
        Ok(hash.finalize().into())
    }
}

/// Checks `notice` against a site's public key (64 hex digits).
pub fn verify(public_hex: &str, notice: &StockNotice) -> Result<(), SigningError> {
    use ed25519_dalek::Verifier;
    let bytes =
        hex32(public_hex).ok_or_else(|| SigningError::BadPublicKey("not 64 hex digits".into()))?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
        .map_err(|e| SigningError::BadPublicKey(e.to_string()))?;
    let signature = ed25519_dalek::Signature::from_slice(&notice.signature)
        .map_err(|_| SigningError::BadSignature)?;
    key.verify(&notice.signed_bytes(), &signature)
        .map_err(|_| SigningError::BadSignature)
}

fn hex32(text: &str) -> Option<[u8; 32]> {
    protocol::auth::decode_hex(text)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> StockNotice {
        StockNotice {
            site: "s1".into(),
            sku: "A".into(),
            available: 4,
            at_ms: 1,
            signature: vec![],
        }
    }

    #[test]
    fn a_key_is_made_once_and_signs_what_its_public_key_checks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = SiteKey::load_or_create(dir.path()).expect("made");
        let again = SiteKey::load_or_create(dir.path()).expect("loaded");
        assert_eq!(key.public_hex(), again.public_hex());
        let mut n = notice();
        key.sign(&mut n);
        verify(&key.public_hex(), &n).expect("checks");
        let other = SiteKey::load_or_create(&dir.path().join("other")).expect("other");
        assert!(verify(&other.public_hex(), &n).is_err());
        for forged in [
            StockNotice {
                available: 400,
                ..n.clone()
            },
            StockNotice {
                site: "s2".into(),
                ..n.clone()
            },
            StockNotice {
                signature: vec![0; 64],
                ..n.clone()
            },
            StockNotice {
                signature: vec![],
                ..n.clone()
            },
        ] {
            assert!(verify(&key.public_hex(), &forged).is_err());
        }
        assert!(verify("zz", &n).is_err());
    }

    #[test]
    fn two_hubs_compute_the_same_pair_key_and_a_third_does_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = |name: &str| SiteKey::load_or_create(&dir.path().join(name)).expect("key");
        let (a, b, c) = (key("a"), key("b"), key("c"));
        let ab = a.pair_key(&b.public_hex(), "s1", "s2").expect("ab");
        let ba = b.pair_key(&a.public_hex(), "s2", "s1").expect("ba");
        assert_eq!(ab, ba);
        assert_ne!(ab, c.pair_key(&b.public_hex(), "s3", "s2").expect("cb"));
        assert_ne!(
            ab,
            a.pair_key(&b.public_hex(), "s1", "s9")
                .expect("other sites")
        );
        assert!(a.pair_key("00", "s1", "s2").is_err());
    }

    #[test]
    fn a_damaged_key_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(KEY_FILE), "not hex\n").expect("write");
        assert!(matches!(
            SiteKey::load_or_create(dir.path()),
            Err(SigningError::BadKey(_))
        ));
    }
}
