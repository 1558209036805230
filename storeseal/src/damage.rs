//! Tools for the damaged-file tests of the stores that use this crate (the
//! agent's journal, the hub's store): damage a file, snapshot a directory
//! byte for byte, and run a binary that must refuse to start. Only built
//! with the `damage-kit` feature, which those crates enable for their
//! tests alone; tests panic on failure, as tests do.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Every file under `dir` with its bytes.
pub fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

/// Flips one bit of the byte at `at`.
pub fn flip(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).expect("read");
    bytes[at] ^= 0x10;
    std::fs::write(path, bytes).expect("write");
}

/// Cuts the file to `len` bytes.
pub fn truncate(path: &Path, len: u64) {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open");
    file.set_len(len).expect("set_len");
}

/// Runs `cmd` (no stdin or stdout); its exit code and stderr, or `None`
/// if it was still running after 20 s (it accepted the store).
pub fn run_to_exit(cmd: &mut Command) -> Option<(i32, String)> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
    }
    Some((status.code().unwrap_or(-1), stderr))
}

/// `cmd` refuses with exit code 1 and every `needle` in stderr; returns
/// the stderr. `what` names the store for the failure message.
pub fn assert_refused(cmd: &mut Command, what: &str, needles: &[&str]) -> String {
    let (code, stderr) =
        run_to_exit(cmd).unwrap_or_else(|| panic!("it started on a damaged {what}"));
    assert_eq!(code, 1, "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "missing {needle:?} in: {stderr}");
    }
    stderr
}
