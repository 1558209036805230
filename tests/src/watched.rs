//! An `agent` process whose refusals the test can count: like
//! [`crate::AgentProc`], but with its log on a pipe, read for the
//! publisher's "refused a frame from the broker" warnings (one per frame,
//! with a reason word) and its closing "publisher stopped" line (acks
//! taken, frames refused).
//!
//! Why from the log: the attack tests must count what the real binary did
//! with each forged frame, over the real broker, without a test-only door
//! into the agent.

use crate::identity::Credentials;
use crate::procs::bin_path;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the agent's log said so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentLog {
    /// Frames refused, by reason word (`not sealed`, `bad seal`, ...).
    pub refused: BTreeMap<String, u64>,
    /// From the closing line: acks taken and frames refused in the run.
    pub stopped: Option<(u64, u64)>,
}

impl AgentLog {
    /// Frames refused for any of `reasons`.
    pub fn refused_for(&self, reasons: &[&str]) -> u64 {
        reasons
            .iter()
            .map(|r| self.refused.get(*r).copied().unwrap_or(0))
            .sum()
    }

    /// Frames refused, all reasons.
    pub fn refused_total(&self) -> u64 {
        self.refused.values().sum()
    }

    fn read(&mut self, line: &str) {
        if line.contains("refused a frame from the broker") {
            let reason = quoted_field(line, "reason").unwrap_or("?").to_string();
            *self.refused.entry(reason).or_insert(0) += 1;
        } else if line.contains("publisher stopped") {
            let acks = number_field(line, "acks");
            let refused = number_field(line, "refused");
            if let (Some(acks), Some(refused)) = (acks, refused) {
                self.stopped = Some((acks, refused));
            }
        }
    }
}

fn quoted_field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let start = line.find(&format!("{name}=\""))? + name.len() + 2;
    let len = line[start..].find('"')?;
    Some(&line[start..start + len])
}

fn number_field(line: &str, name: &str) -> Option<u64> {
    let key = format!(" {name}=");
    let start = line.find(&key)? + key.len();
    let digits: String = line[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// A running agent with its log watched.
pub struct WatchedAgent {
    child: Child,
    stdin: Option<ChildStdin>,
    answers: mpsc::Receiver<String>,
    log: Arc<Mutex<AgentLog>>,
    reader: Option<JoinHandle<()>>,
}

impl WatchedAgent {
    /// Starts an agent for `device` (journal in `data`, broker at
    /// `hub_mqtt`), with `extra` flags.
    pub fn start(
        data: &Path,
        hub_mqtt: &str,
        creds: &Credentials,
        device: &str,
        extra: &[&str],
    ) -> WatchedAgent {
        let mut child = Command::new(bin_path("agent"))
            .args(["--hub", hub_mqtt, "--site", creds.site(device)])
            .args(["--device", device, "--data"])
            .arg(data)
            .arg("--credentials")
            .arg(&creds.path)
            .args(extra)
            .env("RUST_LOG", "error,agent::publisher::driver=info")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn agent");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("agent stdout");
        let stderr = child.stderr.take().expect("agent stderr");
        let (tx, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let log = Arc::new(Mutex::new(AgentLog::default()));
        let sink = log.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap_or_else(|p| p.into_inner()).read(&line);
            }
        });
        WatchedAgent {
            child,
            stdin,
            answers,
            log,
            reader: Some(reader),
        }
    }

    /// Sends one scan line and waits for its answer line.
    pub fn scan(&mut self, line: &str) -> Result<String, String> {
        let stdin = self.stdin.as_mut().ok_or("stdin closed")?;
        writeln!(stdin, "{line}").map_err(|e| e.to_string())?;
        stdin.flush().map_err(|e| e.to_string())?;
        self.answers
            .recv_timeout(Duration::from_secs(10))
            .map_err(|e| format!("no answer to {line:?}: {e}"))
    }

    /// The log so far.
    pub fn log(&self) -> AgentLog {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// SIGKILL (a power cut or a crash, as the agent sees it); returns the
    /// log up to then.
    pub fn kill9(mut self) -> AgentLog {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        self.log()
    }

    /// SIGTERM, then waits (at most 20 s) for a clean exit and the end of
    /// its log; returns whether it exited 0, and the whole log.
    pub fn terminate(mut self) -> (bool, AgentLog) {
        // SAFETY: plain kill(2) on a child we spawned.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let exited = crate::wait_until("agent exit", Duration::from_secs(20), || {
            self.child.try_wait().ok().flatten()
        });
        if exited.is_err() {
            let _ = self.child.kill();
        }
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let clean = exited.map(|s| s.success()).unwrap_or(false);
        (clean, self.log())
    }
}

impl Drop for WatchedAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_and_closing_lines_are_counted() {
        let mut log = AgentLog::default();
        for line in [
            "2026-01-01T00:00:00Z  WARN agent::publisher::driver: refused a frame from the broker; acting on nothing reason=\"bad seal\" refused=1",
            "2026-01-01T00:00:00Z  WARN agent::publisher::driver: refused a frame from the broker; acting on nothing reason=\"retained\" refused=2",
            "2026-01-01T00:00:00Z  WARN agent::publisher::driver: refused a frame from the broker; acting on nothing reason=\"bad seal\" refused=3",
            "2026-01-01T00:00:00Z  INFO agent::publisher::driver: publisher stopped backlog=0 acks=12 refused=3",
            "unrelated line acks=99",
        ] {
            log.read(line);
        }
        assert_eq!(log.refused_for(&["bad seal"]), 2);
        assert_eq!(log.refused_total(), 3);
        assert_eq!(log.stopped, Some((12, 3)));
    }
}
