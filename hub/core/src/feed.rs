//! The change feed: what a group changed, as events shops, integrators
//! and the dashboard can follow without polling (stock levels, orders,
//! alerts, devices, dead letters, label jobs, tasks). Each event gets a
//! feed id, increasing without gaps; the hub stores them with the group
//! (so an event is pushed only once it is durable, and a client that
//! reconnects resumes after the last id it saw) and pushes them to the
//! server-sent-events stream and the webhooks.
//!
//! Events carry a small JSON object, never customer personal data. What
//! a group's changes become is the pool's side, `pool/feed`.

use crate::alerts::Alert;
use crate::fleet::FleetRow;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One event of the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedEvent {
    /// Its name: `stock`, `order`, `alert`, `device`, `dead_letter`,
    /// `label_job`, `task`.
    pub event: String,
    /// Its JSON object, as text.
    pub data: String,
    /// Hub time of the group that made it, ms since the epoch.
    pub at_ms: u64,
}

/// One event as clients get it, `{"id", "event", "at_ms", "data"}`: a
/// page of `GET /api/v1/changes`, and the body of a webhook's request.
pub fn event_json(id: u64, e: &FeedEvent) -> Value {
    let data: Value = serde_json::from_str(&e.data).unwrap_or(Value::Null);
    json!({"id": id, "event": e.event, "at_ms": e.at_ms, "data": data})
}

/// The JSON of one alert, as `GET /api/v1/alerts` lists it and the feed
/// pushes it.
pub fn alert_json(id: u64, a: &Alert) -> Value {
    json!({
        "id": id,
        "kind": a.kind,
        "severity": a.severity,
        "state": a.state().as_str(),
        "sku": a.sku,
        "location": a.location,
        "subject": a.subject,
        "message": a.message,
        "raised_ms": a.raised_ms,
        "last_ms": a.last_ms,
        "repeats": a.repeats,
        "acked_by": a.acked.as_ref().map(|x| x.by.as_str()),
        "acked_ms": a.acked.as_ref().map(|x| x.at_ms),
        "cleared_ms": a.cleared_ms,
    })
}

/// The JSON of one fleet row.
pub fn device_json(device: &str, row: &FleetRow) -> Value {
    json!({
        "device": device,
        "state": if row.online { "online" } else { "offline" },
        "state_since_ms": row.since_ms,
        "last_seen_ms": row.last_seen_ms,
        "backlog": row.backlog,
        "battery_pct": row.battery_pct,
        "version": row.version,
        "signal_dbm": row.signal_dbm,
        "epoch": row.epoch.map(|e| format!("{e:016x}")),
        "acked_seq": row.acked_seq,
        "clock_offset_ms": row.clock_offset_ms,
        "offline_reason": row.offline_reason,
    })
}
