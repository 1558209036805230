//! One archive segment: a file holding event log entries `first..=last`,
//! written once and never changed.
//!
//! ```text
//! "WMSLOGA1"                                   8 bytes
//! entries:     [u32 LE length][frame of postcard (id, EventRecord)] ...
//! checkpoint:  [u32 LE length][frame of postcard Checkpoint]
//! streams:     [u32 LE length][frame of postcard Vec<(device, epoch, seq)>]
//! trailer:     checkpoint offset u64 LE, streams offset u64 LE,
//!              first u64 LE, last u64 LE, "WMSLOGZ1"          40 bytes
//! ```
//!
//! Every body is a [`storeseal::frame`] (format byte and CRC32), so a
//! flipped bit is named with the file, never read as other movements. The
//! checkpoint is the stock the whole log replays to through `last`, and the
//! streams section each (device, epoch) stream's last archived seq through
//! `last` (cumulative, so a stream's segment is found by binary search).

use crate::events::Replay;
use crate::pool::{DeviceEpoch, EventRecord, StockKey};
use crate::store::codec::STORAGE_VERSION;
use crate::store::StoreError;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const HEAD: &[u8; 8] = b"WMSLOGA1";
const TAIL: &[u8; 8] = b"WMSLOGZ1";
const TRAILER: u64 = 40;
/// No single body in a segment is larger (a checkpoint of ~10 million
/// stock rows); a longer length is damage, not an allocation to make.
const MAX_BODY: u32 = 1 << 30;

/// The stock the log replays to through `through`, with the counts the
/// start-up check reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The last log entry replayed.
    pub through: u64,
    /// Movements in entries `1..=through`.
    pub movements: u64,
    /// Stock per key (zeros included: the replay's own map).
    pub stock: Vec<(StockKey, i64)>,
}

impl Checkpoint {
    /// The checkpoint of a replay through entry `through`.
    pub fn of(through: u64, replay: Replay) -> Checkpoint {
        let mut stock: Vec<(StockKey, i64)> = replay.stock.into_iter().collect();
        stock.sort();
        Checkpoint {
            through,
            movements: replay.movements,
            stock,
        }
    }

    /// The replay to carry on from here.
    pub fn into_replay(self) -> Replay {
        Replay {
            stock: self.stock.into_iter().collect(),
            movements: self.movements,
        }
    }
}

/// Each stream's last archived seq.
pub type Streams = HashMap<DeviceEpoch, u64>;

/// A segment's place in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentName {
    /// Its first entry.
    pub first: u64,
    /// Its last entry.
    pub last: u64,
}

impl SegmentName {
    /// The file name: both ids, zero-padded, so names sort by id.
    pub fn file_name(&self) -> String {
        format!("{:020}-{:020}.seg", self.first, self.last)
    }

    /// The ids of a segment's file name, or None for any other file.
    pub fn parse(name: &str) -> Option<SegmentName> {
        let stem = name.strip_suffix(".seg")?;
        let (first, last) = stem.split_once('-')?;
        let ok = |s: &str| s.len() == 20 && s.bytes().all(|b| b.is_ascii_digit());
        if !ok(first) || !ok(last) {
            return None;
        }
        Some(SegmentName {
            first: first.parse().ok()?,
            last: last.parse().ok()?,
        })
    }
}

/// The damage of a segment file, named with its path.
pub(crate) fn damaged(path: &Path, problem: impl std::fmt::Display) -> StoreError {
    StoreError::Damaged {
        key: path.display().to_string(),
        problem: problem.to_string(),
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Archive {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes a segment: entries in id order, then its checkpoint and streams.
pub(crate) struct SegmentWriter {
    path: PathBuf,
    out: BufWriter<File>,
    at: u64,
    name: SegmentName,
    next: u64,
}

impl SegmentWriter {
    /// Starts `path` (a temporary name; [`SegmentWriter::finish`] syncs it).
    pub fn create(path: PathBuf, name: SegmentName) -> Result<SegmentWriter, StoreError> {
        let file = File::create(&path).map_err(io(&path))?;
        let mut w = SegmentWriter {
            out: BufWriter::with_capacity(1 << 20, file),
            at: 0,
            next: name.first,
            name,
            path,
        };
        w.put(HEAD)?;
        Ok(w)
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.out.write_all(bytes).map_err(io(&self.path))?;
        self.at += bytes.len() as u64;
        Ok(())
    }

    fn body<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<u64, StoreError> {
        let at = self.at;
        let body = postcard::to_allocvec(value).map_err(|e| damaged(&self.path, e))?;
        let framed = storeseal::frame(STORAGE_VERSION, &body);
        let len = u32::try_from(framed.len())
            .ok()
            .filter(|&n| n <= MAX_BODY)
            .ok_or_else(|| damaged(&self.path, "a body over 1 GiB"))?;
        self.put(&len.to_le_bytes())?;
        self.put(&framed)?;
        Ok(at)
    }

    /// Adds the next entry (ids must follow each other from `first`).
    pub fn entry(&mut self, id: u64, event: &EventRecord) -> Result<(), StoreError> {
        if id != self.next || id > self.name.last {
            return Err(StoreError::Inconsistent(format!(
                "archiving entry {id} where entry {} was due",
                self.next
            )));
        }
        self.next += 1;
        self.body(&(id, event)).map(drop)
    }

    /// Ends the segment with its checkpoint and streams, and makes the
    /// file durable.
    pub fn finish(mut self, checkpoint: &Checkpoint, streams: &Streams) -> Result<(), StoreError> {
        if self.next != self.name.last + 1 {
            return Err(StoreError::Inconsistent(format!(
                "segment {} ends at entry {}",
                self.name.file_name(),
                self.next - 1
            )));
        }
        let checkpoint_at = self.body(checkpoint)?;
        let mut list: Vec<(&str, u64, u64)> = streams
            .iter()
            .map(|(s, seq)| (s.device.as_str(), s.epoch, *seq))
            .collect();
        list.sort();
        let streams_at = self.body(&list)?;
        for n in [checkpoint_at, streams_at, self.name.first, self.name.last] {
            self.put(&n.to_le_bytes())?;
        }
        self.put(TAIL)?;
        let file = self
            .out
            .into_inner()
            .map_err(|e| io(&self.path)(e.into_error()))?;
        file.sync_all().map_err(io(&self.path))
    }
}

/// A finished segment, open for reading.
pub(crate) struct Segment {
    path: PathBuf,
    file: BufReader<File>,
    pub(crate) name: SegmentName,
    checkpoint_at: u64,
    streams_at: u64,
}

impl Segment {
    /// Opens `path` and checks its head and trailer against `name`.
    pub fn open(path: PathBuf, name: SegmentName) -> Result<Segment, StoreError> {
        let mut file = File::open(&path).map_err(io(&path))?;
        let len = file.metadata().map_err(io(&path))?.len();
        let mut head = [0u8; 8];
        let mut trailer = [0u8; TRAILER as usize];
        let short = len < 8 + TRAILER;
        if short
            || file.read_exact(&mut head).is_err()
            || file.seek(SeekFrom::End(-(TRAILER as i64))).is_err()
            || file.read_exact(&mut trailer).is_err()
        {
            return Err(damaged(&path, "not a whole archive segment"));
        }
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&trailer[i * 8..i * 8 + 8]);
            u64::from_le_bytes(b)
        };
        let (checkpoint_at, streams_at) = (word(0), word(1));
        let ids = SegmentName {
            first: word(2),
            last: word(3),
        };
        if &head != HEAD || &trailer[32..] != TAIL {
            return Err(damaged(&path, "not an archive segment (head or trailer)"));
        }
        if ids != name || checkpoint_at >= streams_at || streams_at >= len - TRAILER {
            return Err(damaged(&path, "its trailer contradicts its name or length"));
        }
        Ok(Segment {
            file: BufReader::with_capacity(1 << 20, file),
            path,
            name,
            checkpoint_at,
            streams_at,
        })
    }

    fn body_at<T: DeserializeOwned>(&mut self, at: u64) -> Result<T, StoreError> {
        self.file
            .seek(SeekFrom::Start(at))
            .map_err(io(&self.path))?;
        self.next_body()
    }

    fn next_body<T: DeserializeOwned>(&mut self) -> Result<T, StoreError> {
        let mut len = [0u8; 4];
        self.file.read_exact(&mut len).map_err(io(&self.path))?;
        let len = u32::from_le_bytes(len);
        if len > MAX_BODY {
            return Err(damaged(&self.path, format!("a body of {len} bytes")));
        }
        let mut framed = vec![0u8; len as usize];
        self.file.read_exact(&mut framed).map_err(io(&self.path))?;
        let body =
            storeseal::unframe(STORAGE_VERSION, &framed).map_err(|e| damaged(&self.path, e))?;
        postcard::from_bytes(body).map_err(|e| damaged(&self.path, e))
    }

    /// The stock the log replays to through this segment's last entry.
    pub fn checkpoint(&mut self) -> Result<Checkpoint, StoreError> {
        let checkpoint: Checkpoint = self.body_at(self.checkpoint_at)?;
        if checkpoint.through != self.name.last {
            return Err(damaged(&self.path, "its checkpoint is of another entry"));
        }
        Ok(checkpoint)
    }

    /// Each stream's last archived seq through this segment.
    pub fn streams(&mut self) -> Result<Streams, StoreError> {
        let list: Vec<(String, u64, u64)> = self.body_at(self.streams_at)?;
        Ok(list
            .into_iter()
            .map(|(device, epoch, seq)| (DeviceEpoch { device, epoch }, seq))
            .collect())
    }

    /// Positions the reader at the first entry.
    pub fn rewind(&mut self) -> Result<(), StoreError> {
        self.file.seek(SeekFrom::Start(8)).map_err(io(&self.path))?;
        Ok(())
    }

    /// The entry after the last one read (after [`Segment::rewind`]), or
    /// None past the last; ids are checked to follow each other.
    pub fn next_entry(&mut self, expected: u64) -> Result<Option<EventRecord>, StoreError> {
        if expected > self.name.last {
            return Ok(None);
        }
        let (id, event): (u64, EventRecord) = self.next_body()?;
        if id != expected {
            return Err(damaged(
                &self.path,
                format!("holds entry {id} where entry {expected} was due"),
            ));
        }
        Ok(Some(event))
    }
}

#[cfg(test)]
#[path = "segment_tests.rs"]
mod tests;
