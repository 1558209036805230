//! The sync audit: the real `agent` and `hub` run under `strace -f` while
//! the agent confirms scans, the hub acks their batches and answers
//! reservations; the test fails if any confirmation was written before an
//! `fsync`/`fdatasync` of every data file written since, and of every data
//! directory whose entries changed since.
//!
//! Why it exists: promise 1 ("durable before confirmed") and the hub's "ack
//! after durable" hold against a power cut only if the bytes are synced,
//! and no kill -9 test can tell (the page cache survives a killed process).
//! The confirmations: the agent's `ok seq=N` on stdout, the hub's MQTT
//! PUBLISH of an ack on a socket (its internal client's write to the
//! embedded broker comes first and is the one judged), and a 2xx answer to
//! a POST/PUT/DELETE over HTTP. The rule is in `tests::syscalls`.
//!
//! The workload is strictly sequential, so nothing else writes while a
//! confirmation is on its way: one scan at a time, the next only once the
//! agent logged that the hub acked it (the hub wrote the ack, the agent
//! trimmed its journal), and one HTTP request at a time.

use serde_json::{json, Value};
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tests::feed::call;
use tests::syscalls::{audit, Audit, Kind, Scope};
use tests::traced::{existing_paths, log_path, read_log, strace_available, Traced};
use tests::{bin_path, http, hubapi, wait_until, Credentials, HubPorts};

const SITE: &str = "s1";
const DEVICE: &str = "audit-1";
/// Scans, one at a time; each is confirmed, then acked on its own.
const SCANS: [&str; 6] = [
    "receive SKU-A A-01 20",
    "receive SKU-B A-02 20",
    "move SKU-A A-01 5 to=B-01",
    "pick SKU-B A-02 2",
    "receive SKU-A A-03 10 lot=L1",
    "pick SKU-A A-03 1",
];
const STEP: Duration = Duration::from_secs(30);

/// The directories of one run; removed when dropped.
struct Dirs {
    _temp: [tempfile::TempDir; 3],
    hub: PathBuf,
    agent: PathBuf,
    logs: PathBuf,
}

impl Dirs {
    fn new() -> Dirs {
        let temp = [(); 3].map(|()| tempfile::tempdir().expect("tempdir"));
        // strace's -y prints resolved paths; the scopes must match them.
        let real = |t: &tempfile::TempDir| std::fs::canonicalize(t.path()).expect("canonical");
        Dirs {
            hub: real(&temp[0]),
            agent: real(&temp[1]),
            logs: real(&temp[2]),
            _temp: temp,
        }
    }
}

fn scope_of(dir: &Path) -> Scope {
    let cwd = std::env::current_dir().and_then(std::fs::canonicalize);
    let scope = Scope::new(&dir.to_string_lossy(), existing_paths(dir));
    match cwd {
        Ok(cwd) => scope.with_cwd(&cwd.to_string_lossy()),
        Err(_) => scope,
    }
}

fn start_hub(dirs: &Dirs, ports: HubPorts) -> Traced {
    // No nightly reconciliation: its report is written outside the
    // sequential workload.
    let config = dirs.logs.join("hub.toml");
    std::fs::write(&config, "reconcile_at = \"off\"\n").expect("hub config");
    let args: [OsString; 10] = [
        "--config".into(),
        config.into_os_string(),
        "--site".into(),
        SITE.into(),
        "--data".into(),
        dirs.hub.clone().into_os_string(),
        "--mqtt".into(),
        ports.mqtt_addr().into(),
        "--http".into(),
        ports.http_addr().to_string().into(),
    ];
    let log = log_path(&dirs.logs, "hub");
    let hub = Traced::spawn(&log, &bin_path("hub"), &args, &[("RUST_LOG", "error")])
        .expect("run the hub under strace");
    wait_until("hub /healthz under strace", Duration::from_secs(60), || {
        http::get(ports.http_addr(), "/healthz")
            .ok()
            .filter(|r| r.status == 200)
    })
    .expect("the traced hub did not come up");
    http::use_hub_token(ports.http_addr(), &dirs.hub);
    hub
}

fn start_agent(dirs: &Dirs, ports: HubPorts, creds: &Credentials) -> Traced {
    let args: [OsString; 10] = [
        "--hub".into(),
        ports.mqtt_addr().into(),
        "--site".into(),
        SITE.into(),
        "--device".into(),
        DEVICE.into(),
        "--data".into(),
        dirs.agent.clone().into_os_string(),
        "--credentials".into(),
        creds.path.clone().into_os_string(),
    ];
    // The driver's debug line "hub acknowledged through=N" comes after the
    // journal trim: the test's signal that the agent is idle again.
    let env = [("RUST_LOG", "warn,agent::publisher::driver=debug")];
    let log = log_path(&dirs.logs, "agent");
    Traced::spawn(&log, &bin_path("agent"), &args, &env).expect("run the agent under strace")
}

/// One scan at a time: its ok line, then the hub's ack of it, trimmed.
fn scan_and_ack(agent: &mut Traced, ports: HubPorts) {
    for (seq, line) in (1..).zip(SCANS) {
        agent.send_line(line).expect("send a scan");
        let answer = agent.next_line(STEP).expect("an answer to the scan");
        assert_eq!(answer, format!("ok seq={seq}"), "answer to {line:?}");
        let acked = format!("hub acknowledged through={seq}");
        agent
            .wait_stderr(&acked, STEP, |l| l.trim_end().ends_with(&acked))
            .expect("the hub acks each scan");
    }
    let watermark = hubapi::watermark(ports.http_addr(), DEVICE).expect("watermark");
    assert_eq!(watermark, SCANS.len() as u64, "every scan applied");
}

/// The hub's HTTP API, one request at a time, counting confirmations.
struct Api {
    addr: SocketAddr,
    /// 2xx answers to state-changing requests so far.
    confirmed: usize,
}

impl Api {
    /// Sends one request and checks its status; returns the body.
    fn expect(&mut self, method: &str, path: &str, body: Option<Value>, status: u16) -> Value {
        let text = body.map(|b| b.to_string());
        let (got, answer) = call(self.addr, method, path, text.as_deref());
        assert_eq!(got, status, "{method} {path}: {answer}");
        if (200..300).contains(&status) && method != "GET" {
            self.confirmed += 1;
        }
        answer
    }

    fn hold(&mut self, order: &str, sku: &str, quantity: i64, status: u16) -> Value {
        let body = json!({"order_ref": order, "idempotency_key": order, "hold_seconds": 600,
                          "lines": [{"sku": sku, "quantity": quantity}]});
        self.expect("POST", "/api/v1/reservations", Some(body), status)
    }
}

/// Reservations one at a time; returns how many state-changing requests
/// were answered 2xx (each one a confirmation).
fn reserve_one_at_a_time(addr: SocketAddr) -> usize {
    let mut api = Api { addr, confirmed: 0 };
    let first = api.hold("AUD-1", "SKU-A", 3, 201);
    let second = api.hold("AUD-2", "SKU-B", 2, 201);
    api.hold("AUD-3", "SKU-A", 1, 201);
    // A retry: the same hold again, answered 200 (already durable).
    let again = api.hold("AUD-1", "SKU-A", 3, 200);
    assert_eq!(again["id"], first["id"], "the retry returns the same hold");
    let id = |r: &Value| r["id"].as_u64().expect("reservation id");
    let confirm = format!("/api/v1/reservations/{}/confirm", id(&first));
    api.expect("POST", &confirm, None, 200);
    let release = format!("/api/v1/reservations/{}", id(&second));
    api.expect("DELETE", &release, None, 200);
    let rule = json!({"threshold": 1, "stop_at_safety": false});
    api.expect("PUT", "/api/v1/safety-stock/SKU-A", Some(rule), 200);
    // Neither of these is a confirmation: a refusal, and a read.
    api.hold("AUD-4", "SKU-B", 100_000, 409);
    api.expect("GET", "/api/v1/availability/SKU-A", None, 200);
    api.confirmed
}

/// Audits one trace; keeps a copy in `$SYNC_AUDIT_LOGS` if that is set.
fn audit_log(dirs: &Dirs, name: &str, scope: &Scope) -> Audit {
    let log = log_path(&dirs.logs, name);
    if let Some(keep) = std::env::var_os("SYNC_AUDIT_LOGS") {
        let kept = log_path(Path::new(&keep), name);
        std::fs::copy(&log, &kept).expect("keep a copy of the trace");
        eprintln!("sync audit: {name} trace kept in {}", kept.display());
    }
    audit(&read_log(&log).expect("trace"), scope)
}

/// Prints each trace's summary and every violation (file, confirmation).
fn print_report(agent: &Audit, hub: &Audit) {
    for (name, a) in [("agent", agent), ("hub", hub)] {
        eprintln!("sync audit, {name}: {}", a.summary());
        for v in &a.violations {
            eprintln!("  {name} {v}");
        }
    }
}

/// Fails on too few confirmations or data writes (a broken trace must not
/// pass for want of anything to judge).
fn assert_enough_seen(agent: &Audit, hub: &Audit, http_answers: usize) {
    let scans = SCANS.len();
    let (a, h) = (agent.summary(), hub.summary());
    assert_eq!(agent.count(Kind::Scan), scans, "ok lines in the trace: {a}");
    assert!(hub.count(Kind::Ack) >= scans, "acks in the trace: {h}");
    assert_eq!(
        hub.count(Kind::Http),
        http_answers,
        "HTTP 2xx in the trace: {h}"
    );
    assert!(
        agent.data_writes >= scans,
        "journal writes in the trace: {a}"
    );
    assert!(hub.data_writes >= scans, "store writes in the trace: {h}");
}

/// Fails if any confirmation was written with changes unsynced.
fn assert_no_violation(agent: &Audit, hub: &Audit, began: Instant) {
    let counts: Vec<String> = [(agent, Kind::Scan), (hub, Kind::Ack), (hub, Kind::Http)]
        .iter()
        .map(|(a, k)| format!("{} {}/{}", k.name(), a.violations_of(*k), a.count(*k)))
        .collect();
    let counts = counts.join(", ");
    let secs = began.elapsed().as_secs_f64();
    eprintln!("sync audit: unsynced/seen: {counts} in {secs:.1} s");
    let mut all = agent.violations.iter().chain(&hub.violations);
    let first = all.next().map(|v| v.to_string());
    let count = first.iter().count() + all.count();
    assert!(
        first.is_none(),
        "{count} confirmations written before their data was synced ({counts}); first: {}",
        first.unwrap_or_default()
    );
}

#[test]
fn every_confirmation_follows_an_fsync_of_what_it_promises() {
    assert!(
        strace_available(),
        "strace cannot trace here: not installed (scripts/test.sh installs Debian's), or ptrace not permitted"
    );
    let began = Instant::now();
    let dirs = Dirs::new();
    let ports = HubPorts::fresh();
    let creds = tests::provision(&dirs.hub, SITE, &[DEVICE]);
    let (hub_scope, agent_scope) = (scope_of(&dirs.hub), scope_of(&dirs.agent));
    let hub = start_hub(&dirs, ports);
    let mut agent = start_agent(&dirs, ports, &creds);
    scan_and_ack(&mut agent, ports);
    let http_answers = reserve_one_at_a_time(ports.http_addr());
    assert!(agent.stop(STEP), "the agent did not stop cleanly");
    assert!(hub.stop(STEP), "the hub did not stop cleanly");
    let agent_audit = audit_log(&dirs, "agent", &agent_scope);
    let hub_audit = audit_log(&dirs, "hub", &hub_scope);
    print_report(&agent_audit, &hub_audit);
    assert_enough_seen(&agent_audit, &hub_audit, http_answers);
    assert_no_violation(&agent_audit, &hub_audit, began);
}
