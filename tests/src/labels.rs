//! Shipping labels over real processes (issue 16), for the label tests:
//! the fake printer (`firmware-sim printer`) and the printer station
//! (`agent station`) as child processes, a hub configured with stations,
//! and packed orders made the way a warehouse makes them (paid over HTTP,
//! picked and packed by a handheld's signed scans naming their task lines).

use crate::feed::{call, movement, Feed};
use crate::procs::bin_path;
use crate::wait_until;
use crate::work::{paid_order, wait_order_state};
use crate::Credentials;
use protocol::MovementKind;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a label test waits for anything.
pub const WAIT: Duration = Duration::from_secs(60);

/// The `[labels]` table for `stations` (id, group), with a short failover.
pub fn labels_toml(stations: &[(&str, &str)], failover_seconds: u64) -> String {
    let listed: Vec<String> = stations
        .iter()
        .map(|(id, group)| format!("{{ id = \"{id}\", group = \"{group}\" }}"))
        .collect();
    format!(
        "[labels]\nfailover_seconds = {failover_seconds}\nstations = [{}]\n\
         sender = {{ name = \"Example Shop\", phone = \"02155550100\", country = \"CN\", \
         province = \"上海市\", city = \"上海市\", district = \"浦东新区\", \
         street = \"88 Example Rd\", postal_code = \"200000\" }}\n",
        listed.join(", ")
    )
}

/// A child process whose stdout lines are collected.
struct Lines {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Lines {
    fn spawn(mut command: Command) -> Lines {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn child");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("child stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Lines {
            child,
            stdin,
            lines,
            seen: Vec::new(),
        }
    }

    /// Every line so far.
    fn all(&mut self) -> &[String] {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        &self.seen
    }

    /// Waits for a line matching `want`; returns it.
    fn wait_line(&mut self, what: &str, want: impl Fn(&str) -> bool) -> String {
        wait_until(what, WAIT, || self.all().iter().find(|l| want(l)).cloned())
            .unwrap_or_else(|e| panic!("{e}; lines so far: {:?}", self.seen))
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `firmware-sim printer` on a free loopback port, recording to a file.
pub struct FakePrinter {
    proc: Lines,
    /// Where it records what it printed (one JSON line per label).
    pub record: PathBuf,
    /// Its address.
    pub addr: SocketAddr,
}

impl FakePrinter {
    /// Starts one; `paper_out_after`: it runs out of paper after that
    /// many labels.
    pub fn start(dir: &Path, name: &str, paper_out_after: Option<u64>) -> FakePrinter {
        let n = paper_out_after.map(|n| n.to_string());
        let extra: Vec<&str> = match &n {
            Some(n) => vec!["--paper-out-after", n],
            None => Vec::new(),
        };
        FakePrinter::start_with(dir, name, &extra)
    }

    /// Starts one with extra flags (`--head-open-on N`, ...).
    pub fn start_with(dir: &Path, name: &str, extra: &[&str]) -> FakePrinter {
        let record = dir.join(format!("{name}-printed.jsonl"));
        let mut command = Command::new(bin_path("firmware-sim"));
        command
            .args(["printer", "--listen", "127.0.0.1:0", "--record"])
            .arg(&record)
            .args(extra);
        let mut proc = Lines::spawn(command);
        let first = proc.wait_line("the printer listens", |l| l.starts_with("listening on "));
        let addr = first["listening on ".len()..]
            .parse()
            .expect("printer address");
        FakePrinter { proc, record, addr }
    }

    /// Switches its state (`ok`, `paper-out`, `head-open`, `pause`, `silent`).
    pub fn set_state(&mut self, word: &str) {
        let stdin = self.proc.stdin.as_mut().expect("printer stdin");
        writeln!(stdin, "{word}").expect("control the printer");
        stdin.flush().expect("control the printer");
        let want = format!("state {word}");
        self.proc.wait_line("the printer switched", |l| l == want);
    }

    /// The ZPL of every label it printed, in order.
    pub fn printed(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.record).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["zpl"].as_str().map(str::to_string))
            .collect()
    }
}

/// `agent station` for one station and printer.
pub struct Station {
    proc: Lines,
}

impl Station {
    /// Starts station `station` with its queue in `data`.
    pub fn start(
        data: &Path,
        mqtt: &str,
        creds: &Credentials,
        station: &str,
        printer: SocketAddr,
    ) -> Station {
        let mut command = Command::new(bin_path("agent"));
        command
            .args([
                "station",
                "--hub",
                mqtt,
                "--site",
                creds.site(station),
                "--station",
                station,
            ])
            .arg("--credentials")
            .arg(&creds.path)
            .arg("--data")
            .arg(data)
            .args([
                "--printer",
                &printer.to_string(),
                "--printer-timeout-ms",
                "2000",
            ])
            .env("RUST_LOG", "error");
        Station {
            proc: Lines::spawn(command),
        }
    }

    /// Its event lines so far (`queued job=..`, `printed job=..`, ...).
    pub fn lines(&mut self) -> Vec<String> {
        self.proc.all().to_vec()
    }

    /// Waits for an event line matching `want`.
    pub fn wait_line(&mut self, what: &str, want: impl Fn(&str) -> bool) -> String {
        self.proc.wait_line(what, want)
    }

    /// Kills it with SIGKILL.
    pub fn kill9(self) {
        drop(self);
    }
}

/// The platform order id of the `i`th test order: fixed width, so no id
/// is a part of another in a label's text.
pub fn order_ref(prefix: &str, i: usize) -> String {
    format!("{prefix}{i:04}")
}

/// `n` orders of one unit of TEA, paid, picked and packed by handheld
/// `feed` (which must take work: `[tasks] devices`), in order.
pub fn packed_orders(addr: SocketAddr, feed: &mut Feed, prefix: &str, n: usize) -> Vec<u64> {
    feed.send(vec![movement(
        MovementKind::Receive,
        "TEA",
        "A-01-1",
        n as i64,
    )]);
    let ids: Vec<u64> = (1..=n)
        .map(|i| paid_order(addr, &order_ref(prefix, i), "TEA", 1))
        .collect();
    let lines = wait_until("every order on a pick list", WAIT, || {
        let lines = open_lines(addr);
        ids.iter()
            .all(|id| lines.iter().any(|(_, order)| order == id))
            .then_some(lines)
    })
    .expect("orders not planned");
    for kind in [MovementKind::Pick, MovementKind::Pack] {
        let location = if kind == MovementKind::Pick {
            "A-01-1"
        } else {
            "PACK-1"
        };
        let scans = lines
            .iter()
            .filter(|(_, order)| ids.contains(order))
            .map(|(task_ref, _)| {
                let mut m = movement(kind, "TEA", location, 1);
                m.task = Some(task_ref.clone());
                m
            })
            .collect();
        feed.send(scans);
    }
    for &id in &ids {
        wait_order_state(addr, id, "packed");
    }
    ids
}

/// Every line of every open task: (`task:line`, order).
fn open_lines(addr: SocketAddr) -> Vec<(String, u64)> {
    let (_, tasks) = call(addr, "GET", "/api/v1/tasks?state=open&limit=1000", None);
    let mut out = Vec::new();
    for task in tasks["items"].as_array().into_iter().flatten() {
        let id = task["id"].as_u64().unwrap_or(0);
        for line in task["lines"].as_array().into_iter().flatten() {
            if let (Some(no), Some(order)) = (line["line"].as_u64(), line["order"].as_u64()) {
                out.push((format!("{id}:{no}"), order));
            }
        }
    }
    out
}

/// A label batch's state as the hub answers it.
pub fn batch(addr: SocketAddr, id: u64) -> serde_json::Value {
    call(addr, "GET", &format!("/api/v1/label-batches/{id}"), None).1
}

/// Waits until batch `id`'s progress satisfies `done`; returns the batch.
pub fn wait_batch(
    addr: SocketAddr,
    id: u64,
    what: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    wait_until(what, WAIT, || {
        let b = batch(addr, id);
        done(&b["progress"]).then_some(b)
    })
    .unwrap_or_else(|e| panic!("{e}: {}", batch(addr, id)))
}

/// A site for the label tests: a hub whose `[tasks]` gives work to `h1`
/// and whose `[labels]` has the given stations, with `h1` and the
/// stations provisioned and `h1` connected as a feed.
pub struct LabelSite {
    /// The hub.
    pub hub: crate::work::TaskHub,
    /// Its HTTP address.
    pub addr: SocketAddr,
    /// Its MQTT address, `host:port`.
    pub mqtt: String,
    /// `h1`'s credentials.
    pub creds: Credentials,
    /// The stations' credentials.
    pub stations: Credentials,
    /// `h1`, the handheld that picks and packs.
    pub feed: Feed,
}

impl LabelSite {
    /// Starts it in `data`; `more` is appended to the config (inside
    /// `[labels]`: a carrier, platforms).
    pub fn start(data: &Path, stations: &[(&str, &str)], failover_s: u64, more: &str) -> LabelSite {
        let toml = labels_toml(stations, failover_s) + more;
        let hub = crate::work::TaskHub::start_with(data, &["h1"], &toml);
        let (addr, ports) = (hub.addr(), hub.ports);
        let creds = hub.hub.provision(&["h1"]);
        let ids: Vec<&str> = stations.iter().map(|(id, _)| *id).collect();
        let stations = hub.hub.provision_stations(&ids);
        let feed = Feed::connect(ports.mqtt, addr, &creds, "h1");
        LabelSite {
            mqtt: ports.mqtt_addr(),
            hub,
            addr,
            creds,
            stations,
            feed,
        }
    }

    /// `n` packed orders (see [`packed_orders`]).
    pub fn packed_orders(&mut self, prefix: &str, n: usize) -> Vec<u64> {
        packed_orders(self.addr, &mut self.feed, prefix, n)
    }

    /// Station `id` on `printer`, its queue in `data/{id}`, connected.
    pub fn station(&self, data: &Path, id: &str, printer: SocketAddr) -> Station {
        let mut station = Station::start(&data.join(id), &self.mqtt, &self.stations, id, printer);
        station.wait_line(&format!("{id} connected"), |l| l == "connected");
        station
    }
}

/// The `shipments` of a batch body: `ids` in order, each with `carrier`
/// and the tracking number `tracking(position, order)` (positions from 1).
pub fn shipments(
    ids: &[u64],
    carrier: &str,
    tracking: impl Fn(usize, u64) -> String,
) -> Vec<serde_json::Value> {
    ids.iter()
        .enumerate()
        .map(|(i, &id)| serde_json::json!({"order": id, "carrier": carrier, "tracking": tracking(i + 1, id)}))
        .collect()
}

/// Prints `ids` as one batch for group `dock` (waybills `SF` and the
/// position in ten digits); the batch id.
pub fn print_batch(addr: SocketAddr, ids: &[u64]) -> u64 {
    let shipments = shipments(ids, "SF Express", |n, _| format!("SF{n:010}"));
    let body = serde_json::json!({"group": "dock", "shipments": shipments});
    let (status, made) = crate::feed::post(addr, "/api/v1/label-batches", &body.to_string());
    assert_eq!(status, 201, "{made}");
    made["id"].as_u64().expect("batch id")
}
