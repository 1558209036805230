//! `bench`: the benchmarks behind BENCHMARKS.md. Each prints its figures
//! and a ratio against a limit or a peer measured in the same run, and
//! PASS/FAIL against the target. Run in release:
//! `cargo run --release -p tests --bin bench -- all`.

mod backlog;
mod changes;
mod device;
mod hubctl;
mod ingest;
mod labels;
mod latency;
mod memory;
mod orders;
mod reserve;
mod seal;
mod stats;
mod storm;
mod swarm;
mod tasks;

use clap::{Parser, Subcommand};
use std::time::Duration;

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
    /// Scan-to-ack latency with simulated devices scanning once a second.
    Latency {
        /// Devices.
        #[arg(long, default_value_t = 100)]
        devices: usize,
        /// Measured seconds (one scan per device per period).
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Milliseconds between one device's scans.
        #[arg(long, default_value_t = 1000)]
        period_ms: u64,
        /// Broker the hub runs on: embedded (judged against the targets),
        /// mosquitto (figures only), or both, side by side.
        #[arg(long, value_enum, default_value = "embedded")]
        broker: latency::Brokers,
    },
    /// Drain of one device's offline backlog.
    Backlog {
        /// Movements journaled while offline.
        #[arg(long, default_value_t = 100_000)]
        movements: u64,
    },
    /// Resident memory of one real agent process.
    AgentMemory {
        /// Scans fed to it.
        #[arg(long, default_value_t = 20_000)]
        scans: u64,
    },
    /// The bare publish-to-ack round trip of one raw MQTT client.
    Probe {
        /// Round trips.
        #[arg(long, default_value_t = 50)]
        rounds: usize,
    },
    /// Reservation throughput: the HTTP API and the pool core, spread over
    /// 5,000 SKUs and on 10 hot SKUs (scripts/bench-postgres.sh runs the
    /// PostgreSQL side and passes its figures with --pg).
    Reserve {
        /// Concurrent clients, comma-separated.
        #[arg(long, default_value = "16,64", value_delimiter = ',')]
        clients: Vec<usize>,
        /// Extra client counts for the pool core alone, comma-separated.
        #[arg(long, default_value = "1024", value_delimiter = ',')]
        core_clients: Vec<usize>,
        /// Measured seconds per run.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// PostgreSQL figures as workload-clients=tps (e.g. hot-64=3800).
        #[arg(long, value_delimiter = ',')]
        pg: Vec<String>,
        /// Targets to run: core, api.
        #[arg(long, default_value = "core,api", value_delimiter = ',')]
        targets: Vec<String>,
        /// Workloads to run: spread, hot.
        #[arg(long, default_value = "spread,hot", value_delimiter = ',')]
        workloads: Vec<String>,
    },
    /// Order intake throughput over HTTP, durable (target >= 5,000/s).
    Orders {
        /// Concurrent clients, comma-separated.
        #[arg(long, default_value = "16,64", value_delimiter = ',')]
        clients: Vec<usize>,
        /// Measured seconds per run.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Work-queue latency: order paid to its pick list on the device, last
    /// pick scan to the order picked (p50/p99 on loopback).
    Tasks {
        /// Orders, one after the other.
        #[arg(long, default_value_t = 300)]
        orders: u64,
    },
    /// Shipping labels: labels per minute for one batch, and the failover
    /// time when a printer runs out of paper (real hub, station and fake
    /// printer processes built next to this binary).
    Labels {
        /// Labels in the timed batch.
        #[arg(long, default_value_t = 100)]
        labels: usize,
    },
    /// Stock changes pushed: from a movement's ack at the device to its
    /// SSE event and to its webhook request (p50/p99, target p99 <= 1 s).
    Changes {
        /// Movements, one after the other.
        #[arg(long, default_value_t = 200)]
        movements: usize,
    },
    /// Thousands of devices on one real hub process, all connected until
    /// all are done (the hub binary built next to this one).
    Swarm {
        /// Devices.
        #[arg(long, default_value_t = 5000)]
        devices: usize,
        /// Seconds over which they connect.
        #[arg(long, default_value_t = 5)]
        ramp_s: u64,
        /// Batches per device (the first includes connecting).
        #[arg(long, default_value_t = 3)]
        rounds: u64,
    },
    /// Connection storms: N devices connect within a few seconds, each
    /// sends one signed batch and waits for its ack, on the embedded broker
    /// and on Mosquitto (target: 10,000 on Mosquitto all acked in 10 s).
    Storm {
        /// Fleet sizes, comma-separated.
        #[arg(long, default_value = "1000,5000,10000", value_delimiter = ',')]
        devices: Vec<usize>,
        /// Brokers, comma-separated: embedded, mosquitto.
        #[arg(long, default_value = "embedded,mosquitto", value_delimiter = ',')]
        broker: Vec<hubctl::Broker>,
        /// Seconds over which the devices connect.
        #[arg(long, default_value_t = 3)]
        ramp_s: u64,
        /// Seconds a device waits for its ack before giving up.
        #[arg(long, default_value_t = 120)]
        deadline_s: u64,
    },
    /// CPU cost of sealing and opening one hub-to-device ack.
    Seal {
        /// Acks per round.
        #[arg(long, default_value_t = 200_000)]
        frames: u64,
        /// Rounds.
        #[arg(long, default_value_t = 3)]
        rounds: u32,
    },
    /// Every benchmark with its default or BENCHMARKS.md parameters.
    All,
}

fn main() -> anyhow::Result<std::process::ExitCode> {
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
            Cmd::Latency {
                devices,
                seconds,
                period_ms,
                broker,
            } => {
                let period = Duration::from_millis(period_ms);
                latency::run_on(devices, seconds, period, broker).await
            }
            Cmd::Backlog { movements } => backlog::run(movements).await,
            Cmd::AgentMemory { scans } => memory::run(scans).await,
            Cmd::Probe { rounds } => ingest::probe(rounds).await.map(|()| true),
            Cmd::Reserve {
                clients,
                core_clients,
                seconds,
                pg,
                targets,
                workloads,
            } => {
                let pg = pg
                    .iter()
                    .filter_map(|kv| kv.split_once('='))
                    .filter_map(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
                    .collect();
                let plan = reserve::Plan {
                    clients,
                    core_clients,
                    seconds,
                    pg,
                    targets,
                    workloads,
                };
                reserve::run(plan).await
            }
            Cmd::Swarm {
                devices,
                ramp_s,
                rounds,
            } => {
                swarm::run(swarm::Plan {
                    devices,
                    ramp_s,
                    rounds,
                })
                .await
            }
            Cmd::Storm {
                devices,
                broker,
                ramp_s,
                deadline_s,
            } => {
                storm::run(storm::Plan {
                    devices,
                    brokers: broker,
                    ramp: Duration::from_secs(ramp_s),
                    deadline: Duration::from_secs(deadline_s),
                })
                .await
            }
            Cmd::Seal { frames, rounds } => seal::run(frames, rounds),
            Cmd::Orders { clients, seconds } => orders::run(&clients, seconds).await,
            Cmd::Tasks { orders } => tasks::run(orders).await,
            Cmd::Labels { labels } => labels::run(labels).await,
            Cmd::Changes { movements } => changes::run(movements).await,
            Cmd::All => all().await,
        }
    })?;
    if !ok {
        eprintln!("bench: a target was missed (see FAIL above)");
        return Ok(std::process::ExitCode::FAILURE);
    }
    Ok(std::process::ExitCode::SUCCESS)
}

async fn all() -> anyhow::Result<bool> {
    let mut ok = true;
    for (batches, per_batch) in [(2000, 1), (2000, 10), (200, 100)] {
        let load = ingest::Load {
            devices: 100,
            batches,
            per_batch,
        };
        ok &= ingest::run(load).await?;
    }
    ok &= latency::run(100, 20).await?;
    ok &= latency::run(1000, 20).await?;
    ok &= backlog::run(100_000).await?;
    ok &= memory::run(20_000).await?;
    ok &= seal::run(200_000, 3)?;
    ok &= tasks::run(300).await?;
    ok &= labels::run(100).await?;
    ok &= changes::run(200).await?;
    Ok(ok)
}
