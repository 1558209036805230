//! The running hub's view of the token file: the live tokens' salts and
//! hashes, parsed once, behind [`Tokens`] (a data-file snapshot swapped
//! whole when the file changes, on the same poll as the device registry).

use super::file::{TokenError, TokenFile, TokenRegistry, TOKEN_LEN, TOKEN_PREFIX};
use super::Role;
use crate::datafile::{DataFile, DataFileError, Snapshot};
use crate::devices::secrets::{constant_time_eq, password_hash};
use protocol::auth::decode_hex;
use tokio_util::sync::CancellationToken;
use tracing::info;

/// One live token, ready to check.
#[derive(Debug, Clone)]
struct LiveToken {
    name: String,
    role: Role,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

/// Who a bearer token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The token's name.
    pub name: String,
    /// Its role.
    pub role: Role,
}

/// Every live (not revoked) token.
#[derive(Debug, Clone, Default)]
pub struct TokenBook {
    live: Vec<LiveToken>,
}

impl TokenBook {
    /// The book of a token file; a record whose hex does not parse makes the
    /// whole file corrupt.
    pub fn from_file(file: &TokenFile, registry: &TokenRegistry) -> Result<TokenBook, TokenError> {
        let mut live = Vec::new();
        for record in file.tokens.iter().filter(|t| t.revoked_ms.is_none()) {
            let bad = |what: &str| {
                TokenError::File(DataFileError::Corrupt {
                    what: TokenFile::WHAT,
                    path: registry.path(),
                    message: format!("token {:?}: {what}", record.name),
                })
            };
            let salt = decode_hex(&record.salt).ok_or_else(|| bad("bad salt"))?;
            let hash = decode_hex(&record.token_sha256)
                .filter(|h| h.len() == 32)
                .ok_or_else(|| bad("bad token_sha256"))?;
            live.push(LiveToken {
                name: record.name.clone(),
                role: record.role,
                salt,
                hash,
            });
        }
        Ok(TokenBook { live })
    }

    /// Whose `token` is, if it is a live one. Every live token's hash is
    /// computed and compared in constant time, whichever matches, so the
    /// time taken says nothing about how close a guess came; only the shape
    /// (prefix and length, which every token shares) is checked first.
    pub fn holder(&self, token: &str) -> Option<Holder> {
        if token.len() != TOKEN_LEN || !token.starts_with(TOKEN_PREFIX) {
            return None;
        }
        let mut found = None;
        for live in &self.live {
            let matches = constant_time_eq(&password_hash(&live.salt, token), &live.hash);
            if matches && found.is_none() {
                found = Some(Holder {
                    name: live.name.clone(),
                    role: live.role,
                });
            }
        }
        found
    }

    /// How many live tokens.
    pub fn len(&self) -> usize {
        self.live.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }
}

/// The current book, shared by every HTTP request.
pub type Tokens = Snapshot<TokenBook>;

/// Reads the token file into a book.
pub fn load_book(registry: &TokenRegistry) -> Result<TokenBook, TokenError> {
    TokenBook::from_file(&registry.load()?, registry)
}

/// Polls until `cancel`, swapping `tokens` on every change of the file.
pub async fn watch(
    registry: TokenRegistry,
    tokens: Tokens,
    beat: crate::beat::Beat,
    cancel: CancellationToken,
) {
    let path = registry.path();
    crate::datafile::watch(path, TokenFile::WHAT, beat, cancel, move || {
        let book = load_book(&registry)?;
        info!(live = book.len(), "API tokens reloaded");
        tokens.replace(book);
        Ok::<(), TokenError>(())
    })
    .await
}
