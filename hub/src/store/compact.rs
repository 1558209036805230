//! Compaction: copying the store into a fresh sled database, the one sure
//! way to give back the space sled 0.34 holds in its data file.
//!
//! Why: sled frees a region of its data file only once its accounting says
//! nothing live is left there, and under the hub's load that accounting
//! leaves regions draining for good (seen with sled's own counters: after
//! a million writes, 526 of 540 regions were waiting on pages already
//! moved). Relocation ([`crate::store::relocate`]) slows the growth; only
//! a copy ends it. A copy needs the store closed, so it runs when the
//! store opens: at start, and when the hub restarts itself in-process
//! because the data file passed its limit (`run::run`, with the upkeep
//! asking; devices keep their journals meanwhile and resend).
//!
//! How ([`compact`]):
//! 1. the store is opened with every check, and each tree copied into a
//!    new store in `compact.new/`, sealed with the same mark, flushed and
//!    closed cleanly (its manifest written);
//! 2. `compact.state` says `ready` (written to a temporary file, synced,
//!    renamed, the directory synced);
//! 3. every store file in the data directory moves to `compact.old/`, and
//!    the state says `moved`;
//! 4. every file of `compact.new/` moves into the data directory;
//! 5. the state file goes, then `compact.old/` and `compact.new/`.
//!
//! A crash before 2 leaves the old store whole (the next open deletes
//! `compact.new/`); from 2 on, the next open finishes the move from the
//! step the state names ([`finish_interrupted`]). The event log archive and
//! the hub's other files in the directory are never touched.

use crate::store::{Store, StoreError};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the copy is built.
pub const NEW_DIR: &str = "compact.new";
/// Where the old store's files wait for deletion.
pub const OLD_DIR: &str = "compact.old";
/// How far a swap got: `ready` or `moved`.
pub const STATE_FILE: &str = "compact.state";
/// What the last compaction left: `count size` (bytes of the data file).
pub const RECORD_FILE: &str = "wms-compacted";

/// How long a closed store may take to release its files.
const RELEASE_WAIT: Duration = Duration::from_secs(30);

/// When the store is compacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactPolicy {
    /// Size of sled's data file, bytes, past which the store is compacted
    /// (0: never). Raised to twice what the last compaction left, so a
    /// store whose live data is that large is not copied at every open.
    pub limit: u64,
    /// The quiet hour in which a running hub compacts early, once the file
    /// is past half its limit, so the restart rarely falls in a shift.
    pub quiet: Option<QuietHour>,
}

impl Default for CompactPolicy {
    fn default() -> CompactPolicy {
        CompactPolicy {
            limit: 1 << 30,
            quiet: None,
        }
    }
}

/// An hour of the site's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHour {
    /// Its start, minutes after the site's midnight.
    pub minute_of_day: u32,
    /// Site time minus UTC, minutes.
    pub offset_minutes: i32,
}

impl QuietHour {
    /// Whether `now_ms` (UTC) falls in the hour.
    pub fn contains(&self, now_ms: u64) -> bool {
        const DAY: i64 = 24 * 60;
        let utc_minute = (now_ms / 60_000) as i64;
        let site_minute = (utc_minute + i64::from(self.offset_minutes)).rem_euclid(DAY);
        (site_minute - i64::from(self.minute_of_day)).rem_euclid(DAY) < 60
    }
}

/// Why a running hub should compact now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// The data file is past its limit.
    PastLimit,
    /// It is the quiet hour and the file is past half its limit.
    QuietHour,
}

/// Whether a running hub should compact its store now, given the data
/// file's `size`, its `limit` ([`limit`]) and the time. Pure.
pub fn due_now(
    size: u64,
    limit: Option<u64>,
    quiet: Option<QuietHour>,
    now_ms: u64,
) -> Option<Due> {
    let limit = limit?;
    if size > limit {
        return Some(Due::PastLimit);
    }
    let quiet = quiet.is_some_and(|q| q.contains(now_ms));
    (quiet && size > limit / 2).then_some(Due::QuietHour)
}

/// What a compaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compacted {
    /// The data file before, bytes.
    pub before: u64,
    /// The data file after, bytes.
    pub after: u64,
    /// Records copied.
    pub records: u64,
}

/// Compactions so far and the data file's size after the last one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Record {
    /// Compactions done.
    pub count: u64,
    /// Bytes the last one left.
    pub size: u64,
}

/// Reads [`RECORD_FILE`] (none yet: zeros; unreadable: zeros, logged).
pub fn record(dir: &Path) -> Record {
    let Ok(text) = std::fs::read_to_string(dir.join(RECORD_FILE)) else {
        return Record::default();
    };
    let mut numbers = text.split_whitespace().map(str::parse::<u64>);
    match (numbers.next(), numbers.next()) {
        (Some(Ok(count)), Some(Ok(size))) => Record { count, size },
        _ => {
            tracing::warn!(
                file = RECORD_FILE,
                "unreadable compaction record; starting again"
            );
            Record::default()
        }
    }
}

/// The data file's size past which the store in `dir` is compacted; `None`
/// when the policy says never.
pub fn limit(dir: &Path, policy: CompactPolicy) -> Option<u64> {
    (policy.limit > 0).then(|| policy.limit.max(record(dir).size.saturating_mul(2)))
}

/// The size of sled's data file in `dir`, bytes (0: none).
pub fn data_file_bytes(dir: &Path) -> u64 {
    std::fs::metadata(dir.join("db"))
        .map(|m| m.len())
        .unwrap_or(0)
}

/// Finishes or undoes an interrupted compaction, then compacts if the data
/// file is past its limit. Call before the store opens. A copy that
/// cannot be made (a full disk, say) is not an error: the store stays as
/// it was, the failure is logged, and the next try waits until the file
/// has doubled; only a swap that cannot be finished is.
pub fn compact_if_due(dir: &Path, policy: CompactPolicy) -> Result<Option<Compacted>, StoreError> {
    let _lock = CompactLock::take(dir)?;
    finish_locked(dir)?;
    let Some(limit) = limit(dir, policy) else {
        return Ok(None);
    };
    let before = data_file_bytes(dir);
    if before <= limit {
        return Ok(None);
    }
    match copy_locked(dir) {
        Ok(records) => swap_locked(dir, before, records).map(Some),
        Err(e) => {
            tracing::error!(error = %e, data_file_mib = before >> 20, "cannot compact the store; it stays as it is");
            remove_dir(&dir.join(NEW_DIR))?;
            let count = record(dir).count;
            write_file(dir, RECORD_FILE, format!("{count} {before}\n").as_bytes())?;
            Ok(None)
        }
    }
}

/// Copies the (closed) store in `dir` into a fresh database and puts it in
/// the old one's place (see the module docs), after finishing an
/// interrupted compaction.
pub fn compact(dir: &Path) -> Result<Compacted, StoreError> {
    let _lock = CompactLock::take(dir)?;
    finish_locked(dir)?;
    let before = data_file_bytes(dir);
    let records = copy_locked(dir)?;
    swap_locked(dir, before, records)
}

/// Step 1, with room for the copy checked first.
fn copy_locked(dir: &Path) -> Result<u64, StoreError> {
    let new = dir.join(NEW_DIR);
    remove_dir(&new)?;
    let free = crate::store::floor::free_bytes(dir).map_err(io_error(dir))?;
    let needed = data_file_bytes(dir);
    if free < needed {
        return Err(StoreError::Inconsistent(format!(
            "compaction: {} MiB free in {}, the copy may need up to {} MiB",
            free >> 20,
            dir.display(),
            needed >> 20
        )));
    }
    copy_store(dir, &new)
}

/// Steps 2 to 5, and the record of what the compaction left.
fn swap_locked(dir: &Path, before: u64, records: u64) -> Result<Compacted, StoreError> {
    write_state(dir, "ready")?;
    finish_locked(dir)?;
    let after = data_file_bytes(dir);
    let count = record(dir).count + 1;
    write_file(dir, RECORD_FILE, format!("{count} {after}\n").as_bytes())?;
    Ok(Compacted {
        before,
        after,
        records,
    })
}

/// Whether a compaction was interrupted after it began to move files: the
/// store must not be opened until it is finished
/// ([`finish_interrupted`], which the hub's start and `hub compact` run).
pub fn interrupted(dir: &Path) -> bool {
    dir.join(STATE_FILE).exists() || dir.join(OLD_DIR).exists()
}

/// One compaction at a time per data directory: an exclusive lock on the
/// directory itself (no file is made: a start that is refused leaves the
/// directory as it found it).
struct CompactLock {
    _dir: std::fs::File,
}

impl CompactLock {
    fn take(dir: &Path) -> Result<CompactLock, StoreError> {
        use std::os::fd::AsRawFd;
        let handle = std::fs::File::open(dir).map_err(io_error(dir))?;
        // SAFETY: flock(2) on a descriptor we own; closing it unlocks.
        let locked = unsafe { libc::flock(handle.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if locked != 0 {
            return Err(StoreError::Inconsistent(format!(
                "{}: another compaction of this store is running",
                dir.display()
            )));
        }
        Ok(CompactLock { _dir: handle })
    }
}

/// Step 1: the copy, closed cleanly with the old store's mark.
fn copy_store(dir: &Path, new: &Path) -> Result<u64, StoreError> {
    let old = Store::open(dir)?;
    let mark = old.seal.keeper.mark();
    let opened = storeseal::open(
        new,
        storeseal::Kind::HubStore,
        crate::store::sled_config(crate::store::DEFAULT_CACHE_BYTES),
    )?;
    let mut records = 0;
    for name in old.db.tree_names() {
        let from = old.db.open_tree(&name)?;
        let to = opened.db.open_tree(&name)?;
        records += copy_tree(&from, &to)?;
    }
    opened.db.flush()?;
    opened.keeper.persist(mark)?;
    drop(opened.db);
    drop(opened.keeper);
    drop(old);
    if !storeseal::wait_released(dir, RELEASE_WAIT) || !storeseal::wait_released(new, RELEASE_WAIT)
    {
        return Err(StoreError::Inconsistent(
            "compaction: sled did not release the store's files".into(),
        ));
    }
    Ok(records)
}

/// Copies every record of `from` into `to`, in batches.
fn copy_tree(from: &sled::Tree, to: &sled::Tree) -> Result<u64, StoreError> {
    let mut batch = sled::Batch::default();
    let (mut n, mut in_batch) = (0u64, 0usize);
    for item in from.iter() {
        let (key, value) = item?;
        batch.insert(key, value);
        n += 1;
        in_batch += 1;
        if in_batch == 4_096 {
            to.apply_batch(std::mem::take(&mut batch))?;
            in_batch = 0;
        }
    }
    to.apply_batch(batch)?;
    Ok(n)
}

/// Steps 3 to 5 from wherever a crash left them; undoes step 1 when step 2
/// never happened.
pub fn finish_interrupted(dir: &Path) -> Result<(), StoreError> {
    let _lock = CompactLock::take(dir)?;
    finish_locked(dir)
}

fn finish_locked(dir: &Path) -> Result<(), StoreError> {
    let new = dir.join(NEW_DIR);
    let old = dir.join(OLD_DIR);
    let state = std::fs::read_to_string(dir.join(STATE_FILE)).ok();
    match state.as_deref().map(str::trim) {
        None => {
            // Nothing was moved: a half-built copy, or leftovers of a
            // finished swap.
            remove_dir(&new)?;
            return remove_dir(&old);
        }
        Some("ready") => {
            // The old store moves out only for a whole copy.
            whole_store(&new)?;
            create_dir(&old)?;
            for name in store_files(dir)? {
                rename(&dir.join(&name), &old.join(&name))?;
            }
            sync_dir(&old)?;
            sync_dir(dir)?;
            write_state(dir, "moved")?;
        }
        Some("moved") => {}
        Some(other) => {
            return Err(StoreError::Inconsistent(format!(
                "{}: unknown compaction state {other:?}",
                dir.join(STATE_FILE).display()
            )))
        }
    }
    for name in store_files(&new)? {
        rename(&new.join(&name), &dir.join(&name))?;
    }
    sync_dir(dir)?;
    // The old store goes only once a whole one is in its place.
    whole_store(dir)?;
    let state = dir.join(STATE_FILE);
    std::fs::remove_file(&state).map_err(io_error(&state))?;
    sync_dir(dir)?;
    remove_dir(&new)?;
    remove_dir(&old)
}

/// Refuses unless `dir` holds a store's three vital files; nothing moves
/// or is deleted then, and the error says where things are.
fn whole_store(dir: &Path) -> Result<(), StoreError> {
    for name in ["conf", "db", "wms-seal"] {
        if !dir.join(name).is_file() {
            return Err(StoreError::Inconsistent(format!(
                "an interrupted compaction cannot go on: {} is missing; the old store \
                 is in {} (or still in place) and the copy in {}; nothing was deleted",
                dir.join(name).display(),
                OLD_DIR,
                NEW_DIR
            )));
        }
    }
    Ok(())
}

/// The store's own files in `dir`: sled's (`conf`, `db`, `snap.*`,
/// `blobs/`) and the seal's.
fn store_files(dir: &Path) -> Result<Vec<String>, StoreError> {
    let mut names = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(names),
        Err(e) => return Err(io_error(dir)(e)),
    };
    for entry in entries {
        let name = entry.map_err(io_error(dir))?.file_name();
        let name = name.to_string_lossy().into_owned();
        let ours = name.starts_with("wms-seal") || name.starts_with("wms-manifest");
        if ours || storeseal::manifest::is_sled_file(&name) || name == "blobs" {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

fn write_state(dir: &Path, state: &str) -> Result<(), StoreError> {
    write_file(dir, STATE_FILE, format!("{state}\n").as_bytes())
}

/// Writes `name` in `dir` durably ([`crate::datafile::write_private`]:
/// a synced temporary file, renamed, the directory synced).
fn write_file(dir: &Path, name: &str, body: &[u8]) -> Result<(), StoreError> {
    let path = dir.join(name);
    crate::datafile::write_private(&path, body).map_err(io_error(&path))
}

fn rename(from: &Path, to: &Path) -> Result<(), StoreError> {
    std::fs::rename(from, to).map_err(io_error(from))
}

fn create_dir(dir: &Path) -> Result<(), StoreError> {
    std::fs::create_dir_all(dir).map_err(io_error(dir))
}

fn remove_dir(dir: &Path) -> Result<(), StoreError> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error(dir)(e)),
        _ => Ok(()),
    }
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    Ok(storeseal::manifest::sync_dir(dir)?)
}

/// An I/O error on `path`.
fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
    let path: PathBuf = path.to_path_buf();
    move |source| StoreError::Compaction { path, source }
}

#[cfg(test)]
#[path = "compact_tests.rs"]
mod tests;
