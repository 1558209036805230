//! The one error type of the crate.
//!
//! Why it looks like this: personal data must never reach logs, dead letters
//! or error messages, so no variant holds a plaintext, a context string, a
//! customer id or a key byte. Only key file paths (configuration, not
//! personal data), lengths, modes and version numbers appear.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while loading keys or sealing and opening values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrivacyError {
    /// The key file (or its directory) could not be read, created or synced.
    #[error("master key file {path}: cannot {action} it: {source}")]
    KeyFileIo {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: io::Error,
    },
    /// The key file is readable or writable by group or others.
    #[error(
        "master key file {path} has mode {mode:04o}: group and others must have no access \
         (run `chmod 600` on it, and consider the key exposed)"
    )]
    KeyFileMode { path: PathBuf, mode: u32 },
    /// The key file is not a regular file.
    #[error("master key file {path} is not a regular file")]
    KeyFileNotRegular { path: PathBuf },
    /// The key file has the wrong length: damaged, truncated, or not a key file.
    #[error(
        "master key file {path} is {len} bytes: a master key file is 64 hex characters \
         and an optional newline (64 or 65 bytes)"
    )]
    KeyFileLength { path: PathBuf, len: u64 },
    /// The key file has the right length but is not 64 hex characters.
    #[error("master key file {path} is not 64 hex characters (and an optional newline)")]
    KeyFileFormat { path: PathBuf },
    /// The master key given in the environment cannot be parsed. The value
    /// itself is never repeated.
    #[error(
        "master key from the environment is unusable: {reason} \
         (expected 64 hex characters, or base64 of 32 bytes)"
    )]
    EnvKey { reason: &'static str },
    /// The operating system's random source failed.
    #[error("the operating system's random source failed: {0}")]
    Random(getrandom::Error),
    /// AES-GCM refused to encrypt (only for inputs beyond its 64 GiB limit).
    #[error("AES-256-GCM could not encrypt the value")]
    Encrypt,
    /// A wrapped data key did not authenticate: wrong master key, another
    /// customer's key, or damaged bytes.
    #[error(
        "the customer's data key cannot be unwrapped: wrong master key, \
         another customer's wrapped key, or damaged"
    )]
    Unwrap,
    /// A sealed value did not authenticate: wrong data key, moved to another
    /// field or order, or damaged bytes.
    #[error("a sealed value cannot be opened: wrong data key, wrong field or order, or damaged")]
    Open,
    /// A sealed value or wrapped key of a format version this build does not read.
    #[error("{what} has format version {version}; this build reads version 1")]
    UnknownVersion { what: &'static str, version: u8 },
    /// A sealed value or wrapped key whose length cannot be right.
    #[error("{what} of {len} bytes is malformed: {expected}")]
    Malformed {
        what: &'static str,
        len: usize,
        expected: &'static str,
    },
}
