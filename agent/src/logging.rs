//! Where the `agent` binary's logs go: standard error by default, a file
//! with `--log`, and never the terminal the UI draws on.

use anyhow::{Context, Result};
use std::path::Path;

/// Logs to `file`, else to standard error; with `ui`, never to the
/// terminal the UI draws on (a log line there would tear the screen).
pub fn init_logging(file: Option<&Path>, ui: bool) -> Result<()> {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if let Some(path) = file {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open the log file {}", path.display()))?;
        builder
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(log))
            .init();
    } else if ui && std::io::stderr().is_terminal() {
        builder.with_writer(std::io::sink).init();
    } else {
        builder
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .init();
    }
    Ok(())
}
