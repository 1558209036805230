//! The label as ZPL II, the language of the station's thermal printers.
//! Made from the same [`Layout`] as the preview, element by element.
//!
//! Customer text (names, addresses, remarks) goes into field data, where a
//! `^` would start a command and a `~` run one at once, even mid-label: a
//! name like `^XZ~JA^XA` must print as written, never end the label or
//! cancel the printer's queue. So every field is sent with `^FH_` and the
//! characters `^`, `~`, `_` (the escape itself) and every control character
//! are written as `_` and two hex digits per UTF-8 byte. The barcode's
//! code sets are spelled out with `^BC`'s invocation codes (`>:` start B,
//! `>;` start C, `>5` to C, `>6` to B), so the printer draws exactly the
//! symbol the preview draws instead of choosing its own.

use super::code128::CodeSet;
use super::font::{CELL_HEIGHT, CELL_WIDTH};
use super::layout::{Barcode, Element, Layout, Rule, Text};
use std::fmt::Write;

/// The character `^FH` is told marks a hex escape.
const HEX_INDICATOR: char = '_';

/// A font stored on the printer, by its ZPL name (`E:SIMSUN.TTF`): what
/// prints Chinese names, which the printer's built-in font 0 cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterFont(String);

impl PrinterFont {
    /// A drive letter, `:`, then 1 to 32 of `A-Z`, `0-9`, `_`, `.`, `-`
    /// (nothing that could end a command); None otherwise.
    pub fn parse(name: &str) -> Option<PrinterFont> {
        let (drive, file) = name.split_once(':')?;
        let drive_ok = drive.len() == 1 && drive.bytes().all(|b| b.is_ascii_uppercase());
        let file_ok = (1..=32).contains(&file.len())
            && file
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b"_.-".contains(&b));
        (drive_ok && file_ok).then(|| PrinterFont(name.to_string()))
    }
}

/// How the ZPL is written for a site's printers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZplOptions {
    /// Text in this printer font instead of font 0 (needed for CJK).
    pub font: Option<PrinterFont>,
}

/// The label as one ZPL II format: `^XA`, UTF-8 (`^CI28`), the page size,
/// every element in order, `^XZ`.
pub fn to_zpl(layout: &Layout) -> String {
    to_zpl_with(layout, &ZplOptions::default())
}

/// [`to_zpl`] with the site's options.
pub fn to_zpl_with(layout: &Layout, options: &ZplOptions) -> String {
    let mut zpl = String::new();
    zpl.push_str("^XA\n^CI28\n");
    let _ = writeln!(zpl, "^PW{}\n^LL{}", layout.width, layout.height);
    for element in &layout.elements {
        match element {
            Element::Text(text) => write_text(&mut zpl, text, options),
            Element::Rule(rule) => write_rule(&mut zpl, rule),
            Element::Barcode(barcode) => write_barcode(&mut zpl, barcode),
        }
    }
    zpl.push_str("^XZ\n");
    zpl
}

/// The font command for text of this height: font 0 (or the site's
/// printer font) with the preview's cell proportions, so no glyph is
/// wider than the preview's cell.
fn font(height: u32, options: &ZplOptions) -> String {
    let width = height * CELL_WIDTH / CELL_HEIGHT;
    match &options.font {
        None => format!("^A0N,{height},{width}"),
        Some(PrinterFont(name)) => format!("^A@N,{height},{width},{name}"),
    }
}

fn write_text(zpl: &mut String, text: &Text, options: &ZplOptions) {
    let font = font(text.height, options);
    let data = escape_field(&text.text);
    let _ = writeln!(zpl, "^FO{},{}{font}^FH_^FD{data}^FS", text.x, text.y);
}

/// A graphic box. ZPL widens a box thinner than its border to the border;
/// the preview does the same.
fn write_rule(zpl: &mut String, rule: &Rule) {
    let r = rule.rect;
    let _ = writeln!(
        zpl,
        "^FO{},{}^GB{},{},{}^FS",
        r.x, r.y, r.width, r.height, rule.thickness
    );
}

/// The barcode, with its human-readable line below it in font 0.
fn write_barcode(zpl: &mut String, barcode: &Barcode) {
    // The interpretation line is ASCII: the built-in font prints it.
    let font = font(barcode.text_height, &ZplOptions::default());
    let data = barcode_data(barcode);
    let (x, y, module, height) = (barcode.x, barcode.y, barcode.module, barcode.height);
    let _ = writeln!(
        zpl,
        "^FO{x},{y}{font}^BY{module}^BCN,{height},Y,N,N^FH_^FD{data}^FS"
    );
}

/// The barcode's field data: each run's start or switch invocation code,
/// then its characters; in set B, `>` `^` `~` by their invocation codes
/// (as `^BC` requires) and `_` hex-escaped (as `^FH_` requires).
pub fn barcode_data(barcode: &Barcode) -> String {
    let mut data = String::new();
    for (i, segment) in barcode.symbol.segments().iter().enumerate() {
        data.push_str(match (i, segment.set) {
            (0, CodeSet::B) => ">:",
            (0, CodeSet::C) => ">;",
            (_, CodeSet::B) => ">6",
            (_, CodeSet::C) => ">5",
        });
        for c in segment.text.chars() {
            match c {
                '>' => data.push_str(">0"),
                '^' => data.push_str("><"),
                '~' => data.push_str(">="),
                HEX_INDICATOR => data.push_str("_5F"),
                _ => data.push(c),
            }
        }
    }
    data
}

/// Field data for `^FH_^FD`: `^`, `~`, `_` and control characters as `_`
/// and two hex digits per UTF-8 byte, everything else (UTF-8 included,
/// under `^CI28`) as it is.
pub fn escape_field(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '^' | '~' | HEX_INDICATOR) || c.is_control() {
            let mut utf8 = [0u8; 4];
            for byte in c.encode_utf8(&mut utf8).bytes() {
                let _ = write!(escaped, "{HEX_INDICATOR}{byte:02X}");
            }
        } else {
            escaped.push(c);
        }
    }
    escaped
}

#[cfg(test)]
#[path = "zpl_tests.rs"]
mod tests;
