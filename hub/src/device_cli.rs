//! `hub device ...` (part of the `hub` binary, not the library): provision,
//! revoke, rotate and list devices in a data directory's registry, while
//! the hub runs or not. Secrets are printed here, once, to stdout; with
//! `--out FILE` they are also written as a credentials file (JSON, mode
//! 0600) that `agent --credentials` and `firmware-sim fleet` read.

use anyhow::{Context, Result};
use clap::Subcommand;
use hub::devices::{DeviceStatus, Registry};
use protocol::{CredentialsFile, DeviceCredentials};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The `hub device` subcommands.
#[derive(Subcommand, Debug)]
pub enum DeviceCommand {
    /// Provision devices and print their credentials (shown only once).
    Add {
        /// Device ids.
        #[arg(required = true, value_name = "DEVICE")]
        devices: Vec<String>,
        /// The site the devices belong to.
        #[arg(long)]
        site: String,
        /// The hub's data directory.
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Also write the credentials to FILE as JSON (mode 0600).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Revoke a device: it is refused at connect and its batches are
    /// dead-lettered (within about a second on a running hub).
    Revoke {
        /// Device id.
        device: String,
        /// The hub's data directory.
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
    /// New broker password and key for a device, printed once; the old
    /// ones stop working.
    Rotate {
        /// Device id.
        device: String,
        /// The hub's data directory.
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Also write the new credentials to FILE as JSON (mode 0600).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// List devices (no secrets).
    List {
        /// The hub's data directory.
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
}

/// Runs one `hub device` command.
pub fn run(command: DeviceCommand) -> Result<()> {
    let now = hub::writer::now_ms();
    match command {
        DeviceCommand::Add {
            devices,
            site,
            data,
            out,
        } => {
            let issued = Registry::new(&data).add(&devices, &site, now)?;
            deliver(&issued, out.as_deref())
        }
        DeviceCommand::Revoke { device, data } => {
            Registry::new(&data).revoke(&device, now)?;
            println!("device {device} revoked: it can no longer connect or send");
            Ok(())
        }
        DeviceCommand::Rotate { device, data, out } => {
            let issued = Registry::new(&data).rotate(&device, now)?;
            deliver(&[issued], out.as_deref())
        }
        DeviceCommand::List { data } => list(&data),
    }
}

fn deliver(issued: &[DeviceCredentials], out: Option<&Path>) -> Result<()> {
    if let Some(path) = out {
        write_credentials(path, issued)?;
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "Credentials below are shown only this once; the hub keeps no copy of the passwords."
    )?;
    for c in issued {
        writeln!(
            stdout,
            "\ndevice {} (site {}, key version {})",
            c.device, c.site, c.key_version
        )?;
        writeln!(stdout, "  username: {}", c.username)?;
        writeln!(stdout, "  password: {}", c.password)?;
        writeln!(stdout, "  key:      {}", c.key)?;
    }
    if let Some(path) = out {
        writeln!(stdout, "\nwritten to {} (mode 0600)", path.display())?;
    }
    Ok(())
}

fn write_credentials(path: &Path, issued: &[DeviceCredentials]) -> Result<()> {
    let file = CredentialsFile {
        devices: issued.to_vec(),
    };
    let text = serde_json::to_vec_pretty(&file)?;
    // The secrets are shown once: the file lands whole, 0600 even where an
    // older file was wider, and a power cut cannot take its directory entry.
    hub::datafile::write_private(path, &text)
        .with_context(|| format!("cannot write credentials to {}", path.display()))
}

fn list(data: &Path) -> Result<()> {
    let file = Registry::new(data).load()?;
    println!(
        "{:<24} {:<16} {:<8} {:>3}",
        "DEVICE", "SITE", "STATUS", "KEY"
    );
    for d in &file.devices {
        let status = match d.status {
            DeviceStatus::Active => "active",
            DeviceStatus::Revoked => "revoked",
        };
        println!(
            "{:<24} {:<16} {:<8} {:>3}",
            d.id, d.site, status, d.key_version
        );
    }
    Ok(())
}
