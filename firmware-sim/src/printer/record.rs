//! The record file of printed labels: one JSON line per label,
//! `{"n":1,"zpl":"^XA...^XZ","ms":1700000000000}`, written whole and
//! flushed per line, so a test in another process can tail it while the
//! fake printer runs. The file is appended to, never truncated.

use super::model::PrintedLabel;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// An open record file.
#[derive(Debug)]
pub struct RecordFile {
    path: PathBuf,
    file: File,
}

impl RecordFile {
    /// Opens `path` for appending, creating it if missing.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one label as a line (ZPL that is not UTF-8 is written lossily).
    pub fn append(&mut self, label: &PrintedLabel) -> io::Result<()> {
        let mut line = record_line(label);
        line.push('\n');
        // One write of the whole line: a reader never sees half a record
        // unless it reads mid-syscall, and then the line has no newline yet.
        self.file.write_all(line.as_bytes())?;
        self.file.flush()
    }
}

/// The JSON line of one label, without the newline.
pub fn record_line(label: &PrintedLabel) -> String {
    // Built by hand to keep the documented key order; the string is
    // escaped by serde_json.
    let zpl = serde_json::Value::String(String::from_utf8_lossy(&label.zpl).into_owned());
    format!(r#"{{"n":{},"zpl":{zpl},"ms":{}}}"#, label.n, label.ms)
}

#[cfg(test)]
mod tests {
    use super::{record_line, RecordFile};
    use crate::printer::model::PrintedLabel;

    #[test]
    fn lines_are_json_appended_per_label() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("printed.jsonl");
        let label = |n| PrintedLabel {
            n,
            zpl: b"^XA^FD\"quoted\"^FS^XZ".to_vec(),
            ms: 7,
        };
        assert_eq!(
            record_line(&label(1)),
            r#"{"n":1,"zpl":"^XA^FD\"quoted\"^FS^XZ","ms":7}"#
        );
        for n in 1..=2 {
            let mut file = RecordFile::open(&path).expect("open");
            file.append(&label(n)).expect("append");
        }
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 2);
        assert!(text.ends_with("\"ms\":7}\n"));
        assert!(text.starts_with("{\"n\":1,"));
    }
}
