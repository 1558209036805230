//! Issue 12, item 6, the CI version of the soak: the real `soak run`
//! driver (the same one scripts/soak.sh runs for 30 minutes) for two
//! minutes with 100 faulty simulated handhelds, while its hostile process
//! panics the broker every 30 s and sends idle, slow and oversize HTTP
//! clients and bad ERP uploads. The driver judges; this test checks its
//! exit status and that its report says what matters: the broker was
//! restarted, nothing was lost or doubled, the hub stayed within bounds.

use std::process::Command;
use tests::bin_path;

/// The number after `label` in the report.
fn count(report: &str, label: &str) -> Option<u64> {
    report
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .and_then(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .find(|w| !w.is_empty())
        })
        .and_then(|n| n.parse().ok())
}

#[test]
fn two_minute_soak_loses_and_doubles_nothing_and_stays_bounded() {
    let out = Command::new(bin_path("soak"))
        .args(["run", "--devices", "100", "--seconds", "120", "--seed", "7"])
        .args([
            "--sample-secs",
            "2",
            "--panic-every",
            "30",
            "--http-every",
            "15",
        ])
        .args(["--erp-every", "50", "--drain-timeout", "60"])
        .env("RUST_LOG", "error")
        .output()
        .expect("run the soak driver (cargo build --workspace --bins builds it)");
    let report = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{report}");
    assert!(out.status.success(), "soak failed:\n{report}\n{stderr}");
    assert!(report.contains("soak: verdict: PASS"), "{report}");
    assert_eq!(count(&report, "soak: scans lost: "), Some(0), "{report}");
    assert_eq!(count(&report, "lost (confirmed, not applied):"), Some(0));
    assert_eq!(count(&report, "doubled (applied twice):"), Some(0));
    let restarts = count(&report, "soak: broker restarts: ").expect("restarts line");
    assert!(
        restarts >= 1,
        "the hostile process never restarted the broker:\n{report}"
    );
    assert!(
        count(&report, "hostile: rst_rounds=").is_some(),
        "no hostile tally:\n{report}"
    );
    for key in ["idle_closed=", "slow_cut=", "oversize_413=", "erp_422="] {
        let n = report
            .lines()
            .find(|l| l.starts_with("hostile: rst_rounds="))
            .and_then(|l| l.split_whitespace().find_map(|w| w.strip_prefix(key)))
            .and_then(|n| n.parse::<u64>().ok());
        assert!(n.is_some_and(|n| n > 0), "no {key} case ran:\n{report}");
    }
}
