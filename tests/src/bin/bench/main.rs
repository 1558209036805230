//! `bench`: the benchmarks behind BENCHMARKS.md. Each prints its figures
//! and a ratio against a limit or a peer measured in the same run, and
//! PASS/FAIL against the target. Run in release:
//! `cargo run --release -p tests --bin bench -- all`.

mod ingest;
mod stats;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bench",
    about = "Benchmarks: hub ingest, scan-to-ack latency, backlog drain"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Hub ingest against the raw broker.
    Ingest {
        /// Publishing devices.
        #[arg(long, default_value_t = 100)]
        devices: usize,
        /// Batches per device.
        #[arg(long, default_value_t = 50)]
        batches: usize,
        /// Movements per batch.
        #[arg(long, default_value_t = 100)]
        per_batch: usize,
    },
}

fn main() -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "warn,rumqttd=error".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    let ok = runtime.block_on(async {
        match cli.command {
            Cmd::Ingest {
                devices,
                batches,
                per_batch,
            } => {
                ingest::run(ingest::Load {
                    devices,
                    batches,
                    per_batch,
                })
                .await
            }
        }
    })?;
    if !ok {
        eprintln!("bench: a target was missed (see FAIL above)");
    }
    Ok(())
}
