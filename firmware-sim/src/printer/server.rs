//! The fake printer's TCP server: accepts ZPL on any connection (raw port
//! 9100 style), acts on each format and `~HS` in stream order, and records
//! what it printed, in memory and optionally in a record file.
//!
//! The async shell around the pure [`PrinterModel`] and [`ZplSplitter`]:
//! one task accepts and serves one connection at a time, to its end, as a
//! Zebra serves port 9100 (so a status asked right after a job reflects
//! that job). It ends when the [`CancellationToken`] fires. A format cut off by the
//! end of its connection is dropped (a real printer would wait for the
//! rest; a station sends a job whole on one connection).

use super::model::{FormatFate, PrintedLabel, PrinterModel, PrinterState};
use super::record::RecordFile;
use super::splitter::{StreamEvent, ZplSplitter};
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How the fake printer starts.
#[derive(Debug, Clone)]
pub struct FakePrinterConfig {
    /// Where to listen (port 0: any free port; see [`FakePrinter::addr`]).
    pub listen: SocketAddr,
    /// Go paper-out by itself after this many printed labels.
    pub paper_out_after: Option<u64>,
    /// Open the head as this format (1 = the first) arrives, holding it.
    pub head_open_on: Option<u64>,
    /// Append one JSON line per printed label to this file.
    pub record: Option<PathBuf>,
}

/// Why the fake printer could not start.
#[derive(Debug, Error)]
pub enum FakePrinterError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// The record file could not be opened.
    #[error("cannot open the record file {path}: {source}")]
    Record {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
}

/// State shared by the connection tasks and the handle.
#[derive(Debug)]
struct Shared {
    model: Mutex<PrinterModel>,
    record: Option<Mutex<RecordFile>>,
}

impl Shared {
    fn model(&self) -> MutexGuard<'_, PrinterModel> {
        // A panic elsewhere never leaves the model half-changed (each
        // change is one assignment), so a poisoned lock is still usable.
        self.model.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Acts on one event; returns the bytes to answer, if any.
    fn act(&self, event: StreamEvent) -> Option<Vec<u8>> {
        match event {
            StreamEvent::HostStatus => self.model().host_status(),
            StreamEvent::CancelAll => {
                let n = self.model().cancel_all();
                tracing::info!(formats = n, "~JA: held formats cancelled");
                None
            }
            StreamEvent::Dropped => {
                tracing::warn!("unfinished format dropped");
                None
            }
            StreamEvent::Format(zpl) => {
                // The record is written under the model's lock, so the
                // file's order is the printing order.
                let mut model = self.model();
                match model.receive_format(zpl, agent::now_ms()) {
                    FormatFate::Printed(label) => self.write_record(&label),
                    FormatFate::Held(state) => {
                        tracing::info!(%state, "format held in the buffer");
                    }
                    FormatFate::Ignored => {}
                }
                None
            }
        }
    }

    fn write_record(&self, label: &PrintedLabel) {
        tracing::info!(n = label.n, bytes = label.zpl.len(), "label printed");
        let Some(record) = &self.record else { return };
        let mut file = record.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = file.append(label) {
            tracing::error!(path = %file.path().display(), error = %e, "cannot record a printed label");
        }
    }
}

/// A running fake printer; dropping it does not stop it (use
/// [`FakePrinter::shutdown`] or cancel its token).
#[derive(Debug)]
pub struct FakePrinter {
    addr: SocketAddr,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    accept: JoinHandle<()>,
}

impl FakePrinter {
    /// Binds and starts serving; stops when `cancel` fires.
    pub async fn start(
        config: FakePrinterConfig,
        cancel: CancellationToken,
    ) -> Result<Self, FakePrinterError> {
        let record = match &config.record {
            Some(path) => Some(Mutex::new(RecordFile::open(path).map_err(|source| {
                FakePrinterError::Record {
                    path: path.clone(),
                    source,
                }
            })?)),
            None => None,
        };
        let bind = |source| FakePrinterError::Bind {
            addr: config.listen,
            source,
        };
        let listener = TcpListener::bind(config.listen).await.map_err(bind)?;
        let addr = listener.local_addr().map_err(bind)?;
        let shared = Arc::new(Shared {
            model: Mutex::new(
                PrinterModel::new(config.paper_out_after).with_head_open_on(config.head_open_on),
            ),
            record,
        });
        let accept = tokio::spawn(accept_loop(listener, shared.clone(), cancel.clone()));
        tracing::info!(%addr, "fake printer listening");
        Ok(Self {
            addr,
            shared,
            cancel,
            accept,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The current state.
    pub fn state(&self) -> PrinterState {
        self.shared.model().state()
    }

    /// Switches state; the next `~HS` and format see it. Back to `ok`,
    /// the formats held in the buffer print (and are recorded).
    pub fn set_state(&self, state: PrinterState) {
        tracing::info!(%state, "printer state set");
        let mut model = self.shared.model();
        for label in model.set_state(state, agent::now_ms()) {
            self.shared.write_record(&label);
        }
    }

    /// The labels printed so far, in order.
    pub fn printed(&self) -> Vec<PrintedLabel> {
        self.shared.model().printed().to_vec()
    }

    /// Held formats thrown away by `~JA`.
    pub fn discarded(&self) -> u64 {
        self.shared.model().discarded()
    }

    /// Stops accepting and ends every connection; waits for the acceptor.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        if let Err(e) = self.accept.await {
            tracing::error!(error = %e, "fake printer acceptor failed");
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, cancel: CancellationToken) {
    loop {
        let accepted = tokio::select! {
            () = cancel.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                // One connection at a time, to its end, as a Zebra serves
                // port 9100: a status asked on a new connection is answered
                // only after the job sent before it was taken in.
                tracing::debug!(%peer, "connection");
                serve_connection(stream, shared.clone(), cancel.clone()).await;
            }
            Err(e) => {
                // Out of descriptors and the like: wait a little, go on.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

async fn serve_connection(mut stream: TcpStream, shared: Arc<Shared>, cancel: CancellationToken) {
    let mut splitter = ZplSplitter::new();
    let mut buf = vec![0u8; 8192];
    loop {
        let read = tokio::select! {
            () = cancel.cancelled() => return,
            read = stream.read(&mut buf) => read,
        };
        let n = match read {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                tracing::debug!(error = %e, "connection read failed");
                return;
            }
        };
        for event in splitter.feed(&buf[..n]) {
            let Some(answer) = shared.act(event) else {
                continue;
            };
            if let Err(e) = stream.write_all(&answer).await {
                tracing::debug!(error = %e, "connection write failed");
                return;
            }
        }
    }
    if splitter.in_format() {
        tracing::warn!("connection ended inside a format; dropped");
    }
}
