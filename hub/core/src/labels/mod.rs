//! Shipping labels (WIP).
pub mod code128;
