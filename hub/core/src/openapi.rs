//! Schemas for values whose rule is a function rather than a type (only
//! with the `openapi` feature): the hub's OpenAPI document names them from
//! the fields that carry them (`#[schema(value_type = Id)]`).

use std::borrow::Cow;
use utoipa::openapi::{ObjectBuilder, RefOr, Schema, Type};

/// A site, device, SKU, location, lot, order or channel id as
/// [`protocol::validate::check_id`] takes it.
pub struct Id;

impl utoipa::PartialSchema for Id {
    fn schema() -> RefOr<Schema> {
        let max = protocol::validate::MAX_ID_LEN;
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "1 to 64 bytes of printable ASCII, without spaces, `/`, `+` or `#`.",
            ))
            .min_length(Some(1))
            .max_length(Some(max))
            // Printable ASCII (! to ~) less `#` (0x23), `+` (0x2b), `/` (0x2f).
            .pattern(Some(format!("^[!-\"$-*,-.0-~]{{1,{max}}}$")))
            .into()
    }
}

impl utoipa::ToSchema for Id {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Id")
    }
}
