//! The seal file `wms-seal`: the store's format marker and its record of
//! what sled must hold.
//!
//! Two 64-byte slots, written alternately; each carries its own CRC and a
//! generation number, and the valid slot with the higher generation is the
//! seal. A write torn by a power cut damages only the slot being written,
//! so the previous seal survives. Slot layout (little-endian):
//!
//! | bytes  | field                                                  |
//! |--------|--------------------------------------------------------|
//! | 0..8   | magic `WMSSEAL\0`                                      |
//! | 8..10  | format version (u16)                                   |
//! | 10     | kind of store (1 agent journal, 2 hub store)           |
//! | 11     | state (0 open, 1 closed cleanly)                       |
//! | 12..20 | generation (u64)                                       |
//! | 20..28 | mark (u64): sled must hold at least this much          |
//! | 28..32 | CRC32 of sled's `conf` (0: not known yet)              |
//! | 32..36 | CRC32 of `wms-manifest` (meaningful when closed)       |
//! | 36..60 | zero                                                   |
//! | 60..64 | CRC32 of bytes 0..60                                   |

use crate::{io_error, SealError};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// The on-disk format these stores are written in. Version 1 was the
/// unframed values without a seal.
pub const FORMAT_VERSION: u16 = 2;
/// File name of the seal inside a store directory.
pub const SEAL_FILE: &str = "wms-seal";
const MAGIC: &[u8; 8] = b"WMSSEAL\0";
const SLOT: usize = 64;

/// Which store a directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An agent's scan journal.
    Journal,
    /// A hub's store.
    HubStore,
}

impl Kind {
    fn byte(self) -> u8 {
        match self {
            Kind::Journal => 1,
            Kind::HubStore => 2,
        }
    }
}

/// One seal as read or to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seal {
    /// The kind of store.
    pub kind: Kind,
    /// Whether the store was closed cleanly (the manifest is valid).
    pub clean: bool,
    /// Increases with every write.
    pub generation: u64,
    /// What sled must hold at least (last confirmed seq, commit count).
    pub mark: u64,
    /// CRC32 of sled's `conf` (0 until known).
    pub conf_crc: u32,
    /// CRC32 of the manifest (when `clean`).
    pub manifest_crc: u32,
}

impl Seal {
    /// A first seal for a new store.
    pub fn new(kind: Kind) -> Seal {
        Seal {
            kind,
            clean: false,
            generation: 0,
            mark: 0,
            conf_crc: 0,
            manifest_crc: 0,
        }
    }

    fn encode(&self) -> [u8; SLOT] {
        let mut slot = [0u8; SLOT];
        slot[0..8].copy_from_slice(MAGIC);
        slot[8..10].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        slot[10] = self.kind.byte();
        slot[11] = u8::from(self.clean);
        slot[12..20].copy_from_slice(&self.generation.to_le_bytes());
        slot[20..28].copy_from_slice(&self.mark.to_le_bytes());
        slot[28..32].copy_from_slice(&self.conf_crc.to_le_bytes());
        slot[32..36].copy_from_slice(&self.manifest_crc.to_le_bytes());
        let crc = crc32fast::hash(&slot[..60]);
        slot[60..64].copy_from_slice(&crc.to_le_bytes());
        slot
    }
}

/// Why one slot is unusable (a torn or damaged write, or a foreign file).
enum SlotProblem {
    Damaged(String),
    Version(u16),
}

fn decode(slot: &[u8], kind: Kind) -> Result<Seal, SlotProblem> {
    let u32_at =
        |at: usize| u32::from_le_bytes([slot[at], slot[at + 1], slot[at + 2], slot[at + 3]]);
    let u64_at = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&slot[at..at + 8]);
        u64::from_le_bytes(b)
    };
    if &slot[0..8] != MAGIC {
        return Err(SlotProblem::Damaged("not a seal (bad magic)".into()));
    }
    if crc32fast::hash(&slot[..60]) != u32_at(60) {
        return Err(SlotProblem::Damaged("checksum mismatch".into()));
    }
    let version = u16::from_le_bytes([slot[8], slot[9]]);
    if version != FORMAT_VERSION {
        return Err(SlotProblem::Version(version));
    }
    if slot[10] != kind.byte() {
        return Err(SlotProblem::Damaged(format!(
            "written for another kind of store ({}), expected {kind:?}",
            slot[10]
        )));
    }
    Ok(Seal {
        kind,
        clean: slot[11] == 1,
        generation: u64_at(12),
        mark: u64_at(20),
        conf_crc: u32_at(28),
        manifest_crc: u32_at(32),
    })
}

/// The open seal file; writes go to the older slot.
#[derive(Debug)]
pub struct SealFile {
    file: File,
    path: PathBuf,
    seal: Seal,
}

impl SealFile {
    /// Creates the seal of a new store (fails if one exists).
    pub fn create(dir: &Path, kind: Kind) -> Result<SealFile, SealError> {
        let path = dir.join(SEAL_FILE);
        let file = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_error(&path))?;
        let mut seal_file = SealFile {
            file,
            path,
            seal: Seal::new(kind),
        };
        seal_file.write(Seal::new(kind), true)?;
        // A second copy, so both slots hold a valid seal from the start.
        seal_file.write(seal_file.seal, true)?;
        crate::manifest::sync_dir(dir)?;
        Ok(seal_file)
    }

    /// Opens and reads an existing seal.
    pub fn open(dir: &Path, kind: Kind) -> Result<SealFile, SealError> {
        let path = dir.join(SEAL_FILE);
        let file = File::options()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io_error(&path))?;
        let mut raw = vec![0u8; 2 * SLOT];
        let len = read_up_to(&file, &mut raw).map_err(io_error(&path))?;
        let damaged = |problem: String| SealError::SealDamaged {
            path: path.clone(),
            problem,
        };
        if len != 2 * SLOT {
            return Err(damaged(format!("{len} bytes, expected {}", 2 * SLOT)));
        }
        let slots = [decode(&raw[..SLOT], kind), decode(&raw[SLOT..], kind)];
        let best = slots
            .iter()
            .filter_map(|s| s.as_ref().ok())
            .max_by_key(|s| s.generation)
            .copied();
        match (best, &slots) {
            (Some(seal), _) => Ok(SealFile { file, path, seal }),
            (None, [Err(SlotProblem::Version(v)), _] | [_, Err(SlotProblem::Version(v))]) => {
                Err(SealError::FormatVersion { path, found: *v })
            }
            (None, [Err(SlotProblem::Damaged(a)), Err(SlotProblem::Damaged(b))]) => {
                Err(damaged(format!("both slots unusable: {a}; {b}")))
            }
            (None, _) => Err(damaged("no usable slot".into())),
        }
    }

    /// The current seal.
    pub fn seal(&self) -> Seal {
        self.seal
    }

    /// Writes `seal` (with the next generation) into the older slot;
    /// `sync`: wait until it is on disk.
    pub fn write(&mut self, seal: Seal, sync: bool) -> Result<(), SealError> {
        let seal = Seal {
            generation: self.seal.generation.wrapping_add(1),
            ..seal
        };
        let offset = (seal.generation % 2) * SLOT as u64;
        self.file
            .write_all_at(&seal.encode(), offset)
            .map_err(io_error(&self.path))?;
        if sync {
            self.file.sync_data().map_err(io_error(&self.path))?;
        }
        self.seal = seal;
        Ok(())
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn read_up_to(file: &File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], filled as u64)? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_valid_slot_wins_and_a_torn_slot_is_survived() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut file = SealFile::create(dir.path(), Kind::Journal).expect("create");
        let seal = file.seal();
        file.write(Seal { mark: 7, ..seal }, false).expect("write");
        file.write(Seal { mark: 8, ..seal }, false).expect("write");
        let path = dir.path().join(SEAL_FILE);
        let reread = SealFile::open(dir.path(), Kind::Journal).expect("open");
        assert_eq!(reread.seal().mark, 8);
        // Tear the newest slot: the previous seal is read.
        let mut raw = std::fs::read(&path).expect("read");
        let newest = (reread.seal().generation % 2) as usize * SLOT;
        raw[newest + 21] ^= 0xff;
        std::fs::write(&path, &raw).expect("write");
        let reread = SealFile::open(dir.path(), Kind::Journal).expect("open");
        assert_eq!(reread.seal().mark, 7);
        // Both slots damaged: refused, naming the file.
        raw[(SLOT - newest) + 3] ^= 0xff;
        std::fs::write(&path, &raw).expect("write");
        let err = SealFile::open(dir.path(), Kind::Journal).expect_err("damaged");
        assert!(err.to_string().contains("damaged seal"), "{err}");
        assert!(SealFile::open(dir.path(), Kind::HubStore).is_err());
    }

    #[test]
    fn another_kind_or_version_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        SealFile::create(dir.path(), Kind::Journal).expect("create");
        let err = SealFile::open(dir.path(), Kind::HubStore).expect_err("kind");
        assert!(err.to_string().contains("another kind of store"), "{err}");
        let path = dir.path().join(SEAL_FILE);
        let mut raw = std::fs::read(&path).expect("read");
        for slot in [0, SLOT] {
            raw[slot + 8] = 9;
            let crc = crc32fast::hash(&raw[slot..slot + 60]);
            raw[slot + 60..slot + 64].copy_from_slice(&crc.to_le_bytes());
        }
        std::fs::write(&path, &raw).expect("write");
        let err = SealFile::open(dir.path(), Kind::Journal).expect_err("version");
        assert!(err.to_string().contains("format version 9"), "{err}");
    }
}
