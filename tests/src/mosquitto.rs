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

/// Writes a hub config for `site` using an external broker with this login.
pub fn hub_config(dir: &Path, site: &str, username: &str, password: &str) -> PathBuf {
    let path = dir.join("hub.toml");
    let text = format!(
        "site = \"{site}\"\nexternal_broker_username = \"{username}\"\n\
         external_broker_password = \"{password}\"\n"
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
}

impl Mosquitto {
    /// Starts Mosquitto on a free port with the generated settings in
    /// `acl_dir` (its `mosquitto.conf`), logging every packet, and waits
    /// until it accepts TCP.
    pub fn start(work: &Path, acl_dir: &Path) -> Mosquitto {
        Mosquitto::start_logging(work, acl_dir, &["all"])
    }

    /// [`Mosquitto::start`] logging only `log_types` (`warning`,
    /// `notice`, ...): a benchmark's thousands of clients would otherwise
    /// have it write a line per packet. No connection limit: it may take
    /// as many as its open-file limit (inherited from this process) allows.
    pub fn start_logging(work: &Path, acl_dir: &Path, log_types: &[&str]) -> Mosquitto {
        let port = free_port();
        let conf = work.join("broker.conf");
        let log = work.join("broker.log");
        let types: String = log_types
            .iter()
            .map(|t| format!("log_type {t}\n"))
            .collect();
        let text = format!(
            "include_dir {}\npersistence false\nuser root\n\
             log_dest file {}\n{types}listener {port} 127.0.0.1\n\
             max_connections -1\nuse_username_as_clientid true\n",
            acl_dir.display(),
            log.display()
        );
        std::fs::write(&conf, text).expect("write broker config");
        let child = Command::new(mosquitto_bin())
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(work.join("broker.stderr")).expect("broker stderr file"),
            ))
            .spawn()
            .expect("spawn mosquitto");
        let mut broker = Mosquitto { child, port, log };
        wait_until("mosquitto listening", Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        })
        .unwrap_or_else(|e| {
            let stderr = std::fs::read_to_string(work.join("broker.stderr")).unwrap_or_default();
            panic!("{e}; broker log:\n{}{stderr}", broker.log_text())
        });
        assert!(broker.is_running(), "mosquitto exited");
        broker
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
