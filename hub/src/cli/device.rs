//! `hub device ...` (part of the `hub` binary, not the library): provision,
//! revoke, rotate and list devices in a data directory's registry, while
//! the hub runs or not. Secrets are printed here, once, to stdout; with
//! `--out FILE` they are also written as a credentials file (JSON, mode
//! 0600) that `agent --credentials` and `firmware-sim fleet` read.
//! `hub device acl --format mosquitto` writes the per-device limits for an
//! external Mosquitto broker ([`hub::devices::mosquitto`]).

use anyhow::{Context, Result};
use clap::Subcommand;
use hub::devices::{DeviceKind, DeviceStatus, Registry};
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
        /// What they are: `handheld` or `printer-station` (label jobs).
        #[arg(long, default_value = "handheld", value_parser = parse_kind)]
        kind: DeviceKind,
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
    /// Write the broker files that limit each device to its own topics
    /// (mosquitto.acl, mosquitto.passwd, mosquitto.conf in DIR). Run again
    /// after every add, revoke and rotate, then reload the broker (SIGHUP):
    /// Mosquitto then drops a revoked device's open connection.
    Acl {
        /// The broker's file format.
        #[arg(long, value_enum)]
        format: AclFormat,
        /// The hub's data directory.
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// The hub's config file: its site, and its own broker login
        /// ([external_broker] username and password_file; or the password
        /// in the environment variable WMS_BROKER_PASSWORD).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Where to write the files (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// List devices (no secrets).
    List {
        /// The hub's data directory.
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
}

/// Broker file formats `hub device acl` writes.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AclFormat {
    /// Mosquitto 2 (acl_file, password_file).
    Mosquitto,
}

/// Runs one `hub device` command.
pub fn run(command: DeviceCommand) -> Result<()> {
    let now = hub::clock::wall_ms();
    match command {
        DeviceCommand::Add {
            devices,
            site,
            data,
            out,
            kind,
        } => {
            let issued = Registry::new(&data).add_kind(&devices, &site, kind, now)?;
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
        DeviceCommand::Acl {
            format: AclFormat::Mosquitto,
            data,
            config,
            out,
        } => write_mosquitto(&data, &config, &out),
        DeviceCommand::List { data } => list(&data),
    }
}

fn write_mosquitto(data: &Path, config: &Path, out: &Path) -> Result<()> {
    let config = hub::config::HubConfig::from_file(config)?;
    let Some((username, password)) = config.external_broker.login()? else {
        anyhow::bail!(
            "the config has no [external_broker] username (with password_file, or the \
             password in {}): the hub's own broker login must be in the password file",
            hub::net::external::PASSWORD_ENV
        );
    };
    let login = hub::devices::mosquitto::HubLogin {
        site: &config.site,
        username: &username,
        password: &password,
    };
    let registry = Registry::new(data).load()?;
    let files = hub::devices::mosquitto::files(&registry, &login)?;
    let written = hub::devices::mosquitto_dir::write(out, &config.site, &files)
        .with_context(|| format!("cannot write the files in {}", out.display()))?;
    println!(
        "wrote mosquitto.acl, mosquitto.passwd and mosquitto.conf for {} device(s) of site {} \
         (the files hold sites {}) to {}; reload Mosquitto (SIGHUP) to apply",
        files.devices,
        config.site,
        written.sites.join(", "),
        written.dir.display()
    );
    Ok(())
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

fn parse_kind(word: &str) -> Result<DeviceKind, String> {
    match word {
        "handheld" => Ok(DeviceKind::Handheld),
        "printer-station" => Ok(DeviceKind::PrinterStation),
        other => Err(format!(
            "unknown kind {other:?}: handheld or printer-station"
        )),
    }
}
