//! Shipping labels (WIP).
pub mod code128;
pub mod error;
pub mod font;
pub mod label;
pub mod layout;
pub mod typeset;
pub mod zpl;

pub use error::LabelError;
