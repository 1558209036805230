//! `firmware-sim printer`: the fake printer as a process for tests in
//! other processes and for demos.
//!
//! Its first output line is `listening on ADDR` (so a test learns the
//! port it got). Control lines on its input switch the state (`ok`,
//! `paper-out`, `ribbon-out`, `head-open`, `pause`, `silent`); each is
//! acknowledged with `state WORD` once applied (or `error: ...`), so a
//! test can wait for the switch instead of sleeping. The end of input only
//! ends control: the printer runs until its token is cancelled (SIGTERM
//! or SIGINT in the binary, [`wait_for_stop_signal`]).
//!
//! Input and output are passed in, so this runs in tests without stdio.

use super::model::PrinterState;
use super::server::{FakePrinter, FakePrinterConfig, FakePrinterError};
use std::io;
use thiserror::Error;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

/// Why the printer process stopped early.
#[derive(Debug, Error)]
pub enum PrinterCliError {
    /// The printer could not start.
    #[error(transparent)]
    Start(#[from] FakePrinterError),
    /// The output could not be written.
    #[error("cannot write the output: {0}")]
    Output(#[source] io::Error),
}

/// Runs the fake printer until `cancel` fires, reading control lines from
/// `control` and writing `listening on ADDR` and acknowledgements to `out`.
pub async fn run_printer<C, W>(
    config: FakePrinterConfig,
    control: C,
    mut out: W,
    cancel: CancellationToken,
) -> Result<(), PrinterCliError>
where
    C: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let printer = FakePrinter::start(config, cancel.clone()).await?;
    let result = serve_control(&printer, control, &mut out, &cancel).await;
    printer.shutdown().await;
    result
}

async fn serve_control<C, W>(
    printer: &FakePrinter,
    control: C,
    out: &mut W,
    cancel: &CancellationToken,
) -> Result<(), PrinterCliError>
where
    C: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    write_line(out, &format!("listening on {}", printer.addr())).await?;
    let mut lines = control.lines();
    let mut control_open = true;
    loop {
        let line = tokio::select! {
            () = cancel.cancelled() => return Ok(()),
            line = lines.next_line(), if control_open => line,
        };
        let line = match line {
            Ok(Some(line)) => line,
            Ok(None) => {
                tracing::info!("control input closed; running until a stop signal");
                control_open = false;
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "control input failed; running until a stop signal");
                control_open = false;
                continue;
            }
        };
        let word = line.trim();
        if word.is_empty() {
            continue;
        }
        let answer = match word.parse::<PrinterState>() {
            Ok(state) => {
                printer.set_state(state);
                format!("state {state}")
            }
            Err(e) => format!("error: {e}"),
        };
        write_line(out, &answer).await?;
    }
}

async fn write_line<W: AsyncWrite + Unpin>(out: &mut W, line: &str) -> Result<(), PrinterCliError> {
    let write = async {
        out.write_all(line.as_bytes()).await?;
        out.write_all(b"\n").await?;
        out.flush().await
    };
    write.await.map_err(PrinterCliError::Output)
}

/// Waits for SIGTERM or SIGINT.
pub async fn wait_for_stop_signal() -> io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM"),
        _ = int.recv() => tracing::info!("SIGINT"),
    }
    Ok(())
}
