//! What goes on a shipping label: who sends, who receives, which order,
//! which carrier and service, the waybill's tracking number, and where the
//! label stands in its print batch. Plain data, checked once by
//! [`LabelData::validate`], so the layout, the ZPL and the preview never
//! meet a tracking number a scanner could not read back.

use super::error::LabelError;
use crate::orders::Service;

/// The longest tracking number a label carries. Carriers' waybill numbers
/// are 10 to 20 characters; 40 still fits the barcode area at 1 dot per
/// module.
pub const MAX_TRACKING_LEN: usize = 40;

/// One side of the shipment: the sender or the recipient.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Party {
    /// The person's or the shop's name, as cleaned at intake.
    pub name: String,
    /// A phone number, as printed (already masked if it must be).
    pub phone: String,
    /// The address, one printed line per entry, most specific last or
    /// first as the carrier expects; the layout wraps long lines.
    pub address: Vec<String>,
}

/// Where a label stands in the print batch it was sent with, printed as
/// `12/100` so the packer sees a missing label at once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchPosition {
    /// The batch's id.
    pub batch: String,
    /// This label's place, from 1.
    pub position: u32,
    /// How many labels the batch has.
    pub size: u32,
}

/// Everything printed on one shipping label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelData {
    /// Who ships (the warehouse or the shop).
    pub sender: Party,
    /// Who receives.
    pub recipient: Party,
    /// The shop's order reference, e.g. `A-1001`.
    pub order_ref: String,
    /// The hub's order id.
    pub order_id: u64,
    /// The carrier's name, e.g. `SF Express`.
    pub carrier: String,
    /// Express or standard.
    pub service: Service,
    /// The waybill number: 1 to [`MAX_TRACKING_LEN`] ASCII letters and
    /// digits, printed as a Code 128 barcode.
    pub tracking_number: String,
    /// An optional short remark line ("fragile", "call before delivery").
    pub remark: Option<String>,
    /// The label's place in its print batch.
    pub batch: BatchPosition,
}

impl LabelData {
    /// Checks what the label needs: a readable tracking number, the
    /// recipient's name and address, the carrier, the order reference, a
    /// position within its batch, and no control characters anywhere.
    /// Whether the text fits the label is the layout's question
    /// ([`super::layout::checked_layout`]).
    pub fn validate(&self) -> Result<(), LabelError> {
        check_tracking_number(&self.tracking_number)?;
        for (field, value) in [
            ("recipient name", &self.recipient.name),
            ("carrier", &self.carrier),
            ("order reference", &self.order_ref),
            ("batch id", &self.batch.batch),
        ] {
            if value.trim().is_empty() {
                return Err(LabelError::Missing(field));
            }
        }
        if self.recipient.address.iter().all(|l| l.trim().is_empty()) {
            return Err(LabelError::Missing("recipient address"));
        }
        for (field, value) in self.text_fields() {
            if value.chars().any(char::is_control) {
                return Err(LabelError::ControlChar(field));
            }
        }
        let BatchPosition { position, size, .. } = self.batch;
        if position == 0 || position > size {
            return Err(LabelError::BatchPosition { position, size });
        }
        Ok(())
    }

    /// Every free-text field with its name, for checks over all of them.
    fn text_fields(&self) -> Vec<(&'static str, &str)> {
        let mut fields = vec![
            ("sender name", self.sender.name.as_str()),
            ("sender phone", self.sender.phone.as_str()),
            ("recipient name", self.recipient.name.as_str()),
            ("recipient phone", self.recipient.phone.as_str()),
            ("order reference", self.order_ref.as_str()),
            ("carrier", self.carrier.as_str()),
            ("batch id", self.batch.batch.as_str()),
        ];
        fields.extend(
            self.sender
                .address
                .iter()
                .map(|l| ("sender address", l.as_str())),
        );
        fields.extend(
            self.recipient
                .address
                .iter()
                .map(|l| ("recipient address", l.as_str())),
        );
        fields.extend(self.remark.iter().map(|r| ("remark", r.as_str())));
        fields
    }
}

/// Checks a tracking number: 1 to [`MAX_TRACKING_LEN`] ASCII letters and
/// digits, which Code 128 sets B and C always encode.
pub fn check_tracking_number(tracking: &str) -> Result<(), LabelError> {
    let len = tracking.chars().count();
    if len == 0 || len > MAX_TRACKING_LEN {
        return Err(LabelError::TrackingNumberLength(len));
    }
    match tracking
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_alphanumeric())
    {
        Some((at, ch)) => Err(LabelError::TrackingNumberChar { at, ch }),
        None => Ok(()),
    }
}

/// The printed name of a service.
pub fn service_name(service: Service) -> &'static str {
    match service {
        Service::Express => "EXPRESS",
        Service::Standard => "STANDARD",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A complete, valid label for tests across the module.
    pub(crate) fn sample() -> LabelData {
        LabelData {
            sender: Party {
                name: "Northwind Warehouse".into(),
                phone: "+86 755 0000 1234".into(),
                address: vec![
                    "Dock 3, 18 Keji Road".into(),
                    "Nanshan, Shenzhen 518057".into(),
                ],
            },
            recipient: Party {
                name: "Li Wei".into(),
                phone: "138****5678".into(),
                address: vec![
                    "Room 1201, Building 10, Shenzhen Bay Eco-Park".into(),
                    "Nanshan District, Shenzhen, Guangdong 518000".into(),
                ],
            },
            order_ref: "A-1001".into(),
            order_id: 1042,
            carrier: "SF Express".into(),
            service: Service::Express,
            tracking_number: "SF1234567890".into(),
            remark: Some("Fragile: glass".into()),
            batch: BatchPosition {
                batch: "B-7".into(),
                position: 12,
                size: 100,
            },
        }
    }

    #[test]
    fn sample_is_valid() {
        assert_eq!(sample().validate(), Ok(()));
    }

    #[test]
    fn tracking_numbers() {
        let cases: &[(&str, Result<(), LabelError>)] = &[
            ("SF1234567890", Ok(())),
            ("1", Ok(())),
            ("", Err(LabelError::TrackingNumberLength(0))),
            (&"9".repeat(41), Err(LabelError::TrackingNumberLength(41))),
            (
                "SF 123",
                Err(LabelError::TrackingNumberChar { at: 2, ch: ' ' }),
            ),
            (
                "SF-123",
                Err(LabelError::TrackingNumberChar { at: 2, ch: '-' }),
            ),
            (
                "SF\u{ff11}",
                Err(LabelError::TrackingNumberChar {
                    at: 2,
                    ch: '\u{ff11}',
                }),
            ),
        ];
        for (tracking, expected) in cases {
            assert_eq!(&check_tracking_number(tracking), expected, "{tracking:?}");
        }
        assert!(check_tracking_number(&"A".repeat(40)).is_ok());
    }

    #[test]
    fn refusals_name_the_field() {
        let mut data = sample();
        data.recipient.name = "  ".into();
        assert_eq!(data.validate(), Err(LabelError::Missing("recipient name")));
        let mut data = sample();
        data.recipient.address = vec![String::new()];
        assert_eq!(
            data.validate(),
            Err(LabelError::Missing("recipient address"))
        );
        let mut data = sample();
        data.remark = Some("line\nbreak".into());
        assert_eq!(data.validate(), Err(LabelError::ControlChar("remark")));
        let mut data = sample();
        data.batch.position = 101;
        assert_eq!(
            data.validate(),
            Err(LabelError::BatchPosition {
                position: 101,
                size: 100
            })
        );
    }
}
