//! Agent resident memory: the real `agent` binary (built next to this
//! one) journals and publishes scans to an in-process hub; its VmRSS and
//! peak VmHWM are read from /proc and compared with the 20 MB target.

use crate::hubctl;
use crate::stats::verdict;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Feeds `scans` scans to one agent process and reports its memory.
pub async fn run(scans: u64) -> anyhow::Result<bool> {
    let hub_dir = tempfile::tempdir()?;
    let dev_dir = tempfile::tempdir()?;
    let creds = hubctl::provision(hub_dir.path(), &["rss-1".to_string()])?;
    let (hub, port) = hubctl::start(hub_dir.path()).await?;
    let exe = std::env::current_exe()?.with_file_name("agent");
    let mut child = Command::new(&exe)
        .args([
            "--hub",
            &format!("127.0.0.1:{port}"),
            "--site",
            "bench",
            "--device",
            "rss-1",
            "--data",
        ])
        .arg(dev_dir.path())
        .arg("--credentials")
        .arg(&creds.path)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot start {}: {e} (cargo build --release -p agent)",
                exe.display()
            )
        })?;
    let pid = child.id();
    let answered = tokio::task::spawn_blocking(move || -> anyhow::Result<u64> {
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let mut ok = 0;
        for n in 0..scans {
            writeln!(stdin, "pick SKU-{} A-{:02} 1", n % 500, n % 40)?;
            if lines
                .next()
                .transpose()?
                .is_some_and(|l| l.starts_with("ok "))
            {
                ok += 1;
            }
        }
        let rss = status_kb(pid, "VmRSS:").unwrap_or(0);
        let hwm = status_kb(pid, "VmHWM:").unwrap_or(0);
        let _ = child.kill();
        let _ = child.wait();
        println!(
            "agent memory after {ok} scans: VmRSS {:.1} MB, peak VmHWM {:.1} MB",
            rss as f64 / 1024.0,
            hwm as f64 / 1024.0
        );
        Ok(hwm)
    })
    .await??;
    hubctl::stop(hub).await?;
    let ok = (answered as f64) / 1024.0 < 20.0;
    println!(
        "  peak / 20 MB target = {:.2} (target < 1.00): {}",
        answered as f64 / 1024.0 / 20.0,
        verdict(ok)
    );
    Ok(ok)
}
