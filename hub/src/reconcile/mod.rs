//! Reconciliation (promise 6): the event log is the source of truth.
//!
//! [`verify`] rebuilds on-hand from the log with [`crate::pool::replay`]
//! and compares it with the stored pool, key by key. `hub verify --data
//! DIR` runs it offline. Live (`POST /api/v1/reconciliations`, the nightly
//! job) the writer takes a cheap [`snapshot`] right after a commit and a
//! worker thread [`finish`]es it: replays the log up to the snapshot,
//! compares, checks the live `reserved` totals against the active
//! reservations, and compares per SKU with the ERP's stock file: a SKU
//! whose variance is over 5 % of the ERP's figure is flagged for audit.
//! Reports are stored under `p` and served as JSON or CSV.

pub use crate::reconcile::erp::ErpFile;
pub mod erp;
pub mod worker;

use crate::pool::{replay, Pool, StockKey};
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// A variance over this percentage flags a SKU for audit.
pub const AUDIT_THRESHOLD_PCT: f64 = 5.0;

/// A stock key where the stored pool and the replay of the log differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockDifference {
    /// The SKU.
    pub sku: String,
    /// The location.
    pub location: String,
    /// The lot ("" when none).
    pub lot: String,
    /// On hand as stored.
    pub stored: i64,
    /// On hand rebuilt from the log.
    pub replayed: i64,
}

/// A SKU whose live `reserved` differs from its active reservations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservedDifference {
    /// The SKU.
    pub sku: String,
    /// Reserved in the live pool.
    pub stored: i64,
    /// Sum of the outstanding lines of active reservations.
    pub expected: i64,
}

/// What [`verify`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// Event log entries replayed.
    pub events: u64,
    /// Movements replayed.
    pub movements: u64,
    /// Stock keys that differ.
    pub stock_differences: Vec<StockDifference>,
    /// SKUs whose reserved total differs.
    pub reserved_differences: Vec<ReservedDifference>,
}

impl Verification {
    /// Whether the stored pool equals the replay of the log.
    pub fn matches(&self) -> bool {
        self.stock_differences.is_empty() && self.reserved_differences.is_empty()
    }
}

/// Rebuilds the pool from the log and compares it with the stored one.
pub fn verify(store: &Store) -> Result<Verification, StoreError> {
    let stored = stored_stock(store)?;
    verify_against(store, &stored, u64::MAX)
}

fn stored_stock(store: &Store) -> Result<BTreeMap<StockKey, i64>, StoreError> {
    Ok(store
        .stock_rows(None)?
        .into_iter()
        .map(|r| (r.key, r.on_hand))
        .collect())
}

/// Replays the log up to entry `through` and compares with `stored`.
fn verify_against(
    store: &Store,
    stored: &BTreeMap<StockKey, i64>,
    through: u64,
) -> Result<Verification, StoreError> {
    let mut log = Vec::new();
    for entry in store.events() {
        let (id, record) = entry?;
        if id > through {
            break;
        }
        log.push(record);
    }
    let movements = log.iter().map(|e| e.movements.len() as u64).sum();
    let replayed = replay(&log);
    let keys: BTreeSet<&StockKey> = replayed.keys().chain(stored.keys()).collect();
    let stock_differences = keys
        .into_iter()
        .filter_map(|k| {
            let (s, r) = (stored.get(k).copied(), replayed.get(k).copied());
            (s != r).then(|| StockDifference {
                sku: k.sku.clone(),
                location: k.location.clone(),
                lot: k.lot.clone(),
                stored: s.unwrap_or(0),
                replayed: r.unwrap_or(0),
            })
        })
        .collect();
    Ok(Verification {
        events: log.len() as u64,
        movements,
        stock_differences,
        reserved_differences: Vec::new(),
    })
}

/// The live pool's reserved totals against the sums over its active
/// reservations (derived state that must never drift).
fn reserved_differences(pool: &Pool) -> Vec<ReservedDifference> {
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    for r in pool.active_reservations() {
        for line in &r.lines {
            *expected.entry(line.sku.clone()).or_insert(0) += line.outstanding();
        }
    }
    let live = pool.reserved_totals();
    let skus: BTreeSet<&String> = expected.keys().chain(live.keys()).collect();
    skus.into_iter()
        .filter_map(|sku| {
            let (l, e) = (live.get(sku).copied(), expected.get(sku).copied());
            (l.unwrap_or(0) != e.unwrap_or(0)).then(|| ReservedDifference {
                sku: sku.clone(),
                stored: l.unwrap_or(0),
                expected: e.unwrap_or(0),
            })
        })
        .collect()
}

/// What the writer captures for a live reconciliation, right after a
/// commit: the stored stock (equal to the pool's at that instant), how far
/// the log goes, and the reserved check. Cheap, so the writer does not
/// stall; the replay of the log runs later on another thread ([`finish`]).
#[derive(Debug, Clone)]
pub struct Snapshot {
    stored: BTreeMap<StockKey, i64>,
    through_event: u64,
    reserved_differences: Vec<ReservedDifference>,
}

/// Takes a [`Snapshot`]; call on the writer, after a commit.
pub fn snapshot(store: &Store, pool: &Pool) -> Result<Snapshot, StoreError> {
    Ok(Snapshot {
        stored: stored_stock(store)?,
        through_event: pool.next_event().saturating_sub(1),
        reserved_differences: reserved_differences(pool),
    })
}

/// One SKU compared with the ERP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkuVariance {
    /// The SKU.
    pub sku: String,
    /// On hand in the pool, all locations.
    pub pool: i64,
    /// Quantity in the ERP file, all locations.
    pub erp: i64,
    /// pool - erp.
    pub variance: i64,
    /// |variance| as a percentage of the ERP's figure (100 when the ERP
    /// has none but the pool has some).
    pub variance_pct: f64,
    /// Over [`AUDIT_THRESHOLD_PCT`].
    pub audit: bool,
}

/// The ERP side of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErpComparison {
    /// Where the file came from.
    pub source: String,
    /// Rows used.
    pub rows: usize,
    /// Rows that could not be used, by line (the first
    /// [`crate::reconcile::erp::MAX_REPORTED_ERRORS`]).
    pub errors: Vec<(usize, String)>,
    /// How many rows could not be used, all told.
    #[serde(default)]
    pub error_lines: usize,
    /// Per-SKU variances (every SKU in either side that differs, and
    /// matching ones too), sorted by SKU.
    pub variances: Vec<SkuVariance>,
}

/// A stored reconciliation report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Id.
    pub id: u64,
    /// "api", "nightly".
    pub trigger: String,
    /// Hub time it ran.
    pub created_ms: u64,
    /// Whether the stored pool equals the replay of the log.
    pub pool_matches_log: bool,
    /// Log, stock and reserved comparison.
    pub verification: Verification,
    /// ERP comparison, when a file was given or configured.
    pub erp: Option<ErpComparison>,
    /// SKUs flagged for audit.
    pub flagged_for_audit: usize,
}

/// Compares the pool's per-SKU on hand with the ERP's.
pub fn compare_erp(pool: &BTreeMap<String, i64>, erp: &ErpFile) -> ErpComparison {
    let per_sku = erp.per_sku();
    let skus: BTreeSet<&str> = pool
        .keys()
        .map(String::as_str)
        .chain(per_sku.keys().map(String::as_str))
        .collect();
    let variances = skus
        .into_iter()
        .map(|sku| {
            let p = pool.get(sku).copied().unwrap_or(0);
            let e = per_sku.get(sku).copied().unwrap_or(0);
            // Either side can be near i64::MAX: saturate, never wrap.
            let variance = p.saturating_sub(e);
            let variance_pct = match (variance, e) {
                (0, _) => 0.0,
                (_, 0) => 100.0,
                (v, e) => (v.unsigned_abs() as f64) * 100.0 / e.unsigned_abs() as f64,
            };
            SkuVariance {
                sku: sku.to_string(),
                pool: p,
                erp: e,
                variance,
                variance_pct,
                audit: variance_pct > AUDIT_THRESHOLD_PCT,
            }
        })
        .collect();
    ErpComparison {
        source: erp.source.clone(),
        rows: erp.rows,
        errors: erp
            .errors
            .iter()
            .map(|e| (e.line, e.error.clone()))
            .collect(),
        error_lines: erp.error_lines,
        variances,
    }
}

/// Replays the log up to the snapshot, compares, adds the ERP comparison
/// and stores the report. Safe to run beside the writer: it reads only
/// log entries the snapshot covers, which never change.
pub fn finish(
    store: &Store,
    snap: Snapshot,
    erp: Option<ErpFile>,
    trigger: &str,
    now: u64,
) -> Result<Report, StoreError> {
    let mut verification = verify_against(store, &snap.stored, snap.through_event)?;
    verification.reserved_differences = snap.reserved_differences;
    let erp = erp.map(|file| {
        let mut pool: BTreeMap<String, i64> = BTreeMap::new();
        for (key, on_hand) in &snap.stored {
            let total = pool.entry(key.sku.clone()).or_insert(0);
            *total = total.saturating_add(*on_hand);
        }
        compare_erp(&pool, &file)
    });
    let flagged = erp
        .as_ref()
        .map_or(0, |e| e.variances.iter().filter(|v| v.audit).count());
    let mut report = Report {
        id: 0,
        trigger: trigger.to_string(),
        created_ms: now,
        pool_matches_log: verification.matches(),
        verification,
        erp,
        flagged_for_audit: flagged,
    };
    store.save_report(&mut report)?;
    Ok(report)
}

/// The report as CSV: one line per difference or variance.
pub fn to_csv(report: &Report) -> String {
    let mut out = String::from("kind,sku,location,lot,ours,theirs,variance,variance_pct,audit\n");
    for d in &report.verification.stock_differences {
        let _ = writeln!(
            out,
            "pool_vs_log,{},{},{},{},{},{},,true",
            csv_field(&d.sku),
            csv_field(&d.location),
            csv_field(&d.lot),
            d.stored,
            d.replayed,
            d.stored.saturating_sub(d.replayed)
        );
    }
    for d in &report.verification.reserved_differences {
        let v = d.stored.saturating_sub(d.expected);
        let _ = writeln!(
            out,
            "reserved,{},,,{},{},{v},,true",
            csv_field(&d.sku),
            d.stored,
            d.expected
        );
    }
    if let Some(erp) = &report.erp {
        for v in &erp.variances {
            let _ = writeln!(
                out,
                "erp,{},,,{},{},{},{:.2},{}",
                csv_field(&v.sku),
                v.pool,
                v.erp,
                v.variance,
                v.variance_pct,
                v.audit
            );
        }
        for (line, error) in &erp.errors {
            let _ = writeln!(out, "erp_line_error,,,,{line},,,,{}", csv_field(error));
        }
    }
    out
}

/// One CSV field (RFC 4180): quoted, with quotes doubled, when it holds a
/// comma, a quote or a line break.
fn csv_field(value: &str) -> std::borrow::Cow<'_, str> {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\"")).into()
    } else {
        value.into()
    }
}

#[cfg(test)]
mod csv_tests {
    use super::csv_field;

    #[test]
    fn fields_with_commas_quotes_or_breaks_are_quoted() {
        assert_eq!(csv_field("SKU-1"), "SKU-1");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }
}
