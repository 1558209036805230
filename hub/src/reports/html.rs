//! The timeliness report as one self-contained HTML page: inline CSS (light
//! and dark, by `prefers-color-scheme`), inline SVG bar charts (mean time
//! per state; the SLA and exception shares) and tables. No script, no
//! font, no image, no link to anything outside the page: it prints, mails
//! and opens offline, and the hub serves it under a CSP that forbids
//! fetching anything. Every text that came from data is escaped.

use super::duration_text;
use crate::orders::report::{civil_from_days, GroupReport, Keyed, TimelinessReport, DAY_MS};
use std::fmt::Write;

const STYLE: &str = "
:root{--bg:#ffffff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bar:#0969da;--good:#1a7f37;--bad:#cf222e}
@media (prefers-color-scheme: dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--bar:#4493f8;--good:#3fb950;--bad:#f85149}}
html{color-scheme:light dark}
body{background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem;max-width:60rem}
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}
.muted{color:var(--muted)}
table{border-collapse:collapse;margin:.3rem 0}
th,td{border-bottom:1px solid var(--line);padding:.25rem .7rem;text-align:right;font-variant-numeric:tabular-nums}
th:first-child,td:first-child{text-align:left}
th{color:var(--muted);font-weight:600}
svg text{fill:var(--fg);font-size:12px}
svg .bar{fill:var(--bar)}svg .good{fill:var(--good)}svg .bad{fill:var(--bad)}svg .axis{stroke:var(--line)}
";

/// The page.
pub fn timeliness(report: &TimelinessReport) -> String {
    let title = format!("Order timeliness, week {}", report.week);
    let mut page = String::with_capacity(16 << 10);
    page.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    page.push_str("<meta name=\"color-scheme\" content=\"light dark\">");
    let _ = write!(
        page,
        "<title>{}</title><style>{STYLE}</style></head><body>",
        escape(&title)
    );
    let _ = write!(
        page,
        "<h1>{}</h1><p class=\"muted\">{}</p>",
        escape(&title),
        escape(&period(report))
    );
    page.push_str(&summary_table(&report.total));
    page.push_str("<h2>Mean time per state</h2>");
    page.push_str(&state_chart(&report.total));
    page.push_str("<h2>Service level and exceptions</h2>");
    page.push_str(&share_chart(&report.total));
    page.push_str("<h2>Time per state</h2>");
    page.push_str(&state_table(
        "All orders",
        std::slice::from_ref(&keyed_total(report)),
    ));
    page.push_str("<h2>Per site</h2>");
    page.push_str(&group_table("Site", &report.sites));
    page.push_str(&state_table("Site", &report.sites));
    page.push_str("<h2>Per shift (by the local time the order was received)</h2>");
    page.push_str(&group_table("Shift", &report.shifts));
    page.push_str(&state_table("Shift", &report.shifts));
    page.push_str(DEFINITIONS);
    page.push_str("</body></html>\n");
    page
}

const DEFINITIONS: &str = "<h2>Definitions</h2><ul class=\"muted\">\
<li>Orders: received in the week, Monday 00:00 to Monday 00:00 site time.</li>\
<li>Time in a state: per order, from entering the state to entering the next (the current state up to the cut-off); shipped and cancelled are ends and have no time. p50 and p90 are nearest-rank.</li>\
<li>Inside SLA: shipped by its due time, or not shipped yet and not yet due at the cut-off. Cancelled orders are not judged.</li>\
<li>Exceptions: orders that were ever in the exception state.</li></ul>";

/// Text, escaped for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `YYYY-MM-DD` of days since 1970-01-01.
fn date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// UTC `YYYY-MM-DD HH:MM` of ms since the epoch.
fn utc(ms: u64) -> String {
    let ms = ms as i64;
    let minutes = ms.rem_euclid(DAY_MS) / 60_000;
    format!(
        "{} {:02}:{:02}",
        date(ms.div_euclid(DAY_MS)),
        minutes / 60,
        minutes % 60
    )
}

fn period(report: &TimelinessReport) -> String {
    let monday = report.week.monday_day();
    let offset = report.offset_minutes;
    let sign = if offset < 0 { '-' } else { '+' };
    let (h, m) = (offset.unsigned_abs() / 60, offset.unsigned_abs() % 60);
    format!(
        "Orders received from Monday {} 00:00 to Monday {} 00:00 site time (UTC{sign}{h:02}:{m:02}); figures as of {} UTC.",
        date(monday),
        date(monday + 7),
        utc(report.cutoff_ms)
    )
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "–".to_string(), |s| format!("{:.1} %", s * 100.0))
}

fn keyed_total(report: &TimelinessReport) -> Keyed {
    Keyed {
        key: "all".into(),
        span: String::new(),
        report: report.total.clone(),
    }
}

fn summary_table(g: &GroupReport) -> String {
    let mut t = String::from("<table><tr><th>Orders</th><th>Open</th><th>Shipped</th><th>Cancelled</th><th>Inside SLA</th><th>Missed SLA</th><th>Exceptions</th></tr>");
    let _ = write!(
        t,
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} ({})</td><td>{}</td><td>{} ({})</td></tr></table>",
        g.orders,
        g.open,
        g.shipped,
        g.cancelled,
        g.sla_met + g.sla_pending,
        percent(g.sla_share),
        g.sla_missed,
        g.exceptions,
        percent(g.exception_share)
    );
    t
}

fn group_table(what: &str, groups: &[Keyed]) -> String {
    if groups.is_empty() {
        return "<p class=\"muted\">No orders.</p>".into();
    }
    let mut t = format!("<table><tr><th>{}</th><th>Orders</th><th>Open</th><th>Inside SLA</th><th>Exceptions</th></tr>", escape(what));
    for k in groups {
        let name = if k.span.is_empty() {
            k.key.clone()
        } else {
            format!("{} ({})", k.key, k.span)
        };
        let g = &k.report;
        let _ = write!(
            t,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&name),
            g.orders,
            g.open,
            percent(g.sla_share),
            percent(g.exception_share)
        );
    }
    t.push_str("</table>");
    t
}

fn state_table(what: &str, groups: &[Keyed]) -> String {
    let mut t = format!("<table><tr><th>{}</th><th>State</th><th>Orders</th><th>Mean</th><th>p50</th><th>p90</th></tr>", escape(what));
    let mut rows = 0;
    for k in groups {
        for s in &k.report.states {
            rows += 1;
            let _ = write!(
                t,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&k.key),
                s.state.as_str(),
                s.count,
                duration_text(s.mean_ms),
                duration_text(s.p50_ms),
                duration_text(s.p90_ms)
            );
        }
    }
    if rows == 0 {
        return String::new();
    }
    t.push_str("</table>");
    t
}

/// Chart geometry: label column, bar area, row height.
const LABEL_W: u64 = 110;
const BAR_W: u64 = 420;
const ROW_H: u64 = 26;

/// Horizontal bars, one per (label, value, class, text).
fn bars(caption: &str, rows: &[(String, u64, &str, String)], max: u64) -> String {
    let height = ROW_H * rows.len() as u64 + 10;
    let width = LABEL_W + BAR_W + 110;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"{0}\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\"><title>{0}</title>",
        escape(caption)
    );
    let max = max.max(1);
    for (i, (label, value, class, text)) in rows.iter().enumerate() {
        let y = 5 + ROW_H * i as u64;
        let w = (value.saturating_mul(BAR_W) / max).max(u64::from(*value > 0));
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect class=\"{class}\" x=\"{LABEL_W}\" y=\"{}\" width=\"{w}\" height=\"{}\" rx=\"2\"></rect><text x=\"{}\" y=\"{}\">{}</text>",
            LABEL_W - 8,
            y + 16,
            escape(label),
            y + 3,
            ROW_H - 8,
            LABEL_W + w + 6,
            y + 16,
            escape(text)
        );
    }
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{LABEL_W}\" y1=\"0\" x2=\"{LABEL_W}\" y2=\"{height}\"></line></svg>"
    );
    svg
}

fn state_chart(g: &GroupReport) -> String {
    if g.states.is_empty() {
        return "<p class=\"muted\">No orders were received this week.</p>".into();
    }
    let rows: Vec<_> = g
        .states
        .iter()
        .map(|s| {
            let text = format!("{} ({} orders)", duration_text(s.mean_ms), s.count);
            (s.state.as_str().to_string(), s.mean_ms, "bar", text)
        })
        .collect();
    let max = g.states.iter().map(|s| s.mean_ms).max().unwrap_or(1);
    bars("Mean time per state", &rows, max)
}

fn share_chart(g: &GroupReport) -> String {
    let per_mille =
        |s: Option<f64>| s.map_or(0, |v| (v * 1000.0).round().clamp(0.0, 1000.0) as u64);
    let rows = [
        (
            "inside SLA".to_string(),
            per_mille(g.sla_share),
            "good",
            percent(g.sla_share),
        ),
        (
            "exceptions".to_string(),
            per_mille(g.exception_share),
            "bad",
            percent(g.exception_share),
        ),
    ];
    bars(
        "Share of orders inside SLA, and share that needed an operator",
        &rows,
        1000,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::report::{timeliness as report_of, IsoWeek, Shift};

    #[test]
    fn the_page_is_self_contained_and_escaped() {
        let week = IsoWeek::parse("2026-W49").expect("week");
        let shifts = [Shift::new("<b>&\"late\"", 0, 0).expect("shift")];
        let report = report_of([].iter(), week, -90, 1_800_000_000_000, &shifts);
        let page = timeliness(&report);
        assert!(page.contains("<svg"), "a chart");
        assert!(
            page.contains("&lt;b&gt;&amp;&quot;late&quot;"),
            "names escaped"
        );
        assert!(!page.contains("<b>"), "nothing from data as markup");
        for outside in [
            "http://", "https://", "<script", "src=", "href=", "@import", "url(",
        ] {
            assert!(!page.contains(outside), "{outside}");
        }
        assert!(page.contains("prefers-color-scheme: dark"));
        assert!(page
            .contains("Monday 2026-11-30 00:00 to Monday 2026-12-07 00:00 site time (UTC-01:30)"));
        assert!(page.contains("2027-01-15 08:00 UTC"), "{page}");
    }
}
