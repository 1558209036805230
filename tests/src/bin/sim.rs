//! `sim --seeds N [--from S] [--devices D] [--steps K]`: runs many seeded
//! simulations and prints the first failing seed (exit 1) or the totals.

use clap::Parser;
use tests::sim::{run, SimConfig};

#[derive(Parser)]
#[command(
    name = "sim",
    about = "Deterministic simulation of devices, network and hub"
)]
struct Args {
    /// How many seeds to run.
    #[arg(long, default_value_t = 1000)]
    seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 1)]
    from: u64,
    /// Devices per run.
    #[arg(long, default_value_t = 4)]
    devices: usize,
    /// Random steps per run.
    #[arg(long, default_value_t = 3000)]
    steps: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = SimConfig {
        devices: args.devices,
        steps: args.steps,
        ..SimConfig::default()
    };
    let (mut confirmed, mut crashes) = (0u64, 0u64);
    for seed in args.from..args.from + args.seeds {
        match run(seed, config) {
            Ok(r) => {
                confirmed += r.confirmed;
                crashes += r.device_crashes + r.hub_crashes;
            }
            Err(failure) => {
                eprintln!("{failure}");
                std::process::exit(1);
            }
        }
    }
    println!(
        "sim: {} seeds passed ({confirmed} scans confirmed, {crashes} crashes)",
        args.seeds
    );
    Ok(())
}
