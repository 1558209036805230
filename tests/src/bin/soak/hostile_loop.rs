//! `soak hostile`: the second process of the soak. Until its time is up it
//! replays the hostile cases of issue 12 against one hub, at a low rate:
//! the two client behaviours that panic rumqttd 0.20 (each should cost one
//! broker restart, nothing more), idle and slow-header HTTP connections
//! (the hub must close them), a body declared at 1 GiB (413 at once) and a
//! 10 MB ERP upload of bad lines (a small 422). It prints one tally line;
//! anything the hub answered wrongly is counted as unexpected and makes it
//! exit non-zero.

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tests::hostile::{self, connect_and_reset, connect_packet, shared_subscriber_never_acks};
use tests::{hubapi, Credentials};

/// Where to be hostile, and how often.
#[derive(Args, Debug, Clone)]
pub struct HostileArgs {
    /// The hub's MQTT port on 127.0.0.1.
    #[arg(long)]
    pub mqtt: u16,
    /// The hub's HTTP address.
    #[arg(long)]
    pub http: SocketAddr,
    /// Credentials file holding the devices `flaky` and `rogue`.
    #[arg(long)]
    pub credentials: PathBuf,
    /// A file holding an operator token of the hub.
    #[arg(long)]
    pub token_file: PathBuf,
    /// Seconds to keep at it.
    #[arg(long)]
    pub seconds: u64,
    /// How often.
    #[command(flatten)]
    pub cadence: Cadence,
}

/// How often each hostile case comes round; `soak run` takes the same
/// flags and hands them on.
#[derive(Args, Debug, Clone)]
pub struct Cadence {
    /// Seconds between broker panics (alternating the two kinds).
    #[arg(long, default_value_t = 45)]
    pub panic_every: u64,
    /// Seconds between rounds of idle/slow/oversize HTTP clients.
    #[arg(long, default_value_t = 20)]
    pub http_every: u64,
    /// Seconds between 10 MB bad ERP uploads.
    #[arg(long, default_value_t = 120)]
    pub erp_every: u64,
}

impl Cadence {
    /// The flags that give this cadence on a command line.
    pub fn flags(&self) -> [String; 6] {
        [
            "--panic-every".into(),
            self.panic_every.to_string(),
            "--http-every".into(),
            self.http_every.to_string(),
            "--erp-every".into(),
            self.erp_every.to_string(),
        ]
    }
}

/// What was done and what the hub did about it.
#[derive(Debug, Default)]
struct Tally {
    rst_rounds: u64,
    rst_pairs: u64,
    rst_restarts: u64,
    rogue_runs: u64,
    rogue_failed: u64,
    rogue_restarts: u64,
    idle_opened: u64,
    idle_closed: u64,
    slow_sent: u64,
    slow_cut: u64,
    oversize_413: u64,
    erp_422: u64,
    /// HTTP connects refused: the hub was restarting in-process to compact
    /// its store (its own log says when), or down.
    refused: u64,
    unexpected: Vec<String>,
}

type Shared = Arc<Mutex<Tally>>;

fn note(tally: &Shared, f: impl FnOnce(&mut Tally)) {
    let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
    f(&mut t);
}

/// Idle connections per round, and how long the hub may take to close
/// them: its header timeout (10 s by default) plus slack for a busy CI.
const IDLE_PER_ROUND: usize = 40;
const SLOW_PER_ROUND: usize = 10;
const CLOSE_WITHIN: Duration = Duration::from_secs(45);

struct Target {
    mqtt: u16,
    http: SocketAddr,
    token: String,
    creds: Credentials,
}

impl Target {
    fn restarts(&self) -> u64 {
        hubapi::metric(self.http, "wms_broker_restarts_total").unwrap_or(0)
    }

    /// Whether the restart count rises past `before` within `within`.
    fn restarted_since(&self, before: u64, within: Duration) -> bool {
        tests::wait_until("broker restart", within, || {
            (self.restarts() > before).then_some(())
        })
        .is_ok()
    }
}

/// The flaky handheld: pairs of connect-and-reset with one client id
/// until the broker falls over (a race; at most 100 pairs a round).
fn rst_round(t: &Target, tally: &Shared) {
    let packet = connect_packet(&t.creds, "flaky");
    let before = t.restarts();
    let mut pairs = 0;
    let mut restarted = false;
    while pairs < 100 && !restarted {
        pairs += 1;
        let _ = connect_and_reset(t.mqtt, &packet);
        let _ = connect_and_reset(t.mqtt, &packet);
        std::thread::sleep(Duration::from_millis(20));
        if pairs % 5 == 0 {
            restarted = t.restarts() > before;
        }
    }
    let restarted = restarted || t.restarted_since(before, Duration::from_secs(5));
    note(tally, |x| {
        x.rst_rounds += 1;
        x.rst_pairs += pairs;
        x.rst_restarts += u64::from(restarted);
    });
}

/// The persistent `$share` subscriber that never acks.
fn rogue_round(t: &Target, tally: &Shared) {
    let before = t.restarts();
    let ran = shared_subscriber_never_acks(&t.creds, "rogue", t.mqtt);
    let restarted = ran.is_ok() && t.restarted_since(before, Duration::from_secs(15));
    note(tally, |x| {
        x.rogue_runs += 1;
        x.rogue_failed += u64::from(ran.is_err());
        x.rogue_restarts += u64::from(restarted);
    });
}

/// Idle and slow-header connections (in the background: the hub takes
/// its header timeout to close them) and one oversize declaration.
fn http_round(t: &Target, tally: &Shared, workers: &mut Vec<JoinHandle<()>>) {
    let (addr, idle_tally) = (t.http, tally.clone());
    workers.push(std::thread::spawn(move || {
        let (opened, closed) = hostile::idle_connections(addr, IDLE_PER_ROUND, CLOSE_WITHIN);
        note(&idle_tally, |x| {
            x.idle_opened += opened as u64;
            x.idle_closed += closed as u64;
            x.refused += (IDLE_PER_ROUND - opened) as u64;
            if closed < opened {
                x.unexpected.push(format!(
                    "{} of {opened} idle connections still open after {CLOSE_WITHIN:?}",
                    opened - closed
                ));
            }
        });
    }));
    for _ in 0..SLOW_PER_ROUND {
        let slow_tally = tally.clone();
        workers.push(std::thread::spawn(move || {
            let cut = hostile::slow_header(addr, CLOSE_WITHIN);
            note(&slow_tally, |x| match cut {
                None => x.refused += 1,
                Some(cut) => {
                    x.slow_sent += 1;
                    x.slow_cut += u64::from(cut);
                    if !cut {
                        x.unexpected
                            .push(format!("a slow header still open after {CLOSE_WITHIN:?}"));
                    }
                }
            });
        }));
    }
    match hostile::oversize_declared(t.http, &t.token, "/api/v1/reservations") {
        Ok(413) => note(tally, |x| x.oversize_413 += 1),
        Err(e) if e.contains("Connection refused") => note(tally, |x| x.refused += 1),
        other => note(tally, |x| {
            x.unexpected
                .push(format!("1 GiB declared body answered {other:?}, not 413"))
        }),
    }
}

/// One 10 MB bad-line ERP upload, in the background.
fn erp_round(t: &Target, tally: &Shared, csv: &Arc<String>) -> JoinHandle<()> {
    let (addr, token, tally, csv) = (t.http, t.token.clone(), tally.clone(), csv.clone());
    std::thread::spawn(move || match hostile::erp_upload(addr, &token, &csv) {
        Ok((422, len)) if len < 64 * 1024 => note(&tally, |x| x.erp_422 += 1),
        // Refused, or cut by an in-process restart (a compaction).
        Err(e) if e.contains("Connection refused") || e.contains("reset") => {
            note(&tally, |x| x.refused += 1)
        }
        other => note(&tally, |x| {
            x.unexpected.push(format!(
                "bad ERP upload answered {other:?}, not a small 422"
            ))
        }),
    })
}

fn summary(t: &Tally) -> String {
    format!(
        "hostile: rst_rounds={} rst_pairs={} rst_restarts={} rogue_runs={} rogue_failed={} \
         rogue_restarts={} idle_opened={} idle_closed={} slow_sent={} slow_cut={} \
         oversize_413={} erp_422={} refused={} unexpected={}",
        t.rst_rounds,
        t.rst_pairs,
        t.rst_restarts,
        t.rogue_runs,
        t.rogue_failed,
        t.rogue_restarts,
        t.idle_opened,
        t.idle_closed,
        t.slow_sent,
        t.slow_cut,
        t.oversize_413,
        t.erp_422,
        t.refused,
        t.unexpected.len()
    )
}

/// Runs the hostile loop; exits non-zero if the hub answered any case
/// wrongly.
pub fn run(args: HostileArgs) -> anyhow::Result<ExitCode> {
    let file = serde_json::from_str(&std::fs::read_to_string(&args.credentials)?)?;
    let creds = Credentials {
        path: args.credentials.clone(),
        file,
    };
    let token = std::fs::read_to_string(&args.token_file)?
        .trim()
        .to_string();
    tests::http::remember_token(args.http, &token);
    let t = Target {
        mqtt: args.mqtt,
        http: args.http,
        token,
        creds,
    };
    let tally: Shared = Arc::default();
    let csv = Arc::new(hostile::bad_erp_csv());
    let start = Instant::now();
    let end = start + Duration::from_secs(args.seconds);
    let every = |s: u64| Duration::from_secs(s.max(1));
    let mut next_panic = start + every(args.cadence.panic_every) / 2;
    let mut next_http = start + Duration::from_secs(5);
    let mut next_erp = start + every(args.cadence.erp_every) / 2;
    let (mut flaky_turn, mut workers, mut erp) = (true, Vec::new(), None::<JoinHandle<()>>);
    while Instant::now() < end {
        let now = Instant::now();
        if now >= next_panic {
            match flaky_turn {
                true => rst_round(&t, &tally),
                false => rogue_round(&t, &tally),
            }
            flaky_turn = !flaky_turn;
            next_panic = Instant::now() + every(args.cadence.panic_every);
        }
        if now >= next_http {
            http_round(&t, &tally, &mut workers);
            next_http += every(args.cadence.http_every);
        }
        let erp_idle = match &erp {
            Some(upload) => upload.is_finished(),
            None => true,
        };
        if now >= next_erp && erp_idle {
            erp = Some(erp_round(&t, &tally, &csv));
            next_erp += every(args.cadence.erp_every);
        }
        workers.retain(|w| !w.is_finished());
        std::thread::sleep(Duration::from_millis(200));
    }
    for worker in workers.into_iter().chain(erp) {
        let _ = worker.join();
    }
    let tally = tally.lock().unwrap_or_else(|p| p.into_inner());
    println!("{}", summary(&tally));
    for what in tally.unexpected.iter().take(20) {
        println!("hostile: unexpected: {what}");
    }
    Ok(match tally.unexpected.is_empty() {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    })
}
