//! Shipping labels, pure: the data on a label ([`label`]), where it goes
//! ([`layout`], with the text setting in [`typeset`]), and the two things
//! made from that one layout: ZPL II for the station's thermal printer
//! ([`zpl`]) and a PNG preview ([`raster`] with its [`font`], then
//! [`png`]). The tracking number's barcode is our own Code 128
//! ([`code128`]), so printer and preview draw the same symbol.
//!
//! No I/O and no clock, like the rest of the core: a label job's bytes are
//! made here and moved by the hub's shell. Refusals are [`LabelError`]s.

pub mod code128;
pub mod error;
pub mod font;
pub mod label;
pub mod layout;
pub mod png;
pub mod raster;
pub mod typeset;
pub mod zpl;

pub use error::LabelError;
pub use label::{BatchPosition, LabelData, Party};
pub use layout::{checked_layout, layout, Layout};

/// The label as ZPL II, after validating the data and checking that every
/// field fits.
pub fn label_zpl(data: &LabelData) -> Result<String, LabelError> {
    label_zpl_with(data, &zpl::ZplOptions::default())
}

/// [`label_zpl`] with the site's options (its printers' CJK font).
pub fn label_zpl_with(data: &LabelData, options: &zpl::ZplOptions) -> Result<String, LabelError> {
    Ok(zpl::to_zpl_with(&checked_layout(data)?, options))
}

/// The label's preview as a PNG (800 x 1200, 1-bit grayscale), after the
/// same checks as [`label_zpl`] and from the same layout.
pub fn preview_png(data: &LabelData) -> Result<Vec<u8>, LabelError> {
    Ok(png::to_png(&raster::render(&checked_layout(data)?)))
}

#[cfg(test)]
mod tests;
