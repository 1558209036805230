//! The external ERP's stock file: CSV with the columns `sku,location,qty`
//! (a header line with those names is optional). Parsing is total: every
//! row that cannot be used is reported with its line number and why, never
//! silently skipped. Blank lines are not rows.

use serde::Serialize;
use std::collections::HashMap;

/// One usable row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErpRow {
    /// Line number in the file (1-based).
    pub line: usize,
    /// The SKU.
    pub sku: String,
    /// The location.
    pub location: String,
    /// Quantity the ERP books there.
    pub qty: i64,
}

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
    pub rows: Vec<ErpRow>,
    /// Rows that could not be used.
    pub errors: Vec<CsvLineError>,
}

impl ErpFile {
    /// A file that could not be read at all.
    pub fn unreadable(source: &str, why: String) -> ErpFile {
        ErpFile {
            source: source.to_string(),
            rows: Vec::new(),
            errors: vec![CsvLineError {
                line: 0,
                error: why,
            }],
        }
    }

    /// Quantity per SKU over all locations.
    pub fn per_sku(&self) -> HashMap<&str, i64> {
        let mut out: HashMap<&str, i64> = HashMap::new();
        for row in &self.rows {
            *out.entry(row.sku.as_str()).or_insert(0) += row.qty;
        }
        out
    }
}

/// Parses the text of an ERP stock file.
pub fn parse(source: &str, text: &str) -> ErpFile {
    let mut file = ErpFile {
        source: source.to_string(),
        rows: Vec::new(),
        errors: Vec::new(),
    };
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut first = true;
    for (index, raw) in text.split('\n').enumerate() {
        let line = index + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.trim().is_empty() {
            continue;
        }
        if std::mem::take(&mut first) && is_header(raw) {
            continue;
        }
        match parse_row(raw, line) {
            Ok(row) => {
                let key = (row.sku.clone(), row.location.clone());
                if let Some(earlier) = seen.insert(key, line) {
                    file.errors.push(CsvLineError {
                        line,
                        error: format!(
                            "{}/{} appears again (first on line {earlier})",
                            row.sku, row.location
                        ),
                    });
                } else {
                    file.rows.push(row);
                }
            }
            Err(error) => file.errors.push(CsvLineError { line, error }),
        }
    }
    file
}

fn is_header(raw: &str) -> bool {
    let cells: Vec<String> = raw
        .split(',')
        .map(|c| unquote(c.trim()).to_ascii_lowercase())
        .collect();
    cells == ["sku", "location", "qty"]
}

fn unquote(cell: &str) -> &str {
    cell.strip_prefix('"')
        .and_then(|c| c.strip_suffix('"'))
        .unwrap_or(cell)
}

fn parse_row(raw: &str, line: usize) -> Result<ErpRow, String> {
    let cells: Vec<&str> = raw.split(',').map(|c| unquote(c.trim())).collect();
    let [sku, location, qty] = cells[..] else {
        return Err(format!(
            "expected 3 fields (sku,location,qty), found {}",
            cells.len()
        ));
    };
    protocol::validate::check_id("sku", sku).map_err(|e| e.to_string())?;
    protocol::validate::check_id("location", location).map_err(|e| e.to_string())?;
    let qty: i64 = qty
        .parse()
        .map_err(|_| format!("qty {qty:?} is not a whole number"))?;
    if qty < 0 {
        return Err(format!("qty {qty} is negative"));
    }
    Ok(ErpRow {
        line,
        sku: sku.to_string(),
        location: location.to_string(),
        qty,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_errors_by_line() {
        let text = "sku,location,qty\r\nA,L1,5\n\nB,L1,x\nC,L1\n\"D\",\"L2\",7\nA,L1,3\nE,L 1,2\nF,L1,-1\n";
        let file = parse("upload", text);
        let rows: Vec<(usize, &str, i64)> = file
            .rows
            .iter()
            .map(|r| (r.line, r.sku.as_str(), r.qty))
            .collect();
        assert_eq!(rows, [(2, "A", 5), (6, "D", 7)]);
        let errors: Vec<(usize, &str)> = file
            .errors
            .iter()
            .map(|e| (e.line, e.error.as_str()))
            .collect();
        let want = [
            (4, "not a whole number"),
            (5, "expected 3 fields"),
            (7, "first on line 2"),
            (8, "location has a space"),
            (9, "negative"),
        ];
        assert_eq!(errors.len(), want.len(), "{errors:?}");
        for ((line, error), (wline, wtext)) in errors.iter().zip(want) {
            assert_eq!(*line, wline);
            assert!(error.contains(wtext), "line {line}: {error}");
        }
    }
}
