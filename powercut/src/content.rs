//! One regular file's bytes, as the application sees them and as they would
//! be found on the platter after a power cut.
//!
//! Why it is its own type: the durability rule for content (everything since
//! the last `fsync`/`fdatasync` is volatile) must be cheap, because sled
//! fsyncs a multi-megabyte data file hundreds of times a second in tests.
//! So besides the current bytes (`data`) and the durable bytes (`durable`)
//! it keeps a log of the writes and size changes made since the last sync;
//! a sync replays only that log onto `durable`, costing what was written
//! since, not the size of the file. When the log grows past the size of the
//! file it is dropped and the next sync copies the whole file instead, so
//! memory stays bounded at about twice the file.

/// Largest size a file may reach (writes or truncates beyond it get `EFBIG`);
/// everything lives in the test process's memory.
pub(crate) const MAX_FILE_SIZE: u64 = 1 << 32;

/// A change made since the last sync, replayed onto the durable bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PendingOp {
    /// `bytes` written at `offset` (the file grew with zeros if needed).
    Write { offset: usize, bytes: Vec<u8> },
    /// The file was truncated or extended to this length.
    SetLen(usize),
}

/// Current and durable content of one regular file.
#[derive(Debug, Default, Clone)]
pub(crate) struct FileContent {
    data: Vec<u8>,
    durable: Vec<u8>,
    log: Vec<PendingOp>,
    log_bytes: usize,
    /// The log was abandoned as too large: the next sync copies `data`.
    overflowed: bool,
    /// Something changed since the last sync.
    dirty: bool,
    /// Bytes written since the last sync (overwrites counted each time).
    pending_written: u64,
}

/// Why a content change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooLarge;

/// What reverting one file to its durable content threw away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Dropped {
    /// The file had changed since its last sync.
    pub(crate) rolled_back: bool,
    /// Bytes written since the last sync.
    pub(crate) bytes: u64,
}

fn checked_end(offset: u64, len: usize) -> Result<(usize, usize), TooLarge> {
    let end = offset.checked_add(len as u64).ok_or(TooLarge)?;
    if end > MAX_FILE_SIZE {
        return Err(TooLarge);
    }
    let start = usize::try_from(offset).map_err(|_| TooLarge)?;
    let end = usize::try_from(end).map_err(|_| TooLarge)?;
    Ok((start, end))
}

fn write_into(buf: &mut Vec<u8>, start: usize, bytes: &[u8]) {
    let end = start + bytes.len();
    if buf.len() < end {
        buf.resize(end, 0);
    }
    buf[start..end].copy_from_slice(bytes);
}

impl FileContent {
    /// Current length in bytes.
    pub(crate) fn len(&self) -> u64 {
        self.data.len() as u64
    }

    /// Durable bytes (what a cut would leave).
    #[cfg(test)]
    pub(crate) fn durable_bytes(&self) -> &[u8] {
        &self.durable
    }

    /// Current bytes.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.data
    }

    /// Whether anything changed since the last sync.
    #[cfg(test)]
    pub(crate) fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Up to `size` bytes from `offset` (empty past the end).
    pub(crate) fn read(&self, offset: u64, size: usize) -> &[u8] {
        let Ok(start) = usize::try_from(offset) else {
            return &[];
        };
        if start >= self.data.len() {
            return &[];
        }
        let end = start.saturating_add(size).min(self.data.len());
        &self.data[start..end]
    }

    /// Writes `bytes` at `offset`, growing the file with zeros if needed.
    pub(crate) fn write(&mut self, offset: u64, bytes: &[u8]) -> Result<(), TooLarge> {
        let (start, _) = checked_end(offset, bytes.len())?;
        write_into(&mut self.data, start, bytes);
        self.dirty = true;
        self.pending_written += bytes.len() as u64;
        if self.overflowed {
            return Ok(());
        }
        self.log_bytes += bytes.len();
        match self.log.last_mut() {
            Some(PendingOp::Write {
                offset,
                bytes: last,
            }) if *offset + last.len() == start => {
                last.extend_from_slice(bytes);
            }
            _ => self.log.push(PendingOp::Write {
                offset: start,
                bytes: bytes.to_vec(),
            }),
        }
        self.check_log_size();
        Ok(())
    }

    /// Truncates or extends (with zeros) the file to `len` bytes.
    pub(crate) fn set_len(&mut self, len: u64) -> Result<(), TooLarge> {
        let (_, len) = checked_end(len, 0)?;
        self.data.resize(len, 0);
        self.dirty = true;
        if !self.overflowed {
            self.log.push(PendingOp::SetLen(len));
            self.check_log_size();
        }
        Ok(())
    }

    fn check_log_size(&mut self) {
        if self.log_bytes > self.data.len().max(1 << 16) || self.log.len() > 1 << 16 {
            self.overflowed = true;
            self.log = Vec::new();
            self.log_bytes = 0;
        }
    }

    /// Makes the current content durable (`fsync`/`fdatasync`).
    pub(crate) fn sync(&mut self) {
        if !self.dirty {
            return;
        }
        if self.overflowed {
            self.durable.clear();
            self.durable.extend_from_slice(&self.data);
        } else {
            for op in self.log.drain(..) {
                match op {
                    PendingOp::Write { offset, bytes } => {
                        write_into(&mut self.durable, offset, &bytes)
                    }
                    PendingOp::SetLen(len) => self.durable.resize(len, 0),
                }
            }
        }
        self.clear_pending();
    }

    /// Throws away everything since the last sync (the power cut).
    pub(crate) fn revert(&mut self) -> Dropped {
        if !self.dirty {
            return Dropped::default();
        }
        let dropped = Dropped {
            rolled_back: true,
            bytes: self.pending_written,
        };
        self.data.clear();
        self.data.extend_from_slice(&self.durable);
        self.clear_pending();
        dropped
    }

    fn clear_pending(&mut self) {
        self.log.clear();
        self.log_bytes = 0;
        self.overflowed = false;
        self.dirty = false;
        self.pending_written = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_replays_writes_and_truncates() {
        let mut c = FileContent::default();
        c.write(0, b"hello world").unwrap();
        c.write(20, b"x").unwrap();
        c.set_len(5).unwrap();
        c.write(5, b"!!").unwrap();
        c.sync();
        assert_eq!(c.durable_bytes(), b"hello!!");
        assert!(!c.is_dirty());
    }

    #[test]
    fn revert_drops_only_unsynced_bytes() {
        let mut c = FileContent::default();
        c.write(0, b"abc").unwrap();
        c.sync();
        c.write(3, b"def").unwrap();
        c.write(0, b"X").unwrap();
        let d = c.revert();
        assert_eq!(
            d,
            Dropped {
                rolled_back: true,
                bytes: 4
            }
        );
        assert_eq!(c.bytes(), b"abc");
        assert_eq!(c.revert(), Dropped::default());
    }

    #[test]
    fn overflowed_log_still_syncs_everything() {
        let mut c = FileContent::default();
        for i in 0..40_000u64 {
            c.write((i * 7) % 1000, b"0123456789").unwrap();
        }
        assert!(c.overflowed);
        c.sync();
        assert_eq!(c.durable_bytes(), c.bytes());
        c.write(0, b"zz").unwrap();
        assert!(!c.overflowed);
        c.revert();
        assert_eq!(c.durable_bytes(), c.bytes());
    }

    #[test]
    fn huge_offsets_are_refused() {
        let mut c = FileContent::default();
        assert_eq!(c.write(u64::MAX, b"x"), Err(TooLarge));
        assert_eq!(c.set_len(MAX_FILE_SIZE + 1), Err(TooLarge));
        assert_eq!(c.read(u64::MAX, 10), b"");
        assert_eq!(c.len(), 0);
    }
}
