//! Deterministic simulation with a fixed set of seeds (CI), or one seed
//! from `SIM_SEED` to replay a failure. `cargo run -p tests --bin sim --
//! --seeds 10000` runs many.

use tests::sim::{run, SimConfig};

#[test]
fn fixed_seeds_keep_every_invariant() {
    let seeds: Vec<u64> = match std::env::var("SIM_SEED") {
        Ok(s) => vec![s.parse().expect("SIM_SEED must be a number")],
        Err(_) => (1..=16).collect(),
    };
    let mut total = tests::sim::SimReport::default();
    for seed in seeds {
        match run(seed, SimConfig::default()) {
            Ok(r) => {
                total.confirmed += r.confirmed;
                total.device_crashes += r.device_crashes;
                total.journal_wipes += r.journal_wipes;
                total.hub_crashes += r.hub_crashes;
                total.dropped += r.dropped;
                total.duplicated += r.duplicated;
            }
            Err(failure) => panic!("{failure}"),
        }
    }
    // The adversary really acted: a run without crashes or drops proves little.
    assert!(total.confirmed > 1000 && total.hub_crashes > 10 && total.device_crashes > 10);
    assert!(
        total.journal_wipes > 10,
        "journals wiped: {}",
        total.journal_wipes
    );
    assert!(total.dropped > 100 && total.duplicated > 100);
    eprintln!("sim: {total:?}");
}

#[test]
fn a_seed_replays_identically() {
    let a = run(7, SimConfig::default()).unwrap();
    let b = run(7, SimConfig::default()).unwrap();
    assert_eq!(a, b);
}
