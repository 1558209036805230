//! How the `hub` binary writes its logs: to standard error, as text for
//! people (coloured only when standard error is a terminal, so a log file
//! or a journal never holds ANSI escape codes) or, with `--log-format
//! json`, as one JSON object a line for log shippers (`level`, `message`,
//! `target`, `timestamp` and the event's fields at the top level). Either
//! way the [`RepeatLimit`] layer keeps a burst of lines from one call site
//! from flooding the log.

use crate::log_gate::RepeatLimit;
use std::io::IsTerminal;
use std::sync::OnceLock;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// The shape of log lines (`--log-format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One line of text an event; colour only on a terminal.
    #[default]
    Text,
    /// One JSON object an event.
    Json,
}

impl LogFormat {
    /// The word `--log-format` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// The format [`init`] set up (the broker child is told to log the same).
static FORMAT: OnceLock<LogFormat> = OnceLock::new();

/// The format this process logs in ([`LogFormat::Text`] until [`init`]).
pub fn format() -> LogFormat {
    FORMAT.get().copied().unwrap_or_default()
}

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("logging not set up: {0}")]
pub struct LogSetupError(#[from] tracing_subscriber::util::TryInitError);

/// Sends this process's logs to standard error in `format`, filtered by
/// `RUST_LOG` or else by `default_filter`.
pub fn init(format: LogFormat, default_filter: &str) -> Result<(), LogSetupError> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .finish()
            .with(RepeatLimit::default())
            .try_init()?,
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .finish()
            .with(RepeatLimit::default())
            .try_init()?,
    }
    let _ = FORMAT.set(format);
    Ok(())
}
