//! The standard layout: everything on the page, nothing cut off for an
//! ordinary label, long fields set smaller, then refused.

use super::*;
use crate::labels::label::tests::sample;
use crate::labels::typeset::wrap;

fn within_page(layout: &Layout) {
    for element in &layout.elements {
        let (x, y, w, h) = match element {
            Element::Text(t) => (t.x, t.y, text_width(&t.text, t.height), t.height),
            Element::Rule(r) => (r.rect.x, r.rect.y, r.rect.width, r.rect.height),
            Element::Barcode(b) => (b.x, b.y, b.width(), b.text_y() + b.text_height - b.y),
        };
        assert!(x + w <= PAGE_WIDTH && y + h <= PAGE_HEIGHT, "{element:?}");
    }
}

#[test]
fn sample_label_fits_in_full() {
    let data = sample();
    let layout = checked_layout(&data).unwrap();
    assert_eq!((layout.width, layout.height), (800, 1200));
    within_page(&layout);
    let texts: Vec<&str> = layout.texts().map(|t| t.text.as_str()).collect();
    for expected in [
        "SF Express",
        "EXPRESS",
        "Li Wei",
        "ORDER A-1001 #1042",
        "12/100",
        "BATCH B-7",
    ] {
        assert!(texts.contains(&expected), "{expected} in {texts:?}");
    }
    let name = layout.texts().find(|t| t.text == "Li Wei").unwrap();
    assert_eq!(name.height, 64, "the recipient's name is the biggest text");
}

#[test]
fn barcode_is_centred_with_quiet_zones() {
    let layout = layout(&sample());
    let barcode = layout.barcode().unwrap();
    assert_eq!(barcode.symbol.text(), "SF1234567890");
    // Start B, S, F, Code C, five digit pairs, check: 10 symbols of 11
    // modules, then the 13-module stop: 123 modules; at 4 dots a module
    // (123 + 20) * 4 = 572 <= 736, at 5 it would not fit.
    assert_eq!(barcode.module, 4);
    assert_eq!(barcode.width(), 123 * 4);
    assert_eq!(barcode.x, (800 - 492) / 2);
    let quiet = QUIET_MODULES * barcode.module;
    assert!(barcode.x - quiet >= LEFT && barcode.x + barcode.width() + quiet <= PAGE_WIDTH - LEFT);
}

#[test]
fn longest_tracking_number_still_gets_a_barcode() {
    let mut data = sample();
    data.tracking_number = "AB".repeat(20);
    let layout = checked_layout(&data).unwrap();
    let barcode = layout.barcode().unwrap();
    assert_eq!(barcode.module, 1);
    within_page(&layout);
}

#[test]
fn long_addresses_are_wrapped_and_set_smaller() {
    let mut data = sample();
    data.recipient.address = vec!["Room 1201 Building 10 ".repeat(8)];
    let layout = checked_layout(&data).unwrap();
    within_page(&layout);
    let below_phone = |t: &&Text| t.y >= 490 && t.y < RECIPIENT_BOX.y + RECIPIENT_BOX.height;
    let address: Vec<&Text> = layout.texts().filter(below_phone).collect();
    assert!(address.len() > 2);
    assert!(address.iter().all(|t| t.height < 40));
}

#[test]
fn what_cannot_fit_is_refused_but_still_drawn_inside_the_page() {
    let mut data = sample();
    data.recipient.address = vec!["\u{6df1}\u{5733}".repeat(400)];
    assert_eq!(
        checked_layout(&data),
        Err(LabelError::DoesNotFit("recipient address"))
    );
    let layout = layout(&data);
    within_page(&layout);
    let bottom = RECIPIENT_BOX.y + RECIPIENT_BOX.height;
    assert!(layout
        .texts()
        .all(|t| !t.text.starts_with('\u{6df1}') || t.y + t.height <= bottom));
}

#[test]
fn invalid_data_is_refused_before_layout() {
    let mut data = sample();
    data.tracking_number = "SF-1".into();
    assert!(matches!(
        checked_layout(&data),
        Err(LabelError::TrackingNumberChar { .. })
    ));
    assert!(
        layout(&data).barcode().is_some(),
        "Code 128 can carry '-'; only validation refuses it"
    );
    data.tracking_number = "\u{e9}".into();
    assert!(layout(&data).barcode().is_none());
}

#[test]
fn wrapping() {
    // At height 24 a printable character is 18 dots wide.
    let cases: &[(&str, u32, &[&str])] = &[
        ("ab cd ef", 18 * 5, &["ab cd", "ef"]),
        ("abcdefgh", 18 * 3, &["abc", "def", "gh"]),
        ("a  b", 18 * 10, &["a b"]),
        ("", 100, &[]),
        // CJK previews 24 dots wide, so three fit in 72.
        (
            "\u{6df1}\u{5733}\u{5e02}\u{5357}",
            72,
            &["\u{6df1}\u{5733}\u{5e02}", "\u{5357}"],
        ),
    ];
    for (text, width, expected) in cases {
        assert_eq!(wrap(text, 24, *width), *expected, "{text:?}");
    }
}
