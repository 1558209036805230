//! `soak`: issue 12's long run. One hub process on fresh loopback ports
//! (its own data directory) carries a `firmware-sim fleet` of N simulated
//! handhelds with faults on (flaky Wi-Fi, power losses, clock jumps,
//! double reads) while a second process (`soak hostile`) replays the
//! hostile cases in a loop. Every few seconds the hub's and its broker
//! child's memory and descriptors are read from /proc; at the end the
//! table, the restarts and the fleet's own verdict (nothing lost, nothing
//! doubled, stock as scanned) are printed, and the exit code is non-zero if
//! anything failed or the hub grew past a generous bound.
//!
//! `scripts/soak.sh` runs it in release for 30 minutes with 1,000 devices;
//! tests/tests/soak.rs runs a 2-minute version in CI.

mod hostile_loop;
mod procinfo;
mod run;
mod verdict;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "soak",
    about = "A long run of the hub under a faulty fleet and hostile clients"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start a hub, the fleet and the hostile process; watch and judge.
    Run(run::RunArgs),
    /// The hostile process (started by `run`).
    Hostile(hostile_loop::HostileArgs),
}

fn main() -> anyhow::Result<ExitCode> {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Cmd::Run(args) => run::run(args),
        Cmd::Hostile(args) => hostile_loop::run(args),
    }
}
