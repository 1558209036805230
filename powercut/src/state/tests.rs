//! Unit tests of the durability model, without FUSE: each test builds a
//! tree, syncs some of it, cuts, and checks exactly what survived.

use std::ffi::OsStr;

use super::{FsError, Ino, Kind, RenameMode, State, ROOT};

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

fn file(st: &mut State, dir: Ino, name: &str, bytes: &[u8]) -> Ino {
    let ino = st
        .make_node(dir, os(name), Kind::File, 0o644, (0, 0))
        .unwrap()
        .ino;
    st.write(ino, 0, bytes, false).unwrap();
    ino
}

fn mkdir(st: &mut State, dir: Ino, name: &str) -> Ino {
    st.make_node(dir, os(name), Kind::Dir, 0o755, (0, 0))
        .unwrap()
        .ino
}

fn content(st: &State, dir: Ino, name: &str) -> Option<Vec<u8>> {
    let ino = st.lookup(dir, os(name)).ok()?.ino;
    Some(st.read(ino, 0, u32::MAX).unwrap().to_vec())
}

fn names(st: &mut State, dir: Ino) -> Vec<String> {
    let fh = st.opendir(dir).unwrap();
    let out = (st.readdir(fh, 2).unwrap().iter())
        .map(|e| e.name.to_string_lossy().into_owned())
        .collect();
    st.release(fh).unwrap();
    out
}

#[test]
fn unsynced_content_is_reverted_but_the_synced_name_stays() {
    let mut st = State::new(0, 0);
    file(&mut st, ROOT, "f", b"volatile");
    st.fsyncdir(ROOT).unwrap();
    let report = st.cut();
    assert_eq!(content(&st, ROOT, "f"), Some(vec![]));
    assert_eq!(report.files_rolled_back, 1);
    assert_eq!(report.bytes_dropped, 8);
    assert_eq!(report.entries_reverted, 0);
}

#[test]
fn fsync_keeps_exactly_the_synced_bytes() {
    let mut st = State::new(0, 0);
    let ino = file(&mut st, ROOT, "f", b"kept");
    st.fsync(ino, true).unwrap();
    st.fsyncdir(ROOT).unwrap();
    st.write(ino, 4, b"-lost", false).unwrap();
    st.set_attr(
        ino,
        super::SetAttr {
            size: Some(2),
            ..Default::default()
        },
    )
    .unwrap();
    st.cut();
    assert_eq!(content(&st, ROOT, "f"), Some(b"kept".to_vec()));
    assert_eq!(st.attr(ino).unwrap().size, 4);
    assert_eq!(st.stats().fdatasyncs, 1);
    assert_eq!(st.stats().fsyncdirs, 1);
    assert_eq!(st.stats().cuts, 1);
}

#[test]
fn a_name_never_synced_is_gone_and_its_inode_dropped() {
    let mut st = State::new(0, 0);
    let ino = file(&mut st, ROOT, "f", b"synced data, unsynced name");
    st.fsync(ino, false).unwrap();
    let report = st.cut();
    assert_eq!(st.lookup(ROOT, os("f")), Err(FsError::NotFound));
    assert_eq!(st.attr(ino), Err(FsError::NotFound));
    assert_eq!(report.entries_reverted, 1);
    assert_eq!(report.inodes_discarded, 1);
    assert_eq!(report.files_rolled_back, 0);
}

#[test]
fn rename_is_volatile_until_the_directory_is_synced() {
    let mut st = State::new(0, 0);
    let ino = file(&mut st, ROOT, "tmp", b"v1");
    st.fsync(ino, false).unwrap();
    st.fsyncdir(ROOT).unwrap();
    st.rename((ROOT, os("tmp")), (ROOT, os("final")), RenameMode::Replace)
        .unwrap();
    st.cut();
    assert_eq!(names(&mut st, ROOT), ["tmp"]);

    st.rename((ROOT, os("tmp")), (ROOT, os("final")), RenameMode::Replace)
        .unwrap();
    st.fsyncdir(ROOT).unwrap();
    st.cut();
    assert_eq!(names(&mut st, ROOT), ["final"]);
    assert_eq!(content(&st, ROOT, "final"), Some(b"v1".to_vec()));
}

#[test]
fn rename_over_an_existing_file_reverts_to_the_old_target() {
    let mut st = State::new(0, 0);
    let old = file(&mut st, ROOT, "conf", b"old");
    st.fsync(old, false).unwrap();
    let new = file(&mut st, ROOT, "conf.tmp", b"new");
    st.fsync(new, false).unwrap();
    st.fsyncdir(ROOT).unwrap();
    st.rename(
        (ROOT, os("conf.tmp")),
        (ROOT, os("conf")),
        RenameMode::Replace,
    )
    .unwrap();
    assert_eq!(content(&st, ROOT, "conf"), Some(b"new".to_vec()));
    st.cut();
    assert_eq!(content(&st, ROOT, "conf"), Some(b"old".to_vec()));
    assert_eq!(content(&st, ROOT, "conf.tmp"), Some(b"new".to_vec()));
}

#[test]
fn rename_across_directories_is_durable_per_directory() {
    let mut st = State::new(0, 0);
    let a = mkdir(&mut st, ROOT, "a");
    let b = mkdir(&mut st, ROOT, "b");
    let f = file(&mut st, a, "f", b"x");
    st.fsync(f, false).unwrap();
    for d in [ROOT, a, b] {
        st.fsyncdir(d).unwrap();
    }
    st.rename((a, os("f")), (b, os("f")), RenameMode::Replace)
        .unwrap();
    st.fsyncdir(b).unwrap(); // the old directory is never synced
    st.cut();
    assert_eq!(content(&st, a, "f"), Some(b"x".to_vec()));
    assert_eq!(content(&st, b, "f"), Some(b"x".to_vec()));
    assert_eq!(st.attr(f).unwrap().nlink, 2);
}

#[test]
fn an_unlinked_file_comes_back_with_its_durable_content() {
    let mut st = State::new(0, 0);
    let ino = file(&mut st, ROOT, "f", b"durable");
    st.fsync(ino, false).unwrap();
    st.fsyncdir(ROOT).unwrap();
    st.write(ino, 0, b"DURABLE++", false).unwrap();
    st.unlink(ROOT, os("f")).unwrap();
    assert_eq!(st.lookup(ROOT, os("f")), Err(FsError::NotFound));
    let report = st.cut();
    assert_eq!(content(&st, ROOT, "f"), Some(b"durable".to_vec()));
    assert_eq!(report.entries_reverted, 1);
    assert_eq!(report.files_rolled_back, 1);
}

#[test]
fn a_synced_unlink_frees_the_inode_at_once() {
    let mut st = State::new(0, 0);
    let ino = file(&mut st, ROOT, "f", b"x");
    st.fsyncdir(ROOT).unwrap();
    let fh = st.open(ino).unwrap();
    st.unlink(ROOT, os("f")).unwrap();
    st.fsyncdir(ROOT).unwrap();
    assert_eq!(
        st.read(ino, 0, 10).unwrap(),
        b"x",
        "open file still readable"
    );
    st.release(fh).unwrap();
    assert_eq!(st.attr(ino), Err(FsError::NotFound));
    assert_eq!(st.usage().0, 1);
}

#[test]
fn a_synced_directory_under_an_unsynced_name_is_discarded_whole() {
    let mut st = State::new(0, 0);
    let d = mkdir(&mut st, ROOT, "d");
    let f = file(&mut st, d, "f", b"x");
    st.fsync(f, false).unwrap();
    st.fsyncdir(d).unwrap();
    let report = st.cut();
    assert!(names(&mut st, ROOT).is_empty());
    assert_eq!(report.inodes_discarded, 2);
    assert_eq!(st.usage().0, 1);
    assert_eq!(st.attr(ROOT).unwrap().nlink, 2);
}

#[test]
fn directory_renames_synced_halfway_still_give_a_tree() {
    let mut st = State::new(0, 0);
    let a = mkdir(&mut st, ROOT, "a");
    let b = mkdir(&mut st, a, "b");
    for d in [ROOT, a, b] {
        st.fsyncdir(d).unwrap();
    }
    st.rename((a, os("b")), (ROOT, os("b")), RenameMode::Replace)
        .unwrap();
    st.rename((ROOT, os("a")), (b, os("a")), RenameMode::Replace)
        .unwrap();
    st.fsyncdir(b).unwrap(); // durable: root/a, a/b, b/a: a cycle
    st.cut();
    assert_eq!(names(&mut st, ROOT), ["a"]);
    assert_eq!(names(&mut st, a), ["b"]);
    assert!(
        names(&mut st, b).is_empty(),
        "the second name of `a` is dropped"
    );
    assert_eq!(st.lookup(b, os("..")).unwrap().ino, a);
}

#[test]
fn posix_checks_on_the_namespace() {
    let mut st = State::new(0, 0);
    let d = mkdir(&mut st, ROOT, "d");
    let sub = mkdir(&mut st, d, "sub");
    file(&mut st, ROOT, "f", b"");
    assert_eq!(st.rmdir(ROOT, os("d")), Err(FsError::NotEmpty));
    assert_eq!(st.unlink(ROOT, os("d")), Err(FsError::IsDir));
    assert_eq!(st.rmdir(ROOT, os("f")), Err(FsError::NotDir));
    let into_self = st.rename((ROOT, os("d")), (sub, os("x")), RenameMode::Replace);
    assert_eq!(into_self, Err(FsError::Invalid));
    let no_replace = st.rename((ROOT, os("f")), (ROOT, os("d")), RenameMode::NoReplace);
    assert_eq!(no_replace, Err(FsError::Exists));
    let file_over_dir = st.rename((ROOT, os("f")), (ROOT, os("d")), RenameMode::Replace);
    assert_eq!(file_over_dir, Err(FsError::IsDir));
    let made = st.make_node(ROOT, os("f"), Kind::File, 0o644, (0, 0));
    assert_eq!(made.map(|a| a.ino), Err(FsError::Exists));
    assert_eq!(st.lookup(99, os("x")), Err(FsError::NotFound));
    assert_eq!(st.write(d, 0, b"x", false), Err(FsError::IsDir));
    assert_eq!(st.release(12345), Err(FsError::BadHandle));
    assert_eq!(st.attr(ROOT).unwrap().nlink, 3);
    st.rename((ROOT, os("f")), (d, os("f")), RenameMode::Exchange)
        .unwrap_err();
    st.rmdir(d, os("sub")).unwrap();
    st.rename((ROOT, os("f")), (ROOT, os("d")), RenameMode::Exchange)
        .unwrap();
    assert_eq!(st.lookup(ROOT, os("f")).unwrap().kind, Kind::Dir);
}

#[test]
fn append_writes_at_the_end_and_listing_is_a_snapshot() {
    let mut st = State::new(0, 0);
    let ino = file(&mut st, ROOT, "log", b"ab");
    st.write(ino, 0, b"cd", true).unwrap();
    assert_eq!(content(&st, ROOT, "log"), Some(b"abcd".to_vec()));
    let fh = st.opendir(ROOT).unwrap();
    assert_eq!(st.readdir(fh, 0).unwrap().len(), 3);
    file(&mut st, ROOT, "new", b"");
    assert_eq!(st.readdir(fh, 2).unwrap().len(), 1, "same listing");
    assert_eq!(st.readdir(fh, 0).unwrap().len(), 4, "rewound: fresh");
    assert_eq!(st.open_handles(), 1);
    st.release(fh).unwrap();
    assert_eq!(st.open_handles(), 0);
}
