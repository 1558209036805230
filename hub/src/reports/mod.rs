//! Reports rendered by the hub for people and spreadsheets: the weekly
//! order-timeliness report (`hub_core::orders::report`) as JSON, as CSV
//! ([`csv`]) and as a self-contained HTML page with an inline SVG chart
//! ([`html`]). The figures are computed in the pure core; this module only
//! writes them out, so every format shows the same numbers.

pub mod csv;
pub mod html;

use crate::orders::report::TimelinessReport;

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The CSV writer failed (it writes to memory, so only on a bug).
    #[error("writing the CSV report: {0}")]
    Csv(String),
    /// The JSON serializer failed (only on a bug).
    #[error("writing the JSON report: {0}")]
    Json(#[from] serde_json::Error),
}

/// The formats a report comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// The report as JSON (the default).
    #[default]
    Json,
    /// One row per (dimension, key, measure).
    Csv,
    /// A page with tables and a chart.
    Html,
}

impl Format {
    /// Every format's name, as `?format=` and `--format` take it.
    pub const NAMES: [&'static str; 3] = ["json", "csv", "html"];

    /// Parses a format name (`json`, `csv`, `html`).
    pub fn parse(word: &str) -> Option<Format> {
        match word {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "html" => Some(Format::Html),
            _ => None,
        }
    }

    /// The answer's `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
        }
    }

    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Html => "html",
        }
    }
}

/// A report written out: its bytes and how to serve them.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// A file name for it (`timeliness-2026-W49.csv`).
    pub file_name: String,
    /// The bytes.
    pub body: Vec<u8>,
}

/// Writes the timeliness report in `format`.
pub fn render_timeliness(
    report: &TimelinessReport,
    format: Format,
) -> Result<Rendered, ReportError> {
    let body = match format {
        Format::Json => serde_json::to_vec(report)?,
        Format::Csv => csv::timeliness(report)?,
        Format::Html => html::timeliness(report).into_bytes(),
    };
    Ok(Rendered {
        content_type: format.content_type(),
        file_name: format!("timeliness-{}.{}", report.week, format.extension()),
        body,
    })
}

/// Milliseconds as seconds with three decimals (`90.250`).
pub fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// A share 0 to 1 with four decimals, or empty for none.
pub fn share(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.4}")).unwrap_or_default()
}

/// A duration for people: `45s`, `12m 5s`, `3h 20m`, `2d 4h`.
pub fn duration_text(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        3600..86_400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_one_way() {
        assert_eq!(seconds(90_250), "90.250");
        assert_eq!(seconds(5), "0.005");
        assert_eq!(share(Some(0.5)), "0.5000");
        assert_eq!(share(None), "");
        let cases = [
            (999, "0s"),
            (45_000, "45s"),
            (725_000, "12m 5s"),
            (12_000_000, "3h 20m"),
            (187_200_000, "2d 4h"),
        ];
        for (ms, want) in cases {
            assert_eq!(duration_text(ms), want);
        }
        for name in Format::NAMES {
            assert_eq!(Format::parse(name).map(Format::extension), Some(name));
        }
        assert_eq!(Format::parse("xml"), None);
    }
}
