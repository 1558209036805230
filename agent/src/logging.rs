//! Where the `agent` binary's logs go: standard error by default, a file
//! with `--log`, and never the terminal the UI draws on. Text for people
//! (coloured only when written to a terminal, so a log file never holds
//! ANSI escape codes), or with `--log-format json` one JSON object a line
//! for log shippers.

use anyhow::{Context, Result};
use std::io::IsTerminal;
use std::path::Path;
use tracing_subscriber::fmt::writer::BoxMakeWriter;

/// The shape of log lines (`--log-format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One line of text an event; colour only on a terminal.
    #[default]
    Text,
    /// One JSON object an event (`level`, `message`, `target`,
    /// `timestamp` and the event's fields at the top level).
    Json,
}

/// Logs to `file`, else to standard error; with `ui`, never to the
/// terminal the UI draws on (a log line there would tear the screen).
pub fn init_logging(file: Option<&Path>, ui: bool, format: LogFormat) -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (writer, ansi) = if let Some(path) = file {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open the log file {}", path.display()))?;
        (BoxMakeWriter::new(std::sync::Mutex::new(log)), false)
    } else if ui && std::io::stderr().is_terminal() {
        (BoxMakeWriter::new(std::io::sink), false)
    } else {
        let terminal = std::io::stderr().is_terminal();
        (BoxMakeWriter::new(std::io::stderr), terminal)
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let set = match format {
        LogFormat::Text => builder.with_ansi(ansi).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    set.map_err(|e| anyhow::anyhow!("logging not set up: {e}"))
}
