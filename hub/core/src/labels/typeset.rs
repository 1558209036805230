//! Setting a label's text and barcode into their areas: the layout under
//! construction ([`Page`]), word wrapping by the font's metrics, the choice
//! of a smaller size when a field is long, and the barcode's module width.
//! Kept apart from [`super::layout`] so the label's design (what goes
//! where) reads in one place and these mechanics in another.

use super::code128::Code128;
use super::font::{advance, text_width};
use super::layout::{Barcode, Element, Layout, Rect, Rule, Text, QUIET_MODULES, TEXT_WIDTH};

/// The widest module the barcode uses, in dots (0.5 mm at 203 dpi).
const MAX_MODULE: u32 = 4;
/// Height of the barcode's human-readable line.
const BARCODE_TEXT_HEIGHT: u32 = 32;

/// A layout being built, and the fields cut off so far.
pub(crate) struct Page {
    layout: Layout,
    clipped: Vec<&'static str>,
}

impl Page {
    /// An empty page of this size, in dots.
    pub(crate) fn new(width: u32, height: u32) -> Page {
        let elements = Vec::new();
        let layout = Layout {
            width,
            height,
            elements,
        };
        Page {
            layout,
            clipped: Vec::new(),
        }
    }

    /// The layout and the fields that were cut off, in the order met.
    pub(crate) fn finish(self) -> (Layout, Vec<&'static str>) {
        (self.layout, self.clipped)
    }

    /// One line of text, placed as given.
    pub(crate) fn text(&mut self, x: u32, y: u32, height: u32, text: &str) {
        let text = Text {
            x,
            y,
            height,
            text: text.to_string(),
        };
        self.layout.elements.push(Element::Text(text));
    }

    /// A line or box outline.
    pub(crate) fn rule(&mut self, rect: Rect, thickness: u32) {
        self.layout
            .elements
            .push(Element::Rule(Rule { rect, thickness }));
    }

    /// Sets paragraphs one under the other in `area`, wrapped, at the
    /// first of `heights` (largest first) at which all of them fit; at the
    /// last height, lines past the area are cut off and `field` noted.
    /// Returns the bottom of the last line set.
    pub(crate) fn stack(
        &mut self,
        field: &'static str,
        paragraphs: &[&str],
        heights: &[u32],
        area: Rect,
    ) -> u32 {
        let paragraphs: Vec<&str> = paragraphs
            .iter()
            .copied()
            .filter(|p| !p.trim().is_empty())
            .collect();
        let mut chosen = (heights[heights.len() - 1], Vec::new());
        for &height in heights {
            let lines: Vec<String> = paragraphs
                .iter()
                .flat_map(|p| wrap(p, height, area.width))
                .collect();
            let fits = lines_height(lines.len() as u32, height) <= area.height;
            chosen = (height, lines);
            if fits {
                break;
            }
        }
        let (height, lines) = chosen;
        let mut y = area.y;
        for (i, line) in lines.iter().enumerate() {
            if y + height > area.y + area.height || text_width(line, height) > area.width {
                self.clipped.push(field);
                break;
            }
            self.text(area.x, y, height, line);
            y += if i + 1 < lines.len() {
                line_pitch(height)
            } else {
                height
            };
        }
        y
    }

    /// The tracking number's barcode, centred on the page, at the widest
    /// module that keeps its quiet zones inside the text width. Data Code
    /// 128 cannot carry, or too long to fit, leaves no barcode and notes
    /// the tracking number as cut off.
    pub(crate) fn barcode(&mut self, tracking: &str, y: u32, height: u32) {
        let Ok(symbol) = Code128::encode(tracking) else {
            self.clipped.push("tracking number");
            return;
        };
        let modules = symbol.module_count() as u32;
        let with_quiet = modules + 2 * QUIET_MODULES;
        let Some(module) = (1..=MAX_MODULE)
            .rev()
            .find(|m| with_quiet * m <= TEXT_WIDTH)
        else {
            self.clipped.push("tracking number");
            return;
        };
        let x = (self.layout.width - modules * module) / 2;
        let text_height = BARCODE_TEXT_HEIGHT;
        let barcode = Barcode {
            x,
            y,
            module,
            height,
            text_height,
            symbol,
        };
        self.layout.elements.push(Element::Barcode(barcode));
    }
}

/// Distance from one line's top to the next's at this height.
fn line_pitch(height: u32) -> u32 {
    height + height / 4
}

/// Height taken by `lines` lines at this height (no gap after the last).
fn lines_height(lines: u32, height: u32) -> u32 {
    match lines {
        0 => 0,
        n => (n - 1) * line_pitch(height) + height,
    }
}

/// Breaks text into lines no wider than `width` at this height: at spaces
/// where it can, inside a word (or a run of CJK, which has no spaces) where
/// it must. Runs of spaces become one.
pub fn wrap(text: &str, height: u32, width: u32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if text_width(&candidate, height) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            if !line.is_empty() && text_width(&line, height) + advance(c, height) > width {
                lines.push(std::mem::take(&mut line));
            }
            line.push(c);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
