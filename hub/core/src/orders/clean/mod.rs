//! Cleaning and validation of an order's customer data: invisible and
//! control characters out, NFC, phone numbers, addresses recognised
//! against the administrative-division table.

mod markup;
// Read by the address parser, which comes next.
#[allow(dead_code)]
mod names;
pub mod phone;
#[allow(dead_code)]
mod regions;
mod report;
pub mod text;

pub use phone::normalize_phone;
pub use regions::{Regions, RegionsError};
pub use report::{Field, Fix, Problem, ProblemCode};
pub use text::{clean_text, TextFix, TextFixKind};

#[cfg(test)]
mod table_tests;
