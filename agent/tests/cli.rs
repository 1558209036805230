//! The `agent` binary as a picker's terminal sees it: `--help`, one answer
//! line per scan line, offline operation, clean exit on SIGTERM, and
//! numbering that continues across restarts. No hub runs here: the agent
//! must keep confirming scans while it cannot reach one (promise 3).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const AGENT: &str = env!("CARGO_BIN_EXE_agent");

#[test]
fn help_lists_the_commands_and_flags() {
    let out = Command::new(AGENT)
        .arg("--help")
        .output()
        .expect("run agent --help");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in [
        "run",
        "bench-record",
        "--config",
        "--hub",
        "--site",
        "--device",
        "--data",
        "--exit-when-drained",
        "--credentials",
    ] {
        assert!(text.contains(word), "--help lacks {word}: {text}");
    }
    let out = Command::new(AGENT)
        .args(["bench-record", "--help"])
        .output()
        .expect("bench help");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--count"));
}

#[test]
fn missing_device_is_a_clear_error() {
    let out = Command::new(AGENT)
        .env("RUST_LOG", "off")
        .stdin(Stdio::null())
        .output()
        .expect("run agent");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no device id"), "{err}");
}

#[test]
fn missing_or_bad_credentials_are_a_clear_error_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"devices":[{"device":"hh-1","site":"site-1","username":"hh-1","password":"pw","key":"beef","key_version":1}]}"#)
        .expect("write");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![], "no credentials"),
        (
            vec!["--credentials", "/nonexistent/creds.json"],
            "cannot read credentials file",
        ),
        (
            vec!["--credentials", bad.to_str().expect("utf-8")],
            "64 hex digits",
        ),
    ];
    for (extra, expected) in cases {
        let out = Command::new(AGENT)
            .args(["--device", "hh-1", "--hub", "127.0.0.1:1", "--data"])
            .arg(dir.path().join("journal"))
            .args(&extra)
            .env("RUST_LOG", "off")
            .stdin(Stdio::null())
            .output()
            .expect("run agent");
        assert!(!out.status.success(), "{extra:?} started");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{extra:?}: {err}");
        assert!(!err.contains("beef"), "key material in the error: {err}");
    }
}

/// Writes a credentials file for hh-1 at site-1 into `dir`.
fn credentials(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("creds.json");
    let text = format!(
        r#"{{"devices":[{{"device":"hh-1","site":"site-1","username":"hh-1","password":"pw","key":"{}","key_version":1}}]}}"#,
        "0f".repeat(32)
    );
    std::fs::write(&path, text).expect("write credentials");
    path
}

struct Agent {
    child: Child,
    answers: mpsc::Receiver<String>,
}

impl Agent {
    fn start(data: &std::path::Path) -> Agent {
        let mut child = Command::new(AGENT)
            .args(["run", "--device", "hh-1", "--hub", "127.0.0.1:1"])
            .arg("--data")
            .arg(data.join("journal"))
            .arg("--credentials")
            .arg(credentials(data))
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn agent");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Agent { child, answers }
    }

    fn send(&mut self, bytes: &[u8]) {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        stdin.write_all(bytes).expect("write");
        stdin.flush().expect("flush");
    }

    fn answer(&self) -> String {
        self.answers
            .recv_timeout(Duration::from_secs(10))
            .expect("an answer within 10 s")
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid");
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(self.answers.try_recv().is_err(), "no stray output");
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("agent did not stop within 5 s of SIGTERM");
    }
}

#[test]
fn answers_each_line_offline_and_continues_after_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut agent = Agent::start(dir.path());
    let script: &[(&[u8], Option<&str>)] = &[
        (b"pick SKU-1 A-01 2\n", Some("ok seq=1")),
        (b"# a comment gets no answer\n", None),
        (b"\n", None),
        (
            b"pick SKU-1 A-01 0\n",
            Some("error: quantity 0 is not allowed for pick: must be greater than zero"),
        ),
        (
            b"\xff\xfe\x00junk\n",
            Some("error: scan line is not valid UTF-8 text"),
        ),
        (b"fly away\n", Some("error: unknown movement kind \"fly\"")),
        (b"move SKU-2 A-01 3 to=B-02 lot=L1\r\n", Some("ok seq=2")),
    ];
    for (input, want) in script {
        agent.send(input);
        if let Some(want) = want {
            let got = agent.answer();
            assert!(
                got.starts_with(want),
                "for {input:?}: got {got:?}, want {want:?}"
            );
        }
    }
    let mut long = vec![b'x'; 100_000];
    long.push(b'\n');
    agent.send(&long);
    assert_eq!(
        agent.answer(),
        "error: scan line of 100000 bytes is longer than the limit of 1024"
    );
    agent.send(b"receive SKU-3 DOCK 5\n");
    assert_eq!(agent.answer(), "ok seq=3");
    assert!(agent.terminate().success());

    let mut agent = Agent::start(dir.path());
    agent.send(b"count SKU-1 A-01 7\n");
    assert_eq!(agent.answer(), "ok seq=4");
    // End of input does not stop the agent: it keeps publishing.
    drop(agent.child.stdin.take());
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        agent.child.try_wait().expect("wait").is_none(),
        "exited on EOF"
    );
    assert!(agent.terminate().success());
}
