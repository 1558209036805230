//! Opening a sealed store: the checks before sled runs, sled's open under
//! `catch_unwind`, and the [`Keeper`] that maintains the seal while the
//! store is open and closes it cleanly (manifest and all) when dropped.

use crate::durable::SledFiles;
use crate::manifest;
use crate::seal::{Kind, Seal, SealFile, SEAL_FILE};
use crate::{io_error, SealError};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tracing::{debug, warn};

/// sled's file holding its configuration; written once when created.
const CONF_FILE: &str = "conf";
/// sled's data file.
const DB_FILE: &str = "db";

/// A store directory that passed the checks, opened.
pub struct Opened {
    /// The sled database.
    pub db: sled::Db,
    /// The seal's keeper; drop it after every handle on `db`.
    pub keeper: Keeper,
    /// The mark the store must reach (see [`Seal::mark`]).
    pub mark: u64,
}

/// Opens the sled store in `dir` (created if empty) after checking, without
/// writing anything, that it is in our format, that `conf` is unchanged and,
/// after a clean shutdown, that every file is as it was left. `config` is
/// sled's configuration without a path.
pub fn open(dir: &Path, kind: Kind, config: sled::Config) -> Result<Opened, SealError> {
    create_store_dir(dir)?;
    let mut seal_file = if dir.join(SEAL_FILE).exists() {
        let file = SealFile::open(dir, kind)?;
        if !dir.join(DB_FILE).exists() {
            return Err(SealError::FileDamaged {
                path: dir.join(DB_FILE),
                problem: "missing".into(),
            });
        }
        file
    } else if has_sled_files(dir)? {
        return Err(SealError::NoFormatMarker {
            dir: dir.to_path_buf(),
        });
    } else {
        SealFile::create(dir, kind)?
    };
    let seal = seal_file.seal();
    check_conf(dir, seal.conf_crc)?;
    if seal.clean {
        manifest::check(dir, seal.manifest_crc)?;
    }
    // Durably "open" before sled writes a byte: a crash from here on must
    // never leave a clean seal that no longer matches the files.
    seal_file.write(
        Seal {
            clean: false,
            ..seal
        },
        true,
    )?;
    let db = without_panic(dir, || config.path(dir).open())?.map_err(|source| SealError::Sled {
        dir: dir.to_path_buf(),
        source,
    })?;
    if seal.conf_crc == 0 {
        let conf_crc = conf_crc(dir)?;
        seal_file.write(
            Seal {
                conf_crc,
                ..seal_file.seal()
            },
            true,
        )?;
    }
    let files = SledFiles::open(dir)?;
    debug!(dir = %dir.display(), mark = seal.mark, "store opened");
    Ok(Opened {
        db,
        mark: seal.mark,
        keeper: Keeper {
            dir: dir.to_path_buf(),
            seal: Mutex::new(seal_file),
            files: Mutex::new(files),
            close_cleanly: AtomicBool::new(true),
        },
    })
}

/// Creates `dir` if it is missing and makes its new directory entry durable
/// (a store whose directory a power cut takes is a store lost whole).
fn create_store_dir(dir: &Path) -> Result<(), SealError> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => manifest::sync_dir(parent),
        _ => manifest::sync_dir(Path::new(".")),
    }
}

/// Runs `f` (sled code) and turns a panic into [`SealError::SledPanicked`].
pub fn without_panic<T>(dir: &Path, f: impl FnOnce() -> T) -> Result<T, SealError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        SealError::SledPanicked {
            dir: dir.to_path_buf(),
            message,
        }
    })
}

fn has_sled_files(dir: &Path) -> Result<bool, SealError> {
    Ok(!crate::manifest::sled_files(dir)?.is_empty())
}

fn conf_crc(dir: &Path) -> Result<u32, SealError> {
    let path = dir.join(CONF_FILE);
    let bytes = std::fs::read(&path).map_err(|e| SealError::FileDamaged {
        path: path.clone(),
        problem: format!("cannot read sled's configuration: {e}"),
    })?;
    Ok(crc32fast::hash(&bytes))
}

fn check_conf(dir: &Path, expected: u32) -> Result<(), SealError> {
    if expected == 0 {
        return Ok(());
    }
    let found = conf_crc(dir)?;
    if found != expected {
        return Err(SealError::FileDamaged {
            path: dir.join(CONF_FILE),
            problem: format!(
                "sled's configuration changed (crc32 {found:08x}, sealed {expected:08x})"
            ),
        });
    }
    Ok(())
}

/// Waits until no sled handle holds `dir`'s data file (sled drops its lock
/// only when its last I/O task ends); false on timeout.
pub fn wait_released(dir: &Path, timeout: Duration) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(file) = std::fs::File::open(dir.join(DB_FILE)) else {
        return true;
    };
    let deadline = Instant::now() + timeout;
    loop {
        // SAFETY: flock(2) on a descriptor we own; closing it unlocks.
        let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if locked == 0 {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Keeps the seal of an open store; on drop (after the last sled handle is
/// gone) writes the manifest and marks the seal clean.
#[derive(Debug)]
pub struct Keeper {
    dir: PathBuf,
    seal: Mutex<SealFile>,
    files: Mutex<SledFiles>,
    close_cleanly: AtomicBool,
}

impl Keeper {
    /// Makes everything sled has flushed durable ([`SledFiles::sync`]:
    /// the data file, new files, changed directories), then records `mark`
    /// in the seal and syncs that too. Call it after `flush()` and before
    /// confirming anything the flush wrote: when it returns, a power cut
    /// keeps both the data and the mark. The order matters: the seal never
    /// claims a mark the data file could still lose.
    pub fn persist(&self, mark: u64) -> Result<(), SealError> {
        self.sync_files()?;
        let mut file = self.seal.lock().unwrap_or_else(|p| p.into_inner());
        let seal = Seal {
            mark,
            ..file.seal()
        };
        file.write(seal, true)
    }

    /// Makes everything sled has flushed durable, without moving the mark
    /// (for writes that confirm nothing new, such as a journal's repair).
    pub fn sync_files(&self) -> Result<(), SealError> {
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        files.sync()
    }

    /// Whether the store's data file is still the one at its path (see
    /// [`SledFiles::in_place`]): false after the directory was deleted or
    /// replaced under the open store.
    pub fn files_in_place(&self) -> bool {
        self.files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .in_place()
    }

    /// How many times sled's data file was synced since the store opened.
    pub fn data_syncs(&self) -> u64 {
        self.files.lock().unwrap_or_else(|p| p.into_inner()).syncs()
    }

    /// The mark last recorded.
    pub fn mark(&self) -> u64 {
        self.seal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .seal()
            .mark
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// After a storage error: leave the seal open on drop (no manifest of
    /// files sled may not have finished writing, no writes to a full disk).
    pub fn forgo_clean_close(&self) {
        self.close_cleanly.store(false, Ordering::Release);
    }

    fn close(&mut self) -> Result<(), SealError> {
        if !wait_released(&self.dir, Duration::from_secs(5)) {
            warn!(dir = %self.dir.display(), "sled still holds the store; seal left open");
            return Ok(());
        }
        // sled's last flush at drop was a `sync_file_range` only: the
        // manifest must never describe files a power cut can still change.
        self.files
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .sync()?;
        let manifest_crc = manifest::write(&self.dir)?;
        let file = self.seal.get_mut().unwrap_or_else(|p| p.into_inner());
        let seal = Seal {
            clean: true,
            manifest_crc,
            ..file.seal()
        };
        file.write(seal, true)
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        if !self.close_cleanly.load(Ordering::Acquire) {
            return;
        }
        match self.close() {
            Ok(()) => debug!(dir = %self.dir.display(), "store sealed clean"),
            Err(e) => {
                warn!(error = %e, "cannot seal the store clean; the next start checks its content only")
            }
        }
    }
}
