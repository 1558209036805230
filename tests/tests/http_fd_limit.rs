//! The hub raises its own open-file limit at start (issue 12, item 2): a
//! hub started with a low soft limit (as under `ulimit -Sn 256`) runs with
//! its soft limit at the hard one, read from `/proc/PID/limits`. Its own
//! test binary: it lowers this process's limit, which the hub inherits.

use tests::{HubPorts, HubProc};

/// (soft, hard) "Max open files" of a process.
fn open_file_limits(pid: u32) -> (String, String) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("/proc/PID/limits");
    let line = text
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("a Max open files line");
    let fields: Vec<&str> = line["Max open files".len()..].split_whitespace().collect();
    (fields[0].to_string(), fields[1].to_string())
}

#[test]
fn the_hub_raises_a_low_soft_open_file_limit_to_the_hard_one() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read or write only the struct passed.
    let got = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    assert_eq!(got, 0, "getrlimit");
    assert!(
        limit.rlim_max > 256,
        "this test needs a hard limit above 256"
    );
    limit.rlim_cur = 256;
    // SAFETY: as above.
    let set = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    assert_eq!(set, 0, "setrlimit");
    let data = tempfile::tempdir().unwrap();
    let hub = HubProc::start(data.path(), HubPorts::fresh(), "s1");
    let (soft, hard) = open_file_limits(hub.pid());
    let want = limit.rlim_max.min(1 << 20).to_string();
    assert_eq!(
        (soft.as_str(), hard.as_str()),
        (want.as_str(), hard.as_str())
    );
    assert_eq!(
        open_file_limits(std::process::id()).0,
        "256",
        "only the hub raised it"
    );
}
