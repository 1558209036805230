//! A real Mosquitto broker (Debian's `mosquitto`, which scripts/test.sh
//! installs) on a free loopback port, loading the files the real
//! `hub device acl --format mosquitto` wrote: the external-broker half of
//! promise 10.

use crate::procs::{bin_path, free_port};
use crate::wait::wait_until;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The broker binary: on PATH, or where Debian puts it.
fn mosquitto_bin() -> PathBuf {
    let debian = PathBuf::from("/usr/sbin/mosquitto");
    if debian.exists() {
        return debian;
    }
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("mosquitto"))
        .find(|p| p.exists());
    found.unwrap_or_else(|| {
        panic!("mosquitto missing: run `bash scripts/test.sh`, which installs it")
    })
}

/// Writes a hub config for `site` using an external broker with this
/// login: the password in its own file (`broker.pass` beside the config),
/// never in the config.
pub fn hub_config(dir: &Path, site: &str, username: &str, password: &str) -> PathBuf {
    let path = dir.join("hub.toml");
    let secret = dir.join("broker.pass");
    std::fs::write(&secret, format!("{password}\n")).expect("write password file");
    let text = format!(
        "site = \"{site}\"\n[external_broker]\nusername = \"{username}\"\n\
         password_file = \"{}\"\n",
        secret.display()
    );
    std::fs::write(&path, text).expect("write hub config");
    path
}

/// Runs `hub device acl --format mosquitto` into `out`; panics on failure.
pub fn export_acl(hub_data: &Path, config: &Path, out: &Path) {
    let output = Command::new(bin_path("hub"))
        .args(["device", "acl", "--format", "mosquitto", "--config"])
        .arg(config)
        .arg("--out")
        .arg(out)
        .arg("--data")
        .arg(hub_data)
        .env("RUST_LOG", "error")
        .output()
        .expect("run hub device acl");
    assert!(
        output.status.success(),
        "hub device acl failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A running Mosquitto.
pub struct Mosquitto {
    child: Child,
    /// Its loopback port.
    pub port: u16,
    log: PathBuf,
    work: PathBuf,
}

fn spawn_broker(work: &Path, conf: &Path) -> Child {
    Command::new(mosquitto_bin())
        .arg("-c")
        .arg(conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(work.join("broker.stderr")).expect("broker stderr file"),
        ))
        .spawn()
        .expect("spawn mosquitto")
}

impl Mosquitto {
    /// Starts Mosquitto on a free port with the generated settings in
    /// `acl_dir` (its `mosquitto.conf`), logging every packet, and waits
    /// until it accepts TCP.
    pub fn start(work: &Path, acl_dir: &Path) -> Mosquitto {
        Mosquitto::start_on(work, acl_dir, free_port())
    }

    /// [`Mosquitto::start`] on a given port.
    pub fn start_on(work: &Path, acl_dir: &Path, port: u16) -> Mosquitto {
        Mosquitto::start_with_listeners(work, acl_dir, port, "")
    }

    /// [`Mosquitto::start_on`] with more listeners (`listener ...` lines
    /// and their options, after the plain one on `port`).
    pub fn start_with_listeners(work: &Path, acl_dir: &Path, port: u16, more: &str) -> Mosquitto {
        Mosquitto::spawn_with(work, acl_dir, port, &["all"], more)
    }

    /// [`Mosquitto::start`] logging only `log_types` (`warning`,
    /// `notice`, ...): a benchmark's thousands of clients would otherwise
    /// have it write a line per packet. No connection limit: it may take
    /// as many as its open-file limit (inherited from this process) allows.
    pub fn start_logging(work: &Path, acl_dir: &Path, log_types: &[&str]) -> Mosquitto {
        Mosquitto::spawn_with(work, acl_dir, free_port(), log_types, "")
    }

    fn spawn_with(
        work: &Path,
        acl_dir: &Path,
        port: u16,
        log_types: &[&str],
        more: &str,
    ) -> Mosquitto {
        let conf = work.join("broker.conf");
        let log = work.join("broker.log");
        let types: String = log_types
            .iter()
            .map(|t| format!("log_type {t}\n"))
            .collect();
        let text = format!(
            "include_dir {}\npersistence false\nuser root\n\
             log_dest file {}\n{types}pid_file {}\n\
             listener {port} 127.0.0.1\nmax_connections -1\n\
             use_username_as_clientid true\n{more}",
            acl_dir.display(),
            log.display(),
            work.join("broker.pid").display()
        );
        std::fs::write(&conf, text).expect("write broker config");
        let child = spawn_broker(work, &conf);
        let mut broker = Mosquitto {
            child,
            port,
            log,
            work: work.to_path_buf(),
        };
        broker.wait_listening();
        broker
    }

    /// A script that makes this broker reload, whatever its process id
    /// after restarts (for `--external-broker-reload`).
    pub fn reload_script(&self) -> PathBuf {
        let path = self.work.join("reload.sh");
        let text = format!(
            "#!/bin/sh\nexec kill -HUP \"$(cat {})\"\n",
            self.work.join("broker.pid").display()
        );
        std::fs::write(&path, text).expect("write reload script");
        let mut mode = std::fs::metadata(&path).expect("stat").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut mode, 0o755);
        std::fs::set_permissions(&path, mode).expect("chmod reload script");
        path
    }

    /// SIGKILL, then a new process with the same settings on the same
    /// port (no persistence: it starts with no sessions and nothing
    /// retained, as a replaced broker node does).
    pub fn kill_and_restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn_broker(&self.work, &self.work.join("broker.conf"));
        self.wait_listening();
    }

    fn wait_listening(&mut self) {
        let port = self.port;
        wait_until("mosquitto listening", Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        })
        .unwrap_or_else(|e| {
            let stderr =
                std::fs::read_to_string(self.work.join("broker.stderr")).unwrap_or_default();
            panic!("{e}; broker log:\n{}{stderr}", self.log_text())
        });
        assert!(self.is_running(), "mosquitto exited");
    }

    /// `host:port` for `--external-broker` and `--hub`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Makes it re-read its password and ACL files (SIGHUP), and waits
    /// until its log says so.
    pub fn reload(&mut self) {
        let before = self.log_text().matches("Reloading config").count();
        // SAFETY: kill(2) on a child we spawned.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGHUP);
        }
        wait_until("mosquitto reloaded", Duration::from_secs(10), || {
            (self.log_text().matches("Reloading config").count() > before).then_some(())
        })
        .unwrap_or_else(|e| panic!("{e}; broker log:\n{}", self.log_text()));
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How many publishes from `client` on `topic` it has received so
    /// far, as its log shows them (every packet is logged, by default).
    pub fn publishes_from(&self, client: &str, topic: &str) -> usize {
        let (from, on) = (
            format!("Received PUBLISH from {client} "),
            format!("'{topic}'"),
        );
        let log = self.log_text();
        log.lines()
            .filter(|l| l.contains(&from) && l.contains(&on))
            .count()
    }

    /// Its log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment variable that runs every hub the harness starts on an
/// external Mosquitto instead of its embedded broker: `mosquitto`.
pub const BROKER_ENV: &str = "WMS_TEST_BROKER";

/// Whether this run puts the hubs on Mosquitto ([`BROKER_ENV`]).
pub fn hubs_on_mosquitto() -> bool {
    match std::env::var(BROKER_ENV).as_deref() {
        Ok("mosquitto") => true,
        Ok("embedded") | Ok("") | Err(_) => false,
        Ok(other) => panic!("{BROKER_ENV}={other}: expected mosquitto or embedded"),
    }
}

/// A hub's own Mosquitto, on the port its embedded broker would use, so
/// the devices of a test find it where they look: the hub keeps the
/// broker's password and ACL files (`--external-broker-acl-dir`) and
/// reloads it with `kill -HUP` as devices are added and revoked. Dropped
/// with the hub, as the embedded broker dies with it.
pub struct HubBroker {
    /// The broker.
    pub broker: Mosquitto,
    /// The flags that put the hub on it.
    pub args: Vec<String>,
}

impl HubBroker {
    /// Starts Mosquitto for the hub of `site` with data in `data`, on
    /// `port`; the files in place before the hub starts come from the
    /// real `hub device acl`.
    pub fn start(data: &Path, site: &str, port: u16) -> HubBroker {
        let name = data.file_name().and_then(|n| n.to_str()).unwrap_or("hub");
        let work = data.with_file_name(format!("{name}-mosquitto-{port}"));
        std::fs::create_dir_all(&work).expect("broker work dir");
        let username = format!("hub-{site}");
        let config = hub_config(&work, site, &username, &format!("pw-{site}-{port}"));
        let acl = work.join("acl");
        export_acl(data, &config, &acl);
        let broker = Mosquitto::start_on(&work, &acl, port);
        let args = [
            "--external-broker".to_string(),
            format!("mqtt://127.0.0.1:{port}"),
            "--external-broker-username".into(),
            username,
            "--external-broker-password-file".into(),
            work.join("broker.pass").display().to_string(),
            "--external-broker-acl-dir".into(),
            acl.display().to_string(),
            "--external-broker-reload".into(),
            broker.reload_script().display().to_string(),
        ];
        HubBroker {
            broker,
            args: args.to_vec(),
        }
    }
}
