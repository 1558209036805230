//! How a picker's reads become movements on a scanner: a mode card sets
//! the kind (`MODE:pick`), a rack label sets the location (`LOC:A-01-02`),
//! and each goods label (GS1 or EAN/UPC) is then one movement of that kind
//! at that location: SKU = GTIN-14, lot = (10), quantity = (37)/(30) or 1.
//! For putaway and move, the rack label read after the goods is the
//! destination.
//!
//! Why a state machine of its own: which read means what depends on the
//! reads before it, and that must be testable without a port or a journal.
//! A draft leaving here already satisfies the protocol's rules, so what is
//! confirmed with a good beep is what the hub will accept.

use crate::draft::MovementDraft;
use protocol::barcode::{parse_read, BarcodeError, Gs1, ScannedCode};
use protocol::{MovementKind, ValidationError};
use thiserror::Error;

/// What a read did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanStep {
    /// A rack label: the location for the next goods.
    Location(String),
    /// A mode card: the kind of the next movements.
    Mode(MovementKind),
    /// Goods for a putaway or move: waiting for the destination label.
    AwaitingDestination,
    /// A complete movement, ready to journal.
    Movement(MovementDraft),
}

/// Why a read was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScanFlowError {
    /// The barcode itself is bad.
    #[error("{0}")]
    Barcode(#[from] BarcodeError),
    /// Goods read before any rack label.
    #[error("scan a location label (LOC:...) before the goods")]
    NoLocation,
    /// A pallet label with an SSCC but no GTIN: nothing to count stock by.
    #[error("pallet label has an SSCC but no GTIN (02): scan a carton")]
    NoGtin,
    /// A quantity of zero on a kind that needs more.
    #[error("{0}")]
    Invalid(#[from] ValidationError),
}

/// The picker's current mode and location.
#[derive(Debug, Clone)]
pub struct ScanFlow {
    kind: MovementKind,
    location: Option<String>,
    pending: Option<MovementDraft>,
}

impl ScanFlow {
    /// A flow starting in mode `kind`, with no location yet.
    pub fn new(kind: MovementKind) -> ScanFlow {
        ScanFlow {
            kind,
            location: None,
            pending: None,
        }
    }

    /// The current mode.
    pub fn kind(&self) -> MovementKind {
        self.kind
    }

    /// The current location, if a rack label was read.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// Takes one read (without CR/LF) made at `device_time_ms`.
    pub fn on_read(&mut self, read: &str, device_time_ms: u64) -> Result<ScanStep, ScanFlowError> {
        match parse_read(read)? {
            ScannedCode::Mode(kind) => {
                self.kind = kind;
                self.pending = None;
                Ok(ScanStep::Mode(kind))
            }
            ScannedCode::Location(location) => Ok(self.on_location(location)),
            ScannedCode::Gs1(gs1) => self.on_goods(goods_from_gs1(gs1)?, device_time_ms),
            ScannedCode::Retail(gtin) => self.on_goods((gtin, None, None), device_time_ms),
        }
    }

    fn on_location(&mut self, location: String) -> ScanStep {
        match self.pending.take() {
            Some(mut draft) if draft.location != location => {
                draft.to_location = Some(location);
                ScanStep::Movement(draft)
            }
            // The source label again: still waiting for a destination.
            Some(draft) => {
                self.pending = Some(draft);
                ScanStep::AwaitingDestination
            }
            None => {
                self.location = Some(location.clone());
                ScanStep::Location(location)
            }
        }
    }

    fn on_goods(&mut self, goods: Goods, device_time_ms: u64) -> Result<ScanStep, ScanFlowError> {
        let (gtin, lot, count) = goods;
        let location = self.location.as_deref().ok_or(ScanFlowError::NoLocation)?;
        let quantity = i64::from(count.unwrap_or(1));
        let mut draft = MovementDraft::new(self.kind, &gtin, location, quantity);
        draft.lot = lot;
        draft.device_time_ms = device_time_ms;
        if self.kind.needs_destination() {
            // Checked with a stand-in destination; the real one comes next.
            let mut probe = draft.clone();
            probe.to_location = Some(format!("{location}~"));
            probe.validate()?;
            self.pending = Some(draft);
            return Ok(ScanStep::AwaitingDestination);
        }
        draft.validate()?;
        Ok(ScanStep::Movement(draft))
    }
}

/// GTIN, lot, count.
type Goods = (String, Option<String>, Option<u32>);

/// The expiry (17) travels in the lot id as `LOT@YYYY-MM-DD` (or
/// `@YYYY-MM-DD` with no lot), the form the hub's FEFO suggestions read.
fn goods_from_gs1(gs1: Gs1) -> Result<Goods, ScanFlowError> {
    let gtin = gs1.gtin.ok_or(ScanFlowError::NoGtin)?;
    let lot = match (gs1.lot, gs1.expiry) {
        (lot, Some(expiry)) => Some(format!("{}@{}", lot.unwrap_or_default(), expiry.iso_date())),
        (lot, None) => lot,
    };
    Ok((gtin, lot, gs1.count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn movement(
        kind: MovementKind,
        loc: &str,
        qty: i64,
        lot: Option<&str>,
        to: Option<&str>,
    ) -> ScanStep {
        let mut d = MovementDraft::new(kind, "09506000134352", loc, qty);
        d.lot = lot.map(Into::into);
        d.to_location = to.map(Into::into);
        d.device_time_ms = 7;
        ScanStep::Movement(d)
    }

    #[test]
    fn reads_become_steps() {
        use MovementKind::*;
        let mut flow = ScanFlow::new(Pick);
        let table: Vec<(&str, Result<ScanStep, ScanFlowError>)> = vec![
            ("]C10109506000134352", Err(ScanFlowError::NoLocation)),
            ("LOC:A-01", Ok(ScanStep::Location("A-01".into()))),
            (
                "]C10109506000134352",
                Ok(movement(Pick, "A-01", 1, None, None)),
            ),
            (
                "]C1010950600013435210L7\u{1d}375",
                Ok(movement(Pick, "A-01", 5, Some("L7"), None)),
            ),
            (
                "]E09506000134352",
                Ok(movement(Pick, "A-01", 1, None, None)),
            ),
            ("MODE:receive", Ok(ScanStep::Mode(Receive))),
            (
                "]C1001061414112345678970209506000134352\u{1d}3712",
                Ok(movement(Receive, "A-01", 12, None, None)),
            ),
            (
                "]C1010950600013435217270900\u{1d}10L9\u{1d}372",
                Ok(movement(Receive, "A-01", 2, Some("L9@2027-09-30"), None)),
            ),
            (
                "]C1010950600013435217280228377",
                Ok(movement(Receive, "A-01", 7, Some("@2028-02-28"), None)),
            ),
            ("]C100106141411234567897", Err(ScanFlowError::NoGtin)),
            (
                "]C1010950600013435237000",
                Err(ScanFlowError::Invalid(ValidationError::BadQuantity {
                    kind: "receive",
                    quantity: 0,
                    rule: "must be greater than zero",
                })),
            ),
            ("MODE:move", Ok(ScanStep::Mode(Move))),
            ("]C10109506000134352372", Ok(ScanStep::AwaitingDestination)),
            ("LOC:A-01", Ok(ScanStep::AwaitingDestination)),
            (
                "LOC:B-02",
                Ok(movement(Move, "A-01", 2, None, Some("B-02"))),
            ),
            ("LOC:C-03", Ok(ScanStep::Location("C-03".into()))),
            (
                "junk",
                Err(ScanFlowError::Barcode(BarcodeError::Unrecognised(
                    "\"junk\"".into(),
                ))),
            ),
        ];
        for (read, want) in table {
            assert_eq!(flow.on_read(read, 7), want, "read {read:?}");
        }
        assert_eq!(flow.location(), Some("C-03"));
        assert_eq!(flow.kind(), Move);
    }
}
