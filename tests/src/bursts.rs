//! Bursts of random receive scans fed to a real agent, with every
//! confirmation remembered: the storms (crash, partition, power cut) all
//! feed scans this way and check the same thing afterwards.

use crate::procs::{confirmed_seq, AgentProc};
use crate::sim::Rng;
use std::collections::BTreeMap;

/// seq -> (sku, quantity) of every scan an agent confirmed.
pub type Confirmed = BTreeMap<u64, (String, i64)>;

/// Scans 1 to `max_burst` receives of 1-9 units of `SKU-0` .. `SKU-{skus-1}`
/// at `L-1` and records each confirmed seq; panics on an unconfirmed scan
/// or a reused seq (a confirmed scan forgotten). Returns how many it scanned.
pub fn receive_burst(
    agent: &mut AgentProc,
    rng: &mut Rng,
    (max_burst, skus): (u64, u64),
    device: &str,
    confirmed: &mut Confirmed,
) -> usize {
    let count = 1 + rng.below(max_burst) as usize;
    for _ in 0..count {
        let sku = format!("SKU-{}", rng.below(skus));
        let qty = rng.below(9) as i64 + 1;
        let answer = agent
            .scan(&format!("receive {sku} L-1 {qty}"))
            .expect("agent answers");
        let seq = confirmed_seq(&answer).unwrap_or_else(|| panic!("not confirmed: {answer}"));
        assert!(
            confirmed.insert(seq, (sku, qty)).is_none(),
            "{device} reused seq {seq} (a confirmed scan was forgotten)"
        );
    }
    count
}
