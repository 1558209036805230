//! Adapters for the shop platforms' own order payloads
//! (`POST /api/v1/intake/{platform}`): Taobao/Tmall, JD and Shopee send
//! orders as their open platforms return them, and each adapter maps one
//! into our [`OrderBody`], which then takes the same path as
//! `POST /api/v1/orders` ([`crate::intake::prepare`], the writer).
//!
//! What every adapter does alike:
//! * fields the platform adds are accepted and ignored; a required field
//!   that is missing is refused, naming it by its full path;
//! * `paid` comes from the platform's order status; a closed, cancelled
//!   or already shipped order is refused ([`PlatformError::NotFulfillable`]);
//!   a status this code does not know yet is decided by the pay time
//!   (paid when one is given), with a warning in the log;
//! * each line's SKU is the seller's own SKU code (the platform's
//!   "outer"/seller SKU), never the platform's item id; a line without
//!   one is refused;
//! * customer data is passed on as given, to be cleaned and sealed like
//!   any order's; it never appears in an error or a log line.
//!
//! Each platform module says which public documents it follows.

use super::{AddressBody, CustomerBody, IntakeError, OrderBody};
use crate::orders::{OrderLine, Service};

mod fields;
pub mod jd;
pub mod shopee;
pub mod taobao;
#[cfg(test)]
mod tests;

/// The platforms with an adapter, as named in the route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Taobao and Tmall (one open platform, TOP).
    Taobao,
    /// JD (jd.com POP sellers, JOS).
    Jd,
    /// Shopee Open Platform v2.
    Shopee,
}

impl Platform {
    /// Every platform.
    pub const ALL: [Platform; 3] = [Platform::Taobao, Platform::Jd, Platform::Shopee];

    /// The platform named `word` in the path (lower case), if any.
    pub fn parse(word: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str() == word)
    }

    /// Its name in paths and in orders' `platform`.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Taobao => "taobao",
            Platform::Jd => "jd",
            Platform::Shopee => "shopee",
        }
    }
}

/// Why a platform payload was refused. Messages name fields and codes,
/// never a value of the customer's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlatformError {
    /// The body is not one JSON document.
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    /// A required field is missing, `null` or blank.
    #[error("`{0}` is required")]
    Missing(String),
    /// A field is there but unusable.
    #[error("`{field}` {why}")]
    Invalid {
        /// The field's full path.
        field: String,
        /// What it must be.
        why: String,
    },
    /// The order is in a state the warehouse must not fill.
    #[error("the {platform} order is {status} ({why}): it is not taken in")]
    NotFulfillable {
        /// The platform.
        platform: &'static str,
        /// Its status code.
        status: String,
        /// In words.
        why: &'static str,
        /// The platform's order id.
        order_id: String,
        /// Closed or cancelled (not shipped): a hold of ours on it, if the
        /// order is known, must end.
        closed: bool,
    },
}

impl From<PlatformError> for IntakeError {
    fn from(e: PlatformError) -> IntakeError {
        IntakeError(e.to_string())
    }
}

/// Maps a platform's order payload into our order body.
pub fn to_order(platform: Platform, body: &[u8]) -> Result<OrderBody, IntakeError> {
    convert(platform, body).map_err(IntakeError::from)
}

/// Like [`to_order`], keeping the error's kind (the API answers a
/// [`PlatformError::NotFulfillable`] with 422, the rest with 400).
pub fn convert(platform: Platform, body: &[u8]) -> Result<OrderBody, PlatformError> {
    let value = fields::parse(body)?;
    let order = match platform {
        Platform::Taobao => taobao::order(&value),
        Platform::Jd => jd::order(&value),
        Platform::Shopee => shopee::order(&value),
    }?;
    tracing::debug!(
        platform = platform.as_str(),
        order = %order.platform_order_id,
        paid = order.paid,
        lines = order.lines.len(),
        "platform order mapped"
    );
    Ok(order)
}

/// Where an order status leaves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Not paid yet (or not to be shipped yet): stock held, not routed.
    Unpaid,
    /// Paid (or cash on delivery, ready to ship): routed.
    Paid,
    /// Closed or cancelled: refused.
    Closed,
    /// Shipped, wholly or in part, by someone: refused.
    Shipped,
}

/// `paid` from the status read at `field` of order `order_id`, by the
/// platform's `table`; a status not in it is decided by whether a pay time
/// is given.
pub fn paid_from(
    platform: &'static str,
    field: String,
    status: &str,
    table: &[(&str, Stage)],
    pay_time_given: bool,
    order_id: &str,
) -> Result<bool, PlatformError> {
    let is_code = !status.is_empty()
        && status.len() <= 40
        && status
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !is_code {
        return Err(PlatformError::Invalid {
            field,
            why: "is not a status code (letters, digits and '_')".into(),
        });
    }
    let refused = |why, closed| PlatformError::NotFulfillable {
        platform,
        status: status.to_string(),
        why,
        order_id: order_id.to_string(),
        closed,
    };
    match table
        .iter()
        .find(|(s, _)| *s == status)
        .map(|(_, stage)| *stage)
    {
        Some(Stage::Paid) => Ok(true),
        Some(Stage::Unpaid) => Ok(false),
        Some(Stage::Closed) => Err(refused("closed or cancelled", true)),
        Some(Stage::Shipped) => Err(refused("already shipped", false)),
        None => {
            tracing::warn!(
                platform,
                status,
                paid = pay_time_given,
                "unknown order status: paid decided by the pay time"
            );
            Ok(pay_time_given)
        }
    }
}

/// One order line: `sku` must be a usable seller SKU code.
pub fn line(field: String, sku: &str, quantity: i64) -> Result<OrderLine, PlatformError> {
    if sku.is_empty() {
        return Err(PlatformError::Missing(field));
    }
    protocol::validate::check_id("sku", sku).map_err(|_| PlatformError::Invalid {
        field,
        why: "must be the seller's SKU code: 1 to 64 bytes of printable ASCII without \
              spaces, '/', '+' or '#'"
            .into(),
    })?;
    Ok(OrderLine {
        sku: sku.to_string(),
        quantity,
    })
}

/// An order needs at least one line to fill.
pub fn need_lines(field: String, lines: &[OrderLine]) -> Result<(), PlatformError> {
    if lines.is_empty() {
        return Err(PlatformError::Invalid {
            field,
            why: "has no line to fill".into(),
        });
    }
    Ok(())
}

/// The parts every adapter fills, assembled into an [`OrderBody`].
pub struct Mapped {
    /// Platform.
    pub platform: Platform,
    /// Its order id.
    pub id: String,
    /// Paid.
    pub paid: bool,
    /// Service level.
    pub service: Service,
    /// Customer name and phone.
    pub name: String,
    /// Phone.
    pub phone: String,
    /// Address.
    pub address: AddressBody,
    /// Lines.
    pub lines: Vec<OrderLine>,
    /// Tags.
    pub tags: Vec<String>,
    /// The buyer's message.
    pub remarks: String,
}

impl Mapped {
    /// The order body.
    pub fn body(self) -> OrderBody {
        OrderBody {
            platform: self.platform.as_str().to_string(),
            platform_order_id: self.id,
            service: self.service,
            paid: self.paid,
            customer: CustomerBody {
                name: self.name,
                phone: self.phone,
                address: self.address,
            },
            lines: self.lines,
            tags: self.tags,
            channel: None,
            remarks: (!self.remarks.is_empty()).then_some(self.remarks),
        }
    }
}
