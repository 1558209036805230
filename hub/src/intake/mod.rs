//! Orders coming in from shops: our own JSON order (`POST /api/v1/orders`),
//! checked and cleaned here, before it takes a place in the writer's
//! queue. Malformed input (unknown fields, wrong types, no lines, bad
//! quantities) is refused with a clear error; customer data that is only
//! wrong (an address that contradicts itself, a phone that is not one) is
//! taken in and waits in the exception queue with every reason.

use crate::orders::clean::{clean_customer, RawAddress, RawCustomer, Regions};
use crate::orders::{OrderLine, Reason, Service};
use crate::writer::orders::{CustomerData, NewOrder};
use serde::{Deserialize, Serialize};

pub mod csv;
#[cfg(test)]
mod csv_tests;
pub mod platforms;

/// Why an order body was refused (the API answers 400 with it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IntakeError(pub String);

fn refused(e: impl std::fmt::Display) -> IntakeError {
    IntakeError(e.to_string())
}

/// Provinces whose orders are tagged `remote_region` (longer transit,
/// surcharges with most carriers).
pub const REMOTE_PROVINCES: [&str; 6] = [
    "新疆维吾尔自治区",
    "西藏自治区",
    "青海省",
    "内蒙古自治区",
    "宁夏回族自治区",
    "甘肃省",
];

/// Longest buyer remark kept, in characters.
pub const MAX_REMARK_CHARS: usize = 500;
/// Most tags on one order.
pub const MAX_TAGS: usize = 20;

/// The body of `POST /api/v1/orders` (see the OpenAPI document).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderBody {
    /// `own` for our own format; adapters set their platform.
    #[schema(value_type = hub_core::openapi::Id)]
    pub platform: String,
    /// The platform's order id.
    #[schema(value_type = hub_core::openapi::Id)]
    pub platform_order_id: String,
    /// `express` or `standard`.
    pub service: Service,
    /// Whether it is paid.
    pub paid: bool,
    /// The customer.
    pub customer: CustomerBody,
    /// Lines.
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<OrderLine>,
    /// Tags.
    #[serde(default)]
    #[schema(value_type = Vec<hub_core::openapi::Id>, max_items = 20, default = json!([]))]
    pub tags: Vec<String>,
    /// Sales channel; default the platform.
    #[serde(default)]
    #[schema(value_type = Option<hub_core::openapi::Id>)]
    pub channel: Option<String>,
    /// The buyer's remarks; over 500 characters the order waits in
    /// `exception`.
    #[serde(default)]
    pub remarks: Option<String>,
}

/// A customer as sent: the cleaner's own raw form (unknown fields are
/// refused, missing ones are empty and reported by the cleaner).
pub type CustomerBody = RawCustomer;
/// An address as sent; missing parts are empty.
pub type AddressBody = RawAddress;

/// A customer cleaned: the data to seal, the fixes, the problems.
pub fn clean(
    customer: &CustomerBody,
    remarks: &str,
    regions: &Regions,
) -> (CustomerData, Vec<String>, Vec<Reason>) {
    let cleaned = clean_customer(customer, regions);
    let mut fixes: Vec<String> = cleaned
        .fixes
        .iter()
        .map(|f| format!("{}: {}", f.field.as_str(), f.what))
        .collect();
    let mut problems: Vec<Reason> = cleaned
        .problems
        .iter()
        .map(|p| Reason {
            code: p.code.as_str().to_string(),
            field: p.field.as_str().to_string(),
            message: p.message.clone(),
        })
        .collect();
    let (remarks, remark_fixes) = crate::orders::clean::clean_text(remarks);
    if !remark_fixes.is_empty() {
        fixes.push("remarks: cleaned".into());
    }
    if remarks.chars().count() > MAX_REMARK_CHARS {
        problems.push(Reason {
            code: "remarks_too_long".into(),
            field: "remarks".into(),
            message: format!("remarks are limited to {MAX_REMARK_CHARS} characters"),
        });
    }
    let c = cleaned.customer;
    let data = CustomerData {
        name: c.name,
        phone: c.phone,
        country: c.address.country,
        province: c.address.province,
        city: c.address.city,
        district: c.address.district,
        street: c.address.street,
        postal_code: c.address.postal_code,
        remarks,
    };
    (data, fixes, problems)
}

/// Checks and cleans an order body into the writer's [`NewOrder`].
pub fn prepare(body: OrderBody, regions: &Regions) -> Result<NewOrder, IntakeError> {
    protocol::validate::check_id("platform", &body.platform).map_err(refused)?;
    protocol::validate::check_id("platform_order_id", &body.platform_order_id).map_err(refused)?;
    // The lines are checked here, before the writer looks the order up: a
    // resend of a known order with a body the API refuses is refused too.
    let max_lines = crate::reservations::MAX_LINES;
    if body.lines.is_empty() || body.lines.len() > max_lines {
        return Err(IntakeError(format!(
            "an order needs 1 to {max_lines} lines"
        )));
    }
    for (i, line) in body.lines.iter().enumerate() {
        protocol::validate::check_id("sku", &line.sku)
            .map_err(|e| IntakeError(format!("line {}: {e}", i + 1)))?;
        if !(1..=protocol::MAX_QUANTITY).contains(&line.quantity) {
            return Err(IntakeError(format!(
                "line {}: quantity must be 1 to {}, got {}",
                i + 1,
                protocol::MAX_QUANTITY,
                line.quantity
            )));
        }
    }
    if body.tags.len() > MAX_TAGS {
        return Err(IntakeError(format!("at most {MAX_TAGS} tags")));
    }
    for tag in &body.tags {
        protocol::validate::check_id("tag", tag).map_err(refused)?;
    }
    let channel = body
        .channel
        .clone()
        .unwrap_or_else(|| body.platform.clone());
    protocol::validate::check_id("channel", &channel).map_err(refused)?;
    let remarks = body.remarks.as_deref().unwrap_or("");
    let (customer, fixes, problems) = clean(&body.customer, remarks, regions);
    let mut tags = body.tags;
    let remote = REMOTE_PROVINCES.contains(&customer.province.as_str());
    if remote && !tags.iter().any(|t| t == "remote_region") {
        tags.push("remote_region".into());
    }
    Ok(NewOrder {
        platform: body.platform,
        platform_order_id: body.platform_order_id,
        channel,
        service: body.service,
        paid: body.paid,
        customer,
        lines: body.lines,
        tags,
        problems,
        fixes,
    })
}
