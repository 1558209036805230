//! The fake printer end to end: the real `firmware-sim printer` binary
//! over TCP, stdin control and its record file; and the agent's printer
//! driver against the fake in process. Every wait has a deadline and
//! waits on a condition (an output line, a closed connection, a line in
//! the file), never on a sleep.

use agent::printer::{
    answer_complete, parse_host_status, HostStatus, PrinterClient, PrinterProblem,
};
use firmware_sim::printer::{FakePrinter, FakePrinterConfig, PrinterState};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(10);

/// The binary, running.
struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    addr: SocketAddr,
}

impl Running {
    fn start(record: &Path, extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_firmware-sim"))
            .args(["printer", "--listen", "127.0.0.1:0", "--record"])
            .arg(record)
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn firmware-sim printer");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let stdin = child.stdin.take();
        let first = lines.recv_timeout(DEADLINE).expect("first line");
        let addr = first
            .strip_prefix("listening on ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("first line {first:?}"));
        Self {
            child,
            stdin,
            lines,
            addr,
        }
    }

    /// Sends a control word and waits for its acknowledgement.
    fn control(&mut self, word: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{word}").expect("write control");
        stdin.flush().expect("flush control");
        let ack = self
            .lines
            .recv_timeout(DEADLINE)
            .expect("control acknowledged");
        assert_eq!(ack, format!("state {word}"));
    }

    /// SIGTERM, then the exit status (within the deadline).
    fn stop(mut self) -> ExitStatus {
        let pid = i32::try_from(self.child.id()).expect("pid");
        // SAFETY: kill(2) on our own child's pid; no memory is touched.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `pieces` as separate writes on one connection, ends it, and
/// reads until the printer closes: then it has acted on every byte.
fn send(addr: SocketAddr, pieces: &[&str]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(DEADLINE)).expect("timeout");
    for piece in pieces {
        stream.write_all(piece.as_bytes()).expect("write");
        stream.flush().expect("flush");
    }
    stream.shutdown(Shutdown::Write).expect("shutdown");
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .expect("printer closes after our end");
    answer
}

/// Asks `~HS` on a connection of its own and parses the answer.
fn host_status(addr: SocketAddr) -> HostStatus {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(DEADLINE)).expect("timeout");
    stream.write_all(b"~HS").expect("write");
    let mut answer = Vec::new();
    let mut chunk = [0u8; 256];
    while !answer_complete(&answer) {
        let n = stream.read(&mut chunk).expect("answer within the deadline");
        assert!(n > 0, "closed before a whole answer: {answer:?}");
        answer.extend_from_slice(&chunk[..n]);
    }
    parse_host_status(&answer).expect("a valid ~HS answer")
}

/// The record file's complete lines, once there are at least `n`.
fn wait_records(path: &Path, n: usize) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let complete = text.rfind('\n').map_or("", |end| &text[..end]);
        let lines: Vec<_> = complete.lines().filter(|l| !l.is_empty()).collect();
        if lines.len() >= n {
            return lines
                .iter()
                .map(|l| serde_json::from_str(l).expect("a JSON line"))
                .collect();
        }
        assert!(
            Instant::now() < deadline,
            "{} records, expected {n}",
            lines.len()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn records_labels_answers_status_and_switches_over_stdin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let record = dir.path().join("printed.jsonl");
    let mut printer = Running::start(&record, &[]);
    // Two labels, cut across three reads in awkward places.
    send(
        printer.addr,
        &["^XA^FO50,50^FDfirst", "^FS^XZ\r\n^XA^FDsec", "ond^FS^XZ"],
    );
    let records = wait_records(&record, 2);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["n"], 1);
    assert_eq!(records[0]["zpl"], "^XA^FO50,50^FDfirst^FS^XZ");
    assert_eq!(records[1]["n"], 2);
    assert_eq!(records[1]["zpl"], "^XA^FDsecond^FS^XZ");
    assert!(records[1]["ms"].as_u64().is_some_and(|ms| ms > 0));
    assert_eq!(host_status(printer.addr).problem(), None);

    printer.control("paper-out");
    let status = host_status(printer.addr);
    assert!(status.paper_out && !status.head_open && !status.paused);
    assert_eq!(status.problem(), Some(PrinterProblem::PaperOut));
    // A label sent now is held in the buffer, as a Zebra holds it; ~HS
    // mixed in on the same connection answers after it, counting it.
    let answer = send(printer.addr, &["^XA^FDthird^FS^XZ~HS"]);
    let mixed = parse_host_status(&answer).expect("mixed-in ~HS answered");
    assert!(mixed.paper_out);
    assert_eq!(mixed.formats_in_buffer, 1);
    printer.control("head-open");
    assert_eq!(
        host_status(printer.addr).problem(),
        Some(PrinterProblem::HeadOpen)
    );
    // ~JA cancels it: it never prints, even once the printer is ready.
    send(printer.addr, &["~JA"]);
    assert_eq!(host_status(printer.addr).formats_in_buffer, 0);
    printer.control("ok");
    send(printer.addr, &["^XA^FDfourth^FS^XZ"]);
    let records = wait_records(&record, 3);
    assert_eq!(records.len(), 3, "the third label was cancelled");
    assert_eq!(records[2]["zpl"], "^XA^FDfourth^FS^XZ");
    assert!(printer.stop().success());
}

#[test]
fn paper_runs_out_mid_batch_and_closed_stdin_keeps_it_running() {
    let dir = tempfile::tempdir().expect("tempdir");
    let record = dir.path().join("printed.jsonl");
    let mut printer = Running::start(&record, &["--paper-out-after", "2"]);
    printer.stdin = None; // Closing control must not stop the printer.
    let batch = ["^XA^FD1^FS^XZ^XA^FD2^FS^XZ^XA^FD3^FS^XZ~HS"];
    let status = parse_host_status(&send(printer.addr, &batch)).expect("~HS answered");
    assert_eq!(status.problem(), Some(PrinterProblem::PaperOut));
    let records = wait_records(&record, 2);
    assert_eq!(records.len(), 2);
    assert_eq!(records[1]["zpl"], "^XA^FD2^FS^XZ");
    assert!(host_status(printer.addr).paper_out, "still serving");
    assert!(printer.stop().success());
}

#[tokio::test]
async fn the_agents_driver_against_the_fake() {
    let config = FakePrinterConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        paper_out_after: Some(1),
        head_open_on: None,
        record: None,
    };
    let cancel = tokio_util::sync::CancellationToken::new();
    let fake = FakePrinter::start(config, cancel).await.expect("start");
    let client = PrinterClient::new(fake.addr(), Duration::from_millis(500));
    let label = b"^XA^FDORDER 1001^FS^XZ";

    // The one label prints, then the roll ends: the check after sees it.
    let failure = client.print_job(label).await.expect_err("paper out after");
    assert_eq!(failure.reason.as_str(), "paper_out");
    assert!(failure.maybe_printed);
    assert_eq!(fake.printed().len(), 1);

    let failure = client.print_job(label).await.expect_err("paper out before");
    assert!(!failure.maybe_printed);

    fake.set_state(PrinterState::Ok);
    client.print_job(label).await.expect("printed");
    assert_eq!(fake.printed().len(), 2);

    fake.set_state(PrinterState::Silent);
    let failure = client.print_job(label).await.expect_err("silent");
    assert_eq!(failure.reason.as_str(), "no_answer");
    assert_eq!((fake.printed().len(), fake.discarded()), (2, 0));
    fake.shutdown().await;
}
