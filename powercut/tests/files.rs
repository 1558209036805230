//! The power-cut file system through real system calls (std::fs, libc):
//! what survives a cut, what does not, and that ordinary use (append, flock,
//! directories, child processes, statfs) works on the mount.

mod support;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::process::Command;

use powercut::{CutReport, PowerCutError};
use support::{sync_dir, Mounted};

fn cut(m: &mut Mounted) -> CutReport {
    m.pc.cut().unwrap_or_else(|e| panic!("cut failed: {e}"))
}

#[test]
fn after_a_cut_a_file_holds_exactly_its_synced_bytes() {
    let mut m = Mounted::new();
    let path = m.path("f");
    let mut f = File::create(&path).unwrap();
    f.write_all(b"hello ").unwrap();
    f.sync_all().unwrap();
    f.write_all(b"world").unwrap();
    f.set_len(3).unwrap();
    f.write_all(b"!").unwrap();
    drop(f);
    sync_dir(m.pc.path());
    assert_eq!(fs::read(&path).unwrap(), b"hel\0\0\0\0\0\0\0\0!");
    let report = cut(&mut m);
    assert_eq!(fs::read(&path).unwrap(), b"hello ");
    assert_eq!(report.files_rolled_back, 1);
    assert_eq!(report.bytes_dropped, 6);
    assert_eq!(report.entries_reverted, 0);
    let stats = m.pc.stats();
    assert_eq!((stats.fsyncs, stats.fsyncdirs, stats.cuts), (1, 1, 1));
    assert!(stats.writes >= 3, "{stats:?}");
}

#[test]
fn a_created_file_without_fsync_of_its_directory_is_gone() {
    let mut m = Mounted::new();
    let path = m.path("f");
    let mut f = File::create(&path).unwrap();
    f.write_all(b"synced content").unwrap();
    f.sync_data().unwrap();
    drop(f);
    let report = cut(&mut m);
    assert!(!path.exists(), "the name was never made durable");
    assert_eq!(report.entries_reverted, 1);
    assert_eq!(report.inodes_discarded, 1);
    assert_eq!(m.pc.stats().fdatasyncs, 1);
}

#[test]
fn a_file_whose_directory_was_synced_but_not_its_content_is_empty() {
    let mut m = Mounted::new();
    let dir = m.path("sub");
    fs::create_dir(&dir).unwrap();
    sync_dir(m.pc.path());
    fs::write(dir.join("f"), b"never fsynced").unwrap();
    sync_dir(&dir);
    cut(&mut m);
    assert_eq!(fs::read(dir.join("f")).unwrap(), b"");
}

#[test]
fn renames_and_unlinks_revert_until_the_directory_is_synced() {
    let mut m = Mounted::new();
    let (tmp, fin) = (m.path("state.tmp"), m.path("state"));
    let mut f = File::create(&tmp).unwrap();
    f.write_all(b"v1").unwrap();
    f.sync_all().unwrap();
    drop(f);
    sync_dir(m.pc.path());

    fs::rename(&tmp, &fin).unwrap();
    cut(&mut m);
    assert_eq!(fs::read(&tmp).unwrap(), b"v1", "rename reverted");
    assert!(!fin.exists());

    fs::rename(&tmp, &fin).unwrap();
    sync_dir(m.pc.path());
    fs::remove_file(&fin).unwrap();
    let report = cut(&mut m);
    assert_eq!(fs::read(&fin).unwrap(), b"v1", "unlink reverted");
    assert!(!tmp.exists());
    assert_eq!(report.entries_reverted, 1);
}

#[test]
fn rename_replaces_an_existing_target() {
    let m = Mounted::new();
    fs::write(m.path("a"), b"new").unwrap();
    fs::write(m.path("b"), b"old").unwrap();
    fs::rename(m.path("a"), m.path("b")).unwrap();
    assert_eq!(fs::read(m.path("b")).unwrap(), b"new");
    assert!(!m.path("a").exists());
    let names: Vec<_> = fs::read_dir(m.pc.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["b"]);
}

#[test]
fn cut_refuses_while_a_file_is_open_and_works_once_it_is_closed() {
    let mut m = Mounted::new();
    let f = File::create(m.path("held")).unwrap();
    match m.pc.cut() {
        Err(PowerCutError::StillOpen { handles: 1, .. }) => {}
        other => panic!("expected StillOpen with one handle, got {other:?}"),
    }
    assert!(m.path("held").exists(), "the mount is untouched");
    drop(f);
    cut(&mut m);
    assert!(!m.path("held").exists());
}

#[test]
fn append_flock_directories_and_statfs_work() {
    let m = Mounted::new();
    let path = m.path("log");
    for line in ["one\n", "two\n"] {
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(line.as_bytes()).unwrap();
    }
    assert_eq!(fs::read_to_string(&path).unwrap(), "one\ntwo\n");
    fs::write(m.path("t"), b"a long first version").unwrap();
    fs::write(m.path("t"), b"short").unwrap();
    assert_eq!(
        fs::read(m.path("t")).unwrap(),
        b"short",
        "O_TRUNC truncates"
    );

    let (a, b) = (File::open(&path).unwrap(), File::open(&path).unwrap());
    let lock = |f: &File| unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    assert_eq!(lock(&a), 0, "first exclusive flock");
    assert_eq!(lock(&b), -1, "second exclusive flock must be refused");
    drop((a, b));

    fs::create_dir_all(m.path("x/y/z")).unwrap();
    fs::write(m.path("x/y/z/f"), b"deep").unwrap();
    assert_eq!(fs::read_dir(m.path("x/y")).unwrap().count(), 1);
    fs::remove_dir_all(m.path("x")).unwrap();
    assert!(!m.path("x").exists());

    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    let c = std::ffi::CString::new(m.pc.path().as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::statvfs(c.as_ptr(), &mut st) }, 0);
    assert!(
        st.f_bavail as u64 * st.f_frsize as u64 > 100 << 30,
        "plenty of free space"
    );
}

#[test]
fn a_child_process_writes_and_the_cut_takes_its_unsynced_data() {
    let mut m = Mounted::new();
    let script = "mkdir d && echo durable > d/f && sync d/f && sync . d && echo lost >> d/f";
    let status = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(m.pc.path())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        fs::read_to_string(m.path("d/f")).unwrap(),
        "durable\nlost\n"
    );
    cut(&mut m);
    assert_eq!(fs::read_to_string(m.path("d/f")).unwrap(), "durable\n");
}
