//! The preview read back by someone else's PNG decoder: the right size and
//! format, the barcode scannable from one row of pixels, the recipient's
//! name inked inside its box; and the ZPL and preview from one layout.

use super::code128::decode_modules;
use super::label::tests::sample;
use super::layout::{layout, RECIPIENT_BOX};
use super::*;

/// Decodes a PNG with the `png` crate: (width, height, bit depth, colour
/// type, one byte per pixel, 0 black and 1 white).
fn decode(bytes: &[u8]) -> (u32, u32, ::png::BitDepth, ::png::ColorType, Vec<u8>) {
    let decoder = ::png::Decoder::new(bytes);
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    let (w, h) = (info.width, info.height);
    let mut pixels = Vec::with_capacity((w * h) as usize);
    for row in buf.chunks(info.line_size).take(h as usize) {
        pixels.extend((0..w).map(|x| (row[x as usize / 8] >> (7 - x % 8)) & 1));
    }
    (w, h, info.bit_depth, info.color_type, pixels)
}

#[test]
fn preview_decodes_as_800_by_1200_one_bit_grayscale() {
    let (w, h, depth, colour, pixels) = decode(&preview_png(&sample()).unwrap());
    assert_eq!((w, h), (800, 1200));
    assert_eq!(depth, ::png::BitDepth::One);
    assert_eq!(colour, ::png::ColorType::Grayscale);
    assert_eq!(pixels[0], 1, "the corner is white");
    assert_eq!(pixels[16 * 800 + 16], 0, "the frame is black");
}

#[test]
fn barcode_reads_back_from_one_row_of_the_png() {
    let data = sample();
    let (w, _, _, _, pixels) = decode(&preview_png(&data).unwrap());
    let barcode = layout(&data).barcode().unwrap().clone();
    let y = barcode.y + barcode.height / 2;
    let row = &pixels[(y * w) as usize..((y + 1) * w) as usize];
    // Sample each module's centre across the barcode and its quiet zones.
    let quiet = layout::QUIET_MODULES * barcode.module;
    let (start, end) = (barcode.x - quiet, barcode.x + barcode.width() + quiet);
    let modules: Vec<bool> = (start..end)
        .step_by(barcode.module as usize)
        .map(|x| row[(x + barcode.module / 2) as usize] == 0)
        .collect();
    assert_eq!(decode_modules(&modules).unwrap(), "SF1234567890");
    assert!(!modules[..10].iter().any(|m| *m), "quiet zone left");
    assert!(
        !modules[modules.len() - 10..].iter().any(|m| *m),
        "quiet zone right"
    );
}

#[test]
fn recipient_name_is_inked_inside_its_box() {
    let data = sample();
    let (w, _, _, _, pixels) = decode(&preview_png(&data).unwrap());
    let layout = layout(&data);
    let name = layout.texts().find(|t| t.text == "Li Wei").unwrap();
    let inside = |x: u32, y: u32| {
        let b = RECIPIENT_BOX;
        x > b.x + 8 && x < b.x + b.width - 8 && y > b.y + 8 && y < b.y + b.height - 8
    };
    let width = font::text_width(&name.text, name.height);
    let inked = (name.y..name.y + name.height)
        .flat_map(|y| (name.x..name.x + width).map(move |x| (x, y)))
        .filter(|&(x, y)| pixels[(y * w + x) as usize] == 0)
        .inspect(|&(x, y)| assert!(inside(x, y), "({x}, {y}) outside the box"))
        .count();
    // "Li Wei" at scale 8: well over a thousand dots of ink, far from all.
    assert!(
        inked > 1_000 && inked < (width * name.height / 2) as usize,
        "{inked}"
    );
}

#[test]
fn cjk_names_preview_as_boxes_and_print_as_text() {
    let mut data = sample();
    data.recipient.name = "\u{674e}\u{4f1f}".into();
    let zpl = label_zpl(&data).unwrap();
    assert!(zpl.contains("^FD\u{674e}\u{4f1f}^FS"));
    let (w, _, _, _, pixels) = decode(&preview_png(&data).unwrap());
    // The first box's top edge: scale 8, one dot of scale in from x = 32.
    let (x, y) = (32 + 8, 384);
    assert!((x..x + 48).all(|x| pixels[(y * w + x) as usize] == 0));
    assert_eq!(pixels[((y + 24) * w + x + 24) as usize], 1, "hollow");
}

#[test]
fn zpl_and_preview_agree_on_the_barcode() {
    let data = sample();
    let layout = layout(&data);
    let barcode = layout.barcode().unwrap();
    let zpl = label_zpl(&data).unwrap();
    let field = format!("^FO{},{}", barcode.x, barcode.y);
    assert!(zpl.contains(&format!(
        "{field}^A0N,32,24^BY{}^BCN,{},Y,N,N",
        barcode.module, barcode.height
    )));
    let bitmap = raster::render(&layout);
    let y = barcode.y + 1;
    assert!(
        bitmap.is_black(barcode.x, y),
        "the start symbol's first bar at ^FO"
    );
    assert!(!bitmap.is_black(barcode.x - 1, y));
    assert!(
        bitmap.is_black(barcode.x + barcode.width() - 1, y),
        "the stop's last bar"
    );
    assert!(!bitmap.is_black(barcode.x + barcode.width(), y));
}

#[test]
fn refused_data_makes_neither() {
    let mut data = sample();
    data.tracking_number = "SF 1".into();
    assert!(label_zpl(&data).is_err());
    assert_eq!(
        label_zpl(&data).unwrap_err(),
        preview_png(&data).unwrap_err()
    );
}
