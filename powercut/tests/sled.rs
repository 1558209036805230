//! sled 0.34 on the power-cut file system: the bug this crate exists to
//! show. sled's `flush()` ends in `sync_file_range`, which makes nothing
//! durable; a process killed after it loses the insert at a power cut. With
//! an `fdatasync` of sled's `db` file and an `fsync` of its directory the
//! insert survives.
//!
//! The writer must be a separate process killed with SIGKILL: dropping a
//! `sled::Db` in-process fsyncs the data file (sled's `Log::drop`), which
//! would hide the bug. So each test re-runs this test binary as the child
//! (selected by an environment variable), which opens the store with the
//! periodic flusher off (as the agent and the hub do), writes, reports
//! ready and waits to be killed.

mod support;

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::{sync_dir, Mounted};

const CHILD_ENV: &str = "POWERCUT_SLED_CHILD";
const READY: &str = "POWERCUT-CHILD-READY";

fn open(dir: &Path) -> sled::Db {
    let config = sled::Config::new().path(dir).flush_every_ms(None);
    config
        .open()
        .unwrap_or_else(|e| panic!("sled open {}: {e}", dir.display()))
}

/// The child's part: write, make it as durable as `mode` says, then wait.
fn child(spec: &str) -> ! {
    let (mode, dir) = spec.split_once(':').expect("mode:dir");
    let dir = Path::new(dir);
    let db = open(dir);
    db.insert(b"key", b"value").expect("insert");
    db.flush().expect("flush");
    if mode == "fdatasync" {
        File::open(dir.join("db"))
            .and_then(|f| f.sync_data())
            .expect("fdatasync of db");
    }
    sync_dir(dir);
    println!("{READY}");
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// Runs `test` of this binary as the child writing into `dir`, waits until
/// it is ready, then SIGKILLs it.
fn run_and_kill(test: &str, mode: &str, dir: &Path) {
    let mut proc = Command::new(std::env::current_exe().expect("test binary"))
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{mode}:{}", dir.display()))
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let stdout = proc.stdout.take().expect("child stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let ready = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|l| l.trim_end().ends_with(READY));
        let _ = tx.send(ready);
    });
    let ready = rx.recv_timeout(Duration::from_secs(60));
    proc.kill().expect("SIGKILL child");
    let status = proc.wait().expect("wait child");
    assert_eq!(ready, Ok(true), "child never became ready ({status})");
}

/// A mount with a durable, empty `db` directory, plus that directory.
fn mount_with_store_dir() -> (Mounted, std::path::PathBuf) {
    let m = Mounted::new();
    let dir = m.path("db");
    std::fs::create_dir(&dir).unwrap();
    sync_dir(m.pc.path());
    (m, dir)
}

#[test]
fn sled_flush_alone_is_lost_at_a_power_cut() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child(&spec);
    }
    let (mut m, dir) = mount_with_store_dir();
    run_and_kill("sled_flush_alone_is_lost_at_a_power_cut", "flush", &dir);
    let report = m.pc.cut().unwrap_or_else(|e| panic!("cut: {e}"));
    assert!(
        report.files_rolled_back >= 1 && report.bytes_dropped > 0,
        "{report:?}"
    );
    let stats = m.pc.stats();
    assert_eq!(
        stats.fsyncs + stats.fdatasyncs,
        0,
        "flush() sent no fsync: {stats:?}"
    );

    let db = open(&dir);
    assert_eq!(
        db.get(b"key").unwrap(),
        None,
        "flush() alone must not be durable"
    );
    db.insert(b"after", b"cut").unwrap();
    assert_eq!(db.get(b"after").unwrap().as_deref(), Some(&b"cut"[..]));
}

#[test]
fn sled_flush_then_fdatasync_and_dir_fsync_survives_a_power_cut() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child(&spec);
    }
    let (mut m, dir) = mount_with_store_dir();
    let test = "sled_flush_then_fdatasync_and_dir_fsync_survives_a_power_cut";
    run_and_kill(test, "fdatasync", &dir);
    m.pc.cut().unwrap_or_else(|e| panic!("cut: {e}"));
    assert!(m.pc.stats().fdatasyncs >= 1, "{:?}", m.pc.stats());

    let db = open(&dir);
    assert_eq!(db.get(b"key").unwrap().as_deref(), Some(&b"value"[..]));
    drop(db);
    m.pc.cut().unwrap_or_else(|e| panic!("second cut: {e}"));
    let db = open(&dir);
    assert_eq!(
        db.get(b"key").unwrap().as_deref(),
        Some(&b"value"[..]),
        "reopens again"
    );
}
