//! Running a real binary under `strace -f` for the sync audit
//! (`tests/tests/sync_audit.rs`): the command line that writes the log the
//! audit ([`crate::syscalls`]) reads, the process's standard streams as
//! lines, and a stop that ends the traced process itself.
//!
//! Why it exists apart from [`crate::procs`]: the spawned child is strace,
//! not the binary, and a tracer that is killed leaves its tracee running
//! untraced; so signals go to the tracee (strace's child, found in
//! `/proc`), and strace exits when it does.

use crate::syscalls::TRACED;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The tracer, from `PATH` (Debian's `strace`; scripts/test.sh installs it).
pub const STRACE: &str = "strace";

/// Whether strace is installed and may trace here (ptrace permitted).
pub fn strace_available() -> bool {
    Command::new(STRACE)
        .args(["-f", "-qq", "-e", "trace=write", "-o", "/dev/null", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Every path under `dir` (absolute, recursively), for the audit's
/// [`crate::syscalls::Scope`]: what existed before the process started.
pub fn existing_paths(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(existing_paths(&path));
        }
        out.push(path.to_string_lossy().into_owned());
    }
    out
}

/// A binary running under `strace -f`, its stdin writable and its stdout
/// and stderr read as lines.
pub struct Traced {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

impl Traced {
    /// Starts `program ARGS` under strace, writing the trace to `log`, with
    /// extra environment variables.
    pub fn spawn<S: AsRef<OsStr>>(
        log: &Path,
        program: &Path,
        args: &[S],
        env: &[(&str, &str)],
    ) -> std::io::Result<Traced> {
        let mut child = Command::new(STRACE)
            .args(["-f", "-y", "-qq", "-s", "256", "-e", "signal=none"])
            .arg("-e")
            .arg(format!("trace={TRACED}"))
            .arg("-o")
            .arg(log)
            .arg("--")
            .arg(program)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take();
        let stdout = lines_of(child.stdout.take());
        let stderr = lines_of(child.stderr.take());
        Ok(Traced {
            child,
            stdin,
            stdout,
            stderr,
        })
    }

    /// Writes one line to the process's standard input.
    pub fn send_line(&mut self, line: &str) -> Result<(), String> {
        let stdin = self.stdin.as_mut().ok_or("stdin closed")?;
        writeln!(stdin, "{line}").map_err(|e| e.to_string())?;
        stdin.flush().map_err(|e| e.to_string())
    }

    /// The next line of standard output, waiting at most `timeout`.
    pub fn next_line(&self, timeout: Duration) -> Result<String, String> {
        self.stdout
            .recv_timeout(timeout)
            .map_err(|e| format!("no line on stdout within {timeout:?}: {e}"))
    }

    /// Reads standard error until a line satisfies `wanted` (returned), or
    /// fails with `what` after `timeout`.
    pub fn wait_stderr(
        &self,
        what: &str,
        timeout: Duration,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) if wanted(&line) => return Ok(line),
                Ok(_) => {}
                Err(e) => return Err(format!("no stderr line {what} within {timeout:?}: {e}")),
            }
        }
    }

    /// The traced process: strace's child.
    pub fn tracee_pid(&self) -> Option<u32> {
        let tracer = self.child.id();
        std::fs::read_dir("/proc")
            .ok()?
            .flatten()
            .find_map(|entry| {
                let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
                (parent_pid(pid)? == tracer).then_some(pid)
            })
    }

    /// SIGTERMs the traced process and waits until strace, and so the
    /// process, exited; returns whether it exited 0.
    pub fn stop(mut self, timeout: Duration) -> bool {
        match self.tracee_pid() {
            Some(pid) => signal(pid, libc::SIGTERM),
            None => return false,
        }
        let exited = crate::wait_until("traced process exit", timeout, || {
            self.child.try_wait().ok().flatten()
        });
        exited.is_ok_and(|status| status.success())
    }
}

impl Drop for Traced {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            if let Some(pid) = self.tracee_pid() {
                signal(pid, libc::SIGKILL);
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// `/proc/PID/stat`'s parent pid (the field after the `(comm)`).
fn parent_pid(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

fn signal(pid: u32, sig: libc::c_int) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: plain kill(2) on the child of a tracer we spawned.
    unsafe {
        libc::kill(pid, sig);
    }
}

fn lines_of(stream: Option<impl Read + Send + 'static>) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    if let Some(stream) = stream {
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    rx
}

/// The trace at `log` as text (strace escapes everything, so it is ASCII).
pub fn read_log(log: &Path) -> Result<String, String> {
    std::fs::read(log)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .map_err(|e| format!("cannot read the trace {}: {e}", log.display()))
}

/// `dir/NAME.strace`.
pub fn log_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.strace"))
}
