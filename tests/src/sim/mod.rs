//! Deterministic simulation of devices and hub, with a hostile network.
//!
//! The agent's send logic ([`agent::SendState`]) and the hub's pool
//! ([`hub::pool::Pool`]) are plain state machines, so they run here without
//! sockets, disks or clocks: one seeded RNG decides every scan, delivery,
//! drop, duplicate, reorder, partition, crash and journal wipe. Device
//! journals survive a device crash (a scan is confirmed only after its
//! flush) and a wipe starts a new journal epoch; the hub loses everything
//! it has not committed. Invariants are checked after every
//! step; a failure names the seed, and `SIM_SEED=N` replays it exactly.

mod checks;
mod hub_model;
mod rng;
mod world;

pub use rng::Rng;
pub use world::{SimConfig, SimReport, World};

/// A broken invariant, with what is needed to replay it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimFailure {
    /// The seed that produced it.
    pub seed: u64,
    /// The step at which an invariant broke.
    pub step: usize,
    /// Which invariant, and how.
    pub message: String,
}

impl std::fmt::Display for SimFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "simulation seed {} failed at step {}: {} (replay: SIM_SEED={} cargo test -p tests --test sim)",
            self.seed, self.step, self.message, self.seed
        )
    }
}

/// Runs one seeded simulation to the end, quiescence included.
pub fn run(seed: u64, config: SimConfig) -> Result<SimReport, SimFailure> {
    World::new(seed, config).run()
}
