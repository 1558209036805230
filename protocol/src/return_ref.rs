//! How a `Return` movement names its order and why it came back: its
//! `task` field is `return:{order}:{reason}` (WIRE.md §3.16 of returns),
//! e.g. `return:1042:damaged`.
//!
//! Why in `task`: a movement already carries one free id for "what this
//! scan is for", and a return is for an order; no new field, so every
//! decoder of version 1 reads it.

use std::fmt;
use thiserror::Error;

/// Why a unit came back, as the receiving desk judged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnReason {
    /// Fit to sell again: back to available.
    Resaleable,
    /// Damaged: to a quarantine location, not available.
    Damaged,
    /// Not what was ordered, but sellable.
    WrongItem,
    /// The buyer changed their mind, sellable.
    Unwanted,
}

impl ReturnReason {
    /// The word on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnReason::Resaleable => "resaleable",
            ReturnReason::Damaged => "damaged",
            ReturnReason::WrongItem => "wrong_item",
            ReturnReason::Unwanted => "unwanted",
        }
    }

    /// Parses [`ReturnReason::as_str`].
    pub fn parse(word: &str) -> Option<ReturnReason> {
        [
            ReturnReason::Resaleable,
            ReturnReason::Damaged,
            ReturnReason::WrongItem,
            ReturnReason::Unwanted,
        ]
        .into_iter()
        .find(|r| r.as_str() == word)
    }

    /// Whether the units go to quarantine (not available).
    pub fn quarantined(self) -> bool {
        self == ReturnReason::Damaged
    }
}

/// The order and reason of a return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReturnRef {
    /// The order the units came back from.
    pub order: u64,
    /// Why.
    pub reason: ReturnReason,
}

/// Why a `task` field is not a return reference.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a return names its order and reason as return:ORDER:REASON (reasons: resaleable, damaged, wrong_item, unwanted), not {0:?}")]
pub struct ReturnRefError(pub String);

impl ReturnRef {
    /// Parses `return:{order}:{reason}`.
    pub fn parse(text: &str) -> Result<ReturnRef, ReturnRefError> {
        let bad = || ReturnRefError(text.chars().take(64).collect());
        let rest = text.strip_prefix("return:").ok_or_else(bad)?;
        let (order, reason) = rest.split_once(':').ok_or_else(bad)?;
        let digits = !order.is_empty() && order.bytes().all(|b| b.is_ascii_digit());
        let order: u64 = if digits {
            order.parse().map_err(|_| bad())?
        } else {
            return Err(bad());
        };
        let reason = ReturnReason::parse(reason).ok_or_else(bad)?;
        Ok(ReturnRef { order, reason })
    }
}

impl fmt::Display for ReturnRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "return:{}:{}", self.order, self.reason.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_round_trip_and_bad_ones_are_refused() {
        let r = ReturnRef::parse("return:1042:damaged").unwrap();
        assert_eq!((r.order, r.reason), (1042, ReturnReason::Damaged));
        assert_eq!(r.to_string(), "return:1042:damaged");
        assert!(r.reason.quarantined());
        for bad in [
            "1042:damaged",
            "return:x:damaged",
            "return:1042",
            "return:1042:broken",
            "return::damaged",
            "return:+1:damaged",
        ] {
            assert!(ReturnRef::parse(bad).is_err(), "{bad}");
        }
    }
}
