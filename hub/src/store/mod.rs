//! The hub's durable state in sled, and its layout.
//!
//! One tree, `pool`, with a one-byte prefix per kind of record, so that a
//! whole group commit (events, stock, watermarks, reservations, alerts,
//! discrepancies, ... and counters) is a single atomic `apply_batch`
//! followed by a single `flush`:
//!
//! | key                                 | value                                |
//! |-------------------------------------|--------------------------------------|
//! | `e` + log entry id (u64 BE)         | [`EventRecord`] (one batch)          |
//! | `s` + sku 0x00 location 0x00 lot    | on-hand, i64 BE                      |
//! | `w` + device 0x00 epoch (u64 BE)    | [`DeviceRecord`] of that stream      |
//! | `i` + device 0x00 epoch first seq   | id of the log entry of that stream starting there (u64) |
//! | `d` + dead-letter id (u64 BE)       | [`DeadLetter`]                       |
//! | `q` + first reservation id (u64 BE) | reservations one group created (<=512) |
//! | `r` + reservation id (u64 BE)       | [`Reservation`] changed later        |
//! | `t` + sku                           | [`SafetyRule`](crate::safety::SafetyRule) |
//! | `a` + alert id (u64 BE)             | [`Alert`]                            |
//! | `x` + discrepancy id (u64 BE)       | [`Discrepancy`]                      |
//! | `k` + count task id (u64 BE)        | [`CountTask`]                        |
//! | `l` + sku 0x00 lot                  | [`LotInfo`](crate::lots::LotInfo) (FIFO rank) |
//! | `p` + report id (u64 BE)            | reconciliation report (JSON)         |
//! | `o` + order id (u64 BE)             | [`Order`](crate::orders::Order) (customer sealed; open ones loaded at start) |
//! | `O` + `p`/`t`/`c` + ...             | final orders by (platform, platform order id), by tracking number, by customer ([`order_index`]) |
//! | `c` + customer key (keyed hash)     | [`Customer`](crate::orders::Customer) (wrapped data key) |
//! | `u` + audit entry id (u64 BE)       | [`AuditEntry`](crate::orders::AuditEntry) |
//! | `g` + allocation id (u64 BE)        | [`Allocation`](crate::allocations::Allocation) (stock set aside for a channel) |
//! | `j` + task id (u64 BE)              | [`Task`](hub_core::tasks::Task) (a pick list or a count, with its lines) |
//! | `n` + task id (u64 BE)              | () while the task is open (the open tasks, for a device's queue) |
//! | `h` + order id (u64 BE)             | [`OrderPick`](hub_core::tasks::OrderPick) (an order's picking progress) |
//! | `v` + device                        | the device's queue version (u64) |
//! | `b` + label batch id (u64 BE)       | [`BatchRecord`](hub_core::printing::BatchRecord) (its data key wrapped) |
//! | `y` + label job id (u64 BE)         | [`JobRecord`](hub_core::printing::JobRecord) (its label sealed) |
//! | `f` + label job id (u64 BE)         | () while the job is unfinished (loaded at start) |
//! | `z` + station 0x00 job id (u64 BE)  | () while the job is to be sent to the station |
//! | `E` + feed id (u64 BE)              | [`FeedEvent`](hub_core::feed::FeedEvent) (the newest [`feed::FEED_KEEP`]) |
//! | `F` + device                        | [`FleetRow`](hub_core::fleet::FleetRow) (the fleet table) |
//! | `m` + name                          | counters (u64 BE)                    |
//! | `m` + `commits`                     | group commits so far (the seal's mark) |
//! | `m` + `next_boot`                   | the next start's boot number (sealed acks) |
//! | `m` + `archived_through`            | log entries `1..=` it are in the [`archive`], not here |
//! | `m` + `order_index`                 | every final order is indexed under `O` |
//!
//! Values are framed with a format byte and a CRC32 (see
//! [`crate::store::codec`]); records are postcard (reports are JSON, as they
//! are served). The directory is sealed ([`storeseal`]) and checked at
//! every open ([`crate::store::check`]): a damaged store is refused with the
//! key or file named, never loaded. Ids cannot hold 0x00
//! (protocol ids are printable ASCII), so composite keys split
//! unambiguously. A reservation is read from `r` if it changed after the
//! group that created it, else from the `q` record at or below its id: one
//! insert per group instead of one per reservation (sled inserts were half
//! the writer's time). Reserved totals are derived from the active
//! reservations at load and not stored (see [`crate::writer::reserved_view`]).
//! Ended reservations are removed (`r` and their `q` entry) in the group
//! commit after their retention passes ([`prune`]).
//! Reports are written by the reconciliation worker, outside group commits.
//! How a group is written and made durable, and what the commit count
//! (the seal's mark) means: [`commit`].

use crate::changes::{NextIds, PoolParts};
use crate::discrepancies::{CountTask, Discrepancy};
use crate::pool::{DeadLetter, DeviceEpoch, DeviceRecord, Pool, StockKey};
use crate::store::check::StartCheck;
use crate::store::codec::{
    decode, encode_i64, i64_of, id_key, id_of, parse_stock_key, prefixed, stock_key,
};
use serde::de::DeserializeOwned;
use std::path::Path;
use std::sync::Arc;
use thiserror::Error;
pub(crate) mod applied;
pub mod archive;
pub mod check;
pub(crate) mod codec;
mod commit;
pub mod compact;
pub mod feed;
pub mod floor;
pub mod labels;
pub(crate) mod order_index;
pub mod orders;
mod prune;
mod reads;
pub(crate) mod reclaim;
pub mod relocate;
pub mod tasks;
#[cfg(test)]
pub(crate) mod test_batch;

pub(crate) const NEXT_EVENT: &[u8] = b"mnext_event";
pub(crate) const NEXT_DEAD: &[u8] = b"mnext_dead";
pub(crate) const NEXT_RESERVATION: &[u8] = b"mnext_reservation";
pub(crate) const NEXT_ALERT: &[u8] = b"mnext_alert";
pub(crate) const NEXT_DISCREPANCY: &[u8] = b"mnext_discrepancy";
pub(crate) const NEXT_TASK: &[u8] = b"mnext_count_task";
pub(crate) const NEXT_ORDER: &[u8] = b"mnext_order";
pub(crate) const NEXT_AUDIT: &[u8] = b"mnext_audit";
pub(crate) const NEXT_ALLOCATION: &[u8] = b"mnext_allocation";
pub(crate) const NEXT_REPORT: &[u8] = b"mnext_report";
pub(crate) const COMMITS: &[u8] = b"mcommits";
pub(crate) const NEXT_BOOT: &[u8] = b"mnext_boot";

/// Why the store failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// sled reported an error (I/O, corruption).
    #[error("store: {0}")]
    Sled(#[from] sled::Error),
    /// The store's files are damaged, in another format, or unreadable.
    #[error("store files: {0}")]
    Files(#[from] storeseal::SealError),
    /// Group commits the seal says were durable are gone (a truncated or
    /// damaged file that sled opened as an older store).
    #[error(
        "store lost its tail: it holds {found} group commits, but {sealed} were durable \
         (recorded in wms-seal); the data file is truncated or damaged"
    )]
    LostTail {
        /// Commits the store holds.
        found: u64,
        /// Commits the seal recorded.
        sealed: u64,
    },
    /// The stored records contradict each other (the log and watermarks).
    #[error("store: inconsistent: {0}")]
    Inconsistent(String),
    /// The event log archive's directory or a segment could not be read
    /// or written.
    #[error("event log archive: {path}: {source}")]
    Archive {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A compaction could not read or write a file (see
    /// [`crate::store::compact`]).
    #[error("store compaction: {path}: {source}")]
    Compaction {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A stored record could not be read back.
    #[error("store: damaged record under key {key}: {problem}")]
    Damaged {
        /// The key, printable.
        key: String,
        /// What is wrong.
        problem: String,
    },
}

/// Handle on the hub's sled database; cheap to clone. When the last clone
/// is dropped the store is sealed clean.
#[derive(Clone)]
pub struct Store {
    // Field order is drop order: the seal must go after sled's handles.
    pub(crate) db: sled::Db,
    pub(crate) tree: sled::Tree,
    pub(crate) archive: Arc<archive::Archive>,
    seal: Arc<StoreSeal>,
}

/// The seal's keeper and the commit count it marks.
struct StoreSeal {
    keeper: storeseal::Keeper,
    /// Group commits (and report saves) written and durable so far.
    counts: commit::Counts,
    /// What the start-up check found.
    start: StartCheck,
    /// Set once the keeper above has closed the seal (fields drop in
    /// order, so this one goes after it).
    closed: CloseOnDrop,
}

/// Whether a store's last handle is gone and its seal closed (manifest
/// written): what a restart in the same process waits for.
#[derive(Debug, Clone, Default)]
pub struct Closed(Arc<std::sync::atomic::AtomicBool>);

impl Closed {
    /// True once the store is closed.
    pub fn is_closed(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Acquire)
    }
}

/// Sets its [`Closed`] when dropped.
#[derive(Debug, Default)]
struct CloseOnDrop(Closed);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        (self.0).0.store(true, std::sync::atomic::Ordering::Release);
    }
}

/// One stock entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockRow {
    /// Where.
    pub key: StockKey,
    /// How many.
    pub on_hand: i64,
}

/// The page cache of [`Store::open`] (the hub's `store_cache_mb`, 16).
/// The writer holds the pool in memory and mostly appends to the store,
/// so a small cache costs little; sled holds about three times what it
/// counts against this figure (measured in BENCHMARKS.md, "The store's
/// page cache").
pub const DEFAULT_CACHE_BYTES: u64 = 16 << 20;

/// sled's settings for the hub's store.
pub(crate) fn sled_config(cache_bytes: u64) -> sled::Config {
    // Every group flushes itself, so sled's 500 ms background flusher
    // would only add fsyncs; throughput mode trades space for speed.
    sled::Config::new()
        .mode(sled::Mode::HighThroughput)
        .cache_capacity(cache_bytes)
        .flush_every_ms(None)
}

impl Store {
    /// Opens (or creates) the store in `dir`, after checking its files and
    /// every record (see [`crate::store::check`]); refuses a damaged store.
    /// A pool that differs from the replay of its log is not refused here
    /// (`hub verify` reports it); see [`Store::start_check`].
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::open_with_cache(dir, DEFAULT_CACHE_BYTES)
    }

    /// [`Store::open`] with a page cache of `cache_bytes`.
    pub fn open_with_cache(dir: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        if compact::interrupted(dir) {
            return Err(StoreError::Inconsistent(format!(
                "{} holds an interrupted compaction of the store; start the hub or run \
                 `hub compact --data {}` to finish it first",
                dir.display(),
                dir.display()
            )));
        }
        let opened = storeseal::open(dir, storeseal::Kind::HubStore, sled_config(cache_bytes))?;
        let tree = storeseal::without_panic(dir, || opened.db.open_tree("pool"))??;
        let marker = archive::step::marker(&tree)?;
        let (archive, checkpoint) = archive::Archive::open(dir, marker)?;
        // Entries archived before a crash that came before their removal.
        archive::step::remove_entries(&tree, marker)?;
        let base = check::Base {
            checkpoint: checkpoint.unwrap_or_default(),
            streams: archive.state().streams.clone(),
        };
        let start = storeseal::without_panic(dir, || check::check(&tree, opened.mark, base))??;
        let store = Store {
            db: opened.db,
            tree,
            archive: Arc::new(archive),
            seal: Arc::new(StoreSeal {
                keeper: opened.keeper,
                counts: commit::Counts::opened(start.commits),
                start,
                closed: CloseOnDrop::default(),
            }),
        };
        store.index_final_orders()?;
        Ok(store)
    }

    /// Says when this store is closed: its last handle gone and its seal
    /// closed.
    pub fn closed(&self) -> Closed {
        self.seal.closed.0.clone()
    }

    /// What the start-up check found (the replay of the log against the
    /// stored pool, among others).
    pub fn start_check(&self) -> &StartCheck {
        &self.seal.start
    }

    /// Loads the pool's durable state.
    pub fn load_pool(&self) -> Result<Pool, StoreError> {
        let mut parts = PoolParts {
            stock: self
                .scan_stock(None, true)?
                .into_iter()
                .map(|r| (r.key, r.on_hand))
                .collect(),
            devices: self.devices()?.into_iter().collect(),
            next_event: self.counter(NEXT_EVENT)?,
            next_dead: self.counter(NEXT_DEAD)?,
            reservations: self.all_reservations()?,
            safety: self.safety_rules()?,
            lots: self.lots()?,
            next_ids: NextIds {
                reservation: self.counter(NEXT_RESERVATION)?,
                alert: self.counter(NEXT_ALERT)?,
                discrepancy: self.counter(NEXT_DISCREPANCY)?,
                count_task: self.counter(NEXT_TASK)?,
                order: self.counter(NEXT_ORDER)?,
                audit: self.counter(NEXT_AUDIT)?,
                allocation: self.counter(NEXT_ALLOCATION)?,
                feed: self.counter(feed::NEXT_FEED)?,
            },
            fleet: self.fleet()?,
            open_alerts: self
                .records::<crate::alerts::Alert>(b'a')?
                .into_iter()
                .filter(|(_, a)| a.cleared_ms.is_none())
                .collect(),
            allocations: self.allocations()?,
            orders: self.open_orders()?,
            // Customers are read when a command needs one (the store is
            // the pool's archive: see `hub_core::orders::archive`).
            customers: Vec::new(),
            tasks: self.task_parts()?,
            printing: self.print_parts()?,
            ..PoolParts::default()
        };
        let open = |d: &Discrepancy| d.resolution.is_none();
        parts.open_discrepancies = self
            .records(b'x')?
            .into_iter()
            .map(|(_, d)| d)
            .filter(open)
            .collect();
        let tasks: Vec<(u64, CountTask)> = self.records(b'k')?;
        parts.open_tasks = tasks
            .into_iter()
            .map(|(_, t)| t)
            .filter(|t| t.done_ms.is_none())
            .collect();
        let mut pool = Pool::load(parts);
        // Final orders stay here; the pool reads them back when needed.
        pool.set_order_archive(Arc::new(self.clone()));
        Ok(pool)
    }

    /// Stock rows, all or for one SKU, sorted by SKU, location, lot; only
    /// non-zero ones.
    pub fn stock_rows(&self, sku: Option<&str>) -> Result<Vec<StockRow>, StoreError> {
        self.scan_stock(sku, false)
    }

    fn scan_stock(&self, sku: Option<&str>, zeros: bool) -> Result<Vec<StockRow>, StoreError> {
        let prefix = match sku {
            Some(sku) => prefixed(b's', format!("{sku}\0").as_bytes()),
            None => vec![b's'],
        };
        let mut rows = Vec::new();
        for item in self.tree.scan_prefix(prefix) {
            let (k, v) = item?;
            let key = parse_stock_key(&k)?;
            let on_hand = i64_of(&k, &v)?;
            if zeros || on_hand != 0 {
                rows.push(StockRow { key, on_hand });
            }
        }
        Ok(rows)
    }

    /// Every (device, epoch) stream's record, sorted by device id, then
    /// epoch.
    pub fn devices(&self) -> Result<Vec<(DeviceEpoch, DeviceRecord)>, StoreError> {
        self.tree
            .scan_prefix([b'w'])
            .map(|item| {
                let (k, v) = item?;
                Ok((crate::store::applied::parse_stream(&k, 0)?, decode(&k, &v)?))
            })
            .collect()
    }

    /// The newest dead letters first, at most `limit`.
    pub fn dead_letters(&self, limit: usize) -> Result<Vec<(u64, DeadLetter)>, StoreError> {
        self.newest(b'd', limit, |_| true)
    }

    /// Every record under a one-byte prefix with a u64 id, in id order.
    pub(crate) fn records<T: DeserializeOwned>(
        &self,
        prefix: u8,
    ) -> Result<Vec<(u64, T)>, StoreError> {
        self.tree
            .scan_prefix([prefix])
            .map(|item| {
                let (k, v) = item?;
                Ok((id_of(&k)?, decode(&k, &v)?))
            })
            .collect()
    }

    /// The newest records under `prefix` that pass `keep`, at most `limit`.
    pub(crate) fn newest<T: DeserializeOwned>(
        &self,
        prefix: u8,
        limit: usize,
        keep: impl Fn(&T) -> bool,
    ) -> Result<Vec<(u64, T)>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix([prefix]).rev() {
            let (k, v) = item?;
            let record: T = decode(&k, &v)?;
            if keep(&record) {
                out.push((id_of(&k)?, record));
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// One record under a one-byte prefix and u64 id.
    pub(crate) fn record<T: DeserializeOwned>(
        &self,
        prefix: u8,
        id: u64,
    ) -> Result<Option<T>, StoreError> {
        let key = id_key(prefix, id);
        self.tree.get(&key)?.map(|v| decode(&key, &v)).transpose()
    }

    pub(crate) fn counter(&self, key: &[u8]) -> Result<u64, StoreError> {
        match self.tree.get(key)? {
            None => Ok(1),
            Some(v) => Ok(i64_of(key, &v)? as u64),
        }
    }

    /// Overwrites one stored stock entry, bypassing the log. Only for tests
    /// that prove reconciliation catches a tampered pool.
    #[doc(hidden)]
    pub fn tamper_stock(&self, key: &StockKey, on_hand: i64) -> Result<(), StoreError> {
        self.tree.insert(stock_key(key), encode_i64(on_hand))?;
        self.db.flush()?;
        self.seal.keeper.sync_files()?;
        Ok(())
    }
}
