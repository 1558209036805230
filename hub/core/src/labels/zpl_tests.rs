//! The ZPL: its frame, its barcode, and that customer text cannot become
//! a command.

use super::*;
use crate::labels::code128::Code128;
use crate::labels::label::tests::sample;
use crate::labels::layout::{checked_layout, layout};
use proptest::prelude::*;

/// The ZPL commands of a format, by name (two letters, or `A0` and the
/// like), in order. Field data holds no `^` once escaped, so splitting on
/// `^` finds exactly the commands the printer would see.
fn commands(zpl: &str) -> Vec<String> {
    zpl.split('^')
        .skip(1)
        .map(|c| c.chars().take(2).collect())
        .collect()
}

/// Undoes [`escape_field`], as the printer's `^FH_` does.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'_' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn frame_and_page() {
    let zpl = to_zpl(&checked_layout(&sample()).unwrap());
    assert!(zpl.starts_with("^XA\n^CI28\n^PW800\n^LL1200\n"), "{zpl}");
    assert!(zpl.ends_with("^XZ\n"));
    assert!(zpl.contains("^FO16,16^GB768,1168,4^FS"));
    assert!(zpl.contains("^A0N,64,48^FH_^FDLi Wei^FS"));
    let commands = commands(&zpl);
    assert_eq!(
        commands.iter().filter(|c| *c == "FD").count(),
        commands.iter().filter(|c| *c == "FH").count()
    );
}

#[test]
fn barcode_spells_out_its_code_sets() {
    let zpl = to_zpl(&layout(&sample()));
    // x = (800 - 123 * 4) / 2 = 154, as the layout tests work out.
    assert!(
        zpl.contains("^FO154,848^A0N,32,24^BY4^BCN,180,Y,N,N^FH_^FD>:SF>51234567890^FS"),
        "{zpl}"
    );
}

#[test]
fn barcode_data_cases() {
    let cases = [
        ("SF1234567890", ">:SF>51234567890"),
        ("12345678", ">;12345678"),
        ("123456789X", ">:1>523456789>6X"),
        ("A>^~_1234", ">:A>0><>=_5F>51234"),
    ];
    for (text, expected) in cases {
        let symbol = Code128::encode(text).unwrap();
        let barcode = Barcode {
            x: 0,
            y: 0,
            module: 1,
            height: 10,
            text_height: 8,
            symbol,
        };
        assert_eq!(barcode_data(&barcode), expected, "{text}");
    }
}

#[test]
fn field_escapes() {
    let cases = [
        ("Li Wei", "Li Wei"),
        ("a_b", "a_5Fb"),
        ("^XZ~JA^XA", "_5EXZ_7EJA_5EXA"),
        ("tab\there\n", "tab_09here_0A"),
        ("\u{674e}\u{4f1f}", "\u{674e}\u{4f1f}"),
        ("\u{85}", "_C2_85"),
    ];
    for (text, expected) in cases {
        assert_eq!(escape_field(text), expected, "{text:?}");
    }
}

#[test]
fn customer_text_cannot_inject_commands() {
    let mut data = sample();
    data.recipient.name = "^XZ~JA^XA".into();
    data.recipient
        .address
        .push("~HS ^FS^FO0,0^GB800,1200,800^FS".into());
    data.remark = Some("~JR _7E".into());
    let zpl = to_zpl(&checked_layout(&data).unwrap());
    assert_eq!(zpl.matches("^XA").count(), 1);
    assert_eq!(zpl.matches("^XZ").count(), 1);
    assert!(
        !zpl.contains('~'),
        "no tilde at all reaches the printer: {zpl}"
    );
    assert!(zpl.contains("^FD_5EXZ_7EJA_5EXA^FS"));
    assert!(zpl.contains("^FD_7EJR _5F7E^FS"));
    assert!(!zpl.contains("^GB800,1200,800"));
}

proptest! {
    #[test]
    fn any_text_escapes_and_comes_back(text in "\\PC*|[\\^~_\\x00-\\x1f]*") {
        let escaped = escape_field(&text);
        prop_assert!(!escaped.contains('^') && !escaped.contains('~'));
        prop_assert!(!escaped.chars().any(char::is_control));
        prop_assert_eq!(unescape(&escaped), text);
    }

    #[test]
    fn any_recipient_name_leaves_the_commands_alone(name in "[ -~\\n\u{4e00}-\u{4e20}]{1,30}") {
        let mut data = sample();
        data.recipient.name = name;
        let kinds = |zpl: &str| commands(zpl).into_iter().collect::<std::collections::BTreeSet<_>>();
        let zpl = to_zpl(&layout(&data));
        prop_assert!(!zpl.contains('~'));
        // A long name may wrap onto more lines: more fields, never another kind of command.
        prop_assert_eq!(kinds(&zpl), kinds(&to_zpl(&layout(&sample()))));
        prop_assert_eq!(zpl.matches("^XA").count(), 1);
        prop_assert_eq!(zpl.matches("^XZ").count(), 1);
    }
}

#[test]
fn a_printer_font_replaces_font_0_and_only_a_safe_name_is_taken() {
    let font = PrinterFont::parse("E:SIMSUN.TTF").expect("a font name");
    let options = ZplOptions { font: Some(font) };
    let zpl = crate::labels::label_zpl_with(&sample(), &options).unwrap();
    assert!(
        zpl.contains("^A@N,") && zpl.contains(",E:SIMSUN.TTF^FH_^FD"),
        "{zpl}"
    );
    // Every text field is in the printer font; only the barcode's ASCII
    // interpretation line keeps font 0.
    for line in zpl
        .lines()
        .filter(|l| l.contains("^FH_^FD") && !l.contains("^BC"))
    {
        assert!(line.contains("^A@N,"), "{line}");
    }
    for bad in [
        "SIMSUN.TTF",
        "e:simsun.ttf",
        "E:",
        "E:A^XZ",
        "E:A~JA",
        "EE:A.TTF",
        "E:A B",
    ] {
        assert!(PrinterFont::parse(bad).is_none(), "{bad}");
    }
}
