//! Cleaning and validation of an order's customer data: invisible and
//! control characters out, NFC, phone numbers, addresses recognised
//! against the administrative-division table.

mod markup;
pub mod phone;
mod report;
pub mod text;

pub use phone::normalize_phone;
pub use report::{Field, Fix, Problem, ProblemCode};
pub use text::{clean_text, TextFix, TextFixKind};
