//! Reconciliation arithmetic (promise 6): the stored pool against the
//! replay of the event log, the live reserved totals against the active
//! reservations, and per SKU against an ERP's stock file, with the report
//! that holds the three. Pure: the hub's `reconcile` module reads the store
//! and the file and calls these; `hub verify` and the start-up check use
//! the same [`stock_differences`], so there is one stock comparison.

use crate::events::StockKey;
use crate::pool::Pool;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

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

/// What a verification (the log replayed against the stored pool) found.
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

/// Every key where `stored` and `replayed` disagree (a missing key is 0).
pub fn stock_differences(
    stored: &BTreeMap<StockKey, i64>,
    replayed: &BTreeMap<StockKey, i64>,
) -> Vec<StockDifference> {
    let keys: BTreeSet<&StockKey> = stored.keys().chain(replayed.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let s = stored.get(k).copied().unwrap_or(0);
            let r = replayed.get(k).copied().unwrap_or(0);
            (s != r).then(|| StockDifference {
                sku: k.sku.clone(),
                location: k.location.clone(),
                lot: k.lot.clone(),
                stored: s,
                replayed: r,
            })
        })
        .collect()
}

/// The live pool's reserved totals against the sums over its active
/// reservations (derived state that must never drift).
pub fn reserved_differences(pool: &Pool) -> Vec<ReservedDifference> {
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
    /// the hub's `reconcile::erp::MAX_REPORTED_ERRORS`).
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

/// Per SKU in either side: the pool's on hand against the ERP's, sorted by
/// SKU, flagged for audit over [`AUDIT_THRESHOLD_PCT`].
pub fn variances(pool: &BTreeMap<String, i64>, erp: &BTreeMap<String, i64>) -> Vec<SkuVariance> {
    let skus: BTreeSet<&str> = pool
        .keys()
        .map(String::as_str)
        .chain(erp.keys().map(String::as_str))
        .collect();
    skus.into_iter()
        .map(|sku| {
            let p = pool.get(sku).copied().unwrap_or(0);
            let e = erp.get(sku).copied().unwrap_or(0);
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
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(sku: &str) -> StockKey {
        StockKey {
            sku: sku.into(),
            location: "L1".into(),
            lot: String::new(),
        }
    }

    #[test]
    fn a_key_missing_on_one_side_counts_as_zero() {
        let stored = BTreeMap::from([(key("A"), 5), (key("B"), 2)]);
        let replayed = BTreeMap::from([(key("A"), 5), (key("C"), 1)]);
        let found = stock_differences(&stored, &replayed);
        let pairs: Vec<(&str, i64, i64)> = found
            .iter()
            .map(|d| (d.sku.as_str(), d.stored, d.replayed))
            .collect();
        assert_eq!(pairs, vec![("B", 2, 0), ("C", 0, 1)]);
    }

    #[test]
    fn variances_saturate_and_flag_over_the_threshold() {
        let pool = BTreeMap::from([("A".to_string(), 106), ("B".to_string(), i64::MIN)]);
        let erp = BTreeMap::from([("A".to_string(), 100), ("B".to_string(), i64::MAX)]);
        let v = variances(&pool, &erp);
        assert_eq!((v[0].variance, v[0].audit), (6, true));
        assert_eq!(v[1].variance, i64::MIN);
        assert!(v[1].audit);
    }
}
