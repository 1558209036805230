//! Shared harness for the cross-crate tests and benchmarks: spawning the
//! real `hub` and `agent` binaries, killing them, talking HTTP to the hub,
//! and waiting on conditions with deadlines (never sleep-and-hope).

pub mod applied;
pub mod attacker;
pub mod bursts;
pub mod feed;
pub mod firmware;
pub mod hooks;
pub mod hostile;
pub mod http;
pub mod hubapi;
pub mod identity;
pub mod labels;
pub mod mosquitto;
pub mod procs;
pub mod proxy;
pub mod sim;
pub mod sse;
pub mod swarm;
pub mod syscalls;
pub mod tmpfs;
pub mod tmux;
pub mod traced;
pub mod wait;
pub mod watched;
pub mod work;

pub use identity::{provision, Credentials};
pub use procs::{bin_path, free_port, AgentProc, HubPorts, HubProc};
pub use wait::wait_until;

/// A seed or size for a long run, from the environment (`STORM_SEED=7`),
/// or `default` when unset or not a number.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
