//! `wms-manifest`: every sled file of a store with its length and CRC32,
//! written at a clean shutdown and checked at the next start before sled
//! opens. One line per file: `name TAB length TAB crc32-hex`.

use crate::{io_error, SealError};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// File name of the manifest inside a store directory.
pub const MANIFEST_FILE: &str = "wms-manifest";
const OURS: [&str; 3] = [crate::seal::SEAL_FILE, MANIFEST_FILE, "wms-manifest.tmp"];

/// One sled file as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Path relative to the store directory.
    pub name: String,
    /// Length in bytes.
    pub len: u64,
    /// CRC32 of the content.
    pub crc: u32,
}

/// Whether `name` (relative to the store's directory) is one of sled's
/// files: `conf`, `db`, `snap.*` and what is under `blobs/`. Anything else
/// there (the hub's device registry, say) belongs to someone else.
pub fn is_sled_file(name: &str) -> bool {
    name == "conf" || name == "db" || name.starts_with("snap.") || name.starts_with("blobs/")
}

/// Every sled file under `dir` (ours and others' excluded), sorted by name.
pub fn sled_files(dir: &Path) -> Result<Vec<String>, SealError> {
    let mut names = Vec::new();
    collect(dir, "", &mut names)?;
    names.sort();
    Ok(names)
}

fn collect(dir: &Path, prefix: &str, names: &mut Vec<String>) -> Result<(), SealError> {
    for entry in std::fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        let kind = entry.file_type().map_err(io_error(&entry.path()))?;
        if kind.is_dir() {
            collect(&entry.path(), &format!("{name}/"), names)?;
        } else if !OURS.contains(&name.as_str()) && is_sled_file(&name) {
            names.push(name);
        }
    }
    Ok(())
}

/// Length and CRC32 of one file.
pub fn digest(path: &Path) -> Result<(u64, u32), SealError> {
    let mut file = File::open(path).map_err(io_error(path))?;
    let mut hasher = crc32fast::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(io_error(path))?;
        if n == 0 {
            return Ok((len, hasher.finalize()));
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
}

/// Writes the manifest of `dir` durably; returns its CRC32.
pub fn write(dir: &Path) -> Result<u32, SealError> {
    let mut text = String::new();
    for name in sled_files(dir)? {
        let (len, crc) = digest(&dir.join(&name))?;
        text.push_str(&format!("{name}\t{len}\t{crc:08x}\n"));
    }
    let tmp = dir.join("wms-manifest.tmp");
    let mut file = File::create(&tmp).map_err(io_error(&tmp))?;
    file.write_all(text.as_bytes()).map_err(io_error(&tmp))?;
    file.sync_all().map_err(io_error(&tmp))?;
    let path = dir.join(MANIFEST_FILE);
    std::fs::rename(&tmp, &path).map_err(io_error(&path))?;
    sync_dir(dir)?;
    Ok(crc32fast::hash(text.as_bytes()))
}

/// Checks every file the manifest lists against its length and CRC.
pub fn check(dir: &Path, manifest_crc: u32) -> Result<(), SealError> {
    let path = dir.join(MANIFEST_FILE);
    let text = std::fs::read(&path).map_err(io_error(&path))?;
    let damaged = |path: PathBuf, problem: String| SealError::FileDamaged { path, problem };
    if crc32fast::hash(&text) != manifest_crc {
        return Err(damaged(path, "checksum differs from the seal's".into()));
    }
    let text = String::from_utf8_lossy(&text);
    for line in text.lines() {
        let entry =
            parse_line(line).ok_or_else(|| damaged(path.clone(), format!("bad line {line:?}")))?;
        let file = dir.join(&entry.name);
        if !file.exists() {
            let problem = format!(
                "missing (it was {} bytes at the last clean shutdown)",
                entry.len
            );
            return Err(damaged(file, problem));
        }
        let (len, crc) = digest(&file)?;
        if len != entry.len {
            let problem = format!(
                "{len} bytes, but {} at the last clean shutdown (truncated or extended)",
                entry.len
            );
            return Err(damaged(file, problem));
        }
        if crc != entry.crc {
            let problem = format!(
                "content changed since the last clean shutdown (crc32 {crc:08x}, recorded {:08x})",
                entry.crc
            );
            return Err(damaged(file, problem));
        }
    }
    Ok(())
}

fn parse_line(line: &str) -> Option<FileEntry> {
    let mut parts = line.split('\t');
    let name = parts.next()?.to_string();
    let len = parts.next()?.parse().ok()?;
    let crc = u32::from_str_radix(parts.next()?, 16).ok()?;
    parts
        .next()
        .is_none()
        .then_some(FileEntry { name, len, crc })
}

/// fsyncs a directory, so a created or renamed entry in it is durable.
pub fn sync_dir(dir: &Path) -> Result<(), SealError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error(dir))
}

#[cfg(test)]
mod foreign_file_tests {
    use super::{is_sled_file, sled_files};

    #[test]
    fn only_sled_files_are_listed() {
        assert!(is_sled_file("conf") && is_sled_file("db") && is_sled_file("snap.00000000001A"));
        assert!(is_sled_file("blobs/17"));
        assert!(!is_sled_file("devices.json") && !is_sled_file("devices.lock"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("conf"), b"x").unwrap();
        std::fs::write(dir.path().join("devices.json"), b"{}").unwrap();
        assert_eq!(sled_files(dir.path()).unwrap(), vec!["conf".to_string()]);
    }
}
