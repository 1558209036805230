//! The pool's side of alerts: what a change of stock calls for. A scan
//! the pool cannot cover becomes a discrepancy with an alert; available
//! crossing below a SKU's safety threshold, or below zero while
//! reservations hold stock, raises an alert. Safety rules are set here.

use crate::alerts::AlertKind;
use crate::discrepancies::Uncovered;
use crate::orders::{Order, OrderState};
use crate::pool::Pool;
use crate::safety::{Crossing, SafetyRule};
use protocol::Movement;

impl Pool {
    pub(crate) fn uncovered(&mut self, m: &Movement, device: &str, expected: i64, now: u64) {
        self.counts.discrepancies += 1;
        let u = Uncovered {
            movement: m,
            device,
            expected,
        };
        let d = self.discrepancies.record(u, now);
        self.counts_to_queue = true;
        let message = format!(
            "{} of {} scanned at {} by {} (seq {}) but the pool held {}; count task {} opened",
            d.movement, d.scanned, d.location, d.device, d.seq, d.expected, d.count_task
        );
        let (sku, location) = (d.sku.clone(), d.location.clone());
        self.alerts
            .raise(AlertKind::Discrepancy, &sku, Some(&location), message, now);
    }

    /// Raises the alerts a change of a SKU's availability calls for.
    pub(crate) fn available_changed(&mut self, sku: &str, before: i64, now: u64) {
        let Some(level) = self.levels.get(sku) else {
            return;
        };
        let available = level.available();
        if available < 0 && before >= 0 && level.reserved > 0 {
            let message = format!(
                "physical movements left {} on hand for {} reserved: {} held units are gone",
                level.on_hand, level.reserved, -available
            );
            self.alerts
                .raise(AlertKind::HeldStockShort, sku, None, message, now);
        } else if available >= 0 {
            self.alerts
                .clear(AlertKind::HeldStockShort, sku, None, "", now);
        }
        if self.safety.is_empty() {
            return;
        }
        match self.safety.check(sku, available) {
            Crossing::WentBelow(threshold) => {
                let message =
                    format!("available {available} is below the safety stock {threshold}");
                self.alerts
                    .raise(AlertKind::BelowSafety, sku, None, message, now);
            }
            Crossing::WentAbove => {
                self.alerts
                    .clear(AlertKind::BelowSafety, sku, None, "", now);
            }
            Crossing::None => {}
        }
    }

    /// Clears the order alerts whose cause went with these changes: a
    /// stuck order that moved, a backorder that left the exception state.
    pub(crate) fn clear_order_alerts(&mut self, changed: &[Order]) {
        let (stuck, backorder) = (
            self.alerts.any_open(AlertKind::StuckOrder),
            self.alerts.any_open(AlertKind::Backorder),
        );
        if !stuck && !backorder {
            return;
        }
        for order in changed {
            let subject = format!("order:{}", order.id);
            let sku = order.lines.first().map_or("", |l| l.sku.as_str());
            let now = order.updated_ms;
            if stuck && (!order.stuck_alerted || order.state.is_final()) {
                self.alerts
                    .clear(AlertKind::StuckOrder, sku, None, &subject, now);
            }
            if backorder && order.state != OrderState::Exception {
                self.alerts
                    .clear(AlertKind::Backorder, sku, None, &subject, now);
            }
        }
    }

    /// Sets or removes a SKU's safety rule.
    pub fn set_safety(&mut self, sku: &str, rule: Option<SafetyRule>, now: u64) {
        self.levels.entry(sku.to_string()).or_default();
        self.safety.set(sku, rule);
        if rule.is_none() {
            self.alerts
                .clear(AlertKind::BelowSafety, sku, None, "", now);
        }
        let available = self.available(sku);
        self.available_changed(sku, available, now);
    }

    /// The safety rule of `sku`, if it has one.
    pub fn safety_rule(&self, sku: &str) -> Option<SafetyRule> {
        self.safety.rule(sku)
    }

    /// Every safety rule, sorted by SKU.
    pub fn safety_rules(&self) -> Vec<(String, SafetyRule)> {
        self.safety.rules()
    }
}
