//! A full disk on the handheld: the agent refuses to confirm a scan it
//! cannot persist (an error line, no `ok`), loses none it confirmed, and
//! after a restart with space back carries on from the next seq. Uses a
//! small tmpfs, so it needs root (CI and the dev machines run as root).

use std::path::Path;
use std::process::Command;
use tests::procs::confirmed_seq;
use tests::AgentProc;

struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Tmpfs {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "mounting a tmpfs failed: this test needs root");
        Tmpfs(dir.to_path_buf())
    }

    fn grow(&self, size: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remount failed");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn full_disk_refuses_to_confirm_and_loses_nothing_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let disk = Tmpfs::mount(dir.path(), "600k");
    let journal = dir.path().join("journal");
    let offline = "127.0.0.1:1"; // no hub: everything stays in the journal
    let registry = tempfile::tempdir().unwrap(); // off the small disk
    let creds = tests::provision(registry.path(), "s1", &["full-1"]);
    let mut agent = AgentProc::start(&journal, offline, &creds, "full-1", &[]);
    let mut last_ok = 0;
    let mut refused = None;
    for i in 0..20_000u64 {
        let line = format!(
            "receive SKU-{} LOCATION-{} {} lot=LOT-{i:06} task=T-{i:08}",
            i % 50,
            i % 30,
            i % 9 + 1
        );
        let answer = agent.scan(&line).unwrap();
        match confirmed_seq(&answer) {
            Some(seq) => {
                assert_eq!(seq, last_ok + 1, "seqs stay contiguous");
                last_ok = seq;
            }
            None => {
                refused = Some(answer);
                break;
            }
        }
    }
    let refused = refused.expect("the disk never filled");
    assert!(
        refused.starts_with("error: ") && refused.contains("space"),
        "{refused}"
    );
    agent.kill9();

    disk.grow("20m");
    let mut agent = AgentProc::start(&journal, offline, &creds, "full-1", &[]);
    let answer = agent.scan("receive SKU-1 A-01 1").unwrap();
    assert_eq!(
        confirmed_seq(&answer),
        Some(last_ok + 1),
        "every confirmed scan survived: {answer}"
    );
    agent.kill9();
}
