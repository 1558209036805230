//! Damaged store files on disk (promises 2 and 6: what the hub acked is
//! never silently lost, the pool is never silently wrong): the real `hub`
//! binary refuses to start on a flipped byte, a truncated data file, a
//! deleted or garbled sled `conf`, data from before the format marker, or
//! a store that sled opened without its newest commits; clear error, exit
//! code 1, and after a clean shutdown every file left as it was.

use hub::pool::Pool;
use hub::store::Store;
use protocol::{EventBatch, Movement, MovementKind};
use std::path::Path;
use std::process::Command;
use storeseal::damage::{files, flip, truncate};

const BATCHES: u64 = 400;
/// The journal epoch of device d1.
const EPOCH: u64 = 0xd1d1_d1d1_d1d1_d1d1;

fn movement(seq: u64) -> Movement {
    Movement {
        seq,
        kind: MovementKind::Receive,
        sku: format!("SKU-{}", seq % 50),
        location: format!("LOC-{}", seq % 7),
        to_location: None,
        lot: None,
        quantity: 3,
        device_time_ms: 1_700_000_000_000 + seq,
        task: None,
    }
}

/// Commits `batches` batches of 10 movements from device d1.
fn fill(store: &Store, batches: u64) {
    let mut pool: Pool = store.load_pool().expect("load");
    let from = pool.watermark("d1", EPOCH) + 1;
    for b in 0..batches {
        let first_seq = from + b * 10;
        let batch = EventBatch {
            site: "s1".into(),
            device: "d1".into(),
            epoch: EPOCH,
            first_seq,
            movements: (first_seq..first_seq + 10).map(movement).collect(),
            auth_tag: None,
        };
        pool.apply_batch(&batch, 1_700_000_000_000, store);
        store.commit(&pool.take_changes()).expect("commit");
    }
}

/// A store closed cleanly (sealed with a manifest).
fn sealed_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    fill(&Store::open(dir.path()).expect("open"), BATCHES);
    dir
}

/// A copy of a store taken while it was open, after its last flush: what
/// a power cut leaves (the seal says "open", sled's recovery will run).
fn crashed_store() -> tempfile::TempDir {
    let live = tempfile::tempdir().expect("tempdir");
    let copy = tempfile::tempdir().expect("tempdir");
    let store = Store::open(live.path()).expect("open");
    fill(&store, BATCHES);
    for (path, bytes) in files(live.path()) {
        let to = copy
            .path()
            .join(path.strip_prefix(live.path()).expect("prefix"));
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::write(to, bytes).expect("copy");
    }
    drop(store);
    copy
}

/// The hub binary on `dir` (ports chosen by the OS).
fn hub(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hub"));
    cmd.args([
        "--site",
        "s1",
        "--mqtt",
        "127.0.0.1:0",
        "--http",
        "127.0.0.1:0",
        "--data",
    ])
    .arg(dir)
    .env("RUST_LOG", "error");
    cmd
}

/// The hub refuses `dir` with exit code 1 and every `needle` in stderr.
fn assert_refused(dir: &Path, needles: &[&str]) -> String {
    storeseal::damage::assert_refused(&mut hub(dir), "store", needles)
}

/// Like [`assert_refused`], and every file is left byte for byte as it was.
fn assert_refused_untouched(dir: &Path, needles: &[&str]) {
    let before = files(dir);
    assert_refused(dir, needles);
    assert_eq!(files(dir), before, "the files must be left as they were");
}

#[test]
fn a_flipped_byte_in_the_data_file_is_refused_and_left_alone() {
    let dir = sealed_store();
    let db = dir.path().join("db");
    let len = std::fs::metadata(&db).expect("db").len() as usize;
    flip(&db, len / 2);
    assert_refused_untouched(
        dir.path(),
        &[
            "store files: ",
            "db: damaged: content changed since the last clean shutdown",
        ],
    );
}

#[test]
fn a_truncated_data_file_is_refused_and_left_alone() {
    let dir = sealed_store();
    let db = dir.path().join("db");
    let len = std::fs::metadata(&db).expect("db").len();
    truncate(&db, len / 3);
    let text = format!(
        "db: damaged: {} bytes, but {len} at the last clean shutdown",
        len / 3
    );
    assert_refused_untouched(dir.path(), &[&text]);
}

#[test]
fn a_deleted_or_garbled_conf_is_refused_and_left_alone() {
    let dir = sealed_store();
    let conf = dir.path().join("conf");
    let original = std::fs::read(&conf).expect("conf");
    std::fs::remove_file(&conf).expect("remove");
    assert_refused_untouched(
        dir.path(),
        &["conf: damaged: cannot read sled's configuration"],
    );
    let mut garbled = original;
    garbled[3] ^= 0x01;
    std::fs::write(&conf, garbled).expect("write");
    assert_refused_untouched(dir.path(), &["conf: damaged: sled's configuration changed"]);
}

#[test]
fn data_from_before_the_format_marker_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let db = sled::open(dir.path()).expect("sled");
        db.open_tree("pool")
            .expect("tree")
            .insert(b"mnext_event", &2u64.to_be_bytes())
            .expect("insert");
        db.flush().expect("flush");
    }
    assert_refused_untouched(
        dir.path(),
        &["without the format marker wms-seal", "format version 2"],
    );
}

#[test]
fn after_a_crash_a_truncated_data_file_is_refused_on_every_start() {
    let dir = crashed_store();
    let db = dir.path().join("db");
    let len = std::fs::metadata(&db).expect("db").len();
    truncate(&db, len / 2);
    for _ in 0..2 {
        let stderr = assert_refused(dir.path(), &[]);
        assert!(
            stderr.contains("store lost its tail") || stderr.contains("sled panicked"),
            "{stderr}"
        );
    }
}

#[test]
fn after_a_crash_a_flipped_byte_in_the_newest_segment_is_refused() {
    let dir = crashed_store();
    let db = dir.path().join("db");
    let bytes = std::fs::read(&db).expect("db");
    let last = bytes.iter().rposition(|&b| b != 0).expect("data");
    flip(&db, last.saturating_sub(200));
    for _ in 0..2 {
        let stderr = assert_refused(dir.path(), &[]);
        assert!(
            stderr.contains("store lost its tail")
                || stderr.contains("sled panicked")
                || stderr.contains("damaged record"),
            "{stderr}"
        );
    }
}

#[test]
fn an_undamaged_store_reopens_with_everything() {
    let dir = sealed_store();
    let store = Store::open(dir.path()).expect("reopen");
    let check = store.start_check();
    assert_eq!((check.events, check.movements), (BATCHES, BATCHES * 10));
    assert!(check.stock_differences.is_empty());
    assert_eq!(
        store.load_pool().expect("load").watermark("d1", EPOCH),
        BATCHES * 10
    );
}
