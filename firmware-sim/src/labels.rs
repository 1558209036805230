//! The labels the simulators print: goods (GS1-128 with GTIN, lot, serial
//! and count), rack locations and mode cards, every check digit right.
//!
//! Why generated: the fleet needs thousands of distinct, valid codes from a
//! seed; each goods label carries a serial (21) so two scans of two cartons
//! are two codes, and only a true double read repeats one.

use protocol::barcode::{gs1_check_digit, GS, LOCATION_PREFIX, MODE_PREFIX};
use protocol::MovementKind;

/// A GTIN-14 for item number `item` under a fixed example company prefix.
pub fn gtin(item: u32) -> String {
    let body = format!("0950600{:05}", item % 100_000);
    // Twelve digits and a leading indicator 0: always digits, so a check
    // digit always exists.
    let check = gs1_check_digit(&format!("0{body}")).unwrap_or(0);
    format!("0{body}{check}")
}

/// A carton label as a GS1-128 engine sends it (AIM `]C1`, GS separators).
pub fn goods_label(gtin: &str, lot: &str, serial: &str, count: u32) -> String {
    format!("]C101{gtin}10{lot}{GS}21{serial}{GS}37{count}")
}

/// A rack label.
pub fn location_label(location: &str) -> String {
    format!("{LOCATION_PREFIX}{location}")
}

/// A mode card.
pub fn mode_card(kind: MovementKind) -> String {
    format!("{MODE_PREFIX}{}", kind.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::barcode::{parse_read, Gs1, ScannedCode};

    #[test]
    fn labels_parse_back() {
        for item in [0, 1, 99_999, 123_456] {
            let g = gtin(item);
            assert_eq!(g.len(), 14);
            let read = goods_label(&g, "L-1", "S9", 12);
            let want = ScannedCode::Gs1(Gs1 {
                gtin: Some(g.clone()),
                lot: Some("L-1".into()),
                serial: Some("S9".into()),
                count: Some(12),
                ..Gs1::default()
            });
            assert_eq!(parse_read(&read), Ok(want), "{read:?}");
        }
        assert_eq!(
            parse_read(&location_label("F-1")),
            Ok(ScannedCode::Location("F-1".into()))
        );
        assert_eq!(
            parse_read(&mode_card(MovementKind::Pick)),
            Ok(ScannedCode::Mode(MovementKind::Pick))
        );
    }
}
