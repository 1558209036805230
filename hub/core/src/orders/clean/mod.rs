//! Cleaning and validation of an order's customer data: invisible and
//! control characters out, NFC, phone numbers, addresses recognised
//! against the administrative-division table.
//!
//! Customer data arrives from shop platforms, spreadsheets and people
//! pasting from chat apps, full of zero-width spaces, bidi marks, emoji
//! and markup, with phones in every format and addresses split any way.
//! [`clean_customer`] is the one entry point: pure and deterministic, it
//! takes a [`RawCustomer`] and the division table ([`Regions`]) and gives
//! back the [`CleanCustomer`], every [`Fix`] it made (recorded on the
//! order) and every [`Problem`] left (an order with problems is not
//! dropped: it waits in the exception queue with all of them).
//!
//! The parts: [`text`] (every field's characters; `markup` for pasted
//! HTML), [`phone`], `regions`
//! and its `names` (the table and the names it answers to), `scan` and
//! `resolve` (finding divisions in text, and adding them up), [`address`]
//! (the address as a whole), `report` (fixes and problems).

pub mod address;
mod markup;
mod names;
pub mod phone;
mod regions;
mod report;
mod resolve;
mod scan;
pub mod text;

#[cfg(test)]
mod table_tests;
#[cfg(test)]
mod tests;

pub use address::{recognise, AddressOutcome, DivisionCodes};
pub use phone::normalize_phone;
pub use regions::{Regions, RegionsError};
pub use report::{Field, Fix, Problem, ProblemCode};
pub use text::{clean_text, TextFix, TextFixKind};

use serde::{Deserialize, Serialize};

/// The longest name kept, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// A delivery address as a platform or a person gave it. Missing fields
/// are empty strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = AddressBody, description = "Missing parts are empty, and reported by the cleaner (the order then waits in `exception`)."))]
#[serde(default, deny_unknown_fields)]
pub struct RawAddress {
    /// ISO 3166 alpha-2 (`CN`); empty means `CN`.
    pub country: String,
    pub province: String,
    pub city: String,
    pub district: String,
    /// Road, number, building; may hold the whole address pasted.
    pub street: String,
    pub postal_code: String,
}

/// The customer of an order, as given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = CustomerBody, description = "Missing fields are empty, and reported by the cleaner."))]
#[serde(default, deny_unknown_fields)]
pub struct RawCustomer {
    pub name: String,
    pub phone: String,
    pub address: RawAddress,
}

/// A cleaned address. For the mainland, the recognised divisions carry
/// their full names from the table, and `division_code` is the GB/T 2260
/// code of the deepest one recognised (`"330106"`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanAddress {
    pub country: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub street: String,
    pub postal_code: String,
    pub division_code: Option<String>,
}

/// A cleaned customer. The phone is `13812345678` for a mainland mobile,
/// E.164 (`+6591234567`) otherwise, or as cleaned text when invalid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanCustomer {
    pub name: String,
    pub phone: String,
    pub address: CleanAddress,
}

/// [`clean_customer`]'s answer. `problems` empty: the order may ship.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cleaned {
    pub customer: CleanCustomer,
    pub fixes: Vec<Fix>,
    pub problems: Vec<Problem>,
}

impl Cleaned {
    /// No problems left.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// [`clean_text`] for one field, its changes recorded as [`Fix`]es.
pub(crate) fn clean_field(raw: &str, field: Field, fixes: &mut Vec<Fix>) -> String {
    let (text, changes) = clean_text(raw);
    fixes.extend(changes.iter().map(|c| Fix::new(field, c.describe())));
    text
}

/// Cleans and checks a customer: name (required, 1 to 64 characters),
/// phone (required, see [`phone`]), address (see [`address`]).
pub fn clean_customer(raw: &RawCustomer, regions: &Regions) -> Cleaned {
    let mut fixes = Vec::new();
    let mut problems = Vec::new();
    let name = clean_field(&raw.name, Field::Name, &mut fixes);
    let chars = name.chars().count();
    if chars == 0 {
        problems.push(Problem::new(
            Field::Name,
            ProblemCode::NameMissing,
            "the customer's name is required",
        ));
    } else if chars > MAX_NAME_CHARS {
        let message = format!("the name has {chars} characters; at most {MAX_NAME_CHARS}");
        problems.push(Problem::new(Field::Name, ProblemCode::NameTooLong, message));
    }
    let outcome = recognise(&raw.address, regions);
    let phone_text = clean_field(&raw.phone, Field::Phone, &mut fixes);
    let phone = match normalize_phone(&phone_text, &outcome.address.country) {
        Ok(phone) => {
            if phone != phone_text {
                fixes.push(Fix::new(
                    Field::Phone,
                    "wrote the number in its canonical form",
                ));
            }
            phone
        }
        Err(problem) => {
            problems.push(problem);
            phone_text
        }
    };
    fixes.extend(outcome.fixes);
    problems.extend(outcome.problems);
    Cleaned {
        customer: CleanCustomer {
            name,
            phone,
            address: outcome.address,
        },
        fixes,
        problems,
    }
}
