//! The pool's side of the change feed ([`crate::feed`]): a group's
//! [`Changes`] as feed events, read against the levels the group left.

use crate::changes::Changes;
use crate::feed::{alert_json, device_json, FeedEvent};
use crate::pool::Pool;
use serde_json::{json, Value};
use std::collections::BTreeSet;

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
        // One event per group, naming its newest letter and how many came:
        // a flood of garbage must not flood the feed (and the store) too.
        if let Some((id, d)) = changes.dead_letters.last() {
            push(
                "dead_letter",
                json!({"id": id, "reason": d.reason, "topic": d.topic,
                "received_ms": d.received_ms, "count": changes.dead_letters.len()}),
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
