//! The timeliness report as CSV, for spreadsheets: one row per
//! (dimension, key, state) with the time spent in seconds, and per
//! (dimension, key) the summary counts and shares.
//!
//! ```text
//! dimension,key,kind,measure,count,mean_s,p50_s,p90_s,share
//! total,2026-W49,state,held,120,300.000,240.000,900.000,
//! total,2026-W49,summary,inside_sla,113,,,,0.9417
//! site,s1,state,routed,95,...
//! shift,night,summary,exceptions,4,,,,0.0333
//! ```
//!
//! `dimension` is `total` (key: the week), `site` or `shift`; `kind` is
//! `state` (measure: the state; count, mean, p50, p90) or `summary`
//! (measure: `orders`, `open`, `shipped`, `cancelled`, `sla_met`,
//! `sla_pending`, `sla_missed`, `sla_excluded`, `inside_sla` with its
//! share, `exceptions` with its share). Written with the `csv` crate, so
//! keys holding commas or quotes are quoted properly.

use super::{seconds, share, ReportError};
use crate::orders::report::{GroupReport, TimelinessReport};

/// The header row.
pub const HEADER: [&str; 9] = [
    "dimension",
    "key",
    "kind",
    "measure",
    "count",
    "mean_s",
    "p50_s",
    "p90_s",
    "share",
];

/// The report as CSV bytes (UTF-8, header first).
pub fn timeliness(report: &TimelinessReport) -> Result<Vec<u8>, ReportError> {
    let mut out = ::csv::Writer::from_writer(Vec::new());
    let fail = |e: ::csv::Error| ReportError::Csv(e.to_string());
    out.write_record(HEADER).map_err(fail)?;
    let week = report.week.to_string();
    let groups = std::iter::once(("total", week.as_str(), &report.total))
        .chain(
            report
                .sites
                .iter()
                .map(|k| ("site", k.key.as_str(), &k.report)),
        )
        .chain(
            report
                .shifts
                .iter()
                .map(|k| ("shift", k.key.as_str(), &k.report)),
        );
    for (dimension, key, group) in groups {
        for row in rows(group) {
            let record = [dimension, key]
                .into_iter()
                .chain(row.iter().map(String::as_str));
            out.write_record(record).map_err(fail)?;
        }
    }
    out.into_inner()
        .map_err(|e| ReportError::Csv(e.error().to_string()))
}

/// The rows of one group after `dimension,key`: its states, then its
/// summary.
fn rows(group: &GroupReport) -> Vec<[String; 7]> {
    let mut out = Vec::with_capacity(group.states.len() + 10);
    for s in &group.states {
        out.push([
            "state".into(),
            s.state.as_str().into(),
            s.count.to_string(),
            seconds(s.mean_ms),
            seconds(s.p50_ms),
            seconds(s.p90_ms),
            String::new(),
        ]);
    }
    let counts = [
        ("orders", group.orders, None),
        ("open", group.open, None),
        ("shipped", group.shipped, None),
        ("cancelled", group.cancelled, None),
        ("sla_met", group.sla_met, None),
        ("sla_pending", group.sla_pending, None),
        ("sla_missed", group.sla_missed, None),
        ("sla_excluded", group.sla_excluded, None),
        (
            "inside_sla",
            group.sla_met + group.sla_pending,
            Some(group.sla_share),
        ),
        ("exceptions", group.exceptions, Some(group.exception_share)),
    ];
    for (measure, count, part) in counts {
        out.push([
            "summary".into(),
            measure.into(),
            count.to_string(),
            String::new(),
            String::new(),
            String::new(),
            part.map(share).unwrap_or_default(),
        ]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::report::{default_shifts, timeliness as report_of, IsoWeek};

    #[test]
    fn an_empty_week_has_its_summary_rows_and_a_header() {
        let week = IsoWeek::parse("2026-W49").expect("week");
        let report = report_of([].iter(), week, 0, 0, &default_shifts());
        let text = String::from_utf8(timeliness(&report).expect("csv")).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], HEADER.join(","));
        assert!(lines.contains(&"total,2026-W49,summary,orders,0,,,,"));
        assert!(lines.contains(&"total,2026-W49,summary,inside_sla,0,,,,"));
        assert!(lines.contains(&"shift,night,summary,exceptions,0,,,,"));
        assert!(lines.iter().all(|l| l.split(',').count() == 9), "{text}");
    }
}
