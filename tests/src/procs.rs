//! Real processes: the `hub` and `agent` binaries built by
//! `cargo build --workspace --bins` (scripts/test.sh does that first), in
//! the same target directory as the test executable.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::http;
use crate::identity::Credentials;
use crate::wait::wait_until;

/// Path of a workspace binary next to the running test executable
/// (`target/<profile>/<name>`), or under `$WMS_BIN_DIR` if set.
pub fn bin_path(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("WMS_BIN_DIR") {
        return PathBuf::from(dir).join(name);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    // target/debug/deps/test-hash -> target/debug
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} not built: run `bash scripts/test.sh` (it builds the binaries first)",
        path.display()
    );
    path
}

/// A free TCP port on loopback (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// The two ports a hub listens on.
#[derive(Debug, Clone, Copy)]
pub struct HubPorts {
    /// MQTT.
    pub mqtt: u16,
    /// HTTP.
    pub http: u16,
}

impl HubPorts {
    /// Two fresh free ports.
    pub fn fresh() -> HubPorts {
        HubPorts {
            mqtt: free_port(),
            http: free_port(),
        }
    }

    /// The HTTP address.
    pub fn http_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.http))
    }

    /// The MQTT address as host:port.
    pub fn mqtt_addr(&self) -> String {
        format!("127.0.0.1:{}", self.mqtt)
    }
}

/// A running `hub` process.
pub struct HubProc {
    child: Child,
    /// Its ports.
    pub ports: HubPorts,
    /// Its data directory.
    pub data: PathBuf,
    /// The site it owns.
    pub site: String,
    /// Its Mosquitto, when the run puts hubs on one
    /// ([`crate::mosquitto::hubs_on_mosquitto`]); dropped after the hub.
    pub mosquitto: Option<crate::mosquitto::HubBroker>,
}

impl HubProc {
    /// Starts a hub on `ports` with data in `data`, and waits until it
    /// answers `/healthz`; from then on the [`http`] helpers call it with
    /// its first-start operator token.
    pub fn start(data: &Path, ports: HubPorts, site: &str) -> HubProc {
        HubProc::start_with(data, ports, site, &[])
    }

    /// Like [`HubProc::start`], with extra flags (`--config FILE`, ...).
    pub fn start_with(data: &Path, ports: HubPorts, site: &str, extra: &[&str]) -> HubProc {
        HubProc::spawn(
            data,
            ports,
            site,
            extra,
            &hub_log_filter(),
            Stdio::inherit(),
        )
    }

    /// Like [`HubProc::start`], logging at `filter` into the file `log`.
    pub fn start_logging(
        data: &Path,
        ports: HubPorts,
        site: &str,
        log: &Path,
        filter: &str,
    ) -> HubProc {
        HubProc::start_logging_with(data, ports, site, log, filter, &[])
    }

    /// [`HubProc::start_logging`] with extra flags (`--log-format json`).
    pub fn start_logging_with(
        data: &Path,
        ports: HubPorts,
        site: &str,
        log: &Path,
        filter: &str,
        extra: &[&str],
    ) -> HubProc {
        let file = std::fs::File::create(log).expect("create the hub's log file");
        HubProc::spawn(data, ports, site, extra, filter, Stdio::from(file))
    }

    fn spawn(
        data: &Path,
        ports: HubPorts,
        site: &str,
        extra: &[&str],
        filter: &str,
        stderr: Stdio,
    ) -> HubProc {
        let own_broker = extra.contains(&"--external-broker");
        let mosquitto = (crate::mosquitto::hubs_on_mosquitto() && !own_broker)
            .then(|| crate::mosquitto::HubBroker::start(data, site, ports.mqtt));
        let broker_args = mosquitto
            .as_ref()
            .map(|m| m.args.clone())
            .unwrap_or_default();
        let child = Command::new(bin_path("hub"))
            .args(["--site", site, "--data"])
            .arg(data)
            .args(["--mqtt", &format!("127.0.0.1:{}", ports.mqtt)])
            .args(["--http", &format!("127.0.0.1:{}", ports.http)])
            .args(&broker_args)
            .args(extra)
            .env("RUST_LOG", filter)
            .stdin(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("spawn hub");
        let hub = HubProc {
            child,
            ports,
            data: data.to_path_buf(),
            site: site.to_string(),
            mosquitto,
        };
        wait_until("hub /healthz", Duration::from_secs(20), || {
            http::get(ports.http_addr(), "/healthz")
                .ok()
                .filter(|r| r.status == 200)
        })
        .expect("hub did not come up");
        http::use_hub_token(ports.http_addr(), data);
        hub
    }

    /// Provisions `devices` for this hub's site with the real
    /// `hub device add` (while it runs; it picks them up within a second).
    pub fn provision(&self, devices: &[&str]) -> Credentials {
        let creds = crate::identity::provision(&self.data, &self.site, devices);
        self.wait_devices_loaded(&creds, devices);
        creds
    }

    /// Provisions printer stations with the real `hub device add --kind
    /// printer-station`, and waits until the hub takes them.
    pub fn provision_stations(&self, stations: &[&str]) -> Credentials {
        let creds = crate::identity::provision_stations(&self.data, &self.site, stations);
        self.wait_devices_loaded(&creds, stations);
        creds
    }

    /// Waits until the running hub's broker accepts `devices`' logins,
    /// i.e. it has reloaded the registry.
    pub fn wait_devices_loaded(&self, creds: &Credentials, devices: &[&str]) {
        for device in devices {
            let opts = crate::identity::device_options(creds, device, self.ports.mqtt);
            wait_until("hub loads the device", Duration::from_secs(10), || {
                crate::identity::connect_outcome(opts.clone()).then_some(())
            })
            .expect("the hub did not accept the new device's login");
        }
        self.wait_registry_loaded();
    }

    /// Waits until the hub acts on the registry now on disk (its
    /// `wms_registry_generation`): the broker child reloads the file on
    /// its own, and can accept a login while the hub still refuses, or
    /// still applies, that device's frames.
    pub fn wait_registry_loaded(&self) {
        let registry = hub::devices::Registry::new(&self.data);
        let file = registry.load().expect("read the device registry");
        let want = hub::devices::reload::generation(&file);
        wait_until("hub loads the registry", Duration::from_secs(10), || {
            let got = crate::hubapi::metric(self.ports.http_addr(), "wms_registry_generation");
            (got == Ok(want)).then_some(())
        })
        .expect("the hub did not load the device registry");
    }

    /// Makes an API token with the real `hub token create` (while the hub
    /// runs) and waits until the hub accepts it; returns the token.
    pub fn create_token(&self, role: &str, name: &str) -> String {
        let out = hub_command(
            &self.data,
            &["token", "create", "--role", role, "--name", name],
        );
        assert!(
            out.status.success(),
            "hub token create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let bearer = format!("Bearer {token}");
        wait_until("hub accepts the new token", Duration::from_secs(10), || {
            http::request_as(
                self.ports.http_addr(),
                "GET",
                "/api/v1/alerts",
                Some(&bearer),
                None,
            )
            .ok()
            .filter(|r| r.status != 401)
        })
        .expect("the hub did not take the new token");
        token
    }

    /// SIGKILL: no shutdown, no flush beyond what was already durable.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait for a clean exit; returns whether it exited 0.
    pub fn terminate(mut self) -> bool {
        sigterm(self.child.id());
        wait_exit(&mut self.child, Duration::from_secs(20))
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// Runs `hub ARGS --data DATA` (a subcommand) to completion.
pub fn hub_command(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin_path("hub"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env("RUST_LOG", "error")
        .output()
        .expect("run hub")
}

/// The hub's log filter in tests: errors only, or `HUB_RUST_LOG`.
fn hub_log_filter() -> String {
    std::env::var("HUB_RUST_LOG").unwrap_or_else(|_| "error".into())
}

/// A process's resident memory now and at its peak (`VmRSS`, `VmHWM`),
/// in KiB, from `/proc/PID/status` (Linux).
pub fn resident_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The pid of `hub`'s child process running `hub broker-child` (the
/// embedded broker; a new pid after each restart), from /proc (Linux).
pub fn broker_child(hub: u32) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.find_map(|entry| {
        let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The command name in parentheses may hold spaces: fields after
        // the last ')' are state, then ppid.
        let ppid: u32 = stat
            .rsplit_once(')')?
            .1
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let is_broker = cmdline.split(|&b| b == 0).any(|arg| arg == b"broker-child");
        (ppid == hub && is_broker).then_some(pid)
    })
}

/// Raises this process's open-file limit to at least `want` (children
/// inherit it); returns the soft limit now in force.
pub fn raise_fd_limit(want: u64) -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit on a valid, owned struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        if lim.rlim_cur < want {
            // Root may raise the hard limit too; others get up to it.
            let raised = libc::rlimit {
                rlim_cur: want,
                rlim_max: lim.rlim_max.max(want),
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) != 0 {
                let capped = libc::rlimit {
                    rlim_cur: lim.rlim_max,
                    rlim_max: lim.rlim_max,
                };
                libc::setrlimit(libc::RLIMIT_NOFILE, &capped);
            }
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        }
    }
    lim.rlim_cur
}

impl Drop for HubProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sigterm(pid: u32) {
    // SAFETY: plain kill(2) on a child we spawned.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGTERM);
    }
}

fn wait_exit(child: &mut Child, timeout: Duration) -> bool {
    wait_until("process exit", timeout, || child.try_wait().ok().flatten())
        .map(|status| status.success())
        .unwrap_or(false)
}

/// A running `agent` process fed scan lines on stdin.
pub struct AgentProc {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
}

impl AgentProc {
    /// Starts an agent for `device` with its journal in `data`, its site
    /// and secrets from `creds`.
    pub fn start(
        data: &Path,
        hub_mqtt: &str,
        creds: &Credentials,
        device: &str,
        extra: &[&str],
    ) -> AgentProc {
        AgentProc::start_logging(data, hub_mqtt, creds, device, extra, None)
    }

    /// [`AgentProc::start`] with its error log (stderr) going to `stderr`.
    pub fn start_logging(
        data: &Path,
        hub_mqtt: &str,
        creds: &Credentials,
        device: &str,
        extra: &[&str],
        stderr: Option<&Path>,
    ) -> AgentProc {
        let site = creds.site(device);
        let stderr = match stderr {
            Some(path) => Stdio::from(std::fs::File::create(path).expect("agent log file")),
            None => Stdio::inherit(),
        };
        let mut child = Command::new(bin_path("agent"))
            .args([
                "--hub", hub_mqtt, "--site", site, "--device", device, "--data",
            ])
            .arg(data)
            .arg("--credentials")
            .arg(&creds.path)
            .args(extra)
            .env("RUST_LOG", "error")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn agent");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("agent stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        AgentProc {
            child,
            stdin,
            lines,
        }
    }

    /// Sends one scan line and waits for its answer line.
    pub fn scan(&mut self, line: &str) -> Result<String, String> {
        let stdin = self.stdin.as_mut().ok_or("stdin closed")?;
        writeln!(stdin, "{line}").map_err(|e| e.to_string())?;
        stdin.flush().map_err(|e| e.to_string())?;
        self.lines
            .recv_timeout(Duration::from_secs(10))
            .map_err(|e| format!("no answer to {line:?}: {e}"))
    }

    /// Writes one scan line without waiting for its answer (a kill follows).
    pub fn scan_nowait(&mut self, line: &str) -> Result<(), String> {
        let stdin = self.stdin.as_mut().ok_or("stdin closed")?;
        writeln!(stdin, "{line}").map_err(|e| e.to_string())?;
        stdin.flush().map_err(|e| e.to_string())
    }

    /// Closes stdin (end of scans).
    pub fn close_stdin(&mut self) {
        self.stdin.take();
    }

    /// SIGKILL.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to exit by itself; returns whether it exited 0.
    pub fn wait_exit(mut self, timeout: Duration) -> bool {
        wait_exit(&mut self.child, timeout)
    }

    /// Waits for the process to exit by itself; its exit status, or None
    /// if it still runs after `timeout`.
    pub fn exit_status(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        wait_until("agent exit", timeout, || {
            self.child.try_wait().ok().flatten()
        })
        .ok()
    }
}

impl Drop for AgentProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parses an agent answer `ok seq=N`.
pub fn confirmed_seq(answer: &str) -> Option<u64> {
    answer.strip_prefix("ok seq=")?.trim().parse().ok()
}
