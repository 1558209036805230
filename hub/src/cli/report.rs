//! `hub report timeliness` (part of the `hub` binary): the weekly
//! order-timeliness report, fetched from the running hub over its HTTP API
//! (the hub holds its store's lock, and renders the report itself, so the
//! command and `GET /api/v1/reports/timeliness` can never disagree), then
//! written to a file or to standard output.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use hub::orders::report::IsoWeek;
use hub::HubConfig;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// The `hub report` subcommands.
#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// Orders received in one ISO week: time per state (in total, per
    /// site, per shift), share inside SLA, exception share.
    Timeliness(TimelinessArgs),
}

/// `hub report timeliness` flags.
#[derive(Args, Debug)]
pub struct TimelinessArgs {
    /// The ISO week, YYYY-Www (e.g. 2026-W49); default: the current week.
    #[arg(long)]
    week: Option<String>,
    /// json, csv or html.
    #[arg(long, default_value = "json", value_parser = ["json", "csv", "html"])]
    format: String,
    /// Write the report to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The hub's HTTP address (default: the config's `http_listen`, else
    /// 127.0.0.1:8080).
    #[arg(long)]
    http: Option<String>,
    /// The hub's TOML config, for its address, data directory and
    /// `site_utc_offset_minutes`.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The site's clock minus UTC, minutes (default: the config's
    /// `site_utc_offset_minutes`, else 0).
    #[arg(long, allow_hyphen_values = true)]
    offset_minutes: Option<i32>,
    /// A file holding a token (any role; default: the data directory's
    /// operator-token).
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// The hub's data directory, for the default token file (default: the
    /// config's, else ./data).
    #[arg(long)]
    data: Option<PathBuf>,
}

/// Runs one `hub report` command.
pub fn run(command: ReportCommand) -> Result<()> {
    match command {
        ReportCommand::Timeliness(args) => timeliness(args),
    }
}

fn timeliness(args: TimelinessArgs) -> Result<()> {
    let config = match &args.config {
        Some(path) => HubConfig::from_file(path)?,
        None => HubConfig::default(),
    };
    let http = args
        .http
        .clone()
        .unwrap_or_else(|| config.http_listen.to_string());
    let offset = args
        .offset_minutes
        .unwrap_or(config.site_utc_offset_minutes);
    let mut query = format!("format={}&offset_minutes={offset}", args.format);
    if let Some(raw) = &args.week {
        // Refused here with the same words the hub would use.
        let week = IsoWeek::parse(raw).map_err(|e| anyhow::anyhow!("--week: {e}"))?;
        query.push_str(&format!("&week={week}"));
    }
    let data = args.data.clone().unwrap_or(config.data_dir);
    let token_file = args
        .token_file
        .clone()
        .unwrap_or_else(|| data.join(hub::tokens::OPERATOR_TOKEN_FILE));
    let token = std::fs::read_to_string(&token_file)
        .with_context(|| format!("reading the token file {}", token_file.display()))?;
    let url = format!("http://{http}/api/v1/reports/timeliness?{query}");
    let body = fetch(&url, token.trim())?;
    match &args.out {
        Some(path) => {
            std::fs::write(path, &body).with_context(|| format!("writing {}", path.display()))?;
            println!("wrote {} ({} bytes)", path.display(), body.len());
        }
        None => std::io::stdout()
            .write_all(&body)
            .context("writing to standard output")?,
    }
    Ok(())
}

/// GETs `url` with the token; the body on 200, else the hub's message.
fn fetch(url: &str, token: &str) -> Result<Vec<u8>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let mut answer = agent
        .get(url)
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .with_context(|| format!("asking the hub at {url}"))?;
    let status = answer.status().as_u16();
    let body = answer
        .body_mut()
        .with_config()
        .limit(256 << 20)
        .read_to_vec()
        .context("reading the hub's answer")?;
    if status != 200 {
        let value: serde_json::Value =
            serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        let message = value["error"]["message"].as_str().map_or_else(
            || String::from_utf8_lossy(&body).into_owned(),
            str::to_string,
        );
        bail!("the hub answered {status}: {message}");
    }
    Ok(body)
}
