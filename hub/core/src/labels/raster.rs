//! The label drawn as a 1-bit bitmap, black on white, dot for dot as the
//! 203 dpi printer would: the preview packers and operators see before a
//! batch prints. Drawn from the same [`Layout`] as the ZPL.
//!
//! Text uses the embedded font ([`super::font`]), so the preview needs no
//! font files; characters outside printable ASCII (CJK names, accented
//! letters) show as hollow boxes of the right size. The printer renders
//! them with its own font from the ZPL; the preview shows where they go
//! and that nothing overflows. Rules and barcode modules are exact.

use super::font::{advance, glyph, scale, text_width, Glyph, CELL_HEIGHT};
use super::layout::{Barcode, Element, Layout, Rule, Text};

/// A 1-bit image: rows of packed bits, most significant bit leftmost,
/// 1 for black (ink).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    width: u32,
    height: u32,
    stride: usize,
    bits: Vec<u8>,
}

impl Bitmap {
    /// An all-white bitmap.
    pub fn new(width: u32, height: u32) -> Bitmap {
        let stride = (width as usize).div_ceil(8);
        let bits = vec![0; stride * height as usize];
        Bitmap {
            width,
            height,
            stride,
            bits,
        }
    }

    /// Width in dots.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in dots.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// One row's packed bits (1 = black), `ceil(width / 8)` bytes.
    pub fn row(&self, y: u32) -> &[u8] {
        let start = y as usize * self.stride;
        &self.bits[start..start + self.stride]
    }

    /// Whether the dot is black; dots outside the bitmap are white.
    pub fn is_black(&self, x: u32, y: u32) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        self.row(y)[x as usize / 8] & (0x80 >> (x % 8)) != 0
    }

    /// Blackens a rectangle, clipped to the bitmap.
    pub fn fill(&mut self, x: u32, y: u32, width: u32, height: u32) {
        let x_end = x.saturating_add(width).min(self.width);
        let y_end = y.saturating_add(height).min(self.height);
        for row in y.min(y_end)..y_end {
            let start = row as usize * self.stride;
            for col in x.min(x_end)..x_end {
                self.bits[start + col as usize / 8] |= 0x80 >> (col % 8);
            }
        }
    }
}

/// Draws the layout on a white page of its size.
pub fn render(layout: &Layout) -> Bitmap {
    let mut bitmap = Bitmap::new(layout.width, layout.height);
    for element in &layout.elements {
        match element {
            Element::Text(text) => draw_text(&mut bitmap, text),
            Element::Rule(rule) => draw_rule(&mut bitmap, rule),
            Element::Barcode(barcode) => draw_barcode(&mut bitmap, barcode),
        }
    }
    bitmap
}

/// A box outline whose border grows inward; like ZPL's `^GB`, a box
/// narrower or lower than its border is widened to the border.
fn draw_rule(bitmap: &mut Bitmap, rule: &Rule) {
    let t = rule.thickness;
    let (x, y) = (rule.rect.x, rule.rect.y);
    let (w, h) = (rule.rect.width.max(t), rule.rect.height.max(t));
    bitmap.fill(x, y, w, t);
    bitmap.fill(x, y + h - t, w, t);
    bitmap.fill(x, y, t, h);
    bitmap.fill(x + w - t, y, t, h);
}

/// A line of text: each glyph's dots as squares of the text's scale.
fn draw_text(bitmap: &mut Bitmap, text: &Text) {
    draw_line(bitmap, text.x, text.y, text.height, &text.text);
}

fn draw_line(bitmap: &mut Bitmap, x: u32, y: u32, height: u32, text: &str) {
    let s = scale(height);
    let mut pen = x;
    for c in text.chars() {
        match glyph(c) {
            Glyph::Columns(columns) => {
                for (col, bits) in (0u32..).zip(columns) {
                    for row in (0..CELL_HEIGHT).filter(|r| bits & (1 << r) != 0) {
                        bitmap.fill(pen + col * s, y + row * s, s, s);
                    }
                }
            }
            Glyph::Hollow => {
                let rule = Rule {
                    rect: super::layout::Rect::new(pen + s, y, 6 * s, 7 * s),
                    thickness: s,
                };
                draw_rule(bitmap, &rule);
            }
        }
        pen += advance(c, height);
    }
}

/// The bars, module by module, and the human-readable line centred under
/// them.
fn draw_barcode(bitmap: &mut Bitmap, barcode: &Barcode) {
    let m = barcode.module;
    for (i, bar) in (0u32..).zip(barcode.symbol.modules()) {
        if bar {
            bitmap.fill(barcode.x + i * m, barcode.y, m, barcode.height);
        }
    }
    let text = barcode.symbol.text();
    let width = text_width(text, barcode.text_height);
    let x = (barcode.x + barcode.width() / 2).saturating_sub(width / 2);
    draw_line(bitmap, x, barcode.text_y(), barcode.text_height, text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::layout::Rect;

    #[test]
    fn fill_clips_and_packs_msb_first() {
        let mut bitmap = Bitmap::new(10, 3);
        bitmap.fill(1, 1, 100, 100);
        assert_eq!(bitmap.row(0), &[0, 0]);
        assert_eq!(bitmap.row(1), &[0b0111_1111, 0b1100_0000]);
        assert!(bitmap.is_black(9, 2) && !bitmap.is_black(0, 2) && !bitmap.is_black(10, 2));
    }

    #[test]
    fn rules_glyphs_and_hollow_boxes() {
        let mut bitmap = Bitmap::new(40, 20);
        draw_rule(
            &mut bitmap,
            &Rule {
                rect: Rect::new(0, 0, 10, 6),
                thickness: 2,
            },
        );
        assert!(bitmap.is_black(0, 0) && bitmap.is_black(9, 5) && bitmap.is_black(1, 3));
        assert!(!bitmap.is_black(4, 3), "the inside stays white");
        let mut bitmap = Bitmap::new(40, 20);
        draw_line(&mut bitmap, 0, 0, 8, "I\u{4e2d}");
        // 'I' is 0x41 0x7F 0x41 at columns 1..=3: a full stem in column 2.
        assert!((0..7).all(|y| bitmap.is_black(2, y)));
        assert!(!bitmap.is_black(2, 7));
        // The hollow box starts one dot into the next cell (x = 6 + 1).
        assert!(bitmap.is_black(7, 0) && bitmap.is_black(12, 6) && !bitmap.is_black(9, 3));
    }
}
