//! The master key file: loaded if present, created once if not.
//!
//! Format: 64 lowercase hex characters and a newline (65 bytes), mode 0600,
//! the same text the environment variable takes, so an operator can move a
//! key from the file to the environment with `cat`. Why it is strict: a key
//! file that group or others can read may already have leaked, and one of
//! the wrong length is damaged or not a key at all; starting with it would
//! make sealed data unreadable or quietly seal new data under a wrong key.
//!
//! Creation never overwrites and never leaves a half-written key file: the
//! key is written and synced under a temporary name in the same directory,
//! then hard-linked to the final name (which fails if that name exists),
//! the temporary name is removed and the directory is synced.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::aead::random;
use crate::master::decode_hex;
use crate::{MasterKey, PrivacyError};

/// Whether [`MasterKey::load_or_create`] found the key file or made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// The file existed and was loaded.
    Existing,
    /// There was no file: a new key was generated and written to it. The
    /// hub should say where, and that the file must be backed up: without
    /// it no sealed customer data can ever be read again.
    New,
}

impl MasterKey {
    /// Loads the key file at `path`, or creates it with a new random key
    /// (mode 0600) when there is none. The parent directory must exist.
    pub fn load_or_create(path: &Path) -> Result<(MasterKey, Created), PrivacyError> {
        if let Some(key) = load_if_present(path)? {
            return Ok((key, Created::Existing));
        }
        let key = MasterKey::generate()?;
        if write_new(path, &key)? {
            return Ok((key, Created::New));
        }
        // Another process created it between our look and our link.
        let key = load_if_present(path)?.ok_or_else(|| io_error(path, "read", not_found()))?;
        Ok((key, Created::Existing))
    }

    /// Loads the key file at `path`; it must exist.
    pub fn load(path: &Path) -> Result<MasterKey, PrivacyError> {
        load_if_present(path)?.ok_or_else(|| io_error(path, "open", not_found()))
    }
}

/// The key in the file at `path`, `None` if there is no such file.
fn load_if_present(path: &Path) -> Result<Option<MasterKey>, PrivacyError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(io_error(path, "open", err)),
    };
    // Checked on the open file, so a swap after the check cannot matter.
    let meta = file.metadata().map_err(|e| io_error(path, "inspect", e))?;
    if !meta.is_file() {
        return Err(PrivacyError::KeyFileNotRegular { path: owned(path) });
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(PrivacyError::KeyFileMode {
            path: owned(path),
            mode,
        });
    }
    let mut text = Zeroizing::new(Vec::with_capacity(66));
    file.take(66)
        .read_to_end(&mut text)
        .map_err(|e| io_error(path, "read", e))?;
    let hex = match text.as_slice() {
        [hex @ .., b'\n'] if hex.len() == 64 => hex,
        hex if hex.len() == 64 => hex,
        other => {
            return Err(PrivacyError::KeyFileLength {
                path: owned(path),
                len: meta.len().max(other.len() as u64),
            })
        }
    };
    let bytes = decode_hex(hex).ok_or_else(|| PrivacyError::KeyFileFormat { path: owned(path) })?;
    Ok(Some(MasterKey::from_bytes(&bytes)))
}

/// Writes `key` to a new file at `path`; `false` if `path` already exists.
fn write_new(path: &Path, key: &MasterKey) -> Result<bool, PrivacyError> {
    let dir = parent_dir(path);
    let tmp = temp_name(path)?;
    let written = write_synced(&tmp, key);
    let linked = written.and_then(|()| publish(&tmp, path));
    let removed = fs::remove_file(&tmp);
    let created = match linked {
        Ok(()) => true,
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => false,
        Err(err) => return Err(io_error(path, "create", err)),
    };
    match removed {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        Err(err) => return Err(io_error(&tmp, "remove", err)),
    }
    sync_dir(dir).map_err(|e| io_error(dir, "sync the directory of", e))?;
    Ok(created)
}

/// Gives the written `tmp` the name `path`, never replacing a file there:
/// a hard link (fails if `path` exists). On a file system without hard
/// links (some FUSE file systems, among them the power-cut test's), a
/// rename after checking that `path` does not exist: that check and the
/// rename can race with another process making the same file, which the
/// hub rules out by holding its store's lock before it makes the key.
fn publish(tmp: &Path, path: &Path) -> io::Result<()> {
    match fs::hard_link(tmp, path) {
        Err(err) if no_hard_links(&err) => {
            if fs::symlink_metadata(path).is_ok() {
                return Err(io::Error::from(io::ErrorKind::AlreadyExists));
            }
            fs::rename(tmp, path)
        }
        other => other,
    }
}

/// Whether `err` says the file system has no hard links.
fn no_hard_links(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::PermissionDenied
        || err.kind() == io::ErrorKind::Unsupported
        || matches!(err.raw_os_error(), Some(1) | Some(95) | Some(38))
}

/// Creates `tmp` (mode 0600, must not exist), writes the key and syncs it.
fn write_synced(tmp: &Path, key: &MasterKey) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(tmp)?;
    let mut text = key.to_hex();
    text.push('\n');
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// `.<name>.tmp-<random>` beside `path`.
fn temp_name(path: &Path) -> Result<PathBuf, PrivacyError> {
    let name = path
        .file_name()
        .ok_or_else(|| io_error(path, "create", io::ErrorKind::InvalidInput.into()))?;
    let suffix: [u8; 8] = random()?;
    let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    let mut tmp = std::ffi::OsString::from(".");
    tmp.push(name);
    tmp.push(format!(".tmp-{suffix}"));
    Ok(parent_dir(path).join(tmp))
}

/// The directory holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Makes a directory's entries durable (the new link, the removed temp name).
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn not_found() -> io::Error {
    io::ErrorKind::NotFound.into()
}

fn owned(path: &Path) -> PathBuf {
    path.to_path_buf()
}

fn io_error(path: &Path, action: &'static str, source: io::Error) -> PrivacyError {
    PrivacyError::KeyFileIo {
        path: owned(path),
        action,
        source,
    }
}
