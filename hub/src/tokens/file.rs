//! The token file, `DATA/tokens.json`, and the commands that change it.
//!
//! A token is `wms_` and 64 hex digits (32 random bytes): the prefix lets
//! people and secret scanners recognise one. It is shown once, when made;
//! the file keeps a salted SHA-256 of it, its name and role. Why a plain
//! salted hash and not a slow password hash: the token is 32 random bytes,
//! not a word a person chose, so there is nothing for a dictionary to
//! guess. Revoked tokens stay in the file, marked, so `hub token list`
//! shows what was revoked and when; their names are not reused.

use super::Role;
use crate::datafile::{write_private, DataFile, DataFileError, LockedJson};
use crate::devices::secrets::{self, RandomError};
use protocol::auth::encode_hex;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The token file's name in the data directory.
pub const FILE_NAME: &str = "tokens.json";
/// The file the first start writes its operator token to.
pub const OPERATOR_TOKEN_FILE: &str = "operator-token";
/// The name of the token the first start makes.
pub const FIRST_TOKEN_NAME: &str = "operator";
/// How every token starts.
pub const TOKEN_PREFIX: &str = "wms_";
/// The length of a whole token.
pub const TOKEN_LEN: usize = TOKEN_PREFIX.len() + 2 * secrets::SECRET_LEN;

/// One token as stored: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRecord {
    /// Who or what holds it ("shop-de", "grafana").
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// Salt of `token_sha256`, hex.
    pub salt: String,
    /// SHA-256 of salt and token, hex.
    pub token_sha256: String,
    /// When it was made, ms since the Unix epoch.
    pub created_ms: u64,
    /// When it was revoked.
    pub revoked_ms: Option<u64>,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenFile {
    /// Format version, 1.
    pub version: u32,
    /// Every token ever made (revoked ones stay, marked).
    pub tokens: Vec<TokenRecord>,
}

impl DataFile for TokenFile {
    const FILE_NAME: &'static str = FILE_NAME;
    const LOCK_NAME: &'static str = "tokens.lock";
    const WHAT: &'static str = "token file";
    const VERSION: u32 = 1;

    fn empty() -> TokenFile {
        TokenFile {
            version: 1,
            tokens: Vec::new(),
        }
    }

    fn version(&self) -> u32 {
        self.version
    }
}

/// Why a token command failed.
#[derive(Debug, Error)]
pub enum TokenError {
    /// Reading, writing or locking the file failed, or it is not a token file.
    #[error(transparent)]
    File(#[from] DataFileError),
    /// `create` with a name already taken (by a live or a revoked token).
    #[error("a token named {0:?} already exists (names of revoked tokens are not reused)")]
    Exists(String),
    /// A name that is not in the file.
    #[error("no token named {0:?}")]
    Unknown(String),
    /// A name that cannot be one.
    #[error("bad token name: {0}")]
    BadName(String),
    /// The first-start token file could not be written.
    #[error("cannot write the operator token to {path}: {source}")]
    OperatorFile {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// No randomness.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// The tokens of one data directory.
#[derive(Debug, Clone)]
pub struct TokenRegistry {
    file: LockedJson<TokenFile>,
}

impl TokenRegistry {
    /// The token file in data directory `dir` (created on the first write).
    pub fn new(dir: &Path) -> TokenRegistry {
        TokenRegistry {
            file: LockedJson::new(dir),
        }
    }

    /// The token file's path.
    pub fn path(&self) -> PathBuf {
        self.file.path()
    }

    /// Reads the file; a missing file has no tokens.
    pub fn load(&self) -> Result<TokenFile, TokenError> {
        Ok(self.file.load()?)
    }

    /// Makes a token named `name` with `role`; returns the token, which is
    /// not kept anywhere.
    pub fn create(&self, name: &str, role: Role, now_ms: u64) -> Result<String, TokenError> {
        check_name(name)?;
        self.file.update(|file| {
            if file.tokens.iter().any(|t| t.name == name) {
                return Err(TokenError::Exists(name.to_string()));
            }
            let (record, token) = new_token(name, role, now_ms)?;
            file.tokens.push(record);
            Ok(token)
        })
    }

    /// Revokes the token named `name` (a running hub refuses it within
    /// about a second). Revoking a revoked token keeps its first date.
    pub fn revoke(&self, name: &str, now_ms: u64) -> Result<(), TokenError> {
        self.file.update(|file| {
            let record = file
                .tokens
                .iter_mut()
                .find(|t| t.name == name)
                .ok_or_else(|| TokenError::Unknown(name.to_string()))?;
            record.revoked_ms.get_or_insert(now_ms);
            Ok(())
        })
    }

    /// On a data directory that has never had a token: makes an operator
    /// token named [`FIRST_TOKEN_NAME`] and writes it to
    /// `DATA/`[`OPERATOR_TOKEN_FILE`] (mode 0600). Returns that file's path
    /// when it did; a directory with any token, revoked ones included, is
    /// left alone (revoking every token is a choice, not a first start).
    pub fn bootstrap(&self, now_ms: u64) -> Result<Option<PathBuf>, TokenError> {
        if !self.load()?.tokens.is_empty() {
            return Ok(None);
        }
        let out = self.file.dir().join(OPERATOR_TOKEN_FILE);
        self.file.update(|file| {
            if !file.tokens.is_empty() {
                return Ok(None);
            }
            let (record, token) = new_token(FIRST_TOKEN_NAME, Role::Operator, now_ms)?;
            // The file first: a crash before the registry write leaves a
            // token nobody accepts, and the next start makes another.
            write_private(&out, format!("{token}\n").as_bytes()).map_err(|source| {
                TokenError::OperatorFile {
                    path: out.clone(),
                    source,
                }
            })?;
            file.tokens.push(record);
            Ok(Some(out.clone()))
        })
    }
}

fn new_token(name: &str, role: Role, now_ms: u64) -> Result<(TokenRecord, String), TokenError> {
    let token = format!("{TOKEN_PREFIX}{}", secrets::new_password()?);
    let salt = secrets::random_bytes::<{ secrets::SALT_LEN }>()?;
    let record = TokenRecord {
        name: name.to_string(),
        role,
        salt: encode_hex(&salt),
        token_sha256: encode_hex(&secrets::password_hash(&salt, &token)),
        created_ms: now_ms,
        revoked_ms: None,
    };
    Ok((record, token))
}

/// A token name: what an id may be (printable ASCII, no spaces, at most
/// 64 bytes), so that `hub token list` prints it as it is.
fn check_name(name: &str) -> Result<(), TokenError> {
    protocol::validate::check_id("token name", name).map_err(|e| TokenError::BadName(e.to_string()))
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
