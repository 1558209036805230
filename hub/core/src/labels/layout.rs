//! Where everything goes on the label, in printer dots: the one
//! description both the ZPL ([`super::zpl`]) and the preview
//! ([`super::raster`]) are made from, so what the packer previews is what
//! the printer prints.
//!
//! The page is 100 x 150 mm at 203 dpi (8 dots/mm): 800 x 1200 dots.
//! From the top: carrier and service, the sender, the recipient in a
//! heavy box (the biggest text, read from across the dock), the order
//! reference and remark, the tracking number's barcode, the position in
//! the print batch. Text is wrapped and, where a field is long, set
//! smaller; what still does not fit is cut off and named, so
//! [`checked_layout`] can refuse the label rather than print half an
//! address.

use super::code128::Code128;
use super::error::LabelError;
use super::font::text_width;
use super::label::{service_name, LabelData};
use super::typeset::Page;

/// Dots per millimetre at 203 dpi.
pub const DOTS_PER_MM: u32 = 8;
/// Page width: 100 mm.
pub const PAGE_WIDTH: u32 = 100 * DOTS_PER_MM;
/// Page height: 150 mm.
pub const PAGE_HEIGHT: u32 = 150 * DOTS_PER_MM;
/// Left edge of all text.
pub const LEFT: u32 = 32;
/// Width available to text (and to the barcode with its quiet zones).
pub const TEXT_WIDTH: u32 = PAGE_WIDTH - 2 * LEFT;
/// Quiet zone each side of the barcode, in modules (ISO/IEC 15417).
pub const QUIET_MODULES: u32 = 10;
/// The recipient's heavy box.
pub const RECIPIENT_BOX: Rect = Rect::new(16, 336, 768, 368);
/// Top of the bars.
const BARCODE_TOP: u32 = 848;
/// Height of the bars (22.5 mm).
const BARCODE_HEIGHT: u32 = 180;

/// A rectangle in dots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// One line of text; `y` is the top of its character cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Character height in dots.
    pub height: u32,
    /// The text, unescaped.
    pub text: String,
}

/// A line or a box outline (ZPL's graphic box): the border grows inward
/// from the outer rectangle, so a rule as thick as it is high is a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The outer rectangle.
    pub rect: Rect,
    /// Border thickness in dots.
    pub thickness: u32,
}

/// A Code 128 barcode with its human-readable line under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Barcode {
    /// Left edge of the first bar (the quiet zone is outside).
    pub x: u32,
    /// Top of the bars.
    pub y: u32,
    /// Width of one module in dots.
    pub module: u32,
    /// Height of the bars in dots.
    pub height: u32,
    /// Character height of the human-readable line.
    pub text_height: u32,
    /// The symbol.
    pub symbol: Code128,
}

impl Rect {
    /// A rectangle from its left, top, width and height.
    pub const fn new(x: u32, y: u32, width: u32, height: u32) -> Rect {
        Rect {
            x,
            y,
            width,
            height,
        }
    }
}

impl Barcode {
    /// Width of the bars in dots, without quiet zones.
    pub fn width(&self) -> u32 {
        self.symbol.module_count() as u32 * self.module
    }

    /// Top of the human-readable line.
    pub fn text_y(&self) -> u32 {
        self.y + self.height + self.text_height / 3
    }
}

/// One thing drawn on the label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Element {
    /// A line of text.
    Text(Text),
    /// A line or box.
    Rule(Rule),
    /// The barcode.
    Barcode(Barcode),
}

/// A whole label: the page and what is drawn on it, in drawing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Page width in dots.
    pub width: u32,
    /// Page height in dots.
    pub height: u32,
    /// What is drawn, in order.
    pub elements: Vec<Element>,
}

impl Layout {
    /// The barcode, if the label has one.
    pub fn barcode(&self) -> Option<&Barcode> {
        self.elements.iter().find_map(|e| match e {
            Element::Barcode(b) => Some(b),
            _ => None,
        })
    }

    /// The text lines, in order.
    pub fn texts(&self) -> impl Iterator<Item = &Text> {
        self.elements.iter().filter_map(|e| match e {
            Element::Text(t) => Some(t),
            _ => None,
        })
    }
}

/// The standard label for this data. Draws what it is given: a field that
/// does not fit is cut off and a tracking number Code 128 cannot carry
/// leaves no barcode; [`checked_layout`] refuses both.
pub fn layout(data: &LabelData) -> Layout {
    build(data).0
}

/// The standard label, after [`LabelData::validate`] and only when every
/// field fits in full.
pub fn checked_layout(data: &LabelData) -> Result<Layout, LabelError> {
    data.validate()?;
    let (layout, clipped) = build(data);
    match clipped.first() {
        Some(field) => Err(LabelError::DoesNotFit(field)),
        None => Ok(layout),
    }
}

/// Lays the label out and names the fields that were cut off.
fn build(data: &LabelData) -> (Layout, Vec<&'static str>) {
    let mut page = Page::new(PAGE_WIDTH, PAGE_HEIGHT);
    page.rule(Rect::new(16, 16, 768, 1168), 4);
    header(&mut page, data);
    page.rule(Rect::new(16, 132, 768, 4), 4);
    sender(&mut page, data);
    recipient(&mut page, data);
    order(&mut page, data);
    page.rule(Rect::new(16, 824, 768, 4), 4);
    page.barcode(&data.tracking_number, BARCODE_TOP, BARCODE_HEIGHT);
    page.rule(Rect::new(16, 1100, 768, 4), 4);
    footer(&mut page, data);
    page.finish()
}

/// Carrier on the left, service on the right, both large.
fn header(page: &mut Page, data: &LabelData) {
    let service = service_name(data.service);
    let service_x = PAGE_WIDTH - LEFT - text_width(service, 48);
    page.text(service_x, 40, 48, service);
    let area = Rect::new(LEFT, 36, service_x - LEFT - 24, 88);
    page.stack("carrier", &[&data.carrier], &[48, 32, 24], area);
}

/// The sender, small: name, phone and address lines.
fn sender(page: &mut Page, data: &LabelData) {
    page.text(LEFT, 148, 24, "FROM");
    let mut lines = vec![data.sender.name.as_str(), data.sender.phone.as_str()];
    lines.extend(data.sender.address.iter().map(String::as_str));
    let area = Rect::new(LEFT, 180, TEXT_WIDTH, 148);
    page.stack("sender", &lines, &[24, 16], area);
}

/// The recipient in the heavy box: the name largest, then the phone, then
/// the address in what room is left.
fn recipient(page: &mut Page, data: &LabelData) {
    let party = &data.recipient;
    page.rule(RECIPIENT_BOX, 8);
    page.text(LEFT, 352, 24, "TO");
    let name_area = Rect::new(LEFT, 384, TEXT_WIDTH, 80);
    let y = page.stack("recipient name", &[&party.name], &[64, 48, 32], name_area);
    let phone_area = Rect::new(LEFT, y + 4, TEXT_WIDTH, 44);
    let y = page.stack("recipient phone", &[&party.phone], &[32, 24], phone_area);
    let address: Vec<&str> = party.address.iter().map(String::as_str).collect();
    let bottom = RECIPIENT_BOX.y + RECIPIENT_BOX.height - 12;
    let address_area = Rect::new(LEFT, y + 8, TEXT_WIDTH, bottom - y - 8);
    page.stack(
        "recipient address",
        &address,
        &[40, 32, 24, 16],
        address_area,
    );
}

/// The order reference and the remark.
fn order(page: &mut Page, data: &LabelData) {
    let order = format!("ORDER {} #{}", data.order_ref, data.order_id);
    let area = Rect::new(LEFT, 720, TEXT_WIDTH, 44);
    page.stack("order reference", &[&order], &[32, 24], area);
    if let Some(remark) = &data.remark {
        let area = Rect::new(LEFT, 768, TEXT_WIDTH, 48);
        page.stack("remark", &[remark], &[24, 16], area);
    }
}

/// The batch id on the left, the position large on the right.
fn footer(page: &mut Page, data: &LabelData) {
    let position = format!("{}/{}", data.batch.position, data.batch.size);
    let position_x = PAGE_WIDTH.saturating_sub(LEFT + text_width(&position, 48));
    page.text(position_x, 1120, 48, &position);
    let batch = format!("BATCH {}", data.batch.batch);
    let area = Rect::new(LEFT, 1124, position_x.saturating_sub(LEFT + 24), 52);
    page.stack("batch id", &[&batch], &[32, 24, 16], area);
}

#[cfg(test)]
#[path = "layout_tests.rs"]
mod tests;
