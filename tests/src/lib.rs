//! Shared harness for the cross-crate tests and benchmarks: spawning the
//! real `hub` and `agent` binaries, killing them, talking HTTP to the hub,
//! and waiting on conditions with deadlines (never sleep-and-hope).

pub mod attacker;
pub mod bursts;
pub mod feed;
pub mod firmware;
pub mod http;
pub mod hubapi;
pub mod identity;
pub mod procs;
pub mod proxy;
pub mod sim;
pub mod swarm;
pub mod syscalls;
pub mod traced;
pub mod wait;
pub mod watched;

pub use identity::{provision, Credentials};
pub use procs::{bin_path, free_port, AgentProc, HubPorts, HubProc};
pub use wait::wait_until;
