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

use crate::events::snapshot as snapshot_of;
use crate::pool::{Pool, StockKey};
use crate::store::{Store, StoreError};
pub use hub_core::reconcile::{
    reserved_differences, stock_differences, variances, ErpComparison, Report, ReservedDifference,
    SkuVariance, StockDifference, Verification, AUDIT_THRESHOLD_PCT,
};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Rebuilds the pool from the log and compares it with the stored one;
/// first proves the archive's checkpoints against a replay of the whole
/// archived log (offline: it reads every segment).
pub fn verify(store: &Store) -> Result<Verification, StoreError> {
    store.audit_archive()?;
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
    // The archived log's checkpoint, then the entries after it, one at a
    // time (the log can be far larger than memory).
    let base = store.checkpoint_at_or_below(through)?;
    let mut events = base.through;
    let mut replayed = base.into_replay();
    for entry in store.events_from(events + 1) {
        let (id, record) = entry?;
        if id > through {
            break;
        }
        events = id;
        replayed.apply(&record);
    }
    let movements = replayed.movements;
    let stock_differences = stock_differences(stored, &snapshot_of(&replayed.stock));
    Ok(Verification {
        events,
        movements,
        stock_differences,
        reserved_differences: Vec::new(),
    })
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

/// Compares the pool's per-SKU on hand with the ERP's.
pub fn compare_erp(pool: &BTreeMap<String, i64>, erp: &ErpFile) -> ErpComparison {
    let variances = variances(pool, erp.per_sku());
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

#[cfg(test)]
mod archive_tests {
    use super::verify;
    use crate::store::archive::ArchivePolicy;
    use crate::store::Store;
    use protocol::{EventBatch, Movement, MovementKind};

    fn receive(seq: u64, sku: &str) -> EventBatch {
        EventBatch {
            site: "s1".into(),
            device: "d1".into(),
            epoch: 1,
            first_seq: seq,
            movements: vec![Movement {
                seq,
                kind: MovementKind::Receive,
                sku: sku.into(),
                location: "A".into(),
                to_location: None,
                lot: None,
                quantity: 3,
                device_time_ms: 0,
                task: None,
            }],
            auth_tag: None,
        }
    }

    #[test]
    fn verify_replays_from_the_archive_checkpoint_and_still_finds_a_tampered_pool() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let mut pool = store.load_pool().expect("load");
        for seq in 1..=12 {
            let sku = if seq <= 6 { "OLD" } else { "NEW" };
            pool.apply_batch(&receive(seq, sku), 1, &store);
            store.commit(&pool.take_changes()).expect("commit");
        }
        let policy = ArchivePolicy {
            keep: 2,
            segment: 4,
        };
        while store.archive_step(policy).expect("archive").is_some() {}
        assert_eq!(store.archived_through(), 8);
        let verified = verify(&store).expect("verify");
        assert!(verified.matches(), "{verified:?}");
        assert_eq!((verified.events, verified.movements), (12, 12));
        // Stock only the archived entries moved.
        let old = crate::pool::StockKey {
            sku: "OLD".into(),
            location: "A".into(),
            lot: String::new(),
        };
        store.tamper_stock(&old, 17).expect("tamper");
        let verified = verify(&store).expect("verify");
        assert_eq!(verified.stock_differences.len(), 1, "{verified:?}");
    }
}
