//! The station's connection to a Zebra-compatible printer on raw TCP
//! (port 9100): a status query (`~HS`) and a checked print job.
//!
//! A job is: host status before (a problem or silence fails the job, and
//! nothing was sent), the whole job on one connection of its own (write
//! all, flush, shut down the write side), host status after (a problem now
//! fails the job too, but the label may or may not have come out, so the
//! failure says `maybe_printed`). Jobs through one client, and its clones,
//! run one at a time, so the status after a job is never confused with
//! the next job's and two jobs never share a socket.
//!
//! Every failure carries a stable reason word ([`FailureReason::as_str`])
//! for the wire. Parsing of the answer is in [`super::status`].

use super::status::{answer_complete, parse_host_status, HostStatus, PrinterProblem, StatusError};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

/// The host status query.
pub const HOST_STATUS_QUERY: &[u8] = b"~HS";
/// Cancel all: clears the printer's format buffer.
pub const CANCEL_ALL: &[u8] = b"~JA";

/// A real answer is about 80 bytes; more than this is not a `~HS` answer.
const MAX_ANSWER: usize = 1024;

/// Why a status query failed.
#[derive(Debug, Error)]
pub enum PrinterError {
    /// No TCP connection (refused, unreachable, or not within the timeout).
    #[error("cannot connect to the printer at {addr}: {source}")]
    Connect {
        /// The printer's address.
        addr: SocketAddr,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// Connected, but no whole answer within the timeout.
    #[error("no answer from the printer within {0:?}")]
    Timeout(Duration),
    /// The printer closed the connection without answering.
    #[error("the printer closed the connection without answering")]
    Closed,
    /// Reading or writing the socket failed.
    #[error("printer connection failed: {0}")]
    Io(#[from] io::Error),
    /// The answer is not a valid `~HS` answer.
    #[error("bad status answer: {0}")]
    Status(#[from] StatusError),
}

impl PrinterError {
    /// The reason word this error gives a job that it fails.
    pub fn reason(&self) -> FailureReason {
        match self {
            Self::Connect { .. } => FailureReason::ConnectFailed,
            Self::Timeout(_) | Self::Closed => FailureReason::NoAnswer,
            Self::Io(_) => FailureReason::IoError,
            Self::Status(_) => FailureReason::BadStatus,
        }
    }
}

/// Why a print job failed, as a stable word for the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureReason {
    /// The printer reported a problem (its own word: `paper_out`, ...).
    Problem(PrinterProblem),
    /// `no_answer`: connected but silent, or closed without answering.
    NoAnswer,
    /// `connect_failed`: no TCP connection.
    ConnectFailed,
    /// `send_failed`: the job could not be written whole.
    SendFailed,
    /// `bad_status`: the status answer was malformed.
    BadStatus,
    /// `io_error`: the status connection broke.
    IoError,
}

impl FailureReason {
    /// The stable reason word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Problem(problem) => problem.as_str(),
            Self::NoAnswer => "no_answer",
            Self::ConnectFailed => "connect_failed",
            Self::SendFailed => "send_failed",
            Self::BadStatus => "bad_status",
            Self::IoError => "io_error",
        }
    }
}

impl std::fmt::Display for FailureReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The step of a job that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStage {
    /// The status check before sending: nothing was sent.
    Before,
    /// Sending the job.
    Send,
    /// The status check after sending.
    After,
}

impl std::fmt::Display for JobStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Before => "before sending",
            Self::Send => "while sending",
            Self::After => "after sending",
        })
    }
}

/// A failed print job.
#[derive(Debug, Error)]
#[error("print job failed {stage}: {reason}")]
pub struct PrintFailure {
    /// Why, as a stable word.
    pub reason: FailureReason,
    /// Where in the job.
    pub stage: JobStage,
    /// Whether some of the job may have reached the printer, so a label
    /// may exist (reprinting could make a duplicate): false only when no
    /// byte of the job was sent.
    pub maybe_printed: bool,
    /// The connection error behind it (none for a reported problem).
    #[source]
    pub cause: Option<PrinterError>,
    /// The host status that showed the problem (none when there was no
    /// answer): whether the job still sits in the printer's buffer.
    pub status: Option<HostStatus>,
}

/// A job the printer took, with the status on each side of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrintOutcome {
    /// The status before sending.
    pub before: HostStatus,
    /// The status after sending.
    pub after: HostStatus,
}

/// One printer on raw TCP; clones share the one-job-at-a-time lock.
#[derive(Debug, Clone)]
pub struct PrinterClient {
    addr: SocketAddr,
    timeout: Duration,
    job: Arc<Mutex<()>>,
}

impl PrinterClient {
    /// A client for the printer at `addr`; `timeout` bounds each connect
    /// and each exchange (status query or job send).
    pub fn new(addr: SocketAddr, timeout: Duration) -> Self {
        Self {
            addr,
            timeout,
            job: Arc::new(Mutex::new(())),
        }
    }

    /// The printer's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The timeout of each connect and exchange.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Asks the printer for its host status on a connection of its own.
    pub async fn status(&self) -> Result<HostStatus, PrinterError> {
        let mut stream = self.connect().await?;
        let answer = tokio::time::timeout(self.timeout, query(&mut stream))
            .await
            .map_err(|_| PrinterError::Timeout(self.timeout))??;
        Ok(parse_host_status(&answer)?)
    }

    /// Prints one job (whole ZPL formats), checking the printer before and
    /// after; waits for any job already running through this client.
    pub async fn print_job(&self, zpl: &[u8]) -> Result<PrintOutcome, PrintFailure> {
        let _one_at_a_time = self.job.lock().await;
        let before = self.checked_status(JobStage::Before).await?;
        if let Err(e) = self.send(zpl).await {
            let maybe_printed = !matches!(e, PrinterError::Connect { .. });
            tracing::warn!(printer = %self.addr, error = %e, maybe_printed, "print job not sent");
            return Err(PrintFailure {
                reason: match e {
                    PrinterError::Connect { .. } => FailureReason::ConnectFailed,
                    _ => FailureReason::SendFailed,
                },
                stage: JobStage::Send,
                maybe_printed,
                cause: Some(e),
                status: None,
            });
        }
        let after = self.checked_status(JobStage::After).await?;
        tracing::info!(printer = %self.addr, bytes = zpl.len(), "print job done");
        Ok(PrintOutcome { before, after })
    }

    /// The status, or the job's failure at `stage` if it shows a problem
    /// or cannot be had.
    async fn checked_status(&self, stage: JobStage) -> Result<HostStatus, PrintFailure> {
        let maybe_printed = stage != JobStage::Before;
        let (reason, cause, status) = match self.status().await {
            Ok(status) => match status.problem() {
                None => return Ok(status),
                Some(problem) => (FailureReason::Problem(problem), None, Some(status)),
            },
            Err(e) => (e.reason(), Some(e), None),
        };
        tracing::warn!(printer = %self.addr, %reason, %stage, maybe_printed, "print job failed");
        Err(PrintFailure {
            reason,
            stage,
            maybe_printed,
            cause,
            status,
        })
    }

    /// Cancels every format the printer holds (`~JA`, "cancel all"): after
    /// a problem, a job still in the buffer must not print later, once the
    /// job was given up here.
    pub async fn cancel_all(&self) -> Result<(), PrinterError> {
        self.send(CANCEL_ALL).await
    }

    /// Sends the job on its own connection and closes the write side, so
    /// the printer sees the end of it.
    async fn send(&self, zpl: &[u8]) -> Result<(), PrinterError> {
        let mut stream = self.connect().await?;
        let write = async {
            stream.write_all(zpl).await?;
            stream.flush().await?;
            stream.shutdown().await
        };
        tokio::time::timeout(self.timeout, write)
            .await
            .map_err(|_| PrinterError::Timeout(self.timeout))??;
        Ok(())
    }

    async fn connect(&self) -> Result<TcpStream, PrinterError> {
        let connect = tokio::time::timeout(self.timeout, TcpStream::connect(self.addr)).await;
        let source = match connect {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(e)) => e,
            Err(_) => io::Error::new(io::ErrorKind::TimedOut, "connect timed out"),
        };
        Err(PrinterError::Connect {
            addr: self.addr,
            source,
        })
    }
}

/// Writes `~HS` and reads until three ETX (a whole answer), the printer
/// closes, or more than a real answer arrives.
async fn query(stream: &mut TcpStream) -> Result<Vec<u8>, PrinterError> {
    stream.write_all(HOST_STATUS_QUERY).await?;
    stream.flush().await?;
    let mut answer = Vec::with_capacity(128);
    let mut chunk = [0u8; 256];
    while !answer_complete(&answer) && answer.len() <= MAX_ANSWER {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            if answer.is_empty() {
                return Err(PrinterError::Closed);
            }
            break;
        }
        answer.extend_from_slice(&chunk[..n]);
    }
    Ok(answer)
}
