//! `hub token ...` (part of the `hub` binary, not the library): make, list
//! and revoke API tokens in a data directory's token file, while the hub
//! runs or not (a running hub takes the change within about a second).
//! `create` prints the token alone on stdout, so a script can capture it;
//! it is shown only then. `list` never shows a token.

use anyhow::Result;
use clap::Subcommand;
use hub::tokens::{Role, TokenRegistry};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The `hub token` subcommands.
#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Make a token and print it (shown only this once; the hub keeps a
    /// salted hash).
    Create {
        /// viewer (reads), integrator (also reserves and releases stock) or
        /// operator (everything).
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Who holds it ("shop-de", "grafana"): unique, no spaces.
        #[arg(long)]
        name: String,
        /// The hub's data directory.
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
    /// List tokens: name, role, created, revoked (never the token).
    List {
        /// The hub's data directory.
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
    /// Revoke a token: a running hub refuses it within about a second.
    Revoke {
        /// The token's name.
        name: String,
        /// The hub's data directory.
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
}

fn parse_role(raw: &str) -> Result<Role, String> {
    raw.parse()
        .map_err(|e: hub::tokens::UnknownRole| e.to_string())
}

/// Runs one `hub token` command.
pub fn run(command: TokenCommand) -> Result<()> {
    let now = hub::clock::wall_ms();
    match command {
        TokenCommand::Create { role, name, data } => {
            let token = TokenRegistry::new(&data).create(&name, role, now)?;
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{token}")?;
            stdout.flush()?;
            eprintln!("token {name} ({role}) made; it is shown only this once");
            Ok(())
        }
        TokenCommand::List { data } => list(&data),
        TokenCommand::Revoke { name, data } => {
            TokenRegistry::new(&data).revoke(&name, now)?;
            println!("token {name} revoked: a running hub refuses it within a second");
            Ok(())
        }
    }
}

fn list(data: &Path) -> Result<()> {
    let file = TokenRegistry::new(data).load()?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<24} {:<10} {:<24} REVOKED",
        "NAME", "ROLE", "CREATED"
    )?;
    for t in &file.tokens {
        let revoked = t.revoked_ms.map(utc).unwrap_or_else(|| "-".into());
        writeln!(
            out,
            "{:<24} {:<10} {:<24} {}",
            t.name,
            t.role,
            utc(t.created_ms),
            revoked
        )?;
    }
    Ok(())
}

/// `2026-12-01T09:30:00Z` from ms since the Unix epoch.
fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = protocol::calendar::civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_print_in_utc() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400_000, "2000-02-29T00:00:00Z"),
            (1_796_117_445_000, "2026-12-01T09:30:45Z"),
        ];
        for (ms, want) in cases {
            assert_eq!(super::utc(ms), want);
        }
    }
}
