//! Tests of [`PrinterClient`] against a scripted printer on a local
//! `TcpListener`: each `~HS` gets the next scripted answer (or silence),
//! and a connection without `~HS` is a job, recorded when it ends.

use super::client::{FailureReason, JobStage, PrinterClient, PrinterError};
use super::status::PrinterProblem;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const LABEL: &[u8] = b"^XA^FO50,50^A0N,40,40^FDORDER 1001^FS^XZ";
const TIMEOUT: Duration = Duration::from_millis(300);

/// What the scripted printer does with one `~HS`.
#[derive(Clone)]
enum Answer {
    Status(Vec<u8>),
    Silence,
    Close,
}

fn status(paper_out: u8, head_open: u8) -> Answer {
    Answer::Status(
        format!(
            "\x02030,{paper_out},0,1218,000,0,0,0,000,0,0,0\x03\r\n\
             \x02000,0,{head_open},0,1,2,6,0,00000000,1,000\x03\r\n\
             \x021234,0\x03\r\n"
        )
        .into_bytes(),
    )
}

type Jobs = Arc<Mutex<Vec<Vec<u8>>>>;

/// Starts the scripted printer; returns its address and the jobs it got.
async fn scripted_printer(answers: Vec<Answer>) -> (SocketAddr, Jobs) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let answers = Arc::new(Mutex::new(VecDeque::from(answers)));
    let jobs: Jobs = Arc::default();
    let recorded = jobs.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, answers.clone(), recorded.clone()));
        }
    });
    (addr, jobs)
}

async fn serve(mut stream: TcpStream, answers: Arc<Mutex<VecDeque<Answer>>>, jobs: Jobs) {
    let mut got = Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            jobs.lock().expect("jobs").push(got);
            return;
        }
        got.extend_from_slice(&chunk[..n]);
        if got.windows(3).any(|w| w == b"~HS") {
            let next = answers.lock().expect("answers").pop_front();
            match next {
                Some(Answer::Status(bytes)) => {
                    let _ = stream.write_all(&bytes).await;
                }
                Some(Answer::Close) => return,
                Some(Answer::Silence) | None => {
                    // Hold the connection open and say nothing.
                    let _ = stream.read_to_end(&mut got).await;
                }
            }
            return;
        }
    }
}

/// Waits until `jobs` holds `n` jobs, or panics at the deadline.
async fn wait_jobs(jobs: &Jobs, n: usize) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = jobs.lock().expect("jobs").clone();
        if now.len() >= n {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "{} jobs, expected {n}",
            now.len()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_ready_printer_prints_the_job_whole() {
    let (addr, jobs) = scripted_printer(vec![status(0, 0), status(0, 0)]).await;
    let client = PrinterClient::new(addr, TIMEOUT);
    let outcome = client.print_job(LABEL).await.expect("printed");
    assert_eq!(outcome.after.problem(), None);
    assert_eq!(wait_jobs(&jobs, 1).await, [LABEL.to_vec()]);
}

#[tokio::test]
async fn paper_out_before_fails_without_sending() {
    let (addr, jobs) = scripted_printer(vec![status(1, 0)]).await;
    let failure = PrinterClient::new(addr, TIMEOUT)
        .print_job(LABEL)
        .await
        .expect_err("paper out");
    assert_eq!(
        failure.reason,
        FailureReason::Problem(PrinterProblem::PaperOut)
    );
    assert_eq!(failure.reason.as_str(), "paper_out");
    assert_eq!(failure.stage, JobStage::Before);
    assert!(!failure.maybe_printed);
    // The status connection itself is the only one: its ~HS, no job.
    assert!(jobs.lock().expect("jobs").is_empty());
}

#[tokio::test]
async fn head_open_after_fails_and_may_have_printed() {
    let (addr, jobs) = scripted_printer(vec![status(0, 0), status(0, 1)]).await;
    let failure = PrinterClient::new(addr, TIMEOUT)
        .print_job(LABEL)
        .await
        .expect_err("head open");
    assert_eq!(failure.reason.as_str(), "head_open");
    assert_eq!(failure.stage, JobStage::After);
    assert!(failure.maybe_printed);
    assert_eq!(wait_jobs(&jobs, 1).await, [LABEL.to_vec()]);
}

#[tokio::test]
async fn a_silent_printer_is_no_answer() {
    let (addr, _jobs) = scripted_printer(vec![Answer::Silence, Answer::Silence]).await;
    let client = PrinterClient::new(addr, TIMEOUT);
    let started = Instant::now();
    let failure = client.print_job(LABEL).await.expect_err("silent");
    assert_eq!(failure.reason.as_str(), "no_answer");
    assert_eq!(failure.stage, JobStage::Before);
    assert!(!failure.maybe_printed);
    assert!(started.elapsed() < TIMEOUT * 10, "bounded by the timeout");
    let err = client.status().await.expect_err("silent");
    assert!(matches!(err, PrinterError::Timeout(_)), "{err}");
}

#[tokio::test]
async fn silence_after_sending_may_have_printed() {
    let (addr, _jobs) = scripted_printer(vec![status(0, 0), Answer::Close]).await;
    let failure = PrinterClient::new(addr, TIMEOUT)
        .print_job(LABEL)
        .await
        .expect_err("closed");
    assert_eq!(failure.reason, FailureReason::NoAnswer);
    assert_eq!(failure.stage, JobStage::After);
    assert!(failure.maybe_printed);
}

#[tokio::test]
async fn no_listener_is_connect_failed() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let failure = PrinterClient::new(addr, TIMEOUT)
        .print_job(LABEL)
        .await
        .expect_err("refused");
    assert_eq!(failure.reason.as_str(), "connect_failed");
    assert!(!failure.maybe_printed);
}

#[tokio::test]
async fn garbage_is_bad_status() {
    let garbage = Answer::Status(b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec());
    let (addr, _jobs) = scripted_printer(vec![garbage]).await;
    let failure = PrinterClient::new(addr, TIMEOUT)
        .print_job(LABEL)
        .await
        .expect_err("garbage");
    assert_eq!(failure.reason.as_str(), "bad_status");
    assert!(matches!(failure.cause, Some(PrinterError::Status(_))));
}
