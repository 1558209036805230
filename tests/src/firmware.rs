//! The hardware side of the multi-process tests: `firmware-sim scanner`
//! (a barcode engine on a pseudo-terminal, whose event lines are
//! collected) and an `agent` reading that engine through `--scanner`
//! (whose answer lines are collected), both real processes.

use crate::procs::bin_path;
use crate::wait::wait_until;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Lines a child prints on stdout, gathered by a thread.
#[derive(Clone, Default)]
pub struct Lines(Arc<Mutex<Vec<String>>>);

impl Lines {
    /// Gathers `child`'s stdout from now on (it must be piped).
    pub fn follow(child: &mut Child) -> Lines {
        let lines = Lines::default();
        if let Some(stdout) = child.stdout.take() {
            let sink = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if let Ok(mut all) = sink.0.lock() {
                        all.push(line);
                    }
                }
            });
        }
        lines
    }

    /// Every line so far.
    pub fn all(&self) -> Vec<String> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// How many lines so far are exactly `line`.
    pub fn count(&self, line: &str) -> usize {
        self.all().iter().filter(|l| *l == line).count()
    }
}

/// A running `firmware-sim scanner`.
pub struct EngineProc {
    child: Child,
    /// Its event lines (`link ...`, `trigger on`, `beeper on`, `sent N` ...).
    pub events: Lines,
    /// The symlink the agent opens.
    pub link: PathBuf,
}

impl EngineProc {
    /// Starts the engine with `script`, its link at `link`, and waits
    /// until the link exists.
    pub fn start(link: &Path, script: &Path) -> EngineProc {
        let mut child = Command::new(bin_path("firmware-sim"))
            .args(["scanner", "--link"])
            .arg(link)
            .arg("--script")
            .arg(script)
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn firmware-sim scanner");
        let events = Lines::follow(&mut child);
        wait_until("engine link", Duration::from_secs(10), || {
            link.exists().then_some(())
        })
        .expect("firmware-sim scanner did not make its link");
        EngineProc {
            child,
            events,
            link: link.to_path_buf(),
        }
    }
}

impl Drop for EngineProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `agent --scanner`.
pub struct ScannerAgentProc {
    child: Child,
    /// Its answer lines (`ok seq=N`, `error: ...`).
    pub answers: Lines,
}

impl ScannerAgentProc {
    /// Starts an agent for `device` reading barcodes from `scanner`.
    pub fn start(
        data: &Path,
        hub_mqtt: &str,
        creds: &crate::Credentials,
        device: &str,
        scanner: &Path,
    ) -> Self {
        let site = creds.site(device);
        let mut child = Command::new(bin_path("agent"))
            .args(["--hub", hub_mqtt, "--site", site, "--device", device])
            .arg("--data")
            .arg(data)
            .arg("--credentials")
            .arg(&creds.path)
            .arg("--scanner")
            .arg(scanner)
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn agent --scanner");
        let answers = Lines::follow(&mut child);
        ScannerAgentProc { child, answers }
    }
}

impl Drop for ScannerAgentProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
