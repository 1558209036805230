//! Damaged journal files on disk (promise 1: a confirmed scan is never
//! silently lost): the real `agent` binary refuses to start on a flipped
//! byte, a truncated data file, a deleted or garbled sled `conf`, or data
//! from before the format marker, with a clear error and exit code 1; after
//! a clean shutdown it leaves every file byte for byte as it was.

use agent::{Journal, MovementDraft};
use protocol::MovementKind;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use storeseal::damage::{files, flip, truncate};

const ENTRIES: u64 = 2_000;

/// A journal with `ENTRIES` scans, closed cleanly (sealed with a manifest).
fn sealed_journal() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::open(dir.path()).expect("open");
    for i in 0..ENTRIES {
        let draft = MovementDraft::new(MovementKind::Pick, &format!("SKU-{i}"), "A-01", 1);
        journal.record(draft).expect("record");
    }
    drop(journal);
    dir
}

/// A credentials file for d1 at s1, beside (not inside) the journal.
fn credentials(dir: &Path) -> std::path::PathBuf {
    let path = dir.with_extension("creds.json");
    let text = format!(
        r#"{{"devices":[{{"device":"d1","site":"s1","username":"d1","password":"pw","key":"{}","key_version":1}}]}}"#,
        "0f".repeat(32)
    );
    std::fs::write(&path, text).expect("write credentials");
    path
}

fn agent(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agent"));
    cmd.args([
        "--device",
        "d1",
        "--site",
        "s1",
        "--hub",
        "127.0.0.1:1",
        "--credentials",
    ])
    .arg(credentials(dir))
    .arg("--data")
    .arg(dir)
    .env("RUST_LOG", "error");
    cmd
}

/// The agent refuses `dir` with exit code 1 and every `needle` in stderr.
fn assert_refused(dir: &Path, needles: &[&str]) -> String {
    storeseal::damage::assert_refused(&mut agent(dir), "journal", needles)
}

/// Like [`assert_refused`], and every file is left byte for byte as it was.
fn assert_refused_untouched(dir: &Path, needles: &[&str]) {
    let before = files(dir);
    assert_refused(dir, needles);
    assert_eq!(files(dir), before, "the files must be left as they were");
}

#[test]
fn an_undamaged_sealed_journal_starts_and_carries_on() {
    let dir = sealed_journal();
    let mut child = agent(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn agent");
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "pick SKU-1 A-01 1").expect("write");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let answer = lines.next().expect("an answer").expect("line");
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert_eq!(answer, format!("ok seq={}", ENTRIES + 1));
}

#[test]
fn a_flipped_byte_in_the_data_file_is_refused_and_left_alone() {
    let dir = sealed_journal();
    let db = dir.path().join("db");
    let len = std::fs::metadata(&db).expect("db").len() as usize;
    flip(&db, len / 2);
    assert_refused_untouched(
        dir.path(),
        &[
            "agent: error: cannot open the journal",
            "db: damaged: content changed since the last clean shutdown",
        ],
    );
}

#[test]
fn a_truncated_data_file_is_refused_and_left_alone() {
    let dir = sealed_journal();
    let db = dir.path().join("db");
    let len = std::fs::metadata(&db).expect("db").len();
    truncate(&db, len / 3);
    let text = format!(
        "db: damaged: {} bytes, but {len} at the last clean shutdown",
        len / 3
    );
    assert_refused_untouched(dir.path(), &[&text, "truncated"]);
}

#[test]
fn a_deleted_or_garbled_conf_is_refused_and_left_alone() {
    let dir = sealed_journal();
    let conf = dir.path().join("conf");
    let original = std::fs::read(&conf).expect("conf");
    std::fs::remove_file(&conf).expect("remove");
    assert_refused_untouched(
        dir.path(),
        &["conf: damaged: cannot read sled's configuration"],
    );
    let mut garbled = original.clone();
    garbled[3] ^= 0x01;
    std::fs::write(&conf, garbled).expect("write");
    assert_refused_untouched(dir.path(), &["conf: damaged: sled's configuration changed"]);
}

#[test]
fn data_from_before_the_format_marker_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let db = sled::open(dir.path()).expect("sled");
        db.open_tree("journal")
            .expect("tree")
            .insert(b"\x00next_seq", &2u64.to_be_bytes())
            .expect("insert");
        db.flush().expect("flush");
    }
    assert_refused_untouched(
        dir.path(),
        &["without the format marker wms-seal", "format version 2"],
    );
}

/// Scans `count` lines through a real agent, then SIGKILLs it (no clean
/// shutdown: the seal stays open and sled's recovery will run).
fn crashed_journal(count: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = agent(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn agent");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    for i in 1..=count {
        writeln!(stdin, "receive SKU-{i} A-01 {i} lot=LOT-{i:06}").expect("write");
        let answer = lines.next().expect("an answer").expect("line");
        assert_eq!(answer, format!("ok seq={i}"));
    }
    child.kill().expect("kill");
    child.wait().expect("wait");
    dir
}

#[test]
fn after_a_crash_a_truncated_data_file_is_refused_on_every_start() {
    let dir = crashed_journal(3_000);
    let db = dir.path().join("db");
    let len = std::fs::metadata(&db).expect("db").len();
    truncate(&db, len / 2);
    for _ in 0..2 {
        let stderr = assert_refused(dir.path(), &["agent: error: cannot open the journal"]);
        assert!(
            stderr.contains("journal lost its tail") || stderr.contains("sled panicked"),
            "{stderr}"
        );
    }
}

#[test]
fn after_a_crash_a_flipped_byte_in_the_newest_segment_is_refused() {
    let dir = crashed_journal(3_000);
    let db = dir.path().join("db");
    let bytes = std::fs::read(&db).expect("db");
    // The newest data: the last non-zero byte of the file, minus a little.
    let last = bytes.iter().rposition(|&b| b != 0).expect("data");
    flip(&db, last.saturating_sub(200));
    for _ in 0..2 {
        let stderr = assert_refused(dir.path(), &["agent: error: cannot open the journal"]);
        assert!(
            stderr.contains("journal lost its tail")
                || stderr.contains("sled panicked")
                || stderr.contains("is corrupt"),
            "{stderr}"
        );
    }
}
