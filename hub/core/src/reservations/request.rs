//! What a client asks for when it reserves, and the checks it must pass
//! before the pool looks at stock.

use super::{ReservationLine, MAX_HOLD_MS, MAX_LINES, MIN_HOLD_MS};
use crate::errors::PoolError;
use serde::Deserialize;

/// A line of a reservation request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RequestLine {
    /// The SKU.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Id))]
    pub sku: String,
    /// Units to hold.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000))]
    pub quantity: i64,
}

/// What a client asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveRequest {
    /// The order.
    pub order_ref: String,
    /// Retry key; the order reference when absent.
    pub idempotency_key: Option<String>,
    /// Lines (a SKU may appear more than once; quantities add up).
    pub lines: Vec<RequestLine>,
    /// How long to hold.
    pub hold_ms: u64,
}

impl ReserveRequest {
    /// The key that identifies retries of this request.
    pub fn key(&self) -> &str {
        self.idempotency_key.as_deref().unwrap_or(&self.order_ref)
    }

    /// Checks ids, quantities, line count and hold time.
    pub fn validate(&self) -> Result<(), PoolError> {
        let bad = |m: String| Err(PoolError::Invalid(m));
        protocol::validate::check_id("order_ref", &self.order_ref)
            .map_err(|e| PoolError::Invalid(e.to_string()))?;
        if let Some(key) = &self.idempotency_key {
            protocol::validate::check_id("idempotency_key", key)
                .map_err(|e| PoolError::Invalid(e.to_string()))?;
        }
        if self.lines.is_empty() || self.lines.len() > MAX_LINES {
            return bad(format!("a reservation needs 1 to {MAX_LINES} lines"));
        }
        for (i, line) in self.lines.iter().enumerate() {
            protocol::validate::check_id("sku", &line.sku)
                .map_err(|e| PoolError::Invalid(format!("line {}: {e}", i + 1)))?;
            if !(1..=protocol::MAX_QUANTITY).contains(&line.quantity) {
                return bad(format!(
                    "line {}: quantity must be 1 to {}, got {}",
                    i + 1,
                    protocol::MAX_QUANTITY,
                    line.quantity
                ));
            }
        }
        if !(MIN_HOLD_MS..=MAX_HOLD_MS).contains(&self.hold_ms) {
            return bad(format!(
                "hold time must be 60 to 1800 seconds, got {} ms",
                self.hold_ms
            ));
        }
        Ok(())
    }

    /// One line per SKU, in first-seen order, quantities summed.
    pub fn merged_lines(&self) -> Vec<ReservationLine> {
        let mut out: Vec<ReservationLine> = Vec::with_capacity(self.lines.len());
        for line in &self.lines {
            match out.iter_mut().find(|l| l.sku == line.sku) {
                Some(l) => l.quantity = l.quantity.saturating_add(line.quantity),
                None => out.push(ReservationLine {
                    sku: line.sku.clone(),
                    quantity: line.quantity,
                    picked: 0,
                }),
            }
        }
        out
    }
}
