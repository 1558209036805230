//! The external ERP's stock file: CSV with the columns `sku,location,qty`
//! (a header line with those names is optional). Parsing is total: every
//! row that cannot be used is counted with its line number and why, never
//! silently skipped. Blank lines are not rows.
//!
//! The file is read as a stream (the `csv` crate: quoted fields, CRLF and
//! a UTF-8 BOM), and what is kept is bounded by what the comparison needs:
//! the total per SKU, the (SKU, location) pairs seen (a pair twice is an
//! error), and the first [`MAX_REPORTED_ERRORS`] errors with the count of
//! all of them. A file of millions of bad lines costs a counter, not an
//! answer of hundreds of megabytes. Totals are summed with checked
//! arithmetic: a sum past `i64::MAX` is an error on the line that made it.

use serde::Serialize;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::Read;

/// Errors kept (and answered) per file; the rest are only counted.
pub const MAX_REPORTED_ERRORS: usize = 100;

/// A row that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsvLineError {
    /// Line number in the file (1-based; 0: the file itself).
    pub line: usize,
    /// What is wrong.
    pub error: String,
}

/// A parsed ERP file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErpFile {
    /// Where it came from (a path, or "upload").
    pub source: String,
    /// Usable rows.
    pub rows: usize,
    /// Quantity per SKU over all locations (usable rows only).
    pub totals: BTreeMap<String, i64>,
    /// The first [`MAX_REPORTED_ERRORS`] lines that could not be used.
    pub errors: Vec<CsvLineError>,
    /// How many lines could not be used, all told.
    pub error_lines: usize,
}

impl ErpFile {
    fn empty(source: &str) -> ErpFile {
        ErpFile {
            source: source.to_string(),
            rows: 0,
            totals: BTreeMap::new(),
            errors: Vec::new(),
            error_lines: 0,
        }
    }

    /// A file that could not be read at all.
    pub fn unreadable(source: &str, why: String) -> ErpFile {
        let mut file = ErpFile::empty(source);
        file.error(0, why);
        file
    }

    /// Quantity per SKU over all locations.
    pub fn per_sku(&self) -> &BTreeMap<String, i64> {
        &self.totals
    }

    /// Whether every line could be used.
    pub fn is_usable(&self) -> bool {
        self.error_lines == 0
    }

    /// "3 lines" or "the first 100 of 5,000,000 lines", for messages.
    pub fn error_summary(&self) -> String {
        let all = crate::log_gate::thousands(self.error_lines as u64);
        if self.errors.len() < self.error_lines {
            format!("the first {} of {all} lines", self.errors.len())
        } else {
            format!("{all} line(s)")
        }
    }

    fn error(&mut self, line: usize, error: String) {
        self.error_lines += 1;
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(CsvLineError { line, error });
        }
    }
}

/// Parses the text of an ERP stock file.
pub fn parse(source: &str, text: &str) -> ErpFile {
    parse_reader(source, text.as_bytes())
}

/// Reads and parses an ERP stock file from disk, as a stream.
pub fn read_file(path: &std::path::Path) -> ErpFile {
    let source = path.display().to_string();
    match std::fs::File::open(path) {
        Ok(file) => parse_reader(&source, std::io::BufReader::new(file)),
        Err(e) => ErpFile::unreadable(&source, format!("cannot read: {e}")),
    }
}

/// Parses an ERP stock file from any reader, one record at a time.
pub fn parse_reader<R: Read>(source: &str, reader: R) -> ErpFile {
    let mut file = ErpFile::empty(source);
    let lines = Lines {
        inner: reader,
        window: VecDeque::new(),
        base: 0,
        breaks: 0,
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(lines);
    // (sku, location) -> first line: one small key per row, no copies.
    let mut seen: HashMap<Box<str>, usize> = HashMap::new();
    let mut record = csv::ByteRecord::new();
    let mut first = true;
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                file.error(line, format!("cannot read the file: {e}"));
                break;
            }
        }
        let start = record.position().map_or(0, csv::Position::byte);
        let line = csv.get_mut().line_at(start);
        if record.iter().all(<[u8]>::is_empty) {
            continue;
        }
        if std::mem::take(&mut first) && is_header(&record) {
            continue;
        }
        if let Err(error) = take_row(&mut file, &mut seen, &record, line) {
            file.error(line, error);
        }
    }
    file
}

/// The reader under the CSV parser, counting line breaks so each record
/// gets the line it starts on (the record's own position points before any
/// blank lines the parser skipped). It keeps only the bytes read but not
/// yet passed: about one buffer, or one record.
struct Lines<R> {
    inner: R,
    window: VecDeque<u8>,
    base: u64,
    breaks: usize,
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.window.extend(&buf[..n]);
        Ok(n)
    }
}

impl<R> Lines<R> {
    /// The 1-based line of the first byte at or after `start` that is not
    /// a line break (or part of the BOM the parser skips at the start).
    fn line_at(&mut self, start: u64) -> usize {
        while self.base < start {
            let Some(byte) = self.window.pop_front() else {
                break;
            };
            self.breaks += usize::from(byte == b'\n');
            self.base += 1;
        }
        let blank = self
            .window
            .iter()
            .take_while(|&&b| matches!(b, b'\n' | b'\r' | 0xEF | 0xBB | 0xBF))
            .filter(|&&b| b == b'\n')
            .count();
        self.breaks + blank + 1
    }
}

fn is_header(record: &csv::ByteRecord) -> bool {
    let names = [&b"sku"[..], b"location", b"qty"];
    record.len() == 3
        && record
            .iter()
            .zip(names)
            .all(|(c, n)| c.eq_ignore_ascii_case(n))
}

fn take_row(
    file: &mut ErpFile,
    seen: &mut HashMap<Box<str>, usize>,
    record: &csv::ByteRecord,
    line: usize,
) -> Result<(), String> {
    let (sku, location, qty) = row_fields(record)?;
    let key: Box<str> = format!("{sku}\u{1f}{location}").into();
    if let Some(earlier) = seen.get(&key) {
        return Err(format!(
            "{sku}/{location} appears again (first on line {earlier})"
        ));
    }
    let total = file.totals.get(sku).copied().unwrap_or(0);
    let Some(total) = total.checked_add(qty) else {
        return Err(format!(
            "qty {qty} brings the total of {sku} past {}; nothing was added",
            i64::MAX
        ));
    };
    seen.insert(key, line);
    file.totals.insert(sku.to_string(), total);
    file.rows += 1;
    Ok(())
}

fn row_fields(record: &csv::ByteRecord) -> Result<(&str, &str, i64), String> {
    if record.len() != 3 {
        return Err(format!(
            "expected 3 fields (sku,location,qty), found {}",
            record.len()
        ));
    }
    let text =
        |i: usize| std::str::from_utf8(&record[i]).map_err(|_| "the line is not UTF-8".to_string());
    let (sku, location, qty) = (text(0)?, text(1)?, text(2)?);
    protocol::validate::check_id("sku", sku).map_err(|e| e.to_string())?;
    protocol::validate::check_id("location", location).map_err(|e| e.to_string())?;
    let qty: i64 = qty
        .parse()
        .map_err(|_| format!("qty {qty:?} is not a whole number"))?;
    if qty < 0 {
        return Err(format!("qty {qty} is negative"));
    }
    Ok((sku, location, qty))
}

#[cfg(test)]
#[path = "erp_tests.rs"]
mod tests;
