//! `/api/v1/reports/...`: reports over committed orders, rendered by the
//! hub. `GET /api/v1/reports/timeliness?week=2026-W49&format=json|csv|html`
//! (viewer): the weekly order-timeliness report. `week` defaults to the
//! current ISO week, `format` to json; `offset_minutes` (-840 to 840) is
//! the site's clock minus UTC, for the week's bounds and the shifts
//! (default 0: UTC). Unknown parameters are refused, so a misspelt one
//! never silently reports another week.
//!
//! The figures come from `hub_core::orders::report`, cut off at the hub's
//! wall clock when asked; the rendering from [`crate::reports`].

use super::openapi::schema;
use super::{ApiError, AppState};
use crate::orders::report::{default_shifts, timeliness, IsoWeek};
use crate::reports::{render_timeliness, Format};
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;

/// The query parameters `GET /api/v1/reports/timeliness` takes.
const PARAMETERS: [&str; 3] = ["week", "format", "offset_minutes"];

/// Keeps the page from fetching anything, were it ever to try.
const HTML_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/reports/timeliness", get(timeliness_report))
}

/// What the query asks for, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Asked {
    week: Option<IsoWeek>,
    format: Format,
    offset_minutes: i32,
}

fn asked(q: &HashMap<String, String>, site_offset: i32) -> Result<Asked, ApiError> {
    let mut unknown: Vec<&str> = q
        .keys()
        .map(String::as_str)
        .filter(|k| !PARAMETERS.contains(k))
        .collect();
    if !unknown.is_empty() {
        unknown.sort_unstable();
        return Err(ApiError::invalid(format!(
            "unknown parameter(s) {}; this report takes {}",
            unknown.join(", "),
            PARAMETERS.join(", ")
        )));
    }
    let week = match q.get("week") {
        None => None,
        Some(raw) => Some(IsoWeek::parse(raw).map_err(|e| ApiError::invalid(e.to_string()))?),
    };
    let format = match q.get("format") {
        None => Format::default(),
        Some(raw) => Format::parse(raw).ok_or_else(|| {
            ApiError::invalid(format!(
                "format {:?} is not one of {}",
                raw.chars().take(20).collect::<String>(),
                Format::NAMES.join(", ")
            ))
        })?,
    };
    let offset_minutes = match q.get("offset_minutes") {
        None => site_offset,
        Some(raw) => raw
            .parse::<i32>()
            .ok()
            .filter(|m| (-840..=840).contains(m))
            .ok_or_else(|| {
                ApiError::invalid("offset_minutes must be a whole number from -840 to 840")
            })?,
    };
    Ok(Asked {
        week,
        format,
        offset_minutes,
    })
}

/// The weekly order-timeliness report
///
/// Role: viewer. Of the orders received in one ISO week (local Monday 00:00 to
/// the next), the time spent in each state, in total, per site and per shift,
/// the share kept inside SLA and the share that needed an operator. Any query
/// parameter but these three is a 400.
#[utoipa::path(
    get,
    path = "/api/v1/reports/timeliness",
    operation_id = "timelinessReport",
    tag = "reports",
    params(
        ("week" = inline(Option<schema::WeekParam>), Query, description = "`YYYY-Www` (ISO 8601), year 1971 to 9999; default the current week. Week 53 exists only in long years (else 400)."),
        ("format" = inline(Option<schema::FormatParam2>), Query),
        ("offset_minutes" = inline(Option<schema::OffsetMinutesParam>), Query, description = "The site's clock minus UTC; default the hub's `site_utc_offset_minutes`."),
    ),
    responses(
        (status = 200, description = "The report; CSV and HTML come with `Content-Disposition`, HTML under a CSP that forbids fetching anything.", content((schema::TimelinessReport = "application/json"), (String = "text/csv"), (String = "text/html"))),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 500, response = schema::StoreFailure),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn timeliness_report(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let asked = asked(&q, state.site_utc_offset_minutes)?;
    let now = crate::clock::wall_ms();
    let week = asked
        .week
        .unwrap_or_else(|| IsoWeek::containing(now, asked.offset_minutes));
    let (start, end) = week.range_ms(asked.offset_minutes);
    let store = state.store.clone();
    let orders = tokio::task::spawn_blocking(move || store.orders_received(start, end))
        .await
        .map_err(|e| ApiError::Unavailable(format!("the report stopped: {e}")))??;
    let report = timeliness(
        orders.iter(),
        week,
        asked.offset_minutes,
        now,
        &default_shifts(),
    );
    let rendered = render_timeliness(&report, asked.format).map_err(|e| {
        tracing::error!(error = %e, "timeliness report not rendered");
        ApiError::Unavailable(e.to_string())
    })?;
    let mut response = rendered.body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(rendered.content_type),
    );
    if asked.format == Format::Html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(HTML_POLICY),
        );
    }
    let disposition = format!("inline; filename=\"{}\"", rendered.file_name);
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_query_is_checked_with_clear_messages() {
        let ok = asked(&query(&[("week", "2026-W49"), ("format", "csv")]), 0).expect("ok");
        assert_eq!(ok.week.map(|w| w.to_string()).as_deref(), Some("2026-W49"));
        assert_eq!(ok.format, Format::Csv);
        let defaults = asked(&query(&[]), 480).expect("defaults");
        assert_eq!(defaults.format, Format::Json);
        assert_eq!(defaults.offset_minutes, 480, "the site's offset by default");
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("week", "2026-W60")], "there is no W60"),
            (&[("week", "abc")], "not an ISO week"),
            (&[("format", "pdf")], "not one of json, csv, html"),
            (&[("offset_minutes", "900")], "-840 to 840"),
            (&[("offset_minutes", "1.5")], "-840 to 840"),
            (&[("weak", "2026-W49")], "unknown parameter(s) weak"),
        ];
        for (pairs, part) in cases {
            let e = asked(&query(pairs), 0).expect_err("refused");
            assert!(e.to_string().contains(part), "{pairs:?}: {e}");
        }
    }
}
