//! The change feed: what a group changed, as events shops, integrators
//! and the dashboard can follow without polling (stock levels, orders,
//! alerts, devices, dead letters, label jobs, tasks). Each event gets a
//! feed id, increasing without gaps; the hub stores them with the group
//! (so an event is pushed only once it is durable, and a client that
//! reconnects resumes after the last id it saw) and pushes them to the
//! server-sent-events stream and the webhooks.
//!
//! Events carry a small JSON object, never customer personal data.

use crate::alerts::Alert;
use crate::changes::Changes;
use crate::fleet::FleetRow;
use crate::pool::Pool;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;

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

impl Pool {
    /// The feed events of `changes` (just taken from this pool, so its
    /// levels are the ones the changes left).
    pub fn feed_of(&self, changes: &Changes, now: u64) -> Vec<FeedEvent> {
        let mut out = Vec::new();
        let mut push = |event: &str, data: Value| {
            out.push(FeedEvent {
                event: event.to_string(),
                data: data.to_string(),
                at_ms: now,
            })
        };
        let skus: BTreeSet<&str> = changes
            .stock
            .iter()
            .map(|(k, _)| k.sku.as_str())
            .chain(changes.reserved.iter().map(|(s, _)| s.as_str()))
            .collect();
        for sku in skus {
            let (on_hand, reserved) = self.level(sku).map_or((0, 0), |l| (l.on_hand, l.reserved));
            let available = self.available(sku);
            push(
                "stock",
                json!({"sku": sku, "on_hand": on_hand,
                                 "reserved": reserved, "available": available}),
            );
        }
        for o in &changes.orders {
            push(
                "order",
                json!({"id": o.id, "state": o.state.as_str(),
                "platform": o.platform, "platform_order_id": o.platform_order_id,
                "service": o.service, "updated_ms": o.updated_ms}),
            );
        }
        for (id, a) in &changes.alerts {
            push("alert", alert_json(*id, a));
        }
        for (device, row) in &changes.fleet {
            push("device", device_json(device, row));
        }
        for (id, d) in &changes.dead_letters {
            push(
                "dead_letter",
                json!({"id": id, "reason": d.reason,
                "topic": d.topic, "received_ms": d.received_ms}),
            );
        }
        for j in &changes.printing.jobs {
            push(
                "label_job",
                json!({"id": j.id, "batch": j.batch, "order": j.order,
                "station": j.station, "state": j.state.as_str()}),
            );
        }
        for t in &changes.tasks.tasks {
            let state = if t.is_open() { "open" } else { "closed" };
            push(
                "task",
                json!({"id": t.id, "device": t.device, "kind": t.kind,
                "state": state, "open_lines": t.open_lines()}),
            );
        }
        out
    }
}
