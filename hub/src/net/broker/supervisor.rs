//! Keeps the embedded broker alive: starts [`super::child`] as a process,
//! probes it ([`super::probe`]) and starts a new one when it dies or a
//! probe fails. A panic aborts the child, so the known rumqttd panics are
//! seen the moment they happen; the probe catches a broker that hangs
//! without dying. Restarts are counted in `/metrics` and shown by
//! `/healthz`; devices reconnect and resend from their journals.

use super::child::{ChildArgs, READY};
use super::probe::{self, ProbeLogin};
use super::BrokerError;
use crate::beat::Beat;
use crate::metrics::Metrics;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Every this many probes (5 s at the default interval), the probe also
/// clears retained messages; the hub's first probe is one of them.
const SWEEP_EVERY: u64 = 10;

/// How to start the broker process.
#[derive(Debug, Clone)]
pub struct BrokerChild {
    /// The program run as `PROGRAM broker-child ...` (the hub binary).
    pub program: PathBuf,
    /// What the child is told.
    pub args: ChildArgs,
    /// The hub's per-start secret, handed over on stdin.
    pub secret: String,
}

/// How often and how patiently the broker is probed.
#[derive(Debug, Clone, Copy)]
pub struct ProbePlan {
    /// Time between probes.
    pub every: Duration,
    /// A probe that takes longer than this has failed.
    pub timeout: Duration,
    /// Failed probes in a row, with nothing delivered to the hub's own
    /// connection meanwhile, that make a restart. A broker busy with a
    /// storm of connects (5,000 handhelds back after a power cut) answers
    /// late but still delivers; restarting it then would only start the
    /// storm again. Panics, the failures seen in practice, end the process
    /// and are restarted at once, without waiting for probes.
    pub failures: u32,
}

impl ProbePlan {
    /// How long the supervisor may go without a sign of life: one probe
    /// interval and one probe's whole timeout, and room to restart.
    pub fn patience(&self) -> Duration {
        self.every + self.timeout + Duration::from_secs(10)
    }
}

/// A running broker process: its stdin is its lifeline.
struct Running {
    process: Child,
    _lifeline: ChildStdin,
}

/// The supervisor of one broker process at a time.
pub struct Supervisor {
    child: BrokerChild,
    probe: ProbeLogin,
    plan: ProbePlan,
    metrics: Arc<Metrics>,
}

impl Supervisor {
    /// Starts the first broker (an error here stops the hub's start) and
    /// returns the supervisor to [`Supervisor::run`].
    pub async fn start(
        child: BrokerChild,
        probe: ProbeLogin,
        plan: ProbePlan,
        metrics: Arc<Metrics>,
    ) -> Result<(Supervisor, RunningBroker), BrokerError> {
        let running = spawn(&child).await?;
        metrics.broker_up.store(1, Ordering::Relaxed);
        let supervisor = Supervisor {
            child,
            probe,
            plan,
            metrics,
        };
        Ok((supervisor, RunningBroker(running)))
    }

    /// How long [`Supervisor::run`] may go without a sign of life.
    pub fn patience(&self) -> Duration {
        self.plan.patience()
    }

    /// Watches `first` and its successors until `cancel`, then stops the
    /// broker.
    pub async fn run(self, first: RunningBroker, beat: Beat, cancel: CancellationToken) {
        let mut running = Some(first.0);
        let mut nonce = 0u64;
        let mut retry = Duration::from_millis(100);
        loop {
            beat.now();
            let Some(mut current) = running.take() else {
                // The last start failed: wait, then try again.
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(retry) => {}
                }
                retry = (retry * 2).min(Duration::from_secs(1));
                running = self.restart().await;
                continue;
            };
            let why = tokio::select! {
                _ = cancel.cancelled() => None,
                status = current.process.wait() => Some(match status {
                    Ok(s) => format!("broker process ended ({s})"),
                    Err(e) => format!("broker process lost ({e})"),
                }),
                failure = self.probe_until_failure(&mut nonce, &beat) => Some(failure),
            };
            let Some(why) = why else {
                stop(&mut current).await;
                return;
            };
            self.metrics.broker_up.store(0, Ordering::Relaxed);
            Metrics::add(&self.metrics.broker_restarts, 1);
            warn!(reason = %why, "embedded broker failed; starting a new one");
            stop(&mut current).await;
            retry = Duration::from_millis(100);
            running = self.restart().await;
        }
    }

    async fn restart(&self) -> Option<Running> {
        match spawn(&self.child).await {
            Ok(running) => {
                self.metrics.broker_up.store(1, Ordering::Relaxed);
                info!(listen = %self.child.args.listen, "embedded broker started again");
                Some(running)
            }
            Err(e) => {
                warn!(error = %e, "embedded broker did not start; retrying");
                None
            }
        }
    }

    /// Probes until [`ProbePlan::failures`] probes in a row failed, and
    /// says how the last one failed.
    async fn probe_until_failure(&self, nonce: &mut u64, beat: &Beat) -> String {
        let mut failed = 0;
        let delivered = || self.metrics.mqtt_publishes_in.load(Ordering::Relaxed);
        let mut seen = delivered();
        loop {
            beat.now();
            tokio::time::sleep(self.plan.every).await;
            *nonce += 1;
            let sweep = *nonce % SWEEP_EVERY == 1;
            let probe = probe::round_trip(&self.probe, *nonce, sweep);
            let why = match tokio::time::timeout(self.plan.timeout, probe).await {
                Ok(Ok(cleared)) => {
                    Metrics::add(&self.metrics.retained_cleared, cleared as u64);
                    failed = 0;
                    continue;
                }
                Ok(Err(e)) => format!("probe failed: {e}"),
                Err(_) => format!(
                    "probe got no answer in {} ms",
                    self.plan.timeout.as_millis()
                ),
            };
            // Still delivering to the hub: busy (a storm of connects), not
            // hung. Restarting it would only start the storm again.
            let now = delivered();
            if now != seen {
                seen = now;
                failed = 0;
                warn!(reason = %why, "embedded broker slow to answer the probe but delivering; not restarted");
                continue;
            }
            failed += 1;
            warn!(reason = %why, failed, of = self.plan.failures, "embedded broker probe failed");
            if failed >= self.plan.failures {
                return format!("{why} ({failed} probes in a row)");
            }
        }
    }
}

/// The first broker, as [`Supervisor::start`] made it.
pub struct RunningBroker(Running);

async fn spawn(child: &BrokerChild) -> Result<Running, BrokerError> {
    let args = &child.args;
    let spawn_error = |source| BrokerError::Spawn {
        program: child.program.clone(),
        source,
    };
    let mut process = Command::new(&child.program)
        .arg("broker-child")
        .arg("--listen")
        .arg(args.listen.to_string())
        .arg("--data")
        .arg(&args.data_dir)
        .arg("--site")
        .arg(&args.site)
        .arg("--log-format")
        .arg(crate::logs::format().as_str())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(spawn_error)?;
    let (Some(mut stdin), Some(stdout)) = (process.stdin.take(), process.stdout.take()) else {
        return Err(spawn_error(std::io::Error::other("no pipes to the child")));
    };
    let secret = format!("{}\n", child.secret);
    stdin
        .write_all(secret.as_bytes())
        .await
        .map_err(spawn_error)?;
    let not_ready = |why: String| BrokerError::NotReady {
        addr: args.listen,
        why,
    };
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(15), lines.next_line()).await;
    match first {
        Ok(Ok(Some(line))) if line == READY => Ok(Running {
            process,
            _lifeline: stdin,
        }),
        Ok(Ok(Some(line))) => Err(not_ready(format!(
            "it said {:?}",
            line.escape_debug().to_string()
        ))),
        Ok(Ok(None)) | Ok(Err(_)) => {
            let status = process.wait().await.map_err(spawn_error)?;
            Err(not_ready(format!("it ended ({status}); see the log above")))
        }
        Err(_) => Err(not_ready("no answer in 15 s".into())),
    }
}

/// Kills the broker process and reaps it. The broker holds nothing, so
/// there is nothing to flush first.
async fn stop(running: &mut Running) {
    let _ = running.process.start_kill();
    let _ = running.process.wait().await;
}
