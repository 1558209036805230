//! The directory Mosquitto reads its per-device limits from, shared by the
//! hubs of every site on one broker. Mosquitto takes one password file and
//! one ACL file, so each hub writes its own site's part
//! (`sites/{site}.acl`, `sites/{site}.passwd`) and then, under an
//! exclusive lock on the directory, joins every site's parts into
//! `mosquitto.acl` and `mosquitto.passwd`. Each file lands whole (a fsynced
//! temporary file renamed over it), so a broker reloading at any moment
//! reads an old set or a new one, never a part.

use super::mosquitto::{conf, MosquittoFiles};
use crate::datafile::write_private;
use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The directory, absolute.
    pub dir: PathBuf,
    /// The sites whose parts the joined files hold.
    pub sites: Vec<String>,
}

/// Writes `site`'s part of the files into `dir` (created if missing) and
/// joins every site's parts into the files Mosquitto reads.
pub fn write(dir: &Path, site: &str, files: &MosquittoFiles) -> std::io::Result<Written> {
    let parts = dir.join("sites");
    std::fs::create_dir_all(&parts)?;
    let dir = dir.canonicalize()?;
    let _lock = lock(&dir)?;
    write_private(&parts.join(format!("{site}.acl")), files.acl.as_bytes())?;
    write_private(
        &parts.join(format!("{site}.passwd")),
        files.passwd.as_bytes(),
    )?;
    let sites = sites_in(&parts)?;
    let mut acl = String::new();
    let mut passwd = String::new();
    for name in &sites {
        acl.push_str(&std::fs::read_to_string(parts.join(format!("{name}.acl")))?);
        let path = parts.join(format!("{name}.passwd"));
        // A site whose hub wrote its ACL part but crashed before its
        // password part has no logins yet.
        match std::fs::read_to_string(&path) {
            Ok(text) => passwd.push_str(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    write_private(&dir.join("mosquitto.acl"), acl.as_bytes())?;
    write_private(&dir.join("mosquitto.passwd"), passwd.as_bytes())?;
    write_private(&dir.join("mosquitto.conf"), conf(&dir).as_bytes())?;
    Ok(Written { dir, sites })
}

/// The sites with a part in `parts`, sorted.
fn sites_in(parts: &Path) -> std::io::Result<Vec<String>> {
    let mut sites = Vec::new();
    for entry in std::fs::read_dir(parts)? {
        let name = entry?.file_name();
        if let Some(site) = name.to_str().and_then(|n| n.strip_suffix(".acl")) {
            sites.push(site.to_string());
        }
    }
    sites.sort();
    Ok(sites)
}

fn lock(dir: &Path) -> std::io::Result<std::fs::File> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(dir.join(".lock"))?;
    // SAFETY: flock(2) on a descriptor we own; released when `file` drops.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(site: &str) -> MosquittoFiles {
        MosquittoFiles {
            acl: format!("user hub-{site}\ntopic readwrite wms/{site}/#\n\n"),
            passwd: format!("hub-{site}:$7$hash-{site}\n"),
            devices: 0,
        }
    }

    #[test]
    fn every_sites_part_is_joined_and_a_rewrite_replaces_only_its_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "s2", &part("s2")).expect("s2");
        let written = write(dir.path(), "s1", &part("s1")).expect("s1");
        assert_eq!(written.sites, ["s1", "s2"]);
        let mut changed = part("s1");
        changed
            .acl
            .push_str("user dev-1\ntopic write wms/s1/dev/dev-1/events\n");
        write(dir.path(), "s1", &changed).expect("s1 again");
        let acl = std::fs::read_to_string(dir.path().join("mosquitto.acl")).expect("acl");
        let passwd = std::fs::read_to_string(dir.path().join("mosquitto.passwd")).expect("pw");
        assert_eq!(acl, format!("{}{}", changed.acl, part("s2").acl));
        assert_eq!(passwd, "hub-s1:$7$hash-s1\nhub-s2:$7$hash-s2\n");
        let conf = std::fs::read_to_string(dir.path().join("mosquitto.conf")).expect("conf");
        assert!(conf.contains("acl_file"), "{conf}");
    }
}
