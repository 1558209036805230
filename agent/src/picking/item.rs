//! A scan read as goods: which SKU it is, and which lot a movement of it
//! records when a line suggests one.
//!
//! Why its own file: the same reading serves picking, counting and pack
//! checking, and it is where the conventions of `scanner::flow` are kept
//! (a GS1 or EAN/UPC read names its goods by GTIN-14; the expiry (17)
//! travels in the lot id as `LOT@YYYY-MM-DD`, the form of the hub's FEFO
//! suggestions) so that a guided scan records what a blind one would.

use super::Day;
use protocol::barcode::{parse_read, BarcodeError, ScannedCode};

/// Goods as one scan names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goods {
    /// The text read (a plain SKU label is matched on it as is).
    pub raw: String,
    /// The GTIN-14 of a GS1 or retail read.
    pub gtin: Option<String>,
    /// GS1 (10), the lot.
    pub lot: Option<String>,
    /// GS1 (17), the last good day.
    pub expiry: Option<Day>,
    /// GS1 (37)/(30), units in the carton.
    pub count: Option<u32>,
}

/// What a scan is, from the point of view of a guided step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadAs {
    /// Goods (possibly a plain SKU label: anything not a known code).
    Goods(Goods),
    /// A rack label `LOC:...`: the location id.
    Location(String),
    /// A code that names no goods (a bad check digit, a mode card, a pallet
    /// label without a GTIN); the message says which.
    Refused(String),
}

/// Reads one scan or typed line.
pub fn read(text: &str) -> ReadAs {
    let raw = text.trim().to_string();
    let plain = |raw: String| {
        ReadAs::Goods(Goods {
            raw,
            gtin: None,
            lot: None,
            expiry: None,
            count: None,
        })
    };
    match parse_read(&raw) {
        Ok(ScannedCode::Location(location)) => ReadAs::Location(location),
        Ok(ScannedCode::Mode(_)) => ReadAs::Refused("a mode card does nothing here".into()),
        Ok(ScannedCode::Retail(gtin)) => ReadAs::Goods(Goods {
            gtin: Some(gtin),
            ..goods_of(raw)
        }),
        Ok(ScannedCode::Gs1(gs1)) => match gs1.gtin {
            None => ReadAs::Refused("pallet label without a GTIN: scan a carton".into()),
            Some(gtin) => ReadAs::Goods(Goods {
                raw,
                gtin: Some(gtin),
                lot: gs1.lot,
                expiry: gs1.expiry.map(Day::from_expiry),
                count: gs1.count,
            }),
        },
        // Our own SKU labels are plain text: not a code we know is fine.
        Err(BarcodeError::Unrecognised(_)) | Err(BarcodeError::Empty) => plain(raw),
        // A plain SKU may still look like a broken code (digits with a bad
        // check digit); `Goods::is` compares the raw text, so keep it.
        Err(_) if !looks_coded(&raw) => plain(raw),
        Err(e) => ReadAs::Refused(e.to_string()),
    }
}

/// Whether a read announces a code (AIM id, GS1 brackets or FNC1, one of
/// our label prefixes), so that an error in it is the scanner's news and
/// not a SKU label that happens to look like digits.
fn looks_coded(raw: &str) -> bool {
    raw.starts_with([']', '('])
        || raw.contains(protocol::barcode::GS)
        || raw.starts_with(protocol::barcode::LOCATION_PREFIX)
        || raw.starts_with(protocol::barcode::MODE_PREFIX)
}

fn goods_of(raw: String) -> Goods {
    Goods {
        raw,
        gtin: None,
        lot: None,
        expiry: None,
        count: None,
    }
}

impl Goods {
    /// Whether these goods are `sku`: the label's text is the SKU, or its
    /// GTIN is (a SKU of 8, 12 or 13 digits is the GTIN-14 with leading
    /// zeros, as retail codes are read).
    pub fn is(&self, sku: &str) -> bool {
        if self.raw == sku {
            return true;
        }
        let Some(gtin) = &self.gtin else {
            return false;
        };
        let digits = !sku.is_empty() && sku.bytes().all(|b| b.is_ascii_digit());
        gtin == sku || (digits && sku.len() < 14 && format!("{sku:0>14}") == *gtin)
    }

    /// Units one scan stands for: a carton's count, else one.
    pub fn units(&self) -> i64 {
        self.count.map_or(1, i64::from)
    }

    /// The lot id as scanned, in the hub's form (`LOT@YYYY-MM-DD` when an
    /// expiry was read).
    pub fn lot_id(&self) -> Option<String> {
        match (&self.lot, self.expiry) {
            (lot, Some(day)) => Some(format!("{}@{}", lot.as_deref().unwrap_or(""), day.iso())),
            (lot, None) => lot.clone(),
        }
    }
}

/// The lot a movement of scanned goods records against a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotChoice {
    /// What the movement names.
    pub lot: Option<String>,
    /// Its last good day, if the scan or the lot id tells it.
    pub expiry: Option<Day>,
    /// Set when the goods are not the suggested lot: a note for the
    /// picker. Suggestions are advice (the hub notes a deviation and never
    /// refuses one), so another lot is recorded as scanned.
    pub deviation: Option<String>,
}

/// The lot to record for `goods` on a line suggesting `suggested`.
///
/// The suggestion is recorded whenever the scan agrees with it or says
/// nothing (a plain SKU label is taken from the suggested stock); a scan
/// naming another lot, or the same lot with another expiry, is recorded
/// as scanned, with a note.
pub fn choose_lot(goods: &Goods, suggested: Option<&str>) -> LotChoice {
    let scanned = goods.lot_id();
    let Some(suggested) = suggested else {
        return LotChoice {
            expiry: goods.expiry,
            lot: scanned,
            deviation: None,
        };
    };
    let suggested_part = lot_part(suggested);
    let agrees = match (&goods.lot, goods.expiry) {
        (None, None) => true,
        (None, Some(day)) => Day::of_lot(suggested).is_none_or(|d| d == day),
        (Some(lot), expiry) => {
            lot == suggested_part && expiry.is_none_or(|d| Day::of_lot(suggested) == Some(d))
        }
    };
    if agrees {
        return LotChoice {
            lot: Some(suggested.to_string()),
            expiry: goods.expiry.or_else(|| Day::of_lot(suggested)),
            deviation: None,
        };
    }
    let shown = scanned.clone().unwrap_or_default();
    LotChoice {
        lot: scanned,
        expiry: goods.expiry,
        deviation: Some(format!("lot {shown} is not the suggested {suggested}")),
    }
}

/// A lot id without its `@YYYY-MM-DD` expiry.
fn lot_part(lot: &str) -> &str {
    match lot.rsplit_once('@') {
        Some((part, date)) if Day::parse_iso(date).is_some() => part,
        _ => lot,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GTIN: &str = "09506000134352";

    fn goods(text: &str) -> Goods {
        match read(text) {
            ReadAs::Goods(g) => g,
            other => panic!("{text:?} read as {other:?}"),
        }
    }

    #[test]
    fn reads_name_goods_locations_or_refusals() {
        assert_eq!(read("LOC:A-01"), ReadAs::Location("A-01".into()));
        assert!(matches!(read("MODE:pick"), ReadAs::Refused(_)));
        assert!(matches!(
            read("]C100106141411234567897"),
            ReadAs::Refused(_)
        ));
        assert!(matches!(read("]C10109506000134353"), ReadAs::Refused(_)));
        let tea = goods("TEA");
        assert!(tea.is("TEA") && !tea.is("TEAS") && tea.gtin.is_none());
        // Digits with a bad check digit are still a plain SKU label.
        assert!(goods("12345678").is("12345678"));
        let carton = goods("]C1010950600013435217270900\u{1d}10L9\u{1d}376");
        assert!(carton.is(GTIN) && carton.is("9506000134352"));
        assert_eq!(carton.units(), 6);
        assert_eq!(carton.lot_id().as_deref(), Some("L9@2027-09-30"));
        assert!(goods("]E09506000134352").is("9506000134352"));
    }

    #[test]
    fn lots_follow_the_suggestion_unless_the_scan_says_otherwise() {
        let exact = goods("]C1010950600013435217270930\u{1d}10L9");
        let lot_only = goods("]C1010950600013435210L9");
        let other = goods("]C1010950600013435217270930\u{1d}10L8");
        let plain = goods(GTIN);
        let s = Some("L9@2027-09-30");
        let day = Day::new(2027, 9, 30);
        for g in [&exact, &lot_only, &plain] {
            let c = choose_lot(g, s);
            assert_eq!((c.lot.as_deref(), c.expiry, c.deviation), (s, day, None));
        }
        let c = choose_lot(&other, s);
        assert_eq!(c.lot.as_deref(), Some("L8@2027-09-30"));
        assert_eq!(
            c.deviation.as_deref(),
            Some("lot L8@2027-09-30 is not the suggested L9@2027-09-30")
        );
        let c = choose_lot(&lot_only, None);
        assert_eq!((c.lot.as_deref(), c.expiry), (Some("L9"), None));
        assert_eq!(choose_lot(&plain, Some("L9")).lot.as_deref(), Some("L9"));
    }
}
