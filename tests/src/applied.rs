//! The check that ends the kill and restart tests: every seq applied
//! once and in order, each confirmed scan applied as the device recorded
//! it, and the stock the API showed equal to a replay of the event log.

use hub::pool::replay;
use hub::store::Store;
use std::collections::BTreeMap;

/// Scans a device confirmed, by seq: ((SKU, location), quantity).
pub type Confirmed = BTreeMap<u64, ((String, String), i64)>;

/// Stock as `hubapi::stock` reads it: (SKU, location, lot) -> on hand.
pub type Stock = BTreeMap<(String, String, String), i64>;

/// Checks the closed hub's `store` against what one device confirmed
/// (seqs 1 to `watermark` applied) and the stock the API showed before
/// the hub stopped; returns how many log entries the store holds.
pub fn assert_applied_once(
    store: &Store,
    confirmed: &Confirmed,
    watermark: u64,
    api_stock: &Stock,
) -> usize {
    let events: Vec<_> = store.events().map(|e| e.expect("log entry").1).collect();
    let movements: Vec<_> = events.iter().flat_map(|e| &e.movements).collect();
    let seqs: Vec<u64> = movements.iter().map(|m| m.seq).collect();
    assert_eq!(
        seqs,
        (1..=watermark).collect::<Vec<_>>(),
        "every seq applied once, in order"
    );
    for (seq, ((sku, loc), qty)) in confirmed {
        let m = movements[(*seq - 1) as usize];
        assert_eq!(
            (&m.sku, &m.location, m.quantity),
            (sku, loc, *qty),
            "seq {seq}"
        );
    }
    let replayed: Stock = replay(&events)
        .into_iter()
        .map(|(k, v)| ((k.sku, k.location, k.lot), v))
        .collect();
    assert_eq!(
        api_stock, &replayed,
        "pool equals a replay of the event log"
    );
    events.len()
}
