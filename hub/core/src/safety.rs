//! Safety stock: a per-SKU threshold under which available stock raises an
//! alert, and, for SKUs marked stop-at-safety, under which reservations
//! are refused (the presale stop). Rules come from the TOML config (applied
//! at start) or `PUT /api/v1/safety-stock/{sku}`; both persist.
//!
//! An alert is raised when available crosses from at-or-above to below the
//! threshold, not on every movement while it stays below.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// A SKU's safety-stock rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SafetyRule {
    /// Available below this raises an alert.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000))]
    pub threshold: i64,
    /// Refuse reservations that would take available below the threshold.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(default = false))]
    pub stop_at_safety: bool,
}

impl SafetyRule {
    /// Checks the threshold's range.
    pub fn validate(&self) -> Result<(), String> {
        if (0..=protocol::MAX_QUANTITY).contains(&self.threshold) {
            Ok(())
        } else {
            Err(format!(
                "threshold must be 0 to {}, got {}",
                protocol::MAX_QUANTITY,
                self.threshold
            ))
        }
    }
}

/// Every rule, and which SKUs are currently below theirs.
#[derive(Debug, Default)]
pub struct SafetyBook {
    rules: HashMap<String, SafetyRule>,
    below: HashSet<String>,
    dirty: Vec<(String, Option<SafetyRule>)>,
}

/// What a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crossing {
    /// Just went below the threshold: raise an alert.
    WentBelow(i64),
    /// Was below and is at or above the threshold again: clear the alert.
    WentAbove,
    /// Nothing new.
    None,
}

impl SafetyBook {
    /// A book over stored rules; `available` says where each SKU stands,
    /// so a SKU already below at start does not raise a second alert.
    pub fn load(
        rules: impl IntoIterator<Item = (String, SafetyRule)>,
        available: impl Fn(&str) -> i64,
    ) -> SafetyBook {
        let rules: HashMap<String, SafetyRule> = rules.into_iter().collect();
        let below = rules
            .iter()
            .filter(|(sku, r)| available(sku) < r.threshold)
            .map(|(sku, _)| sku.clone())
            .collect();
        SafetyBook {
            rules,
            below,
            dirty: Vec::new(),
        }
    }

    /// The rule of a SKU.
    pub fn rule(&self, sku: &str) -> Option<SafetyRule> {
        self.rules.get(sku).copied()
    }

    /// Whether no SKU has a rule (the common fast path).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Sets or removes a rule.
    pub fn set(&mut self, sku: &str, rule: Option<SafetyRule>) {
        match rule {
            Some(r) => self.rules.insert(sku.to_string(), r),
            None => {
                self.below.remove(sku);
                self.rules.remove(sku)
            }
        };
        self.dirty.push((sku.to_string(), rule));
    }

    /// Every rule, sorted by SKU.
    pub fn rules(&self) -> Vec<(String, SafetyRule)> {
        let mut out: Vec<_> = self.rules.iter().map(|(s, r)| (s.clone(), *r)).collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Updates the below/above state of `sku` for its new availability.
    pub fn check(&mut self, sku: &str, available: i64) -> Crossing {
        let Some(rule) = self.rules.get(sku) else {
            return Crossing::None;
        };
        if available >= rule.threshold {
            match self.below.remove(sku) {
                true => Crossing::WentAbove,
                false => Crossing::None,
            }
        } else if self.below.insert(sku.to_string()) {
            Crossing::WentBelow(rule.threshold)
        } else {
            Crossing::None
        }
    }

    /// Rules changed since the last call.
    pub fn take_changes(&mut self) -> Vec<(String, Option<SafetyRule>)> {
        std::mem::take(&mut self.dirty)
    }
}
